package awsclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/provwatch/provwatch/internal/awstest"
	"github.com/provwatch/provwatch/internal/ssmparam"
)

// One moto_server serves every SSM test of the package; each test uses its
// own parameter names. It starts on first use and is killed by TestMain.
var moto awstest.Moto

func TestMain(m *testing.M) {
	code := m.Run()
	moto.Stop()
	os.Exit(code)
}

// TestParamsAgainstMoto: the adapter's Get and Put against the real SSM
// API (moto): create without Overwrite, the create race as
// ErrAlreadyExists, overwrite, Description and Standard tier, a
// SecureString decrypted, a StringList's type, a missing parameter as
// ErrNotFound — each error still the SDK's, with its message.
func TestParamsAgainstMoto(t *testing.T) {
	t.Parallel()
	cfg := awstest.ConfigAt(t, moto.URL(t))
	p := NewParams(cfg)
	raw := ssm.NewFromConfig(cfg)
	ctx := context.Background()
	name := awstest.ParamName(t)
	const order = `{"primary":"openrouter/google/gemini-flash-1.5","fallbacks":["ollama/qwen3-coder"]}`

	_, err := p.Get(ctx, name)
	var nf *types.ParameterNotFound
	if !errors.Is(err, ssmparam.ErrNotFound) || !errors.As(err, &nf) || !strings.Contains(err.Error(), "ParameterNotFound") {
		t.Fatalf("Get of a missing parameter = %v, want ErrNotFound with the SDK's error", err)
	}

	v, err := p.Put(ctx, ssmparam.Put{Name: name, Value: order, Type: ssmparam.TypeString, Description: "demoted ollama/qwen3-coder (no_model)"})
	if err != nil || v != 1 {
		t.Fatalf("create = version %d, %v; want 1", v, err)
	}
	_, err = p.Put(ctx, ssmparam.Put{Name: name, Value: order})
	if !errors.Is(err, ssmparam.ErrAlreadyExists) || !strings.Contains(err.Error(), "ParameterAlreadyExists") {
		t.Fatalf("create of an existing parameter = %v, want ErrAlreadyExists with the SDK's error", err)
	}
	if v, err := p.Put(ctx, ssmparam.Put{Name: name, Value: `{"primary":"ollama/qwen3-coder","fallbacks":[]}`, Overwrite: true}); err != nil || v != 2 {
		t.Fatalf("overwrite = version %d, %v; want 2", v, err)
	}
	got, err := p.Get(ctx, name)
	if err != nil || got != (ssmparam.Parameter{Value: `{"primary":"ollama/qwen3-coder","fallbacks":[]}`, Version: 2, Type: ssmparam.TypeString}) {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	desc, err := raw.DescribeParameters(ctx, &ssm.DescribeParametersInput{
		ParameterFilters: []types.ParameterStringFilter{{Key: aws.String("Name"), Option: aws.String("Equals"), Values: []string{name}}},
	})
	if err != nil || len(desc.Parameters) != 1 {
		t.Fatalf("DescribeParameters = %v, %v", desc, err)
	}
	if d := desc.Parameters[0]; aws.ToString(d.Description) != "demoted ollama/qwen3-coder (no_model)" || d.Tier != types.ParameterTierStandard {
		t.Fatalf("stored description %q, tier %s", aws.ToString(d.Description), d.Tier)
	}

	secure := name + "-secure"
	if _, err := p.Put(ctx, ssmparam.Put{Name: secure, Value: order, Type: ssmparam.TypeSecureString}); err != nil {
		t.Fatal(err)
	}
	if got, err := p.Get(ctx, secure); err != nil || got != (ssmparam.Parameter{Value: order, Version: 1, Type: ssmparam.TypeSecureString}) {
		t.Fatalf("Get of a SecureString = %+v, %v; want it decrypted", got, err)
	}
	stored, err := raw.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(secure)})
	if err != nil || stored.Parameter.Type != types.ParameterTypeSecureString || aws.ToString(stored.Parameter.Value) == order {
		t.Fatalf("the SecureString is stored as %s %q, %v; want it encrypted", stored.Parameter.Type, aws.ToString(stored.Parameter.Value), err)
	}

	list := name + "-list"
	if _, err := raw.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(list), Value: aws.String("a,b"), Type: types.ParameterTypeStringList}); err != nil {
		t.Fatal(err)
	}
	if got, err := p.Get(ctx, list); err != nil || got != (ssmparam.Parameter{Value: "a,b", Version: 1, Type: ssmparam.TypeStringList}) {
		t.Fatalf("Get of a StringList = %+v, %v", got, err)
	}
	if _, err := p.Put(ctx, ssmparam.Put{Name: list, Value: "a,b", Type: ssmparam.TypeStringList, Overwrite: true}); err == nil || !strings.Contains(err.Error(), "StringList") {
		t.Fatalf("Put of a StringList = %v, want it refused", err)
	}
}

