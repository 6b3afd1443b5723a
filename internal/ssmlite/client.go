// Package ssmlite reads one SSM parameter with a hand-signed request and
// the standard library alone. provwatch-follow, which runs in every
// gateway container and must stay small, reads the published order with it
// instead of linking the AWS SDK, whose service clients and their tables
// are most of the full binary's memory.
//
// It does what the SDK would for a GetParameter: the region and endpoint
// from the environment, AWS Signature Version 4, retries of throttling and
// server errors with jittered backoff, every call bounded, and credentials
// from the environment, a web identity token (EKS IRSA), the container
// endpoint (ECS, EKS Pod Identity) or IMDSv2, cached and refreshed before
// they expire. It does not read the shared config or credentials files:
// docs/follow.md says what to do then.
package ssmlite

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/provwatch/provwatch/internal/clock"
	"github.com/provwatch/provwatch/internal/redact"
	"github.com/provwatch/provwatch/internal/ssmparam"
)

// Client reads parameters: an ssmparam.Getter, with no way to write one
// (the slim follower never writes SSM). Safe for concurrent use.
type Client struct {
	region string
	url    string // the endpoint, as requests go to it
	host   string // the Host header the signature covers
	hc     *http.Client
	creds  *credCache
	clock  clock.Clock
	bounds Bounds
}

var _ ssmparam.Getter = (*Client)(nil)

// Option changes a Client; tests use them to reach loopback servers and a
// fake clock.
type Option func(*options)

type options struct {
	transport     http.RoundTripper
	clock         clock.Clock
	bounds        Bounds
	containerHost string
	imdsEndpoint  string
}

// WithTransport sends SSM and STS requests through rt instead of a
// transport built from the bounds. Redirects are still never followed.
func WithTransport(rt http.RoundTripper) Option { return func(o *options) { o.transport = rt } }

// WithClock sets the clock that signs requests, ages credentials and waits
// between retries.
func WithClock(c clock.Clock) Option { return func(o *options) { o.clock = c } }

// WithBounds replaces DefaultBounds.
func WithBounds(b Bounds) Option { return func(o *options) { o.bounds = b } }

// WithContainerHost replaces http://169.254.170.2, the host that
// AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is a path on.
func WithContainerHost(base string) Option { return func(o *options) { o.containerHost = base } }

// WithIMDSEndpoint replaces the instance metadata address
// (http://169.254.169.254, or AWS_EC2_METADATA_SERVICE_ENDPOINT).
func WithIMDSEndpoint(base string) Option { return func(o *options) { o.imdsEndpoint = base } }

// New builds a client from the environment, read through getenv (os.Getenv
// in a program). It checks the settings and picks the credential source
// but makes no request: the first Get fetches credentials.
func New(getenv func(string) string, opts ...Option) (*Client, error) {
	o := &options{clock: clock.Real{}, bounds: DefaultBounds, containerHost: ecsCredentialsHost}
	for _, opt := range opts {
		opt(o)
	}
	region, err := region(getenv)
	if err != nil {
		return nil, err
	}
	ep, err := endpoint(getenv, "ssm", region)
	if err != nil {
		return nil, err
	}
	hc, err := awsHTTPClient(getenv, o.bounds)
	if err != nil {
		return nil, err
	}
	if o.transport != nil {
		hc.Transport = o.transport
	}
	src, err := chooseSource(getenv, o, hc)
	if err != nil {
		return nil, err
	}
	return &Client{
		region: region,
		url:    ep.String(),
		host:   hostHeader(ep),
		hc:     hc,
		creds:  &credCache{src: src, clock: o.clock},
		clock:  o.clock,
		bounds: o.bounds,
	}, nil
}

// Endpoint is the SSM endpoint the client calls.
func (c *Client) Endpoint() string { return redact.URL(c.url) }

// getParameterAnswer is the part of GetParameter's answer used.
type getParameterAnswer struct {
	Parameter *struct {
		Value   *string `json:"Value"`
		Version int64   `json:"Version"`
		Type    string  `json:"Type"`
	} `json:"Parameter"`
}

