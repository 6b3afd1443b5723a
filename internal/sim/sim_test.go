package sim_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/provwatch/provwatch/internal/sim"
)

const key = "sim-test-key"

// TestListShape: every kind, healthy, answers its documented listing with
// its default model and that model's served context.
func TestListShape(t *testing.T) {
	t.Parallel()
	for _, kc := range kindCases {
		t.Run(string(kc.kind), func(t *testing.T) {
			t.Parallel()
			s := start(t, kc.kind, sim.Options{APIKey: key})
			a := do(t, s, "GET", kc.list, key, "")
			if a.status != 200 {
				t.Fatalf("status %d: %s", a.status, a.body)
			}
			got := kc.parse(t, a.body)
			want := sim.DefaultModels(kc.kind)[0]
			ctx, ok := got[want.ID]
			if !ok {
				t.Fatalf("model %q not listed in %s", want.ID, a.body)
			}
			if ctx != -1 && ctx != want.ContextWindow {
				t.Fatalf("served context %d, want %d", ctx, want.ContextWindow)
			}
			if s.Requests() != 1 {
				t.Fatalf("Requests() = %d, want 1", s.Requests())
			}
			if log := s.Log(); len(log) != 1 || log[0].Method != "GET" {
				t.Fatalf("Log() = %+v", log)
			}
		})
	}
}

// wantAuthStatus is each kind's real answer to a wrong key.
func wantAuthStatus(k sim.Kind) int {
	if k == sim.Gemini || k == sim.XAI {
		return 400
	}
	return 401
}

func TestWrongOrMissingKey(t *testing.T) {
	t.Parallel()
	for _, kc := range kindCases {
		t.Run(string(kc.kind), func(t *testing.T) {
			t.Parallel()
			s := start(t, kc.kind, sim.Options{APIKey: key})
			path := kc.list
			if kc.kind == sim.OpenRouter {
				path = "/api/v1/key" // the model list is public
			}
			a := do(t, s, "GET", path, "wrong-key", "")
			if a.status != wantAuthStatus(kc.kind) {
				t.Fatalf("wrong key: status %d, want %d: %s", a.status, wantAuthStatus(kc.kind), a.body)
			}
			if strings.Contains(string(a.body), "wrong-key") {
				t.Fatalf("answer echoes the key: %s", a.body)
			}
			if kc.kind == sim.Gemini && !strings.Contains(string(a.body), `"reason":"API_KEY_INVALID"`) {
				t.Fatalf("gemini bad key lacks API_KEY_INVALID: %s", a.body)
			}
			if m := do(t, s, "GET", path, "", ""); m.status < 400 {
				t.Fatalf("missing key: status %d", m.status)
			}
		})
	}
}

func TestGeminiRefusesKeyInURL(t *testing.T) {
	t.Parallel()
	s := start(t, sim.Gemini, sim.Options{APIKey: key})
	if a := do(t, s, "GET", "/v1beta/models?key="+key, "", ""); a.status != 403 {
		t.Fatalf("key in the query: status %d, want 403 (the sim only reads x-goog-api-key)", a.status)
	}
}

// faultWant is what one fault looks like on one kind's model list.
func wantStatus(k sim.Kind, f sim.Fault) int {
	switch f {
	case sim.Down:
		return 503
	case sim.Unauthorized:
		return wantAuthStatus(k)
	case sim.Billing:
		switch k {
		case sim.OpenRouter, sim.DeepSeek:
			return 200 // listing still works; credits show it
		case sim.Anthropic, sim.Mistral, sim.Together, sim.Ollama:
			return 402
		case sim.XAI:
			return 403
		}
		return 429
	case sim.RateLimited:
		return 429
	case sim.ServerError:
		return 500
	case sim.Overloaded:
		if k == sim.Anthropic {
			return 529
		}
		return 503
	case sim.Redirect:
		return 302
	}
	return 200
}

