package ssmlite_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/provwatch/provwatch/internal/awsclient"
	"github.com/provwatch/provwatch/internal/awstest"
	"github.com/provwatch/provwatch/internal/clock"
	"github.com/provwatch/provwatch/internal/ssmlite"
	"github.com/provwatch/provwatch/internal/ssmparam"
)

const orderParam = "/openclaw/model-order"

// staticEnv is an environment with keys, pointed at endpoint.
func staticEnv(t *testing.T, endpoint string) map[string]string {
	t.Helper()
	return map[string]string{
		"AWS_REGION":                "us-east-1",
		"AWS_ACCESS_KEY_ID":         envKeyID,
		"AWS_SECRET_ACCESS_KEY":     envSecret,
		"AWS_SESSION_TOKEN":         envToken,
		"AWS_ENDPOINT_URL":          endpoint,
		"AWS_EC2_METADATA_DISABLED": "true",
	}
}

// newClient is mustNew with a fake clock of its own.
func newClient(t *testing.T, env map[string]string, opts ...ssmlite.Option) (*ssmlite.Client, *clock.Fake) {
	t.Helper()
	fc := clock.NewFake(t0)
	return mustNew(t, env, append([]ssmlite.Option{ssmlite.WithClock(fc)}, opts...)...), fc
}

// mustNew is a client from env, or the test's end.
func mustNew(t *testing.T, env map[string]string, opts ...ssmlite.Option) *ssmlite.Client {
	t.Helper()
	c, err := ssmlite.New(envFunc(t, env), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestGetReadsEveryType: the value, version and type of each kind of
// parameter, from a server that checks the signature.
func TestGetReadsEveryType(t *testing.T) {
	t.Parallel()
	f := newFakeSSM(t)
	want := map[string]ssmparam.Parameter{
		orderParam:             {Value: `{"primary":"ollama/qwen3-coder","fallbacks":["openai/gpt-4o"]}`, Version: 7, Type: ssmparam.TypeString},
		"/openclaw/secure":     {Value: "decrypted value", Version: 1, Type: ssmparam.TypeSecureString},
		"/openclaw/list":       {Value: "ollama/qwen3-coder,openai/gpt-4o", Version: 2, Type: ssmparam.TypeStringList},
		"/openclaw/ünïcode/順序": {Value: "ü", Version: 3, Type: ssmparam.TypeString},
	}
	for n, p := range want {
		f.put(n, p)
	}
	c, _ := newClient(t, staticEnv(t, f.URL))
	for n, p := range want {
		got, err := c.Get(context.Background(), n)
		if err != nil {
			t.Fatalf("Get(%s): %v", n, err)
		}
		if got != p {
			t.Errorf("Get(%s) = %+v, want %+v", n, got, p)
		}
	}
	for _, s := range f.requests() {
		if s.KeyID != envKeyID || s.Token != envToken {
			t.Errorf("request signed with %s (token %v), want the environment's key and session token", s.KeyID, s.Token != "")
		}
	}
}

// TestGetErrorAnswers: each error answer gives an error naming the
// parameter, the code, AWS's message and what to check; only the
// transient ones are retried; none shows a credential.
func TestGetErrorAnswers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		env      map[string]string // over staticEnv
		answer   func(w http.ResponseWriter)
		notFound bool
		want     []string
		attempts int
	}{
		{
			name:     "missing",
			notFound: true,
			want:     []string{orderParam, "ParameterNotFound", "check the name and the region: us-east-1"},
			attempts: 1,
		},
		{
			name: "missing, code with a namespace",
			answer: func(w http.ResponseWriter) {
				w.WriteHeader(400)
				_, _ = w.Write([]byte(`{"__type":"com.amazonaws.ssm#ParameterNotFound","message":"Parameter /openclaw/model-order not found."}`))
			},
			notFound: true,
			want:     []string{"ParameterNotFound: Parameter /openclaw/model-order not found."},
			attempts: 1,
		},
		{
			name: "denied",
			answer: func(w http.ResponseWriter) {
				awsError(w, 400, "AccessDeniedException", "User: arn:aws:sts::123456789012:assumed-role/gateway/abc is not authorized to perform: ssm:GetParameter on resource: arn:aws:ssm:us-east-1:123456789012:parameter/openclaw/model-order because no identity-based policy allows the ssm:GetParameter action")
			},
			want:     []string{orderParam, "AccessDeniedException", "is not authorized to perform", "allows ssm:GetParameter", "kms:Decrypt"},
			attempts: 1,
		},
		{
			name:     "wrong secret",
			env:      map[string]string{"AWS_SECRET_ACCESS_KEY": "not/the/secret/aws/knows/000000000000000"},
			want:     []string{"InvalidSignatureException", "The request signature we calculated does not match", "clock"},
			attempts: 1,
		},
		{
			name:     "unknown key",
			env:      map[string]string{"AWS_ACCESS_KEY_ID": "AKIAUNKNOWN000000000"},
			want:     []string{"UnrecognizedClientException", "The security token included in the request is invalid", "check the credentials"},
			attempts: 1,
		},
		{
			// AWS echoes the Authorization header and the token in this one.
			name: "message echoing credentials",
			answer: func(w http.ResponseWriter) {
				awsError(w, 400, "IncompleteSignatureException", "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 Credential="+envKeyID+"/20260314/us-east-1/ssm/aws4_request, X-Amz-Security-Token="+envToken)
			},
			want:     []string{"IncompleteSignatureException", "Credential=[redacted]/20260314", "X-Amz-Security-Token=[redacted]"},
			attempts: 1,
		},
		{
			name: "validation",
			answer: func(w http.ResponseWriter) {
				awsError(w, 400, "ValidationException", "Parameter name: can't be prefixed with \"aws\" or \"ssm\"")
			},
			want:     []string{"ValidationException", "check the parameter name"},
			attempts: 1,
		},
		{
			name:     "throttled every time",
			answer:   func(w http.ResponseWriter) { awsError(w, 400, "ThrottlingException", "Rate exceeded") },
			want:     []string{"ThrottlingException: Rate exceeded", "retried"},
			attempts: 4,
		},
		{
			name: "server error every time",
			answer: func(w http.ResponseWriter) {
				w.WriteHeader(503)
				_, _ = w.Write([]byte("<html>Service Unavailable</html>"))
			},
			want:     []string{"HTTP 503"},
			attempts: 4,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeSSM(t)
			if tc.answer != nil {
				f.script = func(_ int, w http.ResponseWriter, _ *http.Request) bool { tc.answer(w); return true }
			}
			env := staticEnv(t, f.URL)
			for k, v := range tc.env {
				env[k] = v
			}
			c, fc := newClient(t, env)
			_, err := c.Get(context.Background(), orderParam)
			if err == nil {
				t.Fatal("Get succeeded")
			}
			if errors.Is(err, ssmparam.ErrNotFound) != tc.notFound {
				t.Errorf("errors.Is(err, ErrNotFound) = %v: %v", !tc.notFound, err)
			}
			var apiErr *ssmlite.APIError
			if !errors.As(err, &apiErr) {
				t.Errorf("err is not an *APIError: %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q: %v", w, err)
				}
			}
			if f.count() != tc.attempts {
				t.Errorf("%d requests, want %d", f.count(), tc.attempts)
			}
			if got := len(fc.Slept()); got != tc.attempts-1 {
				t.Errorf("%d waits between %d tries", got, tc.attempts)
			}
			f.noSecrets(t, err, env["AWS_SECRET_ACCESS_KEY"], env["AWS_ACCESS_KEY_ID"])
		})
	}
}

