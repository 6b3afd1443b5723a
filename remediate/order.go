package remediate

import (
	"fmt"
	"strings"
	"time"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/health"
	"github.com/provwatch/provwatch/internal/text"
	"github.com/provwatch/provwatch/probes"
)

// MaxDescription is the longest SSM parameter Description, in characters.
const MaxDescription = 1024

// dedupe returns the order's refs, first occurrence wins, empties dropped.
func dedupe(o configs.Order) []string {
	seen := make(map[string]bool, len(o.Fallbacks)+1)
	out := make([]string, 0, len(o.Fallbacks)+1)
	for _, r := range o.Refs() {
		if r == "" || seen[r] {
			continue
		}
		seen[r] = true
		out = append(out, r)
	}
	return out
}

func orderFrom(refs []string) configs.Order {
	if len(refs) == 0 {
		return configs.Order{Fallbacks: []string{}}
	}
	return configs.Order{Primary: refs[0], Fallbacks: append([]string{}, refs[1:]...)}
}

// Effective orders a configured chain by health: healthy first, then
// degraded, then down (left out when dropDown), each group in configured
// order. It is never empty, and is the configured order when nothing is
// healthy: with no working model, moving models around only churns the
// target, and OpenClaw's own retries walk the chain anyway. Duplicate refs
// keep their first place.
func Effective(configured configs.Order, state func(ref string) probes.State, dropDown bool) configs.Order {
	refs := dedupe(configured)
	var healthy, degraded, down []string
	for _, r := range refs {
		switch state(r) {
		case probes.Healthy:
			healthy = append(healthy, r)
		case probes.Degraded:
			degraded = append(degraded, r)
		default:
			down = append(down, r)
		}
	}
	if len(healthy) == 0 {
		return orderFrom(refs)
	}
	out := append(healthy, degraded...)
	if !dropDown {
		out = append(out, down...)
	}
	return orderFrom(out)
}

// Describe is one human line saying why the order changed, for the SSM
// Description and logs: when, what was demoted or restored and why, and the
// new primary. It names refs and reason words only (never a probe's detail,
// which may quote a provider's answer), and is at most MaxDescription
// characters.
func Describe(before, after configs.Order, changed []health.Transition) string {
	var parts []string
	var at time.Time
	for _, t := range changed {
		if t.At.After(at) {
			at = t.At
		}
		reason := ""
		if t.Reason != "" {
			reason = " (" + string(t.Reason) + ")"
		}
		switch {
		case t.Initial:
			parts = append(parts, fmt.Sprintf("first seen %s %s%s", t.Ref, t.To, reason))
		case t.To > t.From:
			parts = append(parts, fmt.Sprintf("demoted %s to %s%s", t.Ref, t.To, reason))
		default:
			parts = append(parts, fmt.Sprintf("restored %s to %s%s", t.Ref, t.To, reason))
		}
	}
	switch {
	case after.Primary != before.Primary && before.Primary != "":
		parts = append(parts, fmt.Sprintf("primary now %s (was %s)", after.Primary, before.Primary))
	case after.Primary != before.Primary:
		parts = append(parts, "primary now "+after.Primary)
	default:
		parts = append(parts, "primary still "+after.Primary)
	}
	if len(after.Fallbacks) > 0 {
		parts = append(parts, "fallbacks "+strings.Join(after.Fallbacks, ", "))
	}
	line := strings.Join(parts, "; ")
	if !at.IsZero() {
		line = at.UTC().Format("2006-01-02T15:04Z") + ": " + line
	}
	return text.Truncate(line, MaxDescription)
}
