package openclawtest_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/internal/openclawtest"
	"github.com/provwatch/provwatch/internal/sim"
)

// TestGatewayFallbackResolution pins how the gateway reads a chain's
// fallbacks on a real turn. The primary names a model its simulator does
// not serve, so the turn falls back at once; the backup simulator serves
// gpt-4.1 and qwen3-coder, and an Ollama simulator lists qwen3-coder.
//   - A fallback written without a provider takes the primary's provider,
//     not openai (which `models status` shows), even when exactly one
//     configured provider lists that model id: the lists decide only a
//     bare primary, so backup serves qwen3-coder and Ollama is never asked.
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
	cases := []struct{ name, fallbacks, models, want string }{
		{"bare fallback", `["gpt-4.1"]`, "", "backup/gpt-4.1"},
		{"bare fallback another provider lists", `["qwen3-coder"]`, "", "backup/qwen3-coder"},
		{"fallback off the allowlist", `["backup/gpt-4.1"]`, `models: { "backup/gone-model": {} },`, "backup/gpt-4.1"},
		{"provider/alias fallback", `["backup/fast"]`, `models: { "backup/gone-model": {}, "backup/gpt-4.1": { alias: "fast" } },`, "backup/gpt-4.1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { serveThroughFallback(t, cli, tc.fallbacks, tc.models, tc.want) })
	}
}

// serveThroughFallback runs one turn on a chain whose primary backup does
// not serve and checks that backup served it through the fallback, which
// provwatch must read as want.
func serveThroughFallback(t *testing.T, cli *openclawtest.CLI, fallbacks, models, want string) {
	ollama, err := sim.Start(sim.Ollama, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ollama.Close()
	backup, err := sim.Start(sim.OpenAICompatible, sim.Options{APIKey: "sim-key", Models: []sim.Model{{ID: "gpt-4.1"}, {ID: "qwen3-coder"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer backup.Close()
	cfg := filepath.Join(t.TempDir(), "openclaw.json")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`{
  %s
  models: { providers: {
    ollama: { baseUrl: %q, api: "ollama", models: [ { id: "qwen3-coder", name: "qwen3-coder" } ] },
    backup: { baseUrl: %q, api: "openai-completions", apiKey: "sim-key",
      models: [ { id: "gone-model", name: "gone-model" }, { id: "gpt-4.1", name: "gpt-4.1" } ] },
  } },
  agents: { defaults: { %s model: { primary: "backup/gone-model", fallbacks: %s } } },
}
`, openclawtest.GatewayBlock, ollama.Root(), backup.BaseURL(), models, fallbacks)), 0o600); err != nil {
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
	t.Logf("status %d served %v in %v", r.Status, r.Served, r.Duration)
	if r.Status != 200 || !slices.Equal(r.Served, []string{"backup"}) {
		t.Errorf("status %d served %v, want %s to serve, never ollama\n%s\n%s", r.Status, r.Served, want, r.Body, lastLines(g))
	}
	oc, err := configs.LoadOpenClaw(ctx, configs.Source{Path: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if def, _ := oc.Defaults(); !slices.Equal(def.Fallbacks, []string{want}) {
		t.Errorf("provwatch reads the fallbacks as %q; the gateway ran %s", def.Fallbacks, want)
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
