package sim_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/internal/sim"
)

type openClaw struct {
	Models struct {
		Providers map[string]struct {
			BaseURL string `json:"baseUrl"`
			APIKey  string `json:"apiKey"`
			API     string `json:"api"`
			Models  []struct {
				ID            string `json:"id"`
				ContextWindow *int   `json:"contextWindow"`
			} `json:"models"`
		} `json:"providers"`
	} `json:"models"`
	Agents struct {
		Defaults struct {
			Model struct {
				Primary   string   `json:"primary"`
				Fallbacks []string `json:"fallbacks"`
			} `json:"model"`
		} `json:"defaults"`
	} `json:"agents"`
}

func parseConfig(t *testing.T, b []byte) openClaw {
	t.Helper()
	first, rest, _ := bytes.Cut(b, []byte("\n"))
	if !bytes.HasPrefix(first, []byte("//")) {
		t.Fatalf("config starts with %q, want a comment line", first)
	}
	var oc openClaw
	if err := json.Unmarshal(rest, &oc); err != nil {
		t.Fatal(err)
	}
	return oc
}

func TestMixedFleetConfig(t *testing.T) {
	t.Parallel()
	n := 2*len(sim.Kinds()) + 1
	f, err := sim.StartMixed(n, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	path := filepath.Join(t.TempDir(), "openclaw.json")
	if err := f.WriteOpenClawConfig(path); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	oc := parseConfig(t, b)
	if len(oc.Models.Providers) != n || len(oc.Agents.Defaults.Model.Fallbacks) != n-1 {
		t.Fatalf("%d providers, %d fallbacks", len(oc.Models.Providers), len(oc.Agents.Defaults.Model.Fallbacks))
	}
	if oc.Agents.Defaults.Model.Primary != "ollama/qwen3-coder" {
		t.Fatalf("primary %q (Ollama refs are written without :latest)", oc.Agents.Defaults.Model.Primary)
	}
	for _, id := range []string{"ollama", "ollama-2", "ollama-3", "google", "custom-2"} {
		if _, ok := oc.Models.Providers[id]; !ok {
			t.Fatalf("provider %q missing", id)
		}
	}
	g := oc.Models.Providers["google"]
	if !strings.HasSuffix(g.BaseURL, "/v1beta") || g.API != "google-generative-ai" || g.APIKey != "sim-key-google" {
		t.Fatalf("google entry %+v", g)
	}
	if oc.Models.Providers["ollama"].APIKey != "" || *oc.Models.Providers["ollama"].Models[0].ContextWindow != 131072 {
		t.Fatalf("ollama entry %+v", oc.Models.Providers["ollama"])
	}

	// Every provider the config names answers at {baseUrl} + its list path, with its key.
	provs := f.Providers()
	for i, m := range f.Members() {
		p := provs[i]
		if p.ID != m.ID || p.Flavour != configs.Flavour(m.Kind()) || p.BaseURL != oc.Models.Providers[m.ID].BaseURL {
			t.Fatalf("provider %d = %+v", i, p)
		}
		kc := caseFor(m.Kind())
		if a := do(t, m.Server, "GET", kc.list, p.APIKey, ""); a.status != 200 {
			t.Fatalf("%s: %d", m.ID, a.status)
		}
	}
	if err := f.SetFaultAll(sim.Down, sim.FaultParams{}); err != nil {
		t.Fatal(err)
	}
	if a := do(t, f.Get("groq-2").Server, "GET", "/openai/v1/models", "", ""); a.status != 503 {
		t.Fatalf("after SetFaultAll: %d", a.status)
	}
}

func TestFleetRejectsDuplicateIDs(t *testing.T) {
	t.Parallel()
	if f, err := sim.StartFleet(sim.Spec{ID: "x", Kind: sim.OpenAI}, sim.Spec{ID: "x", Kind: sim.Groq}); err == nil {
		f.Close()
		t.Fatal("duplicate ids accepted")
	}
}
