package ssmlite

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/provwatch/provwatch/internal/clock"
	"github.com/provwatch/provwatch/internal/redact"
	"github.com/provwatch/provwatch/internal/text"
)

// Bounds limit every call. The defaults are internal/awsclient's (which
// links the SDK, so they are repeated here; a test keeps them equal): AWS
// answers a GetParameter in tens of milliseconds, and these leave room for
// a slow network and retries while still ending a stuck call well inside
// one follow period's backoff.
type Bounds struct {
	Dial     time.Duration // TCP connect
	TLS      time.Duration // TLS handshake
	Response time.Duration // request sent → response headers; also the longest silence while reading a body
	Call     time.Duration // one Get, every retry and the credential fetch included
}

// DefaultBounds are the bounds a Client has unless WithBounds says else.
var DefaultBounds = Bounds{Dial: 5 * time.Second, TLS: 5 * time.Second, Response: 10 * time.Second, Call: 30 * time.Second}

const (
	// maxBody bounds an SSM answer: a value is at most 8 KB, so a larger
	// answer is not SSM's.
	maxBody = 1 << 20
	// maxCredBody bounds a credential endpoint's answer (a few hundred
	// bytes of JSON or XML).
	maxCredBody = 64 << 10
	// maxAttempts bounds the tries of one call, the first included.
	maxAttempts = 4
	// backoffBase and backoffCap shape the wait before a retry: the base
	// doubles with each retry, capped, and the wait is drawn from its upper
	// half, so followers throttled together do not retry in step.
	backoffBase = 500 * time.Millisecond
	backoffCap  = 5 * time.Second
)

// backoff is the wait before try number attempt+1 (attempt ≥ 1).
func backoff(attempt int) time.Duration {
	d := backoffBase << (attempt - 1)
	if d > backoffCap || d <= 0 {
		d = backoffCap
	}
	return d/2 + rand.N(d/2)
}

// retrying calls try up to attempts times, waiting backoff between tries,
// while it fails and says another try may do better. It returns the first
// success, or the last failure (with the cancellation that cut a wait).
func retrying(ctx context.Context, clk clock.Clock, attempts int, try func() (credentials, bool, error)) (credentials, error) {
	var last error
	for attempt := 1; attempt <= attempts; attempt++ {
		if attempt > 1 {
			if err := clk.Sleep(ctx, backoff(attempt-1)); err != nil {
				return credentials{}, fmt.Errorf("%w (then %v)", last, err)
			}
		}
		c, retry, err := try()
		if err == nil {
			return c, nil
		}
		last = err
		if !retry {
			break
		}
	}
	return credentials{}, last
}

// noRedirects keeps every request on the host it was signed for: a
// redirect would carry the signature, the session token or a container
// authorization token to a host nobody configured.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// awsHTTPClient is the client for AWS endpoints (SSM, STS): the proxy from
// the environment and AWS_CA_BUNDLE, as the SDK honours them.
func awsHTTPClient(getenv func(string) string, b Bounds) (*http.Client, error) {
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: b.Dial, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   b.TLS,
		ResponseHeaderTimeout: b.Response,
		MaxIdleConns:          4,
		IdleConnTimeout:       90 * time.Second,
	}
	if path := strings.TrimSpace(getenv("AWS_CA_BUNDLE")); path != "" {
		pem, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("AWS_CA_BUNDLE: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("AWS_CA_BUNDLE=%s holds no PEM certificate", path)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr, CheckRedirect: noRedirects}, nil
}

// localHTTPClient is the client for a credential endpoint on the instance
// or the task (IMDS, the ECS agent, the EKS Pod Identity agent): never
// through a proxy, with short bounds, and, when allow is set, only to the
// addresses it accepts, checked on the address actually dialled (a host
// name cannot resolve somewhere else between the check and the connect).
func localHTTPClient(dial, response time.Duration, allow func(net.IP) bool) *http.Client {
	d := &net.Dialer{Timeout: dial}
	if allow != nil {
		d.Control = func(network, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip := net.ParseIP(host); ip == nil || !allow(ip) {
				return fmt.Errorf("%s is not a loopback, ECS or EKS Pod Identity address: container credentials over http go to those only", host)
			}
			return nil
		}
	}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           d.DialContext,
			TLSHandshakeTimeout:   dial,
			ResponseHeaderTimeout: response,
			MaxIdleConns:          1,
			IdleConnTimeout:       30 * time.Second,
		},
		CheckRedirect: noRedirects,
		Timeout:       dial + response + response, // a body that trickles
	}
}

// errTooLarge is an answer past its limit.
var errTooLarge = errors.New("answer too large")

// readLimited reads at most limit bytes of r, and errTooLarge past that.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w (more than %d bytes)", errTooLarge, limit)
	}
	return b, nil
}

// silenceReader cancels the attempt when no byte of the body arrives for
// the bound: a server that sends headers and then stalls must not hold the
// call until its deadline.
type silenceReader struct {
	r     io.Reader
	timer *time.Timer
	d     time.Duration
}

func (s *silenceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if n > 0 {
		s.timer.Reset(s.d)
	}
	return n, err
}

// credWords are the field names of the answers that carry credentials: a
// body naming one is never quoted, whatever its status.
var credWords = []string{"secretaccesskey", "sessiontoken", "\"token\"", "<token>", "accesskeyid"}

// maxShownBody bounds the excerpt of an error body shortBody quotes, in
// characters.
const maxShownBody = 120

// shortBody is at most a short, redacted, printable excerpt of an error
// body, for an error message; a body that names a credential field is not
// shown at all.
func shortBody(b []byte, sec *redact.Secrets) string {
	lower := strings.ToLower(string(b))
	for _, w := range credWords {
		if strings.Contains(lower, w) {
			return "(body not shown: it names credentials)"
		}
	}
	s := sec.String(string(b))
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == utf8.RuneError || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	s = text.Truncate(strings.Join(strings.Fields(s), " "), maxShownBody)
	if s == "" {
		return "(empty body)"
	}
	return fmt.Sprintf("%q", s)
}

// withTimeout is context.WithTimeout (an earlier deadline of ctx still
// wins), where d ≤ 0 means no bound of its own.
func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}
