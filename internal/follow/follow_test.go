package follow

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/internal/awsclient"
	"github.com/provwatch/provwatch/internal/awstest"
	"github.com/provwatch/provwatch/internal/clock"
	"github.com/provwatch/provwatch/internal/ssmparam"
	"github.com/provwatch/provwatch/internal/syncbuf"
)

// gateway is an OpenClaw config as a gateway's start script leaves it:
// comments, a non-empty allowlist (OpenClaw 2026.2.x drops fallbacks
// missing from it), a primary with no fallbacks.
const gateway = `{
  // written by the container's start script
  models: {
    providers: {
      ollama: { baseUrl: "http://10.0.1.5:11434", api: "ollama" },
    },
  },
  agents: {
    defaults: {
      model: { primary: "ollama/qwen3-coder" },
      models: {
        "ollama/qwen3-coder": {},
      },
    },
  },
}
`

const published = `{"primary":"openrouter/google/gemini-flash-1.5","fallbacks":["ollama/qwen3-coder"]}`

func setup(t *testing.T) (dir, into, src string) {
	t.Helper()
	dir = t.TempDir()
	into = filepath.Join(dir, "openclaw.json")
	src = filepath.Join(dir, "order.json")
	if err := os.WriteFile(into, []byte(gateway), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, into, src
}

func fileFollower(into, src string, log *bytes.Buffer) *Follower {
	l := zerolog.Nop()
	if log != nil {
		l = zerolog.New(log)
	}
	return New(Options{From: configs.Location{Scheme: configs.SchemeFile, Path: src}, Into: into, Log: l, Getenv: func(string) string { return "" }})
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestStepAppliesThePublishedOrder(t *testing.T) {
	t.Parallel()
	_, into, src := setup(t)
	os.WriteFile(src, []byte(published+"\n"), 0o644)
	f := fileFollower(into, src, nil)
	out, err := f.Step(context.Background())
	if err != nil || !out.Written {
		t.Fatalf("Step = %+v, %v", out, err)
	}
	// Only the model value changed, and the allowlist gained the new ref;
	// every other byte (the comment, the layout) is the start script's.
	want := strings.Replace(gateway, `model: { primary: "ollama/qwen3-coder" },`,
		`model: { primary: "openrouter/google/gemini-flash-1.5", fallbacks: ["ollama/qwen3-coder"] },`, 1)
	want = strings.Replace(want, `        "ollama/qwen3-coder": {},
`, `        "ollama/qwen3-coder": {},
        "openrouter/google/gemini-flash-1.5": {},
`, 1)
	if got := read(t, into); got != want {
		t.Fatalf("gateway file:\n%s\nwant\n%s", got, want)
	}
	if read(t, into+".bak") != gateway {
		t.Fatal(".bak does not hold the start script's file")
	}
	// Nothing to do the second time: no write, no new backup.
	if out, err := f.Step(context.Background()); err != nil || out.Written {
		t.Fatalf("second Step = %+v, %v", out, err)
	}
	if _, err := os.Stat(into + ".bak.1"); !os.IsNotExist(err) {
		t.Fatalf("an unchanged order made another backup (%v)", err)
	}
}

// TestStepRefusesBadValues: whatever is written into the source by hand,
// the gateway's file is left as it is, with one clear reason.
func TestStepRefusesBadValues(t *testing.T) {
	t.Parallel()
	junk := bytes.Repeat([]byte("junk "), 1700) // 8.5 KB
	tests := []struct {
		name, value string
		why         string
		err         error
	}{
		{"empty primary", `{"primary": "", "fallbacks": ["ollama/qwen3-coder"]}`, "no primary", ErrValue},
		{"bare id", `"gpt-4o"`, `"gpt-4o" is not a provider/model ref`, ErrValue},
		{"a list", `["ollama/qwen3-coder"]`, "expected an object or a string", ErrValue},
		{"garbage", "primary=ollama/qwen3-coder", "expected an object or a string", ErrValue},
		{"8 KB of junk", string(junk), "8192 bytes or more", ErrValue},
		{"unknown provider", `{"primary": "madeup/model"}`, `provider "madeup"`, ErrValue},
		{"empty file", "", "empty value", ErrValue},
		{"absent", "", "does not exist", ErrSource},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, into, src := setup(t)
			if tc.err != ErrSource {
				os.WriteFile(src, []byte(tc.value), 0o644)
			}
			_, err := fileFollower(into, src, nil).Step(context.Background())
			if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.why) {
				t.Fatalf("Step = %v, want %v with %q", err, tc.err, tc.why)
			}
			if strings.Contains(err.Error(), "junk junk junk junk junk junk junk junk junk junk junk") {
				t.Errorf("the error quotes the whole value: %.200s", err)
			}
			if read(t, into) != gateway {
				t.Fatal("the gateway's file changed")
			}
		})
	}
}