// Get reads a parameter with decryption. A missing parameter is an error
// that wraps ssmparam.ErrNotFound; an AWS error answer is an *APIError.
// Throttling, server errors and broken connections are retried (at most
// maxAttempts tries); an expired session token makes it fetch credentials
// once more. The whole call, credentials included, is bounded by
// Bounds.Call.
func (c *Client) Get(ctx context.Context, name string) (ssmparam.Parameter, error) {
	if name == "" {
		return ssmparam.Parameter{}, errors.New("ssm GetParameter: no parameter name")
	}
	ctx, cancel := withTimeout(ctx, c.bounds.Call)
	defer cancel()
	body, err := json.Marshal(struct {
		Name           string
		WithDecryption bool
	}{name, true})
	if err != nil {
		return ssmparam.Parameter{}, err
	}
	refreshed := false
	var last error
	for attempt := 1; ; attempt++ {
		cr, err := c.creds.get(ctx)
		if err != nil {
			return ssmparam.Parameter{}, fmt.Errorf("ssm GetParameter %s: %w", name, c.quiet(err))
		}
		p, err := c.once(ctx, name, body, cr)
		if err == nil {
			return p, nil
		}
		var apiErr *APIError
		retry := false
		switch {
		case errors.As(err, &apiErr) && apiErr.Code == "ExpiredTokenException" && !refreshed:
			// The credentials expired before the cache thought so (a
			// clock off, a token revoked): fetch new ones and try again,
			// once; this try does not count.
			refreshed = true
			c.creds.invalidate()
			attempt--
			last = err
			continue
		case errors.As(err, &apiErr):
			retry = apiErr.retryable()
		case errors.Is(err, errTransport):
			retry = ctx.Err() == nil
		}
		last = err
		if !retry || attempt >= maxAttempts {
			break
		}
		if err := c.clock.Sleep(ctx, backoff(attempt)); err != nil {
			break
		}
	}
	if ctx.Err() != nil && !errors.Is(last, ctx.Err()) {
		last = fmt.Errorf("%w (%w)", last, ctx.Err())
	}
	return ssmparam.Parameter{}, last
}

// errTransport marks an attempt that got no complete answer.
var errTransport = errors.New("no answer")

// once is one signed attempt.
func (c *Client) once(ctx context.Context, name string, body []byte, cr credentials) (ssmparam.Parameter, error) {
	actx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := c.newRequest(actx, body, cr)
	if err != nil {
		return ssmparam.Parameter{}, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return ssmparam.Parameter{}, c.transportError(name, ctx, err)
	}
	defer resp.Body.Close()
	timer := time.AfterFunc(c.bounds.Response, cancel)
	defer timer.Stop()
	b, err := readLimited(&silenceReader{r: resp.Body, timer: timer, d: c.bounds.Response}, maxBody)
	if errors.Is(err, errTooLarge) {
		return ssmparam.Parameter{}, fmt.Errorf("ssm GetParameter %s: the answer from %s is %w: not SSM's (a value is at most 8 KB): check AWS_ENDPOINT_URL and any proxy",
			name, c.Endpoint(), err)
	}
	if err != nil {
		if actx.Err() != nil && ctx.Err() == nil {
			err = fmt.Errorf("the answer stalled for more than %s", c.bounds.Response)
		}
		return ssmparam.Parameter{}, c.transportError(name, ctx, err)
	}
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		where := "another location"
		if loc, err := resp.Location(); err == nil {
			where = loc.Scheme + "://" + loc.Host
		}
		return ssmparam.Parameter{}, fmt.Errorf("ssm GetParameter %s: %s answered a redirect (%s) to %s, which is not followed: a signed request goes only to the configured endpoint (check AWS_ENDPOINT_URL and any proxy)",
			name, c.Endpoint(), resp.Status, where)
	case resp.StatusCode != http.StatusOK:
		return ssmparam.Parameter{}, parseAPIError(name, c.region, resp.StatusCode, resp.Header, b, c.creds.redactor())
	}
	var a getParameterAnswer
	if err := json.Unmarshal(b, &a); err != nil {
		// The body is not quoted: it may hold a decrypted SecureString.
		return ssmparam.Parameter{}, fmt.Errorf("ssm GetParameter %s: the answer from %s is not GetParameter's JSON (%v): check AWS_ENDPOINT_URL and any proxy",
			name, c.Endpoint(), err)
	}
	if a.Parameter == nil || a.Parameter.Value == nil {
		return ssmparam.Parameter{}, fmt.Errorf("ssm GetParameter %s: the answer from %s has no Parameter.Value: check AWS_ENDPOINT_URL and any proxy", name, c.Endpoint())
	}
	return ssmparam.Parameter{Value: *a.Parameter.Value, Version: a.Parameter.Version, Type: a.Parameter.Type}, nil
}

// newRequest is a signed GetParameter request.
func (c *Client) newRequest(ctx context.Context, body []byte, cr credentials) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Host = c.host
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AmazonSSM.GetParameter")
	req.Header.Set("User-Agent", "provwatch-ssmlite")
	sign(req, body, cr, c.region, "ssm", c.clock.Now())
	return req, nil
}

// transportError says that an attempt got no answer, without the URL's
// repetition or anything the request carried.
func (c *Client) transportError(name string, ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("ssm GetParameter %s: no answer from %s within the call's deadline: %w", name, c.Endpoint(), ctx.Err())
	}
	return fmt.Errorf("ssm GetParameter %s: %w from %s: %v", name, errTransport, c.Endpoint(), bareTransportError(err))
}

// quiet redacts a credential error's text once more, in case a source let
// through something it holds.
func (c *Client) quiet(err error) error {
	return redactedError{err: err, text: c.creds.redactor().String(err.Error())}
}

// redactedError is err with its text redacted; errors.Is still sees err.
type redactedError struct {
	err  error
	text string
}

func (e redactedError) Error() string { return e.text }
func (e redactedError) Unwrap() error { return e.err }
