package sim_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/provwatch/provwatch/internal/sim"
)

func TestAnthropicPagingAndVersion(t *testing.T) {
	t.Parallel()
	s := start(t, sim.Anthropic, sim.Options{APIKey: key, Models: []sim.Model{
		{ID: "claude-a", ContextWindow: 200000}, {ID: "claude-b"}, {ID: "claude-c", Aliases: []string{"claude-c-latest"}},
	}})
	type page struct {
		Data    []struct{ ID string } `json:"data"`
		HasMore bool                  `json:"has_more"`
		FirstID *string               `json:"first_id"`
		LastID  *string               `json:"last_id"`
	}
	p1 := decode[page](t, do(t, s, "GET", "/v1/models?limit=2", key, "").body)
	if len(p1.Data) != 2 || !p1.HasMore || *p1.LastID != "claude-b" {
		t.Fatalf("page 1 = %+v", p1)
	}
	p2 := decode[page](t, do(t, s, "GET", "/v1/models?limit=2&after_id="+*p1.LastID, key, "").body)
	if len(p2.Data) != 1 || p2.HasMore || p2.Data[0].ID != "claude-c" {
		t.Fatalf("page 2 = %+v", p2)
	}
	if one := decode[struct{ ID string }](t, do(t, s, "GET", "/v1/models/claude-c-latest", key, "").body); one.ID != "claude-c" {
		t.Fatalf("alias resolved to %q", one.ID)
	}
	// Without anthropic-version the API refuses.
	req := do(t, s, "GET", "/v1/models", key, "")
	if req.status != 200 {
		t.Fatal(req.status)
	}
	raw, _ := client.Get(s.Root() + "/v1/models")
	raw.Body.Close()
	if raw.StatusCode != 401 {
		t.Fatalf("no key: %d", raw.StatusCode)
	}
	msg := do(t, s, "POST", "/v1/messages", key, `{"model":"claude-a","max_tokens":1,"messages":[{"role":"user","content":"hi"}]}`)
	if msg.status != 200 || msg.header.Get("anthropic-ratelimit-requests-remaining") == "" ||
		!strings.Contains(msg.header.Get("anthropic-ratelimit-requests-reset"), "T") {
		t.Fatalf("messages = %d %v", msg.status, msg.header)
	}
	if a := do(t, s, "POST", "/v1/messages", key, `{"model":"nope"}`); a.status != 404 || !strings.Contains(string(a.body), "not_found_error") {
		t.Fatalf("unknown model = %d %s", a.status, a.body)
	}
	setFault(t, s, sim.Billing, sim.FaultParams{Variant: "credit_balance"})
	if a := do(t, s, "GET", "/v1/models", key, ""); a.status != 400 || !strings.Contains(string(a.body), "credit balance is too low") {
		t.Fatalf("credit_balance variant = %d %s", a.status, a.body)
	}
}

func TestGeminiPaging(t *testing.T) {
	t.Parallel()
	s := start(t, sim.Gemini, sim.Options{APIKey: key, Padding: 5})
	type page struct {
		Models        []struct{ Name string } `json:"models"`
		NextPageToken string                  `json:"nextPageToken"`
	}
	var names []string
	path := "/v1beta/models?pageSize=4"
	for i := 0; ; i++ {
		p := decode[page](t, do(t, s, "GET", path, key, "").body)
		for _, m := range p.Models {
			names = append(names, m.Name)
		}
		if p.NextPageToken == "" {
			break
		}
		if i > 5 {
			t.Fatal("paging does not end")
		}
		path = "/v1beta/models?pageSize=4&pageToken=" + p.NextPageToken
	}
	if len(names) != 6 || names[0] != "models/gemini-2.5-flash" {
		t.Fatalf("paged names = %v", names)
	}
	gen := do(t, s, "POST", "/v1beta/models/gemini-2.5-flash:generateContent", key, `{"contents":[{"parts":[{"text":"hi"}]}]}`)
	if gen.status != 200 || !strings.Contains(string(gen.body), `"finishReason":"MAX_TOKENS"`) {
		t.Fatalf("generateContent = %d %s", gen.status, gen.body)
	}
	if a := do(t, s, "POST", "/v1beta/models/nope:generateContent", key, `{}`); a.status != 404 || !strings.Contains(string(a.body), "NOT_FOUND") {
		t.Fatalf("unknown model = %d %s", a.status, a.body)
	}
}

