package ssmlite_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/provwatch/provwatch/internal/awstest"
	"github.com/provwatch/provwatch/internal/clock"
	"github.com/provwatch/provwatch/internal/ssmlite"
	"github.com/provwatch/provwatch/internal/ssmparam"
)

const (
	containerToken = "container-authorization-token-0001"
	roleName       = "gateway-follow"
)

// baseEnv is an environment without keys, pointed at the fake SSM.
func baseEnv(ssm *fakeSSM) map[string]string {
	return map[string]string{"AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL_SSM": ssm.URL}
}

// fakeContainer is the ECS or EKS Pod Identity agent: it hands out the
// minter's credentials to a GET carrying the expected Authorization.
type fakeContainer struct {
	URL  string
	m    *minter
	path string

	mu     sync.Mutex
	token  string // the Authorization expected; "" for none
	status int    // when not 0, the answer instead of credentials
	body   string
	auths  []string
}

func newFakeContainer(t *testing.T, m *minter, path, token string) *fakeContainer {
	t.Helper()
	f := &fakeContainer{m: m, path: path, token: token}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

func (f *fakeContainer) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.auths = append(f.auths, r.Header.Get("Authorization"))
	token, status, body := f.token, f.status, f.body
	f.mu.Unlock()
	if r.Method != http.MethodGet || r.URL.Path != f.path {
		http.NotFound(w, r)
		return
	}
	if r.Header.Get("Authorization") != token {
		w.WriteHeader(http.StatusUnauthorized)
		_ = json.NewEncoder(w).Encode(map[string]string{"code": "AccessDenied", "message": "Authorization " + r.Header.Get("Authorization") + " is not valid"})
		return
	}
	if status != 0 {
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
		return
	}
	c := f.m.mint()
	_ = json.NewEncoder(w).Encode(map[string]string{
		"AccessKeyId": c.KeyID, "SecretAccessKey": c.Secret, "Token": c.Token,
		"Expiration": c.Expires.Format(time.RFC3339), "RoleArn": "arn:aws:iam::123456789012:role/" + roleName,
	})
}

func (f *fakeContainer) set(fn func(f *fakeContainer)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeContainer) authorizations() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.auths...)
}

func lastKey(t *testing.T, s *fakeSSM) string {
	t.Helper()
	r := s.requests()
	if len(r) == 0 {
		t.Fatal("SSM saw no signed request")
	}
	return r[len(r)-1].KeyID
}

// mintingSSM is a fake SSM holding the order parameter, a fake clock, and
// a minter of temporary credentials that live ttl on that clock.
func mintingSSM(t *testing.T, ttl time.Duration) (*fakeSSM, *clock.Fake, *minter) {
	t.Helper()
	ssm := newFakeSSM(t)
	ssm.put(orderParam, ssmparam.Parameter{Value: "v", Version: 1, Type: ssmparam.TypeString})
	fc := clock.NewFake(t0)
	return ssm, fc, &minter{ssm: ssm, clock: fc, ttl: ttl}
}

func readOrder(t *testing.T, c *ssmlite.Client) {
	t.Helper()
	if _, err := c.Get(context.Background(), orderParam); err != nil {
		t.Fatalf("Get: %v", err)
	}
}

