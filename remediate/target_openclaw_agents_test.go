package remediate

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/configs/json5"
)

const (
	refOllama = "ollama/qwen3-coder"
	refGemini = "openrouter/google/gemini-flash-1.5"
	refSonnet = "anthropic/claude-3-5-sonnet-20241022"
	refGroq   = "groq/llama-3.1-8b-instant"
	refMini   = "openai/gpt-4o-mini"
)

// chainsOf loads path as provwatch (and OpenClaw) reads it and returns
// every chain by name, so the target is tested against the loader's own
// reading.
func chainsOf(t *testing.T, path string) map[string]configs.Chain {
	t.Helper()
	oc, err := configs.LoadOpenClaw(context.Background(), configs.Source{Path: path, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]configs.Chain{}
	for _, c := range oc.Chains {
		out[c.Name] = c
	}
	return out
}

// plans are the ChainPlans that ask for these orders, by chain name.
func plans(t *testing.T, chains map[string]configs.Chain, orders map[string]configs.Order) []ChainPlan {
	t.Helper()
	var out []ChainPlan
	for name, o := range orders {
		c, ok := chains[name]
		if !ok {
			c = configs.Chain{Name: name, Path: "agents.entries." + name + ".model"}
		}
		out = append(out, ChainPlan{Name: name, Path: c.Path, Fixed: c.Fixed, Preferred: c.Order(), Effective: o, Why: "why"})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func TestOpenClawTargetAgents(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		file string
		// held is what Read must return, by chain name.
		held  map[string]configs.Order
		apply map[string]configs.Order // chain name → order to apply
		// values are the exact new text of every value that changes, by
		// chain name; every other byte must stay.
		values  map[string]string
		skipped []string
	}{
		{
			name: "list: the coder's own chain is reordered; agents without fallbacks are never moved",
			file: "agents-list.json5",
			held: map[string]configs.Order{
				"defaults": ord(refOllama, refGemini, refSonnet),
				"coder":    ord(refSonnet, refGroq, refOllama),
				"writer":   ord(refGemini), // a string: no fallbacks (OpenClaw 2026.9.x)
				"pinned":   ord(refGroq),
			},
			apply: map[string]configs.Order{
				"coder":  ord(refGroq, refOllama, refSonnet),
				"writer": ord(refSonnet, refGemini), // asked, but the writer has no fallbacks to reorder
			},
			values: map[string]string{"coder": `{
          primary: "groq/llama-3.1-8b-instant", // best at diffs
          fallbacks: [
            "ollama/qwen3-coder",
            "anthropic/claude-3-5-sonnet-20241022",
          ],
        }`},
			skipped: []string{"writer"},
		},
		{
			name: "list: defaults reordered, agents untouched",
			file: "agents-list.json5",
			apply: map[string]configs.Order{
				"defaults": ord(refGemini, refSonnet, refOllama),
				"coder":    ord(refSonnet, refGroq, refOllama),
			},
			values: map[string]string{
				"defaults": `{
        primary: "openrouter/google/gemini-flash-1.5",
        fallbacks: ["anthropic/claude-3-5-sonnet-20241022", "ollama/qwen3-coder"],
      }`,
			},
		},
		{
			name: "entries: an alias keeps its spelling; string and primary-only forms stay",
			file: "agents-entries.json5",
			held: map[string]configs.Order{
				"defaults": ord(refOllama),
				"ops":      ord(refGroq),
				"research": ord(refSonnet, refGroq),
				"quick":    ord(refMini),
			},
			apply: map[string]configs.Order{
				"ops":      ord("openai/gpt-4o"),
				"research": ord(refGroq, refSonnet),
				"quick":    ord(refGroq, refMini),
			},
			values: map[string]string{
				"research": `{ "primary": "groq/llama-3.1-8b-instant", "fallbacks": ["sonnet"] }`,
			},
			skipped: []string{"ops", "quick"},
		},
		{
			name: "entries: nothing differs, nothing is written",
			file: "agents-entries.json5",
			apply: map[string]configs.Order{
				"research": ord(refSonnet, refGroq),
			},
		},
		{
			name: "an agent whose fallbacks an $include merges into is left alone",
			file: "agents-include.json5",
			held: map[string]configs.Order{
				"defaults": ord(refOllama, refGroq),
				"local":    ord(refOllama, refGroq),
				"shared":   ord(refGroq, refMini, refOllama), // the include's fallbacks, then the file's
			},
			apply: map[string]configs.Order{
				"local":  ord(refGroq, refOllama),
				"shared": ord(refMini, refGroq, refOllama),
			},
			values:  map[string]string{"local": `{ primary: "groq/llama-3.1-8b-instant", fallbacks: ["ollama/qwen3-coder"] }`},
			skipped: []string{"shared"},
		},
		{
			name:    "an order with other refs than the chain's is refused for an agent",
			file:    "agents-list.json5",
			apply:   map[string]configs.Order{"coder": ord(refMini, refSonnet)},
			skipped: []string{"coder"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := copyFixtures(t)
			path := filepath.Join(dir, tc.file)
			orig := []byte(mustRead(t, path))
			chains := chainsOf(t, path)
			tg, err := OpenTarget(loc("openclaw:"+path), nil)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			held, err := tg.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !held.Config {
				t.Error("an openclaw: target must say it holds the operator's config")
			}
			if tc.held != nil {
				if len(held.Orders) != len(tc.held) {
					t.Fatalf("Read = %v, want %v", held.Orders, tc.held)
				}
				for name, o := range tc.held {
					if got := configs.Dedupe(held.Orders[name]); !got.Equal(o) {
						t.Fatalf("Read[%s] = %v, want %v", name, got, o)
					}
				}
			}
			applied, err := tg.Apply(ctx, plans(t, chains, tc.apply))
			if err != nil {
				t.Fatal(err)
			}
			var wantWritten []string
			for name := range tc.values {
				wantWritten = append(wantWritten, name)
			}
			written := slices.Clone(applied.Written)
			slices.Sort(written)
			slices.Sort(wantWritten)
			if !slices.Equal(written, wantWritten) {
				t.Fatalf("wrote %v, want %v", written, wantWritten)
			}
			var skipped []string
			for name, why := range applied.Skipped {
				if why == "" {
					t.Errorf("%s skipped without a reason", name)
				}
				skipped = append(skipped, name)
			}
			slices.Sort(skipped)
			if !slices.Equal(skipped, tc.skipped) {
				t.Fatalf("skipped %v (%v), want %v", skipped, applied.Skipped, tc.skipped)
			}
			out := []byte(mustRead(t, path))
			if len(tc.values) == 0 {
				if !bytes.Equal(out, orig) {
					t.Fatalf("nothing was written but the file changed:\n%s", out)
				}
				if _, err := os.Stat(path + ".bak"); !os.IsNotExist(err) {
					t.Fatalf("nothing was written but a .bak was made (%v)", err)
				}
				return
			}
			// The expected file is the original with exactly these values replaced.
			var edits []json5.Edit
			for name, text := range tc.values {
				n := valueNode(t, orig, chains[name].Path)
				edits = append(edits, json5.Edit{Start: n.Start, End: n.End, Text: text})
			}
			if want := json5.Apply(orig, edits); !bytes.Equal(out, want) {
				t.Fatalf("result\n%s\nwant\n%s", out, want)
			}
			if bak := mustRead(t, path+".bak"); bak != string(orig) {
				t.Fatal(".bak does not hold the previous content")
			}
			// OpenClaw reads the result as the orders written, and every
			// other chain as it was.
			got := chainsOf(t, path)
			for name, c := range chains {
				want := configs.Dedupe(c.Order())
				if slices.Contains(applied.Written, name) {
					want = tc.apply[name]
				}
				if g := configs.Dedupe(got[name].Order()); !g.Equal(want) {
					t.Errorf("%s reads back as %v, want %v", name, g, want)
				}
			}
		})
	}
}

// valueNode finds the value at a chain's path (agents.defaults.model,
// agents.list[N].model, agents.entries.ID.model) in one file's own tree.
func valueNode(t *testing.T, src []byte, path string) *json5.Node {
	t.Helper()
	root, err := json5.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	n := root
	for _, part := range strings.Split(path, ".") {
		key, idx, isList := strings.Cut(part, "[")
		n = n.Get(key)
		if isList {
			i, _ := strconv.Atoi(strings.TrimSuffix(idx, "]"))
			n = n.Items[i]
		}
		if n == nil {
			t.Fatalf("no %s in the file", path)
		}
	}
	return n
}

func TestOpenClawTargetRefusesAnInvalidOrder(t *testing.T) {
	t.Parallel()
	dir := copyFixtures(t)
	path := filepath.Join(dir, "agents-list.json5")
	tg, _ := OpenTarget(loc("openclaw:"+path), nil)
	_, err := tg.Apply(context.Background(), []ChainPlan{{Name: "coder", Path: "agents.list[0].model", Effective: configs.Order{}}})
	if err == nil || !strings.Contains(err.Error(), "agent coder") {
		t.Fatalf("Apply of an empty order = %v", err)
	}
}
