package engine

import (
	"context"
	"time"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/probes"
	"github.com/provwatch/provwatch/remediate"
	"github.com/provwatch/provwatch/reporter"
)

// Check is `provwatch check`: one observation of every watched provider,
// no state, no writes. The order shown is what the configured chain would
// become; changed compares it with the configured order.
func Check(ctx context.Context, opt Options) *reporter.Report {
	e := New(opt)
	now := e.opt.Clock.Now()
	// A fresh engine: generate mode sends its completion.
	jobs := e.jobs(now, func(string) bool { return true })
	results := opt.Prober.ProbeAll(ctx, jobs, opt.Settings.Concurrency)
	rep := &reporter.Report{Time: now.UTC(), Providers: []reporter.ProviderReport{}}
	state := map[string]probes.State{}
	for _, r := range results {
		pr := providerReport(r)
		for _, m := range r.Models {
			pr.Models = append(pr.Models, modelReport(m))
			state[m.Ref] = m.State
		}
		rep.Providers = append(rep.Providers, pr)
	}
	count(rep)
	stateOf := func(ref string) probes.State {
		if s, ok := state[ref]; ok {
			return s
		}
		return probes.Unknown // not probed (mode off): it keeps its place
	}
	plan := remediate.NewPlan(opt.OpenClaw.Chains, nil, stateOf, opt.Settings.Remediation.DropDown)
	shown := showPlan(rep, plan)
	rep.Order.Changed = !shown.Preferred.Equal(shown.Effective)
	return rep
}

// showPlan fills the report's orders from plan: rep.Order shows
// agents.defaults.model's chain, or the first chain when there is none,
// and rep.Agents every agent's. It returns the chain rep.Order shows;
// rep.Order.Changed is the caller's to set.
func showPlan(rep *reporter.Report, plan remediate.Plan) remediate.ChainPlan {
	shown, ok := plan.Defaults()
	if !ok && len(plan.Chains) > 0 {
		shown = plan.Chains[0]
	}
	rep.Order = reporter.OrderReport{Configured: shown.Preferred, Effective: shown.Effective}
	for _, c := range plan.Chains {
		if c.Name != configs.DefaultsChain {
			rep.Agents = append(rep.Agents, reporter.AgentOrder{Name: c.Name, Path: c.Path, Configured: c.Preferred, Effective: c.Effective})
		}
	}
	return shown
}

// report builds the report from the latest results and evaluated health.
// Callers hold e.mu.
func (e *Engine) report(now time.Time) *reporter.Report {
	rep := &reporter.Report{Time: now.UTC(), Providers: []reporter.ProviderReport{}}
	for _, p := range e.watched {
		r, ok := e.results[p.ID]
		if !ok {
			continue
		}
		pr := providerReport(r)
		for _, m := range r.Models {
			mr := modelReport(m)
			if h, ok := e.tracker.Get(m.Ref); ok && m.State != probes.Unknown {
				mr.State, mr.Reason, mr.Detail = h.State, h.Reason, h.Detail
				since := h.Since.UTC()
				mr.Since = &since
				mr.Pending = mr.Observed != h.State
				if mr.Pending && mr.Observed < h.State {
					if until, waiting := e.tracker.HeldUntil(m.Ref); waiting {
						u := until.UTC()
						mr.HeldUntil = &u
					}
				}
				if h.State == probes.Healthy {
					mr.Hint = ""
				}
			}
			pr.Models = append(pr.Models, mr)
		}
		rep.Providers = append(rep.Providers, pr)
	}
	count(rep)
	return rep
}

func providerReport(r probes.Result) reporter.ProviderReport {
	return reporter.ProviderReport{
		ID: r.ProviderID, API: r.API, BaseURL: r.BaseURL,
		Probe: r.Probe, RateLimit: r.RateLimit, Start: r.Start,
		Models: []reporter.ModelReport{},
	}
}

func modelReport(m probes.ModelResult) reporter.ModelReport {
	return reporter.ModelReport{
		Ref: m.Ref, State: m.State, Reason: m.Reason, Detail: m.Detail,
		ContextWindow: m.ContextWindow, TrainedContextWindow: m.TrainedContextWindow,
		ConfiguredContextWindow: m.ConfiguredContextWindow,
		Hint:                    m.Hint, Observed: m.State,
	}
}

// count fills the healthy/degraded/down totals: each distinct ref once.
func count(rep *reporter.Report) {
	seen := map[string]bool{}
	for _, p := range rep.Providers {
		for _, m := range p.Models {
			if seen[m.Ref] {
				continue
			}
			seen[m.Ref] = true
			switch m.State {
			case probes.Healthy:
				rep.Healthy++
			case probes.Degraded:
				rep.Degraded++
			case probes.Down:
				rep.Down++
			} // unknown (unprobed) models are not monitored: not counted
		}
	}
}

// ExitCode maps a report to docs/reference.md §1's statuses: 0 all monitored
// models healthy, 1 some degraded or down but at least one healthy, 2 none
// healthy. With no watched model at all (discovery without a config), the
// providers' probes stand in for models.
func ExitCode(rep *reporter.Report) int {
	healthy, total := rep.Healthy, rep.Healthy+rep.Degraded+rep.Down
	if total == 0 {
		for _, p := range rep.Providers {
			total++
			if p.Probe.OK {
				healthy++
			}
		}
	}
	switch {
	case total > 0 && healthy == total:
		return 0
	case healthy > 0:
		return 1
	default:
		return 2
	}
}
