package ssmlite

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/provwatch/provwatch/internal/clock"
	"github.com/provwatch/provwatch/internal/redact"
)

// ErrNoCredentials is the error when no supported source gives credentials
// (or AWS_PROFILE names a profile, which only the full binary can read).
var ErrNoCredentials = errors.New("no AWS credentials for provwatch-follow")

// fullBinaryHint is what to do when the slim binary's sources are not
// enough: the full binary has the SDK's whole credential chain.
const fullBinaryHint = "provwatch-follow reads credentials from the environment, a web identity token (EKS), " +
	"the container credentials endpoint (ECS, EKS Pod Identity) or EC2 instance metadata (IMDSv2), " +
	"and no shared config or credentials file or SSO profile: set one of those sources, " +
	"or run `provwatch follow` (the full binary, with the AWS SDK's whole credential chain)"

// refreshAhead is how long before their expiry temporary credentials are
// replaced, as the SDK's credential cache does: a call signed just before
// the expiry must not reach AWS just after it.
const refreshAhead = 5 * time.Minute

// credentials is one set of AWS credentials. It never prints its secrets.
type credentials struct {
	AccessKeyID, SecretAccessKey, SessionToken string
	Expires                                    time.Time // zero: does not expire
}

func (credentials) String() string   { return "AWS credentials (not shown)" }
func (credentials) GoString() string { return "AWS credentials (not shown)" }

// issued is temporary credentials as a credential source answers them:
// the container agents' and IMDS's JSON, STS's XML.
type issued struct {
	AccessKeyID     string `json:"AccessKeyId" xml:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey" xml:"SecretAccessKey"`
	Token           string `json:"Token" xml:"SessionToken"`
	Expiration      string `json:"Expiration" xml:"Expiration"` // RFC 3339; empty: they do not expire
}

// credentials are the issued credentials; from names the source in an
// error.
func (i issued) credentials(from string) (credentials, error) {
	c := credentials{AccessKeyID: i.AccessKeyID, SecretAccessKey: i.SecretAccessKey, SessionToken: i.Token}
	if i.Expiration == "" {
		return c, nil
	}
	exp, err := time.Parse(time.RFC3339, i.Expiration)
	if err != nil {
		return credentials{}, fmt.Errorf("%s: the credentials' Expiration %q is not an RFC 3339 time", from, i.Expiration)
	}
	c.Expires = exp
	return c, nil
}

// addTo records the credential values for redaction.
func (c credentials) addTo(s *redact.Secrets) {
	s.Add(c.AccessKeyID)
	s.Add(c.SecretAccessKey)
	s.Add(c.SessionToken)
}

// source is one place credentials come from.
type source interface {
	// retrieve fetches credentials from the source.
	retrieve(ctx context.Context) (credentials, error)
	// describe names the source in errors, without any secret.
	describe() string
	// secrets records what the source holds that must not be shown (a
	// token it sends), beside the credentials themselves.
	secrets(s *redact.Secrets)
}

// credCache hands out the source's credentials, fetching them on first use
// and again shortly before they expire. Safe for concurrent use.
type credCache struct {
	src   source
	clock clock.Clock

	mu   sync.Mutex
	cur  credentials
	have bool
}

// get returns credentials valid now, fetching new ones when there are none
// or they expire within refreshAhead. When a refresh fails and the ones in
// hand have not expired yet they are used: a blip of the credential
// endpoint should not fail a read minutes before it matters.
func (c *credCache) get(ctx context.Context) (credentials, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.clock.Now()
	if c.have && (c.cur.Expires.IsZero() || now.Before(c.cur.Expires.Add(-refreshAhead))) {
		return c.cur, nil
	}
	fresh, err := c.src.retrieve(ctx)
	if err != nil {
		if c.have && !c.cur.Expires.IsZero() && now.Before(c.cur.Expires) {
			return c.cur, nil
		}
		return credentials{}, err
	}
	if fresh.AccessKeyID == "" || fresh.SecretAccessKey == "" {
		return credentials{}, fmt.Errorf("%s gave credentials without an access key id or secret access key", c.src.describe())
	}
	c.cur, c.have = fresh, true
	return fresh, nil
}

