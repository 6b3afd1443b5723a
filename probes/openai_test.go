package probes

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/provwatch/provwatch/configs"
)

func TestOpenAICompatible(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		flavour    configs.Flavour
		baseSuffix string
		routes     map[string]route
		models     []Want
		generate   bool
		want       []expect
		ok         bool
		status     int
		detail     string // substring of model 0's detail
		check      func(t *testing.T, res Result, srv *fakeServer)
	}{
		{
			name: "openai: listed, no context in the list", flavour: configs.FlavourOpenAI, baseSuffix: "/v1",
			routes: map[string]route{"GET /v1/models": {file: "openai/models.json"}},
			models: wants("openai", "gpt-4o-mini", "gpt-5-nope"), ok: true, status: 200,
			want: []expect{{Healthy, ReasonOK, none, none}, {Down, ReasonNoModel, none, none}},
			check: func(t *testing.T, res Result, srv *fakeServer) {
				if got := srv.requests()[0].header.Get("Authorization"); got != "Bearer "+testKey {
					t.Errorf("Authorization %q, want the bearer key", got)
				}
				hasAll(t, "detail", res.Models[1].Detail, "gpt-5-nope is not served on", "available: gpt-4o-mini")
			},
		},
		{
			name: "openai: invalid key, message echoing the key is not repeated", flavour: configs.FlavourOpenAI, baseSuffix: "/v1",
			routes: map[string]route{"GET /v1/models": {status: 401, file: "openai/error_invalid_key.json"}},
			models: wants("openai", "gpt-4o-mini", "gpt-4o"), status: 401,
			want:   []expect{{Down, ReasonAuth, none, none}, {Down, ReasonAuth, none, none}},
			detail: "credentials rejected (401 invalid_api_key)",
		},
		{
			name: "openai: 429 insufficient_quota is billing", flavour: configs.FlavourOpenAI, baseSuffix: "/v1",
			routes: map[string]route{"GET /v1/models": {status: 429, file: "openai/error_insufficient_quota.json"}},
			models: wants("openai", "gpt-4o-mini"), status: 429,
			want: []expect{{Down, ReasonBilling, none, none}},
		},
		{
			name: "openai: 429 rate limit with Retry-After and headers", flavour: configs.FlavourOpenAI, baseSuffix: "/v1",
			routes: map[string]route{"GET /v1/models": {status: 429, file: "openai/error_rate_limit.json", header: map[string]string{
				"Retry-After": "20", "x-ratelimit-limit-requests": "500", "x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "6m0s",
				"x-ratelimit-limit-tokens": "200000", "x-ratelimit-remaining-tokens": "199000", "x-ratelimit-reset-tokens": "12ms"}}},
			models: wants("openai", "gpt-4o-mini"), status: 429,
			want: []expect{{Down, ReasonRateLimit, none, none}},
			check: func(t *testing.T, res Result, _ *fakeServer) {
				rl := res.RateLimit
				if f64(rl.RequestsLimit) != 500 || f64(rl.RequestsRemaining) != 0 || f64(rl.TokensLimit) != 200000 || f64(rl.TokensRemaining) != 199000 || f64(rl.Headroom) != 0 {
					t.Errorf("rate limit %+v", rl)
				}
				if rl.ResetAt == nil || !rl.ResetAt.Equal(epoch.Add(6*time.Minute)) {
					t.Errorf("reset_at %v, want the requests bucket's reset %v", rl.ResetAt, epoch.Add(6*time.Minute))
				}
			},
		},
		{
			name: "openai: generate, reasoning model refusing a 1-token budget is reachable", flavour: configs.FlavourOpenAI, baseSuffix: "/v1",
			generate: true,
			routes: map[string]route{
				"GET /v1/models": {file: "openai/models.json"},
				"POST /v1/chat/completions": {fn: chatBy(map[string]route{
					"gpt-4o-mini": {file: "openai/chat.json", header: map[string]string{"x-ratelimit-limit-requests": "10000", "x-ratelimit-remaining-requests": "9999", "x-ratelimit-reset-requests": "6ms"}},
					"o3-mini":     {status: 400, file: "openai/error_budget.json"},
					"gpt-4o":      {status: 404, file: "openai/error_model_not_found.json"},
				})},
			},
			models: wants("openai", "gpt-4o-mini", "o3-mini", "gpt-4o"), ok: true, status: 200,
			want: []expect{{Healthy, ReasonOK, none, none}, {Healthy, ReasonOK, none, none}, {Down, ReasonNoModel, none, none}},
			check: func(t *testing.T, res Result, srv *fakeServer) {
				if f64(res.RateLimit.RequestsLimit) != 10000 || f64(res.RateLimit.Headroom) != 0.9999 {
					t.Errorf("rate limit from generate answers: %+v", res.RateLimit)
				}
				for _, r := range srv.requests() {
					if r.path == "/v1/chat/completions" && !strings.Contains(r.body, `"max_completion_tokens":1`) {
						t.Errorf("generate body %s: want max_completion_tokens 1", r.body)
					}
				}
			},
		},
		{
			name: "groq: context_window, active, headroom under threshold", flavour: configs.FlavourGroq,
			routes: map[string]route{"GET /openai/v1/models": {file: "groq/models.json", header: map[string]string{
				"x-ratelimit-limit-requests": "14400", "x-ratelimit-remaining-requests": "14399", "x-ratelimit-reset-requests": "2m59.56s",
				"x-ratelimit-limit-tokens": "6000", "x-ratelimit-remaining-tokens": "300", "x-ratelimit-reset-tokens": "7.66s"}}},
			models: wants("groq", "llama-3.3-70b-versatile", "gemma2-9b-it", "llama3-70b-8192"), ok: true, status: 200,
			want: []expect{{Degraded, ReasonRateLimit, 131072, none}, {Down, ReasonContextWindow, 8192, none}, {Down, ReasonNoModel, none, none}},
			check: func(t *testing.T, res Result, _ *fakeServer) {
				if f64(res.RateLimit.Headroom) != 0.05 || res.RateLimit.ResetAt == nil || !res.RateLimit.ResetAt.Equal(epoch.Add(7660*time.Millisecond)) {
					t.Errorf("rate limit %+v (reset %v)", res.RateLimit, res.RateLimit.ResetAt)
				}
				hasAll(t, "detail", res.Models[0].Detail, "5% rate-limit headroom")
				hasAll(t, "detail", res.Models[2].Detail, "listed but not active")
			},
		},
		{
			name: "mistral: max_context_length, aliases, bysize headers", flavour: configs.FlavourMistral, baseSuffix: "/v1/",
			routes: map[string]route{"GET /v1/models": {file: "mistral/models.json", header: map[string]string{
				"x-ratelimitbysize-limit-minute": "500000", "x-ratelimitbysize-remaining-minute": "450000",
				"x-ratelimitbysize-limit-month": "1000000000", "x-ratelimitbysize-remaining-month": "900000000"}}},
			models: wants("mistral", "mistral-large-latest", "open-mistral-7b"), ok: true, status: 200,
			want: []expect{{Healthy, ReasonOK, 131072, none}, {Degraded, ReasonContextWindow, 32768, none}},
			check: func(t *testing.T, res Result, _ *fakeServer) {
				if f64(res.RateLimit.TokensLimit) != 500000 || f64(res.RateLimit.Headroom) != 0.9 {
					t.Errorf("rate limit %+v", res.RateLimit)
				}
			},
		},
		{
			name: "mistral: unknown model on generate is a 400", flavour: configs.FlavourMistral, generate: true,
			routes: map[string]route{
				"GET /v1/models":            {file: "mistral/models.json"},
				"POST /v1/chat/completions": {status: 400, file: "mistral/error_invalid_model.json"},
			},
			models: wants("mistral", "mistral-large-2411"), ok: true, status: 200,
			want: []expect{{Down, ReasonNoModel, 131072, none}},
			check: func(t *testing.T, _ Result, srv *fakeServer) {
				for _, r := range srv.requests() {
					if r.method == "POST" && !strings.Contains(r.body, `"max_tokens":1`) {
						t.Errorf("mistral generate body %s: want max_tokens 1", r.body)
					}
				}
			},
		},
		{
			name: "deepseek: context_window and balance", flavour: configs.FlavourDeepSeek,
			routes: map[string]route{"GET /v1/models": {file: "deepseek/models.json"}, "GET /user/balance": {file: "deepseek/balance.json"}},
			models: wants("deepseek", "deepseek-chat"), ok: true, status: 200,
			want: []expect{{Healthy, ReasonOK, 128000, none}},
			check: func(t *testing.T, res Result, _ *fakeServer) {
				if f64(res.RateLimit.CreditsRemaining) != 110 {
					t.Errorf("credits %v, want 110", f64(res.RateLimit.CreditsRemaining))
				}
			},
		},
		{
			name: "deepseek: blank lines before the body while it holds the connection", flavour: configs.FlavourDeepSeek,
			routes: map[string]route{"GET /v1/models": {body: "\n\n\n" + string(mustFixture("deepseek/models.json"))}, "GET /user/balance": {file: "deepseek/balance.json"}},
			models: wants("deepseek", "deepseek-reasoner"), ok: true, status: 200,
			want: []expect{{Healthy, ReasonOK, 128000, none}},
		},
		{
			name: "deepseek: balance not available is billing", flavour: configs.FlavourDeepSeek,
			routes: map[string]route{"GET /v1/models": {file: "deepseek/models.json"}, "GET /user/balance": {file: "deepseek/balance_empty.json"}},
			models: wants("deepseek", "deepseek-chat"), status: 200,
			want: []expect{{Down, ReasonBilling, none, none}},
		},
		{
			name: "deepseek: 402 insufficient balance", flavour: configs.FlavourDeepSeek,
			routes: map[string]route{"GET /v1/models": {status: 402, file: "deepseek/error_balance.json"}},
			models: wants("deepseek", "deepseek-chat"), status: 402,
			want: []expect{{Down, ReasonBilling, none, none}},
		},
		{
			name: "deepseek: unknown model on generate is a 400", flavour: configs.FlavourDeepSeek, generate: true,
			routes: map[string]route{"GET /v1/models": {file: "deepseek/models.json"}, "GET /user/balance": {file: "deepseek/balance.json"},
				"POST /v1/chat/completions": {status: 400, file: "deepseek/error_model.json"}},
			models: wants("deepseek", "deepseek-chat"), ok: true, status: 200,
			want: []expect{{Down, ReasonNoModel, 128000, none}},
		},
		{
			name: "together: bare array, plain and token limit headers", flavour: configs.FlavourTogether, baseSuffix: "/v1",
			routes: map[string]route{"GET /v1/models": {file: "together/models.json", header: map[string]string{
				"x-ratelimit-limit": "60", "x-ratelimit-remaining": "30", "x-ratelimit-reset": "1",
				"x-tokenlimit-limit": "180000", "x-tokenlimit-remaining": "179000"}}},
			models: wants("together", "meta-llama/Llama-3.3-70B-Instruct-Turbo", "Qwen/Qwen2.5-7B-Instruct-Turbo"), ok: true, status: 200,
			want: []expect{{Healthy, ReasonOK, 131072, none}, {Degraded, ReasonContextWindow, 32768, none}},
			check: func(t *testing.T, res Result, _ *fakeServer) {
				rl := res.RateLimit
				if f64(rl.RequestsLimit) != 60 || f64(rl.RequestsRemaining) != 30 || f64(rl.TokensLimit) != 180000 || f64(rl.Headroom) != 0.5 {
					t.Errorf("rate limit %+v", rl)
				}
				if rl.ResetAt == nil || !rl.ResetAt.Equal(epoch.Add(time.Second)) {
					t.Errorf("reset_at %v, want +1s", rl.ResetAt)
				}
			},
		},
		{
			name: "xai: listed without context, key fine", flavour: configs.FlavourXAI, baseSuffix: "/v1",
			routes: map[string]route{"GET /v1/models": {file: "xai/models.json"}, "GET /v1/api-key": {file: "xai/api_key.json"}},
			models: wants("xai", "grok-4"), ok: true, status: 200,
			want: []expect{{Healthy, ReasonOK, none, none}},
		},
		{
			name: "xai: blocked key", flavour: configs.FlavourXAI, baseSuffix: "/v1",
			routes: map[string]route{"GET /v1/models": {file: "xai/models.json"}, "GET /v1/api-key": {file: "xai/api_key_blocked.json"}},
			models: wants("xai", "grok-4"), status: 200,
			want: []expect{{Down, ReasonAuth, none, none}}, detail: "the API key is blocked",
		},
		{
			name: "xai: bad key is a 400", flavour: configs.FlavourXAI, baseSuffix: "/v1",
			routes: map[string]route{"GET /v1/models": {status: 400, file: "xai/error_key.json"}},
			models: wants("xai", "grok-4"), status: 400,
			want: []expect{{Down, ReasonAuth, none, none}},
		},
		{
			name: "xai: 403 out of credits", flavour: configs.FlavourXAI, baseSuffix: "/v1",
			routes: map[string]route{"GET /v1/models": {status: 403, file: "xai/error_credits.json"}},
			models: wants("xai", "grok-4"), status: 403,
			want: []expect{{Down, ReasonBilling, none, none}},
		},
		{
			name: "vllm: base without /v1, max_model_len", flavour: configs.FlavourVLLM,
			routes: map[string]route{"GET /v1/models": {file: "vllm/models.json"}},
			models: wants("vllm", "Qwen/Qwen2.5-Coder-32B-Instruct"), ok: true, status: 200,
			want: []expect{{Degraded, ReasonContextWindow, 32768, none}},
		},
		{
			name: "lmstudio: own list with state and max_context_length", flavour: configs.FlavourLMStudio, baseSuffix: "/v1",
			routes: map[string]route{"GET /api/v0/models": {file: "lmstudio/models_v0.json"}},
			models: wants("lmstudio", "meta-llama-3.1-8b-instruct", "qwen2.5-7b-instruct"), ok: true, status: 200,
			want: []expect{{Healthy, ReasonOK, 131072, none}, {Degraded, ReasonContextWindow, 32768, none}},
		},
		{
			name: "lmstudio: no /api/v0, falls back to /v1/models", flavour: configs.FlavourLMStudio, baseSuffix: "/v1",
			routes: map[string]route{"GET /v1/models": {file: "openai/models.json"}},
			models: wants("lmstudio", "gpt-4o"), ok: true, status: 404,
			want: []expect{{Healthy, ReasonOK, none, none}},
		},
		{
			name: "llamacpp: one model under any id, n_ctx from /props", flavour: configs.FlavourLlamaCpp, baseSuffix: "/v1",
			routes: map[string]route{"GET /v1/models": {file: "llamacpp/models.json"}, "GET /props": {file: "llamacpp/props.json"}},
			models: wants("llamacpp", "qwen-coder"), ok: true, status: 200,
			want: []expect{{Down, ReasonContextWindow, 8192, 32768}},
		},
		{
			name: "litellm: /model/info max_input_tokens, never /health", flavour: configs.FlavourLiteLLM, baseSuffix: "/v1",
			routes: map[string]route{"GET /model/info": {file: "litellm/model_info.json"}},
			models: wants("litellm", "gpt-4o", "local-qwen", "claude"), ok: true, status: 200,
			want: []expect{{Healthy, ReasonOK, 128000, none}, {Healthy, ReasonOK, none, none}, {Down, ReasonNoModel, none, none}},
			check: func(t *testing.T, _ Result, srv *fakeServer) {
				if srv.count("GET /health") != 0 {
					t.Errorf("LiteLLM /health was called: it bills a request to every model")
				}
			},
		},
		{
			name: "generic: data null is an empty server", flavour: configs.FlavourOpenAICompatible, baseSuffix: "/v1",
			routes: map[string]route{"GET /v1/models": {file: "ollama/v1_models_empty.json"}},
			models: wants("local", "qwen3-coder"), ok: true, status: 200,
			want: []expect{{Down, ReasonNoModel, none, none}}, detail: "it serves no models",
		},
		{
			name: "generic: garbage JSON is format", flavour: configs.FlavourOpenAICompatible, baseSuffix: "/v1",
			routes: map[string]route{"GET /v1/models": {body: `{"object":"list","data":[{"id":`}},
			models: wants("local", "m"), status: 200,
			want: []expect{{Degraded, ReasonFormat, none, none}}, detail: "invalid JSON",
		},
		{
			name: "generic: HTML page is format", flavour: configs.FlavourOpenAICompatible, baseSuffix: "/v1",
			routes: map[string]route{"GET /v1/models": {body: `<html><body>Welcome to nginx</body></html>`}},
			models: wants("local", "m"), status: 200,
			want: []expect{{Degraded, ReasonFormat, none, none}},
		},
		{
			name: "generic: an object without data is format", flavour: configs.FlavourOpenAICompatible, baseSuffix: "/v1",
			routes: map[string]route{"GET /v1/models": {body: `{"models":[]}`}},
			models: wants("local", "m"), status: 200,
			want: []expect{{Degraded, ReasonFormat, none, none}},
		},
		{
			name: "generic: whichever context field the server sends", flavour: configs.FlavourOpenAICompatible,
			routes: map[string]route{"GET /v1/models": {file: "vllm/models.json"}},
			models: wants("local", "Qwen/Qwen2.5-Coder-32B-Instruct"), ok: true, status: 200,
			want: []expect{{Degraded, ReasonContextWindow, 32768, none}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := serve(t, tc.routes)
			p := provider(tc.flavour, srv.URL+tc.baseSuffix)
			res := probeOnce(t, defaultOptions(), Job{Provider: p, Models: tc.models, Generate: tc.generate})
			check(t, res, tc.want)
			if res.Probe.OK != tc.ok || res.Probe.StatusCode != tc.status {
				t.Errorf("probe ok=%v status=%d (%q), want ok=%v status=%d", res.Probe.OK, res.Probe.StatusCode, res.Probe.Error, tc.ok, tc.status)
			}
			if tc.ok == (res.Probe.Error != "") {
				t.Errorf("probe ok=%v but error %q", res.Probe.OK, res.Probe.Error)
			}
			if res.API != string(tc.flavour) {
				t.Errorf("api %q, want %q", res.API, tc.flavour)
			}
			if tc.detail != "" {
				hasAll(t, "detail", res.Models[0].Detail, tc.detail)
			}
			if tc.check != nil {
				tc.check(t, res, srv)
			}
		})
	}
}

