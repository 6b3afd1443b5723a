package remediate

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
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

// agentChains loads path as provwatch does and returns its per-agent
// chains, so the target is tested against the loader's own Paths and Names.
func agentChains(t *testing.T, path string) map[string]configs.Chain {
	t.Helper()
	oc, err := configs.LoadOpenClaw(context.Background(), configs.Source{Path: path, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]configs.Chain{}
	for _, c := range oc.Chains {
		if c.Path != "agents.defaults.model" {
			out[c.Name] = c
		}
	}
	return out
}

func TestOpenClawTargetAgents(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		file string
		// held is what ReadAgents must return, by agent name (absent: not
		// rewritable in this file).
		held     map[string]configs.Order
		defaults *configs.Order
		write    map[string]configs.Order // agent name → order to write
		// values are the exact new text of every value that changes, by
		// "defaults" or agent name; every other byte must stay.
		values map[string]string
	}{
		{
			name: "list: the coder's own primary is down",
			file: "agents-list.json5",
			held: map[string]configs.Order{
				"coder":  ord(refSonnet, refGroq, refOllama),
				"writer": ord(refGemini, refSonnet), // inherited, the repeated primary once
				"pinned": ord(refGroq, refGemini, refSonnet),
			},
			write: map[string]configs.Order{
				"coder":  ord(refGroq, refOllama, refSonnet),
				"writer": ord(refGemini, refSonnet),
				"pinned": ord(refGroq, refGemini, refSonnet),
			},
			values: map[string]string{"coder": `{
          primary: "groq/llama-3.1-8b-instant", // best at diffs
          fallbacks: [
            "ollama/qwen3-coder",
            "anthropic/claude-3-5-sonnet-20241022",
          ],
        }`},
		},
		{
			name:     "list: defaults reordered, inheriting agents keep their own order",
			file:     "agents-list.json5",
			defaults: ptr(ord(refGemini, refSonnet, refOllama)),
			write: map[string]configs.Order{
				"coder":  ord(refSonnet, refGroq, refOllama),
				"writer": ord(refGemini, refSonnet),
				"pinned": ord(refGroq, refGemini, refSonnet),
			},
			values: map[string]string{
				"defaults": `{
        primary: "openrouter/google/gemini-flash-1.5",
        fallbacks: ["anthropic/claude-3-5-sonnet-20241022", "ollama/qwen3-coder"],
      }`,
				"writer": `{'primary': 'openrouter/google/gemini-flash-1.5', 'fallbacks': ['anthropic/claude-3-5-sonnet-20241022']}`,
				"pinned": `{"primary": "groq/llama-3.1-8b-instant", "fallbacks": ["openrouter/google/gemini-flash-1.5", "anthropic/claude-3-5-sonnet-20241022"]}`,
			},
		},
		{
			name: "entries: aliases, string and primary-only forms",
			file: "agents-entries.json5",
			held: map[string]configs.Order{
				"ops":      ord(refGroq),
				"research": ord(refSonnet, refGroq),
				"quick":    ord(refMini),
			},
			write: map[string]configs.Order{
				"ops":      ord("openai/gpt-4o"), // no fallbacks configured: stays a string
				"research": ord(refGroq, refSonnet),
				"quick":    ord(refGroq, refMini),
			},
			values: map[string]string{
				"ops":      `"openai/gpt-4o"`,
				"research": `{ "primary": "groq/llama-3.1-8b-instant", "fallbacks": ["anthropic/claude-3-5-sonnet-20241022"] }`,
				"quick":    `{ "primary": "groq/llama-3.1-8b-instant", "fallbacks": ["openai/gpt-4o-mini"] }`,
			},
		},
		{
			name: "entries: nothing differs, nothing is written",
			file: "agents-entries.json5",
			write: map[string]configs.Order{
				"ops":      ord(refGroq),
				"research": ord(refSonnet, refGroq),
				"quick":    ord(refMini),
			},
		},
		{
			name: "an agent an $include merges into is left alone",
			file: "agents-include.json5",
			held: map[string]configs.Order{"local": ord(refOllama, refGroq)},
			write: map[string]configs.Order{
				"local":  ord(refGroq, refOllama),
				"shared": ord(refMini, refGroq, refOllama),
			},
			values: map[string]string{"local": `{ primary: "groq/llama-3.1-8b-instant", fallbacks: ["ollama/qwen3-coder"] }`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := copyFixtures(t)
			path := filepath.Join(dir, tc.file)
			orig := []byte(mustRead(t, path))
			chains := agentChains(t, path)
			var all []configs.Chain
			for _, c := range chains {
				all = append(all, c)
			}
			tg, err := OpenTarget(loc("openclaw:"+path), nil)
			if err != nil {
				t.Fatal(err)
			}
			at := tg.(AgentTarget)
			ctx := context.Background()
			if _, _, err := tg.Read(ctx); err != nil {
				t.Fatal(err)
			}
			if tc.held != nil {
				got, err := at.ReadAgents(ctx, all)
				if err != nil {
					t.Fatal(err)
				}
				want := map[string]configs.Order{}
				for name, o := range tc.held {
					want[chains[name].Path] = o
				}
				if len(got) != len(want) {
					t.Fatalf("ReadAgents = %v, want %v", got, want)
				}
				for p, o := range want {
					if !got[p].Equal(o) {
						t.Fatalf("ReadAgents[%s] = %v, want %v", p, got[p], o)
					}
				}
			}
			var agents []AgentOrder
			for name, o := range tc.write {
				c, ok := chains[name]
				if !ok {
					t.Fatalf("the loader found no chain of agent %s", name)
				}
				agents = append(agents, AgentOrder{Chain: c, Order: o})
			}
			sort.Slice(agents, func(i, j int) bool { return agents[i].Chain.Path < agents[j].Chain.Path })
			written, err := at.WriteAgents(ctx, tc.defaults, agents, "why")
			if err != nil {
				t.Fatal(err)
			}
			var wantWritten []string
			for name := range tc.values {
				if name != "defaults" {
					wantWritten = append(wantWritten, chains[name].Path)
				}
			}
			slices.Sort(written)
			slices.Sort(wantWritten)
			if !slices.Equal(written, wantWritten) {
				t.Fatalf("rewrote %v, want %v", written, wantWritten)
			}
			out := []byte(mustRead(t, path))
			if len(tc.values) == 0 {
				if !bytes.Equal(out, orig) {
					t.Fatalf("nothing differed but the file changed:\n%s", out)
				}
				if _, err := os.Stat(path + ".bak"); !os.IsNotExist(err) {
					t.Fatalf("nothing differed but a .bak was made (%v)", err)
				}
				return
			}
			// The expected file is the original with exactly these values replaced.
			root, err := json5.Parse(orig)
			if err != nil {
				t.Fatal(err)
			}
			var edits []edit
			for name, text := range tc.values {
				var n *json5.Node
				if name == "defaults" {
					n = root.Find(modelPath...)
				} else {
					n = (&openclawTarget{path: path}).agentNode(root, chains[name])
				}
				edits = append(edits, edit{n.Start, n.End, text})
			}
			if want := applyEdits(orig, edits); !bytes.Equal(out, want) {
				t.Fatalf("result\n%s\nwant\n%s", out, want)
			}
			if bak := mustRead(t, path+".bak"); bak != string(orig) {
				t.Fatal(".bak does not hold the previous content")
			}
			// OpenClaw reads the result as the orders written.
			got := agentChains(t, path)
			for name, o := range tc.write {
				if !slices.Contains(written, chains[name].Path) {
					continue
				}
				if c := got[name]; !orderFrom(dedupe(c.Order())).Equal(o) {
					t.Errorf("%s reads back as %v, want %v", name, c.Order(), o)
				}
			}
			if tc.defaults != nil {
				if o, exists, err := tg.Read(ctx); err != nil || !exists || !o.Equal(*tc.defaults) {
					t.Errorf("defaults read back as %v %v %v", o, exists, err)
				}
			}
		})
	}
}