// invalidate drops the credentials in hand, so the next get fetches new
// ones (AWS said the session token expired).
func (c *credCache) invalidate() {
	c.mu.Lock()
	c.have = false
	c.mu.Unlock()
}

// redactor is every secret an error could echo: the credentials in hand
// and the source's own tokens. Built only when an error is being made, so
// nothing accumulates over a long run.
func (c *credCache) redactor() *redact.Secrets {
	s := &redact.Secrets{}
	c.mu.Lock()
	if c.have {
		c.cur.addTo(s)
	}
	c.mu.Unlock()
	c.src.secrets(s)
	return s
}

// staticSource is credentials given in the environment.
type staticSource struct{ c credentials }

func (s staticSource) retrieve(context.Context) (credentials, error) { return s.c, nil }
func (staticSource) describe() string                                { return "the environment (AWS_ACCESS_KEY_ID)" }
func (s staticSource) secrets(r *redact.Secrets)                     { s.c.addTo(r) }

// chooseSource picks the credential source as the SDK's default chain
// does for the sources ssmlite has, from the environment alone: the keys in
// the environment, then a web identity token, then (where the SDK would
// read a named profile) a refusal, then the container endpoint, then
// instance metadata. Like the SDK it picks one and does not fall through
// to the next when the one picked fails. awsHTTP is the client for AWS
// endpoints (STS, for a web identity).
func chooseSource(getenv func(string) string, o *options, awsHTTP *http.Client) (source, error) {
	id := firstEnv(getenv, "AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY")
	secret := firstEnv(getenv, "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY")
	switch {
	case id != "" && secret != "":
		return staticSource{credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: strings.TrimSpace(getenv("AWS_SESSION_TOKEN"))}}, nil
	case id != "":
		return nil, fmt.Errorf("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not: set both, or neither to use another credential source")
	case secret != "":
		return nil, fmt.Errorf("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not: set both, or neither to use another credential source")
	}
	if file := strings.TrimSpace(getenv("AWS_WEB_IDENTITY_TOKEN_FILE")); file != "" {
		return newWebIdentity(getenv, file, o, awsHTTP)
	}
	for _, name := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE"} {
		if p := strings.TrimSpace(getenv(name)); p != "" {
			return nil, fmt.Errorf("%w: %s=%s names a profile of the shared AWS config, which provwatch-follow does not read; %s",
				ErrNoCredentials, name, p, fullBinaryHint)
		}
	}
	if rel := strings.TrimSpace(getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")); rel != "" {
		if !strings.HasPrefix(rel, "/") {
			rel = "/" + rel
		}
		return newContainer(getenv, o.containerHost+rel, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", o)
	}
	if full := strings.TrimSpace(getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI")); full != "" {
		return newContainer(getenv, full, "AWS_CONTAINER_CREDENTIALS_FULL_URI", o)
	}
	disabled, err := boolEnv(getenv, "AWS_EC2_METADATA_DISABLED")
	if err != nil {
		return nil, err
	}
	if disabled {
		return nil, fmt.Errorf("%w: none in the environment, no web identity token, no container credentials, and instance metadata is off (AWS_EC2_METADATA_DISABLED=true)%s; %s",
			ErrNoCredentials, sharedFilesNote(getenv), fullBinaryHint)
	}
	return newIMDS(getenv, o)
}

func firstEnv(getenv func(string) string, names ...string) string {
	for _, n := range names {
		if v := strings.TrimSpace(getenv(n)); v != "" {
			return v
		}
	}
	return ""
}

// sharedFilesNote names the shared config and credentials files that exist,
// so a user who relies on them learns why they are not used.
func sharedFilesNote(getenv func(string) string) string {
	var found []string
	home := getenv("HOME")
	for _, f := range []struct{ env, rel string }{
		{"AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials"},
		{"AWS_CONFIG_FILE", ".aws/config"},
	} {
		path := strings.TrimSpace(getenv(f.env))
		if path == "" && home != "" {
			path = filepath.Join(home, f.rel)
		}
		if path == "" {
			continue
		}
		if _, err := os.Stat(path); err == nil {
			found = append(found, path)
		}
	}
	if len(found) == 0 {
		return ""
	}
	return " (" + strings.Join(found, " and ") + " exist but are not read)"
}