// rateHeader is a header each kind with rate-limit headers sends for remaining requests.
var rateHeader = map[sim.Kind]string{
	sim.OpenAI: "x-ratelimit-remaining-requests", sim.OpenAICompatible: "x-ratelimit-remaining-requests",
	sim.LiteLLM: "x-ratelimit-remaining-requests", sim.Groq: "x-ratelimit-remaining-tokens",
	sim.Mistral: "x-ratelimitbysize-remaining-minute", sim.Together: "x-ratelimit-remaining",
	sim.Anthropic: "anthropic-ratelimit-requests-remaining",
}

// TestFaults drives every fault on every kind with a raw client and checks
// the wire: status, headers and body shape.
func TestFaults(t *testing.T) {
	t.Parallel()
	for _, kc := range kindCases {
		for _, f := range sim.Faults() {
			if f == sim.Refused || f == sim.Stall || f == sim.Slow {
				continue // own tests below
			}
			t.Run(string(kc.kind)+"/"+string(f), func(t *testing.T) {
				t.Parallel()
				s := start(t, kc.kind, sim.Options{APIKey: key})
				p := sim.FaultParams{Size: 1 << 20}
				setFault(t, s, f, p)
				a := do(t, s, "GET", kc.list, key, "")
				if want := wantStatus(kc.kind, f); a.status != want {
					t.Fatalf("status %d, want %d: %.300s", a.status, want, a.body)
				}
				checkFault(t, kc, s, f, a)
			})
		}
	}
}

func checkFault(t *testing.T, kc kindCase, s *sim.Server, f sim.Fault, a answer) {
	model := sim.DefaultModels(kc.kind)[0]
	switch f {
	case sim.None:
		if _, ok := kc.parse(t, a.body)[model.ID]; !ok {
			t.Fatalf("model missing on a healthy server")
		}
	case sim.Down:
		if !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") {
			t.Fatalf("down answer is %q, want a balancer's text/html page", a.header.Get("Content-Type"))
		}
	case sim.Unauthorized, sim.Billing, sim.ServerError, sim.Overloaded:
		if a.status == 200 {
			checkCredit(t, s, f)
			return
		}
		var v map[string]any
		if err := json.Unmarshal(a.body, &v); err != nil || v == nil {
			t.Fatalf("error body is not a JSON object: %v %s", err, a.body)
		}
		if kc.kind == sim.OpenAI && f == sim.Billing && !strings.Contains(string(a.body), `"insufficient_quota"`) {
			t.Fatalf("openai billing is not insufficient_quota: %s", a.body)
		}
	case sim.RateLimited:
		if h := rateHeader[kc.kind]; h != "" && a.header.Get(h) != "0" {
			t.Fatalf("%s = %q, want 0", h, a.header.Get(h))
		}
		switch kc.kind {
		case sim.Gemini:
			if !strings.Contains(string(a.body), `"retryDelay":"22s"`) || !strings.Contains(string(a.body), "RESOURCE_EXHAUSTED") {
				t.Fatalf("gemini 429 lacks RetryInfo: %s", a.body)
			}
		case sim.OpenRouter:
			v := decode[struct {
				Error struct {
					Metadata struct {
						Headers map[string]string `json:"headers"`
					} `json:"metadata"`
				} `json:"error"`
			}](t, a.body)
			if v.Error.Metadata.Headers["X-RateLimit-Remaining"] != "0" || len(v.Error.Metadata.Headers["X-RateLimit-Reset"]) != 13 {
				t.Fatalf("openrouter 429 metadata.headers wrong (reset in epoch ms): %s", a.body)
			}
		default:
			if a.header.Get("Retry-After") != "20" {
				t.Fatalf("Retry-After = %q, want 20", a.header.Get("Retry-After"))
			}
		}
	case sim.LowHeadroom:
		if _, ok := kc.parse(t, a.body)[model.ID]; !ok {
			t.Fatalf("low headroom must still answer normally")
		}
		if h := rateHeader[kc.kind]; h != "" {
			if v := a.header.Get(h); v == "" || strings.HasSuffix(a.header.Get(strings.Replace(h, "remaining", "limit", 1)), v) {
				t.Fatalf("%s = %q: not low", h, v)
			}
		}
		if kc.kind == sim.OpenRouter {
			checkCredit(t, s, f)
		}
	case sim.MissingModel:
		if _, ok := kc.parse(t, a.body)[model.ID]; ok {
			t.Fatalf("model %q still listed", model.ID)
		}
	case sim.SmallContext:
		got := kc.parse(t, a.body)[model.ID]
		if got != -1 && got != 4096 {
			t.Fatalf("served context %d, want 4096", got)
		}
	case sim.GarbageJSON:
		var v any
		if json.Unmarshal(a.body, &v) == nil {
			t.Fatalf("garbage decoded as JSON: %s", a.body)
		}
	case sim.HugeBody:
		if len(a.body) < 1<<20 {
			t.Fatalf("huge body is %d bytes", len(a.body))
		}
		var v any
		if err := json.Unmarshal(a.body, &v); err != nil {
			t.Fatalf("huge body is not JSON: %v", err)
		}
	case sim.Redirect:
		rec := s.Recorder()
		loc := a.header.Get("Location")
		if rec == nil || !strings.HasPrefix(loc, rec.URL()+"/") {
			t.Fatalf("Location %q does not point at the recorder", loc)
		}
		// A client that follows redirects lands on the recorder, key and all.
		req, _ := http.NewRequest("GET", s.Root()+kc.list, nil)
		authHeaders(req.Header, kc.kind, key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if rec.Hits() != 1 {
			t.Fatalf("recorder hits = %d, want 1", rec.Hits())
		}
		h := rec.Requests()[0].Header
		if h.Get("Authorization")+h.Get("X-Api-Key")+h.Get("X-Goog-Api-Key") == "" && kc.kind != sim.Ollama && kc.kind != sim.OpenRouter {
			t.Fatalf("recorder did not record the forwarded key headers: %v", h)
		}
	}
}