// TestCompletionsPerKind: a 1-token completion works on every OpenAI-style
// kind, carries rate-limit headers where the provider sends them, and an
// unknown model gets the provider's not-found status.
func TestCompletionsPerKind(t *testing.T) {
	t.Parallel()
	notFound := map[sim.Kind]int{sim.Mistral: 400, sim.DeepSeek: 400, sim.LiteLLM: 400, sim.OpenRouter: 400, sim.LlamaCpp: 200}
	for _, k := range sim.Kinds() {
		if k == sim.Anthropic || k == sim.Gemini {
			continue
		}
		t.Run(string(k), func(t *testing.T) {
			t.Parallel()
			s := start(t, k, sim.Options{APIKey: key})
			path := k.Prefix() + "/chat/completions"
			if k == sim.Ollama {
				path = "/v1/chat/completions" // Ollama's OpenAI-compatible side
			}
			m := sim.DefaultModels(k)[0].ID
			a := do(t, s, "POST", path, key, fmt.Sprintf(`{"model":%q,"max_completion_tokens":1}`, m))
			if a.status != 200 || !strings.Contains(string(a.body), `"finish_reason":"length"`) {
				t.Fatalf("completion = %d %s", a.status, a.body)
			}
			if h := rateHeader[k]; h != "" && a.header.Get(h) == "" {
				t.Fatalf("completion lacks %s", h)
			}
			want := notFound[k]
			if want == 0 {
				want = 404
			}
			if a := do(t, s, "POST", path, key, `{"model":"no-such-model"}`); a.status != want {
				t.Fatalf("unknown model = %d, want %d: %s", a.status, want, a.body)
			}
		})
	}
}

func TestMistralAliases(t *testing.T) {
	t.Parallel()
	s := start(t, sim.Mistral, sim.Options{APIKey: key})
	got := caseFor(sim.Mistral).parse(t, do(t, s, "GET", "/v1/models", key, "").body)
	if _, ok := got["alias:mistral-large-latest"]; !ok {
		t.Fatalf("aliases not listed: %v", got)
	}
	if a := do(t, s, "POST", "/v1/chat/completions", key, `{"model":"mistral-large-latest"}`); a.status != 200 {
		t.Fatalf("alias completion = %d", a.status)
	}
}

func TestProviderExtras(t *testing.T) {
	t.Parallel()
	cases := []struct {
		kind   sim.Kind
		path   string
		key    string // "" = sent without a key
		status int
		want   string // substring of the body
	}{
		{sim.OpenRouter, "/api/v1/models", "", 200, `"context_length":1000000`},
		{sim.OpenRouter, "/api/v1/key", key, 200, `"limit_remaining":74.5`},
		{sim.DeepSeek, "/user/balance", key, 200, `"is_available":true`},
		{sim.DeepSeek, "/v1/models", key, 200, `"deepseek-chat"`},
		{sim.XAI, "/v1/api-key", key, 200, `"api_key_blocked":false`},
		{sim.VLLM, "/health", "", 200, ``},
		{sim.VLLM, "/v1/models", "", 401, `Unauthorized`},
		{sim.LlamaCpp, "/health", "", 200, `{"status":"ok"}`},
		{sim.LlamaCpp, "/props", key, 200, `"n_ctx":65536`},
		{sim.LMStudio, "/api/v0/models", key, 200, `"loaded_context_length":65536`},
		{sim.LMStudio, "/api/v1/models", key, 200, `"config":{"context_length":65536}`},
		{sim.LiteLLM, "/v1/model/info", key, 200, `"max_input_tokens":128000`},
	}
	for _, c := range cases {
		t.Run(string(c.kind)+c.path, func(t *testing.T) {
			t.Parallel()
			s := start(t, c.kind, sim.Options{APIKey: key})
			a := do(t, s, "GET", c.path, c.key, "")
			if a.status != c.status || !strings.Contains(string(a.body), c.want) {
				t.Fatalf("= %d %s, want %d containing %s", a.status, a.body, c.status, c.want)
			}
		})
	}
	s := start(t, sim.LlamaCpp, sim.Options{})
	setFault(t, s, sim.SmallContext, sim.FaultParams{})
	if a := do(t, s, "GET", "/props", "", ""); !strings.Contains(string(a.body), `"n_ctx":4096`) {
		t.Fatalf("llama.cpp props under SmallContext = %s", a.body)
	}
	setFault(t, s, sim.Down, sim.FaultParams{})
	if a := do(t, s, "GET", "/health", "", ""); a.status != 503 {
		t.Fatalf("health when down = %d", a.status)
	}
}

func TestPaddingAndLog(t *testing.T) {
	t.Parallel()
	s := start(t, sim.OpenRouter, sim.Options{Padding: 300})
	got := caseFor(sim.OpenRouter).parse(t, do(t, s, "GET", "/api/v1/models", "", "").body)
	if len(got) != 301 {
		t.Fatalf("listed %d models, want 301", len(got))
	}
	for range 40 {
		do(t, s, "GET", "/api/v1/models?n=1", "", "")
	}
	log := s.Log()
	if len(log) != 32 || log[31].RawQuery != "n=1" || s.Requests() != 41 {
		t.Fatalf("log has %d entries, requests %d", len(log), s.Requests())
	}
}
