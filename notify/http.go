package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/provwatch/provwatch/internal/httpx"
	"github.com/provwatch/provwatch/internal/redact"
	"github.com/provwatch/provwatch/internal/text"
)

// Error is a delivery that failed, in words safe to log and print: it
// names the destination's host, never a webhook URL's path or query or a
// bot token.
type Error struct {
	Status int    // HTTP status, 0 when none came
	Msg    string // what happened
	Hint   string // what to do, "" when nothing specific
	// Temporary says a later attempt may succeed (429, 5xx, timeouts,
	// network errors); 4xx answers and refused redirects are not.
	Temporary bool
	// RetryAfter is how long the destination asked to wait, 0 when it did
	// not say.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Hint != "" {
		return e.Msg + " (" + e.Hint + ")"
	}
	return e.Msg
}

// maxReply caps how much of an answer is read: services answer a few
// hundred bytes; a broken one must not fill memory.
const maxReply = 64 << 10

// maxRedirects bounds same-host redirects.
const maxRedirects = 3

// newHTTPClient returns a client that follows redirects only within the
// origin it was sent to: the request carries a secret URL path or token
// that must not travel elsewhere. Each attempt's deadline comes from its
// context.
func newHTTPClient(rt http.RoundTripper) *http.Client {
	if rt == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		rt = t
	}
	return &http.Client{Transport: rt, CheckRedirect: httpx.SameOrigin(maxRedirects)}
}

// hostOf is what messages say of a destination URL: its host, nothing of
// the path or query, which may hold the secret.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "the configured URL"
	}
	return u.Host
}

// httpReply is one answer, read up to maxReply bytes.
type httpReply struct {
	host   string // the destination's host, all messages may name
	status int
	header http.Header
	body   []byte
}

// ok reports a 2xx answer.
func (r *httpReply) ok() bool { return r.status >= 200 && r.status < 300 }

// urlSecrets records what of a webhook URL is a credential: the URL
// itself, its last path segment and every query value, where the services
// put a webhook's token (Slack's /services/T…/B…/token, Discord's
// /api/webhooks/id/token, ?key=…&token=…). A receiver that echoes only the
// path, as many 404 pages do, leaks nothing then.
func urlSecrets(raw string) *redact.Secrets {
	sec := &redact.Secrets{}
	sec.Add(raw)
	sec.AddURL(raw)
	if u, err := url.Parse(raw); err == nil {
		if last := path.Base(u.Path); last != "/" && last != "." {
			sec.Add(last)
		}
		for _, vs := range u.Query() {
			for _, v := range vs {
				sec.Add(v)
			}
		}
	}
	return sec
}

// httpSender posts JSON for one destination.
type httpSender struct {
	client  *http.Client
	secrets *redact.Secrets  // cut out of every answer and message, whatever put them there
	now     func() time.Time // for Retry-After dates
}

func newHTTPSender(rt http.RoundTripper, secrets *redact.Secrets) *httpSender {
	return &httpSender{client: newHTTPClient(rt), secrets: secrets, now: time.Now}
}

// post sends payload, as JSON, to rawURL. A transport failure, timeout or
// refused redirect is an *Error; any HTTP answer is returned for the
// destination to judge, its body already redacted: before anything
// decodes, cuts or quotes it, so that a secret straddling a later cut
// cannot survive in part.
func (h *httpSender) post(ctx context.Context, rawURL string, payload any) (*httpReply, error) {
	body, err := marshal(payload)
	if err != nil {
		return nil, &Error{Msg: "encoding the message: " + err.Error()}
	}
	host := hostOf(rawURL)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return nil, &Error{Msg: "cannot build the request to " + host, Hint: "check the URL in the settings"}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "provwatch")
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, h.transportError(ctx, host, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxReply))
	if err != nil {
		return nil, h.transportError(ctx, host, err)
	}
	return &httpReply{host: host, status: resp.StatusCode, header: resp.Header, body: h.secrets.Bytes(data)}, nil
}

// transportError words a failure without the request URL, which Go's
// *url.Error would print whole.
func (h *httpSender) transportError(ctx context.Context, host string, err error) *Error {
	var re *httpx.RedirectError
	if errors.As(err, &re) {
		return &Error{Msg: h.scrub(host + " redirected the message to another host (" + re.To + "); not followed, since the request carries a secret"),
			Hint: "use the service's own URL, not one that redirects"}
	}
	if ctx.Err() != nil {
		msg := "no answer from " + host + " before the attempt was cancelled"
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			msg = "no answer from " + host + " within the attempt's time limit"
		}
		return &Error{Msg: msg, Temporary: true}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &Error{Msg: h.scrub("cannot reach " + host + ": " + err.Error()), Temporary: true}
}

// scrub removes every secret from s.
func (h *httpSender) scrub(s string) string { return h.secrets.String(s) }

// statusError judges a non-2xx answer the common way: 429, 408, 425 and 5xx
// are worth retrying (after Retry-After when given), other answers are not.
// detail is the service's own words for it, if any.
func (h *httpSender) statusError(r *httpReply, detail, hint string) *Error {
	msg := fmt.Sprintf("%d %s from %s", r.status, http.StatusText(r.status), r.host)
	if detail == "" {
		detail = snippet(r.body)
	}
	if detail != "" && !strings.EqualFold(detail, http.StatusText(r.status)) {
		msg += ": " + detail
	}
	e := &Error{Status: r.status, Msg: h.scrub(msg), Hint: hint}
	switch {
	case r.status == http.StatusTooManyRequests || r.status == http.StatusRequestTimeout || r.status == http.StatusTooEarly || r.status >= 500:
		e.Temporary = true
		e.RetryAfter = retryAfter(r.header.Get("Retry-After"), h.now())
	case r.status >= 300 && r.status < 400:
		e.Msg = h.scrub(fmt.Sprintf("%d %s from %s (a redirect with nowhere to go)", r.status, http.StatusText(r.status), r.host))
	}
	return e
}

// retryAfter is how long a Retry-After header asks to wait; 0 when it
// does not say, or names a moment that has passed.
func retryAfter(v string, now time.Time) time.Duration {
	if at, ok := httpx.RetryAfter(v, now); ok && at.After(now) {
		return at.Sub(now)
	}
	return 0
}

// snippet is the start of an answer body fit for a log line: printable,
// one line, at most 200 characters; "" for a body that is not text.
func snippet(b []byte) string {
	if len(b) > 600 {
		b = b[:600]
		for i := 0; i < utf8.UTFMax && len(b) > 0 && !utf8.Valid(b); i++ {
			b = b[:len(b)-1] // a rune cut by the cap
		}
	}
	if !utf8.Valid(b) {
		return "(a body that is not text)"
	}
	s := strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) {
			return ' '
		}
		return r
	}, string(b))
	return text.Truncate(strings.Join(strings.Fields(s), " "), 200)
}
