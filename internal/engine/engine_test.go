package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/internal/clock"
	"github.com/provwatch/provwatch/internal/engine"
	"github.com/provwatch/provwatch/internal/sim"
	"github.com/provwatch/provwatch/probes"
	"github.com/provwatch/provwatch/remediate"
	"github.com/provwatch/provwatch/reporter"
)

// world is a simulated deployment: three providers, a file target and a
// file state store, so consecutive engines behave like consecutive `once`
// invocations.
type world struct {
	fleet  *sim.Fleet
	oc     *configs.OpenClaw
	s      configs.Settings
	dir    string
	clk    *clock.Fake
	events []remediate.Event
}

func newWorld(t *testing.T) *world {
	t.Helper()
	f, err := sim.StartFleet(sim.Spec{Kind: sim.Ollama}, sim.Spec{Kind: sim.Groq}, sim.Spec{Kind: sim.Anthropic})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	dir := t.TempDir()
	s := configs.DefaultSettings()
	s.Timeout = 5 * time.Second
	s.Remediation.Target = configs.Location{Scheme: configs.SchemeFile, Path: filepath.Join(dir, "order.json")}
	s.State = configs.Location{Scheme: configs.SchemeFile, Path: filepath.Join(dir, "state.json")}
	return &world{
		fleet: f,
		oc:    &configs.OpenClaw{Path: "sim", Providers: f.Providers(), Chains: []configs.Chain{f.Chain()}},
		s:     s, dir: dir,
		clk: clock.NewFake(time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)),
	}
}

// engine returns a fresh engine, as a new `once` process would have; each
// of adjust changes its options first.
func (w *world) engine(t *testing.T, adjust ...func(*engine.Options)) *engine.Engine {
	t.Helper()
	target, err := remediate.OpenTarget(w.s.Remediation.Target, nil)
	if err != nil {
		t.Fatal(err)
	}
	store, err := remediate.OpenStore(w.s.State, "once", w.s.Remediation.Target, nil)
	if err != nil {
		t.Fatal(err)
	}
	opt := engine.Options{
		OpenClaw: w.oc, Settings: w.s, Clock: w.clk, Log: zerolog.Nop(),
		Prober: probes.New(probes.Options{Timeout: w.s.Timeout, Thresholds: w.s.Thresholds}),
		Target: target, Store: store,
		OnEvent: func(ev remediate.Event) { w.events = append(w.events, ev) },
	}
	for _, a := range adjust {
		a(&opt)
	}
	return engine.New(opt)
}

func (w *world) order(t *testing.T) configs.Order {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(w.dir, "order.json"))
	if err != nil {
		t.Fatal(err)
	}
	o, err := configs.ParseOrder(b)
	if err != nil {
		t.Fatalf("target holds a malformed order %q: %v", b, err)
	}
	return o
}

func modelState(t *testing.T, rep *reporter.Report, ref string) reporter.ModelReport {
	t.Helper()
	for _, p := range rep.Providers {
		for _, m := range p.Models {
			if m.Ref == ref {
				return m
			}
		}
	}
	t.Fatalf("report has no model %s", ref)
	return reporter.ModelReport{}
}

