package ssmlite

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/provwatch/provwatch/internal/clock"
	"github.com/provwatch/provwatch/internal/redact"
)

// webIdentitySource is EKS IAM Roles for Service Accounts: the projected
// service-account token in AWS_WEB_IDENTITY_TOKEN_FILE is exchanged for
// the role's credentials with STS AssumeRoleWithWebIdentity, a call that
// needs no signature. The file is read on each exchange: the kubelet
// rotates it.
type webIdentitySource struct {
	tokenFile, roleARN, session string
	url                         string // the regional STS endpoint
	hc                          *http.Client
	clock                       clock.Clock
}

func newWebIdentity(getenv func(string) string, file string, o *options, hc *http.Client) (source, error) {
	role := strings.TrimSpace(getenv("AWS_ROLE_ARN"))
	if role == "" {
		return nil, fmt.Errorf("AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not: set the ARN of the role to assume with the token")
	}
	region, err := region(getenv)
	if err != nil {
		return nil, err
	}
	u, err := endpoint(getenv, "sts", region)
	if err != nil {
		return nil, err
	}
	session := strings.TrimSpace(getenv("AWS_ROLE_SESSION_NAME"))
	if session == "" {
		// The SDK names the session by the time; the prefix says who asked
		// in CloudTrail.
		session = "provwatch-follow-" + strconv.FormatInt(o.clock.Now().UnixNano(), 10)
	}
	return &webIdentitySource{tokenFile: file, roleARN: role, session: session, url: u.String(), hc: hc, clock: o.clock}, nil
}

func (s *webIdentitySource) describe() string {
	return "web identity (role " + s.roleARN + " with the token in " + s.tokenFile + ", through STS at " + redact.URL(s.url) + ")"
}

func (s *webIdentitySource) secrets(r *redact.Secrets) {
	if tok, err := s.token(); err == nil {
		r.Add(tok)
	}
}

func (s *webIdentitySource) token() (string, error) {
	b, err := os.ReadFile(s.tokenFile)
	if err != nil {
		return "", fmt.Errorf("reading the web identity token (AWS_WEB_IDENTITY_TOKEN_FILE): %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("the web identity token file %s is empty", s.tokenFile)
	}
	return tok, nil
}

// stsAnswer is the part of the AssumeRoleWithWebIdentity answer used.
type stsAnswer struct {
	Credentials issued `xml:"AssumeRoleWithWebIdentityResult>Credentials"`
}

// stsErrorAnswer is STS's query-protocol error.
type stsErrorAnswer struct {
	Code    string `xml:"Error>Code"`
	Message string `xml:"Error>Message"`
}

// stsRetryable are the codes the SDK retries for this call, beside 5xx
// and throttling: the identity provider was briefly unreachable, or its
// keys not yet visible to STS.
var stsRetryable = map[string]bool{"IDPCommunicationError": true, "InvalidIdentityToken": true}

func (s *webIdentitySource) retrieve(ctx context.Context) (credentials, error) {
	tok, err := s.token()
	if err != nil {
		return credentials{}, err
	}
	form := url.Values{
		"Action":           {"AssumeRoleWithWebIdentity"},
		"Version":          {"2011-06-15"},
		"RoleArn":          {s.roleARN},
		"RoleSessionName":  {s.session},
		"WebIdentityToken": {tok},
	}
	body := form.Encode()
	sec := &redact.Secrets{}
	sec.Add(tok)
	return retrying(ctx, s.clock, maxAttempts, func() (credentials, bool, error) { return s.exchange(ctx, body, sec) })
}

func (s *webIdentitySource) exchange(ctx context.Context, body string, sec *redact.Secrets) (credentials, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, strings.NewReader(body))
	if err != nil {
		return credentials{}, false, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	resp, err := s.hc.Do(req)
	if err != nil {
		return credentials{}, ctx.Err() == nil, fmt.Errorf("%s: %w", s.describe(), bareTransportError(err))
	}
	defer resp.Body.Close()
	b, err := readLimited(resp.Body, maxCredBody)
	if err != nil {
		return credentials{}, false, fmt.Errorf("%s: reading the answer: %w", s.describe(), err)
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return credentials{}, false, fmt.Errorf("%s answered a redirect (%s), which is not followed", s.describe(), resp.Status)
	}
	if resp.StatusCode != http.StatusOK {
		var e stsErrorAnswer
		if xml.Unmarshal(b, &e) != nil || e.Code == "" {
			return credentials{}, resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests,
				fmt.Errorf("%s answered %s: %s", s.describe(), resp.Status, shortBody(b, sec))
		}
		retry := resp.StatusCode >= 500 || stsRetryable[e.Code] || throttlingCodes[e.Code]
		return credentials{}, retry, fmt.Errorf("%s: %s: %s%s", s.describe(), e.Code, cleanMessage(e.Message, sec), stsHint(e.Code))
	}
	var a stsAnswer
	if err := xml.Unmarshal(b, &a); err != nil {
		return credentials{}, false, fmt.Errorf("%s: the answer is not STS's XML (%v)", s.describe(), err)
	}
	c, err := a.Credentials.credentials(s.describe())
	return c, false, err
}

func stsHint(code string) string {
	switch code {
	case "AccessDenied":
		return " (check the role's trust policy: it must allow sts:AssumeRoleWithWebIdentity for this service account's OIDC subject)"
	case "InvalidIdentityToken":
		return " (check that the cluster's OIDC provider is registered in IAM)"
	case "ExpiredTokenException":
		return " (the token in the file expired: the kubelet rotates it; check that the projected volume is mounted)"
	}
	return ""
}
