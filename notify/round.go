package notify

import (
	"slices"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/probes"
	"github.com/provwatch/provwatch/remediate"
	"github.com/provwatch/provwatch/reporter"
)

// RoundOf turns one engine round — its report and events — into what the
// notifier tells: state changes with the hint `check` shows, order
// rewrites named failover, restore or reorder, an operator's edit, and
// target errors. A first write of the configured order moves nothing and
// is not told.
func RoundOf(rep *reporter.Report, evs []remediate.Event) Round {
	r := Round{Time: rep.Time, Healthy: rep.Healthy, Degraded: rep.Degraded, Down: rep.Down}
	models := map[string]reporter.ModelReport{}
	for _, p := range rep.Providers {
		for _, m := range p.Models {
			models[m.Ref] = m
		}
	}
	path := func(ev remediate.Event) string {
		if ev.Chain == configs.DefaultsChain || ev.Path == "" {
			return DefaultsPath
		}
		return ev.Path
	}
	for _, ev := range evs {
		switch ev.Kind {
		case remediate.EventState:
			hint := ev.Hint
			if hint == "" {
				hint = models[ev.Ref].Hint
			}
			r.Events = append(r.Events, Event{Kind: KindState, Ref: ev.Ref, From: ev.From.String(), To: ev.To.String(),
				Reason: string(ev.Reason), Detail: ev.Detail, Hint: hint})
		case remediate.EventOrder:
			if ev.Before.Equal(ev.After) {
				continue
			}
			configured := rep.Order.Configured
			for _, a := range rep.Agents {
				if a.Name == ev.Chain {
					configured = a.Configured
				}
			}
			kind := KindFailover
			switch {
			case ev.Before.Primary == ev.After.Primary:
				kind = KindReorder
			case ev.After.Primary == configured.Primary:
				kind = KindRestore
			}
			before, after := orderOf(ev.Before), orderOf(ev.After)
			e := Event{Kind: kind, Ref: path(ev), From: ev.Before.Primary, To: ev.After.Primary, Detail: ev.Why, Before: before, After: after,
				partial: kind == KindFailover && movedUp(configured, ev.Before.Primary, ev.After.Primary)}
			if old := models[ev.Before.Primary]; kind == KindFailover && old.State != probes.Healthy {
				e.Reason = string(old.Reason)
			}
			r.Events = append(r.Events, e)
			if ev.Chain == configs.DefaultsChain {
				r.Before, r.After = before, after
			}
		case remediate.EventPreferred:
			r.Events = append(r.Events, Event{Kind: KindEdit, Ref: path(ev), From: ev.Before.Primary, To: ev.After.Primary,
				Reason: "edited", Detail: ev.Why + ": provwatch keeps this order from now on",
				Before: orderOf(ev.Before), After: orderOf(ev.After)})
		case remediate.EventTargetError:
			r.Events = append(r.Events, Event{Kind: KindTargetError, Ref: ev.Path, Detail: ev.Detail,
				Hint: "check the target's path or parameter and provwatch's permission to write it (docs/remediation.md)"})
		}
	}
	return r
}

// movedUp reports whether the primary moved from one ref of the configured
// chain to another that comes before it: a stand-in ranked higher is back.
func movedUp(configured configs.Order, from, to string) bool {
	refs := configured.Refs()
	i, j := slices.Index(refs, to), slices.Index(refs, from)
	return i >= 0 && j > i
}

func orderOf(o configs.Order) *Order {
	return &Order{Primary: o.Primary, Fallbacks: append([]string{}, o.Fallbacks...)}
}