func TestContainerRelativeURI(t *testing.T) {
	t.Parallel()
	ssm, fc, m := mintingSSM(t, time.Hour)
	agent := newFakeContainer(t, m, "/v2/credentials/6f1c2c4e-task", containerToken)

	env := baseEnv(ssm)
	env["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = "/v2/credentials/6f1c2c4e-task"
	env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = containerToken
	c := mustNew(t, env, ssmlite.WithClock(fc), ssmlite.WithContainerHost(agent.URL))
	readOrder(t, c)
	if got := lastKey(t, ssm); got != "ASIAMINTED0000000001" {
		t.Errorf("signed with %s, want the container's credentials", got)
	}
	if r := ssm.requests(); r[0].Token == "" {
		t.Error("no session token sent with temporary credentials")
	}
}

// TestContainerRefreshAhead: temporary credentials are used until five
// minutes before they expire, then fetched anew; a rotated token file is
// read at each fetch.
func TestContainerRefreshAhead(t *testing.T) {
	t.Parallel()
	ssm, fc, m := mintingSSM(t, time.Hour)
	agent := newFakeContainer(t, m, "/v1/credentials", "pod-identity-token-1")
	tokenFile := filepath.Join(t.TempDir(), "eks-pod-identity-token")
	if err := os.WriteFile(tokenFile, []byte("pod-identity-token-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	env := baseEnv(ssm)
	env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = agent.URL + "/v1/credentials"
	env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = tokenFile
	env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "the-file-wins-over-this"
	c := mustNew(t, env, ssmlite.WithClock(fc))
	readOrder(t, c)
	fc.Advance(54 * time.Minute)
	readOrder(t, c)
	if m.count() != 1 || lastKey(t, ssm) != "ASIAMINTED0000000001" {
		t.Fatalf("at 54 min: %d fetches, signed with %s; want the first credentials still", m.count(), lastKey(t, ssm))
	}

	// The agent rotates the token; the file follows.
	agent.set(func(f *fakeContainer) { f.token = "pod-identity-token-2" })
	if err := os.WriteFile(tokenFile, []byte("pod-identity-token-2"), 0o600); err != nil {
		t.Fatal(err)
	}
	fc.Advance(2 * time.Minute) // 4 minutes before the expiry
	readOrder(t, c)
	if m.count() != 2 || lastKey(t, ssm) != "ASIAMINTED0000000002" {
		t.Fatalf("at 56 min: %d fetches, signed with %s; want fresh credentials", m.count(), lastKey(t, ssm))
	}
	if a := agent.authorizations(); len(a) != 2 || a[0] != "pod-identity-token-1" || a[1] != "pod-identity-token-2" {
		t.Errorf("Authorization headers %q, want each fetch to send the file's token then", a)
	}
}

// TestContainerRefreshFailure: when a refresh fails, the credentials in
// hand serve until they actually expire; then the error names the
// endpoint and its answer, and no secret.
func TestContainerRefreshFailure(t *testing.T) {
	t.Parallel()
	ssm, fc, m := mintingSSM(t, time.Hour)
	agent := newFakeContainer(t, m, "/creds", containerToken)
	env := baseEnv(ssm)
	env["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = "/creds"
	env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = containerToken
	c := mustNew(t, env, ssmlite.WithClock(fc), ssmlite.WithContainerHost(agent.URL))
	readOrder(t, c)
	agent.set(func(f *fakeContainer) {
		f.status, f.body = 500, `{"code":"InternalError","message":"agent restarting, token `+containerToken+`"}`
	})
	fc.Advance(57 * time.Minute)
	readOrder(t, c)
	if lastKey(t, ssm) != "ASIAMINTED0000000001" {
		t.Errorf("signed with %s, want the credentials still valid", lastKey(t, ssm))
	}
	fc.Advance(4 * time.Minute) // past the expiry
	_, err := c.Get(context.Background(), orderParam)
	if err == nil || !strings.Contains(err.Error(), "the container credentials endpoint "+agent.URL+"/creds answered 500") {
		t.Fatalf("err = %v, want the endpoint and its status", err)
	}
	if !strings.Contains(err.Error(), "agent restarting, token [redacted]") {
		t.Errorf("err = %v, want the body quoted, redacted", err)
	}
	ssm.noSecrets(t, err, containerToken)
}

// TestExpiredTokenFetchesNewCredentials: when SSM says the session token
// expired before its time, the client fetches credentials once more and
// tries again.
func TestExpiredTokenFetchesNewCredentials(t *testing.T) {
	t.Parallel()
	ssm, fc, m := mintingSSM(t, 6*time.Hour)
	agent := newFakeContainer(t, m, "/creds", "")
	env := baseEnv(ssm)
	env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = agent.URL + "/creds"
	c := mustNew(t, env, ssmlite.WithClock(fc))
	readOrder(t, c)
	ssm.expire("ASIAMINTED0000000001") // revoked, hours before its Expiration
	readOrder(t, c)
	if m.count() != 2 || lastKey(t, ssm) != "ASIAMINTED0000000002" {
		t.Errorf("%d fetches, signed with %s; want one refresh", m.count(), lastKey(t, ssm))
	}
}

// TestContainerErrors: what the agent refuses is named with what to check,
// and neither its token nor credentials show.
func TestContainerErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		token   string // sent by the client
		status  int
		body    string
		want    []string
		fetches int
	}{
		{name: "wrong token", token: "stale-token-0000", want: []string{"answered 401 Unauthorized", "is not valid", "check AWS_CONTAINER_AUTHORIZATION_TOKEN"}, fetches: 1},
		{name: "credentials in an error body", token: containerToken, status: 500, body: `{"AccessKeyId":"ASIALEAK","SecretAccessKey":"leaked/secret/value"}`, want: []string{"answered 500", "body not shown"}, fetches: 3},
		{name: "not JSON", token: containerToken, status: 0, body: "", want: nil, fetches: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ssm := newFakeSSM(t)
			fc := clock.NewFake(t0)
			m := &minter{ssm: ssm, clock: fc, ttl: time.Hour}
			agent := newFakeContainer(t, m, "/creds", containerToken)
			agent.set(func(f *fakeContainer) { f.status, f.body = tc.status, tc.body })
			if tc.name == "not JSON" {
				agent.set(func(f *fakeContainer) { f.status, f.body = 200, "<html>"+containerToken+"</html>" })
				tc.want = []string{"not the credentials JSON"}
			}
			env := baseEnv(ssm)
			env["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = "/creds"
			env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = tc.token
			c := mustNew(t, env, ssmlite.WithClock(fc), ssmlite.WithContainerHost(agent.URL))
			_, err := c.Get(context.Background(), orderParam)
			if err == nil {
				t.Fatal("Get succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q: %v", w, err)
				}
			}
			if n := len(agent.authorizations()); n != tc.fetches {
				t.Errorf("%d fetches, want %d", n, tc.fetches)
			}
			if ssm.count() != 0 {
				t.Errorf("SSM saw %d requests without credentials", ssm.count())
			}
			ssm.noSecrets(t, err, containerToken, tc.token, "ASIALEAK", "leaked/secret/value")
		})
	}
}

// TestContainerFullURIAddresses: over http, container credentials go only
// to loopback and the ECS and EKS agents' addresses, as the SDK allows.
func TestContainerFullURIAddresses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		uri, wantErr string
	}{
		{"http://169.254.170.2/v2/credentials/x", ""},
		{"http://169.254.170.23/v1/credentials", ""},
		{"http://[fd00:ec2::23]/v1/credentials", ""},
		{"http://127.0.0.1:51679/creds", ""},
		{"https://credentials.example.test/role", ""},
		{"http://10.0.0.12/creds", "go only to loopback"},
		{"http://169.254.169.254/creds", "go only to loopback"},
		{"ftp://127.0.0.1/creds", "not an http or https URL"},
		{"http://user:hunter22@10.0.0.12/creds?token=abcdefgh", "go only to loopback"},
	} {
		env := map[string]string{"AWS_REGION": "us-east-1", "AWS_CONTAINER_CREDENTIALS_FULL_URI": tc.uri}
		_, err := ssmlite.New(envFunc(t, env))
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tc.uri, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: err = %v, want %q", tc.uri, err, tc.wantErr)
		case err != nil && (strings.Contains(err.Error(), "hunter22") || strings.Contains(err.Error(), "abcdefgh")):
			t.Errorf("%s: the error shows the URL's credentials: %v", tc.uri, err)
		}
	}
}