func TestOnceDemotesAfterConfirmationAndRestoresAfterHold(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	chain := w.fleet.Chain()
	configured := chain.Order()
	primary := chain.Primary

	// 1. Everything healthy, no target yet: the configured order is written.
	rep, err := w.engine(t).Once(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Healthy != 3 || !rep.Order.Written || !rep.Order.Changed {
		t.Fatalf("first once: healthy=%d written=%v changed=%v, want 3 true true", rep.Healthy, rep.Order.Written, rep.Order.Changed)
	}
	if got := w.order(t); !got.Equal(configured) {
		t.Fatalf("target holds %v, want the configured %v", got, configured)
	}
	if n := len(w.clk.Slept()); n != 0 {
		t.Fatalf("a healthy once slept %d times for confirmations, want 0", n)
	}

	// 2. Nothing changed: nothing is written.
	rep, err = w.engine(t).Once(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Order.Written || rep.Order.Changed {
		t.Fatalf("unchanged once wrote=%v changed=%v, want false false", rep.Order.Written, rep.Order.Changed)
	}

	// 3. The primary stops answering: one once confirms it (fail_after 3 =
	// the cycle plus two rechecks at recheck_interval) and demotes it.
	if err := w.fleet.Members()[0].SetFault(sim.Refused, sim.FaultParams{}); err != nil {
		t.Fatal(err)
	}
	rep, err = w.engine(t).Once(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m := modelState(t, rep, primary); m.State != probes.Down || m.Reason != probes.ReasonUnreachable {
		t.Fatalf("primary after once: %s/%s, want down/unreachable", m.State, m.Reason)
	}
	want := []time.Duration{w.s.Health.RecheckInterval, w.s.Health.RecheckInterval}
	if got := w.clk.Slept(); !slices.Equal(got, want) {
		t.Fatalf("confirmation sleeps %v, want %v", got, want)
	}
	demoted := w.order(t)
	if demoted.Primary == primary || demoted.Fallbacks[len(demoted.Fallbacks)-1] != primary {
		t.Fatalf("order after demotion %v: want %s last", demoted, primary)
	}
	if !rep.Order.Written || rep.OrderChanges != 1 {
		t.Fatalf("demoting once: written=%v order_changes=%d", rep.Order.Written, rep.OrderChanges)
	}

	// 4. It comes back, but the hold (min_hold 5m) has not passed: it stays demoted.
	if err := w.fleet.Members()[0].SetFault(sim.None, sim.FaultParams{}); err != nil {
		t.Fatal(err)
	}
	w.clk.Advance(time.Minute)
	rep, err = w.engine(t).Once(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m := modelState(t, rep, primary); m.State != probes.Down {
		t.Fatalf("primary restored before its hold: %s", m.State)
	}
	if rep.Order.Written {
		t.Fatal("order written while the primary was held")
	}

	// 5. After the hold, recover_after good observations restore it.
	w.clk.Advance(5 * time.Minute)
	rep, err = w.engine(t).Once(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m := modelState(t, rep, primary); m.State != probes.Healthy {
		t.Fatalf("primary after hold: %s/%s, want healthy", m.State, m.Reason)
	}
	if got := w.order(t); !got.Equal(configured) || !rep.Order.Written {
		t.Fatalf("restored order %v (written=%v), want %v", got, rep.Order.Written, configured)
	}

	var kinds []string
	for _, ev := range w.events {
		kinds = append(kinds, string(ev.Kind)+":"+ev.Ref)
	}
	wantKinds := []string{"order:", "state:" + primary, "order:", "state:" + primary, "order:"}
	if !slices.Equal(kinds, wantKinds) {
		t.Fatalf("events %v, want %v", kinds, wantKinds)
	}
}

// TestAdoptBeforeTheFirstRoundLeavesTheStoreToLoad: a reload that lands
// before the old engine's first round (which loads the saved state) must
// not hand the new engine that empty state as if it were loaded: the new
// engine loads the Store, so a demoted primary stays demoted.
func TestAdoptBeforeTheFirstRoundLeavesTheStoreToLoad(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	primary := w.fleet.Chain().Primary
	ollama := w.fleet.Members()[0]
	if err := ollama.SetFault(sim.Refused, sim.FaultParams{}); err != nil {
		t.Fatal(err)
	}
	if rep, err := w.engine(t).Once(ctx); err != nil || modelState(t, rep, primary).State != probes.Down {
		t.Fatalf("once with a dead primary = %v; want it demoted and saved", err)
	}
	if err := ollama.SetFault(sim.None, sim.FaultParams{}); err != nil {
		t.Fatal(err)
	}
	neverRan, e := w.engine(t), w.engine(t)
	e.Adopt(neverRan)
	rep, err := e.Cycle(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m := modelState(t, rep, primary); m.State != probes.Down || m.Observed != probes.Healthy {
		t.Fatalf("after the adopt, one healthy observation gives %s (observed %s); want still down, as saved", m.State, m.Observed)
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	w := newWorld(t)
	e := w.engine(t, func(o *engine.Options) { o.DryRun = true })
	rep, err := e.Once(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Order.Written || !rep.Order.Changed {
		t.Fatalf("dry run: written=%v changed=%v, want false true (the target does not exist yet)", rep.Order.Written, rep.Order.Changed)
	}
	for _, f := range []string{"order.json", "state.json"} {
		if _, err := os.Stat(filepath.Join(w.dir, f)); !os.IsNotExist(err) {
			t.Fatalf("dry run created %s (stat: %v)", f, err)
		}
	}
}

func TestRecheckProbesOnlyUnconfirmedProviders(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	e := w.engine(t)
	if _, err := e.Cycle(ctx); err != nil {
		t.Fatal(err)
	}
	if e.NeedsRecheck() {
		t.Fatal("healthy first cycle needs a recheck")
	}
	m := w.fleet.Members()
	if err := m[1].SetFault(sim.ServerError, sim.FaultParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Cycle(ctx); err != nil {
		t.Fatal(err)
	}
	if !e.NeedsRecheck() {
		t.Fatal("a changed observation does not ask for a recheck")
	}
	before := []int64{m[0].Requests(), m[1].Requests(), m[2].Requests()}
	if _, err := e.Recheck(ctx); err != nil {
		t.Fatal(err)
	}
	if m[0].Requests() != before[0] || m[2].Requests() != before[2] {
		t.Fatal("recheck probed providers with nothing to confirm")
	}
	if m[1].Requests() == before[1] {
		t.Fatal("recheck did not probe the provider with an unconfirmed observation")
	}
}

func TestCheckIsOneObservation(t *testing.T) {
	w := newWorld(t)
	ref := w.fleet.Chain().Primary
	if err := w.fleet.Members()[0].SetFault(sim.Refused, sim.FaultParams{}); err != nil {
		t.Fatal(err)
	}
	rep := engine.Check(context.Background(), engine.Options{OpenClaw: w.oc, Settings: w.s, Log: zerolog.Nop(),
		Prober: probes.New(probes.Options{Timeout: w.s.Timeout})})
	if m := modelState(t, rep, ref); m.State != probes.Down || m.Since != nil {
		t.Fatalf("check: %s since=%v, want down with no since (no state)", m.State, m.Since)
	}
	if !rep.Order.Changed || rep.Order.Effective.Primary == ref || rep.Order.Written {
		t.Fatalf("check order: %+v", rep.Order)
	}
	if code := engine.ExitCode(rep); code != 1 {
		t.Fatalf("exit code %d, want 1 (some down, some healthy)", code)
	}
}

func TestExitCode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		h, dg, dn int
		want      int
	}{{3, 0, 0, 0}, {2, 1, 0, 1}, {1, 0, 2, 1}, {0, 1, 2, 2}, {0, 0, 3, 2}} {
		rep := &reporter.Report{Healthy: tc.h, Degraded: tc.dg, Down: tc.dn}
		if got := engine.ExitCode(rep); got != tc.want {
			t.Errorf("%d/%d/%d: exit %d, want %d", tc.h, tc.dg, tc.dn, got, tc.want)
		}
	}
	providersOnly := &reporter.Report{Providers: []reporter.ProviderReport{{Probe: probes.ProbeInfo{OK: true}}, {}}}
	if got := engine.ExitCode(providersOnly); got != 1 {
		t.Errorf("no models, one of two providers up: exit %d, want 1", got)
	}
}

// TestCycleDeadline: ten providers that hang, probed one at a time with a
// 300 ms timeout, would keep a round probing for 3 s; the cycle deadline
// (the 1 s schedule interval) ends it, and the providers it cut are no
// observation: they are not reported down and their state is untouched.
func TestCycleDeadline(t *testing.T) {
	t.Parallel()
	specs := make([]sim.Spec, 10)
	for i := range specs {
		specs[i] = sim.Spec{Kind: sim.Groq} // hosted: no liveness checks, probed one at a time
	}
	f, err := sim.StartFleet(specs...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	for _, m := range f.Members() {
		if err := m.SetFault(sim.Stall, sim.FaultParams{}); err != nil {
			t.Fatal(err)
		}
	}
	s := configs.DefaultSettings()
	s.Schedule, s.Timeout, s.Concurrency = "@every 1s", 300*time.Millisecond, 1
	oc := &configs.OpenClaw{Path: "sim", Providers: f.Providers(), Chains: []configs.Chain{f.Chain()}}
	e := engine.New(engine.Options{OpenClaw: oc, Settings: s, Log: zerolog.Nop(),
		Prober: probes.New(probes.Options{Timeout: s.Timeout, Thresholds: s.Thresholds})})
	rep, err := e.Cycle(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	reported := 0
	for _, p := range rep.Providers {
		for _, m := range p.Models {
			reported++
			if m.State != probes.Down || m.Reason != probes.ReasonTimeout {
				t.Errorf("%s: %s/%s, want down/timeout for a probe that ran to its timeout", m.Ref, m.State, m.Reason)
			}
		}
	}
	if reported > 5 {
		t.Errorf("%d of 10 hanging providers were probed to their timeout: the 1 s cycle deadline did not stop the round", reported)
	}
	if rep.Down != reported {
		t.Errorf("down %d, want %d: providers the deadline cut must not count", rep.Down, reported)
	}
}

// TestFirstObservationIsNotLoggedAsAChange: a model down at its first
// observation has no earlier state; the log says so instead of "from
// healthy".
func TestFirstObservationIsNotLoggedAsAChange(t *testing.T) {
	w := newWorld(t)
	if err := w.fleet.Members()[0].SetFault(sim.Refused, sim.FaultParams{}); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer // the engine logs from the round's goroutine only
	e := w.engine(t, func(o *engine.Options) { o.Log = zerolog.New(&logs) })
	if _, err := e.Cycle(context.Background()); err != nil {
		t.Fatal(err)
	}
	primary := w.fleet.Chain().Primary
	var first map[string]any
	for l := range strings.Lines(logs.String()) {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && m["message"] == "model state changed" && m["ref"] == primary {
			first = m
		}
	}
	if first == nil || first["first_observation"] != true || first["from"] != nil || first["to"] != "down" {
		t.Fatalf("first observation logged as %v, want first_observation and no from:\n%s", first, logs.String())
	}
}
