package remediate

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/rs/zerolog"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/health"
	"github.com/provwatch/provwatch/internal/awstest"
	"github.com/provwatch/provwatch/internal/ssmparam"
)

func paramName(t *testing.T) string { return awstest.ParamName(t) }

func openSSMTarget(t *testing.T, client ssmparam.Client, name string, log *bytes.Buffer) Target {
	t.Helper()
	tg, err := OpenTarget(loc("ssm:"+name), client, WithLogger(zerolog.New(log)))
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

func TestSSMTargetCreateThenOverwrite(t *testing.T) {
	t.Parallel()
	client, raw := newSSM(t, moto.URL(t)), rawSSM(t, moto.URL(t))
	ctx := context.Background()
	name := paramName(t)
	var log bytes.Buffer
	tg := openSSMTarget(t, client, name, &log)

	if _, exists, err := readDefaults(ctx, tg); err != nil || exists {
		t.Fatalf("Read of a missing parameter = exists %v, %v", exists, err)
	}
	first := configs.Order{Primary: "openrouter/google/gemini-flash-1.5", Fallbacks: []string{"ollama/qwen3-coder"}}
	why := "2026-11-25T10:00Z: demoted ollama/qwen3-coder to down (no_model); primary now openrouter/google/gemini-flash-1.5"
	if err := writeDefaults(ctx, tg, first, why); err != nil {
		t.Fatal(err)
	}
	got, err := raw.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if v := *got.Parameter.Value; v != `{"primary":"openrouter/google/gemini-flash-1.5","fallbacks":["ollama/qwen3-coder"]}` || got.Parameter.Version != 1 || got.Parameter.Type != types.ParameterTypeString {
		t.Fatalf("parameter = %q version %d type %s", v, got.Parameter.Version, got.Parameter.Type)
	}
	desc := describeParam(t, raw, name)
	if aws.ToString(desc.Description) != why || desc.Tier != types.ParameterTierStandard {
		t.Fatalf("description %q tier %s", aws.ToString(desc.Description), desc.Tier)
	}

	o, exists, err := readDefaults(ctx, tg)
	if err != nil || !exists || !o.Equal(first) {
		t.Fatalf("Read = %v %v %v", o, exists, err)
	}
	second := configs.Order{Primary: "ollama/qwen3-coder", Fallbacks: []string{"openrouter/google/gemini-flash-1.5"}}
	long := strings.Repeat("restored ollama/qwen3-coder é; ", 80)
	if err := writeDefaults(ctx, tg, second, long); err != nil {
		t.Fatal(err)
	}
	got, _ = raw.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
	if got.Parameter.Version != 2 {
		t.Fatalf("overwrite made version %d, want 2", got.Parameter.Version)
	}
	if n := len([]rune(aws.ToString(describeParam(t, raw, name).Description))); n != MaxDescription {
		t.Fatalf("long description stored with %d characters, want %d", n, MaxDescription)
	}
	if log.Len() != 0 {
		t.Fatalf("an unraced write logged: %s", log.String())
	}
	if err := writeDefaults(ctx, tg, configs.Order{}, ""); err == nil {
		t.Fatal("an empty order was written")
	}
}

func describeParam(t *testing.T, raw *ssm.Client, name string) types.ParameterMetadata {
	t.Helper()
	out, err := raw.DescribeParameters(context.Background(), &ssm.DescribeParametersInput{
		ParameterFilters: []types.ParameterStringFilter{{Key: aws.String("Name"), Option: aws.String("Equals"), Values: []string{name}}},
	})
	if err != nil || len(out.Parameters) != 1 {
		t.Fatalf("DescribeParameters(%s) = %v, %v", name, out, err)
	}
	return out.Parameters[0]
}

func TestSSMTargetDetectsRacedOverwrite(t *testing.T) {
	t.Parallel()
	client, raw := newSSM(t, moto.URL(t)), rawSSM(t, moto.URL(t))
	ctx := context.Background()
	name := paramName(t)
	var log bytes.Buffer
	tg := openSSMTarget(t, client, name, &log)
	if err := writeDefaults(ctx, tg, configs.Order{Primary: "a/one", Fallbacks: []string{"b/two"}}, "first"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := readDefaults(ctx, tg); err != nil { // version 1
		t.Fatal(err)
	}
	// Another writer (a person, a second provwatch) bumps the version.
	if _, err := raw.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(`{"primary":"b/two","fallbacks":[]}`), Type: types.ParameterTypeString, Overwrite: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if err := writeDefaults(ctx, tg, configs.Order{Primary: "b/two", Fallbacks: []string{"a/one"}}, "second"); err != nil {
		t.Fatal(err)
	}
	var line struct {
		Level          string `json:"level"`
		Target         string `json:"target"`
		ReadVersion    int64  `json:"read_version"`
		WrittenVersion int64  `json:"written_version"`
		Message        string `json:"message"`
	}
	if err := json.Unmarshal(log.Bytes(), &line); err != nil {
		t.Fatalf("no race log line: %q", log.String())
	}
	if line.Level != "warn" || line.Target != "ssm:"+name || line.ReadVersion != 1 || line.WrittenVersion != 3 || !strings.Contains(line.Message, "raced") {
		t.Fatalf("race log = %+v", line)
	}
}

func TestSSMTargetCreateRace(t *testing.T) {
	t.Parallel()
	client, raw := newSSM(t, moto.URL(t)), rawSSM(t, moto.URL(t))
	ctx := context.Background()
	for _, same := range []bool{false, true} {
		name := fmt.Sprintf("%s-%v", paramName(t), same)
		var log bytes.Buffer
		tg := openSSMTarget(t, client, name, &log)
		if _, exists, err := readDefaults(ctx, tg); err != nil || exists {
			t.Fatal(exists, err)
		}
		ours := configs.Order{Primary: "a/one", Fallbacks: []string{"b/two"}}
		theirs := configs.Order{Primary: "b/two", Fallbacks: []string{}}
		if same {
			theirs = ours
		}
		v, _ := theirs.MarshalJSON()
		if _, err := raw.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(string(v)), Type: types.ParameterTypeString}); err != nil {
			t.Fatal(err)
		}
		err := writeDefaults(ctx, tg, ours, "create")
		if same && err != nil {
			t.Fatalf("the other writer created our value, Write = %v", err)
		}
		if !same && !errors.Is(err, ErrRaced) {
			t.Fatalf("Write after a concurrent create = %v, want ErrRaced", err)
		}
		if !strings.Contains(log.String(), "raced") {
			t.Fatalf("create race not logged: %q", log.String())
		}
	}
}

