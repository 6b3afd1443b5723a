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
		state := func(r string) probes.State { return c.States[r] }
		got := Effective(c.Configured, state, c.DropDown)
		want := c.Configured.Distinct()
		refs := got.Refs()
		if got.Primary == "" || got.Fallbacks == nil {
			t.Logf("empty or null: %+v", got)
			return false
		}
		// Only a healthy model counts: unknown ones are not known to work.
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
		// An unknown (unprobed) ref keeps its place: its configured index
		// (with drop_down, no later than it: a dropped model's place goes to
		// the next one), and the unknown refs their order.
		var unknownAt []int
		for i, r := range want {
			if state(r) != probes.Unknown {
				continue
			}
			j := slices.Index(refs, r)
			if j > i || !c.DropDown && j != i {
				t.Logf("%v: unknown %s moved from place %d of %v", refs, r, i, want)
				return false
			}
			unknownAt = append(unknownAt, j)
		}
		if !slices.IsSorted(unknownAt) {
			t.Logf("%v: the unknown refs of %v changed their order", refs, want)
			return false
		}
		// The others: healthy before degraded before down, and stable within each group.
		var known []string
		for _, r := range refs {
			if state(r) != probes.Unknown {
				known = append(known, r)
			}
		}
		for i := 1; i < len(known); i++ {
			a, b := state(known[i-1]), state(known[i])
			if a > b {
				t.Logf("%v: %s (%v) before %s (%v)", refs, known[i-1], a, known[i], b)
				return false
			}
			if a == b && slices.Index(want, known[i-1]) > slices.Index(want, known[i]) {
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
		{"unprobed is not healthy: every probed one down, configured", map[string]probes.State{"ollama/qwen3-coder": X, "openrouter/google/gemini-flash-1.5": probes.Unknown, "anthropic/claude-3-5-sonnet-20241022": X}, false,
			configs.Order{Primary: "ollama/qwen3-coder", Fallbacks: []string{"openrouter/google/gemini-flash-1.5", "anthropic/claude-3-5-sonnet-20241022"}}},
		{"unprobed keeps its place while the others move", map[string]probes.State{"ollama/qwen3-coder": X, "openrouter/google/gemini-flash-1.5": probes.Unknown}, false,
			configs.Order{Primary: "anthropic/claude-3-5-sonnet-20241022", Fallbacks: []string{"openrouter/google/gemini-flash-1.5", "ollama/qwen3-coder"}}},
		{"unprobed primary stays primary", map[string]probes.State{"ollama/qwen3-coder": probes.Unknown, "openrouter/google/gemini-flash-1.5": X}, true,
			configs.Order{Primary: "ollama/qwen3-coder", Fallbacks: []string{"anthropic/claude-3-5-sonnet-20241022"}}},
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
