package configs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/provwatch/provwatch/internal/awstest"
	"github.com/provwatch/provwatch/internal/ssmparam"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// writeFiles lays out files (name -> content) in a temp dir and returns it.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// provSummary is a comparable view of a provider.
type provSummary struct {
	ID, BaseURL, API string
	Flavour          Flavour
	KeySet           bool
	KeyEnv           string
	Builtin          bool
	Models           []string
}

// publicChains drops what only a rewrite needs (the value's node and
// spellings, where it is written), for comparing chains by value.
func publicChains(cs []Chain) []Chain {
	out := make([]Chain, len(cs))
	for i, c := range cs {
		out[i] = Chain{Name: c.Name, Path: c.Path, Primary: c.Primary, Fallbacks: c.Fallbacks, Fixed: c.Fixed}
	}
	return out
}

func summarize(ps []*Provider) []provSummary {
	var out []provSummary
	for _, p := range ps {
		s := provSummary{ID: p.ID, BaseURL: p.BaseURL, API: p.API, Flavour: p.Flavour, KeySet: p.APIKey != "", KeyEnv: p.KeyEnv, Builtin: p.Builtin}
		for _, m := range p.Models {
			s.Models = append(s.Models, m.ID)
		}
		out = append(out, s)
	}
	return out
}

func TestLoadOpenClawResolves(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{"openclaw.json": `// gateway
{
  models: {
    providers: {
      Ollama: { baseUrl: 'http://10.0.1.5:11434/v1/', api: 'openai-completions',
                models: [{ id: 'qwen3-coder', contextWindow: 128000, maxTokens: 8192, cost: {input: 0} }] },
      lab: { baseUrl: '${LAB_URL}/v1', apiKey: '${LAB_KEY}', headers: { 'X-Team': 'ml-${TEAM}' }, authHeader: true,
             models: [{ id: 'Qwen/Qwen2.5-Coder-32B-Instruct', name: 'Qwen coder' }] },
      box: { baseUrl: 'http://box.internal:9000', api: 'ollama' },
    },
  },
  agents: {
    defaults: {
      models: { 'anthropic/claude-sonnet-4-5': { alias: 'sonnet' } },
      model: { primary: 'ollama/qwen3-coder', fallbacks: ['OpenRouter/google/gemini-flash-1.5', 'sonnet'] },
    },
    list: [
      { id: 'main' },
      { id: 'coder', model: 'lab/Qwen/Qwen2.5-Coder-32B-Instruct' },
      { id: 'ops', model: { fallbacks: ['groq/llama-3.1-8b-instant'] } },
      { id: 'writer', model: { primary: 'google/gemini-2.5-pro', fallbacks: [] } },
    ],
  },
}`})
	env := envOf(map[string]string{"LAB_URL": "http://gpu:8000", "LAB_KEY": "sk-lab", "TEAM": "a", "OPENROUTER_API_KEY": "or-key", "GOOGLE_API_KEY": "g"})
	oc, err := LoadOpenClaw(context.Background(), Source{Path: filepath.Join(dir, "openclaw.json"), Getenv: env})
	if err != nil {
		t.Fatal(err)
	}
	wantProv := []provSummary{
		{ID: "anthropic", BaseURL: "https://api.anthropic.com", Flavour: FlavourAnthropic, KeyEnv: "ANTHROPIC_API_KEY", Builtin: true},
		{ID: "box", BaseURL: "http://box.internal:9000", API: "ollama", Flavour: FlavourOllama},
		{ID: "google", BaseURL: "https://generativelanguage.googleapis.com/v1beta", Flavour: FlavourGemini, KeySet: true, KeyEnv: "GOOGLE_API_KEY", Builtin: true},
		{ID: "groq", BaseURL: "https://api.groq.com/openai/v1", Flavour: FlavourGroq, KeyEnv: "GROQ_API_KEY", Builtin: true},
		{ID: "lab", BaseURL: "http://gpu:8000/v1", Flavour: FlavourOpenAICompatible, KeySet: true, KeyEnv: "LAB_KEY", Models: []string{"Qwen/Qwen2.5-Coder-32B-Instruct"}},
		{ID: "ollama", BaseURL: "http://10.0.1.5:11434/v1", API: "openai-completions", Flavour: FlavourOllama, Models: []string{"qwen3-coder"}},
		{ID: "openrouter", BaseURL: "https://openrouter.ai/api/v1", Flavour: FlavourOpenRouter, KeySet: true, KeyEnv: "OPENROUTER_API_KEY", Builtin: true},
	}
	if got := summarize(oc.Providers); !reflect.DeepEqual(got, wantProv) {
		t.Errorf("providers:\n got %+v\nwant %+v", got, wantProv)
	}
	// An agent's model replaces the defaults' chain: a string has no
	// fallbacks and is never moved (OpenClaw 2026.9.x).
	wantChains := []Chain{
		{Name: "defaults", Path: "agents.defaults.model", Primary: "ollama/qwen3-coder", Fallbacks: []string{"openrouter/google/gemini-flash-1.5", "anthropic/claude-sonnet-4-5"}},
		{Name: "coder", Path: "agents.list[1].model", Primary: "lab/Qwen/Qwen2.5-Coder-32B-Instruct", Fallbacks: []string{}, Fixed: true},
		{Name: "ops", Path: "agents.list[2].model", Primary: "ollama/qwen3-coder", Fallbacks: []string{"groq/llama-3.1-8b-instant"}},
		{Name: "writer", Path: "agents.list[3].model", Primary: "google/gemini-2.5-pro", Fallbacks: []string{}, Fixed: true},
	}
	if got := publicChains(oc.Chains); !reflect.DeepEqual(got, wantChains) {
		t.Errorf("chains:\n got %+v\nwant %+v", got, wantChains)
	}
	lab := oc.Provider("lab")
	if lab.APIKey != "sk-lab" || lab.Headers["X-Team"] != "ml-a" || !lab.AuthHeader || lab.Models[0].Name != "Qwen coder" {
		t.Errorf("lab = %+v", lab)
	}
	if m := oc.Provider("ollama").Model("qwen3-coder"); m == nil || *m.ContextWindow != 128000 || *m.MaxTokens != 8192 {
		t.Errorf("ollama model = %+v", m)
	}
	if got := oc.WatchedRefs(); len(got) != 6 {
		t.Errorf("WatchedRefs = %v, want 6 distinct refs", got)
	}
}

