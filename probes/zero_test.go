package probes

import (
	"encoding/json"
	"net"
	"reflect"
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

// TestNoAnswerHasNoStatusCode: a probe that got no HTTP answer (the
// connection refused) reports status_code null, not a made-up 0; one that
// got an answer reports its code. The JSON keeps every field of ProbeInfo,
// in order, so a field added to the struct cannot be left out of the report.
func TestNoAnswerHasNoStatusCode(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	res := probeOnce(t, defaultOptions(), Job{Provider: provider(configs.FlavourOllama, closed), Models: wants("ollama", "qwen3")})
	b, err := json.Marshal(res.Probe)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"status_code":null`) {
		t.Errorf("refused probe: %s, want status_code null", b)
	}
	var keys []string
	for _, f := range reflect.VisibleFields(reflect.TypeFor[ProbeInfo]()) {
		keys = append(keys, `"`+strings.Split(f.Tag.Get("json"), ",")[0]+`":`)
	}
	b, err = json.Marshal(ProbeInfo{StatusCode: 503, Error: "x"})
	if err != nil {
		t.Fatal(err)
	}
	rest := string(b)
	for _, k := range keys {
		i := strings.Index(rest, k)
		if i < 0 {
			t.Fatalf("%s: %s missing or out of order (want the struct's fields in order: %v)", b, k, keys)
		}
		rest = rest[i+len(k):]
	}
	if !strings.Contains(string(b), `"status_code":503`) {
		t.Errorf("answered probe: %s, want status_code 503", b)
	}
}
