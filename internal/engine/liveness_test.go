package engine_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/provwatch/provwatch/internal/engine"
	"github.com/provwatch/provwatch/internal/sim"
	"github.com/provwatch/provwatch/probes"
	"github.com/provwatch/provwatch/remediate"
)

// cycled returns a world and an engine (see world.engine) that has run
// its first cycle.
func cycled(t *testing.T, adjust ...func(*engine.Options)) (*world, *engine.Engine) {
	t.Helper()
	w := newWorld(t)
	e := w.engine(t, adjust...)
	if _, err := e.Cycle(context.Background()); err != nil {
		t.Fatal(err)
	}
	return w, e
}

// TestLivenessDetectsADeadSelfHostedPrimary: between scheduled probes the
// self-hosted primary (a simulated Ollama) gets liveness checks; the cloud
// fallbacks never do. While it answers a check observes nothing; once it
// refuses, the checks and then the rechecks observe it down, and the third
// observation demotes it and rewrites the order. When it answers again, a
// cycle probes it fully, and so does the recheck that follows (its last
// observation got an answer).
func TestLivenessDetectsADeadSelfHostedPrimary(t *testing.T) {
	w, e := cycled(t)
	ctx := context.Background()
	primary := w.fleet.Chain().Primary
	before := make([]int64, 3)
	for i, m := range w.fleet.Members() {
		before[i] = m.Server.Requests()
	}
	rep, err := e.Liveness(ctx)
	if err != nil || rep != nil {
		t.Fatalf("Liveness with everything up = %v, %v; want nothing observed", rep, err)
	}
	for i, m := range w.fleet.Members() {
		got := m.Server.Requests() - before[i]
		if want := map[bool]int64{true: 1, false: 0}[i == 0]; got != want {
			t.Errorf("%s got %d liveness requests, want %d (self-hosted only)", m.ID, got, want)
		}
	}

	if err := w.fleet.Members()[0].SetFault(sim.Refused, sim.FaultParams{}); err != nil {
		t.Fatal(err)
	}
	rep, err = e.Liveness(ctx)
	if err != nil || rep == nil {
		t.Fatalf("Liveness of a dead primary = %v, %v; want an observation", rep, err)
	}
	m := modelState(t, rep, primary)
	if m.Observed != probes.Down || m.Reason != probes.ReasonOK || !strings.Contains(rep.Providers[0].Probe.Error, "liveness check") {
		t.Fatalf("after one failed check: %+v (probe %+v)", m, rep.Providers[0].Probe)
	}
	if !e.NeedsRecheck() {
		t.Fatal("a failed liveness check arms no recheck")
	}
	for range 2 {
		if rep, err = e.Recheck(ctx); err != nil || rep == nil {
			t.Fatalf("Recheck = %v, %v", rep, err)
		}
		if !strings.Contains(rep.Providers[0].Probe.Error, "liveness check") {
			t.Fatalf("a recheck of a server that gave no answer was not a liveness check: %+v", rep.Providers[0].Probe)
		}
	}
	if m := modelState(t, rep, primary); m.State != probes.Down || m.Reason != probes.ReasonUnreachable {
		t.Fatalf("after three failed checks: %+v", m)
	}
	if got := w.order(t); got.Primary == primary || !rep.Order.Written {
		t.Fatalf("order %v (written %v): the dead primary is still first", got, rep.Order.Written)
	}

	// Back: the liveness check answers and observes nothing; the cycle's
	// full probe sees it healthy, and the recheck probes it fully again.
	if err := w.fleet.Members()[0].SetFault(sim.None, sim.FaultParams{}); err != nil {
		t.Fatal(err)
	}
	if rep, err = e.Liveness(ctx); rep != nil || err != nil {
		t.Fatalf("Liveness of a server that answers again = %v, %v; want nothing observed", rep, err)
	}
	if rep, err = e.Cycle(ctx); err != nil {
		t.Fatal(err)
	}
	full := w.fleet.Members()[0].Server.Requests()
	if rep, err = e.Recheck(ctx); err != nil || rep == nil {
		t.Fatalf("Recheck = %v, %v", rep, err)
	}
	if n := w.fleet.Members()[0].Server.Requests() - full; n < 2 {
		t.Fatalf("the recheck of a server that answers sent %d requests, want a full probe", n)
	}
	if m := modelState(t, rep, primary); m.Observed != probes.Healthy {
		t.Fatalf("after it came back: %+v", m)
	}
}

