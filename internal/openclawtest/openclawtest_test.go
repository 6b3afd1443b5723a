package openclawtest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/provwatch/provwatch/internal/openclawtest"
	"github.com/provwatch/provwatch/internal/sim"
)

func TestAddGateway(t *testing.T) {
	t.Parallel()
	block := "\n  " + openclawtest.GatewayBlock + "\n"
	cases := []struct {
		name, in, want, err string
	}{
		{"plain JSON", `{"agents":{}}`, `{` + block + `"agents":{}}`, ""},
		{"comments and BOM first", "\xef\xbb\xbf// c\n/* d */\r\n{ agents: {} }", "\xef\xbb\xbf// c\n/* d */\r\n{" + block + " agents: {} }", ""},
		{"array root", `[1]`, "", `config root is not an object (found '[' at byte 0)`},
		{"empty", "  ", "", "config has no root object"},
	}
	for _, tc := range cases {
		got, err := openclawtest.AddGateway([]byte(tc.in))
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil || string(got) != tc.want {
			t.Errorf("%s: got %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}

// TestCLIResolvesAChain runs the real CLI on a small config: the resolution
// of a bare id, a per-agent string model (no inherited fallbacks in
// 2026.9.x) and a missing ${VAR} (kept literal, with a warning).
func TestCLIResolvesAChain(t *testing.T) {
	cli := openclawtest.Install(t)
	if strings.HasPrefix(cli.Version, "2026.2.") {
		t.Skipf("OpenClaw %s has no agents.entries and no config validate --json (see TestCLIOldRoster)", cli.Version)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "openclaw.json")
	if err := os.WriteFile(cfg, []byte(`// a comment
{
  agents: {
    defaults: { model: { primary: "Ollama/qwen3", fallbacks: ["gpt-4.1", "${NOT_SET_ANYWHERE}"] } },
    ownership: "explicit",
    entries: { main: {}, coder: { model: "anthropic/claude-sonnet-4-5" } },
  },
}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	v, err := cli.ConfigValidate(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Valid || !slices.ContainsFunc(v.Warnings, func(w openclawtest.Issue) bool {
		return w.Path == "agents.defaults.model.fallbacks[1]" && w.Message == `Missing env var "NOT_SET_ANYWHERE" - feature using this value will be unavailable`
	}) {
		t.Errorf("validate = %s", v.Raw)
	}
	main, err := cli.ModelsStatus(ctx, cfg, "main")
	if err != nil {
		t.Fatal(err)
	}
	if main.ResolvedDefault != "ollama/qwen3" || !slices.Equal(main.Fallbacks, []string{"gpt-4.1", "${NOT_SET_ANYWHERE}"}) {
		t.Errorf("main: resolved %q fallbacks %q", main.ResolvedDefault, main.Fallbacks)
	}
	coder, err := cli.ModelsStatus(ctx, cfg, "coder")
	if err != nil {
		t.Fatal(err)
	}
	if coder.ResolvedDefault != "anthropic/claude-sonnet-4-5" || len(coder.Fallbacks) != 0 || coder.ModelConfig == nil || coder.ModelConfig.FallbacksSource != "agent" {
		t.Errorf("coder: resolved %q fallbacks %q config %+v", coder.ResolvedDefault, coder.Fallbacks, coder.ModelConfig)
	}
	if _, err := cli.ModelsStatus(ctx, cfg, "nobody"); err == nil {
		t.Error("an unknown agent gave a status")
	}
}

// TestCLIOldRoster checks what 2026.2.x does differently, with
// PROVWATCH_OPENCLAW_VERSION=2026.2.12: agents.list, an agent's string
// model inheriting the defaults' fallbacks, and a bare id read as
// anthropic/<id>.
func TestCLIOldRoster(t *testing.T) {
	cli := openclawtest.Install(t)
	if !strings.HasPrefix(cli.Version, "2026.2.") {
		t.Skipf("OpenClaw %s is not a 2026.2.x release", cli.Version)
	}
	cfg := filepath.Join(t.TempDir(), "openclaw.json")
	if err := os.WriteFile(cfg, []byte(`{
  agents: {
    defaults: { model: { primary: "gpt-4.1", fallbacks: ["ollama/qwen3"] } },
    list: [ { id: "main", default: true }, { id: "writer", model: "anthropic/claude-sonnet-4-5" } ],
  },
}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	def, err := cli.ModelsStatus(ctx, cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	if def.ResolvedDefault != "anthropic/gpt-4.1" || !strings.Contains(def.Result.Stderr, `Falling back to "anthropic/gpt-4.1"`) {
		t.Errorf("defaults: resolved %q, stderr %q", def.ResolvedDefault, def.Result.Stderr)
	}
	writer, err := cli.ModelsStatus(ctx, cfg, "writer")
	if err != nil {
		t.Fatal(err)
	}
	if writer.ResolvedDefault != "anthropic/claude-sonnet-4-5" || !slices.Equal(writer.Fallbacks, []string{"ollama/qwen3"}) {
		t.Errorf("writer: resolved %q fallbacks %q; want the defaults' fallbacks inherited", writer.ResolvedDefault, writer.Fallbacks)
	}
}

// gatewayConfig is a config whose primary is an Ollama simulator and whose
// fallback is an OpenAI-compatible one, both on loopback.
func gatewayConfig(primary string, ollama, backup *sim.Server) []byte {
	return []byte(fmt.Sprintf(`{
  %s
  models: { providers: {
    ollama: { baseUrl: %q, api: "ollama", models: [ { id: "qwen3-coder", name: "qwen3-coder" } ] },
    backup: { baseUrl: %q, api: "openai-completions", apiKey: "sim-key", models: [ { id: "gpt-4.1", name: "gpt-4.1" } ] },
  } },
  agents: { defaults: { model: { primary: %q, fallbacks: ["backup/gpt-4.1"] } } },
}
`, openclawtest.GatewayBlock, ollama.Root(), backup.BaseURL(), primary))
}

func startUpstreams(t *testing.T) (ollama, backup *sim.Server) {
	t.Helper()
	ollama, err := sim.Start(sim.Ollama, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ollama.Close)
	backup, err = sim.Start(sim.OpenAICompatible, sim.Options{APIKey: "sim-key", Models: []sim.Model{{ID: "gpt-4.1"}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(backup.Close)
	return ollama, backup
}

// TestGatewayFollowsARenamedConfig sends a turn through the real gateway,
// replaces openclaw.json by rename with another primary, waits for the hot
// reload and checks the next turn goes to the new primary.
func TestGatewayFollowsARenamedConfig(t *testing.T) {
	cli := openclawtest.Install(t)
	ollama, backup := startUpstreams(t)
	cfg := filepath.Join(t.TempDir(), "openclaw.json")
	if err := os.WriteFile(cfg, gatewayConfig("ollama/qwen3-coder", ollama, backup), 0o600); err != nil {
		t.Fatal(err)
	}
	g := cli.StartGateway(t, cfg)
	g.Upstream("ollama", ollama.Chats)
	g.Upstream("backup", backup.Chats)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	first, err := g.Chat(ctx, "hello")
	if err != nil {
		t.Fatal(err)
	}
	if first.Status != 200 || first.Answer == "" || !slices.Equal(first.Served, []string{"ollama"}) {
		t.Fatalf("first turn: status %d answer %q served %v\n%s", first.Status, first.Answer, first.Served, first.Body)
	}

	changed := time.Now()
	if err := openclawtest.WriteFileAtomic(cfg, gatewayConfig("backup/gpt-4.1", ollama, backup), 0o600); err != nil {
		t.Fatal(err)
	}
	applied, err := g.WaitLog(ctx, changed, regexp.MustCompile(`config hot reload applied \(.*agents\.defaults\.model`))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("reload applied %v after the rename: %s", applied.At.Sub(changed).Round(time.Millisecond), applied.Text)
	second, err := g.Chat(ctx, "hello again")
	if err != nil {
		t.Fatal(err)
	}
	if second.Status != 200 || !slices.Equal(second.Served, []string{"backup"}) {
		t.Fatalf("turn after the reload: status %d served %v\n%s", second.Status, second.Served, second.Body)
	}
}

// TestCLIRestoresAConfigThatLostMeta shows the trap a config writer must
// avoid: once OpenClaw has written the file itself (adding `meta`, keeping
// openclaw.json.bak), any later read of a version without `meta` restores
// the .bak over it and keeps the rewrite as openclaw.json.clobbered.*. A
// rewrite that keeps `meta` is read as written.
func TestCLIRestoresAConfigThatLostMeta(t *testing.T) {
	cli := openclawtest.Install(t)
	if strings.HasPrefix(cli.Version, "2026.2.") {
		t.Skipf("OpenClaw %s has no last-known-good recovery", cli.Version)
	}
	for _, keepMeta := range []bool{true, false} {
		t.Run(fmt.Sprintf("keep meta %v", keepMeta), func(t *testing.T) {
			cli := cli.WithHome(t.TempDir())
			dir := t.TempDir()
			cfg := filepath.Join(dir, "openclaw.json")
			if err := os.WriteFile(cfg, []byte(`{
  gateway: { mode: "local" },
  agents: { defaults: { model: { primary: "ollama/qwen3", fallbacks: ["openai/gpt-4.1"] } } },
}
`), 0o600); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			if r, err := cli.Run(ctx, cfg, "config", "set", "agents.defaults.timeoutSeconds", "600"); err != nil || r.ExitCode != 0 {
				t.Fatalf("config set: %v %+v", err, r)
			}
			var doc map[string]any
			b, err := os.ReadFile(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &doc); err != nil || doc["meta"] == nil {
				t.Fatalf("OpenClaw's own write has no meta: %v\n%s", err, b)
			}
			if !keepMeta {
				delete(doc, "meta")
			}
			doc["agents"].(map[string]any)["defaults"].(map[string]any)["model"].(map[string]any)["primary"] = "openai/gpt-4.1-mini"
			out, _ := json.MarshalIndent(doc, "", "  ")
			if err := openclawtest.WriteFileAtomic(cfg, append(out, '\n'), 0o600); err != nil {
				t.Fatal(err)
			}
			st, err := cli.ModelsStatus(ctx, cfg, "")
			if err != nil {
				t.Fatal(err)
			}
			clobbered, _ := filepath.Glob(cfg + ".clobbered.*")
			if keepMeta {
				if st.ResolvedDefault != "openai/gpt-4.1-mini" || len(clobbered) != 0 {
					t.Errorf("a rewrite keeping meta: primary %q, clobbered %v", st.ResolvedDefault, clobbered)
				}
				return
			}
			if st.ResolvedDefault != "ollama/qwen3" || len(clobbered) != 1 ||
				!strings.Contains(st.Result.Stderr, "Config auto-restored from backup: "+cfg+" (missing-meta-vs-last-good)") {
				t.Errorf("a rewrite dropping meta: primary %q (want the .bak's ollama/qwen3), clobbered %v, stderr %q",
					st.ResolvedDefault, clobbered, st.Result.Stderr)
			}
		})
	}
}
