package probes

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/provwatch/provwatch/configs"
)

// A prober that panics stands for any bug a provider's answer could trigger.
const flavourPanics configs.Flavour = "test-panics"

func init() {
	probers[flavourPanics] = func(*session, Job) outcome { panic("boom") }
}

func TestProbeAllOrderAndBound(t *testing.T) {
	t.Parallel()
	var inFlight, peak atomic.Int32
	srv := serve(t, map[string]route{"GET /v1/models": {fn: func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond) // keep requests overlapping
		w.Write(fixture(t, "openai/models.json"))
	}}})
	var jobs []Job
	for i := range 12 {
		p := provider(configs.FlavourOpenAI, srv.URL+"/v1")
		p.ID = fmt.Sprintf("p%02d", i)
		jobs = append(jobs, Job{Provider: p, Models: wants(p.ID, "gpt-4o")})
	}
	jobs = append(jobs, Job{Provider: &configs.Provider{ID: "bug", BaseURL: srv.URL, Flavour: flavourPanics}, Models: wants("bug", "m")})
	res := New(defaultOptions()).ProbeAll(context.Background(), jobs, 3)
	if len(res) != len(jobs) {
		t.Fatalf("%d results for %d jobs", len(res), len(jobs))
	}
	for i, r := range res[:12] {
		if r.ProviderID != jobs[i].Provider.ID || !r.Probe.OK {
			t.Errorf("result %d is %s (ok=%v), want %s in job order", i, r.ProviderID, r.Probe.OK, jobs[i].Provider.ID)
		}
	}
	if p := peak.Load(); p > 3 || p < 1 {
		t.Errorf("peak concurrency %d, bound 3", p)
	}
	bug := res[12]
	if bug.Probe.OK || bug.Models[0].State != Degraded || bug.Models[0].Reason != ReasonFormat {
		t.Errorf("panicking prober: %+v", bug)
	}
	hasAll(t, "error", bug.Probe.Error, "internal error", "boom")
}

func TestNilProvider(t *testing.T) {
	t.Parallel()
	res := New(defaultOptions()).Probe(context.Background(), Job{})
	if res.Probe.OK || res.Probe.Error == "" {
		t.Errorf("nil provider: %+v", res.Probe)
	}
}

// TestThresholds: slow and rate-limit headroom degrade healthy models; a
// worse model-specific state stays.
func TestThresholds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		step   time.Duration // clock step per reading
		header map[string]string
		th     configs.Thresholds
		want   []expect
		detail string
	}{
		{
			name: "slow list", step: time.Second, th: configs.Thresholds{Latency: 2 * time.Second, MinContextWindow: 64000},
			want: []expect{{Degraded, ReasonSlow, 131072, none}, {Down, ReasonContextWindow, 8192, none}}, detail: "over the 2s threshold",
		},
		{
			name: "fast enough", step: time.Millisecond, th: configs.Thresholds{Latency: 2 * time.Second, MinContextWindow: 64000},
			want: []expect{{Healthy, ReasonOK, 131072, none}, {Down, ReasonContextWindow, 8192, none}},
		},
		{
			name: "nothing remaining is down", header: map[string]string{"x-ratelimit-limit-requests": "1000", "x-ratelimit-remaining-requests": "0"},
			th:   configs.Thresholds{MinContextWindow: 64000, MinRateLimitHeadroom: 0.1},
			want: []expect{{Down, ReasonRateLimit, 131072, none}, {Down, ReasonContextWindow, 8192, none}}, detail: "no rate-limit headroom",
		},
		{
			name: "headroom at the threshold is fine", header: map[string]string{"x-ratelimit-limit-requests": "1000", "x-ratelimit-remaining-requests": "100"},
			th:   configs.Thresholds{MinContextWindow: 64000, MinRateLimitHeadroom: 0.1},
			want: []expect{{Healthy, ReasonOK, 131072, none}, {Down, ReasonContextWindow, 8192, none}},
		},
		{
			name: "context threshold 0 still enforces OpenClaw's minimum", th: configs.Thresholds{},
			want: []expect{{Healthy, ReasonOK, 131072, none}, {Down, ReasonContextWindow, 8192, none}},
		},
		{
			name: "context between 16000 and the threshold is degraded", th: configs.Thresholds{MinContextWindow: 200000},
			want: []expect{{Degraded, ReasonContextWindow, 131072, none}, {Down, ReasonContextWindow, 8192, none}}, detail: "below min_context_window 200000",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := serve(t, map[string]route{"GET /openai/v1/models": {file: "groq/models.json", header: tc.header}})
			opts := defaultOptions()
			opts.Thresholds = tc.th
			if tc.step > 0 {
				opts.Now = steppingClock(tc.step)
			}
			res := probeOnce(t, opts, Job{Provider: provider(configs.FlavourGroq, srv.URL+"/openai/v1"), Models: wants("groq", "llama-3.3-70b-versatile", "gemma2-9b-it")})
			check(t, res, tc.want)
			if tc.detail != "" {
				hasAll(t, "detail", res.Models[0].Detail, tc.detail)
			}
		})
	}
}