func TestLoadOpenClawIncludes(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{
		"openclaw.json5": `{
  $include: ['./models/base.json5', 'models/extra.json5'],
  agents: { defaults: { model: { primary: 'local/qwen3', fallbacks: ['openai/gpt-4o-mini'] } } },
  models: { providers: { local: { baseUrl: 'http://override:11434' } } },
}`,
		"models/base.json5": `{ models: { providers: { local: { baseUrl: 'http://base:11434', api: 'ollama', models: [{id: 'qwen3'}] } } },
  agents: { defaults: { model: { fallbacks: ['groq/llama-3.3-70b-versatile'] } } } }`,
		// Nested include, relative to models/extra.json5.
		"models/extra.json5": `{ $include: 'more.json5', models: { providers: { local: { models: [{id: 'llama3.1:8b'}] } } } }`,
		"models/more.json5":  `{ models: { providers: { vllm: { baseUrl: 'http://gpu:8000/v1' } } } }`,
	})
	oc, err := LoadOpenClaw(context.Background(), Source{Path: filepath.Join(dir, "openclaw.json5"), Getenv: envOf(nil)})
	if err != nil {
		t.Fatal(err)
	}
	local := oc.Provider("local")
	if local == nil || local.BaseURL != "http://override:11434" || local.Flavour != FlavourOllama {
		t.Fatalf("local = %+v: sibling keys must override included ones", local)
	}
	// Arrays from several includes concatenate, as OpenClaw's deepMerge does.
	if got := summarize([]*Provider{local})[0].Models; !reflect.DeepEqual(got, []string{"qwen3", "llama3.1:8b"}) {
		t.Errorf("local models = %v, want concatenated [qwen3 llama3.1:8b]", got)
	}
	if oc.Provider("vllm") == nil || oc.Provider("vllm").Flavour != FlavourVLLM {
		t.Errorf("nested include not resolved: %+v", summarize(oc.Providers))
	}
	if !strings.HasSuffix(oc.Provider("vllm").Source, filepath.Join("models", "more.json5")) {
		t.Errorf("vllm source = %q, want the included file", oc.Provider("vllm").Source)
	}
	want := []string{"groq/llama-3.3-70b-versatile", "openai/gpt-4o-mini"}
	if c, _ := oc.Defaults(); !reflect.DeepEqual(c.Fallbacks, want) {
		t.Errorf("fallbacks = %v, want %v (included array, then the sibling's)", c.Fallbacks, want)
	}
}

