package engine

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/remediate"
	"github.com/provwatch/provwatch/reporter"
)

// chainState is what the state keeps of one chain between rounds and runs
// (docs/remediation.md, "The preferred order").
type chainState struct {
	// Configured is the chain as the config had it last time: a change
	// there that provwatch did not write is the operator's.
	Configured configs.Order `json:"configured"`
	// Preferred is the order the operator wants, which a restore returns to.
	Preferred configs.Order `json:"preferred"`
	// Written is what provwatch last wrote for this chain, if anything.
	Written *configs.Order `json:"written,omitempty"`
}

// remediate plans every chain, fills the report's orders, and writes what
// the target does not hold yet. It returns the round's order events.
// scheduled is false for a round between schedule ticks. Callers hold e.mu.
func (e *Engine) remediate(ctx context.Context, now time.Time, rep *reporter.Report, scheduled bool) []remediate.Event {
	synced := e.synced
	e.synced = nil
	if !scheduled && synced != nil {
		// The last round left the target holding its plan. If this one
		// plans the same, reading the target could only notice someone
		// else's edit, which the next scheduled cycle notices (as it does
		// while nothing is down); while a self-hosted server stays down,
		// a liveness round comes every few seconds, and each read would
		// be a request (an SSM GetParameter).
		if plan := e.plan(); slices.EqualFunc(effectives(plan), synced, configs.Order.Equal) {
			e.reportOrder(rep, plan)
			e.synced = synced
			return nil
		}
	}
	target := e.target()
	held, readErr := target.Read(ctx)
	var events []remediate.Event
	if readErr != nil {
		e.opt.Log.Error().Err(readErr).Str("target", target.String()).Msg("cannot read the remediation target; not writing this cycle")
		events = append(events, targetError(now, target, readErr))
	}
	events = append(events, e.updatePreferred(now, held)...)
	plan := e.plan()
	shown, before := e.reportOrder(rep, plan)
	switch {
	case shown.Preferred.Primary == "":
		return events // no chain to keep in order
	case len(e.opt.Providers) > 0:
		// Models of providers left out by --provider were not probed: an
		// order built on them is a guess, so it is reported, never written.
		e.opt.Log.Info().Strs("providers", e.opt.Providers).Msg("--provider given: the order is reported but not written, since not every model was probed")
		return events
	case remediate.IsNone(target):
		if rep.OrderChanges > 0 {
			shown.Explain(now, before, e.unwritten)
			e.unwritten = nil
			events = append(events, e.emit(orderEvent(now, shown, before, false)))
		}
		return events
	case readErr != nil:
		return events
	}
	if shown.Name == configs.DefaultsChain {
		// Changed compares with what the target holds; one that holds
		// nothing yet, or junk, is written.
		h, ok := held.Orders[shown.Name]
		rep.Order.Changed = !ok || !configs.Dedupe(h).Equal(shown.Effective)
	}
	return append(events, e.write(ctx, now, rep, shown.Name, plan, held)...)
}

// plan is every chain's order from the preferred orders and health.
func (e *Engine) plan() remediate.Plan {
	return remediate.NewPlan(e.opt.OpenClaw.Chains, e.preferred(), e.tracker.State, e.opt.Settings.Remediation.DropDown)
}

// effectives lists the effective order of each of plan's chains.
func effectives(plan remediate.Plan) []configs.Order {
	out := make([]configs.Order, len(plan.Chains))
	for i, c := range plan.Chains {
		out[i] = c.Effective
	}
	return out
}

// target is where orders go: the configured target, or none.
func (e *Engine) target() remediate.Target {
	if e.opt.Target == nil {
		return remediate.None()
	}
	return e.opt.Target
}

// reportOrder fills the report's order (agents.defaults.model, or the first
// chain when there is none) and each agent's, and counts an order change.
// It returns the chain shown and the order it had before this round.
func (e *Engine) reportOrder(rep *reporter.Report, plan remediate.Plan) (shown remediate.ChainPlan, before configs.Order) {
	shown = showPlan(rep, plan)
	before = shown.Preferred
	if e.lastEffective != nil {
		before = *e.lastEffective
		if !e.lastEffective.Equal(shown.Effective) {
			rep.OrderChanges = 1
		}
	}
	eff := shown.Effective
	e.lastEffective = &eff
	rep.Order.Changed = !before.Equal(shown.Effective)
	return shown, before
}

