// Package engine runs provwatch's cycle: probe the watched providers,
// track health, plan each chain's order, report, write the plan to its
// target, publish, and persist state. Data flows one way through it
// (docs/architecture.md); the commands in cmd/provwatch only wire it up.
package engine

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/health"
	"github.com/provwatch/provwatch/internal/clock"
	"github.com/provwatch/provwatch/probes"
	"github.com/provwatch/provwatch/remediate"
	"github.com/provwatch/provwatch/reporter"
)

// Options wire an Engine.
type Options struct {
	OpenClaw *configs.OpenClaw
	Settings configs.Settings
	Prober   *probes.Prober
	Target   remediate.Target // nil: target none
	Store    remediate.Store  // nil: state lives in memory only
	Sinks    []reporter.Sink
	Clock    clock.Clock // nil: the wall clock
	Log      zerolog.Logger
	DryRun   bool
	// Providers limits probing to these provider ids (--provider); empty: all.
	Providers []string
	// OnEvent, when set, is told of every confirmed state change, order
	// rewrite and recognised operator edit, as it happens.
	OnEvent func(remediate.Event)
	// OnRound, when set, is called at the end of every round with its
	// report and the round's events (none when nothing changed), so a
	// consumer can treat one round's changes as one burst.
	OnRound func(*reporter.Report, []remediate.Event)
	// Close, when set, flushes and releases what belongs to this engine
	// alone (its sinks' buffers, its notifier) when it is retired: at
	// shutdown, or when a reload swaps in another.
	Close func()
}

// Engine keeps what one round hands the next: health, the last results,
// each chain's preferred and last written order. Its methods are safe for
// concurrent use; rounds run one at a time.
type Engine struct {
	opt Options
	// wants are each provider's watched models, watched the providers
	// probed (in config order), and live those of them that get liveness
	// checks. They are worked out once: the config and settings do not
	// change during an engine's life, and a round (or a liveness tick every
	// few seconds) over 1000 providers must not rescan every chain or
	// re-parse every base URL.
	wants   map[string][]probes.Want
	watched []*configs.Provider
	live    []*configs.Provider

	mu           sync.Mutex // serialises rounds and guards the fields below
	tracker      *health.Tracker
	loaded       bool
	results      map[string]probes.Result
	lastGenerate map[string]time.Time
	chains       map[string]*chainState
	// lastEffective is the report's chain's effective order after the
	// previous round: OrderChanges, and `changed` with target none.
	lastEffective *configs.Order
	last          *reporter.Report
	// unwritten are the transitions since the target last held the plan,
	// so a write that failed and is retried later still says why.
	unwritten []health.Transition
	// synced is each chain's effective order when the last round left the
	// target holding its whole plan (read, then nothing or all written);
	// nil when it did not. A round between schedule ticks with the same
	// plan does not read the target again (remediate).
	synced []configs.Order

	closeOnce sync.Once
}

// Close flushes and releases what belongs to this engine alone (Options.Close),
// once.
func (e *Engine) Close() {
	e.closeOnce.Do(func() {
		if e.opt.Close != nil {
			e.opt.Close()
		}
	})
}

// New returns an Engine; state is loaded from the Store on the first round.
func New(opt Options) *Engine {
	if opt.Clock == nil {
		opt.Clock = clock.Real{}
	}
	e := &Engine{
		opt:          opt,
		wants:        wantsByProvider(opt.OpenClaw),
		tracker:      health.NewTracker(opt.Settings.Health),
		results:      map[string]probes.Result{},
		lastGenerate: map[string]time.Time{},
		chains:       map[string]*chainState{},
	}
	for _, p := range opt.OpenClaw.Providers {
		if len(opt.Providers) > 0 && !slices.Contains(opt.Providers, p.ID) {
			continue
		}
		if opt.Settings.ProbeMode(p.ID).Mode == configs.ModeOff {
			continue
		}
		e.watched = append(e.watched, p)
		// Liveness checks go to the self-hosted providers that can be
		// probed, when liveness.every is on.
		if opt.Settings.Liveness.Every > 0 && p.SelfHosted() && p.Unprobed == "" && p.ConfigError == "" {
			e.live = append(e.live, p)
		}
	}
	return e
}

// Last returns the report of the last finished round, or nil.
func (e *Engine) Last() *reporter.Report {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.last
}

// Settings returns the settings the engine runs with.
func (e *Engine) Settings() configs.Settings { return e.opt.Settings }

// Cycle is one scheduled round: every watched provider is probed. A
// self-hosted provider is first asked with a liveness check, and probed
// fully only when it answers: one that hangs costs the round the short
// liveness timeout, not the probe's.
func (e *Engine) Cycle(ctx context.Context) (*reporter.Report, error) {
	return e.round(ctx, true, func(ctx context.Context, now time.Time) []probes.Result {
		dead, _ := e.alive(ctx, e.live)
		skip := map[string]bool{}
		for _, r := range dead {
			skip[r.ProviderID] = true
		}
		probed := e.opt.Prober.ProbeAll(ctx, e.jobs(now, func(id string) bool { return !skip[id] }), e.opt.Settings.Concurrency)
		return append(dead, probed...)
	})
}

