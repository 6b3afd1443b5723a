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
// daemon paces its rounds (internal/daemon): a full probe round on every
// schedule tick, a liveness round every liveness.every for the
// self-hosted primary, and while a watched ref is Unconfirmed a recheck
// round recheck_interval after the round that left it so. Rounds never
// overlap: one that comes while another runs is skipped. A round takes
// the time its slowest answer takes: nothing for an answer or a refused
// connection, the timeout for a server that hangs. Every order change is a
// target write.

const (
	primary  = "ollama/qwen3-coder"
	fallback = "openrouter/google/gemini-flash-1.5"
)

// cond is what the self-hosted primary does when asked.
type cond int

const (
	up      cond = iota // answers, serves the model
	refused             // connection refused
	hanging             // accepts, never answers
)

type write struct {
	At    time.Time
	Order configs.Order
	Why   string
}

type simRun struct {
	s        configs.Settings
	schedule time.Duration
	dropDown bool
	// primaryAt is the primary's condition for the n-th request to it at t.
	primaryAt func(n int, t time.Time) cond
}

// defaultRun is a simRun with the shipped settings and a 1-minute schedule.
func defaultRun(primaryAt func(n int, t time.Time) cond) simRun {
	return simRun{s: configs.DefaultSettings(), schedule: time.Minute, primaryAt: primaryAt}
}

func (s simRun) run(t *testing.T, start time.Time, d time.Duration) []write {
	t.Helper()
	tr := health.NewTracker(s.s.Health)
	configured := configs.Order{Primary: primary, Fallbacks: []string{fallback}}
	held := configured // what the target holds
	var writes []write
	n := 0
	lastNoAnswer := false
	type kind int
	const (
		tick kind = iota
		live
		recheck
	)
	// round runs one round starting at now and returns when it ends.
	round := func(now time.Time, k kind) time.Time {
		c := s.primaryAt(n, now)
		n++
		pending := tr.Unconfirmed([]string{primary})
		// A tick asks a self-hosted provider with a liveness check first,
		// and probes it fully only when it answers.
		asLiveness := k == live || k == tick || k == recheck && pending && lastNoAnswer
		var obs *probes.ModelResult
		dur := time.Duration(0)
		switch {
		case asLiveness && c == up && k == live:
			// alive: nothing observed
		case asLiveness && c == up:
			obs = &probes.ModelResult{Ref: primary, State: probes.Healthy, Reason: probes.ReasonOK} // then probed fully
		case c == up:
			obs = &probes.ModelResult{Ref: primary, State: probes.Healthy, Reason: probes.ReasonOK}
		case c == refused:
			obs = &probes.ModelResult{Ref: primary, State: probes.Down, Reason: probes.ReasonUnreachable}
		default:
			obs = &probes.ModelResult{Ref: primary, State: probes.Down, Reason: probes.ReasonTimeout}
			dur = s.s.Timeout
			if asLiveness {
				dur = s.s.Liveness.Timeout
			}
		}
		end := now.Add(dur)
		if obs == nil {
			return end
		}
		lastNoAnswer = c != up
		var changed []health.Transition
		if tc := tr.Observe(end, *obs); tc != nil {
			changed = append(changed, *tc)
		}
		if k == tick {
			tr.Observe(end, probes.ModelResult{Ref: fallback, State: probes.Healthy, Reason: probes.ReasonOK})
		}
		eff := Effective(configured, tr.State, s.dropDown)
		if eff.Equal(held) {
			return end
		}
		// What a target would be handed must always be a valid, non-empty order.
		b, err := json.Marshal(eff)
		if err != nil {
			t.Fatal(err)
		}
		back, err := configs.ParseOrder(b)
		if err != nil || !back.Equal(eff) || eff.Validate() != nil {
			t.Fatalf("%v: malformed order written: %s (%v)", end, b, err)
		}
		writes = append(writes, write{end, eff, Describe(held, eff, changed)})
		held = eff
		return end
	}
	stop := start.Add(d)
	nextTick, nextLive := start, start.Add(s.s.Liveness.Every)
	var nextRecheck time.Time // zero: none armed
	busyUntil := start
	for {
		now, k := nextTick, tick
		if nextLive.Before(now) {
			now, k = nextLive, live
		}
		if !nextRecheck.IsZero() && nextRecheck.Before(now) {
			now, k = nextRecheck, recheck
		}
		if !now.Before(stop) {
			return writes
		}
		end := now
		if now.Before(busyUntil) {
			// another round runs: this one is skipped
		} else {
			end = round(now, k)
			busyUntil = end
			nextRecheck = time.Time{}
			if tr.Unconfirmed([]string{primary, fallback}) {
				nextRecheck = end.Add(s.s.Health.RecheckInterval)
			}
		}
		switch k {
		case tick:
			nextTick = nextTick.Add(s.schedule)
		case live:
			nextLive = end.Add(s.s.Liveness.Every)
		case recheck:
			if now.Before(busyUntil) && end == now {
				nextRecheck = time.Time{} // the running round arms the next
			}
		}
	}
}

