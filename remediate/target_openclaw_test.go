package remediate

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/configs/json5"
)

// copyFixtures copies testdata/openclaw into a temp dir (so $include
// siblings come along) and returns the dir.
func copyFixtures(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	ents, err := os.ReadDir("testdata/openclaw")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join("testdata/openclaw", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func ord(primary string, fallbacks ...string) configs.Order {
	return configs.Order{Primary: primary, Fallbacks: append([]string{}, fallbacks...)}
}

// changedSpan is the span of a that differs from b (common prefix and
// suffix removed), as offsets into a.
func changedSpan(a, b []byte) (int, int) {
	p := 0
	for p < len(a) && p < len(b) && a[p] == b[p] {
		p++
	}
	s := 0
	for s < len(a)-p && s < len(b)-p && a[len(a)-1-s] == b[len(b)-1-s] {
		s++
	}
	return p, len(a) - s
}

func TestOpenClawTargetRewritesInPlace(t *testing.T) {
	t.Parallel()
	const (
		ollama = "ollama/qwen3-coder"
		gemini = "openrouter/google/gemini-flash-1.5"
		claude = "anthropic/claude-3-5-sonnet-20241022"
		groq   = "groq/llama-3.1-8b-instant"
	)
	tests := []struct {
		file string
		old  *configs.Order // nil: no agents.defaults.model in the file
		new  configs.Order
		// restores: writing the old order back gives the original bytes.
		restores bool
		contains string // a substring the result must hold
	}{
		{"commented.json5", &configs.Order{Primary: ollama, Fallbacks: []string{gemini, claude}}, ord(gemini, claude, ollama), false, "primary: \"openrouter/google/gemini-flash-1.5\", // the box under the desk\n        fallbacks: [\n          \"anthropic/claude-3-5-sonnet-20241022\",\n          \"ollama/qwen3-coder\",\n        ],"},
		{"single-quotes.json5", &configs.Order{Primary: ollama, Fallbacks: []string{gemini, groq}}, ord(groq, gemini, ollama), true, "{ primary: 'groq/llama-3.1-8b-instant', fallbacks: ['openrouter/google/gemini-flash-1.5', 'ollama/qwen3-coder'] }"},
		{"string-model.json5", &configs.Order{Primary: claude, Fallbacks: []string{}}, ord(ollama, claude), false, `"model": {"primary": "ollama/qwen3-coder", "fallbacks": ["anthropic/claude-3-5-sonnet-20241022"]},`},
		{"string-model.json5", &configs.Order{Primary: claude, Fallbacks: []string{}}, ord("openai/gpt-4o"), true, `"model": "openai/gpt-4o",`},
		{"crlf.json5", &configs.Order{Primary: ollama, Fallbacks: []string{gemini, claude}}, ord(claude, ollama, gemini), true, "primary: \"anthropic/claude-3-5-sonnet-20241022\",\r\n        fallbacks: [\r\n          \"ollama/qwen3-coder\",\r\n          \"openrouter/google/gemini-flash-1.5\"\r\n        ]\r\n"},
		{"unicode.json5", &configs.Order{Primary: ollama, Fallbacks: []string{gemini}}, ord(gemini, ollama), true, `model: { primary: "openrouter/google/gemini-flash-1.5", fallbacks: ["ollama/qwen3-coder"] }, // ✓ tested`},
		{"include-sibling.json5", &configs.Order{Primary: ollama, Fallbacks: []string{gemini}}, ord(gemini, ollama), true, `$include: "./providers.json5",`},
		{"no-model.json5", nil, ord(gemini, ollama), false, "    defaults: {\n      \"model\": {\"primary\": \"openrouter/google/gemini-flash-1.5\", \"fallbacks\": [\"ollama/qwen3-coder\"]},\n      workspace:"},
		{"no-agents.json5", nil, ord(ollama), false, "{\n\t\"agents\": {\"defaults\": {\"model\": {\"primary\": \"ollama/qwen3-coder\", \"fallbacks\": []}}},\n\t// tabs"},
		{"primary-only.json5", &configs.Order{Primary: ollama, Fallbacks: []string{}}, ord(gemini, ollama), false, `primary: "openrouter/google/gemini-flash-1.5", "fallbacks": ["ollama/qwen3-coder"] /* no fallbacks yet */`},
		{"duplicate-keys.json5", &configs.Order{Primary: ollama, Fallbacks: []string{"openai/gpt-4o"}}, ord("openai/gpt-4o", ollama), true, `agents: { defaults: { model: "openai/gpt-4o" } },`},
	}
	for _, tc := range tests {
		t.Run(tc.file+"→"+tc.new.Primary, func(t *testing.T) {
			t.Parallel()
			dir := copyFixtures(t)
			path := filepath.Join(dir, tc.file)
			orig, _ := os.ReadFile(path)
			others := map[string][]byte{}
			ents, _ := os.ReadDir(dir)
			for _, e := range ents {
				if e.Name() != tc.file {
					others[e.Name()], _ = os.ReadFile(filepath.Join(dir, e.Name()))
				}
			}
			tg, err := OpenTarget(loc("openclaw:"+path), nil)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			got, exists, err := tg.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if exists != (tc.old != nil) || (tc.old != nil && !got.Equal(*tc.old)) {
				t.Fatalf("Read = %v, exists %v; want %v", got, exists, tc.old)
			}
			if err := tg.Write(ctx, tc.new, "why"); err != nil {
				t.Fatal(err)
			}
			out, _ := os.ReadFile(path)
			if !strings.Contains(string(out), tc.contains) {
				t.Fatalf("result does not contain %q:\n%s", tc.contains, out)
			}
			// Every byte outside the old value is unchanged (an insert removes nothing).
			lo, hi := changedSpan(orig, out)
			root, err := json5.Parse(orig)
			if err != nil {
				t.Fatal(err)
			}
			if m := root.Find(modelPath...); m != nil {
				if lo < m.Start || hi > m.End {
					t.Fatalf("bytes %d..%d changed, outside the model value %d..%d:\n%s", lo, hi, m.Start, m.End, out)
				}
			} else if hi > lo {
				t.Fatalf("an insert changed original bytes %d..%d:\n%s", lo, hi, out)
			}
			// The result is a valid config holding the new order, as OpenClaw reads it.
			n, err := json5.Parse(out)
			if err != nil {
				t.Fatalf("result does not parse: %v\n%s", err, out)
			}
			if o, err := orderOfNode(n.Find(modelPath...)); err != nil || !o.Equal(tc.new) {
				t.Fatalf("result holds %v (%v), want %v", o, err, tc.new)
			}
			if bak, _ := os.ReadFile(path + ".bak"); !bytes.Equal(bak, orig) {
				t.Fatal(".bak does not hold the previous content")
			}
			if st, _ := os.Stat(path); st.Mode().Perm() != 0o640 {
				t.Fatalf("permissions changed to %v", st.Mode())
			}
			for name, b := range others {
				if now, _ := os.ReadFile(filepath.Join(dir, name)); name != tc.file+".bak" && !bytes.Equal(now, b) {
					t.Fatalf("%s changed", name)
				}
			}
			if tc.restores {
				if _, _, err := tg.Read(ctx); err != nil {
					t.Fatal(err)
				}
				if err := tg.Write(ctx, *tc.old, "back"); err != nil {
					t.Fatal(err)
				}
				if back, _ := os.ReadFile(path); !bytes.Equal(back, orig) {
					t.Fatalf("writing the old order back gave\n%s\nwant\n%s", back, orig)
				}
			}
		})
	}
}

func TestOpenClawTargetRefuses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("model in an $include file", func(t *testing.T) {
		t.Parallel()
		dir := copyFixtures(t)
		path := filepath.Join(dir, "include-model.json5")
		orig, _ := os.ReadFile(path)
		tg, _ := OpenTarget(loc("openclaw:"+path), nil)
		_, _, err := tg.Read(ctx)
		inc := filepath.Join(dir, "agents.json5")
		if err == nil || !strings.Contains(err.Error(), "$include file "+inc) || !strings.Contains(err.Error(), "included under agents") {
			t.Fatalf("Read = %v, want it to name %s", err, inc)
		}
		if err := tg.Write(ctx, ord("a/b"), ""); err == nil {
			t.Fatal("Write inserted a key that overrides the $include")
		}
		if now, _ := os.ReadFile(path); !bytes.Equal(now, orig) {
			t.Fatal("file changed")
		}
	})

	t.Run("model in a top-level $include file", func(t *testing.T) {
		t.Parallel()
		dir := copyFixtures(t)
		path := filepath.Join(dir, "include-root.json5")
		tg, _ := OpenTarget(loc("openclaw:"+path), nil)
		_, _, err := tg.Read(ctx)
		inc := filepath.Join(dir, "model.json5")
		if err == nil || !strings.Contains(err.Error(), "set remediation.target to openclaw:"+inc) {
			t.Fatalf("Read = %v, want it to point at %s", err, inc)
		}
		// Following the advice works.
		there, _ := OpenTarget(loc("openclaw:"+inc), nil)
		if o, exists, err := there.Read(ctx); err != nil || !exists || o.Primary != "ollama/qwen3-coder" {
			t.Fatalf("Read of the included file = %v %v %v", o, exists, err)
		}
		if err := there.Write(ctx, ord("a/b"), ""); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("file changed between read and write", func(t *testing.T) {
		t.Parallel()
		dir := copyFixtures(t)
		path := filepath.Join(dir, "commented.json5")
		tg, _ := OpenTarget(loc("openclaw:"+path), nil)
		if _, _, err := tg.Read(ctx); err != nil {
			t.Fatal(err)
		}
		edited := []byte(strings.Replace(mustRead(t, path), "30m", "15m", 1))
		os.WriteFile(path, edited, 0o640)
		err := tg.Write(ctx, ord("a/b"), "")
		if err == nil || !strings.Contains(err.Error(), "changed since provwatch read it") {
			t.Fatalf("Write over a concurrent edit = %v", err)
		}
		if mustRead(t, path) != string(edited) {
			t.Fatal("the person's edit was overwritten")
		}
		// After a new Read the write goes through and keeps the edit.
		tg.Read(ctx)
		if err := tg.Write(ctx, ord("a/b"), ""); err != nil || !strings.Contains(mustRead(t, path), "15m") {
			t.Fatalf("Write after re-read = %v", err)
		}
	})

	t.Run("malformed value is reported, then replaced", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "openclaw.json")
		os.WriteFile(path, []byte("{\n  agents: { defaults: { model: 42 } },\n}\n"), 0o600)
		tg, _ := OpenTarget(loc("openclaw:"+path), nil)
		_, exists, err := tg.Read(ctx)
		if err == nil || !exists || !strings.Contains(err.Error(), "openclaw:"+path+":2:") || !strings.Contains(err.Error(), "a number") {
			t.Fatalf("Read = %v %v", exists, err)
		}
		if err := tg.Write(ctx, ord("a/b", "c/d"), ""); err != nil {
			t.Fatal(err)
		}
		if got := mustRead(t, path); got != "{\n  agents: { defaults: { model: {\"primary\": \"a/b\", \"fallbacks\": [\"c/d\"]} } },\n}\n" {
			t.Fatalf("result %q", got)
		}
	})

	t.Run("syntax error and missing file", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "openclaw.json")
		tg, _ := OpenTarget(loc("openclaw:"+path), nil)
		if _, _, err := tg.Read(ctx); err == nil || !strings.Contains(err.Error(), "does not exist") {
			t.Fatalf("Read of a missing file = %v", err)
		}
		os.WriteFile(path, []byte("{\n  agents: { defaults: { model: \"a/b\" }\n"), 0o600)
		if _, _, err := tg.Read(ctx); err == nil || !strings.Contains(err.Error(), "openclaw:"+path+":") {
			t.Fatalf("Read of a broken file = %v", err)
		}
		if err := tg.Write(ctx, ord("a/b"), ""); err == nil {
			t.Fatal("wrote into a file that does not parse")
		}
	})
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
