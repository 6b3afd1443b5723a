package openclawtest_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/internal/openclawtest"
	"github.com/provwatch/provwatch/internal/sim"
)

// TestGatewayFallbackResolution pins how the gateway reads a chain's
// fallbacks on a real turn. The primary names a model its simulator does
// not serve, so the turn falls back at once to backup/gpt-4.1.
//   - A fallback written without a provider takes the primary's provider,
//     not openai (which `models status` shows).
//   - A fallback missing from a non-empty agents.defaults.models allowlist
//     is still tried (2026.2.x dropped it).
//   - A fallback written provider/alias ("backup/fast", fast being an
//     alias of backup/gpt-4.1) runs the alias's model: the simulator has no
//     model "fast".
//
// Each case also reads the config with provwatch, which must see the
// fallback the gateway ran.
func TestGatewayFallbackResolution(t *testing.T) {
	cli := openclawtest.Install(t)
	cases := []struct{ name, fallbacks, models string }{
		{"bare fallback", `["gpt-4.1"]`, ""},
		{"fallback off the allowlist", `["backup/gpt-4.1"]`, `models: { "backup/gone-model": {} },`},
		{"provider/alias fallback", `["backup/fast"]`, `models: { "backup/gone-model": {}, "backup/gpt-4.1": { alias: "fast" } },`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { serveThroughFallback(t, cli, tc.fallbacks, tc.models) })
	}
}

func serveThroughFallback(t *testing.T, cli *openclawtest.CLI, fallbacks, models string) {
	backup, err := sim.Start(sim.OpenAICompatible, sim.Options{APIKey: "sim-key", Models: []sim.Model{{ID: "gpt-4.1"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer backup.Close()
	cfg := filepath.Join(t.TempDir(), "openclaw.json")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`{
  %s
  models: { providers: {
    backup: { baseUrl: %q, api: "openai-completions", apiKey: "sim-key",
      models: [ { id: "gone-model", name: "gone-model" }, { id: "gpt-4.1", name: "gpt-4.1" } ] },
  } },
  agents: { defaults: { %s model: { primary: "backup/gone-model", fallbacks: %s } } },
}
`, openclawtest.GatewayBlock, backup.BaseURL(), models, fallbacks)), 0o600); err != nil {
		t.Fatal(err)
	}
	g := cli.StartGateway(t, cfg)
	g.Upstream("backup", backup.Chats)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	r, err := g.Chat(ctx, "hello")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("status %d served %v in %v", r.Status, r.Served, r.Duration)
	if r.Status != 200 || !slices.Equal(r.Served, []string{"backup"}) {
		t.Errorf("status %d served %v, want backup/gpt-4.1 to serve\n%s\n%s", r.Status, r.Served, r.Body, lastLines(g))
	}
	oc, err := configs.LoadOpenClaw(ctx, configs.Source{Path: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if def, _ := oc.Defaults(); !slices.Equal(def.Fallbacks, []string{"backup/gpt-4.1"}) {
		t.Errorf("provwatch reads the fallbacks as %q; the gateway ran backup/gpt-4.1", def.Fallbacks)
	}
}

func lastLines(g *openclawtest.Gateway) string {
	lines := g.Lines()
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	var out string
	for _, l := range lines {
		out += l.Text + "\n"
	}
	return out
}

// TestGatewayBareFallbackIgnoresModelLists pins that a fallback written
// without a provider takes the primary's provider even when exactly one
// configured provider lists that model id: the lists decide only a bare
// primary. The primary's simulator knows neither model, so the turn fails
// and the Ollama simulator listing the id is never asked. provwatch must
// read the chain as the gateway ran it.
func TestGatewayBareFallbackIgnoresModelLists(t *testing.T) {
	cli := openclawtest.Install(t)
	ollama, err := sim.Start(sim.Ollama, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ollama.Close()
	backup, err := sim.Start(sim.OpenAICompatible, sim.Options{APIKey: "sim-key", Models: []sim.Model{{ID: "gpt-4.1"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer backup.Close()
	cfg := filepath.Join(t.TempDir(), "openclaw.json")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`{
  %s
  models: { providers: {
    ollama: { baseUrl: %q, api: "ollama", models: [ { id: "qwen3-coder", name: "qwen3-coder" } ] },
    backup: { baseUrl: %q, api: "openai-completions", apiKey: "sim-key", models: [ { id: "gone-model", name: "gone-model" } ] },
  } },
  agents: { defaults: { model: { primary: "backup/gone-model", fallbacks: ["qwen3-coder"] } } },
}
`, openclawtest.GatewayBlock, ollama.Root(), backup.BaseURL())), 0o600); err != nil {
		t.Fatal(err)
	}
	g := cli.StartGateway(t, cfg)
	g.Upstream("ollama", ollama.Chats)
	g.Upstream("backup", backup.Chats)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	r, err := g.Chat(ctx, "hello")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("status %d served %v in %v: %.300s", r.Status, r.Served, r.Duration, r.Body)
	if r.Status == 200 || len(r.Served) != 0 || !strings.Contains(r.Body, "backup/qwen3-coder") {
		t.Errorf("status %d served %v; want the turn to fail after asking backup for qwen3-coder, never ollama\n%s\n%s", r.Status, r.Served, r.Body, lastLines(g))
	}
	oc, err := configs.LoadOpenClaw(ctx, configs.Source{Path: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if def, _ := oc.Defaults(); !slices.Equal(def.Fallbacks, []string{"backup/qwen3-coder"}) {
		t.Errorf("provwatch reads the fallbacks as %q; the gateway ran backup/qwen3-coder (a bare fallback takes the primary's provider, whatever the providers' model lists say)", def.Fallbacks)
	}
}
