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

// TestGatewayBareFallbackTakesThePrimarysProvider pins how the gateway
// reads a fallback written without a provider: with the primary's
// provider, not openai (which `models status` shows). The primary names a
// model its simulator does not serve, so the turn falls back at once.
func TestGatewayBareFallbackTakesThePrimarysProvider(t *testing.T) {
	cli := openclawtest.Install(t)
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
  agents: { defaults: { model: { primary: "backup/gone-model", fallbacks: ["gpt-4.1"] } } },
}
`, openclawtest.GatewayBlock, backup.BaseURL())), 0o600); err != nil {
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
