package sim_test

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/provwatch/provwatch/internal/sim"
)

func TestScriptAdvance(t *testing.T) {
	t.Parallel()
	a := start(t, sim.OpenAI, sim.Options{})
	b := start(t, sim.Groq, sim.Options{})
	sc := sim.NewScript(
		sim.Step{After: 10 * time.Second, Target: b, Fault: sim.None},
		sim.Step{After: 5 * time.Second, Target: a, Fault: sim.Down},
		sim.Step{After: 5 * time.Second, Target: b, Fault: sim.RateLimited},
	)
	var seen []sim.Fault
	sc.OnStep = func(st sim.Step, err error) {
		if err != nil {
			t.Errorf("step %v: %v", st, err)
		}
		seen = append(seen, st.Fault)
	}
	if got, _ := sc.Advance(4 * time.Second); len(got) != 0 {
		t.Fatalf("steps before their time: %v", got)
	}
	got, err := sc.Advance(time.Second)
	if err != nil || len(got) != 2 {
		t.Fatalf("at 5s: %v %v", got, err)
	}
	if f, _ := a.Fault(); f != sim.Down {
		t.Fatalf("a = %s", f)
	}
	if f, _ := b.Fault(); f != sim.RateLimited {
		t.Fatalf("b = %s", f)
	}
	sc.AdvanceTo(3 * time.Second) // never backwards
	if sc.Elapsed() != 5*time.Second || sc.Done() {
		t.Fatalf("elapsed %s done %v", sc.Elapsed(), sc.Done())
	}
	sc.Advance(5 * time.Second)
	if f, _ := b.Fault(); f != sim.None || !sc.Done() {
		t.Fatalf("b = %s done %v", f, sc.Done())
	}
	if len(seen) != 3 || seen[0] != sim.Down || seen[1] != sim.RateLimited {
		t.Fatalf("OnStep order %v (same-time steps keep their order)", seen)
	}
	if _, err := sim.NewScript(sim.Step{Fault: sim.Down}).Advance(0); err == nil {
		t.Fatal("a step without a target must fail")
	}
}

// TestDemoScriptWithFakeClock runs the whole demo timeline on a fake clock
// and checks the story at each step.
func TestDemoScriptWithFakeClock(t *testing.T) {
	t.Parallel()
	f, sc, err := sim.StartDemo()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := f.Members()
	if m[0].ID != "ollama" || m[1].ID != "groq" || m[2].ID != "anthropic" {
		t.Fatalf("demo members %s %s %s", m[0].ID, m[1].ID, m[2].ID)
	}
	primary := m[0].Server
	type obs struct {
		at    time.Duration
		fault sim.Fault
	}
	var got []obs
	sc.OnStep = func(st sim.Step, err error) {
		if err != nil {
			t.Errorf("%s: %v", st.Note, err)
		}
		if st.Fault == sim.Refused {
			// While the primary is refused, a connect really is refused.
			if _, err := try(primary, "GET", "/", "", "", 5*time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
				t.Errorf("primary during outage: %v", err)
			}
		}
		got = append(got, obs{sc.Elapsed(), st.Fault})
	}
	clk := &fakeClock{now: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
	if err := sc.Run(context.Background(), clk, time.Second); err != nil {
		t.Fatal(err)
	}
	want := []obs{{15 * time.Second, sim.Refused}, {20 * time.Second, sim.RateLimited}, {35 * time.Second, sim.None}, {40 * time.Second, sim.None}}
	if len(got) != len(want) {
		t.Fatalf("steps %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("step %d = %v, want %v", i, got[i], want[i])
		}
	}
	if a := do(t, primary, "GET", "/api/tags", "", ""); a.status != 200 {
		t.Fatalf("primary after the script: %d", a.status)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := sim.DemoScript(primary, m[1].Server).Run(ctx, clk, time.Second); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run with a done context = %v", err)
	}
}

// TestDemoScriptSpedUp plays the demo timeline five times faster, as
// `provwatch demo --speed 5` does: each step comes at a fifth of its time
// on the underlying clock, with the note the demo prints.
func TestDemoScriptSpedUp(t *testing.T) {
	t.Parallel()
	f, sc, err := sim.StartDemo()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	clk := &fakeClock{now: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
	start := clk.now
	type obs struct {
		at   time.Duration // on the underlying clock
		note string
	}
	var got []obs
	sc.OnStep = func(st sim.Step, err error) {
		if err != nil {
			t.Errorf("%s: %v", st.Note, err)
		}
		got = append(got, obs{clk.now.Sub(start), st.Note})
	}
	if err := sc.Run(context.Background(), sim.SpedUp(clk, 5), time.Second); err != nil {
		t.Fatal(err)
	}
	primary := f.Members()[0].Addr()
	want := []obs{
		{3 * time.Second, "ollama stops answering: connection refused on " + primary},
		{4 * time.Second, "groq starts answering 429: rate limit reached"},
		{7 * time.Second, "groq's rate limit is lifted"},
		{8 * time.Second, "ollama is back on " + primary},
	}
	if len(got) != len(want) {
		t.Fatalf("steps %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("step %d = %v, want %v", i, got[i], want[i])
		}
	}
	if c := sim.SpedUp(clk, 0); c.Sleep(context.Background(), time.Second) != nil || clk.now.Sub(start) != 9*time.Second {
		t.Errorf("speed 0 should mean 1: clock at %s", clk.now.Sub(start))
	}
}

// fakeClock jumps forward instead of sleeping.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.now = c.now.Add(d)
	return nil
}
