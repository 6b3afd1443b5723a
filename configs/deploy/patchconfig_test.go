package deploy

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// nodeRunner compiles patch-config.ts once with the real json5 and
// typescript packages and runs it. Opt-in (PROVWATCH_TEST_NODE=1): it
// installs npm packages, which CI should not do on every run.
func nodeRunner(t *testing.T) func(t *testing.T, env []string, args ...string) (string, int) {
	t.Helper()
	if os.Getenv("PROVWATCH_TEST_NODE") != "1" {
		t.Skip("set PROVWATCH_TEST_NODE=1 to compile and run patch-config.ts with node (needs node and npm)")
	}
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	dir := t.TempDir()
	write(t, filepath.Join(dir, "package.json"), `{"private": true, "type": "module"}`)
	src, err := os.ReadFile("patch-config.ts")
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "patch-config.ts"), string(src))
	run := func(name string, args ...string) {
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
	}
	run("npm", "install", "--no-audit", "--no-fund", "--silent", "json5@2", "typescript@5", "@types/node@20")
	run(filepath.Join(dir, "node_modules", ".bin", "tsc"), "--strict", "--target", "es2022",
		"--module", "nodenext", "--moduleResolution", "nodenext", "--types", "node", "--outDir", "out", "patch-config.ts")

	js := filepath.Join(dir, "out", "patch-config.js")
	return func(t *testing.T, env []string, args ...string) (string, int) {
		t.Helper()
		cmd := exec.Command("node", append([]string{js}, args...)...)
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return string(out), ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), 0
	}
}

func write(t *testing.T, p, s string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

const order = `{"primary":"openrouter/google/gemini-flash-1.5","fallbacks":["anthropic/claude-3-5-sonnet-20241022","ollama/qwen3-coder"]}`

func TestPatchConfig(t *testing.T) {
	run := nodeRunner(t)

	cases := []struct {
		name     string
		config   string
		order    string // "" leaves OPENCLAW_MODEL_ORDER unset
		exit     int
		want     string // expected file after the run as JSON; "" means unchanged
		wantLogs string
	}{
		{
			name: "JSON5 with an allowlist: refs added, entries kept",
			config: `// rendered at container start
{
  agents: {
    defaults: {
      model: { primary: 'ollama/qwen3-coder', fallbacks: ['openrouter/google/gemini-flash-1.5',], },
      models: { 'ollama/qwen3-coder': { alias: 'coder', params: { temperature: 0.2 } } },
      workspace: "~/w",
    },
    list: [{ id: 'ops', model: 'groq/llama-3.1-8b-instant' }],
  },
  models: { providers: { ollama: { baseUrl: "http://10.0.1.5:11434", apiKey: "${OLLAMA_KEY}", } } },
}`,
			order: order,
			want: `{"agents":{"defaults":{
			  "model":{"primary":"openrouter/google/gemini-flash-1.5","fallbacks":["anthropic/claude-3-5-sonnet-20241022","ollama/qwen3-coder"]},
			  "models":{"ollama/qwen3-coder":{"alias":"coder","params":{"temperature":0.2}},
			            "openrouter/google/gemini-flash-1.5":{},"anthropic/claude-3-5-sonnet-20241022":{}},
			  "workspace":"~/w"},
			  "list":[{"id":"ops","model":"groq/llama-3.1-8b-instant"}]},
			  "models":{"providers":{"ollama":{"baseUrl":"http://10.0.1.5:11434","apiKey":"${OLLAMA_KEY}"}}}}`,
			wantLogs: "added to agents.defaults.models: openrouter/google/gemini-flash-1.5, anthropic/claude-3-5-sonnet-20241022",
		},
		{
			name:   "empty allowlist stays empty",
			config: `{agents: {defaults: {model: "ollama/qwen3-coder", models: {}}}}`,
			order:  order,
			want:   `{"agents":{"defaults":{"model":` + order + `,"models":{}}}}`,
		},
		{
			name:   "no allowlist, no agents: created with the model only",
			config: `{gateway: {port: 18789}}`,
			order:  order,
			want:   `{"gateway":{"port":18789},"agents":{"defaults":{"model":` + order + `}}}`,
		},
		{
			name:     "order unset: file untouched",
			config:   `{agents: {defaults: {model: "a/b"}}} // keep me`,
			exit:     0,
			wantLogs: "keeping the configured order",
		},
		{
			name:     "fallbacks not a list: file untouched",
			config:   `{agents: {defaults: {model: "a/b"}}} // keep me`,
			order:    `{"primary":"a/b","fallbacks":"c/d"}`,
			exit:     1,
			wantLogs: "OPENCLAW_MODEL_ORDER.fallbacks must be an array",
		},
		{
			name:     "a ref without provider: file untouched",
			config:   `{agents: {defaults: {model: "a/b"}}}`,
			order:    `{"primary":"a/b","fallbacks":["gpt-4o"]}`,
			exit:     1,
			wantLogs: "fallbacks[0] must be",
		},
		{
			name:     "config syntax error names the line",
			config:   "{\n  agents: {\n    defaults: { model: 'a/b' ]\n}",
			order:    order,
			exit:     1,
			wantLogs: "3:",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := filepath.Join(t.TempDir(), "openclaw.json")
			write(t, p, c.config)
			var env []string
			if c.order != "" {
				env = append(env, "OPENCLAW_MODEL_ORDER="+c.order)
			}
			logs, code := run(t, env, p)
			if code != c.exit {
				t.Fatalf("exit %d, want %d; output:\n%s", code, c.exit, logs)
			}
			if !strings.Contains(logs, c.wantLogs) {
				t.Errorf("output %q lacks %q", logs, c.wantLogs)
			}
			got, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if c.want == "" {
				if string(got) != c.config {
					t.Errorf("file changed:\n%s", got)
				}
				return
			}
			var gotV, wantV any
			if err := json.Unmarshal(got, &gotV); err != nil {
				t.Fatalf("written file is not JSON: %v\n%s", err, got)
			}
			if err := json.Unmarshal([]byte(c.want), &wantV); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(gotV, wantV) {
				t.Errorf("file =\n%s\nwant %s", got, c.want)
			}
			// Config content may hold keys: it is never echoed.
			if strings.Contains(logs, "OLLAMA_KEY") {
				t.Errorf("output echoes config content: %s", logs)
			}
		})
	}

	// The path defaults to OPENCLAW_CONFIG_PATH.
	t.Run("OPENCLAW_CONFIG_PATH", func(t *testing.T) {
		t.Parallel()
		p := filepath.Join(t.TempDir(), "oc.json")
		write(t, p, `{}`)
		if logs, code := run(t, []string{"OPENCLAW_MODEL_ORDER=" + order, "OPENCLAW_CONFIG_PATH=" + p}); code != 0 {
			t.Fatalf("exit %d: %s", code, logs)
		}
		if b, _ := os.ReadFile(p); !strings.Contains(string(b), "anthropic/claude-3-5-sonnet-20241022") {
			t.Errorf("OPENCLAW_CONFIG_PATH not patched: %s", b)
		}
	})
}