// TestResultShape: base URL without secrets, configured context from the
// provider's models[], API name, start time.
func TestResultShape(t *testing.T) {
	t.Parallel()
	srv := serve(t, map[string]route{"GET /v1/models": {file: "vllm/models.json"}})
	p := provider(configs.FlavourVLLM, "http://user:"+testKey+"@"+srv.Listener.Addr().String()+"/v1?api_key="+testKey)
	p.Headers = map[string]string{"Authorization": "Bearer hdr-SECRET-VALUE-42"}
	p.APIKey = ""
	p.Models = []configs.Model{{ID: "Qwen/Qwen2.5-Coder-32B-Instruct", ContextWindow: ptrInt(32768)}}
	res := probeOnce(t, defaultOptions(), Job{Provider: p, Models: wants("vllm", "Qwen/Qwen2.5-Coder-32B-Instruct")})
	if want := "http://" + srv.Listener.Addr().String() + "/v1"; res.BaseURL != want {
		t.Errorf("base_url %q, want %q", res.BaseURL, want)
	}
	if res.API != "vllm" || !res.Start.Equal(epoch) {
		t.Errorf("api %q start %v", res.API, res.Start)
	}
	m := res.Models[0]
	if intOrNone(m.ConfiguredContextWindow) != 32768 {
		t.Errorf("configured_context_window %v, want 32768 from models[]", intOrNone(m.ConfiguredContextWindow))
	}
	noSecret(t, res, testKey, "hdr-SECRET-VALUE-42")
	if h := srv.requests()[0].header.Get("Authorization"); h != "Bearer hdr-SECRET-VALUE-42" {
		t.Errorf("configured header not sent")
	}
}

// TestScrub: whatever a provider echoes, the key and header values are cut.
func TestScrub(t *testing.T) {
	t.Parallel()
	srv := serve(t, map[string]route{"GET /v1/models": {status: 500, body: `{"error":{"message":"upstream said: key ` + testKey + ` and tok-HEADER-SECRET failed"}}`}})
	p := provider(configs.FlavourOpenAI, srv.URL+"/v1")
	p.Headers = map[string]string{"X-Extra": "tok-HEADER-SECRET"}
	res := probeOnce(t, defaultOptions(), Job{Provider: p, Models: wants("openai", "gpt-4o")})
	check(t, res, []expect{{Down, ReasonServerError, none, none}}, "tok-HEADER-SECRET")
	hasAll(t, "detail", res.Models[0].Detail, "[redacted]")
}

func TestBadBaseURL(t *testing.T) {
	t.Parallel()
	for _, base := range []string{"", "ftp://host/", "127.0.0.1:11434", "http://"} {
		res := probeOnce(t, defaultOptions(), Job{Provider: provider(configs.FlavourOpenAI, base), Models: wants("openai", "m")})
		if m := res.Models[0]; m.State != Down || m.Reason != ReasonUnreachable {
			t.Errorf("base %q: %s/%s", base, m.State, m.Reason)
		}
	}
}

func TestNewJob(t *testing.T) {
	t.Parallel()
	p := &configs.Provider{ID: "ollama", Models: []configs.Model{{ID: "qwen3-coder", ContextWindow: ptrInt(128000)}}}
	j := NewJob(p, []string{"qwen3-coder", "llama3.1:8b"}, true)
	if !j.Generate || j.Provider != p || len(j.Models) != 2 {
		t.Fatalf("job %+v", j)
	}
	if w := j.Models[0]; w.Ref != "ollama/qwen3-coder" || intOrNone(w.ConfiguredContextWindow) != 128000 {
		t.Errorf("want %+v", w)
	}
	if w := j.Models[1]; w.Ref != "ollama/llama3.1:8b" || w.ConfiguredContextWindow != nil {
		t.Errorf("want %+v", w)
	}
}

