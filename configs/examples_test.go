package configs

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestExamples loads every shipped example the way a user would, with the
// variables it references set, and checks what provwatch would watch.
func TestExamples(t *testing.T) {
	t.Parallel()
	env := envOf(map[string]string{
		"OLLAMA_BASE_URL": "http://10.0.1.5:11434", "OPENROUTER_API_KEY": "or", "GROQ_API_KEY": "gq",
		"GEMINI_API_KEY": "gm", "OPENAI_API_KEY": "oa", "ANTHROPIC_API_KEY": "an", "GPU_HOST": "gpu.lan", "VLLM_API_KEY": "vl",
	})
	type prov struct {
		ID      string
		Flavour Flavour
		BaseURL string
	}
	tests := []struct {
		file   string
		provs  []prov
		chains []Chain
	}{
		{
			file: "ollama-primary.json5",
			provs: []prov{
				{"anthropic", FlavourAnthropic, "https://api.anthropic.com"},
				{"ollama", FlavourOllama, "http://10.0.1.5:11434"},
				{"openrouter", FlavourOpenRouter, "https://openrouter.ai/api/v1"},
			},
			chains: []Chain{{Name: "defaults", Path: "agents.defaults.model", Primary: "ollama/qwen3-coder",
				Fallbacks: []string{"openrouter/google/gemini-flash-1.5", "anthropic/claude-sonnet-4-5"}}},
		},
		{
			file: "free-tier.json5",
			provs: []prov{
				{"google", FlavourGemini, "https://generativelanguage.googleapis.com/v1beta"},
				{"groq", FlavourGroq, "https://api.groq.com/openai/v1"},
				{"openrouter", FlavourOpenRouter, "https://openrouter.ai/api/v1"},
			},
			chains: []Chain{{Name: "defaults", Path: "agents.defaults.model", Primary: "openrouter/meta-llama/llama-3.3-70b-instruct:free",
				Fallbacks: []string{"groq/llama-3.3-70b-versatile", "google/gemini-2.5-flash", "openrouter/deepseek/deepseek-chat-v3-0324:free"}}},
		},
		{
			file: "hybrid.json5",
			provs: []prov{
				{"anthropic", FlavourAnthropic, "https://api.anthropic.com"},
				{"openai", FlavourOpenAI, "https://api.openai.com/v1"},
			},
			chains: []Chain{
				{Name: "defaults", Path: "agents.defaults.model", Primary: "openai/gpt-4o-mini", Fallbacks: []string{"anthropic/claude-3-5-sonnet-20241022"}},
				{Name: "research", Path: "agents.list[1].model", Primary: "anthropic/claude-3-5-sonnet-20241022", Fallbacks: []string{"openai/gpt-4o-mini"}},
			},
		},
		{
			file: "self-hosted.json5",
			provs: []prov{
				{"llamacpp", FlavourLlamaCpp, "http://127.0.0.1:8080/v1"},
				{"lmstudio", FlavourLMStudio, "http://workstation.lan:1234/v1"},
				{"vllm", FlavourVLLM, "http://gpu.lan:8000/v1"},
			},
			chains: []Chain{{Name: "defaults", Path: "agents.defaults.model", Primary: "vllm/Qwen/Qwen2.5-Coder-32B-Instruct",
				Fallbacks: []string{"lmstudio/qwen/qwen3-coder-30b", "llamacpp/gpt-oss-20b"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			oc, err := LoadOpenClaw(context.Background(), Source{Path: filepath.Join("examples", tt.file), Getenv: env})
			if err != nil {
				t.Fatal(err)
			}
			var got []prov
			for _, p := range oc.Providers {
				got = append(got, prov{p.ID, p.Flavour, p.BaseURL})
				if p.KeyEnv != "" && p.APIKey == "" {
					t.Errorf("%s: key from %s not read", p.ID, p.KeyEnv)
				}
			}
			if !reflect.DeepEqual(got, tt.provs) {
				t.Errorf("providers:\n got %+v\nwant %+v", got, tt.provs)
			}
			if got := publicChains(oc.Chains); !reflect.DeepEqual(got, tt.chains) {
				t.Errorf("chains:\n got %+v\nwant %+v", got, tt.chains)
			}
		})
	}
}

// TestExampleSettingsAreTheDefaults keeps examples/provwatch.yaml honest:
// it must spell out exactly DefaultSettings.
func TestExampleSettingsAreTheDefaults(t *testing.T) {
	t.Parallel()
	path := filepath.Join("examples", "provwatch.yaml")
	s, err := LoadSettings(path, envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultSettings()
	want.Path = path
	want.Probes = map[string]ProbeSettings{"ollama": {Mode: ModeList}} // the default, written out
	if !reflect.DeepEqual(s, want) {
		t.Errorf("got  %+v\nwant %+v", s, want)
	}
	// Every key is written out, so the file documents all of them.
	l := &settingsLoader{s: DefaultSettings(), origins: map[string]origin{}}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.file(path, data); err != nil {
		t.Fatal(err)
	}
	for _, k := range SettingsKeys() {
		if _, ok := l.origins[k]; !ok {
			t.Errorf("examples/provwatch.yaml does not set %s", k)
		}
	}
}