// TestRecheckOfABlipAsksThenProbes: one failed liveness check of the
// self-hosted primary leaves an unconfirmed observation that got no
// answer. When the server is back by the recheck, the recheck's liveness
// check answers, so the same round probes it fully, and that healthy
// observation refutes the blip: nothing moves and no further recheck is
// due.
func TestRecheckOfABlipAsksThenProbes(t *testing.T) {
	w, e := cycled(t)
	ctx := context.Background()
	primary := w.fleet.Chain().Primary
	ollama := w.fleet.Members()[0]
	if err := ollama.SetFault(sim.Refused, sim.FaultParams{}); err != nil {
		t.Fatal(err)
	}
	if rep, err := e.Liveness(ctx); err != nil || rep == nil || !e.NeedsRecheck() {
		t.Fatalf("Liveness of a refusing primary = %v, %v (recheck due %v); want an unconfirmed observation", rep, err, e.NeedsRecheck())
	}
	if err := ollama.SetFault(sim.None, sim.FaultParams{}); err != nil {
		t.Fatal(err)
	}
	before := ollama.Server.Requests()
	rep, err := e.Recheck(ctx)
	if err != nil || rep == nil {
		t.Fatalf("Recheck of a server that answers again = %v, %v; want a full probe's observation", rep, err)
	}
	// One liveness check, then the probe's own requests.
	if n := ollama.Server.Requests() - before; n < 3 {
		t.Errorf("the recheck sent %d requests, want a liveness check and a full probe", n)
	}
	m := modelState(t, rep, primary)
	if m.Observed != probes.Healthy || m.State != probes.Healthy || strings.Contains(rep.Providers[0].Probe.Error, "liveness check") {
		t.Fatalf("after the recheck: %+v (probe %+v); want the blip refuted by a full probe", m, rep.Providers[0].Probe)
	}
	if e.NeedsRecheck() {
		t.Error("a refuted blip still wants a recheck")
	}
	if got := w.order(t); got.Primary != primary || rep.Order.Written {
		t.Errorf("order %v (written %v): a refuted blip moved the primary", got, rep.Order.Written)
	}
}

// readCounter counts a target's reads.
type readCounter struct {
	remediate.Target
	reads int
}

func (r *readCounter) Read(ctx context.Context) (remediate.Held, error) {
	r.reads++
	return r.Target.Read(ctx)
}

// TestOutageLivenessRoundsDoNotReadTheTarget: while the demoted primary
// stays down, each liveness round observes it again, but plans what the
// target already holds: it reports without reading the target (an SSM
// GetParameter every few seconds). The scheduled cycle reads it, and
// repairs an edit made between ticks.
func TestOutageLivenessRoundsDoNotReadTheTarget(t *testing.T) {
	target := &readCounter{}
	w, e := cycled(t, func(o *engine.Options) { target.Target = o.Target; o.Target = target })
	ctx := context.Background()
	primary := w.fleet.Chain().Primary
	if target.reads != 1 {
		t.Fatalf("the first cycle read the target %d times, want 1", target.reads)
	}
	if err := w.fleet.Members()[0].SetFault(sim.Refused, sim.FaultParams{}); err != nil {
		t.Fatal(err)
	}
	// Three failed checks demote the primary; only the third changes the
	// plan, and so reads the target and writes.
	if _, err := e.Liveness(ctx); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := e.Recheck(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := w.order(t); got.Primary == primary || target.reads != 2 {
		t.Fatalf("order %v after %d reads: want the dead primary moved, by one read", got, target.reads)
	}
	for range 2 {
		rep, err := e.Liveness(ctx)
		if err != nil || rep == nil {
			t.Fatalf("Liveness of the dead primary = %v, %v; want an observation", rep, err)
		}
		if m := modelState(t, rep, primary); m.State != probes.Down || rep.Order.Effective.Primary == primary || rep.Order.Changed || rep.Order.Written || rep.OrderChanges != 0 {
			t.Fatalf("liveness round during the outage: model %+v, order %+v, changes %d", m, rep.Order, rep.OrderChanges)
		}
	}
	if target.reads != 2 {
		t.Errorf("liveness rounds with nothing to change read the target: %d reads, want 2", target.reads)
	}

	// Someone puts the dead primary back; the scheduled cycle reads the
	// target and moves it again.
	configured, err := json.Marshal(w.fleet.Chain().Order())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(w.dir, "order.json"), configured, 0o600); err != nil {
		t.Fatal(err)
	}
	rep, err := e.Cycle(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := w.order(t); got.Primary == primary || !rep.Order.Written || target.reads != 3 {
		t.Errorf("after the cycle: order %v (written %v), %d reads; want the edit repaired by one read", got, rep.Order.Written, target.reads)
	}
}
