// Package redact keeps credentials out of everything provwatch stores,
// prints or sends: reports, logs, metrics, the status page, the state and
// SSM descriptions. Text is redacted before it is cut, so a secret that
// straddles a cut cannot survive in part.
package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"sort"
	"strings"
)

// Mark replaces every secret found in text.
const Mark = "[redacted]"

// MinLen is the shortest secret cut out of free text: replacing two or
// three characters wherever they occur would garble every message, and a
// secret that short protects nothing.
const MinLen = 4

// URL returns raw in the only form provwatch shows a URL in: scheme, host,
// port and path. The userinfo (user:password@) and the query string are
// left out whole, whatever their names, and so is the fragment; probes do
// not send a base URL's query anyway. A URL that does not parse is shown
// as a fixed phrase, never as the raw text, which may hold a password.
func URL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "(URL not shown: it does not parse)"
	}
	u.User = nil
	u.RawQuery, u.ForceQuery = "", false
	u.Fragment, u.RawFragment = "", ""
	return u.String()
}

// HasCredentials reports whether a URL carries credentials in its userinfo
// or in a query parameter named like one (key, api_key, token, …).
func HasCredentials(raw string) bool {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return strings.Contains(raw, "@") // not parsable: assume the worst
	}
	if u.User != nil {
		return true
	}
	for name := range u.Query() {
		if credentialParam(name) {
			return true
		}
	}
	return false
}

// credentialParams are query parameter names that carry credentials: the
// API-key names providers and proxies use, plus the signed-URL parameters
// OpenTelemetry's HTTP conventions redact (AWS, Google, Azure).
var credentialParams = map[string]bool{
	"key": true, "api_key": true, "apikey": true, "api-key": true, "x-api-key": true,
	"token": true, "access_token": true, "auth": true, "auth_token": true, "authorization": true,
	"password": true, "passwd": true, "pwd": true, "pass": true, "secret": true, "client_secret": true,
	"sig": true, "signature": true, "private_token": true,
	"awsaccesskeyid": true, "x-amz-signature": true, "x-amz-credential": true, "x-amz-security-token": true,
	"x-goog-signature": true, "x-goog-credential": true,
}

func credentialParam(name string) bool { return credentialParams[strings.ToLower(name)] }

// Secrets is a set of credentials to cut out of text. The zero value is an
// empty set, ready to use. Once filled, String and Bytes are safe for
// concurrent use; Add is not.
type Secrets struct {
	list []string // longest first
}

// Add records a secret and the forms it takes on the wire and in echoed
// text: URL-escaped and JSON-escaped. Values shorter than MinLen are
// ignored.
func (s *Secrets) Add(v string) {
	if len(v) < MinLen {
		return
	}
	s.add(v)
	s.add(url.QueryEscape(v))
	s.add(url.PathEscape(v))
	if b, err := json.Marshal(v); err == nil && len(b) >= 2 {
		esc := string(b[1 : len(b)-1])
		s.add(esc)
		s.add(strings.ReplaceAll(esc, "/", `\/`)) // PHP and others escape the slash
	}
}

func (s *Secrets) add(v string) {
	if len(v) < MinLen {
		return
	}
	for _, have := range s.list {
		if have == v {
			return
		}
	}
	// Longest first, so a password inside a recorded user:password pair
	// cannot leave half of the longer match behind.
	i := sort.Search(len(s.list), func(i int) bool { return len(s.list[i]) < len(v) })
	s.list = append(s.list, "")
	copy(s.list[i+1:], s.list[i:])
	s.list[i] = v
}

// AddURL records the credentials a URL carries: the password (or a lone
// user name, which is how tokens ride in URLs), the user:password pair and
// the Basic authorization Go's HTTP client builds from it, and the values
// of credential query parameters.
func (s *Secrets) AddURL(raw string) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return
	}
	if u.User != nil {
		user := u.User.Username()
		if pass, ok := u.User.Password(); ok {
			s.Add(pass)
			s.Add(user + ":" + pass)
			s.Add(base64.StdEncoding.EncodeToString([]byte(user + ":" + pass)))
			s.Add(u.User.String()) // the escaped form, as it stood in the URL
		} else {
			s.Add(user)
			s.Add(base64.StdEncoding.EncodeToString([]byte(user + ":")))
		}
	}
	for name, vals := range u.Query() {
		if credentialParam(name) {
			for _, v := range vals {
				s.Add(v)
			}
		}
	}
}

// AddHeader records a header value sent with requests. "Bearer tok" also
// records tok; "Basic b64" also records the decoded user:password and the
// password.
func (s *Secrets) AddHeader(value string) {
	value = strings.TrimSpace(value)
	s.Add(value)
	scheme, cred, ok := strings.Cut(value, " ")
	if !ok {
		return
	}
	cred = strings.TrimSpace(cred)
	s.Add(cred)
	if strings.EqualFold(scheme, "basic") {
		if dec, err := base64.StdEncoding.DecodeString(cred); err == nil {
			pair := string(dec)
			s.Add(pair)
			if _, pass, ok := strings.Cut(pair, ":"); ok {
				s.Add(pass)
			}
		}
	}
}

// Empty reports whether no secret is recorded.
func (s *Secrets) Empty() bool { return s == nil || len(s.list) == 0 }

// String returns text with every recorded secret replaced by Mark.
func (s *Secrets) String(text string) string {
	if s.Empty() || text == "" {
		return text
	}
	for _, v := range s.list {
		if strings.Contains(text, v) {
			text = strings.ReplaceAll(text, v, Mark)
		}
	}
	return text
}

// Bytes is String for a body: it returns b itself when nothing matched.
func (s *Secrets) Bytes(b []byte) []byte {
	if s.Empty() || len(b) == 0 {
		return b
	}
	for _, v := range s.list {
		if bytes.Contains(b, []byte(v)) {
			return []byte(s.String(string(b)))
		}
	}
	return b
}
