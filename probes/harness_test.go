package probes

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/provwatch/provwatch/configs"
)

// testKey is the API key of every test provider; no Result may contain it.
// openai/error_invalid_key.json echoes it, as OpenAI echoes part of a key.
const testKey = "sk-test-SECRETKEY-0123456789"

// epoch is the fixed time of the fake clocks.
var epoch = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// fixedClock never moves: latencies are 0, so no test is ever "slow" by accident.
func fixedClock() time.Time { return epoch }

// steppingClock advances by step at every reading: durations are
// deterministic and every phase that happened is > 0.
func steppingClock(step time.Duration) func() time.Time {
	var n atomic.Int64
	return func() time.Time { return epoch.Add(time.Duration(n.Add(1)) * step) }
}

// route is one canned answer of a fake provider.
type route struct {
	status int
	file   string // under testdata/
	body   string
	header map[string]string
	fn     http.HandlerFunc // overrides everything else
}

// seen is one request a fake provider received.
type seen struct {
	method, path, query string
	header              http.Header
	body                string
}

// fakeServer is a provider on loopback answering from testdata fixtures.
type fakeServer struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []seen
}

func (f *fakeServer) requests() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.reqs...)
}

// count is how many requests hit method+path.
func (f *fakeServer) count(methodPath string) int {
	n := 0
	for _, r := range f.requests() {
		if r.method+" "+r.path == methodPath {
			n++
		}
	}
	return n
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return b
}

// serve starts a fake provider. Routes are keyed "METHOD /path?query" or
// "METHOD /path"; anything else is a plain-text 404 like Go's mux.
func serve(t testing.TB, routes map[string]route) *fakeServer {
	t.Helper()
	bodies := map[string][]byte{}
	for k, r := range routes {
		if r.file != "" {
			bodies[k] = fixture(t, r.file)
		} else {
			bodies[k] = []byte(r.body)
		}
	}
	f := &fakeServer{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		f.mu.Lock()
		f.reqs = append(f.reqs, seen{req.Method, req.URL.Path, req.URL.RawQuery, req.Header.Clone(), string(b)})
		f.mu.Unlock()
		key := req.Method + " " + req.URL.Path
		if req.URL.RawQuery != "" {
			if _, ok := routes[key+"?"+req.URL.RawQuery]; ok {
				key += "?" + req.URL.RawQuery
			}
		}
		rt, ok := routes[key]
		if !ok {
			http.Error(w, "404 page not found", http.StatusNotFound)
			return
		}
		if rt.fn != nil {
			req.Body = io.NopCloser(strings.NewReader(string(b)))
			rt.fn(w, req)
			return
		}
		rt.write(w, bodies[key])
	}))
	t.Cleanup(f.Close)
	return f
}

// write answers with the route: JSON unless its headers say otherwise, its
// status (200 when unset) and body.
func (rt route) write(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	for k, v := range rt.header {
		w.Header().Set(k, v)
	}
	st := rt.status
	if st == 0 {
		st = http.StatusOK
	}
	w.WriteHeader(st)
	w.Write(body)
}

// merged is one route table made of several; a later table wins a key.
func merged(tables ...map[string]route) map[string]route {
	out := map[string]route{}
	for _, tab := range tables {
		for k, v := range tab {
			out[k] = v
		}
	}
	return out
}

func provider(fl configs.Flavour, base string) *configs.Provider {
	return &configs.Provider{ID: string(fl), BaseURL: base, Flavour: fl, APIKey: testKey}
}

func wants(prov string, models ...string) []Want {
	out := make([]Want, len(models))
	for i, m := range models {
		out[i] = Want{Ref: prov + "/" + m, Model: m}
	}
	return out
}

func defaultOptions() Options {
	return Options{
		Timeout:    5 * time.Second,
		Thresholds: configs.DefaultSettings().Thresholds,
		Now:        fixedClock,
	}
}

func probeOnce(t testing.TB, opts Options, job Job) Result {
	t.Helper()
	return New(opts).Probe(context.Background(), job)
}

// none marks an unknown (null) context in expectations.
const none = -1

// expect is one model's expected outcome.
type expect struct {
	state   State
	reason  Reason
	ctx     int // none for null
	trained int // none for null; 0 means "do not check"
}

func intOrNone(p *int) int {
	if p == nil {
		return none
	}
	return *p
}

// check asserts each model's state, reason and contexts, and that no
// secret appears anywhere in the result.
func check(t *testing.T, res Result, want []expect, secrets ...string) {
	t.Helper()
	if len(res.Models) != len(want) {
		t.Fatalf("got %d models, want %d: %+v", len(res.Models), len(want), res.Models)
	}
	for i, w := range want {
		m := res.Models[i]
		if m.State != w.state || m.Reason != w.reason {
			t.Errorf("model %s: got %s/%s (%q), want %s/%s", m.Ref, m.State, m.Reason, m.Detail, w.state, w.reason)
		}
		if got := intOrNone(m.ContextWindow); got != w.ctx {
			t.Errorf("model %s: context_window %d, want %d", m.Ref, got, w.ctx)
		}
		if w.trained != 0 {
			if got := intOrNone(m.TrainedContextWindow); got != w.trained {
				t.Errorf("model %s: trained_context_window %d, want %d", m.Ref, got, w.trained)
			}
		}
		if m.State != Healthy && (m.Detail == "" || m.Hint == "") {
			t.Errorf("model %s: %s without detail or hint: %+v", m.Ref, m.State, m)
		}
	}
	noSecret(t, res, append(secrets, testKey)...)
}

// noSecret marshals the result (and its json:"-" texts) and searches it.
func noSecret(t *testing.T, res Result, secrets ...string) {
	t.Helper()
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatalf("marshal result: %v", err)
	}
	all := string(b) + fmt.Sprintf("%+v", res)
	for _, m := range res.Models {
		all += m.Hint + m.Model
	}
	for _, s := range secrets {
		if strings.Contains(all, s) {
			t.Errorf("secret %q appears in the result: %s", s, all)
		}
	}
}

func hasAll(t *testing.T, what, s string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(s, p) {
			t.Errorf("%s %q does not contain %q", what, s, p)
		}
	}
}

func f64(p *float64) float64 {
	if p == nil {
		return -1
	}
	return *p
}

func readFixture(name string) ([]byte, error) {
	return os.ReadFile(filepath.Join("testdata", name))
}

// mustFixture reads a fixture where no testing.TB is at hand (table literals).
func mustFixture(name string) []byte {
	b, err := readFixture(name)
	if err != nil {
		panic(err)
	}
	return b
}
