package remediate

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/health"
	"github.com/provwatch/provwatch/probes"
)

// This file drives Tracker and Effective over simulated time the way the
// engine does: a probe round on every schedule tick, and while a watched
// ref is Unconfirmed, extra rounds every recheck_interval until the next
// tick. Every order change is a target write.

const (
	primary  = "ollama/qwen3-coder"
	fallback = "openrouter/google/gemini-flash-1.5"
)

type write struct {
	At    time.Time
	Order configs.Order
	Why   string
}

type simRun struct {
	cfg      configs.Health
	schedule time.Duration
	dropDown bool
	// primaryAt returns the primary's real state for the n-th probe at time t.
	primaryAt func(n int, t time.Time) probes.State
}

func (s simRun) run(t *testing.T, start time.Time, d time.Duration) []write {
	t.Helper()
	tr := health.NewTracker(s.cfg)
	configured := configs.Order{Primary: primary, Fallbacks: []string{fallback}}
	held := configured // what the target holds
	var writes []write
	n := 0
	round := func(now time.Time) {
		var changed []health.Transition
		if c := tr.Observe(now, probes.ModelResult{Ref: primary, State: s.primaryAt(n, now), Reason: probes.ReasonUnreachable}); c != nil {
			changed = append(changed, *c)
		}
		n++
		tr.Observe(now, probes.ModelResult{Ref: fallback, State: probes.Healthy, Reason: probes.ReasonOK})
		eff := Effective(configured, tr.State, s.dropDown)
		if eff.Equal(held) {
			return
		}
		// What a target would be handed must always be a valid, non-empty order.
		b, err := json.Marshal(eff)
		if err != nil {
			t.Fatal(err)
		}
		back, err := configs.ParseOrder(b)
		if err != nil || !back.Equal(eff) || eff.Validate() != nil {
			t.Fatalf("%v: malformed order written: %s (%v)", now, b, err)
		}
		writes = append(writes, write{now, eff, Describe(held, eff, changed)})
		held = eff
	}
	for tick := start; tick.Before(start.Add(d)); tick = tick.Add(s.schedule) {
		round(tick)
		for now := tick.Add(s.cfg.RecheckInterval); now.Before(tick.Add(s.schedule)) && tr.Unconfirmed([]string{primary, fallback}); now = now.Add(s.cfg.RecheckInterval) {
			round(now)
		}
	}
	return writes
}

// TestSimDetection measures (a): how long after the primary goes down the
// new order is computed, with a 1-minute schedule, recheck 10s, fail_after 3.
func TestSimDetection(t *testing.T) {
	t.Parallel()
	cfg := configs.DefaultSettings().Health
	start := t0
	healthyFor := 10 * time.Minute
	detect := func(offset time.Duration) time.Duration {
		down := start.Add(healthyFor + offset)
		s := simRun{cfg: cfg, schedule: time.Minute, primaryAt: func(_ int, now time.Time) probes.State {
			if now.Before(down) {
				return probes.Healthy
			}
			return probes.Down
		}}
		w := s.run(t, start, healthyFor+5*time.Minute)
		if len(w) != 1 || w[0].Order.Primary != fallback {
			t.Fatalf("offset %v: writes %+v, want one with %s as primary", offset, w, fallback)
		}
		return w[0].At.Sub(down)
	}
	aligned := detect(0)
	t.Logf("detection, failure seen at its first tick: %v (target <= 40s)", aligned)
	if aligned > 40*time.Second {
		t.Fatalf("detection took %v, target 40s", aligned)
	}
	var worst, sum time.Duration
	for off := time.Duration(0); off < time.Minute; off += time.Second {
		d := detect(off)
		worst = max(worst, d)
		sum += d
	}
	t.Logf("detection from the moment of failure over 60 phases: mean %v, worst %v", sum/60, worst)
	if bound := time.Minute + 2*cfg.RecheckInterval; worst > bound {
		t.Fatalf("worst detection %v exceeds one schedule plus two rechecks (%v)", worst, bound)
	}
}

// TestSimFlapping measures (b): a primary alternating up and down with
// default settings for 24 simulated hours; order changes (target writes)
// per clock hour after the first hour must stay at or below 2.
func TestSimFlapping(t *testing.T) {
	t.Parallel()
	cfg := configs.DefaultSettings().Health
	patterns := map[string]func(n int, now time.Time) probes.State{
		// the real state flips each scheduled minute; rechecks inside a minute see the same state
		"flips every cycle": func(_ int, now time.Time) probes.State {
			if (now.Sub(t0)/time.Minute)%2 == 1 {
				return probes.Down
			}
			return probes.Healthy
		},
		// every single probe answers the opposite of the previous one
		"flips every probe": func(n int, _ time.Time) probes.State {
			if n%2 == 1 {
				return probes.Down
			}
			return probes.Healthy
		},
	}
	for name, p := range patterns {
		for _, dropDown := range []bool{false, true} {
			s := simRun{cfg: cfg, schedule: time.Minute, dropDown: dropDown, primaryAt: p}
			writes := s.run(t, t0, 24*time.Hour)
			perHour := make([]int, 24)
			for _, w := range writes {
				perHour[int(w.At.Sub(t0)/time.Hour)]++
			}
			worst := 0
			for _, c := range perHour[1:] {
				worst = max(worst, c)
			}
			t.Logf("%s, drop_down=%v: %d writes in 24h, first hour %d, max per hour after it %d, per hour %v",
				name, dropDown, len(writes), perHour[0], worst, perHour)
			if worst > 2 {
				t.Errorf("%s, drop_down=%v: %d writes in one hour, target <= 2", name, dropDown, worst)
			}
			for _, w := range writes {
				if len([]rune(w.Why)) > MaxDescription || w.Why == "" {
					t.Errorf("bad description %q", w.Why)
				}
			}
		}
	}
}