func TestLoadOpenClawNoConfig(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	oc, err := LoadOpenClaw(context.Background(), Source{Getenv: envOf(map[string]string{"HOME": home})})
	if err != nil || oc.Path != "" || len(oc.Chains) != 0 {
		t.Fatalf("got %+v, %v; want an empty OpenClaw", oc, err)
	}
	// The default path is used once it exists; OPENCLAW_CONFIG_PATH wins over it.
	writeFilesAt(t, home, ".openclaw/openclaw.json", `{agents: {defaults: {model: 'openai/gpt-4o'}}}`)
	oc, err = LoadOpenClaw(context.Background(), Source{Getenv: envOf(map[string]string{"HOME": home})})
	if err != nil || oc.Path != filepath.Join(home, ".openclaw", "openclaw.json") || oc.Chains[0].Primary != "openai/gpt-4o" {
		t.Fatalf("default path: got %+v, %v", oc, err)
	}
	other := writeFilesAt(t, home, "other.json", `{agents: {defaults: {model: 'groq/x'}}}`)
	oc, err = LoadOpenClaw(context.Background(), Source{Getenv: envOf(map[string]string{"HOME": home, "OPENCLAW_CONFIG_PATH": other})})
	if err != nil || oc.Path != other {
		t.Fatalf("OPENCLAW_CONFIG_PATH: got %+v, %v", oc, err)
	}
}

