package reporter

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/probes"
)

// TableOptions shape the console table.
type TableOptions struct {
	// Color marks states green, yellow and red with ANSI escapes; set it
	// only for a terminal (see AutoColor).
	Color bool
	// Check labels the effective order "would become": check changes nothing.
	Check bool
}

// AutoColor reports whether output to f should be coloured: f is a
// terminal, NO_COLOR is unset (no-color.org) and TERM is not "dumb".
func AutoColor(f *os.File) bool {
	if f == nil || os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

// ANSI SGR sequences for the three states.
const (
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiRed    = "\x1b[1;31m"
	ansiBold   = "\x1b[1m"
	ansiReset  = "\x1b[0m"
)

// tableColumns are the per-model columns, in order.
var tableColumns = []string{"MODEL", "STATE", "REASON", "LATENCY", "CONTEXT served/trained/declared", "DETAIL"}

// WriteTable writes r for a person at a terminal: one aligned row per model
// ref, the providers' rate-limit and credit headroom when known, the
// configured and effective chains, one hint per problem, and a summary line.
func WriteTable(w io.Writer, r *Report, opt TableOptions) error {
	if r == nil {
		return fmt.Errorf("write table: no report (nil)")
	}
	bw := bufio.NewWriter(w)
	t := tableWriter{w: bw, color: opt.Color}

	t.models(r)
	t.rateLimits(r)
	t.order(r.Order, r.Agents, opt.Check)
	t.hints(r)
	t.summary(r)

	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}

// tableWriter writes the table's sections; a bufio.Writer keeps the first
// write error, which Flush returns.
type tableWriter struct {
	w     *bufio.Writer
	color bool
}

func (t tableWriter) paint(code, s string) string {
	if !t.color || code == "" {
		return s
	}
	return code + s + ansiReset
}

func stateColor(s probes.State) string {
	switch s {
	case probes.Healthy:
		return ansiGreen
	case probes.Degraded:
		return ansiYellow
	case probes.Down:
		return ansiRed
	}
	return ""
}

func (t tableWriter) heading(s string) {
	t.w.WriteString("\n" + t.paint(ansiBold, s) + "\n")
}

func (t tableWriter) models(r *Report) {
	type row struct {
		cells []string
		state probes.State
	}
	var rows []row
	var notes []string
	for _, p := range r.Providers {
		for _, m := range p.Models {
			word := m.State.String()
			if m.Pending {
				// The state shown is the confirmed one; the marker says the
				// latest probe disagrees, explained below the table.
				word += pendingMark
				notes = append(notes, pendingMark+" "+termClean(m.Ref)+": "+pendingNote(m))
			}
			rows = append(rows, row{state: m.State, cells: []string{
				termClean(m.Ref),
				word,
				termClean(string(m.Reason)),
				formatLatency(p.Probe.LatencyMS),
				formatContext(m.ContextWindow) + "/" + formatContext(m.TrainedContextWindow) + "/" + formatContext(m.ConfiguredContextWindow),
				termClean(m.Detail),
			}})
		}
	}
	if len(rows) == 0 {
		t.w.WriteString("No model refs to show: the configuration names none, or no provider was probed.\n")
		return
	}
	widths := make([]int, len(tableColumns))
	for i, h := range tableColumns {
		widths[i] = termWidth(h)
	}
	for _, rw := range rows {
		for i, c := range rw.cells {
			widths[i] = max(widths[i], termWidth(c))
		}
	}
	const latencyCol, stateCol = 3, 1
	line := func(cells []string, state *probes.State) {
		var b strings.Builder
		last := len(cells) - 1
		for last > 0 && cells[last] == "" {
			last-- // no trailing blanks when the detail is empty
		}
		for i := 0; i <= last; i++ {
			c := cells[i]
			var cell string
			if i == latencyCol && state != nil {
				cell = termPadLeft(c, widths[i])
			} else if i < last {
				cell = termPadRight(c, widths[i])
			} else {
				cell = c
			}
			if i == stateCol && state != nil {
				// Colour the word only, so padding and the pending marker
				// stay outside the escapes.
				word := strings.TrimSuffix(c, pendingMark)
				cell = t.paint(stateColor(*state), word) + cell[len(word):]
			}
			if i > 0 {
				b.WriteString("  ")
			}
			b.WriteString(cell)
		}
		b.WriteByte('\n')
		t.w.WriteString(b.String())
	}
	line(tableColumns, nil)
	for _, rw := range rows {
		line(rw.cells, &rw.state)
	}
	for _, n := range notes {
		t.w.WriteString(n + "\n")
	}
}

// pendingMark follows a state the latest probe disagrees with.
const pendingMark = "*"

// pendingNote says what the latest probe saw of a model whose change is
// not confirmed yet, and what it waits for.
func pendingNote(m ModelReport) string {
	if m.HeldUntil != nil {
		return "latest probe saw " + m.Observed.String() + "; restore held until " + m.HeldUntil.UTC().Format("15:04 UTC")
	}
	return "latest probe saw " + m.Observed.String() + "; awaiting confirmation"
}

func (t tableWriter) rateLimits(r *Report) {
	type entry struct{ id, text string }
	var entries []entry
	width := 0
	for _, p := range r.Providers {
		text := formatRateLimit(p.RateLimit)
		if text == "" {
			continue
		}
		id := termClean(p.ID)
		entries = append(entries, entry{id, text})
		width = max(width, termWidth(id))
	}
	if len(entries) == 0 {
		return
	}
	t.heading("Rate limits and credits")
	for _, e := range entries {
		t.w.WriteString("  " + termPadRight(e.id, width) + "  " + e.text + "\n")
	}
}

// formatRateLimit says what the provider told about its limits, or "" when
// it told nothing; unknown figures are left out, never shown as 0.
func formatRateLimit(rl probes.RateLimit) string {
	var parts []string
	if rl.Headroom != nil {
		parts = append(parts, "headroom "+formatPercent(*rl.Headroom))
	}
	if s := remainingOf("requests", rl.RequestsRemaining, rl.RequestsLimit); s != "" {
		parts = append(parts, s)
	}
	if s := remainingOf("tokens", rl.TokensRemaining, rl.TokensLimit); s != "" {
		parts = append(parts, s)
	}
	if rl.ResetAt != nil {
		parts = append(parts, "resets "+rl.ResetAt.UTC().Format(time.RFC3339))
	}
	if rl.CreditsRemaining != nil {
		parts = append(parts, "credits "+strconv.FormatFloat(*rl.CreditsRemaining, 'f', 2, 64))
	}
	return strings.Join(parts, ", ")
}

func remainingOf(what string, remaining, limit *float64) string {
	switch {
	case remaining != nil && limit != nil:
		return what + " " + formatCount(*remaining) + "/" + formatCount(*limit)
	case remaining != nil:
		return what + " " + formatCount(*remaining) + " left"
	case limit != nil:
		return what + " limit " + formatCount(*limit)
	}
	return ""
}

func formatCount(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// formatPercent shows a 0..1 ratio as a percentage, keeping one decimal
// below 10% where the threshold (default 10%) is decided.
func formatPercent(ratio float64) string {
	p := ratio * 100
	if p < 10 && p != math.Trunc(p) {
		return strconv.FormatFloat(p, 'f', 1, 64) + "%"
	}
	return strconv.FormatFloat(math.Round(p), 'f', 0, 64) + "%"
}

func (t tableWriter) order(o OrderReport, agents []AgentOrder, check bool) {
	t.heading("Order")
	if o.Configured.Primary == "" && len(o.Configured.Fallbacks) == 0 {
		t.w.WriteString("  no chain configured (agents.defaults.model is empty)\n")
		return
	}
	label := "effective"
	if check {
		label = "would become"
	}
	// Per-agent chains are shown only when health moved them: an agent
	// whose chain stands as configured adds nothing to read.
	var moved []AgentOrder
	width := max(len("configured"), len(label))
	for _, a := range agents {
		if !a.Effective.Equal(a.Configured) {
			moved = append(moved, a)
			width = max(width, termWidth(agentLabel(a)))
		}
	}
	t.w.WriteString("  " + termPadRight("configured", width) + "  " + formatChain(o.Configured) + "\n")

	var note string
	switch {
	case !o.Changed:
		note = "unchanged"
	case check:
		note = "changed; check writes nothing"
	case o.Written:
		note = "changed, written"
	default:
		note = "changed, not written"
	}
	if o.Changed {
		note = t.paint(ansiYellow, note)
	}
	t.w.WriteString("  " + termPadRight(label, width) + "  " + formatChain(o.Effective) + "  (" + note + ")\n")
	if o.Changed && o.Effective.Primary != o.Configured.Primary && o.Effective.Primary != "" {
		t.w.WriteString("  " + strings.Repeat(" ", width) + "  " +
			t.paint(ansiYellow, "failover: primary is "+termClean(o.Effective.Primary)+" instead of "+termClean(o.Configured.Primary)) + "\n")
	}
	for _, a := range moved {
		note := "configured " + formatChain(a.Configured)
		if a.Written {
			note += "; written"
		}
		t.w.WriteString("  " + termPadRight(agentLabel(a), width) + "  " + formatChain(a.Effective) + "  (" + note + ")\n")
	}
}

// agentLabel names a per-agent chain in the Order section.
func agentLabel(a AgentOrder) string { return "agent " + termClean(a.Name) }

// formatChain shows an order as the sequence OpenClaw tries it in.
func formatChain(o configs.Order) string {
	return termClean(o.Text())
}

func (t tableWriter) hints(r *Report) {
	type entry struct{ ref, hint string }
	var entries []entry
	width := 0
	seen := map[string]bool{}
	for _, p := range r.Providers {
		for _, m := range p.Models {
			if m.Hint == "" || seen[m.Ref] {
				continue
			}
			seen[m.Ref] = true
			ref := termClean(m.Ref)
			entries = append(entries, entry{ref, termClean(m.Hint)})
			width = max(width, termWidth(ref))
		}
	}
	if len(entries) == 0 {
		return
	}
	t.heading("What to do")
	for _, e := range entries {
		t.w.WriteString("  " + termPadRight(e.ref, width) + "  " + e.hint + "\n")
	}
}

func (t tableWriter) summary(r *Report) {
	count := func(n int, s probes.State) string {
		text := strconv.Itoa(n) + " " + s.String()
		if n == 0 {
			return text
		}
		return t.paint(stateColor(s), text)
	}
	t.w.WriteString("\n" + count(r.Healthy, probes.Healthy) + ", " +
		count(r.Degraded, probes.Degraded) + ", " + count(r.Down, probes.Down) + "\n")
}

// formatLatency shows milliseconds with precision where it matters: two
// decimals under 10 ms, one under 1 s, then seconds.
func formatLatency(ms float64) string {
	switch {
	case math.IsNaN(ms) || ms <= 0:
		return "-"
	case ms < 10:
		return strconv.FormatFloat(ms, 'f', 2, 64) + " ms"
	case ms < 1000:
		return strconv.FormatFloat(ms, 'f', 1, 64) + " ms"
	}
	return strconv.FormatFloat(ms/1000, 'f', 2, 64) + " s"
}

// formatContext shows a context window in tokens, "-" when unknown.
func formatContext(n *int) string {
	if n == nil {
		return "-"
	}
	return strconv.Itoa(*n)
}
