package ssmlite

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// AWS Signature Version 4 for a request with its body in hand and no query
// string: the only kind ssmlite sends. What is signed follows the SDK's
// signer (aws/signer/v4), so the two give the same Authorization header for
// the same request: the host, content-length when there is a body, and
// every header set on the request except those proxies and the transport
// may change.
const (
	sigAlgorithm = "AWS4-HMAC-SHA256"
	amzDateFmt   = "20060102T150405Z"
)

// unsignedHeaders are left out of the signature, as the SDK leaves them.
var unsignedHeaders = map[string]bool{
	"authorization":     true,
	"user-agent":        true,
	"x-amzn-trace-id":   true,
	"expect":            true,
	"transfer-encoding": true,
}

// sign sets X-Amz-Date, X-Amz-Security-Token (with a session token) and
// Authorization on req, whose Host (req.Host) and headers must be final.
func sign(req *http.Request, body []byte, c credentials, region, service string, now time.Time) {
	now = now.UTC()
	amzDate := now.Format(amzDateFmt)
	req.Header.Set("X-Amz-Date", amzDate)
	if c.SessionToken != "" {
		req.Header.Set("X-Amz-Security-Token", c.SessionToken)
	} else {
		req.Header.Del("X-Amz-Security-Token")
	}

	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	names := []string{"host"}
	values := map[string]string{"host": host}
	if req.ContentLength > 0 {
		names = append(names, "content-length")
		values["content-length"] = strconv.FormatInt(req.ContentLength, 10)
	}
	for k, vs := range req.Header {
		lk := strings.ToLower(k)
		if unsignedHeaders[lk] || lk == "content-length" || lk == "host" {
			continue
		}
		clean := make([]string, len(vs))
		for i, v := range vs {
			clean[i] = collapseSpaces(v)
		}
		if _, dup := values[lk]; !dup {
			names = append(names, lk)
			values[lk] = strings.Join(clean, ",")
		} else {
			values[lk] += "," + strings.Join(clean, ",")
		}
	}
	sort.Strings(names)
	signed := strings.Join(names, ";")

	var cr strings.Builder
	cr.WriteString(req.Method)
	cr.WriteByte('\n')
	cr.WriteString(canonicalPath(req.URL.Path))
	cr.WriteString("\n\n") // no query string
	for _, n := range names {
		cr.WriteString(n)
		cr.WriteByte(':')
		cr.WriteString(values[n])
		cr.WriteByte('\n')
	}
	cr.WriteByte('\n')
	cr.WriteString(signed)
	cr.WriteByte('\n')
	cr.WriteString(hexSHA256(body))

	day := amzDate[:8]
	scope := day + "/" + region + "/" + service + "/aws4_request"
	toSign := sigAlgorithm + "\n" + amzDate + "\n" + scope + "\n" + hexSHA256([]byte(cr.String()))

	key := hmacSHA256([]byte("AWS4"+c.SecretAccessKey), day)
	key = hmacSHA256(key, region)
	key = hmacSHA256(key, service)
	key = hmacSHA256(key, "aws4_request")
	sig := hex.EncodeToString(hmacSHA256(key, toSign))

	req.Header.Set("Authorization", sigAlgorithm+" Credential="+c.AccessKeyID+"/"+scope+
		", SignedHeaders="+signed+", Signature="+sig)
}

// collapseSpaces trims a header value and folds each run of spaces into
// one, as the SDK's signer does (tabs inside a value stay).
func collapseSpaces(v string) string {
	v = strings.TrimSpace(v)
	for strings.Contains(v, "  ") {
		v = strings.ReplaceAll(v, "  ", " ")
	}
	return v
}

// canonicalPath escapes every byte of the path but the unreserved ones and
// the slashes, once, as the SDK does for every service but S3.
func canonicalPath(p string) string {
	if p == "" {
		return "/"
	}
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' || c == '/' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

func hexSHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}