func writeFilesAt(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSubstitute(t *testing.T) {
	t.Parallel()
	env := envOf(map[string]string{"BASE": "http://h", "K_1": "v", "EMPTY": ""})
	tests := []struct {
		in, want, missing string
	}{
		{"plain", "plain", ""},
		{"${BASE}/v1", "http://h/v1", ""},
		{"a${K_1}b${K_1}", "avbv", ""},
		{"$${BASE}", "${BASE}", ""},
		{"$$${BASE}", "$${BASE}", ""}, // as OpenClaw: the escape wins
		{"${lower}", "${lower}", ""},
		{"${1BAD}", "${1BAD}", ""},
		{"${BASE", "${BASE", ""},
		{"cost $5", "cost $5", ""},
		{"${MISSING}", "", "MISSING"},
		{"x${EMPTY}", "", "EMPTY"},
	}
	for _, tt := range tests {
		got, name, err := substitute(tt.in, env)
		if tt.missing != "" {
			if err == nil || name != tt.missing {
				t.Errorf("substitute(%q) = %q, %q, %v; want missing %s", tt.in, got, name, err, tt.missing)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("substitute(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestDecideFlavour(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id, url, api string
		want         Flavour
	}{
		{"ollama", "http://h:9999/v1", "openai-completions", FlavourOllama},
		{"google", "", "", FlavourGemini},
		{"gemini", "", "", FlavourGemini},
		{"lm-studio", "http://127.0.0.1:1234/v1", "", FlavourLMStudio},
		{"llama.cpp", "http://127.0.0.1:8080/v1", "", FlavourLlamaCpp},
		{"LiteLLM", "http://proxy:4000", "", FlavourLiteLLM},
		{"corp", "https://api.openai.com/v1", "", FlavourOpenAI},
		{"corp", "https://API.GROQ.COM/openai/v1", "", FlavourGroq},
		{"corp", "https://openrouter.ai/api/v1", "", FlavourOpenRouter},
		{"corp", "https://api.x.ai/v1", "", FlavourXAI},
		{"corp", "https://api.together.xyz/v1", "", FlavourTogether},
		{"corp", "https://api.deepseek.com", "", FlavourDeepSeek},
		{"corp", "https://api.mistral.ai/v1", "", FlavourMistral},
		{"corp", "https://generativelanguage.googleapis.com/v1beta", "", FlavourGemini},
		{"corp", "https://api.anthropic.com", "", FlavourAnthropic},
		{"gpu", "http://10.0.0.2:11434", "openai-completions", FlavourOllama},
		{"gpu", "http://10.0.0.2:8000", "ollama", FlavourOllama},
		{"proxy", "https://llm.corp", "anthropic-messages", FlavourAnthropic},
		{"proxy", "https://llm.corp", "google-generative-ai", FlavourGemini},
		{"proxy", "https://llm.corp/v1", "openai-completions", FlavourOpenAICompatible},
		{"proxy", "not a url", "", FlavourOpenAICompatible},
	}
	for _, tt := range tests {
		if got := DecideFlavour(tt.id, tt.url, tt.api); got != tt.want {
			t.Errorf("DecideFlavour(%q, %q, %q) = %s, want %s", tt.id, tt.url, tt.api, got, tt.want)
		}
	}
}

func TestParseRef(t *testing.T) {
	t.Parallel()
	r, err := ParseRef("OpenRouter/google/gemini-flash-1.5")
	if err != nil || r.Provider != "openrouter" || r.Model != "google/gemini-flash-1.5" {
		t.Errorf("ParseRef = %+v, %v", r, err)
	}
	for _, bad := range []string{"", "gpt-4o", "/x", "x/"} {
		if _, err := ParseRef(bad); err == nil {
			t.Errorf("ParseRef(%q) succeeded, want an error", bad)
		}
	}
}

func TestDiscover(t *testing.T) {
	t.Parallel()
	got := Discover(envOf(map[string]string{"OPENAI_API_KEY": "a", "ANTHROPIC_OAUTH_TOKEN": "b", "GOOGLE_API_KEY": "c", "XAI_API_KEY": ""}))
	var ids []string
	for _, p := range got {
		ids = append(ids, p.ID+":"+p.KeyEnv)
	}
	want := []string{"anthropic:ANTHROPIC_OAUTH_TOKEN", "google:GOOGLE_API_KEY", "openai:OPENAI_API_KEY"}
	if !reflect.DeepEqual(ids, want) {
		t.Errorf("Discover = %v, want %v", ids, want)
	}
}

func TestLoadOpenClawFromSSM(t *testing.T) {
	t.Parallel()
	url := moto.URL(t)
	client := newSSM(t, url)
	ctx := context.Background()
	name, missing, include := awstest.ParamName(t), awstest.ParamName(t), awstest.ParamName(t)
	_, err := client.Put(ctx, ssmparam.Put{
		Name: name, Type: ssmparam.TypeSecureString,
		Value: `{models: {providers: {ollama: {baseUrl: 'http://10.0.1.5:11434'}}}, agents: {defaults: {model: 'ollama/qwen3-coder'}}}`,
	})
	if err != nil {
		t.Fatal(err)
	}
	oc, err := LoadOpenClaw(ctx, Source{Path: "ssm:" + name, SSM: client, Getenv: envOf(nil)})
	if err != nil {
		t.Fatal(err)
	}
	if oc.Path != "ssm:"+name || oc.Provider("ollama").BaseURL != "http://10.0.1.5:11434" {
		t.Errorf("got %+v", oc)
	}
	_, err = LoadOpenClaw(ctx, Source{Path: "ssm:" + missing, SSM: client, Getenv: envOf(nil)})
	want := "ssm:" + missing + ": SSM parameter " + missing + " does not exist (create it, or point --openclaw-config elsewhere)"
	if err == nil || err.Error() != want || !errors.Is(err, ErrConfig) {
		t.Errorf("missing parameter: err = %v, want %q", err, want)
	}
	// A parameter has no directory an $include could be resolved in.
	if _, err := client.Put(ctx, ssmparam.Put{Name: include, Type: ssmparam.TypeString,
		Value: "{\n  agents: {defaults: {model: 'ollama/qwen3'}},\n  models: {$include: './providers.json5'},\n}"}); err != nil {
		t.Fatal(err)
	}
	_, err = LoadOpenClaw(ctx, Source{Path: "ssm:" + include, SSM: client, Getenv: envOf(nil)})
	want = "ssm:" + include + ":3:22: $include: $include cannot be resolved in a config read from SSM (there is no directory to resolve it against) (store the merged config in the parameter)"
	if err == nil || err.Error() != want || !errors.Is(err, ErrConfig) {
		t.Errorf("$include in a parameter: err = %v, want %q", err, want)
	}
}

// Short literal keys once crashed the loader: it looked for "${" past the
// end of the string.
func TestLoadOpenClawShortKeys(t *testing.T) {
	t.Parallel()
	for _, key := range []string{`""`, `"x"`, `"$"`, `"${"`, `"${A"`} {
		dir := t.TempDir()
		path := filepath.Join(dir, "openclaw.json")
		doc := `{models: {providers: {vllm: {baseUrl: "http://127.0.0.1:8000/v1", apiKey: ` + key +
			`, models: [{id: "m"}]}}}, agents: {defaults: {model: "vllm/m"}}}`
		if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		oc, err := LoadOpenClaw(context.Background(), Source{Path: path, Getenv: func(string) string { return "" }})
		if err != nil {
			t.Fatalf("apiKey %s: %v", key, err)
		}
		if p := oc.Provider("vllm"); p == nil || p.KeyEnv != "" {
			t.Fatalf("apiKey %s: provider %+v", key, p)
		}
	}
}

// TestModelRefsAsOpenClawReadsThem: the ref rules of OpenClaw 2026.9.x's
// model selection (docs/configuration.md).
func TestModelRefsAsOpenClawReadsThem(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, agents string
		want         Order
		warning      string // a substring of the one warning, "" for none
	}{
		{"provider lower-cased, model case kept", `defaults: {model: {primary: "Ollama/Qwen3", fallbacks: ["X-AI/grok-4"]}}`,
			Order{Primary: "ollama/Qwen3", Fallbacks: []string{"xai/grok-4"}}, ""},
		{"an alias, in any case", `defaults: {models: {"openai/gpt-4.1": {alias: "Fast"}}, model: {primary: "fast", fallbacks: []}}`,
			Order{Primary: "openai/gpt-4.1", Fallbacks: []string{}}, ""},
		{"a bare id one configured provider lists is that provider's", `defaults: {model: "qwen-local"}`,
			Order{Primary: "lab/qwen-local", Fallbacks: []string{}}, ""},
		{"a bare primary is openai's, with a warning", `defaults: {model: "gpt-4.1"}`,
			Order{Primary: "openai/gpt-4.1", Fallbacks: []string{}}, `falls back to "openai/gpt-4.1"`},
		{"a bare fallback takes its primary's provider", `defaults: {model: {primary: "ollama/qwen3", fallbacks: ["llama3.1:8b"]}}`,
			Order{Primary: "ollama/qwen3", Fallbacks: []string{"ollama/llama3.1:8b"}}, `takes its primary's provider: "ollama/llama3.1:8b"`},
		{"a bare fallback ignores the providers' model lists", `defaults: {model: {primary: "ollama/qwen3", fallbacks: ["qwen-local"]}}`,
			Order{Primary: "ollama/qwen3", Fallbacks: []string{"ollama/qwen-local"}}, `takes its primary's provider: "ollama/qwen-local"`},
		{"provider/alias is the alias's model of that provider", `defaults: {models: {"lab/qwen-local": {alias: "fast"}}, model: {primary: "lab/Fast", fallbacks: ["ollama/qwen3", "lab/fast"]}}`,
			Order{Primary: "lab/qwen-local", Fallbacks: []string{"ollama/qwen3", "lab/qwen-local"}}, ""},
		{"provider/alias of another provider is a model id", `defaults: {models: {"lab/qwen-local": {alias: "fast"}}, model: {primary: "ollama/qwen3", fallbacks: ["groq/fast"]}}`,
			Order{Primary: "ollama/qwen3", Fallbacks: []string{"groq/fast"}}, ""},
		{"a primary's provider/alias yields to a model the provider lists", `defaults: {models: {"openai/gpt-4.1": {alias: "qwen-local"}}, model: {primary: "lab/qwen-local", fallbacks: ["openai/qwen-local"]}}`,
			Order{Primary: "lab/qwen-local", Fallbacks: []string{"openai/gpt-4.1"}}, ""},
		{"a trailing auth profile is not part of the model", `defaults: {model: {primary: "anthropic/claude-sonnet-4-5@work", fallbacks: ["fast@backup"]}, models: {"lab/qwen-local": {alias: "fast"}}}`,
			Order{Primary: "anthropic/claude-sonnet-4-5", Fallbacks: []string{"lab/qwen-local"}}, ""},
		{"a dated version or a quantisation after @ is part of the model", `defaults: {model: {primary: "vertex/claude-3-5@20241022", fallbacks: ["ollama/qwen3@q4_K_M", "ollama/qwen3@8bit@home"]}}`,
			Order{Primary: "vertex/claude-3-5@20241022", Fallbacks: []string{"ollama/qwen3@q4_K_M", "ollama/qwen3@8bit"}}, ""},
		{"a missing ${VAR} stays as written, with a warning", `defaults: {model: {primary: "ollama/qwen3", fallbacks: ["${FALLBACK_MODEL}"]}}`,
			Order{Primary: "ollama/qwen3", Fallbacks: []string{"ollama/${FALLBACK_MODEL}"}}, "${FALLBACK_MODEL} is not set"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := writeFiles(t, map[string]string{"openclaw.json": `{
  models: {providers: {lab: {baseUrl: "http://gpu:8000/v1", models: [{id: "qwen-local"}]}}},
  agents: {` + tc.agents + `},
}`})
			oc, err := LoadOpenClaw(context.Background(), Source{Path: filepath.Join(dir, "openclaw.json"), Getenv: envOf(nil)})
			if err != nil {
				t.Fatal(err)
			}
			c, ok := oc.Defaults()
			if !ok || !c.Order().Equal(tc.want) {
				t.Errorf("chain %v, want %v", c.Order(), tc.want)
			}
			found := false
			for _, w := range oc.Warnings {
				found = found || strings.Contains(w.String(), tc.warning)
			}
			if tc.warning == "" && len(oc.Warnings) > 0 || tc.warning != "" && !found {
				t.Errorf("warnings %v, want one with %q", oc.Warnings, tc.warning)
			}
		})
	}
}

// TestAliasProviderIDConfigured: x-ai is OpenClaw's alias of xai, but a
// config with a models.providers "x-ai" entry runs "x-ai/…" refs on that
// entry (the 2026.9.6 gateway sends the turn to its baseUrl), so that is
// the provider watched; "xai/…" stays the built-in xai.
func TestAliasProviderIDConfigured(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{"openclaw.json": `{
  models: {providers: {"x-ai": {baseUrl: "http://grok.lan/v1", models: [{id: "grok-x"}]}}},
  agents: {defaults: {model: {primary: "X-AI/grok-x", fallbacks: ["xai/grok-4"]}}},
}`})
	oc, err := LoadOpenClaw(context.Background(), Source{Path: filepath.Join(dir, "openclaw.json"), Getenv: envOf(nil)})
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := oc.Defaults(); !c.Order().Equal(Order{Primary: "x-ai/grok-x", Fallbacks: []string{"xai/grok-4"}}) {
		t.Errorf("chain %v, want x-ai/grok-x then xai/grok-4", c.Order())
	}
	if p := oc.Provider("x-ai"); p == nil || p.Builtin || p.BaseURL != "http://grok.lan/v1" {
		t.Errorf("provider x-ai = %+v, want the configured entry", p)
	}
	if p := oc.Provider("xai"); p == nil || !p.Builtin {
		t.Errorf("provider xai = %+v, want the built-in", p)
	}
}

// TestAgentChainsAsOpenClawResolvesThem: 2026.9.x's rules for an agent's
// own model (docs/configuration.md): a string or a primary alone has no
// fallbacks; its own fallbacks list (even empty) is its chain; fallbacks
// alone take the defaults' primary; an empty model runs on the defaults.
func TestAgentChainsAsOpenClawResolvesThem(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{"openclaw.json": `{
  agents: {
    defaults: {model: {primary: "ollama/qwen3", fallbacks: ["openai/gpt-4o-mini"]}},
    entries: {
      Private: {model: {primary: "ollama/qwen3-coder:30b"}},
      str: {model: "ollama/llama3.1"},
      own: {model: {primary: "openai/gpt-4o", fallbacks: ["ollama/qwen3"]}},
      none: {model: {primary: "openai/gpt-4o", fallbacks: []}},
      tail: {model: {fallbacks: ["openai/gpt-4o"]}},
      empty: {model: ""},
      bare: {workspace: "~/x"},
    },
  },
}`})
	oc, err := LoadOpenClaw(context.Background(), Source{Path: filepath.Join(dir, "openclaw.json"), Getenv: envOf(nil)})
	if err != nil {
		t.Fatal(err)
	}
	want := []Chain{
		{Name: "defaults", Path: "agents.defaults.model", Primary: "ollama/qwen3", Fallbacks: []string{"openai/gpt-4o-mini"}},
		{Name: "private", Path: "agents.entries.Private.model", Primary: "ollama/qwen3-coder:30b", Fallbacks: []string{}, Fixed: true},
		{Name: "str", Path: "agents.entries.str.model", Primary: "ollama/llama3.1", Fallbacks: []string{}, Fixed: true},
		{Name: "own", Path: "agents.entries.own.model", Primary: "openai/gpt-4o", Fallbacks: []string{"ollama/qwen3"}},
		{Name: "none", Path: "agents.entries.none.model", Primary: "openai/gpt-4o", Fallbacks: []string{}, Fixed: true},
		{Name: "tail", Path: "agents.entries.tail.model", Primary: "ollama/qwen3", Fallbacks: []string{"openai/gpt-4o"}},
	}
	if got := publicChains(oc.Chains); !reflect.DeepEqual(got, want) {
		t.Errorf("chains:\n got %+v\nwant %+v", got, want)
	}
}

