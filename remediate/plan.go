package remediate

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/health"
	"github.com/provwatch/provwatch/internal/text"
	"github.com/provwatch/provwatch/probes"
)

// MaxDescription is the longest SSM parameter Description, in characters.
const MaxDescription = 1024

// ChainPlan is the order one chain should hold, and why.
type ChainPlan struct {
	Name  string // configs.DefaultsChain or the agent's id
	Path  string // where its value stands, e.g. agents.list[2].model
	Fixed bool   // see configs.Chain.Fixed: such a chain keeps its order
	// Preferred is the order the operator wants, each ref once: the chain
	// as configured, or as the state remembers it when the config holds an
	// order provwatch itself wrote.
	Preferred configs.Order
	// Effective is Preferred ordered by health.
	Effective configs.Order
	// Why is one human line: what moved and why, and when (Explain).
	Why string
}

// Plan is what every watched chain should hold, agents.defaults.model's
// first when it is configured.
type Plan struct {
	Chains []ChainPlan
}

// NewPlan orders every chain by health with the same policy. preferred
// gives, by chain name, the order the operator wants where it is not the
// chain as the config has it now; state is each ref's health.
func NewPlan(chains []configs.Chain, preferred map[string]configs.Order, state func(string) probes.State, dropDown bool) Plan {
	p := Plan{Chains: make([]ChainPlan, 0, len(chains))}
	for _, c := range chains {
		pref, ok := preferred[c.Name]
		if !ok {
			pref = c.Order()
		}
		pref = configs.Dedupe(pref)
		eff := pref
		if !c.Fixed {
			eff = Effective(pref, state, dropDown)
		}
		p.Chains = append(p.Chains, ChainPlan{Name: c.Name, Path: c.Path, Fixed: c.Fixed, Preferred: pref, Effective: eff})
	}
	return p
}

// Chain returns the plan of the chain with this name.
func (p Plan) Chain(name string) (ChainPlan, bool) {
	for _, c := range p.Chains {
		if c.Name == name {
			return c, true
		}
	}
	return ChainPlan{}, false
}

// Defaults returns agents.defaults.model's plan, if that chain is configured.
func (p Plan) Defaults() (ChainPlan, bool) { return p.Chain(configs.DefaultsChain) }

// Explain sets Why: the one human line written with the order (the SSM
// Description, logs, the status page, notifications), from the order the
// target held before and the confirmed changes of the chain's own refs.
// Without a change to name, the line starts with now.
func (c *ChainPlan) Explain(now time.Time, before configs.Order, changes []health.Transition) {
	var mine []health.Transition
	for _, tr := range changes {
		if slices.Contains(c.Preferred.Refs(), tr.Ref) {
			mine = append(mine, tr)
		}
	}
	why := Describe(before, c.Effective, mine)
	if len(mine) == 0 {
		why = now.UTC().Format("2006-01-02T15:04Z") + ": " + why
	}
	if c.Name != configs.DefaultsChain {
		why = "agent " + c.Name + ": " + why
	}
	c.Why = text.Truncate(why, MaxDescription)
}

// Effective orders a configured chain by health: healthy first, then
// degraded, then down (left out when dropDown), each group in configured
// order. A ref whose state is Unknown (never observed: no probe for its
// provider, mode off) keeps its place: the others are ordered around it.
// The order is never empty, and is the configured order when no ref is
// healthy: with no model known to work, moving models around only churns
// the target, and OpenClaw's own retries walk the chain anyway. Duplicate
// refs keep their first place.
func Effective(configured configs.Order, state func(ref string) probes.State, dropDown bool) configs.Order {
	refs := configured.Distinct()
	var healthy, degraded, down []string
	for _, r := range refs {
		switch state(r) {
		case probes.Unknown:
		case probes.Healthy:
			healthy = append(healthy, r)
		case probes.Degraded:
			degraded = append(degraded, r)
		default:
			down = append(down, r)
		}
	}
	if len(healthy) == 0 {
		return configs.OrderOf(refs)
	}
	moved := append(healthy, degraded...)
	if !dropDown {
		moved = append(moved, down...)
	}
	out := make([]string, 0, len(refs))
	for _, r := range refs {
		switch {
		case state(r) == probes.Unknown:
			out = append(out, r)
		case len(moved) > 0:
			out, moved = append(out, moved[0]), moved[1:]
		}
	}
	return configs.OrderOf(out)
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