// TestGetRetriesThenSucceeds: throttling, a 500, InternalServerError and a
// reset connection are retried after a jittered, growing wait.
func TestGetRetriesThenSucceeds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		fail func(w http.ResponseWriter)
	}{
		{"throttling", func(w http.ResponseWriter) { awsError(w, 400, "ThrottlingException", "Rate exceeded") }},
		{"500", func(w http.ResponseWriter) { w.WriteHeader(500) }},
		{"InternalServerError", func(w http.ResponseWriter) { awsError(w, 500, "InternalServerError", "") }},
		{"connection reset", func(w http.ResponseWriter) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				panic(err)
			}
			_ = conn.(*net.TCPConn).SetLinger(0) // RST, not FIN
			conn.Close()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeSSM(t)
			f.put(orderParam, ssmparam.Parameter{Value: "v", Version: 1, Type: ssmparam.TypeString})
			f.script = func(n int, w http.ResponseWriter, _ *http.Request) bool {
				if n <= 2 {
					tc.fail(w)
					return true
				}
				return false
			}
			c, fc := newClient(t, staticEnv(t, f.URL))
			p, err := c.Get(context.Background(), orderParam)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if p.Value != "v" || f.count() != 3 {
				t.Errorf("got %+v after %d requests, want v after 3", p, f.count())
			}
			slept := fc.Slept()
			if len(slept) != 2 {
				t.Fatalf("waited %v, want two waits", slept)
			}
			// Each wait is drawn from the upper half of a doubling base.
			for i, d := range slept {
				base := 500 * time.Millisecond << i
				if d < base/2 || d >= base {
					t.Errorf("wait %d = %v, want in [%v, %v)", i+1, d, base/2, base)
				}
			}
		})
	}
}