// TestContainerHostNameCheckedWhenDialled: a host name is allowed by the
// address it is dialled at: localhost is loopback.
func TestContainerHostNameCheckedWhenDialled(t *testing.T) {
	t.Parallel()
	ssm := newFakeSSM(t)
	ssm.put(orderParam, ssmparam.Parameter{Value: "v", Version: 1, Type: ssmparam.TypeString})
	fc := clock.NewFake(t0)
	agent := newFakeContainer(t, &minter{ssm: ssm, clock: fc, ttl: time.Hour}, "/creds", "")
	u, _ := url.Parse(agent.URL)
	env := baseEnv(ssm)
	env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://localhost:" + u.Port() + "/creds"
	c := mustNew(t, env, ssmlite.WithClock(fc))
	readOrder(t, c)
}

// fakeIMDS is EC2 instance metadata, IMDSv2: a GET without a session
// token is refused and counted.
type fakeIMDS struct {
	URL string
	m   *minter

	mu        sync.Mutex
	refusePUT bool
	noRole    bool
	v1        int // requests without a token
	puts      int
}

const imdsSessionToken = "AQAEAimds-session-token-0001=="

func newFakeIMDS(t *testing.T, m *minter) *fakeIMDS {
	t.Helper()
	f := &fakeIMDS{m: m}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

func (f *fakeIMDS) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Method == http.MethodPut && r.URL.Path == "/latest/api/token" {
		f.puts++
		if f.refusePUT {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		if r.Header.Get("X-Aws-Ec2-Metadata-Token-Ttl-Seconds") == "" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		_, _ = w.Write([]byte(imdsSessionToken))
		return
	}
	if r.Header.Get("X-Aws-Ec2-Metadata-Token") != imdsSessionToken {
		f.v1++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	switch r.URL.Path {
	case "/latest/meta-data/iam/security-credentials/":
		if f.noRole {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(roleName))
	case "/latest/meta-data/iam/security-credentials/" + roleName:
		c := f.m.mint()
		_ = json.NewEncoder(w).Encode(map[string]string{
			"Code": "Success", "LastUpdated": t0.Format(time.RFC3339), "Type": "AWS-HMAC",
			"AccessKeyId": c.KeyID, "SecretAccessKey": c.Secret, "Token": c.Token, "Expiration": c.Expires.Format(time.RFC3339),
		})
	default:
		http.NotFound(w, r)
	}
}

func TestIMDSv2(t *testing.T) {
	t.Parallel()
	ssm, fc, m := mintingSSM(t, 6*time.Hour)
	imds := newFakeIMDS(t, m)
	c := mustNew(t, baseEnv(ssm), ssmlite.WithClock(fc), ssmlite.WithIMDSEndpoint(imds.URL))
	readOrder(t, c)
	fc.Advance(5*time.Hour + 56*time.Minute)
	readOrder(t, c)
	if got := lastKey(t, ssm); got != "ASIAMINTED0000000002" || m.count() != 2 {
		t.Errorf("signed with %s after %d fetches, want the second instance credentials", got, m.count())
	}
	imds.mu.Lock()
	defer imds.mu.Unlock()
	if imds.v1 != 0 || imds.puts != 2 {
		t.Errorf("%d requests without a session token, %d token PUTs; want 0 and one per fetch", imds.v1, imds.puts)
	}
}

func TestIMDSFailures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		set  func(f *fakeIMDS)
		want string
	}{
		{"token refused", func(f *fakeIMDS) { f.refusePUT = true }, "provwatch-follow speaks IMDSv2 only"},
		{"no role", func(f *fakeIMDS) { f.noRole = true }, "the instance has no IAM role"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ssm := newFakeSSM(t)
			fc := clock.NewFake(t0)
			imds := newFakeIMDS(t, &minter{ssm: ssm, clock: fc, ttl: time.Hour})
			tc.set(imds)
			c := mustNew(t, baseEnv(ssm), ssmlite.WithClock(fc), ssmlite.WithIMDSEndpoint(imds.URL))
			_, err := c.Get(context.Background(), orderParam)
			if !errors.Is(err, ssmlite.ErrNoCredentials) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "`provwatch follow`") {
				t.Fatalf("err = %v, want ErrNoCredentials saying %q and pointing to provwatch follow", err, tc.want)
			}
			ssm.noSecrets(t, err, imdsSessionToken)
		})
	}
	t.Run("nothing answers", func(t *testing.T) {
		t.Parallel()
		url, _ := awstest.Silent(t)
		c := mustNew(t, map[string]string{"AWS_REGION": "us-east-1"}, ssmlite.WithClock(clock.NewFake(t0)), ssmlite.WithIMDSEndpoint(url))
		_, err := c.Get(context.Background(), orderParam)
		if !errors.Is(err, ssmlite.ErrNoCredentials) || !strings.Contains(err.Error(), "not on EC2") {
			t.Fatalf("err = %v, want no credentials, not on EC2", err)
		}
	})
}

