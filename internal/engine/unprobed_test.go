package engine_test

import (
	"context"
	"slices"
	"testing"

	"github.com/rs/zerolog"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/internal/engine"
	"github.com/provwatch/provwatch/internal/sim"
	"github.com/provwatch/provwatch/probes"
)

// TestUnprobedRefsKeepTheirPlace: a ref to a provider provwatch has no
// probe for (a plugin's) is not a working model: with every probed model
// down the order stays as configured, and while the probed ones move it
// keeps its place, in a round as in `check`.
func TestUnprobedRefsKeepTheirPlace(t *testing.T) {
	w := newWorld(t)
	const plugin = "minimax/MiniMax-M2"
	w.oc.Providers = append(w.oc.Providers, &configs.Provider{ID: "minimax", Unprobed: "OpenClaw ships it as a plugin", Source: "built-in"})
	c := &w.oc.Chains[0]
	c.Fallbacks = append([]string{plugin}, c.Fallbacks...) // primary, the plugin's, then the probed fallbacks
	configured := c.Order()
	w.s.Health.FailAfter, w.s.Health.MinHold = 1, 0
	members := w.fleet.Members()
	ctx := context.Background()
	e := w.engine(t)

	if err := members[0].SetFault(sim.Refused, sim.FaultParams{}); err != nil {
		t.Fatal(err)
	}
	rep, err := e.Cycle(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{configured.Fallbacks[1], plugin, configured.Fallbacks[2], configured.Primary}
	if got := rep.Order.Effective.Refs(); !slices.Equal(got, want) {
		t.Fatalf("primary down: order %v, want %v (the plugin's ref in its place)", got, want)
	}
	if got := engine.Check(ctx, checkOptions(w)).Order.Effective.Refs(); !slices.Equal(got, want) {
		t.Fatalf("check, primary down: order %v, want %v", got, want)
	}

	for _, m := range members[1:] {
		if err := m.SetFault(sim.Refused, sim.FaultParams{}); err != nil {
			t.Fatal(err)
		}
	}
	if rep, err = e.Cycle(ctx); err != nil {
		t.Fatal(err)
	}
	if got := rep.Order.Effective; !got.Equal(configured) {
		t.Fatalf("every probed model down: order %v, want the configured %v (an unprobed model is not known to work)", got, configured)
	}
	if got := engine.Check(ctx, checkOptions(w)).Order.Effective; !got.Equal(configured) {
		t.Fatalf("check, every probed model down: order %v, want the configured %v", got, configured)
	}
}

func checkOptions(w *world) engine.Options {
	return engine.Options{OpenClaw: w.oc, Settings: w.s, Log: zerolog.Nop(),
		Prober: probes.New(probes.Options{Timeout: w.s.Timeout, Thresholds: w.s.Thresholds})}
}
