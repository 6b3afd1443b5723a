package remediate

import (
	"encoding/json"
	"math/rand"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/quick"
	"time"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/health"
	"github.com/provwatch/provwatch/probes"
)

// chainCase is a random configured chain, random states and drop_down.
type chainCase struct {
	Configured configs.Order
	States     map[string]probes.State
	DropDown   bool
}

// Generate draws refs from a small pool so duplicates and all-down chains
// come up often.
func (chainCase) Generate(r *rand.Rand, _ int) reflect.Value {
	pool := []string{"ollama/qwen3-coder", "openrouter/google/gemini-flash-1.5", "anthropic/claude-3-5-sonnet-20241022", "groq/llama-3.1-8b", "openai/gpt-4o", "xai/grok-2"}
	n := 1 + r.Intn(7)
	refs := make([]string, n)
	for i := range refs {
		refs[i] = pool[r.Intn(len(pool))]
	}
	c := chainCase{Configured: configs.Order{Primary: refs[0], Fallbacks: refs[1:]}, States: map[string]probes.State{}, DropDown: r.Intn(2) == 0}
	for _, p := range pool {
		c.States[p] = probes.State(r.Intn(4)) // Unknown included
	}
	return reflect.ValueOf(c)
}

func TestEffectiveProperties(t *testing.T) {
	t.Parallel()
	prop := func(c chainCase) bool {
		// An unprobed (Unknown) model has no evidence against it: it ranks
		// with the healthy ones.
		state := func(r string) probes.State {
			if s := c.States[r]; s != probes.Unknown {
				return s
			}
			return probes.Healthy
		}
		got := Effective(c.Configured, func(r string) probes.State { return c.States[r] }, c.DropDown)
		want := c.Configured.Distinct()
		refs := got.Refs()
		if got.Primary == "" || got.Fallbacks == nil {
			t.Logf("empty or null: %+v", got)
			return false
		}
		anyHealthy := slices.ContainsFunc(want, func(r string) bool { return state(r) == probes.Healthy })
		if !anyHealthy {
			if !slices.Equal(refs, want) {
				t.Logf("nothing healthy: got %v, want configured %v", refs, want)
				return false
			}
			return true
		}
		// A permutation of the configured refs (a sub-list without the down ones with drop_down).
		expect := want
		if c.DropDown {
			expect = slices.DeleteFunc(slices.Clone(want), func(r string) bool { return state(r) == probes.Down })
		}
		if len(refs) != len(expect) {
			t.Logf("got %v, from %v", refs, want)
			return false
		}
		for _, r := range expect {
			if !slices.Contains(refs, r) {
				t.Logf("%s missing from %v", r, refs)
				return false
			}
		}
		// Healthy before degraded before down, and stable within each group.
		for i := 1; i < len(refs); i++ {
			a, b := state(refs[i-1]), state(refs[i])
			if a > b {
				t.Logf("%v: %s (%v) before %s (%v)", refs, refs[i-1], a, refs[i], b)
				return false
			}
			if a == b && slices.Index(want, refs[i-1]) > slices.Index(want, refs[i]) {
				t.Logf("%v: not in configured order %v", refs, want)
				return false
			}
		}
		return true
	}
	if err := quick.Check(prop, &quick.Config{MaxCount: 2000}); err != nil {
		t.Fatal(err)
	}
}

func TestEffectiveExamples(t *testing.T) {
	t.Parallel()
	conf := configs.Order{Primary: "ollama/qwen3-coder", Fallbacks: []string{"openrouter/google/gemini-flash-1.5", "anthropic/claude-3-5-sonnet-20241022", "ollama/qwen3-coder"}}
	tests := []struct {
		name     string
		states   map[string]probes.State
		dropDown bool
		want     configs.Order
	}{
		{"all healthy: configured, deduped", nil, false,
			configs.Order{Primary: "ollama/qwen3-coder", Fallbacks: []string{"openrouter/google/gemini-flash-1.5", "anthropic/claude-3-5-sonnet-20241022"}}},
		{"primary down moves last", map[string]probes.State{"ollama/qwen3-coder": X}, false,
			configs.Order{Primary: "openrouter/google/gemini-flash-1.5", Fallbacks: []string{"anthropic/claude-3-5-sonnet-20241022", "ollama/qwen3-coder"}}},
		{"primary down dropped", map[string]probes.State{"ollama/qwen3-coder": X}, true,
			configs.Order{Primary: "openrouter/google/gemini-flash-1.5", Fallbacks: []string{"anthropic/claude-3-5-sonnet-20241022"}}},
		{"degraded before down", map[string]probes.State{"ollama/qwen3-coder": X, "openrouter/google/gemini-flash-1.5": D}, false,
			configs.Order{Primary: "anthropic/claude-3-5-sonnet-20241022", Fallbacks: []string{"openrouter/google/gemini-flash-1.5", "ollama/qwen3-coder"}}},
		{"nothing healthy: configured", map[string]probes.State{"ollama/qwen3-coder": X, "openrouter/google/gemini-flash-1.5": D, "anthropic/claude-3-5-sonnet-20241022": X}, true,
			configs.Order{Primary: "ollama/qwen3-coder", Fallbacks: []string{"openrouter/google/gemini-flash-1.5", "anthropic/claude-3-5-sonnet-20241022"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Effective(conf, func(r string) probes.State { return tc.states[r] }, tc.dropDown)
			if !got.Equal(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	t.Parallel()
	before := configs.Order{Primary: "ollama/qwen3-coder", Fallbacks: []string{"openrouter/google/gemini-flash-1.5"}}
	after := configs.Order{Primary: "openrouter/google/gemini-flash-1.5", Fallbacks: []string{"ollama/qwen3-coder"}}
	at := time.Date(2026, 11, 25, 10, 0, 30, 0, time.UTC)
	got := Describe(before, after, []health.Transition{{Ref: "ollama/qwen3-coder", From: H, To: X, Reason: probes.ReasonNoModel, Detail: "sk-secret-in-detail", At: at}})
	want := "2026-11-25T10:00Z: demoted ollama/qwen3-coder to down (no_model); primary now openrouter/google/gemini-flash-1.5 (was ollama/qwen3-coder); fallbacks ollama/qwen3-coder"
	if got != want {
		t.Fatalf("Describe =\n%s\nwant\n%s", got, want)
	}
	if strings.Contains(got, "secret") {
		t.Fatal("a probe detail leaked into the description")
	}
	restored := Describe(after, before, []health.Transition{{Ref: "ollama/qwen3-coder", From: X, To: H, Reason: probes.ReasonOK, At: at}})
	if !strings.Contains(restored, "restored ollama/qwen3-coder to healthy (ok)") {
		t.Fatalf("restore description %q", restored)
	}
	// Many transitions stay within the SSM limit, cut on a character boundary.
	var many []health.Transition
	var fb []string
	for i := 0; i < 100; i++ {
		ref := "provider/modèle-" + strings.Repeat("é", i%7) + string(rune('a'+i%26))
		many = append(many, health.Transition{Ref: ref, From: H, To: D, Reason: probes.ReasonSlow, At: at})
		fb = append(fb, ref)
	}
	long := Describe(before, configs.Order{Primary: "x/y", Fallbacks: fb}, many)
	if n := len([]rune(long)); n > MaxDescription {
		t.Fatalf("description has %d characters", n)
	}
	if !strings.HasSuffix(long, "…") || !json.Valid([]byte(`"`+long+`"`)) {
		t.Fatalf("truncated description %q", long[len(long)-20:])
	}
}