// fakeSTS answers AssumeRoleWithWebIdentity for one role and token.
type fakeSTS struct {
	URL string
	m   *minter

	mu    sync.Mutex
	token string // the web identity token accepted
	code  string // when set, every answer is this error
	forms []url.Values
}

func newFakeSTS(t *testing.T, m *minter, token string) *fakeSTS {
	t.Helper()
	f := &fakeSTS{m: m, token: token}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

func (f *fakeSTS) serve(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	f.mu.Lock()
	f.forms = append(f.forms, r.PostForm)
	token, code := f.token, f.code
	f.mu.Unlock()
	stsErr := func(status int, code, msg string) {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ErrorResponse>`, code, xmlEscape(msg))
	}
	switch {
	case r.Method != http.MethodPost || r.Header.Get("Authorization") != "" || r.PostForm.Get("Action") != "AssumeRoleWithWebIdentity" || r.PostForm.Get("Version") != "2011-06-15":
		stsErr(400, "InvalidAction", "not AssumeRoleWithWebIdentity")
	case code != "":
		stsErr(400, code, "Token "+r.PostForm.Get("WebIdentityToken")+" refused by "+code)
	case r.PostForm.Get("WebIdentityToken") != token:
		stsErr(400, "InvalidIdentityToken", "Incorrect token audience")
	default:
		c := f.m.mint()
		fmt.Fprintf(w, `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult><SubjectFromWebIdentityToken>system:serviceaccount:openclaw:gateway</SubjectFromWebIdentityToken><Audience>sts.amazonaws.com</Audience><AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/%s/%s</Arn><AssumedRoleId>AROACLKWSDQRAOEXAMPLE:%s</AssumedRoleId></AssumedRoleUser><Credentials><SessionToken>%s</SessionToken><SecretAccessKey>%s</SecretAccessKey><Expiration>%s</Expiration><AccessKeyId>%s</AccessKeyId></Credentials><Provider>arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE</Provider></AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>ad4156e9-bce1-11e2-82e6-6b6efEXAMPLE</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`,
			roleName, r.PostForm.Get("RoleSessionName"), r.PostForm.Get("RoleSessionName"), c.Token, c.Secret, c.Expires.Format("2006-01-02T15:04:05.000Z"), c.KeyID)
	}
}

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func (f *fakeSTS) requests() []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.forms...)
}

const webToken = "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2ln"

func webIdentityEnv(t *testing.T, ssm *fakeSSM, sts *fakeSTS, token string) (map[string]string, string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	env := baseEnv(ssm)
	env["AWS_ENDPOINT_URL_STS"] = sts.URL
	env["AWS_WEB_IDENTITY_TOKEN_FILE"] = file
	env["AWS_ROLE_ARN"] = "arn:aws:iam::123456789012:role/" + roleName
	return env, file
}

func TestWebIdentity(t *testing.T) {
	t.Parallel()
	ssm, fc, m := mintingSSM(t, time.Hour)
	sts := newFakeSTS(t, m, webToken)
	env, file := webIdentityEnv(t, ssm, sts, webToken+"\n")
	env["AWS_ROLE_SESSION_NAME"] = "gateway-7"
	c := mustNew(t, env, ssmlite.WithClock(fc))
	readOrder(t, c)
	if got := lastKey(t, ssm); got != "ASIAMINTED0000000001" {
		t.Errorf("signed with %s, want the role's credentials", got)
	}
	form := sts.requests()[0]
	if form.Get("RoleArn") != env["AWS_ROLE_ARN"] || form.Get("RoleSessionName") != "gateway-7" || form.Get("WebIdentityToken") != webToken {
		t.Errorf("STS got %v", form)
	}

	// The kubelet rotates the token; the next exchange sends the new one.
	const rotated = "eyJhbGciOiJSUzI1NiIsImtpZCI6IjIifQ.rotated.c2ln"
	if err := os.WriteFile(file, []byte(rotated), 0o600); err != nil {
		t.Fatal(err)
	}
	sts.mu.Lock()
	sts.token = rotated
	sts.mu.Unlock()
	fc.Advance(56 * time.Minute)
	readOrder(t, c)
	if got := lastKey(t, ssm); got != "ASIAMINTED0000000002" {
		t.Errorf("after the refresh, signed with %s", got)
	}
}

func TestWebIdentityDefaultSessionName(t *testing.T) {
	t.Parallel()
	ssm := newFakeSSM(t)
	ssm.put(orderParam, ssmparam.Parameter{Value: "v", Version: 1, Type: ssmparam.TypeString})
	fc := clock.NewFake(t0)
	sts := newFakeSTS(t, &minter{ssm: ssm, clock: fc, ttl: time.Hour}, webToken)
	env, _ := webIdentityEnv(t, ssm, sts, webToken)
	c := mustNew(t, env, ssmlite.WithClock(fc))
	readOrder(t, c)
	if got, want := sts.requests()[0].Get("RoleSessionName"), fmt.Sprintf("provwatch-follow-%d", t0.UnixNano()); got != want {
		t.Errorf("RoleSessionName %q, want %q", got, want)
	}
}

func TestWebIdentityErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		code     string
		want     string
		attempts int
	}{
		{"AccessDenied", "trust policy", 1},
		{"InvalidIdentityToken", "OIDC provider", 4},
		{"IDPCommunicationError", "refused by IDPCommunicationError", 4},
		{"ExpiredTokenException", "the kubelet rotates it", 1},
	} {
		t.Run(tc.code, func(t *testing.T) {
			t.Parallel()
			ssm := newFakeSSM(t)
			fc := clock.NewFake(t0)
			sts := newFakeSTS(t, &minter{ssm: ssm, clock: fc, ttl: time.Hour}, webToken)
			sts.code = tc.code
			env, _ := webIdentityEnv(t, ssm, sts, webToken)
			c := mustNew(t, env, ssmlite.WithClock(fc))
			_, err := c.Get(context.Background(), orderParam)
			if err == nil || !strings.Contains(err.Error(), tc.code) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), env["AWS_ROLE_ARN"]) {
				t.Fatalf("err = %v, want the role, %s and %q", err, tc.code, tc.want)
			}
			if n := len(sts.requests()); n != tc.attempts {
				t.Errorf("%d exchanges, want %d", n, tc.attempts)
			}
			ssm.noSecrets(t, err, webToken)
		})
	}
}

// TestSourceOrder: the SDK's order for the sources ssmlite has, and the
// refusal where the SDK would read a named profile.
func TestSourceOrder(t *testing.T) {
	t.Parallel()
	ssm, fc, m := mintingSSM(t, time.Hour)
	sts := newFakeSTS(t, m, webToken)
	agent := newFakeContainer(t, m, "/creds", "")
	imds := newFakeIMDS(t, m)
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(webToken), 0o600); err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{"AWS_ACCESS_KEY_ID": envKeyID, "AWS_SECRET_ACCESS_KEY": envSecret, "AWS_SESSION_TOKEN": envToken}
	web := map[string]string{"AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/r", "AWS_ENDPOINT_URL_STS": sts.URL}
	profile := map[string]string{"AWS_PROFILE": "dev"}
	container := map[string]string{"AWS_CONTAINER_CREDENTIALS_FULL_URI": agent.URL + "/creds"}
	merge := func(ms ...map[string]string) map[string]string {
		out := baseEnv(ssm)
		for _, m := range ms {
			for k, v := range m {
				out[k] = v
			}
		}
		return out
	}
	for _, tc := range []struct {
		name    string
		env     map[string]string
		want    string // who served: env, web, container, imds
		wantErr string
	}{
		{"keys before everything", merge(keys, web, profile, container), "env", ""},
		{"web identity before a profile", merge(web, profile, container), "web", ""},
		{"a profile is refused", merge(profile, container), "", "AWS_PROFILE=dev names a profile"},
		{"AWS_DEFAULT_PROFILE too", merge(map[string]string{"AWS_DEFAULT_PROFILE": "ops"}), "", "AWS_DEFAULT_PROFILE=ops"},
		{"container before instance metadata", merge(container), "container", ""},
		{"instance metadata last", merge(), "imds", ""},
		{"half a key pair", merge(map[string]string{"AWS_ACCESS_KEY_ID": envKeyID}, container), "", "AWS_SECRET_ACCESS_KEY is not"},
		{"web identity without a role", merge(map[string]string{"AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile}), "", "AWS_ROLE_ARN is not"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := struct{ sts, agent, imds int }{len(sts.requests()), len(agent.authorizations()), imdsPuts(imds)}
			c, err := ssmlite.New(envFunc(t, tc.env), ssmlite.WithClock(fc), ssmlite.WithIMDSEndpoint(imds.URL))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if strings.Contains(tc.wantErr, "profile") && (!errors.Is(err, ssmlite.ErrNoCredentials) || !strings.Contains(err.Error(), "`provwatch follow`")) {
					t.Errorf("err = %v, want ErrNoCredentials pointing to provwatch follow", err)
				}
				ssm.noSecrets(t, err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			readOrder(t, c)
			served := map[string]bool{
				"env":       lastKey(t, ssm) == envKeyID,
				"web":       len(sts.requests()) > before.sts,
				"container": len(agent.authorizations()) > before.agent,
				"imds":      imdsPuts(imds) > before.imds,
			}
			for who, did := range served {
				if did != (who == tc.want) {
					t.Errorf("%s served: %v, want only %s", who, did, tc.want)
				}
			}
		})
	}
}

func imdsPuts(f *fakeIMDS) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.puts
}

// TestNoSourceAtAll: with instance metadata off and nothing else, New
// says which sources it looked at, names the shared files it does not
// read, and points to the full binary.
func TestNoSourceAtAll(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, ".aws"), 0o700); err != nil {
		t.Fatal(err)
	}
	creds := filepath.Join(home, ".aws", "credentials")
	if err := os.WriteFile(creds, []byte("[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = file/secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true", "HOME": home}
	_, err := ssmlite.New(envFunc(t, env))
	if !errors.Is(err, ssmlite.ErrNoCredentials) {
		t.Fatalf("err = %v, want ErrNoCredentials", err)
	}
	for _, w := range []string{"AWS_EC2_METADATA_DISABLED=true", creds + " exist", "`provwatch follow`"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error does not say %q: %v", w, err)
		}
	}
	if strings.Contains(err.Error(), "file/secret") {
		t.Errorf("the error shows the file's secret: %v", err)
	}
}
