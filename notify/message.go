// Package notify tells people what provwatch did: confirmed state changes,
// order rewrites, a target that cannot be written and "everything is down",
// one message per round to each configured destination (webhook, Slack,
// Discord, Telegram, SNS). Delivery runs beside the cycle, never in it:
// bounded queues, a rate limit per destination, retries with backoff that
// honour Retry-After, then a log line and a counter.
package notify

import (
	"fmt"
	"strings"
	"time"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/internal/text"
)

// Event kinds, as the webhook JSON spells them (docs/notifications.md).
const (
	// KindState is a confirmed state change of a watched model.
	KindState = "state"
	// KindFailover is an order rewrite that moved the primary away from
	// the configured one (or to another stand-in). One that moves back up
	// the configured chain without reaching its primary is told as partly
	// restored (Event.partial).
	KindFailover = "failover"
	// KindRestore is an order rewrite that gave the configured primary its
	// place back.
	KindRestore = "restore"
	// KindReorder is an order rewrite that kept the primary and moved the
	// fallbacks.
	KindReorder = "reorder"
	// KindEdit is an operator's edit of a chain (in the config, or in an
	// openclaw: target's file), recognised in the round that sees it.
	KindEdit = "edit"
	// KindTargetFailing is a remediation target that could not be read or
	// written for TargetFailAfter rounds in a row (once per episode).
	KindTargetFailing = "target_failing"
	// KindTargetError is one round's failure to read or write the target:
	// input to Round, which turns a run of them into KindTargetFailing.
	KindTargetError = "target_error"
	// KindAllDown is every watched model down (once per episode).
	KindAllDown = "all_down"
	// KindAllDownOver ends an all_down episode: a model serves again.
	KindAllDownOver = "all_down_over"
	// KindTest is the sample of `provwatch notify --test`.
	KindTest = "test"
)

// Order is a model chain in the shape of the value provwatch writes:
// {"primary": …, "fallbacks": […]}.
type Order = configs.Order

// orderLine is an order in a message: "a, then b, c".
func orderLine(o *Order) string {
	if o == nil {
		return ""
	}
	s := o.Primary
	if len(o.Fallbacks) > 0 {
		s += ", then " + strings.Join(o.Fallbacks, ", ")
	}
	return s
}

// Event is one thing worth telling. Fields that do not apply to a kind
// are empty.
type Event struct {
	Kind string `json:"kind"`
	// Ref is the model ref of a state change, the config path of the chain
	// an order event moved (agents.defaults.model, agents.list[1].model),
	// or the target of a target event.
	Ref string `json:"ref"`
	// From and To are states (healthy, degraded, down) for a state change
	// and primaries for an order event.
	From   string `json:"from"`
	To     string `json:"to"`
	Reason string `json:"reason"`
	Detail string `json:"detail"`
	// Hint is what to do, as `provwatch check` shows it.
	Hint string `json:"hint,omitempty"`
	// Before and After are the chain's orders, for order events.
	Before *Order `json:"before,omitempty"`
	After  *Order `json:"after,omitempty"`
	// partial marks a failover back up the configured chain that has not
	// reached its primary yet (a better stand-in recovered): its headline
	// says "Partly restored". The kind stays failover.
	partial bool
}

// Burst is one message: the events of one round (or of several, when a
// destination's rate limit made them wait together).
type Burst struct {
	Time   time.Time
	Events []Event
	// Before and After are agents.defaults.model's order when it moved;
	// nil otherwise.
	Before, After *Order
	// Text is the one-line summary: what happened, why, what to do.
	Text string
}

// maxText bounds the one-line summary; each destination cuts further to
// its own limits.
const maxText = 600

// Summarize returns the burst's one line: what happened, why, and what
// to do.
func Summarize(b Burst) string {
	head, lead := headline(b)
	why, whyEv := whyOf(b, lead)
	if why != "" {
		head += ": " + why
	}
	if n := len(b.Events) - covered(b, lead, whyEv); n > 0 {
		head += fmt.Sprintf(" (+%d more)", n)
	}
	parts := []string{head}
	if hint := hintOf(b, lead); hint != "" {
		parts = append(parts, "Fix: "+hint)
	}
	return text.Truncate(oneLine(strings.Join(parts, ". ")), maxText)
}

