package probes

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/provwatch/provwatch/configs"
)

// showFrom answers /api/show like Ollama: the fixture named after the
// model (tag dropped), 404 when there is none.
func showFrom(t testing.TB) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Model string `json:"model"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		name := strings.TrimSuffix(req.Model, ":latest")
		name = strings.TrimSuffix(name, ":8b")
		b, err := readFixture("ollama/show_" + name + ".json")
		if err != nil {
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"error":"model '` + req.Model + `' not found"}`))
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Write(b)
	}
}

func ollamaRoutes(t testing.TB, tags, ps string) map[string]route {
	return map[string]route{
		"GET /api/tags":  {file: "ollama/" + tags},
		"POST /api/show": {fn: showFrom(t)},
		"GET /api/ps":    {file: "ollama/" + ps},
	}
}

func ptrInt(v int) *int { return &v }

func TestOllama(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		routes     map[string]route
		baseSuffix string
		api        string
		models     []Want
		want       []expect
		detail     []string // substrings of model 0's detail
		hint       string   // substring of model 0's hint
		noPS       bool     // /api/ps must not be asked
	}{
		{
			name: "num_ctx above threshold, trained reported beside it", routes: ollamaRoutes(t, "tags.json", "ps_empty.json"),
			models: wants("ollama", "qwen3-coder"), want: []expect{{Healthy, ReasonOK, 65536, 262144}}, noPS: true,
		},
		{
			name: "num_ctx 4096 is below OpenClaw's minimum", routes: ollamaRoutes(t, "tags.json", "ps_empty.json"),
			models: wants("ollama", "tiny-ctx"), want: []expect{{Down, ReasonContextWindow, 4096, 4096}},
			detail: []string{"tiny-ctx is served with a 4096-token context"}, hint: "trained for 4096 tokens only",
		},
		{
			name: "no num_ctx and not loaded: unknown, no reason to degrade", routes: ollamaRoutes(t, "tags.json", "ps_empty.json"),
			models: wants("ollama", "tiny-plain"), want: []expect{{Healthy, ReasonOK, none, 4096}},
			detail: []string{"no num_ctx and is not loaded"},
		},
		{
			name: "no num_ctx, loaded with 4096", routes: ollamaRoutes(t, "tags.json", "ps.json"),
			models: wants("ollama", "tiny-plain"), want: []expect{{Down, ReasonContextWindow, 4096, 4096}},
		},
		{
			name: "parameters without num_ctx, loaded with 65536", routes: ollamaRoutes(t, "tags.json", "ps_llama.json"),
			models: wants("ollama", "llama3.1:8b"), want: []expect{{Healthy, ReasonOK, 65536, 131072}},
		},
		{
			name: "served below the configured contextWindow", routes: ollamaRoutes(t, "tags.json", "ps_llama.json"),
			models: []Want{{Ref: "ollama/llama3.1:8b", Model: "llama3.1:8b", ConfiguredContextWindow: ptrInt(128000)}},
			want:   []expect{{Degraded, ReasonContextWindow, 65536, 131072}},
			detail: []string{"below contextWindow 128000"}, hint: "OLLAMA_CONTEXT_LENGTH>=128000",
		},
		{
			name: "not pulled (v0.24 tags)", routes: ollamaRoutes(t, "tags_v0.24.json", "ps_empty.json"),
			models: wants("ollama", "qwen3-coder", "tiny-ctx:latest"),
			want:   []expect{{Down, ReasonNoModel, none, none}, {Down, ReasonContextWindow, 4096, 4096}},
			detail: []string{"qwen3-coder is not pulled on http://127.0.0.1:", "(available: tiny-ctx:latest, llama3.1:8b)"},
			hint:   "run: ollama pull qwen3-coder",
		},
		{
			name: "empty store", routes: ollamaRoutes(t, "tags_empty.json", "ps_empty.json"),
			models: wants("ollama", "qwen3-coder"), want: []expect{{Down, ReasonNoModel, none, none}},
			detail: []string{"it serves no models"},
		},
		{
			name: "baseUrl with /v1 and api openai-completions still uses the native API", baseSuffix: "/v1/", api: "openai-completions",
			routes: ollamaRoutes(t, "tags.json", "ps_empty.json"),
			models: wants("ollama", "qwen3-coder"), want: []expect{{Healthy, ReasonOK, 65536, 262144}},
		},
		{
			name:   "queue full",
			routes: map[string]route{"GET /api/tags": {status: 503, file: "ollama/busy.json"}},
			models: wants("ollama", "qwen3-coder"), want: []expect{{Degraded, ReasonOverloaded, none, none}},
			detail: []string{"503", "server busy"},
		},
		{
			name:   "show fails for one model",
			routes: map[string]route{"GET /api/tags": {file: "ollama/tags.json"}, "POST /api/show": {status: 500, file: "ollama/start_error.json"}},
			models: wants("ollama", "qwen3-coder"), want: []expect{{Down, ReasonServerError, none, none}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := serve(t, tc.routes)
			p := provider(configs.FlavourOllama, srv.URL+tc.baseSuffix)
			p.APIKey, p.API = "", tc.api
			res := probeOnce(t, defaultOptions(), Job{Provider: p, Models: tc.models})
			check(t, res, tc.want)
			if res.API != "ollama" {
				t.Errorf("api %q, want ollama", res.API)
			}
			if len(tc.detail) > 0 {
				hasAll(t, "detail", res.Models[0].Detail, tc.detail...)
			}
			if tc.hint != "" {
				hasAll(t, "hint", res.Models[0].Hint, tc.hint)
			}
			if tc.noPS && srv.count("GET /api/ps") != 0 {
				t.Errorf("/api/ps asked although every model has num_ctx")
			}
			for _, r := range srv.requests() {
				if strings.HasPrefix(r.path, "/v1") {
					t.Errorf("OpenAI layer asked: %s %s", r.method, r.path)
				}
			}
		})
	}
}

func TestOllamaGenerate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		gen   route
		want  expect
		model string
	}{
		{"answers", route{file: "ollama/generate.json"}, expect{Healthy, ReasonOK, 65536, 0}, "qwen3-coder"},
		{"cannot start", route{status: 500, file: "ollama/start_error.json"}, expect{Down, ReasonServerError, 65536, 0}, "qwen3-coder"},
		{"busy", route{status: 503, file: "ollama/busy.json"}, expect{Degraded, ReasonOverloaded, 65536, 0}, "qwen3-coder"},
		{"vanished between tags and generate", route{status: 404, body: `{"error":"model 'qwen3-coder' not found"}`}, expect{Down, ReasonNoModel, 65536, 0}, "qwen3-coder"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			routes := ollamaRoutes(t, "tags.json", "ps_empty.json")
			routes["POST /api/generate"] = tc.gen
			srv := serve(t, routes)
			p := provider(configs.FlavourOllama, srv.URL)
			res := probeOnce(t, defaultOptions(), Job{Provider: p, Models: wants("ollama", tc.model), Generate: true})
			check(t, res, []expect{tc.want})
			var body map[string]any
			for _, r := range srv.requests() {
				if r.path == "/api/generate" {
					json.Unmarshal([]byte(r.body), &body)
				}
			}
			if body["model"] != "qwen3-coder:latest" || body["stream"] != false {
				t.Errorf("generate body %v: want the pulled name and stream false", body)
			}
			if opts, _ := body["options"].(map[string]any); opts["num_predict"] != float64(1) {
				t.Errorf("generate options %v: want num_predict 1", body["options"])
			}
		})
	}
}