// Liveness asks each self-hosted provider whether it answers at all, with
// the short liveness timeout, between scheduled probes
// (docs/configuration.md, "Detection speed"). One that does not answer is
// an observation, and the round goes on as any other; when every one
// answers nothing was observed and it returns nil, nil.
func (e *Engine) Liveness(ctx context.Context) (*reporter.Report, error) {
	if len(e.live) == 0 {
		return nil, nil
	}
	return e.round(ctx, false, func(ctx context.Context, now time.Time) []probes.Result {
		dead, _ := e.alive(ctx, e.live)
		return dead
	})
}

// alive runs liveness checks of provs at once; it returns the results of
// those that did not answer and the providers that did.
func (e *Engine) alive(ctx context.Context, provs []*configs.Provider) (dead []probes.Result, up []*configs.Provider) {
	type answer struct {
		res   probes.Result
		alive bool
	}
	answers := make([]answer, len(provs))
	var wg sync.WaitGroup
	for i, p := range provs {
		wg.Go(func() {
			// Never longer than a probe may take.
			timeout := min(e.opt.Settings.Liveness.Timeout, e.opt.Settings.Timeout)
			res, ok := e.opt.Prober.Alive(ctx, probes.Job{Provider: p, Models: e.wants[p.ID]}, timeout)
			answers[i] = answer{res, ok}
		})
	}
	wg.Wait()
	for i, a := range answers {
		if a.alive {
			up = append(up, provs[i])
		} else {
			dead = append(dead, a.res)
		}
	}
	return dead, up
}

// NeedsRecheck reports whether an observation awaits confirmation, so the
// caller should probe again at recheck_interval rather than on the schedule.
func (e *Engine) NeedsRecheck() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.ContainsFunc(e.watched, e.unconfirmed)
}

// Recheck probes only the providers whose models have an unconfirmed
// observation. It returns nil, nil when there is nothing to confirm. A
// self-hosted provider whose last observation got no answer at all is
// asked again with a liveness check, so a dead server is confirmed within
// seconds even when it hangs; if it answers, it gets a full probe.
func (e *Engine) Recheck(ctx context.Context) (*reporter.Report, error) {
	e.mu.Lock()
	var live []*configs.Provider
	full := map[string]bool{}
	for _, p := range e.watched {
		switch {
		case !e.unconfirmed(p):
		case e.noAnswer(p.ID) && slices.Contains(e.live, p):
			live = append(live, p)
		default:
			full[p.ID] = true
		}
	}
	e.mu.Unlock()
	if len(live) == 0 && len(full) == 0 {
		return nil, nil
	}
	return e.round(ctx, false, func(ctx context.Context, now time.Time) []probes.Result {
		dead, up := e.alive(ctx, live)
		for _, p := range up {
			full[p.ID] = true
		}
		probed := e.opt.Prober.ProbeAll(ctx, e.jobs(now, func(id string) bool { return full[id] }), e.opt.Settings.Concurrency)
		return append(dead, probed...)
	})
}

// noAnswer reports whether a provider's latest result got no HTTP answer
// (refused, unreachable, hanging). Callers hold e.mu.
func (e *Engine) noAnswer(id string) bool {
	r, ok := e.results[id]
	return ok && !r.Probe.OK && r.Probe.StatusCode == 0
}

// Once is `provwatch once`: one cycle, then confirmation rounds at
// recheck_interval until every changed observation is confirmed or
// refuted (bounded by the hysteresis counts), then exit.
func (e *Engine) Once(ctx context.Context) (*reporter.Report, error) {
	rep, err := e.Cycle(ctx)
	if err != nil {
		return rep, err
	}
	h := e.opt.Settings.Health
	limit := max(h.FailAfter, h.RecoverAfter) + 1
	for i := 0; i < limit && e.NeedsRecheck(); i++ {
		if err := e.opt.Clock.Sleep(ctx, h.RecheckInterval); err != nil {
			return rep, nil // out of time: what we have is the answer
		}
		next, err := e.Recheck(ctx)
		if err != nil {
			return rep, err
		}
		if next != nil {
			rep = next
		}
	}
	return rep, nil
}

