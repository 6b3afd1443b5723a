// Package engine runs provwatch's cycle: probe the watched providers,
// evaluate health, build the report, remediate the order, publish metrics
// and persist state. Data flows one way through it; the commands in
// cmd/provwatch only wire it up.
package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/provwatch/provwatch/configs"
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
	// OnEvent, when set, is told of every confirmed state change and order rewrite.
	OnEvent func(Event)
}

// Event is a confirmed state change or an order rewrite, for people (the
// demo, the status page) and logs.
type Event struct {
	Time    time.Time
	Kind    string // "state" or "order"
	Ref     string
	From    probes.State
	To      probes.State
	Reason  probes.Reason
	Detail  string
	Before  remediate.Order // Kind "order"
	After   remediate.Order
	Written bool
	Why     string
}

// Engine keeps what one cycle hands the next: health, the last results and
// the last effective order. Its methods are safe for concurrent use; rounds
// run one at a time.
type Engine struct {
	opt Options
	// wants are each provider's watched models, worked out once: the
	// config does not change during an engine's life, and a round over
	// 1000 providers must not rescan every chain per provider.
	wants map[string][]probes.Want

	mu            sync.Mutex // serialises rounds and guards the fields below
	tracker       *remediate.Tracker
	loaded        bool
	results       map[string]probes.Result
	lastGenerate  map[string]time.Time
	lastEffective *remediate.Order
	last          *reporter.Report
	// unwritten are the transitions since the target last matched the
	// effective order, so a write that failed and is retried later still
	// says why it happens.
	unwritten []remediate.Transition
}

// New returns an Engine; state is loaded from the Store on the first round.
func New(opt Options) *Engine {
	if opt.Clock == nil {
		opt.Clock = clock.Real{}
	}
	return &Engine{
		opt:          opt,
		wants:        wantsByProvider(opt.OpenClaw),
		tracker:      remediate.NewTracker(opt.Settings.Health),
		results:      map[string]probes.Result{},
		lastGenerate: map[string]time.Time{},
	}
}

// Last returns the report of the last finished round, or nil.
func (e *Engine) Last() *reporter.Report {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.last
}

// Settings returns the settings the engine runs with.
func (e *Engine) Settings() configs.Settings { return e.opt.Settings }

// Adopt takes over another engine's in-memory health and history, so a
// configuration reload keeps hysteresis instead of starting over.
func (e *Engine) Adopt(old *Engine) {
	if old == nil || old == e {
		return
	}
	old.mu.Lock()
	data, err := old.stateJSON()
	lastEff := old.lastEffective
	old.mu.Unlock()
	if err != nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.restore(data); err == nil {
		e.loaded = true
	}
	if lastEff != nil {
		o := *lastEff
		e.lastEffective = &o
	}
}

// Cycle is one scheduled round: every watched provider is probed.
func (e *Engine) Cycle(ctx context.Context) (*reporter.Report, error) {
	return e.round(ctx, nil)
}

// NeedsRecheck reports whether an observation awaits confirmation, so the
// caller should probe again at recheck_interval rather than on the schedule.
func (e *Engine) NeedsRecheck() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.unconfirmedProviders()) > 0
}