func TestSSMTargetMalformedValue(t *testing.T) {
	t.Parallel()
	client, raw := newSSM(t, moto.URL(t)), rawSSM(t, moto.URL(t))
	ctx := context.Background()
	name := paramName(t)
	if _, err := raw.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String("ollama/qwen3-coder,openrouter/x"), Type: types.ParameterTypeString}); err != nil {
		t.Fatal(err)
	}
	tg := openSSMTarget(t, client, name, &bytes.Buffer{})
	_, exists, err := readDefaults(ctx, tg)
	if err == nil || !exists || !strings.Contains(err.Error(), "ssm:"+name) || !strings.Contains(err.Error(), "ollama/qwen3-coder,openrouter/x") {
		t.Fatalf("Read of a malformed value = %v, %v", exists, err)
	}
	// It can still be replaced with a valid order.
	if err := writeDefaults(ctx, tg, configs.Order{Primary: "a/b"}, "fix"); err != nil {
		t.Fatal(err)
	}
}

func TestSSMStore(t *testing.T) {
	t.Parallel()
	client, raw := newSSM(t, moto.URL(t)), rawSSM(t, moto.URL(t))
	ctx := context.Background()
	name := paramName(t)
	st, err := OpenStore(loc("ssm:"+name), "once", loc("none"), client)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := st.Load(ctx); err != nil || b != nil {
		t.Fatalf("Load of a missing state = %q, %v", b, err)
	}
	tr := health.NewTracker(defaultHealth())
	tr.Observe(t0, mr("ollama/qwen3-coder", X, "no_model"))
	data, _ := json.Marshal(tr)
	for i := 0; i < 2; i++ { // the second, unchanged save must not make a version
		if err := st.Save(ctx, data); err != nil {
			t.Fatal(err)
		}
	}
	got, err := raw.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
	if err != nil || got.Parameter.Version != 1 {
		t.Fatalf("state parameter = %+v, %v", got, err)
	}
	st2, _ := OpenStore(loc("ssm:"+name), "once", loc("none"), client)
	b, err := st2.Load(ctx)
	if err != nil || !bytes.Equal(b, data) {
		t.Fatalf("Load = %q, %v", b, err)
	}
	back := health.NewTracker(defaultHealth())
	if err := json.Unmarshal(b, back); err != nil {
		t.Fatal(err)
	}
	if h, _ := back.Get("ollama/qwen3-coder"); h.State != X {
		t.Fatalf("restored %+v", h)
	}
	// A state over 4 KB is stored packed, and reads back as it was.
	big := health.NewTracker(defaultHealth())
	for i := 0; i < 24; i++ {
		big.Observe(t0, mr(fmt.Sprintf("openrouter/vendor-%02d/some-long-model-name-%02d", i, i), X,
			"no_model"))
	}
	bigData, _ := json.Marshal(big)
	if len(bigData) <= 4096 {
		t.Fatalf("test state is only %d bytes; make it larger than a Standard parameter", len(bigData))
	}
	if err := st2.Save(ctx, bigData); err != nil {
		t.Fatalf("saving a %d-byte state: %v", len(bigData), err)
	}
	packed, _ := raw.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
	if v := *packed.Parameter.Value; !strings.HasPrefix(v, "gz:") || len(v) > 4096 {
		t.Fatalf("large state stored as %d bytes starting %.10q, want packed under 4096", len(v), v)
	}
	st3, _ := OpenStore(loc("ssm:"+name), "once", loc("none"), client)
	if b, err := st3.Load(ctx); err != nil || !bytes.Equal(b, bigData) {
		t.Fatalf("packed state did not read back: %v", err)
	}
	// Incompressible data over the limit is refused with a clear error.
	noise := make([]byte, 6000)
	_, _ = rand.Read(noise)
	if err := st2.Save(ctx, noise); err == nil || !strings.Contains(err.Error(), "4096") {
		t.Fatalf("oversized state: %v", err)
	}
}