func TestSelfHosted(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		p    Provider
		want bool
	}{
		{Provider{Flavour: FlavourOllama, BaseURL: "https://ollama.example.com"}, true},
		{Provider{Flavour: FlavourVLLM, BaseURL: "https://vllm.example.com/v1"}, true},
		{Provider{Flavour: FlavourOpenAICompatible, BaseURL: "http://10.0.1.5:8000/v1"}, true},
		{Provider{Flavour: FlavourOpenAICompatible, BaseURL: "http://192.168.1.20:8080"}, true},
		{Provider{Flavour: FlavourOpenAICompatible, BaseURL: "http://[::1]:8080"}, true},
		{Provider{Flavour: FlavourOpenAICompatible, BaseURL: "http://[fd00::5]:8080"}, true},
		{Provider{Flavour: FlavourOpenAICompatible, BaseURL: "http://100.100.1.2:8080"}, true}, // Tailscale
		{Provider{Flavour: FlavourOpenAICompatible, BaseURL: "http://gpu:8000/v1"}, true},      // a compose service
		{Provider{Flavour: FlavourOpenAICompatible, BaseURL: "http://box.lan:8000/v1"}, true},
		{Provider{Flavour: FlavourOpenAICompatible, BaseURL: "https://api.example.com/v1"}, false},
		{Provider{Flavour: FlavourOpenAI, BaseURL: "https://api.openai.com/v1"}, false},
		{Provider{Flavour: FlavourGroq, BaseURL: "https://api.groq.com/openai/v1"}, false},
		{Provider{Flavour: FlavourOpenAICompatible, BaseURL: "http://8.8.8.8/v1"}, false},
		{Provider{Flavour: FlavourOpenAICompatible, BaseURL: ""}, false},
	} {
		if got := tc.p.SelfHosted(); got != tc.want {
			t.Errorf("%s %s: SelfHosted = %v, want %v", tc.p.Flavour, tc.p.BaseURL, got, tc.want)
		}
	}
}