// TestHangingEndpoint: an endpoint that never answers is cut by the call's
// deadline, or each attempt by the response bound and then retried.
func TestHangingEndpoint(t *testing.T) {
	t.Parallel()
	t.Run("call deadline", func(t *testing.T) {
		t.Parallel()
		url, _ := awstest.Silent(t)
		c, _ := newClient(t, staticEnv(t, url), ssmlite.WithBounds(ssmlite.Bounds{Dial: time.Second, TLS: time.Second, Response: time.Minute, Call: 200 * time.Millisecond}))
		_, err := c.Get(context.Background(), orderParam)
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "no answer from "+url) {
			t.Fatalf("err = %v, want the call deadline naming the endpoint", err)
		}
	})
	t.Run("response bound per attempt", func(t *testing.T) {
		t.Parallel()
		url, conns := awstest.Silent(t)
		c, _ := newClient(t, staticEnv(t, url), ssmlite.WithBounds(ssmlite.Bounds{Dial: time.Second, TLS: time.Second, Response: 50 * time.Millisecond, Call: time.Minute}))
		_, err := c.Get(context.Background(), orderParam)
		if err == nil || !strings.Contains(err.Error(), "timeout awaiting response headers") {
			t.Fatalf("err = %v, want the response bound", err)
		}
		if n := conns(); n != 4 {
			t.Errorf("%d attempts, want 4", n)
		}
	})
	t.Run("body stalls", func(t *testing.T) {
		t.Parallel()
		f := newFakeSSM(t)
		f.script = func(_ int, w http.ResponseWriter, r *http.Request) bool {
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(200)
			_, _ = w.Write([]byte(`{"Parameter":{"Value":"`))
			w.(http.Flusher).Flush()
			<-r.Context().Done()
			return true
		}
		c, _ := newClient(t, staticEnv(t, f.URL), ssmlite.WithBounds(ssmlite.Bounds{Dial: time.Second, TLS: time.Second, Response: 50 * time.Millisecond, Call: time.Minute}))
		_, err := c.Get(context.Background(), orderParam)
		if err == nil || !strings.Contains(err.Error(), "the answer stalled for more than 50ms") {
			t.Fatalf("err = %v, want the stalled body named", err)
		}
		f.noSecrets(t, err)
		if f.count() != 4 {
			t.Errorf("%d attempts, want 4", f.count())
		}
	})
	t.Run("caller's context", func(t *testing.T) {
		t.Parallel()
		url, _ := awstest.Silent(t)
		c, _ := newClient(t, staticEnv(t, url))
		ctx, cancel := context.WithCancel(context.Background())
		go func() { time.Sleep(20 * time.Millisecond); cancel() }()
		if _, err := c.Get(ctx, orderParam); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want the caller's cancellation", err)
		}
	})
}

// TestRedirectNotFollowed: a redirect to another host is an error, and the
// other host never sees the signed request.
func TestRedirectNotFollowed(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	other := 0
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		other++
		mu.Unlock()
	}))
	defer elsewhere.Close()
	for _, status := range []int{301, 302, 307, 308} {
		f := newFakeSSM(t)
		f.script = func(_ int, w http.ResponseWriter, r *http.Request) bool {
			http.Redirect(w, r, elsewhere.URL+"/steal", status)
			return true
		}
		c, _ := newClient(t, staticEnv(t, f.URL))
		_, err := c.Get(context.Background(), orderParam)
		if err == nil || !strings.Contains(err.Error(), "redirect") || !strings.Contains(err.Error(), elsewhere.URL) {
			t.Errorf("%d: err = %v, want the redirect named", status, err)
		}
		if f.count() != 1 {
			t.Errorf("%d: %d requests, want 1 (a redirect is not retried)", status, f.count())
		}
		f.noSecrets(t, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if other != 0 {
		t.Errorf("the other host saw %d requests", other)
	}
}

// TestBadAnswers: a 200 that is not GetParameter's answer is an error that
// does not quote the body (it may hold a decrypted value).
func TestBadAnswers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body, want string
	}{
		{"huge", `{"Parameter":{"Value":"` + strings.Repeat("x", 2<<20) + `"}}`, "too large (more than 1048576 bytes)"},
		{"garbage", "<html>captive portal secret-value-xyz</html>", "not GetParameter's JSON"},
		{"empty object", "{}", "has no Parameter.Value"},
		{"truncated", `{"Parameter":{"Value":"secret-value-xyz`, "not GetParameter's JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeSSM(t)
			f.script = func(_ int, w http.ResponseWriter, _ *http.Request) bool {
				_, _ = w.Write([]byte(tc.body))
				return true
			}
			c, _ := newClient(t, staticEnv(t, f.URL))
			_, err := c.Get(context.Background(), orderParam)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "secret-value-xyz") || len(err.Error()) > 400 {
				t.Errorf("the error quotes the body: %v", err)
			}
			f.noSecrets(t, err)
			if f.count() != 1 {
				t.Errorf("%d requests, want 1", f.count())
			}
		})
	}
}