// Recheck probes only the providers whose models have an unconfirmed
// observation. It returns nil, nil when there is nothing to confirm.
func (e *Engine) Recheck(ctx context.Context) (*reporter.Report, error) {
	e.mu.Lock()
	ids := e.unconfirmedProviders()
	e.mu.Unlock()
	if len(ids) == 0 {
		return nil, nil
	}
	return e.round(ctx, ids)
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

// unconfirmedProviders lists providers with a model whose latest
// observation differs from its state. Callers hold e.mu.
func (e *Engine) unconfirmedProviders() []string {
	var ids []string
	for _, p := range e.watched() {
		ws := e.wants[p.ID]
		refs := make([]string, len(ws))
		for i, w := range ws {
			refs[i] = w.Ref
		}
		if len(refs) > 0 && e.tracker.Unconfirmed(refs) {
			ids = append(ids, p.ID)
		}
	}
	return ids
}

// watched lists the providers this engine probes, in config order.
func (e *Engine) watched() []*configs.Provider {
	var out []*configs.Provider
	for _, p := range e.opt.OpenClaw.Providers {
		if len(e.opt.Providers) > 0 && !slices.Contains(e.opt.Providers, p.ID) {
			continue
		}
		if e.opt.Settings.ProbeMode(p.ID).Mode == configs.ModeOff {
			continue
		}
		out = append(out, p)
	}
	return out
}

func (e *Engine) round(ctx context.Context, only []string) (*reporter.Report, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	log := e.opt.Log
	if !e.loaded {
		e.loaded = true
		e.load(ctx)
	}
	now := e.opt.Clock.Now()

	var jobs []probes.Job
	for _, p := range e.watched() {
		if only != nil && !slices.Contains(only, p.ID) {
			continue
		}
		jobs = append(jobs, e.job(p, now))
	}
	deadline := e.opt.Settings.CycleDeadline(now)
	pctx, cancel := context.WithTimeout(ctx, deadline)
	results := e.opt.Prober.ProbeAll(pctx, jobs, e.opt.Settings.Concurrency)
	cancel()
	if err := ctx.Err(); err != nil {
		// Results cut short by shutdown are not observations of the providers.
		return nil, fmt.Errorf("cycle cancelled: %w", err)
	}

	var changes []remediate.Transition
	var cut []string
	for _, r := range results {
		if r.Cut { // the deadline came first: no observation, the last result stands
			cut = append(cut, r.ProviderID)
			continue
		}
		e.results[r.ProviderID] = r
		for _, m := range r.Models {
			if tr := e.tracker.Observe(now, m); tr != nil {
				changes = append(changes, *tr)
				log.Info().Str("ref", tr.Ref).Str("from", tr.From.String()).Str("to", tr.To.String()).
					Str("reason", string(tr.Reason)).Str("detail", tr.Detail).Msg("model state changed")
				e.emit(Event{Time: tr.At, Kind: "state", Ref: tr.Ref, From: tr.From, To: tr.To, Reason: tr.Reason, Detail: tr.Detail})
			}
		}
	}

	if len(cut) > 0 {
		log.Warn().Strs("providers", cut).Dur("deadline", deadline).
			Msg("cycle deadline reached before these providers were probed; their last results stand (raise concurrency, or lower timeout)")
	}
	rep := e.report(now)
	e.remediate(ctx, now, rep, changes)
	for _, s := range e.opt.Sinks {
		if err := s.Publish(ctx, rep); err != nil {
			log.Warn().Err(err).Msg("publishing metrics failed; the sink keeps what it can and retries")
		}
	}
	if !e.opt.DryRun { // --dry-run writes nothing, state included
		e.save(ctx)
	}
	e.last = rep
	return rep, nil
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
		w := probes.Want{Ref: ref, Model: r.Model}
		if p := byID[r.Provider]; p != nil {
			if m := p.Model(r.Model); m != nil {
				w.ConfiguredContextWindow = m.ContextWindow
			}
		}
		out[r.Provider] = append(out[r.Provider], w)
	}
	return out
}

