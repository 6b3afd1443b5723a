package ssmlite

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/provwatch/provwatch/internal/clock"
	"github.com/provwatch/provwatch/internal/redact"
)

// imdsHost is EC2 instance metadata; AWS_EC2_METADATA_SERVICE_ENDPOINT
// (or _MODE=IPv6) moves it, as for the SDK.
const (
	imdsHost     = "http://169.254.169.254"
	imdsHostIPv6 = "http://[fd00:ec2::254]"
)

// IMDS answers in a millisecond on an instance; off one, nothing answers
// at all, and a short bound keeps that answer quick.
const (
	imdsDial     = 1 * time.Second
	imdsResponse = 1 * time.Second
	imdsAttempts = 2
	imdsTokenTTL = "21600" // seconds: the session token is fetched anew for each refresh anyway
)

// imdsSource is the instance profile's role through IMDSv2: a PUT for a
// session token, then the role's name, then its credentials. IMDSv1 (a
// GET without the token) is never tried.
type imdsSource struct {
	base  string
	note  string // the shared files that exist and are not read
	hc    *http.Client
	clock clock.Clock
}

func newIMDS(getenv func(string) string, o *options) (source, error) {
	base := o.imdsEndpoint
	if base == "" {
		base = strings.TrimSpace(getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT"))
	}
	if base == "" {
		switch mode := strings.ToLower(strings.TrimSpace(getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE"))); mode {
		case "", "ipv4":
			base = imdsHost
		case "ipv6":
			base = imdsHostIPv6
		default:
			return nil, fmt.Errorf("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=%q: set it to IPv4 or IPv6", mode)
		}
	}
	return &imdsSource{
		base:  strings.TrimRight(base, "/"),
		note:  sharedFilesNote(getenv),
		hc:    localHTTPClient(imdsDial, imdsResponse, nil),
		clock: o.clock,
	}, nil
}

func (s *imdsSource) describe() string {
	return "EC2 instance metadata at " + redact.URL(s.base)
}

func (s *imdsSource) secrets(*redact.Secrets) {}

// imdsAnswer is the security-credentials document.
type imdsAnswer struct {
	Code    string `json:"Code"`
	Message string `json:"Message"`
	issued
}

func (s *imdsSource) retrieve(ctx context.Context) (credentials, error) {
	c, err := retrying(ctx, s.clock, imdsAttempts, func() (credentials, bool, error) { return s.fetch(ctx) })
	if err == nil {
		return c, nil
	}
	// Instance metadata is the last source: its failure is the chain's.
	return credentials{}, fmt.Errorf("%w: none in the environment, no web identity token, no container credentials, and %v%s; %s",
		ErrNoCredentials, err, s.note, fullBinaryHint)
}

func (s *imdsSource) fetch(ctx context.Context) (credentials, bool, error) {
	token, retry, err := s.call(ctx, http.MethodPut, "/latest/api/token", "X-Aws-Ec2-Metadata-Token-Ttl-Seconds", imdsTokenTTL)
	if err != nil {
		return credentials{}, retry, fmt.Errorf("%s: getting an IMDSv2 session token: %w", s.describe(), err)
	}
	token = strings.TrimSpace(token)
	list, retry, err := s.call(ctx, http.MethodGet, "/latest/meta-data/iam/security-credentials/", "X-Aws-Ec2-Metadata-Token", token)
	if err != nil {
		return credentials{}, retry, fmt.Errorf("%s: listing the instance's role: %w", s.describe(), err)
	}
	role, _, _ := strings.Cut(strings.TrimSpace(list), "\n")
	role = strings.TrimSpace(role)
	if role == "" || strings.ContainsAny(role, "/?#%") {
		return credentials{}, false, fmt.Errorf("%s: the instance has no IAM role (attach an instance profile whose role allows ssm:GetParameter)", s.describe())
	}
	doc, retry, err := s.call(ctx, http.MethodGet, "/latest/meta-data/iam/security-credentials/"+role, "X-Aws-Ec2-Metadata-Token", token)
	if err != nil {
		return credentials{}, retry, fmt.Errorf("%s: the credentials of role %s: %w", s.describe(), role, err)
	}
	var a imdsAnswer
	if err := json.Unmarshal([]byte(doc), &a); err != nil {
		return credentials{}, false, fmt.Errorf("%s: the credentials of role %s are not the JSON expected (%v)", s.describe(), role, err)
	}
	if a.Code != "" && a.Code != "Success" {
		return credentials{}, true, fmt.Errorf("%s: the credentials of role %s are not available: %s", s.describe(), role, a.Code)
	}
	c, err := a.credentials(s.describe())
	return c, false, err
}

// call makes one request with one header and returns the body of a 200.
func (s *imdsSource) call(ctx context.Context, method, path, header, value string) (string, bool, error) {
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, nil)
	if err != nil {
		return "", false, err
	}
	req.Header.Set(header, value)
	resp, err := s.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return "", false, bareTransportError(err)
		}
		return "", true, fmt.Errorf("no answer (%v): not on EC2, or in a container on an instance whose metadata hop limit is 1 (set it to 2, or give the container credentials of its own)", bareTransportError(err))
	}
	defer resp.Body.Close()
	body, err := readLimited(resp.Body, maxCredBody)
	if err != nil {
		return "", false, fmt.Errorf("reading the answer: %w", err)
	}
	sec := &redact.Secrets{}
	if header == "X-Aws-Ec2-Metadata-Token" {
		sec.Add(value)
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		return string(body), false, nil
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return "", false, fmt.Errorf("answered a redirect (%s), which is not followed", resp.Status)
	case resp.StatusCode == http.StatusNotFound && strings.HasSuffix(path, "/security-credentials/"):
		return "", false, fmt.Errorf("the instance has no IAM role (attach an instance profile whose role allows ssm:GetParameter)")
	case method == http.MethodPut && (resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed):
		return "", false, fmt.Errorf("answered %s: instance metadata is off or refuses IMDSv2 sessions, and provwatch-follow speaks IMDSv2 only", resp.Status)
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return "", true, fmt.Errorf("answered %s: %s", resp.Status, shortBody(body, sec))
	default:
		return "", false, fmt.Errorf("answered %s: %s", resp.Status, shortBody(body, sec))
	}
}
