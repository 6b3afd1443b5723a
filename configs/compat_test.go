package configs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/provwatch/provwatch/internal/openclawtest"
)

// displayedRaw are the refs `openclaw models status` lists as written
// while the gateway runs them resolved: an alias, provider/alias (the
// alias's model, when it is that provider's), and a bare fallback (which
// takes its primary's provider). The corpus records the CLI's
// display; provwatch watches what runs. Each case names what it shows raw.
var displayedRaw = map[string]map[string]string{
	"aliases":           {"FAST": "openai/gpt-4.1-mini", "openai/smart": "openai/gpt-4.1"},
	"bare-id":           {"gpt-4o": "openai/gpt-4o"},
	"env-escaped":       {"${LITERAL_MODEL}": "ollama/${LITERAL_MODEL}"},
	"env-missing":       {"${EMPTY_MODEL}": "openai/${EMPTY_MODEL}"},
	"model-id-rewrites": {"xai/grok-4-fast-reasoning": "xai/grok-4-fast"},
}

// served is an order with each ref as the model OpenClaw asks its
// provider for (ServedModel).
func served(o Order) Order {
	refs := o.Refs()
	for i, s := range refs {
		if r, err := ParseRef(s); err == nil {
			refs[i] = r.Provider + "/" + ServedModel(r.Provider, r.Model)
		}
	}
	return OrderOf(refs)
}

// TestOpenClawCompatCorpus reads every corpus config as provwatch does and
// compares it with what OpenClaw 2026.9.6 made of it: a file OpenClaw
// accepts is never refused, one it rejects gets an error or a warning, and
// every chain resolves to what OpenClaw runs.
func TestOpenClawCompatCorpus(t *testing.T) {
	t.Parallel()
	root := filepath.Join("testdata", "openclaw-compat")
	cases, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 25 {
		t.Fatalf("the corpus has %d cases", len(cases))
	}
	for _, c := range cases {
		if !c.IsDir() {
			continue
		}
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(root, c.Name())
			want, err := openclawtest.ReadExpected(dir)
			if err != nil {
				t.Fatal(err)
			}
			env, err := openclawtest.ReadEnv(dir)
			if err != nil {
				t.Fatal(err)
			}
			oc, err := LoadOpenClaw(context.Background(), Source{Path: filepath.Join(dir, "openclaw.json"), Getenv: openclawtest.Getenv(env)})
			if !want.Valid {
				// Each of OpenClaw's reasons needs a provwatch error or warning
				// at that key path or under it ("<root>": anywhere).
				var paths []string
				var ce *Error
				if errors.As(err, &ce) {
					paths = append(paths, ce.Path)
				} else if err != nil {
					paths = append(paths, "")
				}
				if oc != nil {
					for _, w := range oc.Warnings {
						paths = append(paths, w.Path)
						if strings.HasPrefix(w.Path, "agents.list") {
							// 2026.9.x moves agents.list into agents.entries
							// and reports the moved roster's faults there.
							paths = append(paths, "agents.entries")
						}
					}
				}
				for _, reason := range want.Errors {
					at, _, _ := strings.Cut(reason, ": ")
					if !slices.ContainsFunc(paths, func(p string) bool {
						return at == "<root>" || p == at || strings.HasPrefix(p, at+".") || strings.HasPrefix(p, at+"[")
					}) {
						t.Errorf("OpenClaw rejects this config (%s); provwatch says nothing about %s (it says %v at %q)", reason, at, err, paths)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("OpenClaw accepts this config; provwatch refuses it: %v", err)
			}
			chains := map[string]Chain{}
			for _, ch := range oc.Chains {
				chains[ch.Name] = ch
			}
			def, hasDef := oc.Defaults()
			check := func(who string, got Order, w openclawtest.Chain) {
				t.Helper()
				exp := Order{Primary: w.Primary, Fallbacks: append([]string{}, w.Fallbacks...)}
				for i, f := range exp.Fallbacks {
					if r, ok := displayedRaw[c.Name()][f]; ok {
						exp.Fallbacks[i] = r
					}
				}
				if !served(Dedupe(got)).Equal(served(Dedupe(exp))) {
					t.Errorf("%s: provwatch reads %s, OpenClaw runs %s", who, got.Text(), exp.Text())
				}
			}
			if want.Defaults != nil {
				if !hasDef {
					t.Fatalf("no agents.defaults.model; OpenClaw runs %+v", want.Defaults)
				}
				check("defaults", def.Order(), *want.Defaults)
			}
			for id, w := range want.Agents {
				own, ok := chains[id]
				switch {
				case w.PrimaryFrom == "defaults" && w.FallbacksFrom == "defaults":
					if ok {
						t.Errorf("agent %s runs on the defaults' chain; provwatch gives it its own %s", id, own.Order().Text())
					} else if hasDef {
						check("agent "+id+" (on the defaults)", def.Order(), w)
					}
				case !ok:
					t.Errorf("agent %s has a chain of its own in OpenClaw (%s, %v); provwatch has none", id, w.Primary, w.Fallbacks)
				default:
					check("agent "+id, own.Order(), w)
					if movable := w.FallbacksFrom == "agent" && len(w.Fallbacks) > 0; movable == own.Fixed {
						t.Errorf("agent %s: Fixed = %v, but its fallbacks come from %s (%v)", id, own.Fixed, w.FallbacksFrom, w.Fallbacks)
					}
				}
			}
		})
	}
}
