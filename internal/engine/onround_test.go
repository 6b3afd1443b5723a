package engine_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/internal/engine"
	"github.com/provwatch/provwatch/remediate"
	"github.com/provwatch/provwatch/reporter"
)

type roundLog struct {
	events [][]remediate.Event
	reps   []*reporter.Report
}

// adjust makes an engine log its rounds in r.
func (r *roundLog) adjust(o *engine.Options) {
	o.OnRound = func(rep *reporter.Report, evs []remediate.Event) {
		r.events = append(r.events, append([]remediate.Event(nil), evs...))
		r.reps = append(r.reps, rep)
	}
}

// TestOnRoundOncePerRoundWithItsEvents: OnRound sees each round once, at
// its end, with exactly the events OnEvent saw in it and the round's report.
func TestOnRoundOncePerRoundWithItsEvents(t *testing.T) {
	w := newWorld(t)
	var rounds roundLog
	e := w.engine(t, rounds.adjust)
	ctx := context.Background()
	rep1, err := e.Cycle(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rep2, err := e.Cycle(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rounds.events) != 2 || rounds.reps[0] != rep1 || rounds.reps[1] != rep2 {
		t.Fatalf("OnRound called %d times, want 2 with each round's report", len(rounds.events))
	}
	// Round 1 wrote the order (the target did not exist); round 2 changed nothing.
	if len(rounds.events[0]) != len(w.events) || len(w.events) == 0 || rounds.events[0][len(w.events)-1].Kind != remediate.EventOrder {
		t.Errorf("round 1 events %+v, OnEvent saw %+v", rounds.events[0], w.events)
	}
	if len(rounds.events[1]) != 0 {
		t.Errorf("round 2 events %+v, want none", rounds.events[1])
	}
}

// TestOnRoundTellsTargetErrors: a target that cannot be written gives a
// target_error event each round (OnEvent is not told).
func TestOnRoundTellsTargetErrors(t *testing.T) {
	w := newWorld(t)
	blocker := filepath.Join(w.dir, "not-a-directory")
	if err := os.WriteFile(blocker, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	w.s.Remediation.Target = configs.Location{Scheme: configs.SchemeFile, Path: filepath.Join(blocker, "order.json")}
	var rounds roundLog
	e := w.engine(t, rounds.adjust)
	for i := 0; i < 2; i++ {
		if _, err := e.Cycle(context.Background()); err != nil {
			t.Fatal(err)
		}
		evs := rounds.events[i]
		last := evs[len(evs)-1]
		if last.Kind != remediate.EventTargetError || last.Path != w.s.Remediation.Target.String() || last.Detail == "" {
			t.Errorf("round %d: events %+v, want a target_error last", i+1, evs)
		}
	}
	for _, ev := range w.events {
		if ev.Kind == remediate.EventTargetError {
			t.Errorf("OnEvent was told %+v", ev)
		}
	}
}
