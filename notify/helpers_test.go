package notify

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/provwatch/provwatch/internal/clock"
	"github.com/provwatch/provwatch/internal/syncbuf"
)

// request is one request a fake service received.
type request struct {
	Method, Path, ContentType string
	Body                      []byte
}

// fake is a loopback service: it records each request and answers with
// the next of its replies (the last one repeats).
type fake struct {
	*httptest.Server
	mu       sync.Mutex
	got      []request
	replies  []reply
	received chan request
}

type reply struct {
	status int
	header map[string]string
	body   string
	// hold, when set, blocks the answer until it is closed or the
	// request is cancelled.
	hold chan struct{}
}

func newFake(t *testing.T, replies ...reply) *fake {
	t.Helper()
	f := &fake{replies: replies, received: make(chan request, 100)}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req := request{Method: r.Method, Path: r.URL.Path, ContentType: r.Header.Get("Content-Type"), Body: body}
		f.mu.Lock()
		i := len(f.got)
		f.got = append(f.got, req)
		rep := reply{status: 200, body: "ok"}
		if len(f.replies) > 0 {
			rep = f.replies[min(i, len(f.replies)-1)]
		}
		f.mu.Unlock()
		f.received <- req
		if rep.hold != nil {
			select {
			case <-rep.hold:
			case <-r.Context().Done():
				return
			}
		}
		for k, v := range rep.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(rep.status)
		io.WriteString(w, rep.body)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fake) requests() []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]request(nil), f.got...)
}

// next waits for the next request (a test that expects one and gets none
// fails on the go test timeout, not on a wall-clock guess).
func (f *fake) next(t *testing.T) request {
	t.Helper()
	return <-f.received
}

// logBuffer captures log output for secret checks.
type logBuffer = syncbuf.Buffer

// testPause is the tests' rate-limit pause: a value no retry wait takes,
// so retryWaits can tell the two apart.
const testPause = 1357 * time.Millisecond

func testOptions(logs *logBuffer) Options {
	return Options{Log: zerolog.New(logs), Clock: clock.NewFake(time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)), MinInterval: testPause}
}

// retryWaits is what the fake clock slept between attempts. The pause
// after a delivery is left out: whether it is taken depends on whether
// Close came before the dispatcher finished the delivery, a race the
// tests do not decide.
func retryWaits(opt Options) []time.Duration {
	var w []time.Duration
	for _, d := range opt.Clock.(*clock.Fake).Slept() {
		if d != testPause {
			w = append(w, d)
		}
	}
	return w
}

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, b)
	}
	return m
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// failoverBurst is a typical round: the primary went down and the order
// moved.
func failoverBurst() Burst {
	before := &Order{Primary: "ollama/qwen3-coder", Fallbacks: []string{"groq/llama-3.3-70b-versatile", "anthropic/claude-sonnet-4-5"}}
	after := &Order{Primary: "groq/llama-3.3-70b-versatile", Fallbacks: []string{"anthropic/claude-sonnet-4-5", "ollama/qwen3-coder"}}
	b := Burst{
		Time: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC),
		Events: []Event{
			{Kind: KindState, Ref: "ollama/qwen3-coder", From: "healthy", To: "down", Reason: "unreachable",
				Detail: "connection refused at http://10.0.1.5:11434", Hint: "start Ollama on 10.0.1.5 (ollama serve) or fix baseUrl"},
			{Kind: KindFailover, Ref: DefaultsPath, From: before.Primary, To: after.Primary, Reason: "unreachable", Before: before, After: after},
		},
		Before: before, After: after,
	}
	b.Text = Summarize(b)
	return b
}

func stateEvents(n int) []Event {
	out := make([]Event, n)
	for i := range out {
		out[i] = Event{Kind: KindState, Ref: "vllm/model-" + itoa(i), From: "healthy", To: "down", Reason: "unreachable", Detail: "connection refused"}
	}
	return out
}

func mustNotContain(t *testing.T, what, s string, secrets ...string) {
	t.Helper()
	for _, sec := range secrets {
		if sec != "" && strings.Contains(s, sec) {
			t.Errorf("%s contains the secret %q:\n%s", what, sec, s)
		}
	}
}
