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
		// Inserted keys take the file's style: bare where it writes keys bare.
		{"no-model.json5", nil, ord(gemini, ollama), false, "    defaults: {\n      model: {primary: \"openrouter/google/gemini-flash-1.5\", fallbacks: [\"ollama/qwen3-coder\"]},\n      workspace:"},
		{"no-agents.json5", nil, ord(ollama), false, "{\n\tagents: {defaults: {model: {primary: \"ollama/qwen3-coder\", fallbacks: []}}},\n\t// tabs"},
		{"primary-only.json5", &configs.Order{Primary: ollama, Fallbacks: []string{}}, ord(gemini, ollama), false, `primary: "openrouter/google/gemini-flash-1.5", fallbacks: ["ollama/qwen3-coder"] /* no fallbacks yet */`},
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
			got, exists, err := readDefaults(ctx, tg)
			if err != nil {
				t.Fatal(err)
			}
			if exists != (tc.old != nil) || (tc.old != nil && !got.Equal(*tc.old)) {
				t.Fatalf("Read = %v, exists %v; want %v", got, exists, tc.old)
			}
			if err := writeDefaults(ctx, tg, tc.new, "why"); err != nil {
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
			if m := root.Find("agents", "defaults", "model"); m != nil {
				if lo < m.Start || hi > m.End {
					t.Fatalf("bytes %d..%d changed, outside the model value %d..%d:\n%s", lo, hi, m.Start, m.End, out)
				}
			} else if hi > lo {
				t.Fatalf("an insert changed original bytes %d..%d:\n%s", lo, hi, out)
			}
			// The result is a valid config holding the new order, as OpenClaw reads it.
			if o := defaultsOf(t, path); !o.Equal(tc.new) {
				t.Fatalf("result holds %v, want %v", o, tc.new)
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
				if _, _, err := readDefaults(ctx, tg); err != nil {
					t.Fatal(err)
				}
				if err := writeDefaults(ctx, tg, *tc.old, "back"); err != nil {
					t.Fatal(err)
				}
				if back, _ := os.ReadFile(path); !bytes.Equal(back, orig) {
					t.Fatalf("writing the old order back gave\n%s\nwant\n%s", back, orig)
				}
			}
		})
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// defaultsOf loads path as provwatch (and OpenClaw) reads it and returns
// agents.defaults.model's order.
func defaultsOf(t *testing.T, path string) configs.Order {
	t.Helper()
	oc, err := configs.LoadOpenClaw(context.Background(), configs.Source{Path: path, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatalf("%s does not load: %v", path, err)
	}
	c, ok := oc.Defaults()
	if !ok {
		t.Fatalf("%s has no agents.defaults.model", path)
	}
	return c.Order()
}