func TestOpenClawTargetAgentsRefuse(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("an agents.list entry that is not the chain's agent", func(t *testing.T) {
		t.Parallel()
		dir := copyFixtures(t)
		path := filepath.Join(dir, "agents-list.json5")
		c := agentChains(t, path)["coder"]
		c.Name = "someone-else" // the list was merged from several files
		tg, _ := OpenTarget(loc("openclaw:"+path), nil)
		at := tg.(AgentTarget)
		if got, err := at.ReadAgents(ctx, []configs.Chain{c}); err != nil || len(got) != 0 {
			t.Fatalf("ReadAgents = %v, %v; want nothing", got, err)
		}
		if w, err := at.WriteAgents(ctx, nil, []AgentOrder{{c, ord(refGroq, refSonnet)}}, ""); err != nil || len(w) != 0 {
			t.Fatalf("WriteAgents = %v, %v; want nothing written", w, err)
		}
	})

	t.Run("file changed between read and write", func(t *testing.T) {
		t.Parallel()
		dir := copyFixtures(t)
		path := filepath.Join(dir, "agents-list.json5")
		c := agentChains(t, path)["coder"]
		tg, _ := OpenTarget(loc("openclaw:"+path), nil)
		at := tg.(AgentTarget)
		if _, _, err := tg.Read(ctx); err != nil {
			t.Fatal(err)
		}
		edited := strings.Replace(mustRead(t, path), "~/scratch", "~/tmp", 1)
		os.WriteFile(path, []byte(edited), 0o640)
		if _, err := at.ReadAgents(ctx, []configs.Chain{c}); err != nil {
			t.Fatal(err)
		}
		_, err := at.WriteAgents(ctx, nil, []AgentOrder{{c, ord(refGroq, refSonnet)}}, "")
		if err == nil || !strings.Contains(err.Error(), "changed since provwatch read it") {
			t.Fatalf("WriteAgents over a concurrent edit = %v", err)
		}
		if mustRead(t, path) != edited {
			t.Fatal("the person's edit was overwritten")
		}
	})

	t.Run("an invalid order is refused before reading", func(t *testing.T) {
		t.Parallel()
		dir := copyFixtures(t)
		path := filepath.Join(dir, "agents-list.json5")
		c := agentChains(t, path)["coder"]
		tg, _ := OpenTarget(loc("openclaw:"+path), nil)
		if _, err := tg.(AgentTarget).WriteAgents(ctx, nil, []AgentOrder{{c, configs.Order{}}}, ""); err == nil || !strings.Contains(err.Error(), c.Path) {
			t.Fatalf("WriteAgents of an empty order = %v", err)
		}
	})
}

func ptr[T any](v T) *T { return &v }