// round is one pass down the pipeline: observe (collect's results) →
// health → plan → report, target, sinks → state. collect's context ends at
// the cycle deadline (Settings.CycleDeadline); a probe it cut is no
// observation. A round that observed nothing returns nil, nil. scheduled
// is true for the schedule's cycle, false for a round between its ticks.
func (e *Engine) round(ctx context.Context, scheduled bool, collect func(ctx context.Context, now time.Time) []probes.Result) (*reporter.Report, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.loaded {
		e.loaded = true
		e.load(ctx)
	}
	now := e.opt.Clock.Now()
	deadline := e.opt.Settings.CycleDeadline(now)
	pctx, cancel := context.WithTimeout(ctx, deadline)
	results := collect(pctx, now)
	cancel()
	if err := ctx.Err(); err != nil {
		// Results cut short by shutdown are not observations of the providers.
		return nil, fmt.Errorf("cycle cancelled: %w", err)
	}
	var cut []string
	results = slices.DeleteFunc(results, func(r probes.Result) bool {
		if r.Cut { // the deadline came first: no observation, the last result stands
			cut = append(cut, r.ProviderID)
		}
		return r.Cut
	})
	if len(cut) > 0 {
		e.opt.Log.Warn().Strs("providers", cut).Dur("deadline", deadline).
			Msg("cycle deadline reached before these providers were probed; their last results stand (raise concurrency, or lower timeout)")
	}
	if len(results) == 0 {
		return nil, nil
	}
	events := e.observe(now, results)
	rep := e.report(now)
	events = append(events, e.remediate(ctx, now, rep, scheduled)...)
	e.publish(ctx, rep, events)
	if !e.opt.DryRun { // --dry-run writes nothing, state included
		e.save(ctx)
	}
	e.last = rep
	return rep, nil
}

// jobs are this round's probes: the watched providers that pick selects.
func (e *Engine) jobs(now time.Time, pick func(id string) bool) []probes.Job {
	var jobs []probes.Job
	for _, p := range e.watched {
		if pick(p.ID) {
			jobs = append(jobs, e.job(p, now))
		}
	}
	return jobs
}

// observe feeds the results to health tracking and returns the confirmed
// state changes as events.
func (e *Engine) observe(now time.Time, results []probes.Result) []remediate.Event {
	var events []remediate.Event
	for _, r := range results {
		e.results[r.ProviderID] = r
		for _, m := range r.Models {
			if m.State == probes.Unknown {
				continue // nothing was observed
			}
			tr := e.tracker.Observe(now, m)
			if tr == nil {
				continue
			}
			e.unwritten = append(e.unwritten, *tr)
			ev := e.opt.Log.Info().Str("ref", tr.Ref)
			if tr.Initial { // no earlier state: From is a placeholder
				ev = ev.Bool("first_observation", true)
			} else {
				ev = ev.Str("from", tr.From.String())
			}
			ev.Str("to", tr.To.String()).Str("reason", string(tr.Reason)).Str("detail", tr.Detail).Msg("model state changed")
			events = append(events, e.emit(remediate.StateEvent(*tr, m.Hint)))
		}
	}
	return events
}

// publish hands the round to every sink and to OnRound.
func (e *Engine) publish(ctx context.Context, rep *reporter.Report, events []remediate.Event) {
	for _, s := range e.opt.Sinks {
		if err := s.Publish(ctx, rep); err != nil {
			e.opt.Log.Warn().Err(err).Msg("publishing metrics failed; the sink keeps what it can and retries")
		}
	}
	if e.opt.OnRound != nil {
		e.opt.OnRound(rep, events)
	}
}

func (e *Engine) emit(ev remediate.Event) remediate.Event {
	if e.opt.OnEvent != nil {
		e.opt.OnEvent(ev)
	}
	return ev
}

// unconfirmed reports whether a provider has a model whose latest
// observation differs from its state. Callers hold e.mu.
func (e *Engine) unconfirmed(p *configs.Provider) bool {
	ws := e.wants[p.ID]
	if len(ws) == 0 {
		return false
	}
	refs := make([]string, len(ws))
	for i, w := range ws {
		refs[i] = w.Ref
	}
	return e.tracker.Unconfirmed(refs)
}

func (e *Engine) job(p *configs.Provider, now time.Time) probes.Job {
	j := probes.Job{Provider: p, Models: e.wants[p.ID]}
	ps := e.opt.Settings.ProbeMode(p.ID)
	if ps.Mode == configs.ModeGenerate {
		last, ok := e.lastGenerate[p.ID]
		if !ok || ps.GenerateEvery <= 0 || now.Sub(last) >= ps.GenerateEvery {
			j.Generate = true
			e.lastGenerate[p.ID] = now
		}
	}
	return j
}

// Wants lists the watched models of one provider, with the context window
// the OpenClaw config declares for each.
func Wants(oc *configs.OpenClaw, p *configs.Provider) []probes.Want {
	return wantsByProvider(oc)[p.ID]
}

// wantsByProvider groups every watched ref by its provider, in chain order.
func wantsByProvider(oc *configs.OpenClaw) map[string][]probes.Want {
	byID := make(map[string]*configs.Provider, len(oc.Providers))
	for _, p := range oc.Providers {
		byID[p.ID] = p
	}
	out := map[string][]probes.Want{}
	for _, ref := range oc.WatchedRefs() {
		r, err := configs.ParseRef(ref)
		if err != nil {
			continue
		}
		w := probes.Want{Ref: ref, Model: configs.ServedModel(r.Provider, r.Model)}
		if p := byID[r.Provider]; p != nil {
			if m := p.Model(r.Model); m != nil {
				w.ConfiguredContextWindow = m.ContextWindow
			}
		}
		out[r.Provider] = append(out[r.Provider], w)
	}
	return out
}
