package engine_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/internal/sim"
	"github.com/provwatch/provwatch/probes"
	"github.com/provwatch/provwatch/remediate"
	"github.com/provwatch/provwatch/reporter"
)

// agentsConfig is an OpenClaw config for the fleet with two agents: the
// coder prefers the third provider's model (its own chain), the writer
// only picks a primary and inherits the defaults' fallbacks.
func agentsConfig(f *sim.Fleet) (string, [3]string) {
	var refs [3]string
	var provs []string
	for i, m := range f.Members() {
		refs[i] = m.Ref()
		p := f.Providers()[i]
		key := ""
		if p.APIKey != "" {
			key = fmt.Sprintf(" apiKey: %q,", p.APIKey)
		}
		provs = append(provs, fmt.Sprintf("      %s: { baseUrl: %q,%s api: %q },", p.ID, p.BaseURL, key, p.API))
	}
	return fmt.Sprintf(`// gateway with per-agent chains
{
  models: {
    providers: {
%s
    },
  },
  agents: {
    defaults: {
      model: { primary: %q, fallbacks: [%q, %q] },
    },
    entries: {
      coder: {
        model: { primary: %q, fallbacks: [%q] }, // its own chain
      },
      writer: { model: %q }, // inherits the fallbacks
    },
  },
}
`, strings.Join(provs, "\n"), refs[0], refs[1], refs[2], refs[2], refs[1], refs[0]), refs
}

func TestOnceReordersAnAgentsOwnChainInTheOpenClawTarget(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	text, refs := agentsConfig(w.fleet)
	path := filepath.Join(w.dir, "openclaw.json")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	oc, err := configs.LoadOpenClaw(ctx, configs.Source{Path: path, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	w.oc = oc
	w.s.Remediation.Target = configs.Location{Scheme: configs.SchemeOpenClaw, Path: path}
	orig := []byte(text)
	agent := func(rep *reporter.Report, name string) reporter.AgentOrder {
		t.Helper()
		for _, a := range rep.Agents {
			if a.Name == name {
				return a
			}
		}
		t.Fatalf("report has no agent %s: %+v", name, rep.Agents)
		return reporter.AgentOrder{}
	}

	// 1. All healthy: the file already holds every order; nothing is written.
	rep, err := w.engine(t).Once(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Order.Changed || rep.Order.Written || len(rep.Agents) != 2 {
		t.Fatalf("healthy once: order %+v, agents %+v", rep.Order, rep.Agents)
	}
	if now, _ := os.ReadFile(path); !bytes.Equal(now, orig) {
		t.Fatalf("healthy once changed the file:\n%s", now)
	}
	if _, err := os.Stat(path + ".bak"); !os.IsNotExist(err) {
		t.Fatalf("healthy once made a .bak (%v)", err)
	}

	// 2. The coder's own primary (last in the defaults) stops answering:
	// the coder's chain is reordered in place, the defaults and the writer
	// (whose chain it already ends) stay.
	if err := w.fleet.Members()[2].SetFault(sim.Refused, sim.FaultParams{}); err != nil {
		t.Fatal(err)
	}
	rep, err = w.engine(t).Once(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m := modelState(t, rep, refs[2]); m.State != probes.Down {
		t.Fatalf("%s after once: %s, want down", refs[2], m.State)
	}
	coder := agent(rep, "coder")
	if want := (configs.Order{Primary: refs[1], Fallbacks: []string{refs[2]}}); !coder.Effective.Equal(want) || !coder.Written {
		t.Fatalf("coder: effective %v written %v, want %v written", coder.Effective, coder.Written, want)
	}
	if wr := agent(rep, "writer"); wr.Written || !wr.Effective.Equal(wr.Configured) {
		t.Fatalf("writer: %+v, want unchanged and not written", wr)
	}
	if rep.Order.Changed || rep.Order.Written {
		t.Fatalf("defaults: %+v, want unchanged", rep.Order)
	}
	oldValue := fmt.Sprintf("{ primary: %q, fallbacks: [%q] }", refs[2], refs[1])
	newValue := fmt.Sprintf("{ primary: %q, fallbacks: [%q] }", refs[1], refs[2])
	want := strings.Replace(text, oldValue, newValue, 1)
	if now, _ := os.ReadFile(path); string(now) != want {
		t.Fatalf("file after the coder's primary went down:\n%s\nwant\n%s", now, want)
	}
	if bak, _ := os.ReadFile(path + ".bak"); !bytes.Equal(bak, orig) {
		t.Fatal(".bak does not hold the previous content")
	}
	var agentEvents []string
	for _, ev := range w.events {
		if ev.Kind == remediate.EventOrder {
			agentEvents = append(agentEvents, ev.Path)
			if !ev.Written || !strings.HasPrefix(ev.Why, "agent coder: ") {
				t.Fatalf("order event %+v", ev)
			}
		}
	}
	if !slices.Equal(agentEvents, []string{"agents.entries.coder.model"}) {
		t.Fatalf("order events for %v, want the coder's alone", agentEvents)
	}

	// 3. It comes back; after the hold the coder's chain is restored and
	// the file is byte for byte what the person wrote.
	if err := w.fleet.Members()[2].SetFault(sim.None, sim.FaultParams{}); err != nil {
		t.Fatal(err)
	}
	w.clk.Advance(6 * time.Minute)
	rep, err = w.engine(t).Once(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c := agent(rep, "coder"); !c.Written || c.Effective.Primary != refs[2] {
		t.Fatalf("coder after restore: %+v", c)
	}
	if now, _ := os.ReadFile(path); !bytes.Equal(now, orig) {
		t.Fatalf("restored file:\n%s\nwant\n%s", now, orig)
	}
}

func TestReportMarksObservationsAwaitingConfirmation(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	e := w.engine(t)
	rep, err := e.Cycle(ctx)
	if err != nil {
		t.Fatal(err)
	}
	primary := w.fleet.Chain().Primary
	if m := modelState(t, rep, primary); m.Pending || m.HeldUntil != nil {
		t.Fatalf("healthy cycle: pending %v held %v", m.Pending, m.HeldUntil)
	}
	if err := w.fleet.Members()[0].SetFault(sim.Refused, sim.FaultParams{}); err != nil {
		t.Fatal(err)
	}
	rep, err = e.Cycle(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m := modelState(t, rep, primary); m.State != probes.Healthy || m.Observed != probes.Down || !m.Pending || m.HeldUntil != nil {
		t.Fatalf("one bad observation: state %s observed %s pending %v held %v, want healthy/down/true/nil", m.State, m.Observed, m.Pending, m.HeldUntil)
	}
	for range 2 {
		if rep, err = e.Recheck(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if m := modelState(t, rep, primary); m.State != probes.Down || m.Pending {
		t.Fatalf("confirmed: state %s pending %v, want down/false", m.State, m.Pending)
	}
	// Back, with recover_after good observations inside the hold: the
	// restore waits for the hold, and the report says until when.
	if err := w.fleet.Members()[0].SetFault(sim.None, sim.FaultParams{}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if rep, err = e.Cycle(ctx); err != nil {
			t.Fatal(err)
		}
	}
	m := modelState(t, rep, primary)
	wantUntil := w.clk.Now().Add(w.s.Health.MinHold).UTC()
	if m.State != probes.Down || !m.Pending || m.HeldUntil == nil || !m.HeldUntil.Equal(wantUntil) {
		t.Fatalf("held restore: state %s pending %v held %v, want down/true/%v", m.State, m.Pending, m.HeldUntil, wantUntil)
	}
}