// TestProviderIDsDifferingInCase: OpenClaw lower-cases provider ids, so
// "Lab" and "lab" are one provider. The file is accepted (OpenClaw accepts
// it), the later entry is used, and a warning names both places.
func TestProviderIDsDifferingInCase(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{"openclaw.json": `{
  models: { providers: {
    Lab: { baseUrl: 'http://gpu-a:8000/v1' },
    lab: { baseUrl: 'http://gpu-b:8000/v1' },
  } },
  agents: { defaults: { model: 'lab/coder' } },
}`})
	path := filepath.Join(dir, "openclaw.json")
	oc, err := LoadOpenClaw(context.Background(), Source{Path: path, Getenv: envOf(nil)})
	if err != nil {
		t.Fatal(err)
	}
	if p := oc.Provider("lab"); p == nil || p.BaseURL != "http://gpu-b:8000/v1" {
		t.Fatalf("provider lab = %+v, want the later entry", p)
	}
	want := path + `:4:5: models.providers.lab: the same provider as models.providers.Lab (line 3): OpenClaw lower-cases provider ids, so only this later entry is used (remove or rename one of them)`
	if len(oc.Warnings) != 1 || oc.Warnings[0].String() != want {
		t.Errorf("warnings %q, want [%q]", oc.Warnings, want)
	}
}

