package sim_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/provwatch/provwatch/internal/sim"
)

// The shapes below follow the captured answers of a real Ollama server.

func TestOllamaCapturedShapes(t *testing.T) {
	t.Parallel()
	s := start(t, sim.Ollama, sim.Options{Models: []sim.Model{
		{ID: "tiny-ctx", NumCtx: 4096, Trained: 4096},
		{ID: "tiny-plain", Trained: 4096},
	}})
	root := do(t, s, "GET", "/", "", "")
	if string(root.body) != "Ollama is running" || root.header.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Fatalf("GET / = %q %q", root.body, root.header.Get("Content-Type"))
	}
	if v := decode[map[string]string](t, do(t, s, "GET", "/api/version", "", "").body); v["version"] == "" {
		t.Fatal("no version")
	}

	show := do(t, s, "POST", "/api/show", "", `{"model":"TINY-CTX"}`) // case-insensitive, no tag
	if show.status != 200 {
		t.Fatalf("show: %d %s", show.status, show.body)
	}
	sv := decode[struct {
		Parameters *string        `json:"parameters"`
		ModelInfo  map[string]any `json:"model_info"`
	}](t, show.body)
	if sv.Parameters == nil || *sv.Parameters != "num_ctx                        4096" {
		t.Fatalf("parameters = %v, want the padded num_ctx line", sv.Parameters)
	}
	if sv.ModelInfo["general.architecture"] != "llama" || sv.ModelInfo["llama.context_length"] != 4096.0 {
		t.Fatalf("model_info = %v", sv.ModelInfo)
	}
	plain := decode[map[string]any](t, do(t, s, "POST", "/api/show", "", `{"name":"tiny-plain:latest"}`).body)
	if _, ok := plain["parameters"]; ok {
		t.Fatal("a model without parameters must have no parameters key")
	}

	for _, c := range []struct{ body, want string }{
		{`{"model":"nope"}`, `{"error":"model 'nope:latest' not found"}`},
		{`{}`, `{"error":"model is required"}`},
	} {
		a := do(t, s, "POST", "/api/show", "", c.body)
		if strings.TrimSpace(string(a.body)) != c.want {
			t.Errorf("show %s = %d %s, want %s", c.body, a.status, a.body, c.want)
		}
	}
	if a := do(t, s, "POST", "/api/generate", "", `{"model":"nope","stream":false}`); a.status != 404 ||
		strings.TrimSpace(string(a.body)) != `{"error":"model 'nope' not found"}` {
		t.Errorf("generate unknown = %d %s", a.status, a.body)
	}
	if a := do(t, s, "GET", "/api/nonexistent", "", ""); a.status != 404 || !strings.HasPrefix(a.header.Get("Content-Type"), "text/plain") {
		t.Errorf("unknown path = %d %q", a.status, a.header.Get("Content-Type"))
	}

	// Nothing loaded yet; generating loads the model with its context.
	type ps struct {
		Models []struct {
			Name          string `json:"name"`
			ContextLength int    `json:"context_length"`
		} `json:"models"`
	}
	if p := decode[ps](t, do(t, s, "GET", "/api/ps", "", "").body); len(p.Models) != 0 {
		t.Fatalf("ps before load = %+v", p)
	}
	gen := do(t, s, "POST", "/api/generate", "", `{"model":"tiny-plain","prompt":"hi","stream":false,"options":{"num_predict":1}}`)
	gv := decode[struct {
		Done         bool  `json:"done"`
		LoadDuration int64 `json:"load_duration"`
		EvalCount    int   `json:"eval_count"`
	}](t, gen.body)
	if !gv.Done || gv.LoadDuration == 0 || gv.EvalCount != 1 {
		t.Fatalf("generate = %s", gen.body)
	}
	p := decode[ps](t, do(t, s, "GET", "/api/ps", "", "").body)
	if len(p.Models) != 1 || p.Models[0].Name != "tiny-plain:latest" || p.Models[0].ContextLength != 4096 {
		t.Fatalf("ps after load = %+v, want tiny-plain at the 4096 default", p)
	}

	// A streamed generate is NDJSON, one object per line.
	st := do(t, s, "POST", "/api/generate", "", `{"model":"tiny-ctx","prompt":"hi"}`)
	lines := strings.Split(strings.TrimSpace(string(st.body)), "\n")
	if st.header.Get("Content-Type") != "application/x-ndjson" || len(lines) != 2 || !json.Valid([]byte(lines[1])) {
		t.Fatalf("stream = %q %q", st.header.Get("Content-Type"), st.body)
	}
}

func TestOllamaSmallContextAndMissing(t *testing.T) {
	t.Parallel()
	s := start(t, sim.Ollama, sim.Options{})
	setFault(t, s, sim.SmallContext, sim.FaultParams{Model: "qwen3-coder"})
	sv := decode[map[string]any](t, do(t, s, "POST", "/api/show", "", `{"model":"qwen3-coder"}`).body)
	if sv["parameters"] != "num_ctx                        4096" {
		t.Fatalf("parameters under SmallContext = %v", sv["parameters"])
	}
	setFault(t, s, sim.MissingModel, sim.FaultParams{})
	if a := do(t, s, "GET", "/v1/models", "", ""); strings.TrimSpace(string(a.body)) != `{"data":null,"object":"list"}` || a.header.Get("Content-Type") != "application/json" {
		t.Fatalf("empty /v1/models = %q %q, want data null", a.body, a.header.Get("Content-Type"))
	}
	if a := do(t, s, "GET", "/api/tags", "", ""); strings.TrimSpace(string(a.body)) != `{"models":[]}` {
		t.Fatalf("empty tags = %s", a.body)
	}
	if a := do(t, s, "POST", "/v1/chat/completions", "", `{"model":"qwen3-coder"}`); a.status != 404 ||
		!strings.Contains(string(a.body), `"type":"not_found_error"`) {
		t.Fatalf("chat on a missing model = %d %s", a.status, a.body)
	}
}

func TestOllamaLegacy(t *testing.T) {
	t.Parallel()
	s := start(t, sim.Ollama, sim.Options{Legacy: true})
	if v := decode[map[string]string](t, do(t, s, "GET", "/api/version", "", "").body); v["version"] != "0.24.0" {
		t.Fatalf("version %v", v)
	}
	if a := do(t, s, "POST", "/api/show", "", `{"model":"nope"}`); strings.TrimSpace(string(a.body)) != `{"error":"model 'nope' not found"}` {
		t.Fatalf("legacy show unknown = %s", a.body)
	}
	if strings.Contains(string(do(t, s, "GET", "/api/tags", "", "").body), "context_length") {
		t.Fatal("legacy tags must not carry details.context_length")
	}
}