// TestProbeSendsNothingItCannotUse: a provider provwatch has no probe for
// is reported unknown (unprobed) and one the config leaves unusable is
// down (config); neither gets a request.
func TestProbeSendsNothingItCannotUse(t *testing.T) {
	t.Parallel()
	var requests atomic.Int32
	srv := serve(t, map[string]route{"GET /v1/models": {fn: func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Write(fixture(t, "openai/models.json"))
	}}})
	unprobed := &configs.Provider{ID: "minimax", Unprobed: "no probe for minimax", Hint: "add models.providers.minimax"}
	unusable := provider(configs.FlavourOpenAI, srv.URL+"/v1")
	unusable.ConfigError, unusable.Hint = "openclaw.json:4:9: models.providers.openai.apiKey: ${OPENAI_KEY} is not set or empty", "export OPENAI_KEY where provwatch runs"
	p := New(defaultOptions())
	got := p.Probe(context.Background(), Job{Provider: unprobed, Models: wants("minimax", "MiniMax-M2.7")})
	if m := got.Models[0]; got.API != APIUnprobed || got.Probe.OK || m.State != Unknown || m.Reason != ReasonUnprobed || m.Detail != "no probe for minimax" || m.Hint == "" {
		t.Errorf("unprobed provider: %+v", got)
	}
	got = p.Probe(context.Background(), Job{Provider: unusable, Models: wants("openai", "gpt-4o")})
	if m := got.Models[0]; got.Probe.OK || m.State != Down || m.Reason != ReasonConfig || m.Hint != unusable.Hint {
		t.Errorf("unusable provider: %+v", got)
	}
	hasAll(t, "detail", got.Models[0].Detail, "${OPENAI_KEY} is not set", "no request sent")
	if n := requests.Load(); n != 0 {
		t.Errorf("%d requests sent to providers that cannot be probed", n)
	}
}

// TestScrubURLCredentials: a base URL's user:password (and the Basic
// header Go builds from it) and its credential query parameters never
// reach a result, whatever the provider echoes.
func TestScrubURLCredentials(t *testing.T) {
	t.Parallel()
	srv := serve(t, map[string]route{"GET /v1/models": {fn: func(w http.ResponseWriter, r *http.Request) {
		user, pass, _ := r.BasicAuth()
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, `{"error":{"message":"user %s pw %s auth %s"}}`, user, pass, r.Header.Get("Authorization"))
	}}})
	base := "http://alice:s3cretPassw0rd@" + srv.Listener.Addr().String() + "/v1?key=QUERYSECRET123"
	p := provider(configs.FlavourVLLM, base)
	p.APIKey = ""
	res := probeOnce(t, defaultOptions(), Job{Provider: p, Models: wants("vllm", "m")})
	basic := base64.StdEncoding.EncodeToString([]byte("alice:s3cretPassw0rd"))
	check(t, res, []expect{{Down, ReasonServerError, none, none}}, "s3cretPassw0rd", basic, "QUERYSECRET123")
	hasAll(t, "detail", res.Models[0].Detail, "[redacted]")
	if h := srv.requests()[0].header.Get("Authorization"); h != "Basic "+basic {
		t.Errorf("the userinfo was not sent as Basic auth: %q", h)
	}
}

