package probes

import (
	"strings"
	"testing"

	"github.com/provwatch/provwatch/configs"
)

// TestZeroContextIsUnknown: a context of 0 tokens is a provider that does
// not know, not a model served with no context: it is null in the report
// and never a reason to demote or a "trained for 0 tokens" hint.
func TestZeroContextIsUnknown(t *testing.T) {
	t.Parallel()
	groq := serve(t, map[string]route{"GET /openai/v1/models": {body: `{"object":"list","data":[{"id":"llama-3.3-70b-versatile","active":true,"context_window":0}]}`}})
	ollama := serve(t, map[string]route{
		"GET /api/tags":  {body: `{"models":[{"name":"zero:latest","model":"zero:latest"}]}`},
		"POST /api/show": {body: `{"parameters":"num_ctx                        0","model_info":{"general.architecture":"llama","llama.context_length":0}}`},
		"GET /api/ps":    {body: `{"models":[{"name":"zero:latest","model":"zero:latest","context_length":0}]}`},
	})
	for _, tc := range []struct {
		p    *configs.Provider
		want []Want
	}{
		{provider(configs.FlavourGroq, groq.URL+"/openai/v1"), wants("groq", "llama-3.3-70b-versatile")},
		{provider(configs.FlavourOllama, ollama.URL), wants("ollama", "zero")},
	} {
		res := probeOnce(t, defaultOptions(), Job{Provider: tc.p, Models: tc.want})
		check(t, res, []expect{{Healthy, ReasonOK, none, none}})
		if m := res.Models[0]; strings.Contains(m.Detail+m.Hint, " 0 tokens") || strings.Contains(m.Detail, "0-token") {
			t.Errorf("%s: a zero context taken literally: %q / %q", tc.p.ID, m.Detail, m.Hint)
		}
	}
}

// TestOpenRouterUnlimitedKeyIgnoresRemaining: with limit null the key has
// no credit limit, so limit_remaining (whatever it says) is no verdict and
// no made-up "of 0 USD".
func TestOpenRouterUnlimitedKeyIgnoresRemaining(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, key string
		want      expect
		credits   float64
		detail    string
	}{
		{"limit null, remaining -1", `{"data":{"limit":null,"limit_remaining":-1,"usage":12.25}}`, expect{Healthy, ReasonOK, 1000000, none}, -1, ""},
		{"overdrawn limit", `{"data":{"limit":10,"limit_remaining":-0.5,"usage":10.5}}`, expect{Down, ReasonBilling, none, none}, -0.5, "credit limit of 10 USD is used up"},
	} {
		srv := serve(t, map[string]route{
			"GET /api/v1/key":    {body: tc.key},
			"GET /api/v1/models": {file: "openrouter/models.json"},
		})
		res := probeOnce(t, defaultOptions(), Job{Provider: provider(configs.FlavourOpenRouter, srv.URL+"/api/v1"), Models: wants("openrouter", "google/gemini-flash-1.5")})
		check(t, res, []expect{tc.want})
		if got := f64(res.RateLimit.CreditsRemaining); got != tc.credits {
			t.Errorf("%s: credits_remaining %v, want %v", tc.name, got, tc.credits)
		}
		if d := res.Models[0].Detail; strings.Contains(d, "of 0 USD") || !strings.Contains(d, tc.detail) {
			t.Errorf("%s: detail %q, want it to say %q", tc.name, d, tc.detail)
		}
	}
}
