package engine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/internal/sim"
	"github.com/provwatch/provwatch/remediate"
)

// TestSeparateRunsRestoreTheOperatorsOrder is `once` under cron with the
// openclaw: target as its own config: every run reads the file afresh,
// including the order an earlier run wrote. The preferred order lives in
// the state, so a recovered primary comes back; an edit by the operator is
// recognised and becomes the order restores return to.
func TestSeparateRunsRestoreTheOperatorsOrder(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	path := filepath.Join(w.dir, "openclaw.json")
	chain := w.fleet.Chain()
	var provs []string
	for _, p := range w.fleet.Providers() {
		provs = append(provs, fmt.Sprintf("%s: {baseUrl: %q, apiKey: %q, api: %q}", p.ID, p.BaseURL, p.APIKey, p.API))
	}
	write := func(o configs.Order) {
		text := fmt.Sprintf("{\n  models: {providers: {%s}},\n  agents: {defaults: {model: {primary: %q, fallbacks: [%q, %q]}}},\n}\n",
			strings.Join(provs, ", "), o.Primary, o.Fallbacks[0], o.Fallbacks[1])
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(chain.Order())
	w.s.Remediation.Target = configs.Location{Scheme: configs.SchemeOpenClaw, Path: path}
	w.s.State = configs.Location{Scheme: configs.SchemeFile, Path: path + ".provwatch-state"}
	once := func() {
		t.Helper()
		oc, err := configs.LoadOpenClaw(ctx, configs.Source{Path: path, Getenv: func(string) string { return "" }})
		if err != nil {
			t.Fatal(err)
		}
		w.oc = oc
		if _, err := w.engine(t).Once(ctx); err != nil {
			t.Fatal(err)
		}
	}
	operator := chain.Order()
	failedOver := configs.Order{Primary: operator.Fallbacks[0], Fallbacks: []string{operator.Fallbacks[1], operator.Primary}}

	once() // all healthy: nothing written
	if got := defaultsIn(t, path); !got.Equal(operator) {
		t.Fatalf("healthy run wrote %v", got)
	}
	if err := w.fleet.Members()[0].SetFault(sim.Refused, sim.FaultParams{}); err != nil {
		t.Fatal(err)
	}
	once() // the primary is down: failover written into the config itself
	if got := defaultsIn(t, path); !got.Equal(failedOver) {
		t.Fatalf("after the primary went down the file holds %v, want %v", got, failedOver)
	}
	if err := w.fleet.Members()[0].SetFault(sim.None, sim.FaultParams{}); err != nil {
		t.Fatal(err)
	}
	w.clk.Advance(w.s.Health.MinHold + time.Minute)
	once() // a new run reads the failed-over file as its config, and still restores
	if got := defaultsIn(t, path); !got.Equal(operator) {
		t.Fatalf("after recovery the file holds %v, want the operator's %v", got, operator)
	}

	// The operator puts the third model first. The next run recognises the
	// edit: nothing is rewritten, and restores now return to their order.
	edited := configs.Order{Primary: operator.Fallbacks[1], Fallbacks: []string{operator.Primary, operator.Fallbacks[0]}}
	write(edited)
	w.events = nil
	once()
	if got := defaultsIn(t, path); !got.Equal(edited) {
		t.Fatalf("the operator's edit was overwritten with %v", got)
	}
	var recognised bool
	for _, ev := range w.events {
		if ev.Kind == remediate.EventPreferred && ev.After.Equal(edited) {
			recognised = true
		}
		if ev.Kind == remediate.EventOrder && ev.Written {
			t.Errorf("wrote %v after the operator's edit", ev.After)
		}
	}
	if !recognised {
		t.Fatalf("no event recognised the operator's edit: %+v", w.events)
	}
	// Their new primary goes down and comes back: the restore is to their order.
	if err := w.fleet.Members()[2].SetFault(sim.Refused, sim.FaultParams{}); err != nil {
		t.Fatal(err)
	}
	w.clk.Advance(time.Minute)
	once()
	if got := defaultsIn(t, path); got.Primary == edited.Primary {
		t.Fatalf("their primary is down but still first: %v", got)
	}
	if err := w.fleet.Members()[2].SetFault(sim.None, sim.FaultParams{}); err != nil {
		t.Fatal(err)
	}
	w.clk.Advance(w.s.Health.MinHold + time.Minute)
	once()
	if got := defaultsIn(t, path); !got.Equal(edited) {
		t.Fatalf("restored to %v, want the operator's edited order %v", got, edited)
	}
}

func defaultsIn(t *testing.T, path string) configs.Order {
	t.Helper()
	oc, err := configs.LoadOpenClaw(context.Background(), configs.Source{Path: path, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	c, ok := oc.Defaults()
	if !ok {
		t.Fatalf("%s has no agents.defaults.model", path)
	}
	return c.Order()
}