// TestTwoRosters: agents.list beside agents.entries is a file OpenClaw
// 2026.9.x rejects (the corpus case agent-list-and-entries). provwatch
// says so and reads agents.entries alone, so no agent is watched twice
// under one name.
func TestTwoRosters(t *testing.T) {
	t.Parallel()
	oc, err := LoadOpenClaw(context.Background(), Source{Path: filepath.Join("testdata", "openclaw-compat", "agent-list-and-entries", "openclaw.json"), Getenv: envOf(nil)})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range oc.Chains {
		names = append(names, c.Name+" "+c.Path)
	}
	if want := []string{"defaults agents.defaults.model", "main agents.entries.main.model"}; !slices.Equal(names, want) {
		t.Errorf("chains %q, want %q", names, want)
	}
	if len(oc.Warnings) != 1 || oc.Warnings[0].Path != "agents.list" || !strings.Contains(oc.Warnings[0].Msg, "rejects the file") {
		t.Errorf("warnings %v, want one at agents.list saying OpenClaw rejects the file", oc.Warnings)
	}
}

// TestBuiltinsAreKnownToOpenClaw: every provider with built-in defaults
// here is one OpenClaw serves without a models.providers entry, so callers
// ask KnownToOpenClaw alone.
func TestBuiltinsAreKnownToOpenClaw(t *testing.T) {
	t.Parallel()
	for id := range builtins {
		if !KnownToOpenClaw(id) {
			t.Errorf("built-in %s is not in OpenClaw's provider list", id)
		}
	}
}
