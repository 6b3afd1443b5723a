package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/provwatch/provwatch/internal/sim"
	"github.com/provwatch/provwatch/probes"
)

// TestLivenessDetectsADeadSelfHostedPrimary: between scheduled probes the
// self-hosted primary (a simulated Ollama) gets liveness checks; the cloud
// fallbacks never do. While it answers a check observes nothing; once it
// refuses, the checks and then the rechecks observe it down, and the third
// observation demotes it and rewrites the order. When it answers again, a
// recheck probes it fully.
func TestLivenessDetectsADeadSelfHostedPrimary(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	e := w.engine(t)
	primary := w.fleet.Chain().Primary
	if _, err := e.Cycle(ctx); err != nil {
		t.Fatal(err)
	}
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

	// Back: the liveness check answers, so the recheck probes it fully.
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