func TestStepLeavesAReadOnlyFileAndWritesThroughALink(t *testing.T) {
	t.Parallel()
	dir, into, src := setup(t)
	os.WriteFile(src, []byte(published), 0o644)
	os.Chmod(into, 0o444)
	_, err := fileFollower(into, src, nil).Step(context.Background())
	if !errors.Is(err, ErrTarget) || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("Step into a read-only file = %v", err)
	}
	if read(t, into) != gateway {
		t.Fatal("a read-only file was replaced")
	}
	os.Chmod(into, 0o600)
	link := filepath.Join(dir, "link.json")
	os.Symlink("openclaw.json", link)
	if _, err := fileFollower(link, src, nil).Step(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Lstat(link); st.Mode()&os.ModeSymlink == 0 {
		t.Fatal("the link became a regular file")
	}
	if !strings.Contains(read(t, into), `primary: "openrouter/google/gemini-flash-1.5"`) {
		t.Fatalf("the linked file was not updated:\n%s", read(t, into))
	}
}

// TestRunFollowsAndLogsEachSituationOnce: Run applies the order at start,
// follows each change within a period, logs a bad value once however many
// periods it stays, and returns nil when its context ends (SIGTERM).
func TestRunFollowsAndLogsEachSituationOnce(t *testing.T) {
	t.Parallel()
	_, into, src := setup(t)
	os.WriteFile(src, []byte(published), 0o644)
	var log syncbuf.Buffer
	f := New(Options{From: configs.Location{Scheme: configs.SchemeFile, Path: src}, Into: into, Every: 10 * time.Millisecond,
		Log: zerolog.New(&log), Getenv: func(string) string { return "" }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	waitFor(t, func() bool { return strings.Contains(read(t, into), `primary: "openrouter/google/gemini-flash-1.5"`) })
	os.WriteFile(src, []byte(`{"primary":"ollama/qwen3-coder","fallbacks":["openrouter/google/gemini-flash-1.5"]}`), 0o644)
	waitFor(t, func() bool {
		return strings.Contains(read(t, into), `primary: "ollama/qwen3-coder", fallbacks: ["openrouter/google/gemini-flash-1.5"]`)
	})
	os.WriteFile(src, []byte("not json"), 0o644)
	waitFor(t, func() bool { return strings.Count(log.String(), "not applying") == 1 })
	time.Sleep(100 * time.Millisecond) // ten more periods of the same bad value
	if n := strings.Count(log.String(), "not applying"); n != 1 {
		t.Errorf("a bad value that stayed was logged %d times, want once:\n%s", n, log.String())
	}
	os.WriteFile(src, []byte(published), 0o644)
	waitFor(t, func() bool { return strings.Contains(log.String(), "usable again") })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run after its context ended = %v, want nil", err)
	}
}

// TestRunCallsOnApplyForEachWrite: OnApply hears of each order Run writes
// into the gateway's file, and not of the periods in between, when the
// file already holds the order.
func TestRunCallsOnApplyForEachWrite(t *testing.T) {
	t.Parallel()
	_, into, src := setup(t)
	os.WriteFile(src, []byte(published), 0o644)
	applied := make(chan Outcome, 100)
	clk := &countingClock{}
	f := New(Options{From: configs.Location{Scheme: configs.SchemeFile, Path: src}, Into: into, Every: 10 * time.Millisecond,
		Log: zerolog.Nop(), Getenv: func(string) string { return "" }, Clock: clk, OnApply: func(o Outcome) { applied <- o }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	next := func() Outcome {
		t.Helper()
		select {
		case o := <-applied:
			return o
		case <-time.After(10 * time.Second):
			t.Fatal("OnApply was not called")
			return Outcome{}
		}
	}
	if o := next(); o.Order.Primary != "openrouter/google/gemini-flash-1.5" || !o.Written {
		t.Fatalf("first OnApply = %+v", o)
	}
	// Let three more periods pass with the order unchanged: they tell nothing.
	waitFor(t, func() bool { return clk.sleeps.Load() >= 4 })
	os.WriteFile(src, []byte(`{"primary":"ollama/qwen3-coder"}`), 0o644)
	if o := next(); o.Order.Primary != "ollama/qwen3-coder" {
		t.Fatalf("OnApply after the source changed = %+v, want the new order (an unchanged period was told)", o)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// countingClock is the wall clock, counting Run's periods.
type countingClock struct {
	clock.Real
	sleeps atomic.Int32
}

func (c *countingClock) Sleep(ctx context.Context, d time.Duration) error {
	c.sleeps.Add(1)
	return c.Real.Sleep(ctx, d)
}

// TestWaitBacksOffWhileTheSourceFails: each failed read doubles the wait,
// up to five minutes; any other outcome keeps the period; jitter stays
// within 20%.
func TestWaitBacksOffWhileTheSourceFails(t *testing.T) {
	t.Parallel()
	f := &Follower{opt: Options{Every: 5 * time.Second}}
	within := func(d, want time.Duration) bool { return d >= want*8/10 && d <= want*12/10 }
	if d := f.wait(nil); !within(d, 5*time.Second) {
		t.Errorf("wait after success = %v", d)
	}
	for i, want := range []time.Duration{5, 10, 20, 40, 80, 160, 300, 300} {
		f.fails = i + 1
		if d := f.wait(ErrSource); !within(d, want*time.Second) {
			t.Errorf("wait after %d failures = %v, want about %v", i+1, d, want*time.Second)
		}
	}
	if d := f.wait(ErrValue); !within(d, 5*time.Second) {
		t.Errorf("a bad value backs off: %v", d)
	}
}

// params is Parameter Store as the command builds it (the SDK's client
// behind awsclient's adapter) at url, its retries without backoff.
func params(t *testing.T, url string, opts ...awsclient.ParamsOption) ssmparam.Client {
	t.Helper()
	return awsclient.NewParams(awstest.ConfigAt(t, url), opts...)
}

// throttling answers every call with SSM's throttling error, in the
// awsJson1_1 wire shape, and counts the calls.
func throttling(t *testing.T) (string, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		calls.Add(1)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("x-amzn-query-error", "ThrottlingException;Sender")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"__type":"ThrottlingException","message":"Rate exceeded"}`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &calls
}

func TestSSMSource(t *testing.T) {
	t.Parallel()
	client := params(t, awstest.Start(t))
	ctx := context.Background()
	_, into, _ := setup(t)
	f := New(Options{From: configs.Location{Scheme: configs.SchemeSSM, Path: "/openclaw/model-order"}, Into: into, SSM: client,
		Log: zerolog.Nop(), Getenv: func(string) string { return "" }})
	if _, err := f.Step(ctx); !errors.Is(err, ErrSource) || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("Step with no parameter = %v", err)
	}
	put := func(v string) {
		t.Helper()
		if _, err := client.Put(ctx, ssmparam.Put{Name: "/openclaw/model-order", Value: v, Type: ssmparam.TypeString, Overwrite: true}); err != nil {
			t.Fatal(err)
		}
	}
	put(published)
	if out, err := f.Step(ctx); err != nil || !out.Written {
		t.Fatalf("Step = %+v, %v", out, err)
	}
	put(`{"primary": ""}`) // written by hand
	if _, err := f.Step(ctx); !errors.Is(err, ErrValue) {
		t.Fatalf("Step with a hand-written bad value = %v", err)
	}
	if !strings.Contains(read(t, into), `primary: "openrouter/google/gemini-flash-1.5"`) {
		t.Fatal("a bad value changed the file")
	}
	url, calls := throttling(t)
	f.opt.SSM = params(t, url, awsclient.WithMaxAttempts(2))
	if _, err := f.Step(ctx); !errors.Is(err, ErrSource) || !strings.Contains(err.Error(), "Rate exceeded") {
		t.Fatalf("Step throttled = %v", err)
	}
	if n := calls.Load(); n != 2 {
		t.Fatalf("%d GetParameter calls while throttled, want 2 (the bound)", n)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