// TestSimDetection measures how long after the self-hosted primary dies
// (refusing connections, or hanging) the new order is written, with the
// shipped settings, over failure moments spread across the schedule.
func TestSimDetection(t *testing.T) {
	t.Parallel()
	start := t0
	healthyFor := 10 * time.Minute
	detect := func(how cond, offset time.Duration) time.Duration {
		dead := start.Add(healthyFor + offset)
		s := defaultRun(func(_ int, now time.Time) cond {
			if now.Before(dead) {
				return up
			}
			return how
		})
		w := s.run(t, start, healthyFor+5*time.Minute)
		if len(w) != 1 || w[0].Order.Primary != fallback {
			t.Fatalf("offset %v: writes %+v, want one with %s as primary", offset, w, fallback)
		}
		return w[0].At.Sub(dead)
	}
	// The write must leave room in the 30 s goal for follow's period (with
	// its jitter), the SSM round trips and the gateway's reload.
	budget := 30*time.Second - (configs.DefaultFollowEvery * 12 / 10) - 2*time.Second
	for _, how := range []cond{refused, hanging} {
		var worst, sum time.Duration
		best := time.Hour
		var steps time.Duration
		for off := time.Duration(0); off < time.Minute; off += 250 * time.Millisecond {
			d := detect(how, off)
			worst, best = max(worst, d), min(best, d)
			sum += d
			steps++
		}
		name := map[cond]string{refused: "refused", hanging: "hanging"}[how]
		t.Logf("%s primary: failure to order written over %d moments across the schedule: best %v, mean %v, worst %v (budget %v)",
			name, steps, best, sum/steps, worst, budget)
		if worst > budget {
			t.Errorf("%s: worst detection %v exceeds the %v the 30 s goal leaves", name, worst, budget)
		}
	}
}

// TestSimFlapping measures (b): a primary alternating up and down with
// default settings for 24 simulated hours; order changes (target writes)
// per clock hour after the first hour must stay at or below 2.
func TestSimFlapping(t *testing.T) {
	t.Parallel()
	patterns := map[string]func(n int, now time.Time) cond{
		// down every other minute, refusing
		"flips every minute": func(_ int, now time.Time) cond {
			if (now.Sub(t0)/time.Minute)%2 == 1 {
				return refused
			}
			return up
		},
		// down every other minute, hanging
		"hangs every other minute": func(_ int, now time.Time) cond {
			if (now.Sub(t0)/time.Minute)%2 == 1 {
				return hanging
			}
			return up
		},
		// every single request answered the opposite way of the one before
		"flips every request": func(n int, _ time.Time) cond {
			if n%2 == 1 {
				return refused
			}
			return up
		},
	}
	for name, p := range patterns {
		for _, dropDown := range []bool{false, true} {
			s := defaultRun(p)
			s.dropDown = dropDown
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
