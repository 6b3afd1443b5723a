package reporter

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/probes"
)

func TestWriteTableGolden(t *testing.T) {
	t.Parallel()
	unchanged := outSampleReport()
	unchanged.Order.Effective = unchanged.Order.Configured
	unchanged.Order.Changed, unchanged.Order.Written = false, false

	tests := []struct {
		golden string
		r      *Report
		opt    TableOptions
	}{
		{"table_report.txt", outSampleReport(), TableOptions{}},
		{"table_report_color.txt", outSampleReport(), TableOptions{Color: true}},
		{"table_check.txt", outSampleReport(), TableOptions{Check: true}},
		{"table_unchanged.txt", unchanged, TableOptions{}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := WriteTable(&buf, tt.r, tt.opt); err != nil {
				t.Fatal(err)
			}
			outGolden(t, tt.golden, buf.Bytes())
		})
	}
}

func TestWriteTableContent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opt     TableOptions
		want    []string
		notWant []string
	}{
		{
			name: "plain",
			want: []string{
				"2 healthy, 1 degraded, 1 down\n",
				"effective   anthropic/claude-3-5-sonnet-20241022 -> openrouter/google/gemini-flash-1.5 -> ollama/llama3.1:8b -> ollama/qwen3-coder  (changed, written)",
				"ollama/qwen3-coder  run: ollama pull qwen3-coder",
				"ollama/llama3.1:8b  set OLLAMA_CONTEXT_LENGTH>=64000",
				"anthropic   headroom 90%, requests 45/50, tokens 36000/40000, resets 2026-11-25T10:01:00Z",
				"openrouter  credits 12.50",
				"-/-/128000", "8192/131072/64000",
				"12.4 ms", "231.9 ms", "1.84 s",
			},
			notWant: []string{"\x1b[", "would become", "ollama  "}, // ollama has no rate-limit facts
		},
		{
			name: "color",
			opt:  TableOptions{Color: true},
			want: []string{
				ansiRed + "down" + ansiReset, ansiYellow + "degraded" + ansiReset, ansiGreen + "healthy" + ansiReset,
				ansiGreen + "2 healthy" + ansiReset + ", " + ansiYellow + "1 degraded" + ansiReset + ", " + ansiRed + "1 down" + ansiReset,
			},
		},
		{
			name:    "check",
			opt:     TableOptions{Check: true},
			want:    []string{"would become  anthropic/", "(changed; check writes nothing)", "configured    ollama/qwen3-coder -> "},
			notWant: []string{"effective", "written)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := WriteTable(&buf, outSampleReport(), tt.opt); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("table lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out, w) {
					t.Errorf("table should not contain %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestWriteTableAlignsWideAndHostileText checks that columns line up in
// terminal cells when a ref holds CJK characters, and that a provider's
// message cannot send escape sequences or line breaks to the terminal.
func TestWriteTableAlignsWideAndHostileText(t *testing.T) {
	t.Parallel()
	r := &Report{
		Healthy: 1, Down: 1,
		Providers: []ProviderReport{{
			ID: "vllm", Probe: probes.ProbeInfo{LatencyMS: 5},
			Models: []ModelReport{
				{Ref: "vllm/通义千问", State: probes.Healthy, Reason: probes.ReasonOK},
				{Ref: "vllm/qwen-2.5-coder-32b", State: probes.Down, Reason: probes.ReasonServerError,
					Detail: "500: \x1b[2J\x1b]0;pwned\x07 oops\nsecond line \u202Eevil"},
			},
		}},
		Order: OrderReport{Configured: configs.Order{Primary: "vllm/通义千问"}},
	}
	var buf bytes.Buffer
	if err := WriteTable(&buf, r, TableOptions{}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.ContainsAny(out, "\x1b\x07\u202E") {
		t.Errorf("control characters reached the terminal: %q", out)
	}
	lines := strings.Split(out, "\n")
	if len(lines) < 3 {
		t.Fatalf("short table:\n%s", out)
	}
	// The STATE column starts at the same cell on every row.
	col := func(line, word string) int {
		i := strings.Index(line, word)
		if i < 0 {
			t.Fatalf("%q not in %q", word, line)
		}
		return termWidth(line[:i])
	}
	head, wide, narrow := col(lines[0], "STATE"), col(lines[1], "healthy"), col(lines[2], "down")
	if head != wide || wide != narrow {
		t.Errorf("STATE column at cells %d (header), %d (CJK ref), %d (ASCII ref); want equal:\n%s", head, wide, narrow, out)
	}
	if !strings.Contains(lines[2], "oops second line") {
		t.Errorf("line break in detail not flattened: %q", lines[2])
	}
}

func TestTermWidth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s    string
		want int
	}{
		{"", 0},
		{"qwen3-coder", 11},
		{"通义千问", 8},
		{"ｑｗｅｎ", 8},       // fullwidth Latin
		{"café", 4},       // precomposed
		{"cafe\u0301", 4}, // combining acute accent
		{"🚀x", 3},
		{"한국어", 6},
		// Emoji sequences are one glyph of 2 cells, not the sum of their runes.
		{"👨\u200d👩\u200d👧", 2}, // ZWJ family
		{"🇯🇵", 2},              // flag: two regional indicators
		{"\u2764\ufe0f ok", 5}, // heart with emoji presentation selector
		{"gemma\u200b", 5},     // zero-width space
	}
	for _, tt := range tests {
		if got := termWidth(tt.s); got != tt.want {
			t.Errorf("termWidth(%q) = %d, want %d", tt.s, got, tt.want)
		}
	}
}

func TestWriteTableEmpty(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := WriteTable(&buf, &Report{}, TableOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"No model refs to show", "no chain configured", "0 healthy, 0 degraded, 0 down"} {
		if !strings.Contains(buf.String(), w) {
			t.Errorf("empty table lacks %q:\n%s", w, buf.String())
		}
	}
	if err := WriteTable(&buf, nil, TableOptions{}); err == nil {
		t.Error("WriteTable(nil) succeeded, want an error")
	}
}

func TestFormatLatencyAndPercent(t *testing.T) {
	t.Parallel()
	for in, want := range map[float64]string{0: "-", 0.42: "0.42 ms", 12.44: "12.4 ms", 999.94: "999.9 ms", 5021: "5.02 s"} {
		if got := formatLatency(in); got != want {
			t.Errorf("formatLatency(%v) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[float64]string{0: "0%", 0.075: "7.5%", 0.09: "9%", 0.9: "90%", 1: "100%"} {
		if got := formatPercent(in); got != want {
			t.Errorf("formatPercent(%v) = %q, want %q", in, got, want)
		}
	}
}

// agentsPendingReport is outSampleReport with a restore waiting for its
// hold, a demotion awaiting confirmation, and two per-agent chains, one
// moved by health.
func agentsPendingReport() *Report {
	r := outSampleReport()
	qwen := &r.Providers[0].Models[0]
	qwen.Observed, qwen.Pending = probes.Healthy, true
	qwen.HeldUntil = outTimePtr(r.Time.Add(3 * time.Minute))
	sonnet := &r.Providers[1].Models[0]
	sonnet.Observed, sonnet.Pending = probes.Down, true
	r.Agents = []AgentOrder{
		{
			Name: "coder", Path: "agents.list[0].model",
			Configured: configs.Order{Primary: "ollama/qwen3-coder", Fallbacks: []string{"anthropic/claude-3-5-sonnet-20241022"}},
			Effective:  configs.Order{Primary: "anthropic/claude-3-5-sonnet-20241022", Fallbacks: []string{"ollama/qwen3-coder"}},
			Written:    true,
		},
		{
			Name: "writer", Path: "agents.entries.writer.model",
			Configured: configs.Order{Primary: "openrouter/google/gemini-flash-1.5", Fallbacks: []string{}},
			Effective:  configs.Order{Primary: "openrouter/google/gemini-flash-1.5", Fallbacks: []string{}},
		},
	}
	return r
}

func TestWriteTableAgentsAndPending(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := WriteTable(&buf, agentsPendingReport(), TableOptions{}); err != nil {
		t.Fatal(err)
	}
	outGolden(t, "table_agents_pending.txt", buf.Bytes())
	out := buf.String()
	for _, w := range []string{
		"anthropic/claude-3-5-sonnet-20241022  healthy*  ",
		"ollama/qwen3-coder                    down*     ",
		"* anthropic/claude-3-5-sonnet-20241022: latest probe saw down; awaiting confirmation\n",
		"* ollama/qwen3-coder: latest probe saw healthy; restore held until 10:03 UTC\n",
		"  agent coder  anthropic/claude-3-5-sonnet-20241022 -> ollama/qwen3-coder  (configured ollama/qwen3-coder -> anthropic/claude-3-5-sonnet-20241022; written)\n",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("table lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "writer") {
		t.Errorf("an agent whose chain stands as configured is shown:\n%s", out)
	}

	// Colour paints the state word, never the marker or the padding.
	buf.Reset()
	if err := WriteTable(&buf, agentsPendingReport(), TableOptions{Color: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), ansiGreen+"healthy"+ansiReset+"*  ") {
		t.Errorf("marker inside the colour escape:\n%q", buf.String())
	}

	// A report built by hand leaves Observed at its zero value (healthy):
	// without Pending nothing is marked.
	buf.Reset()
	if err := WriteTable(&buf, outSampleReport(), TableOptions{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "*") || strings.Contains(buf.String(), "latest probe") {
		t.Errorf("hand-built report shows pending notes:\n%s", buf.String())
	}
}

func TestAgentsAndPendingStayOutOfTheJSON(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(agentsPendingReport())
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"agents", "Agents", "agents.list", "pending", "Pending", "held", "Held", "observed", "Observed"} {
		if strings.Contains(string(b), w) {
			t.Errorf("JSON report holds %q: %s", w, b)
		}
	}
}