// report builds the report from the latest results and evaluated health.
// Callers hold e.mu.
func (e *Engine) report(now time.Time) *reporter.Report {
	rep := &reporter.Report{Time: now.UTC(), Providers: []reporter.ProviderReport{}}
	for _, p := range e.watched() {
		r, ok := e.results[p.ID]
		if !ok {
			continue
		}
		pr := providerReport(r)
		for _, m := range r.Models {
			mr := modelReport(m)
			if h, ok := e.tracker.Get(m.Ref); ok {
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

func (e *Engine) stateOf(ref string) probes.State {
	if h, ok := e.tracker.Get(ref); ok {
		return h.State
	}
	return probes.Healthy // not probed (off, filtered): no reason to move it
}

// remediate computes the effective order and writes it when it differs
// from what the target holds. Callers hold e.mu.
func (e *Engine) remediate(ctx context.Context, now time.Time, rep *reporter.Report, changes []remediate.Transition) {
	log := e.opt.Log
	configured := configuredOrder(e.opt.OpenClaw)
	effective := remediate.Effective(configured, e.stateOf, e.opt.Settings.Remediation.DropDown)
	rep.Order = reporter.OrderReport{Configured: configured, Effective: effective}
	rep.Agents = agentOrders(e.opt.OpenClaw, e.stateOf, e.opt.Settings.Remediation.DropDown)

	if e.lastEffective != nil && !e.lastEffective.Equal(effective) {
		rep.OrderChanges = 1
	}
	before := configured
	if e.lastEffective != nil {
		before = *e.lastEffective
	}
	e.lastEffective = &effective

	if configured.Primary == "" {
		return // no chain to keep in order
	}
	if len(e.opt.Providers) > 0 {
		// Models of providers left out by --provider were not probed: an
		// order built on them is a guess, so it is reported, never written.
		rep.Order.Changed = !before.Equal(effective)
		log.Info().Strs("providers", e.opt.Providers).Msg("--provider given: the order is reported but not written, since not every model was probed")
		return
	}
	if e.opt.Target == nil {
		rep.Order.Changed = !before.Equal(effective)
		if rep.OrderChanges > 0 {
			e.orderEvent(before, effective, false, describe(now, before, effective, changes))
		}
		return
	}
	e.unwritten = append(e.unwritten, changes...)
	held, exists, err := e.opt.Target.Read(ctx)
	if err != nil {
		log.Error().Err(err).Str("target", e.opt.Target.String()).Msg("cannot read the remediation target; not writing this cycle")
		rep.Order.Changed = !before.Equal(effective)
		return
	}
	heldAgents := e.readAgents(ctx, rep.Agents)
	if exists {
		before = held
	}
	rep.Order.Changed = !exists || !held.Equal(effective)
	agentsDiffer := false
	for _, a := range rep.Agents {
		if h, ok := heldAgents[a.Path]; ok && !h.Equal(a.Effective) {
			agentsDiffer = true
		}
	}
	if !rep.Order.Changed && !agentsDiffer {
		e.unwritten = nil
		return
	}
	why := describe(now, before, effective, e.unwritten)
	if e.opt.DryRun {
		if rep.Order.Changed {
			log.Info().Str("target", e.opt.Target.String()).Interface("order", effective).Str("why", why).Msg("dry run: would rewrite the fallback order")
			e.orderEvent(before, effective, false, why)
		}
		for _, a := range rep.Agents {
			if h, ok := heldAgents[a.Path]; ok && !h.Equal(a.Effective) {
				awhy := e.agentWhy(now, a, h)
				log.Info().Str("target", e.opt.Target.String()).Str("agent", a.Name).Interface("order", a.Effective).Str("why", awhy).Msg("dry run: would rewrite an agent's fallback order")
				e.agentEvent(a, h, false, awhy)
			}
		}
		return
	}
	if len(heldAgents) == 0 {
		if err := e.opt.Target.Write(ctx, effective, why); err != nil {
			log.Error().Err(err).Str("target", e.opt.Target.String()).Msg("writing the fallback order failed; will retry next cycle")
			return
		}
	} else if !e.writeAgents(ctx, now, rep, heldAgents, effective, why) {
		return
	}
	e.unwritten = nil
	if !rep.Order.Changed {
		return
	}
	rep.Order.Written = true
	log.Info().Str("target", e.opt.Target.String()).Str("primary", effective.Primary).
		Strs("fallbacks", effective.Fallbacks).Str("why", why).Msg("fallback order rewritten")
	e.orderEvent(before, effective, true, why)
}

// readAgents returns the per-agent orders the target holds, keyed by path,
// when it holds any (only the openclaw: target does). Callers hold e.mu.
func (e *Engine) readAgents(ctx context.Context, agents []reporter.AgentOrder) map[string]remediate.Order {
	at, ok := e.opt.Target.(remediate.AgentTarget)
	if !ok || len(agents) == 0 {
		return nil
	}
	held, err := at.ReadAgents(ctx, agentChains(e.opt.OpenClaw))
	if err != nil {
		e.opt.Log.Error().Err(err).Str("target", e.opt.Target.String()).Msg("cannot read the agents' chains in the remediation target; not rewriting them this cycle")
		return nil
	}
	return held
}

// writeAgents writes the defaults (when they changed) and every agent's
// order in one write to an AgentTarget, and reports whether it succeeded.
// Callers hold e.mu.
func (e *Engine) writeAgents(ctx context.Context, now time.Time, rep *reporter.Report, held map[string]remediate.Order, effective remediate.Order, why string) bool {
	log := e.opt.Log
	chains := map[string]configs.Chain{}
	for _, c := range agentChains(e.opt.OpenClaw) {
		chains[c.Path] = c
	}
	var want []remediate.AgentOrder
	for _, a := range rep.Agents {
		if _, ok := held[a.Path]; ok {
			want = append(want, remediate.AgentOrder{Chain: chains[a.Path], Order: a.Effective})
		}
	}
	var defaults *remediate.Order
	if rep.Order.Changed {
		defaults = &effective
	}
	written, err := e.opt.Target.(remediate.AgentTarget).WriteAgents(ctx, defaults, want, why)
	if err != nil {
		log.Error().Err(err).Str("target", e.opt.Target.String()).Msg("writing the fallback orders failed; will retry next cycle")
		return false
	}
	for i, a := range rep.Agents {
		if !slices.Contains(written, a.Path) {
			continue
		}
		rep.Agents[i].Written = true
		awhy := e.agentWhy(now, a, held[a.Path])
		log.Info().Str("target", e.opt.Target.String()).Str("agent", a.Name).Str("path", a.Path).
			Str("primary", a.Effective.Primary).Strs("fallbacks", a.Effective.Fallbacks).Str("why", awhy).Msg("agent fallback order rewritten")
		e.agentEvent(a, held[a.Path], true, awhy)
	}
	return true
}

// agentWhy is describe for one agent's chain: the transitions of its own
// refs, prefixed with the agent's name.
func (e *Engine) agentWhy(now time.Time, a reporter.AgentOrder, before remediate.Order) string {
	var mine []remediate.Transition
	for _, tr := range e.unwritten {
		if slices.Contains(a.Configured.Refs(), tr.Ref) {
			mine = append(mine, tr)
		}
	}
	return "agent " + a.Name + ": " + describe(now, before, a.Effective, mine)
}

func (e *Engine) agentEvent(a reporter.AgentOrder, before remediate.Order, written bool, why string) {
	e.emit(Event{Time: e.opt.Clock.Now(), Kind: "order", Ref: a.Path, Before: before, After: a.Effective, Written: written, Why: why})
}

// agentChains are the per-agent chains: every chain but agents.defaults.model.
func agentChains(oc *configs.OpenClaw) []configs.Chain {
	var out []configs.Chain
	for _, c := range oc.Chains {
		if c.Path != defaultsPath {
			out = append(out, c)
		}
	}
	return out
}

// defaultsPath is where the chain every target holds stands.
const defaultsPath = "agents.defaults.model"

// agentOrders computes every per-agent chain's effective order with the
// same policy as the defaults'.
func agentOrders(oc *configs.OpenClaw, state func(string) probes.State, dropDown bool) []reporter.AgentOrder {
	var out []reporter.AgentOrder
	for _, c := range agentChains(oc) {
		// Configured as OpenClaw tries it: a ref the chain names twice (an
		// inherited fallback that is also the agent's primary) once.
		conf := remediate.Effective(remediate.OrderOf(c), func(string) probes.State { return probes.Healthy }, false)
		out = append(out, reporter.AgentOrder{Name: c.Name, Path: c.Path, Configured: conf,
			Effective: remediate.Effective(conf, state, dropDown)})
	}
	return out
}

// describe is the one human line stored with a written order (the SSM
// Description): what changed, why, and when.
func describe(now time.Time, before, after remediate.Order, changes []remediate.Transition) string {
	why := remediate.Describe(before, after, changes)
	if len(changes) == 0 {
		why = now.UTC().Format("2006-01-02T15:04Z") + ": " + why
		if r := []rune(why); len(r) > remediate.MaxDescription {
			why = string(r[:remediate.MaxDescription-1]) + "…"
		}
	}
	return why
}

func (e *Engine) orderEvent(before, after remediate.Order, written bool, why string) {
	e.emit(Event{Time: e.opt.Clock.Now(), Kind: "order", Before: before, After: after, Written: written, Why: why})
}

func (e *Engine) emit(ev Event) {
	if e.opt.OnEvent != nil {
		e.opt.OnEvent(ev)
	}
}

// configuredOrder is the chain the remediation target holds:
// agents.defaults.model, else the first per-agent chain.
func configuredOrder(oc *configs.OpenClaw) remediate.Order {
	if c, ok := oc.Defaults(); ok {
		return remediate.OrderOf(c)
	}
	if len(oc.Chains) > 0 {
		return remediate.OrderOf(oc.Chains[0])
	}
	return remediate.Order{Fallbacks: []string{}}
}

// persisted is what the Store keeps between processes.
type persisted struct {
	Version   int                  `json:"version"`
	Tracker   json.RawMessage      `json:"tracker"`
	Effective *remediate.Order     `json:"effective,omitempty"`
	Generated map[string]time.Time `json:"generated,omitempty"`
}

func (e *Engine) stateJSON() ([]byte, error) {
	t, err := e.tracker.MarshalJSON()
	if err != nil {
		return nil, err
	}
	return json.Marshal(persisted{Version: 1, Tracker: t, Effective: e.lastEffective, Generated: e.lastGenerate})
}

func (e *Engine) restore(data []byte) error {
	var p persisted
	if err := json.Unmarshal(data, &p); err != nil {
		return fmt.Errorf("state is not provwatch state: %w", err)
	}
	if p.Version != 1 {
		return fmt.Errorf("state has version %d, this provwatch reads version 1", p.Version)
	}
	t := remediate.NewTracker(e.opt.Settings.Health)
	if err := t.UnmarshalJSON(p.Tracker); err != nil {
		return err
	}
	// Models no longer watched (a reload, an edited config) leave the state.
	t.Forget(e.opt.OpenClaw.WatchedRefs())
	e.tracker = t
	e.lastEffective = p.Effective
	if p.Generated != nil {
		e.lastGenerate = p.Generated
	}
	return nil
}

func (e *Engine) load(ctx context.Context) {
	if e.opt.Store == nil {
		return
	}
	data, err := e.opt.Store.Load(ctx)
	if err != nil {
		e.opt.Log.Warn().Err(err).Str("state", e.opt.Store.String()).Msg("cannot read saved state; starting fresh")
		return
	}
	if data == nil {
		return
	}
	if err := e.restore(data); err != nil {
		e.opt.Log.Warn().Err(err).Str("state", e.opt.Store.String()).Msg("saved state is corrupt or foreign; it will be replaced")
	}
}

func (e *Engine) save(ctx context.Context) {
	if e.opt.Store == nil {
		return
	}
	data, err := e.stateJSON()
	if err == nil {
		err = e.opt.Store.Save(ctx, data)
	}
	if err != nil {
		e.opt.Log.Error().Err(err).Str("state", e.opt.Store.String()).Msg("saving state failed; hysteresis restarts if the process does")
	}
}