// checkCredit: OpenRouter and DeepSeek show money trouble in their credit endpoints.
func checkCredit(t *testing.T, s *sim.Server, f sim.Fault) {
	switch s.Kind() {
	case sim.OpenRouter:
		v := decode[struct {
			Data struct {
				Limit          *float64 `json:"limit"`
				LimitRemaining *float64 `json:"limit_remaining"`
			} `json:"data"`
		}](t, do(t, s, "GET", "/api/v1/key", key, "").body)
		want := map[sim.Fault]float64{sim.Billing: 0, sim.LowHeadroom: 2.5}[f]
		if v.Data.LimitRemaining == nil || *v.Data.LimitRemaining != want || *v.Data.Limit != 100 {
			t.Fatalf("openrouter key: %+v, want limit_remaining %v", v.Data, want)
		}
		wantChat := map[sim.Fault]int{sim.Billing: 402, sim.LowHeadroom: 200}[f]
		if c := do(t, s, "POST", "/api/v1/chat/completions", key, `{"model":"google/gemini-flash-1.5","max_tokens":1}`); c.status != wantChat {
			t.Fatalf("openrouter completion under %s: %d, want %d", f, c.status, wantChat)
		}
	case sim.DeepSeek:
		v := decode[struct {
			IsAvailable  bool `json:"is_available"`
			BalanceInfos []struct {
				TotalBalance string `json:"total_balance"`
			} `json:"balance_infos"`
		}](t, do(t, s, "GET", "/user/balance", key, "").body)
		if v.IsAvailable || v.BalanceInfos[0].TotalBalance != "0.00" {
			t.Fatalf("deepseek balance: %+v", v)
		}
		if c := do(t, s, "POST", "/chat/completions", key, `{"model":"deepseek-chat"}`); c.status != 402 {
			t.Fatalf("deepseek completion out of balance: %d", c.status)
		}
	default:
		t.Fatalf("%s answered 200 to %s", s.Kind(), f)
	}
}

