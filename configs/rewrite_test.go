package configs

import (
	"strings"
	"testing"
)

// TestRewriteSpellsRefsForTheirNewPlace: a ref keeps the file's spelling
// (an alias, a provider's case, an auth profile) when that spelling means
// the same model in its new place; a bare id, which a primary and a
// fallback resolve differently, is written provider/model.
func TestRewriteSpellsRefsForTheirNewPlace(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, model string
		want        Order
		written     string // the new value of agents.defaults.model
	}{
		{"a bare fallback promoted to primary is written with its provider",
			`{primary: "ollama/qwen3", fallbacks: ["llama3.1:8b"]}`,
			Order{Primary: "ollama/llama3.1:8b", Fallbacks: []string{"ollama/qwen3"}},
			`{primary: "ollama/llama3.1:8b", fallbacks: ["ollama/qwen3"]}`},
		{"a bare primary moved to a fallback is written with its provider",
			`{primary: "qwen-local", fallbacks: ["ollama/qwen3"]}`,
			Order{Primary: "ollama/qwen3", Fallbacks: []string{"lab/qwen-local"}},
			`{primary: "ollama/qwen3", fallbacks: ["lab/qwen-local"]}`},
		{"an escaped ${ stays escaped, a variable stays a variable",
			`{primary: "ollama/qwen3", fallbacks: ["$${LITERAL}", "${MISSING}"]}`,
			Order{Primary: "ollama/${MISSING}", Fallbacks: []string{"ollama/${LITERAL}", "ollama/qwen3"}},
			`{primary: "ollama/${MISSING}", fallbacks: ["ollama/$${LITERAL}", "ollama/qwen3"]}`},
		{"a set ${VAR} stays the variable",
			`{primary: "ollama/qwen3", fallbacks: ["${FALLBACK}"]}`,
			Order{Primary: "lab/qwen-local", Fallbacks: []string{"ollama/qwen3"}},
			`{primary: "${FALLBACK}", fallbacks: ["ollama/qwen3"]}`},
		{"aliases, a provider's case and an auth profile are kept",
			`{primary: "Fast", fallbacks: ["Ollama/qwen3@home"]}`,
			Order{Primary: "ollama/qwen3", Fallbacks: []string{"lab/qwen-local"}},
			`{primary: "Ollama/qwen3@home", fallbacks: ["Fast"]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := `{
  models: {providers: {lab: {baseUrl: "http://gpu:8000/v1", models: [{id: "qwen-local"}]}}},
  agents: {defaults: {models: {"lab/qwen-local": {alias: "fast"}}, model: ` + tc.model + `}},
}`
			d, err := ParseDoc("openclaw.json", map[string][]byte{"openclaw.json": []byte(src)}, func(k string) string {
				if k == "FALLBACK" {
					return "lab/qwen-local"
				}
				return ""
			})
			if err != nil {
				t.Fatal(err)
			}
			res, err := d.Rewrite([]ChainOrder{{Name: DefaultsChain, Order: tc.want}}, RewriteOptions{})
			if err != nil {
				t.Fatalf("Rewrite: %v", err)
			}
			got := string(res.Files["openclaw.json"])
			if want := strings.Replace(src, tc.model, tc.written, 1); got != want {
				t.Errorf("rewritten to\n%s\nwant\n%s", got, want)
			}
		})
	}
}

// TestMalformedDefaults: what Resolve refuses in agents.defaults.model's
// value is repaired by a rewrite; an error anywhere else, agents.defaults.models
// (the allowlist) and an agent's own model included, is not.
func TestMalformedDefaults(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, src string
		want      bool
	}{
		{"a number", `{agents: {defaults: {model: 42}}}`, true},
		{"fallbacks not an array", `{agents: {defaults: {model: {primary: "a/b", fallbacks: "c/d"}}}}`, true},
		{"a fallback that is no ref", `{agents: {defaults: {model: {primary: "a/b", fallbacks: [7]}}}}`, true},
		{"an agent's model", `{agents: {defaults: {model: "a/b"}, entries: {main: {model: 42}}}}`, false},
		{"a provider", `{models: {providers: {lab: {baseUrl: 7}}}, agents: {defaults: {model: "a/b"}}}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d, err := ParseDoc("openclaw.json", map[string][]byte{"openclaw.json": []byte(tc.src)}, func(string) string { return "" })
			if err != nil {
				t.Fatal(err)
			}
			_, err = d.Resolve()
			if err == nil {
				t.Fatal("Resolve accepted it")
			}
			if got := MalformedDefaults(err); got != tc.want {
				t.Errorf("MalformedDefaults(%v) = %v, want %v", err, got, tc.want)
			}
		})
	}
	if MalformedDefaults(&Error{Path: "agents.defaults.models.lab/x"}) {
		t.Error("an error in agents.defaults.models (the allowlist) counts as agents.defaults.model's")
	}
	if MalformedDefaults(nil) {
		t.Error("no error counts as a malformed value")
	}
}