// fakeSSM answers every call with code `fails` times, in the awsJson1_1
// wire shape, then succeeds; it counts the calls.
func fakeSSM(t *testing.T, code string, fails int32) (string, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("x-amzn-RequestId", "req-1")
		if calls.Add(1) <= fails {
			w.Header().Set("x-amzn-query-error", code+";Sender")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"__type":%q,"message":"Rate exceeded"}`, code)
			return
		}
		switch r.Header.Get("X-Amz-Target") {
		case "AmazonSSM.GetParameter":
			io.WriteString(w, `{"Parameter":{"Name":"/p","Type":"String","Value":"{\"primary\":\"a/one\",\"fallbacks\":[]}","Version":1,"DataType":"text"}}`)
		case "AmazonSSM.PutParameter":
			io.WriteString(w, `{"Tier":"Standard","Version":2}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &calls
}

// TestParamsRetries: throttling is retried on both calls and
// TooManyUpdates on Put, up to the bound; other errors are not retried.
// No error holds the secret key.
func TestParamsRetries(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		op       string
		code     string
		fails    int32
		max      int // 0: the default
		attempts int32
		ok       bool
	}{
		{"put", "TooManyUpdates", 2, 0, 3, true},
		{"put", "ThrottlingException", 2, 0, 3, true},
		{"put", "TooManyUpdates", 100, 0, DefaultMaxAttempts, false},
		{"put", "ThrottlingException", 100, 0, DefaultMaxAttempts, false},
		{"put", "TooManyUpdates", 100, 2, 2, false},
		{"put", "ValidationException", 100, 0, 1, false},
		{"get", "ThrottlingException", 2, 0, 3, true},
		{"get", "ThrottlingException", 100, 3, 3, false},
		{"get", "AccessDeniedException", 100, 0, 1, false},
	} {
		t.Run(fmt.Sprintf("%s-%s-%d-%d", tc.op, tc.code, tc.fails, tc.max), func(t *testing.T) {
			t.Parallel()
			url, calls := fakeSSM(t, tc.code, tc.fails)
			p := NewParams(awstest.ConfigAt(t, url), WithMaxAttempts(tc.max))
			var err error
			if tc.op == "get" {
				var got ssmparam.Parameter
				got, err = p.Get(context.Background(), "/p")
				if err == nil && got.Version != 1 {
					t.Fatalf("Get = %+v", got)
				}
			} else {
				var v int64
				v, err = p.Put(context.Background(), ssmparam.Put{Name: "/p", Value: "{}", Overwrite: true})
				if err == nil && v != 2 {
					t.Fatalf("Put = version %d", v)
				}
			}
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok %v", err, tc.ok)
			}
			if n := calls.Load(); n != tc.attempts {
				t.Fatalf("%d attempts, want %d", n, tc.attempts)
			}
			if err != nil && (!strings.Contains(err.Error(), tc.code) || strings.Contains(err.Error(), "test-secret")) {
				t.Fatalf("err = %v: want the cause named and no credential", err)
			}
		})
	}
}

// TestParamsCallDeadline: a Get whose every attempt hangs ends at the
// call deadline.
func TestParamsCallDeadline(t *testing.T) {
	t.Parallel()
	url, _ := awstest.Silent(t)
	p := NewParams(config(url, nil), func(o *paramsOptions) { o.deadline = 200 * time.Millisecond })
	done := make(chan error, 1)
	go func() {
		_, err := p.Get(context.Background(), "/openclaw/model-order")
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want the call deadline", err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("Get against an endpoint that never answers did not return")
	}
}