// TestRefusedComesBackOnSamePort: Refused gives ECONNREFUSED; clearing it
// listens on the same port again.
func TestRefusedComesBackOnSamePort(t *testing.T) {
	t.Parallel()
	for _, k := range []sim.Kind{sim.Ollama, sim.Anthropic, sim.Groq} {
		t.Run(string(k), func(t *testing.T) {
			t.Parallel()
			s := start(t, k, sim.Options{})
			base := s.BaseURL()
			setFault(t, s, sim.Refused, sim.FaultParams{})
			_, err := try(s, "GET", "/", "", "", 5*time.Second)
			if !errors.Is(err, syscall.ECONNREFUSED) {
				t.Fatalf("refused: err = %v, want ECONNREFUSED", err)
			}
			before := s.Requests()
			setFault(t, s, sim.None, sim.FaultParams{})
			if s.BaseURL() != base {
				t.Fatalf("base URL moved: %s -> %s", base, s.BaseURL())
			}
			kc := caseFor(k)
			if a := do(t, s, "GET", kc.list, "", ""); a.status != 200 {
				t.Fatalf("after clearing: %d", a.status)
			}
			if s.Requests() != before+1 {
				t.Fatalf("Requests() = %d, want %d", s.Requests(), before+1)
			}
		})
	}
}

func caseFor(k sim.Kind) kindCase {
	for _, kc := range kindCases {
		if kc.kind == k {
			return kc
		}
	}
	panic("no case for " + k)
}

// TestSlowHoldsHeaders: a client that gives up before the delay gets no
// answer; a long enough wait gets a normal one.
func TestSlowHoldsHeaders(t *testing.T) {
	t.Parallel()
	s := start(t, sim.OpenAI, sim.Options{})
	setFault(t, s, sim.Slow, sim.FaultParams{Delay: time.Hour})
	if _, err := try(s, "GET", "/v1/models", "", "", 50*time.Millisecond); !errors.Is(err, context_DeadlineExceeded()) {
		t.Fatalf("err = %v, want a deadline before headers", err)
	}
	setFault(t, s, sim.Slow, sim.FaultParams{Delay: 10 * time.Millisecond})
	if a := do(t, s, "GET", "/v1/models", "", ""); a.status != 200 {
		t.Fatalf("slow answer status %d", a.status)
	}
}

// TestStallSendsHeadersThenNothing: 200 and a first byte arrive, the body
// never ends; Close releases the stalled handler.
func TestStallSendsHeadersThenNothing(t *testing.T) {
	t.Parallel()
	for _, k := range []sim.Kind{sim.Gemini, sim.DeepSeek} {
		t.Run(string(k), func(t *testing.T) {
			t.Parallel()
			s, err := sim.Start(k, sim.Options{})
			if err != nil {
				t.Fatal(err)
			}
			setFault(t, s, sim.Stall, sim.FaultParams{})
			resp, err := client.Get(s.BaseURL() + "/models")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			buf := make([]byte, 16)
			n, err := resp.Body.Read(buf)
			if n != 1 || err != nil {
				t.Fatalf("first read = %d, %v; want the one byte sent before the stall", n, err)
			}
			done := make(chan error, 1)
			go func() { _, err := resp.Body.Read(buf); done <- err }()
			select {
			case err := <-done:
				t.Fatalf("body continued before Close: %v", err)
			case <-time.After(20 * time.Millisecond):
			}
			s.Close()
			if err := <-done; err == nil {
				t.Fatalf("read after Close succeeded")
			}
		})
	}
}

func TestStartRefusesNonLoopback(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"0.0.0.0:0", ":0", "10.0.0.1:0", "example:1"} {
		if s, err := sim.Start(sim.Ollama, sim.Options{Addr: addr}); err == nil {
			s.Close()
			t.Errorf("Start on %q succeeded, want a loopback-only error", addr)
		}
	}
	if _, err := sim.Start("bogus", sim.Options{}); err == nil {
		t.Error("Start of an unknown kind succeeded")
	}
	s := start(t, sim.Ollama, sim.Options{})
	if err := s.SetFault("bogus", sim.FaultParams{}); err == nil {
		t.Error("SetFault of an unknown fault succeeded")
	}
}