// TestExpiredStaticCredentials: an expired session token in the
// environment is tried again once (nothing newer can come), then named.
func TestExpiredStaticCredentials(t *testing.T) {
	t.Parallel()
	f := newFakeSSM(t)
	f.expire(envKeyID)
	c, _ := newClient(t, staticEnv(t, f.URL))
	_, err := c.Get(context.Background(), orderParam)
	if err == nil || !strings.Contains(err.Error(), "ExpiredTokenException") || !strings.Contains(err.Error(), "check the credential source") {
		t.Fatalf("err = %v, want the expired token named", err)
	}
	if f.count() != 2 {
		t.Errorf("%d requests, want 2 (one more after the refresh)", f.count())
	}
	f.noSecrets(t, err)
}

// TestCABundle: AWS_CA_BUNDLE is trusted, as the SDK trusts it.
func TestCABundle(t *testing.T) {
	t.Parallel()
	f := newFakeSSM(t)
	f.put(orderParam, ssmparam.Parameter{Value: "v", Version: 1, Type: ssmparam.TypeString})
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(f.serve))
	defer tlsSrv.Close()
	bundle := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tlsSrv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}

	env := staticEnv(t, tlsSrv.URL)
	env["AWS_CA_BUNDLE"] = bundle
	c, _ := newClient(t, env)
	if _, err := c.Get(context.Background(), orderParam); err != nil {
		t.Fatalf("with the bundle: %v", err)
	}

	c, _ = newClient(t, staticEnv(t, tlsSrv.URL))
	_, err := c.Get(context.Background(), orderParam)
	var unknown x509.UnknownAuthorityError
	if !strings.Contains(err.Error(), "certificate") && !errors.As(err, &unknown) {
		t.Fatalf("without the bundle: %v, want a certificate error", err)
	}

	env["AWS_CA_BUNDLE"] = filepath.Join(t.TempDir(), "missing.pem")
	if _, err := ssmlite.New(envFunc(t, env)); err == nil || !strings.Contains(err.Error(), "AWS_CA_BUNDLE") {
		t.Errorf("a missing bundle: %v", err)
	}
}

// TestBoundsAreAWSClients: the slim client has the full binary's bounds.
func TestBoundsAreAWSClients(t *testing.T) {
	t.Parallel()
	want := ssmlite.Bounds{Dial: awsclient.DialTimeout, TLS: awsclient.TLSTimeout, Response: awsclient.ResponseTimeout, Call: awsclient.CallDeadline}
	if ssmlite.DefaultBounds != want {
		t.Errorf("DefaultBounds = %+v, internal/awsclient has %+v", ssmlite.DefaultBounds, want)
	}
}

// cancellingClock ends the call's context when it is asked to wait, as a
// caller's deadline running out during a backoff does.
type cancellingClock struct {
	*clock.Fake
	cancel context.CancelFunc
}

func (c cancellingClock) Sleep(ctx context.Context, d time.Duration) error {
	c.cancel()
	<-ctx.Done()
	return ctx.Err()
}

// TestCancelledWhileWaiting: a call whose context ends during the wait
// before a retry says both what failed and that it was cut.
func TestCancelledWhileWaiting(t *testing.T) {
	t.Parallel()
	f := newFakeSSM(t)
	f.script = func(_ int, w http.ResponseWriter, _ *http.Request) bool {
		awsError(w, 400, "ThrottlingException", "Rate exceeded")
		return true
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, _ := newClient(t, staticEnv(t, f.URL), ssmlite.WithClock(cancellingClock{clock.NewFake(t0), cancel}))
	_, err := c.Get(ctx, orderParam)
	var apiErr *ssmlite.APIError
	if !errors.Is(err, context.Canceled) || !errors.As(err, &apiErr) || apiErr.Code != "ThrottlingException" {
		t.Fatalf("err = %v, want the throttling and the cancellation", err)
	}
	if f.count() != 1 {
		t.Errorf("%d requests after the cancellation, want 1", f.count())
	}
}
