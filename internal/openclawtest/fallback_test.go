package openclawtest_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/provwatch/provwatch/internal/openclawtest"
	"github.com/provwatch/provwatch/internal/sim"
)

// TestGatewayFallbackResolution pins how the gateway reads a chain's
// fallbacks on a real turn. The primary names a model its simulator does
// not serve, so the turn falls back at once.
//   - A fallback written without a provider takes the primary's provider,
//     not openai (which `models status` shows).
//   - A fallback missing from a non-empty agents.defaults.models allowlist
//     is still tried (2026.2.x dropped it).
func TestGatewayFallbackResolution(t *testing.T) {
	cli := openclawtest.Install(t)
	cases := []struct{ name, fallbacks, models string }{
		{"bare fallback", `["gpt-4.1"]`, ""},
		{"fallback off the allowlist", `["backup/gpt-4.1"]`, `models: { "backup/gone-model": {} },`},
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
