package probes

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/internal/redact"
)

const (
	// DefaultMaxBody caps a response body when Options.MaxBody is 0. Model
	// lists of hosted providers are tens of kilobytes; 4 MiB leaves room for
	// a big self-hosted catalogue without letting a broken server fill memory.
	DefaultMaxBody = 4 << 20
	// DefaultTimeout bounds a whole probe when Options.Timeout is 0 (docs/reference.md §2b).
	DefaultTimeout = 10 * time.Second
	// errorBodyCap is how much of a non-2xx body is kept: enough for any
	// documented error object, and a huge error page is just cut.
	errorBodyCap = 64 << 10
	maxRedirects = 5
	userAgent    = "provwatch"
)

// errBodyTooLarge is a 2xx body larger than the cap of its request.
var errBodyTooLarge = errors.New("response body exceeds the size cap")

// newTransport returns the base transport: the caller's, or a clone of the
// default one with certificate verification on.
func newTransport(rt http.RoundTripper) http.RoundTripper {
	if rt != nil {
		return rt
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	t.MaxIdleConnsPerHost = 4
	return t
}

// reply is one HTTP exchange of a probe.
type reply struct {
	method string
	url    string // secret-free, for messages
	status int    // 0 when no answer came
	header http.Header
	body   []byte
	phases Phases
	dur    time.Duration
	err    error // transport, deadline or body error; nil for any HTTP answer read in full
}

// ok reports a 2xx answer read in full.
func (r *reply) ok() bool { return r.err == nil && r.status >= 200 && r.status < 300 }

// what names the request in messages: "GET http://host/v1/models".
func (r *reply) what() string { return r.method + " " + r.url }

// session is one probe of one provider: one deadline over all its requests.
type session struct {
	p       *Prober
	ctx     context.Context
	prov    *configs.Provider
	flavour configs.Flavour
	base    *url.URL // the configured base URL, trailing slash trimmed
	maxBody int64
	limit   time.Duration   // the session's deadline, for messages
	secrets *redact.Secrets // everything of prov's that must never be shown
	rl      rateTracker
	main    *reply        // the first request: its phases are reported
	listDur time.Duration // time spent on everything but generate requests
	genDur  time.Duration
	gen     bool // requests are part of generate mode
}

func (s *session) now() time.Time { return s.p.now() }

// get fetches u with the session's default body cap.
func (s *session) get(u string) *reply { return s.do(http.MethodGet, u, nil, s.maxBody) }

// postJSON sends v as a JSON body.
func (s *session) postJSON(u string, v any) *reply {
	b, err := json.Marshal(v)
	if err != nil {
		return &reply{method: http.MethodPost, url: redact.URL(u), err: fmt.Errorf("encoding request: %w", err)}
	}
	return s.do(http.MethodPost, u, b, s.maxBody)
}

// statusOnly, as do's limit, reads no body at all: the status line is the
// whole answer (a liveness check), and a body that never comes is not
// waited for.
const statusOnly = -1

// do sends one request, never retrying, and reads at most limit bytes of a
// 2xx body (errBodyTooLarge beyond), or none with statusOnly.
func (s *session) do(method, rawURL string, body []byte, limit int64) *reply {
	r := &reply{method: method, url: redact.URL(rawURL)}
	tm := &timing{now: s.p.now}
	ctx := httptrace.WithClientTrace(s.ctx, tm.trace())
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, rd)
	if err != nil {
		r.err = fmt.Errorf("building request: %w", err)
		return r
	}
	s.authorize(req)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	tm.begin()
	resp, err := s.p.client.Do(req)
	if err != nil {
		r.err = err
	} else {
		r.status = resp.StatusCode
		r.header = resp.Header
		tm.mark(&tm.firstByte) // covers answers whose trace hook did not fire
		if limit != statusOnly {
			cap := limit
			if r.status < 200 || r.status > 299 {
				cap = min(limit, errorBodyCap)
			}
			r.body, err = readCapped(resp, cap)
			// Redact before anything parses, cuts or quotes the body: a
			// secret straddling a later cut must not survive in part.
			r.body = s.secrets.Bytes(r.body)
			if err != nil && (err != errBodyTooLarge || r.status < 300) {
				r.err = err
			}
		}
		resp.Body.Close()
		s.rl.observe(resp.Header, s.now())
	}
	tm.finish()
	r.phases, r.dur = tm.result()
	if s.main == nil {
		s.main = r
	}
	if s.gen {
		s.genDur += r.dur
	} else {
		s.listDur += r.dur
	}
	return r
}