// fakeSSM answers GetParameter with version 1 and fails PutParameter
// `fails` times with code in the awsJson1_1 wire shape before succeeding.
func fakeSSM(t *testing.T, code string, fails int32) (*httptest.Server, *atomic.Int32) {
	var puts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("x-amzn-RequestId", "req-1")
		switch r.Header.Get("X-Amz-Target") {
		case "AmazonSSM.GetParameter":
			io.WriteString(w, `{"Parameter":{"Name":"/p","Type":"String","Value":"{\"primary\":\"a/one\",\"fallbacks\":[]}","Version":1,"DataType":"text"}}`)
		case "AmazonSSM.PutParameter":
			if puts.Add(1) <= fails {
				w.Header().Set("x-amzn-query-error", code+";Sender")
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprintf(w, `{"__type":%q,"message":"Rate exceeded"}`, code)
				return
			}
			io.WriteString(w, `{"Tier":"Standard","Version":2}`)
		default:
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"__type":"UnknownOperationException"}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &puts
}

func TestSSMTargetRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code     string
		fails    int32
		attempts int32
		ok       bool
	}{
		{"TooManyUpdates", 2, 3, true},
		{"ThrottlingException", 2, 3, true},
		{"TooManyUpdates", 100, 5, false},
		{"ThrottlingException", 100, 5, false},
		{"ValidationException", 100, 1, false}, // not retryable
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s-%d", tc.code, tc.fails), func(t *testing.T) {
			t.Parallel()
			srv, puts := fakeSSM(t, tc.code, tc.fails)
			var log bytes.Buffer
			tg := openSSMTarget(t, newSSM(t, srv.URL), "/p", &log)
			err := writeDefaults(context.Background(), tg, configs.Order{Primary: "b/two", Fallbacks: []string{"a/one"}}, "why")
			if (err == nil) != tc.ok {
				t.Fatalf("Write = %v", err)
			}
			if got := puts.Load(); got != tc.attempts {
				t.Fatalf("%d PutParameter attempts, want %d", got, tc.attempts)
			}
			if err != nil && !strings.Contains(err.Error(), tc.code) {
				t.Fatalf("error does not name the cause: %v", err)
			}
			if tc.ok && log.Len() != 0 {
				t.Fatalf("version 1 → 2 is no race, logged %s", log.String())
			}
		})
	}
}

// TestSSMTargetKeepsASecureStringAndRepairsJunk: a parameter the operator
// made a SecureString stays one; one holding junk or a StringList is
// reported malformed and replaced by the next write, never left stuck.
func TestSSMTargetKeepsASecureStringAndRepairsJunk(t *testing.T) {
	t.Parallel()
	client, raw := newSSM(t, moto.URL(t)), rawSSM(t, moto.URL(t))
	ctx := context.Background()
	order := configs.Order{Primary: "openrouter/google/gemini-flash-1.5", Fallbacks: []string{"ollama/qwen3-coder"}}
	for _, tc := range []struct {
		name, value string
		typ         types.ParameterType
		malformed   bool
		keep        types.ParameterType
	}{
		{"secure", `{"primary":"ollama/qwen3-coder","fallbacks":["openrouter/google/gemini-flash-1.5"]}`, types.ParameterTypeSecureString, false, types.ParameterTypeSecureString},
		{"junk", "not json", types.ParameterTypeString, true, types.ParameterTypeString},
		{"string list", "a,b", types.ParameterTypeStringList, true, types.ParameterTypeString},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			name := paramName(t)
			if _, err := raw.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(tc.value), Type: tc.typ}); err != nil {
				t.Fatal(err)
			}
			var log bytes.Buffer
			tg := openSSMTarget(t, client, name, &log)
			h, err := tg.Read(ctx)
			if err != nil {
				t.Fatalf("Read = %v: a bad value must not stop remediation", err)
			}
			if _, bad := h.Malformed[configs.DefaultsChain]; bad != tc.malformed {
				t.Fatalf("Read = %+v, malformed %v", h, tc.malformed)
			}
			if err := writeDefaults(ctx, tg, order, "why"); err != nil {
				t.Fatal(err)
			}
			got, err := raw.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
			if err != nil {
				t.Fatal(err)
			}
			if back, err := configs.ParseOrder([]byte(*got.Parameter.Value)); err != nil || !back.Equal(order) || got.Parameter.Type != tc.keep {
				t.Fatalf("after the write: %q (%s), want the order as %s", *got.Parameter.Value, got.Parameter.Type, tc.keep)
			}
		})
	}
}