// chatBy answers a completion request with the route named by its model.
// Fixtures are read up front, so a missing one fails the table, not a request.
func chatBy(byModel map[string]route) func(w http.ResponseWriter, r *http.Request) {
	bodies := map[string][]byte{}
	for m, rt := range byModel {
		bodies[m] = []byte(rt.body)
		if rt.file != "" {
			bodies[m] = mustFixture(rt.file)
		}
	}
	return func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Model string `json:"model"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		rt, ok := byModel[req.Model]
		if !ok {
			http.Error(w, `{"error":{"message":"no route"}}`, 500)
			return
		}
		rt.write(w, bodies[req.Model])
	}
}

func TestMissingKeySendsNothing(t *testing.T) {
	t.Parallel()
	for _, fl := range []configs.Flavour{configs.FlavourOpenAI, configs.FlavourAnthropic, configs.FlavourGemini, configs.FlavourOpenRouter,
		configs.FlavourGroq, configs.FlavourMistral, configs.FlavourDeepSeek, configs.FlavourTogether, configs.FlavourXAI} {
		t.Run(string(fl), func(t *testing.T) {
			t.Parallel()
			srv := serve(t, map[string]route{})
			p := provider(fl, srv.URL)
			p.APIKey, p.KeyEnv, p.Builtin = "", strings.ToUpper(string(fl))+"_API_KEY", true
			res := probeOnce(t, defaultOptions(), Job{Provider: p, Models: wants(string(fl), "m1", "m2")})
			check(t, res, []expect{{Down, ReasonAuth, none, none}, {Down, ReasonAuth, none, none}})
			if n := len(srv.requests()); n != 0 {
				t.Errorf("%d requests sent without a key", n)
			}
			if h := res.Models[0].Hint; h != "set "+p.KeyEnv {
				t.Errorf("hint %q, want %q", h, "set "+p.KeyEnv)
			}
			if res.Probe.OK || res.Probe.StatusCode != 0 {
				t.Errorf("probe %+v", res.Probe)
			}
		})
	}
	// Self-hosted servers need no key.
	srv := serve(t, map[string]route{"GET /v1/models": {file: "vllm/models.json"}})
	p := provider(configs.FlavourVLLM, srv.URL)
	p.APIKey = ""
	res := probeOnce(t, defaultOptions(), Job{Provider: p, Models: wants("vllm", "Qwen/Qwen2.5-Coder-32B-Instruct")})
	if !res.Probe.OK {
		t.Errorf("vLLM without a key: %+v", res.Probe)
	}
	if h := srv.requests()[0].header.Get("Authorization"); h != "" {
		t.Errorf("Authorization %q sent without a key", h)
	}
}