// TestScrubBeforeCut: an echoed message is redacted before it is cut to
// one short line, so a key straddling the cut leaves nothing behind: one
// the body quotes as it is, one in a body that is not JSON (the parser
// itself cuts it, so only redacting the body as it is read catches it),
// and one behind JSON escapes (only redacting the decoded fields again
// catches it).
func TestScrubBeforeCut(t *testing.T) {
	t.Parallel()
	pad := strings.Repeat("x", 150) + " "
	escaped := strings.Replace(testKey, "S", `\u0053`, 1)
	for name, body := range map[string]string{
		"json":    `{"error":{"message":"` + pad + testKey + ` tail"}}`,
		"plain":   pad + testKey + " tail",
		"escaped": `{"error":{"message":"` + pad + escaped + ` tail"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := serve(t, map[string]route{"GET /v1/models": {status: 500, body: body}})
			res := probeOnce(t, defaultOptions(), Job{Provider: provider(configs.FlavourOpenAI, srv.URL+"/v1"), Models: wants("openai", "gpt-4o")})
			check(t, res, []expect{{Down, ReasonServerError, none, none}}, testKey[:8])
			hasAll(t, "detail", res.Models[0].Detail, " [redac") // the mark, itself cut
		})
	}
}

// TestKeyFromAGatewaySecret: an apiKey that only the gateway can resolve
// ({source: "file"}) is named as such, not as "none configured".
func TestKeyFromAGatewaySecret(t *testing.T) {
	t.Parallel()
	srv := serve(t, map[string]route{})
	p := provider(configs.FlavourOpenAI, srv.URL+"/v1")
	p.APIKey, p.KeySource = "", "file"
	res := probeOnce(t, defaultOptions(), Job{Provider: p, Models: wants("openai", "gpt-4o")})
	check(t, res, []expect{{Down, ReasonAuth, none, none}})
	hasAll(t, "detail", res.Models[0].Detail, "file secret", "only the gateway", "no request sent")
	hasAll(t, "hint", res.Models[0].Hint, `{source: "env"`)
	if n := len(srv.requests()); n != 0 {
		t.Errorf("%d requests sent without a key", n)
	}
}

// TestProviderTextIsMadeInert: terminal escapes, bells and bidi overrides
// a provider sends never reach a result (and so no output): they are
// shown as U+FFFD, line breaks as spaces, invalid UTF-8 replaced.
func TestProviderTextIsMadeInert(t *testing.T) {
	t.Parallel()
	msg, _ := json.Marshal(map[string]any{"error": map[string]string{"message": "\x1b[2J\x1b]0;pwned\x07 \u202egnp.exe\u2066 tab\there"}})
	list := serve(t, map[string]route{
		"GET /v1/models": {body: `{"object":"list","data":[{"id":"model-\u001b[31mred\u0007"},{"id":"other\u202e"}]}`},
	})
	apiErr := serve(t, map[string]route{"GET /v1/models": {status: 500, body: string(msg)}})
	plain := serve(t, map[string]route{"GET /v1/models": {status: 502, header: map[string]string{"Content-Type": "text/plain"}, body: "bad \x1b[5m\xff\xfe gateway\r\nsecond line"}})
	var got []Result
	for _, srv := range []*fakeServer{list, apiErr, plain} {
		got = append(got, probeOnce(t, defaultOptions(), Job{Provider: provider(configs.FlavourOpenAI, srv.URL+"/v1"), Models: wants("openai", "gpt-4o")}))
	}
	for _, r := range got {
		m := r.Models[0]
		for _, s := range []string{m.Detail, m.Hint, r.Probe.Error} {
			if !utf8.ValidString(s) {
				t.Errorf("text %q is not valid UTF-8", s)
			}
			for _, bad := range []string{"\x1b", "\x07", "\u202e", "\u2066", "\n", "\r", "\t"} {
				if strings.Contains(s, bad) {
					t.Errorf("text %q contains %q", s, bad)
				}
			}
		}
	}
	hasAll(t, "detail", got[0].Models[0].Detail, "model-\ufffd[31mred\ufffd", "other\ufffd")
	hasAll(t, "error", got[1].Probe.Error, "\ufffd[2J", "\ufffdgnp.exe\ufffd", "tab here")
	hasAll(t, "error", got[2].Probe.Error, "bad \ufffd[5m\ufffd\ufffd gateway")
}

// TestProbeAllStopsAtItsContext: when the caller's context ends (a cycle's
// deadline), probes not yet started are not started, and every probe the
// end cut short is marked Cut: none of them is an observation of its
// provider, so none may say "timeout" about it.
func TestProbeAllStopsAtItsContext(t *testing.T) {
	t.Parallel()
	arrived := make(chan struct{}, 1)
	srv := serve(t, map[string]route{"GET /v1/models": {fn: func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		<-r.Context().Done() // hangs until the client gives up
	}}})
	var jobs []Job
	for i := 0; i < 10; i++ {
		p := provider(configs.FlavourVLLM, srv.URL+"/v1")
		p.ID = fmt.Sprintf("lab%d", i)
		jobs = append(jobs, Job{Provider: p, Models: wants(p.ID, "m")})
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-arrived; cancel() }()
	res := New(defaultOptions()).ProbeAll(ctx, jobs, 1)
	for _, r := range res {
		if !r.Cut {
			t.Errorf("%s: not marked Cut: %+v", r.ProviderID, r.Models)
		}
		if r.ProviderID == "" || len(r.Models) != 1 || r.Models[0].Ref != r.ProviderID+"/m" {
			t.Errorf("a cut result names no provider or model: %+v", r)
		}
	}
	if n := len(srv.requests()); n != 1 {
		t.Errorf("%d requests, want only the one in flight when the context ended", n)
	}
}