// covered counts the events the headline and the why already tell.
func covered(b Burst, lead, whyEv *Event) int {
	if lead == nil {
		return 0
	}
	if lead.Kind == KindState && countKind(b, KindState) > 1 {
		return countKind(b, KindState) // "N models changed state"
	}
	if whyEv != nil && whyEv != lead {
		return 2
	}
	return 1
}

func countKind(b Burst, kind string) int {
	n := 0
	for _, e := range b.Events {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

// headline names what happened, and returns the event it is about.
func headline(b Burst) (string, *Event) {
	if e := find(b.Events, KindTest); e != nil {
		return "Test notification from provwatch", e
	}
	if e := find(b.Events, KindAllDown); e != nil {
		return "Every watched model is down", e
	}
	for _, kind := range []string{KindFailover, KindRestore, KindEdit, KindReorder} {
		e := find(b.Events, kind)
		if e == nil {
			continue
		}
		chain := ""
		if e.Ref != "" && e.Ref != DefaultsPath {
			chain = " of " + e.Ref
		}
		var s string
		switch kind {
		case KindFailover:
			s = fmt.Sprintf("Failover%s: primary %s -> %s", chain, e.From, e.To)
			if e.partial {
				s = fmt.Sprintf("Partly restored%s: primary %s -> %s", chain, e.From, e.To)
			}
		case KindRestore:
			s = fmt.Sprintf("Restored%s: primary %s again (was %s)", chain, e.To, e.From)
		case KindEdit:
			s = fmt.Sprintf("Configured order%s edited: primary %s -> %s", chain, e.From, e.To)
		case KindReorder:
			s = fmt.Sprintf("Fallbacks%s reordered: %s", chain, orderLine(e.After))
		}
		return s, e
	}
	if e := find(b.Events, KindAllDownOver); e != nil {
		return "Service is back: " + e.Ref + " serves again", e
	}
	if e := find(b.Events, KindTargetFailing); e != nil {
		return fmt.Sprintf("Cannot write the fallback order to %s", e.Ref), e
	}
	var states []*Event
	for i := range b.Events {
		if b.Events[i].Kind == KindState {
			states = append(states, &b.Events[i])
		}
	}
	switch {
	case len(states) == 1:
		e := states[0]
		return fmt.Sprintf("%s is %s", e.Ref, stateWord(e)), e
	case len(states) > 1:
		lead := worst(states)
		return fmt.Sprintf("%d models changed state", len(states)), lead
	case len(b.Events) > 0:
		return b.Events[0].Kind + " " + b.Events[0].Ref, &b.Events[0]
	}
	return "provwatch", nil
}

// stateWord is "down" or "healthy again".
func stateWord(e *Event) string {
	if e.To == "healthy" && e.From != "" {
		return "healthy again"
	}
	return e.To
}

// worst picks the state change that explains most: down before degraded
// before recoveries.
func worst(es []*Event) *Event {
	rank := map[string]int{"down": 3, "degraded": 2, "unknown": 1}
	best := es[0]
	for _, e := range es[1:] {
		if rank[e.To] > rank[best.To] {
			best = e
		}
	}
	return best
}

// whyOf says why: for an order event, the state change of the model it
// moved away from (or back to); for a state change, its reason.
func whyOf(b Burst, lead *Event) (string, *Event) {
	if lead == nil {
		return "", nil
	}
	switch lead.Kind {
	case KindFailover, KindReorder, KindAllDown:
		if lead.Kind == KindFailover {
			// The primary's own fall, else the stand-in that came back.
			if e := stateOf(b, lead.From); e != nil {
				return describeState(e), e
			}
			if e := stateOf(b, lead.To); e != nil {
				return describeState(e), e
			}
		}
		if e := worstState(b); e != nil {
			return describeState(e), e
		}
	case KindRestore:
		if e := stateOf(b, lead.To); e != nil {
			return describeState(e), e
		}
	case KindState:
		if countKind(b, KindState) > 1 {
			return describeState(lead), lead
		}
		return reasonDetail(lead), lead
	}
	return lead.Detail, lead
}

func hintOf(b Burst, lead *Event) string {
	if lead != nil && lead.Hint != "" {
		return lead.Hint
	}
	if lead != nil && (lead.Kind == KindFailover || lead.Kind == KindAllDown) {
		if e := stateOf(b, lead.From); e != nil && e.Hint != "" {
			return e.Hint
		}
	}
	if lead != nil && (lead.Kind == KindRestore || lead.Kind == KindAllDownOver || lead.Kind == KindTest) {
		return "" // nothing to do
	}
	for _, e := range b.Events {
		if e.Hint != "" && e.To != "healthy" {
			return e.Hint
		}
	}
	return ""
}

func stateOf(b Burst, ref string) *Event {
	for i := range b.Events {
		if e := &b.Events[i]; e.Kind == KindState && e.Ref == ref {
			return e
		}
	}
	return nil
}

func worstState(b Burst) *Event {
	var states []*Event
	for i := range b.Events {
		if b.Events[i].Kind == KindState && b.Events[i].To != "healthy" {
			states = append(states, &b.Events[i])
		}
	}
	if len(states) == 0 {
		return nil
	}
	return worst(states)
}

func describeState(e *Event) string {
	s := e.Ref + " is " + stateWord(e)
	if rd := reasonDetail(e); rd != "" && e.To != "healthy" {
		s += " (" + rd + ")"
	}
	return s
}

func reasonDetail(e *Event) string {
	switch {
	case e.Reason != "" && e.Reason != "ok" && e.Detail != "":
		return e.Reason + ": " + text.Truncate(e.Detail, 200)
	case e.Reason != "" && e.Reason != "ok":
		return e.Reason
	}
	return text.Truncate(e.Detail, 200)
}

func find(es []Event, kind string) *Event {
	for i := range es {
		if es[i].Kind == kind {
			return &es[i]
		}
	}
	return nil
}

// Lines lists the burst's events one per line, for destinations with room
// for more than the summary.
func Lines(b Burst) []string {
	out := make([]string, 0, len(b.Events))
	for i := range b.Events {
		e := &b.Events[i]
		var s string
		switch e.Kind {
		case KindState:
			s = fmt.Sprintf("%s: %s -> %s", e.Ref, e.From, e.To)
			if e.From == "" {
				s = fmt.Sprintf("%s: %s", e.Ref, e.To)
			}
			if rd := reasonDetail(e); rd != "" && e.To != "healthy" {
				s += " (" + rd + ")"
			}
		case KindFailover, KindRestore, KindReorder, KindEdit:
			s = fmt.Sprintf("%s %s: %s", e.Kind, e.Ref, orderLine(e.After))
			if e.Before != nil {
				s += " (was " + orderLine(e.Before) + ")"
			}
		case KindTargetFailing:
			s = fmt.Sprintf("target %s: %s", e.Ref, text.Truncate(e.Detail, 300))
		case KindAllDown, KindAllDownOver, KindTest:
			s = e.Detail
		default:
			s = e.Kind + " " + e.Ref + ": " + text.Truncate(e.Detail, 300)
		}
		out = append(out, text.Truncate(oneLine(s), 500))
	}
	return out
}

// Merge joins bursts that waited for the same message, oldest first: the
// events in order, the defaults' order from the first Before to the last
// After.
func Merge(bs []Burst) Burst {
	if len(bs) == 1 {
		return bs[0]
	}
	var m Burst
	for _, b := range bs {
		m.Events = append(m.Events, b.Events...)
		if m.Before == nil {
			m.Before = b.Before
		}
		if b.After != nil {
			m.After = b.After
		}
		m.Time = b.Time
	}
	m.Text = Summarize(m)
	return m
}

// oneLine folds line breaks and tabs into spaces.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' || r == '\t' }), " ")
}

// DefaultsPath is the config path of the chain every target holds.
const DefaultsPath = "agents.defaults.model"