// readCapped reads a body of at most limit bytes.
func readCapped(resp *http.Response, limit int64) ([]byte, error) {
	if resp.ContentLength > limit {
		return nil, errBodyTooLarge
	}
	var buf bytes.Buffer
	if resp.ContentLength > 0 {
		buf.Grow(int(resp.ContentLength) + 1)
	} else {
		buf.Grow(4096)
	}
	n, err := buf.ReadFrom(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if n > limit {
		return buf.Bytes()[:limit], errBodyTooLarge
	}
	return buf.Bytes(), nil
}

// Auth schemes by flavour.
const (
	authBearer    = "bearer"
	authAnthropic = "x-api-key"
	authGemini    = "x-goog-api-key"
)

func authScheme(p *configs.Provider) string {
	if p.AuthHeader {
		return authBearer
	}
	switch p.Flavour {
	case configs.FlavourAnthropic:
		// An OAuth token (ANTHROPIC_OAUTH_TOKEN) is a bearer token, not an API key.
		if p.KeyEnv == "ANTHROPIC_OAUTH_TOKEN" || strings.HasPrefix(p.APIKey, "sk-ant-oat") {
			return authBearer
		}
		return authAnthropic
	case configs.FlavourGemini:
		return authGemini
	}
	return authBearer
}

// authorize sets the configured headers, then the key in the flavour's
// header. The key never goes into the URL.
func (s *session) authorize(req *http.Request) {
	h := req.Header
	h.Set("User-Agent", userAgent)
	h.Set("Accept", "application/json")
	for k, v := range s.prov.Headers {
		h.Set(k, v)
	}
	if s.flavour == configs.FlavourAnthropic && h.Get("anthropic-version") == "" {
		h.Set("anthropic-version", "2023-06-01")
	}
	if s.prov.APIKey == "" {
		return
	}
	switch authScheme(s.prov) {
	case authAnthropic:
		h.Set("x-api-key", s.prov.APIKey)
	case authGemini:
		h.Set("x-goog-api-key", s.prov.APIKey)
	default:
		h.Set("Authorization", "Bearer "+s.prov.APIKey)
	}
}

// hasCredentials reports whether requests will carry some credential: the
// key, or an auth header the config sets itself.
func hasCredentials(p *configs.Provider) bool {
	if p.APIKey != "" {
		return true
	}
	for k, v := range p.Headers {
		switch strings.ToLower(k) {
		case "authorization", "x-api-key", "x-goog-api-key", "api-key":
			if v != "" {
				return true
			}
		}
	}
	return false
}

// timing collects a request's phase times from httptrace hooks. Dials can
// finish on another goroutine after the request gave up, hence the lock.
type timing struct {
	now func() time.Time
	mu  sync.Mutex

	start, dnsStart, dnsDone, connStart, connDone time.Time
	tlsStart, tlsDone, gotConn, firstByte, end    time.Time
}

func (t *timing) mark(p *time.Time) {
	now := t.now()
	t.mu.Lock()
	if p.IsZero() {
		*p = now
	}
	t.mu.Unlock()
}

// markLast records the latest time (happy-eyeballs dials finish several times).
func (t *timing) markLast(p *time.Time) {
	now := t.now()
	t.mu.Lock()
	*p = now
	t.mu.Unlock()
}

func (t *timing) begin()  { t.mark(&t.start) }
func (t *timing) finish() { t.mark(&t.end) }

func (t *timing) trace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		DNSStart:             func(httptrace.DNSStartInfo) { t.mark(&t.dnsStart) },
		DNSDone:              func(httptrace.DNSDoneInfo) { t.markLast(&t.dnsDone) },
		ConnectStart:         func(string, string) { t.mark(&t.connStart) },
		ConnectDone:          func(string, string, error) { t.markLast(&t.connDone) },
		TLSHandshakeStart:    func() { t.mark(&t.tlsStart) },
		TLSHandshakeDone:     func(tls.ConnectionState, error) { t.markLast(&t.tlsDone) },
		GotConn:              func(httptrace.GotConnInfo) { t.mark(&t.gotConn) },
		GotFirstResponseByte: func() { t.mark(&t.firstByte) },
	}
}

func ms(d time.Duration) float64 {
	if d < 0 {
		return 0
	}
	return float64(d) / float64(time.Millisecond)
}

func span(a, b time.Time) float64 {
	if a.IsZero() || b.IsZero() {
		return 0
	}
	return ms(b.Sub(a))
}

// result turns the marks into phases; phases that did not happen (a reused
// connection, plain HTTP, an IP literal) are 0.
func (t *timing) result() (Phases, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	from := t.gotConn
	if from.IsZero() {
		from = t.start
	}
	ph := Phases{
		DNS:      span(t.dnsStart, t.dnsDone),
		Connect:  span(t.connStart, t.connDone),
		TLS:      span(t.tlsStart, t.tlsDone),
		TTFB:     span(from, t.firstByte),
		Transfer: span(t.firstByte, t.end),
	}
	return ph, t.end.Sub(t.start)
}

// endpoint joins base's path with p (which may carry a query).
func endpoint(base *url.URL, p string) string {
	u := *base
	path, query, _ := strings.Cut(p, "?")
	u.Path = strings.TrimRight(u.Path, "/") + path
	u.RawPath = ""
	u.RawQuery = query
	return u.String()
}

// isVersion reports a path segment like v1, v1beta, v2alpha.
func isVersion(seg string) bool {
	if len(seg) < 2 || seg[0] != 'v' || seg[1] < '0' || seg[1] > '9' {
		return false
	}
	for _, c := range seg[2:] {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// versioned is the base up to its version segment: the base itself when it
// ends in one, else the base plus def. Configs write base URLs both ways.
func versioned(base *url.URL, def string) *url.URL {
	u := *base
	u.Path = strings.TrimRight(u.Path, "/")
	if isVersion(u.Path[strings.LastIndexByte(u.Path, '/')+1:]) {
		return &u
	}
	u.Path += def
	return &u
}

// rooted is the base without a trailing version segment, where servers
// keep their non-OpenAI endpoints (/props, /model/info, /api/v0/models).
func rooted(base *url.URL) *url.URL {
	u := *base
	u.Path = strings.TrimRight(u.Path, "/")
	if i := strings.LastIndexByte(u.Path, '/'); i >= 0 && isVersion(u.Path[i+1:]) {
		u.Path = u.Path[:i]
	}
	return &u
}