// write applies the chains of plan the target does not hold (held) to it
// (or, with --dry-run, says what it would write), marks what was written
// in the report (shown is the chain rep.Order shows) and the state, and
// returns the order events.
func (e *Engine) write(ctx context.Context, now time.Time, rep *reporter.Report, shown string, plan remediate.Plan, held remediate.Held) []remediate.Event {
	log, target := e.opt.Log, e.target()
	todo := e.toWrite(plan, held)
	if len(todo) == 0 {
		e.unwritten = nil
		e.synced = effectives(plan)
		return nil
	}
	for i := range todo {
		todo[i].Explain(now, heldOr(held, todo[i]), e.unwritten)
		if why, bad := held.Malformed[todo[i].Name]; bad {
			log.Warn().Str("target", target.String()).Str("chain", todo[i].Path).Str("found", why).Msg("the target holds a value that is not an order; replacing it")
		}
	}
	var events []remediate.Event
	if e.opt.DryRun {
		for _, c := range todo {
			log.Info().Str("target", target.String()).Str("chain", c.Path).Interface("order", c.Effective).Str("why", c.Why).Msg("dry run: would rewrite the fallback order")
			events = append(events, e.emit(orderEvent(now, c, heldOr(held, c), false)))
		}
		return events
	}
	applied, err := target.Apply(ctx, todo)
	switch {
	case errors.Is(err, remediate.ErrChanged):
		log.Warn().Err(err).Str("target", target.String()).Msg("the target was edited while provwatch worked; reading it again next cycle")
		return nil
	case err != nil:
		log.Error().Err(err).Str("target", target.String()).Msg("writing the fallback order failed; will retry next cycle")
		return []remediate.Event{targetError(now, target, err)}
	}
	for name, why := range applied.Skipped {
		log.Debug().Str("target", target.String()).Str("chain", name).Str("why", why).Msg("chain left alone")
	}
	e.unwritten = nil
	e.synced = effectives(plan)
	for _, c := range todo {
		if !slices.Contains(applied.Written, c.Name) {
			continue
		}
		w := c.Effective
		e.chain(c.Name).Written = &w
		markWritten(rep, shown, c.Name)
		log.Info().Str("target", target.String()).Str("chain", c.Path).Str("primary", c.Effective.Primary).
			Strs("fallbacks", c.Effective.Fallbacks).Str("why", c.Why).Msg("fallback order rewritten")
		events = append(events, e.emit(orderEvent(now, c, heldOr(held, c), true)))
	}
	return events
}

// markWritten records in the report that chain was written.
func markWritten(rep *reporter.Report, shown, chain string) {
	if chain == shown {
		rep.Order.Written = true
	}
	for i := range rep.Agents {
		if rep.Agents[i].Name == chain {
			rep.Agents[i].Written = true
		}
	}
}

// toWrite lists the chains whose effective order the target does not hold:
// a different order, a malformed value, or (agents.defaults.model only)
// none at all. A chain that may not be moved is never written.
func (e *Engine) toWrite(plan remediate.Plan, held remediate.Held) []remediate.ChainPlan {
	var out []remediate.ChainPlan
	for _, c := range plan.Chains {
		if c.Fixed {
			continue
		}
		_, malformed := held.Malformed[c.Name]
		h, ok := held.Orders[c.Name]
		switch {
		case malformed:
		case !ok && c.Name == configs.DefaultsChain:
		case !ok:
			continue // the target does not hold this agent's chain
		case configs.Dedupe(h).Equal(c.Effective):
			continue
		}
		out = append(out, c)
	}
	return out
}

// heldOr is what the target held for c before this write (for the why
// line and events), or c's preferred order when it held nothing readable.
func heldOr(held remediate.Held, c remediate.ChainPlan) configs.Order {
	if h, ok := held.Orders[c.Name]; ok {
		return configs.Dedupe(h)
	}
	return c.Preferred
}

// targetError is the event of a target that could not be read or written.
func targetError(now time.Time, target remediate.Target, err error) remediate.Event {
	return remediate.Event{Time: now, Kind: remediate.EventTargetError, Path: target.String(), Detail: err.Error()}
}

func orderEvent(now time.Time, c remediate.ChainPlan, before configs.Order, written bool) remediate.Event {
	return remediate.Event{Time: now, Kind: remediate.EventOrder, Chain: c.Name, Path: c.Path,
		Before: before, After: c.Effective, Written: written, Why: c.Why}
}

// chain returns a chain's state, creating it.
func (e *Engine) chain(name string) *chainState {
	st, ok := e.chains[name]
	if !ok {
		st = &chainState{}
		e.chains[name] = st
	}
	return st
}

// updatePreferred keeps each chain's preferred order: the chain as the
// config has it, unless the config holds what provwatch itself wrote (a
// restore must return to what the operator wrote, across separate runs
// too). A change that provwatch did not write — in the config, or in an
// openclaw: target's file — is the operator's, and becomes the preferred
// order. It returns an EventPreferred for each such edit. Callers hold e.mu.
func (e *Engine) updatePreferred(now time.Time, held remediate.Held) []remediate.Event {
	var events []remediate.Event
	wrote := func(st *chainState, o configs.Order) bool { return st.Written != nil && st.Written.Equal(o) }
	for _, c := range e.opt.OpenClaw.Chains {
		cfg := configs.Dedupe(c.Order())
		st, known := e.chains[c.Name]
		if !known {
			e.chains[c.Name] = &chainState{Configured: cfg, Preferred: cfg}
			continue
		}
		edited := configs.Order{}
		if !cfg.Equal(st.Configured) && !wrote(st, cfg) && !cfg.Equal(st.Preferred) {
			edited = cfg
		}
		st.Configured = cfg
		if h, ok := held.Orders[c.Name]; ok && held.Config {
			if h = configs.Dedupe(h); !h.Equal(st.Preferred) && !wrote(st, h) && !h.Equal(edited) {
				edited = h
			}
		}
		if edited.Primary == "" {
			continue
		}
		e.opt.Log.Info().Str("chain", c.Path).Interface("was", st.Preferred).Interface("now", edited).
			Msg("the chain was edited by someone other than provwatch; that order is now the preferred one")
		events = append(events, e.emit(remediate.Event{Time: now, Kind: remediate.EventPreferred, Chain: c.Name, Path: c.Path,
			Before: st.Preferred, After: edited, Why: "the operator changed " + c.Path}))
		st.Preferred = edited
	}
	return events
}

// preferred is every chain's preferred order, by name.
func (e *Engine) preferred() map[string]configs.Order {
	out := make(map[string]configs.Order, len(e.chains))
	for name, st := range e.chains {
		out[name] = st.Preferred
	}
	return out
}
