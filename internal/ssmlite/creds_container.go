package ssmlite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/provwatch/provwatch/internal/clock"
	"github.com/provwatch/provwatch/internal/redact"
)

// ecsCredentialsHost is where AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
// points: the ECS agent's address in every task.
const ecsCredentialsHost = "http://169.254.170.2"

// The container endpoint is the ECS or EKS Pod Identity agent on the same
// host: it answers in milliseconds.
const (
	containerDial     = 2 * time.Second
	containerResponse = 5 * time.Second
	containerAttempts = 3
)

var (
	ecsIPv4 = net.IPv4(169, 254, 170, 2)
	eksIPv4 = net.IPv4(169, 254, 170, 23)
	eksIPv6 = net.ParseIP("fd00:ec2::23")
)

// containerIPAllowed is where the SDK lets container credentials go over
// plain http: loopback and the ECS and EKS Pod Identity agents.
func containerIPAllowed(ip net.IP) bool {
	return ip.IsLoopback() || ip.Equal(ecsIPv4) || ip.Equal(eksIPv4) || ip.Equal(eksIPv6)
}

// containerSource is the ECS task role or EKS Pod Identity: a GET to an
// agent on the host, with an authorization token when one is given.
type containerSource struct {
	url       string
	shown     string // the URL without user, query or fragment
	token     string // AWS_CONTAINER_AUTHORIZATION_TOKEN
	tokenFile string // AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, read on each fetch (EKS rotates it)
	hc        *http.Client
	clock     clock.Clock
}

// newContainer is the source for the endpoint raw, which the variable
// from names.
func newContainer(getenv func(string) string, raw, from string, o *options) (source, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return nil, fmt.Errorf("%s does not make a URL with a host: %s", from, redact.URL(raw))
	}
	var allow func(net.IP) bool
	switch u.Scheme {
	case "https":
	case "http":
		// Plain http only to the agents' addresses, as the SDK allows; a
		// host name is checked on each address it is dialled at.
		if ip := net.ParseIP(u.Hostname()); ip != nil && !containerIPAllowed(ip) {
			return nil, fmt.Errorf("%s=%s: container credentials over http go only to loopback, 169.254.170.2 (ECS) or 169.254.170.23 and fd00:ec2::23 (EKS Pod Identity); use https for any other host",
				from, redact.URL(raw))
		}
		allow = containerIPAllowed
	default:
		return nil, fmt.Errorf("%s=%s: not an http or https URL", from, redact.URL(raw))
	}
	s := &containerSource{
		url:       raw,
		shown:     redact.URL(raw),
		token:     strings.TrimSpace(getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN")),
		tokenFile: strings.TrimSpace(getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")),
		hc:        localHTTPClient(containerDial, containerResponse, allow),
		clock:     o.clock,
	}
	if s.tokenFile == "" && strings.ContainsAny(s.token, "\r\n") {
		return nil, fmt.Errorf("AWS_CONTAINER_AUTHORIZATION_TOKEN holds a line break: it cannot be sent as a header")
	}
	return s, nil
}

func (s *containerSource) describe() string {
	return "the container credentials endpoint " + s.shown
}

func (s *containerSource) secrets(r *redact.Secrets) {
	r.AddHeader(s.token)
	if tok, err := s.authToken(); err == nil {
		r.AddHeader(tok)
	}
}

// authToken is the Authorization header: the token file (read now, since
// the agent rotates it) wins over the variable, as in the SDK.
func (s *containerSource) authToken() (string, error) {
	if s.tokenFile == "" {
		return s.token, nil
	}
	b, err := os.ReadFile(s.tokenFile)
	if err != nil {
		return "", fmt.Errorf("reading the container authorization token (AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE): %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if strings.ContainsAny(tok, "\r\n") {
		return "", fmt.Errorf("the container authorization token in %s holds a line break: it cannot be sent as a header", s.tokenFile)
	}
	return tok, nil
}

func (s *containerSource) retrieve(ctx context.Context) (credentials, error) {
	tok, err := s.authToken()
	if err != nil {
		return credentials{}, err
	}
	return retrying(ctx, s.clock, containerAttempts, func() (credentials, bool, error) { return s.fetch(ctx, tok) })
}

// fetch is one GET; retry says whether another try may do better.
func (s *containerSource) fetch(ctx context.Context, tok string) (credentials, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return credentials{}, false, fmt.Errorf("%s: %w", s.describe(), err)
	}
	req.Header.Set("Accept", "application/json")
	if tok != "" {
		req.Header.Set("Authorization", tok)
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return credentials{}, ctx.Err() == nil, fmt.Errorf("%s: %w", s.describe(), bareTransportError(err))
	}
	defer resp.Body.Close()
	body, err := readLimited(resp.Body, maxCredBody)
	if err != nil {
		return credentials{}, false, fmt.Errorf("%s: reading the answer: %w", s.describe(), err)
	}
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return credentials{}, false, fmt.Errorf("%s answered a redirect (%s), which is not followed: credentials are fetched only from the configured host", s.describe(), resp.Status)
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return credentials{}, true, fmt.Errorf("%s answered %s: %s", s.describe(), resp.Status, shortBody(body, s.redactor(tok)))
	case resp.StatusCode >= 400:
		hint := ""
		if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
			hint = " (check AWS_CONTAINER_AUTHORIZATION_TOKEN or AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, which the task or pod gets from its agent)"
		}
		return credentials{}, false, fmt.Errorf("%s answered %s: %s%s", s.describe(), resp.Status, shortBody(body, s.redactor(tok)), hint)
	}
	var a issued
	if err := json.Unmarshal(body, &a); err != nil {
		return credentials{}, false, fmt.Errorf("%s: the answer is not the credentials JSON (%v)", s.describe(), err)
	}
	c, err := a.credentials(s.describe())
	return c, false, err
}

func (s *containerSource) redactor(tok string) *redact.Secrets {
	r := &redact.Secrets{}
	r.AddHeader(tok)
	r.AddHeader(s.token)
	return r
}

// bareTransportError drops the *url.Error wrapper, whose text repeats the
// whole URL (query included); the caller names the endpoint itself.
func bareTransportError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
