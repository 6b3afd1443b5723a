package notify

import (
	"strings"
	"testing"
	"time"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/probes"
	"github.com/provwatch/provwatch/remediate"
	"github.com/provwatch/provwatch/reporter"
)

// TestRoundOf: an engine round's events in the notifier's words.
func TestRoundOf(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	configured := configs.Order{Primary: "ollama/qwen3", Fallbacks: []string{"groq/llama"}}
	moved := configs.Order{Primary: "groq/llama", Fallbacks: []string{"ollama/qwen3"}}
	rep := &reporter.Report{Time: at, Healthy: 1, Down: 1,
		Providers: []reporter.ProviderReport{{ID: "ollama", Models: []reporter.ModelReport{
			{Ref: "ollama/qwen3", State: probes.Down, Reason: probes.ReasonUnreachable, Hint: "start ollama"}}}},
		Order:  reporter.OrderReport{Configured: configured, Effective: moved},
		Agents: []reporter.AgentOrder{{Name: "coder", Path: "agents.entries.coder.model", Configured: moved, Effective: configured}},
	}
	evs := []remediate.Event{
		{Kind: remediate.EventState, Ref: "ollama/qwen3", From: probes.Healthy, To: probes.Down, Reason: probes.ReasonUnreachable},
		{Kind: remediate.EventOrder, Chain: configs.DefaultsChain, Path: "agents.defaults.model", Before: configured, After: moved, Written: true, Why: "demoted ollama/qwen3"},
		{Kind: remediate.EventOrder, Chain: "coder", Path: "agents.entries.coder.model", Before: configured, After: configured, Written: true},
		{Kind: remediate.EventOrder, Chain: "coder", Path: "agents.entries.coder.model", Before: moved, After: configured, Written: true},
		{Kind: remediate.EventPreferred, Chain: configs.DefaultsChain, Before: configured, After: moved, Why: "the operator changed agents.defaults.model"},
		{Kind: remediate.EventTargetError, Path: "ssm:/openclaw/model-order", Detail: "AccessDenied"},
	}
	r := RoundOf(rep, evs)
	want := []struct{ kind, ref, from, to, reason string }{
		{KindState, "ollama/qwen3", "healthy", "down", "unreachable"},
		{KindFailover, DefaultsPath, "ollama/qwen3", "groq/llama", "unreachable"},
		// the coder's first write moved nothing: not told
		{KindFailover, "agents.entries.coder.model", "groq/llama", "ollama/qwen3", ""},
		{KindEdit, DefaultsPath, "ollama/qwen3", "groq/llama", "edited"},
		{KindTargetError, "ssm:/openclaw/model-order", "", "", ""},
	}
	if len(r.Events) != len(want) {
		t.Fatalf("events %+v", r.Events)
	}
	for i, w := range want {
		e := r.Events[i]
		if e.Kind != w.kind || e.Ref != w.ref || e.From != w.from || e.To != w.to || e.Reason != w.reason {
			t.Errorf("event %d = %+v, want %+v", i, e, w)
		}
	}
	if r.Events[0].Hint != "start ollama" {
		t.Errorf("the state change lacks check's hint: %+v", r.Events[0])
	}
	if r.Before == nil || r.After == nil || r.After.Primary != "groq/llama" || r.Healthy != 1 || r.Down != 1 {
		t.Errorf("round %+v", r)
	}
	if r.Events[1].partial || r.Events[2].partial {
		t.Errorf("a move down the chain is told as partly restored: %+v", r.Events)
	}
	// The coder's configured primary is groq/llama: going back to it is a restore.
	rep.Agents[0].Configured = moved
	evs = []remediate.Event{{Kind: remediate.EventOrder, Chain: "coder", Path: "agents.entries.coder.model", Before: configured, After: moved, Written: true}}
	if k := RoundOf(rep, evs).Events[0].Kind; k != KindRestore {
		t.Errorf("back to the configured primary is %s, want restore", k)
	}
}

// TestRoundOfPartlyRestored: from the second fallback back to the first,
// which recovered, while the configured primary is still out: still a
// failover (the kinds are the contract's), marked partial for the
// headline; the next step down the chain is not.
func TestRoundOfPartlyRestored(t *testing.T) {
	t.Parallel()
	configured := configs.Order{Primary: "ollama/a", Fallbacks: []string{"groq/b", "anthropic/c"}}
	onC := configs.Order{Primary: "anthropic/c", Fallbacks: []string{"ollama/a", "groq/b"}}
	onB := configs.Order{Primary: "groq/b", Fallbacks: []string{"anthropic/c", "ollama/a"}}
	rep := &reporter.Report{Healthy: 2, Down: 1, Order: reporter.OrderReport{Configured: configured, Effective: onB}}
	for _, tt := range []struct {
		name          string
		before, after configs.Order
		partial       bool
	}{
		{"back up to the first fallback", onC, onB, true},
		{"down to the second fallback", onB, onC, false},
	} {
		evs := []remediate.Event{{Kind: remediate.EventOrder, Chain: configs.DefaultsChain, Before: tt.before, After: tt.after, Written: true}}
		e := RoundOf(rep, evs).Events[0]
		if e.Kind != KindFailover || e.partial != tt.partial {
			t.Errorf("%s: kind %s, partial %v; want failover, partial %v", tt.name, e.Kind, e.partial, tt.partial)
		}
		if head, _ := headline(Burst{Events: []Event{e}}); tt.partial != strings.HasPrefix(head, "Partly restored: primary anthropic/c -> groq/b") {
			t.Errorf("%s: headline %q", tt.name, head)
		}
	}
}
