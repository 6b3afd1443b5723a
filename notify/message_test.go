package notify

import (
	"strings"
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	t.Parallel()
	restoreBefore := &Order{Primary: "groq/llama-3.3-70b-versatile", Fallbacks: []string{"ollama/qwen3-coder"}}
	restoreAfter := &Order{Primary: "ollama/qwen3-coder", Fallbacks: []string{"groq/llama-3.3-70b-versatile"}}
	tests := []struct {
		name string
		b    Burst
		want string
	}{
		{"failover", failoverBurst(),
			"Failover: primary ollama/qwen3-coder -> groq/llama-3.3-70b-versatile: ollama/qwen3-coder is down (unreachable: connection refused at http://10.0.1.5:11434). Fix: start Ollama on 10.0.1.5 (ollama serve) or fix baseUrl"},
		{"restore", Burst{Events: []Event{
			{Kind: KindState, Ref: "ollama/qwen3-coder", From: "down", To: "healthy", Reason: "ok"},
			{Kind: KindRestore, Ref: DefaultsPath, From: "groq/llama-3.3-70b-versatile", To: "ollama/qwen3-coder", Before: restoreBefore, After: restoreAfter},
		}}, "Restored: primary ollama/qwen3-coder again (was groq/llama-3.3-70b-versatile): ollama/qwen3-coder is healthy again"},
		{"one state change", Burst{Events: []Event{{Kind: KindState, Ref: "groq/llama-3.3-70b-versatile", From: "healthy", To: "degraded", Reason: "rate_limit", Detail: "4% of requests left", Hint: "wait for the reset"}}},
			"groq/llama-3.3-70b-versatile is degraded: rate_limit: 4% of requests left. Fix: wait for the reset"},
		{"many state changes", Burst{Events: []Event{
			{Kind: KindState, Ref: "groq/a", From: "down", To: "healthy"},
			{Kind: KindState, Ref: "groq/b", From: "healthy", To: "down", Reason: "auth", Detail: "401 invalid_api_key", Hint: "set GROQ_API_KEY"},
		}}, "2 models changed state: groq/b is down (auth: 401 invalid_api_key). Fix: set GROQ_API_KEY"},
		{"agent chain", Burst{Events: []Event{{Kind: KindFailover, Ref: "agents.list[1].model", From: "ollama/a", To: "groq/b", Detail: "agent coder: ollama/a down"}}},
			"Failover of agents.list[1].model: primary ollama/a -> groq/b: agent coder: ollama/a down"},
		{"target failing", Burst{Events: []Event{{Kind: KindTargetFailing, Ref: "ssm:/openclaw/model-order", Detail: "failed 3 rounds in a row: AccessDeniedException", Hint: "grant ssm:PutParameter"}}},
			"Cannot write the fallback order to ssm:/openclaw/model-order: failed 3 rounds in a row: AccessDeniedException. Fix: grant ssm:PutParameter"},
		{"more than the headline tells", Burst{Events: []Event{
			{Kind: KindState, Ref: "ollama/a", From: "healthy", To: "down", Reason: "unreachable"},
			{Kind: KindFailover, Ref: DefaultsPath, From: "ollama/a", To: "groq/b"},
			{Kind: KindFailover, Ref: "agents.list[0].model", From: "ollama/a", To: "groq/b"},
		}}, "Failover: primary ollama/a -> groq/b: ollama/a is down (unreachable) (+1 more)"},
		{"stand-in comes back", Burst{Events: []Event{
			{Kind: KindState, Ref: "groq/b", From: "down", To: "healthy", Reason: "ok"},
			{Kind: KindFailover, Ref: DefaultsPath, From: "anthropic/c", To: "groq/b", Detail: "2026-11-25T10:00Z: restored groq/b", partial: true},
		}}, "Partly restored: primary anthropic/c -> groq/b: groq/b is healthy again"},
		{"line breaks folded", Burst{Events: []Event{{Kind: KindState, Ref: "x/y", From: "healthy", To: "down", Reason: "format", Detail: "line one\nline two"}}},
			"x/y is down: format: line one line two"},
	}
	for _, tt := range tests {
		if got := Summarize(tt.b); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}

func TestSummarizeIsBounded(t *testing.T) {
	t.Parallel()
	b := Burst{Events: []Event{{Kind: KindState, Ref: "x/y", To: "down", Reason: "format", Detail: strings.Repeat("garbage ", 500)}}}
	if n := runeLen(Summarize(b)); n > maxText {
		t.Errorf("summary has %d characters, want at most %d", n, maxText)
	}
}

func TestMerge(t *testing.T) {
	t.Parallel()
	a := failoverBurst()
	later := Burst{Time: a.Time.Add(time.Minute), Events: []Event{{Kind: KindState, Ref: "groq/llama-3.3-70b-versatile", From: "healthy", To: "degraded", Reason: "slow"}},
		After: &Order{Primary: "anthropic/claude-sonnet-4-5"}}
	m := Merge([]Burst{a, later})
	if len(m.Events) != 3 || m.Before != a.Before || m.After != later.After || !m.Time.Equal(later.Time) {
		t.Errorf("merged = %+v", m)
	}
	if !strings.HasPrefix(m.Text, "Failover: primary ollama/qwen3-coder -> groq/llama-3.3-70b-versatile") {
		t.Errorf("merged text = %s", m.Text)
	}
}
