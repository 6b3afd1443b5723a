package sim

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"
)

// Clock tells the time and waits; the engine's clock (real or fake)
// satisfies it. Sleep returns ctx.Err() when ctx ends first.
type Clock interface {
	Now() time.Time
	Sleep(ctx context.Context, d time.Duration) error
}

// Step is one change on a Script's timeline.
type Step struct {
	After  time.Duration // since the script started
	Target *Server
	Fault  Fault
	Params FaultParams
	Note   string // one human line, e.g. "ollama stops: connection refused"
}

// Script applies Steps when their time comes. Drive it with Advance (tests)
// or Run with a clock (the demo). Safe for concurrent use.
type Script struct {
	// OnStep, when set, is called after each step is applied, with
	// SetFault's error. Set it before driving the script.
	OnStep func(Step, error)

	mu      sync.Mutex
	steps   []Step
	next    int
	elapsed time.Duration
}

// NewScript returns a script of the steps, ordered by After (steps at the
// same time keep their given order).
func NewScript(steps ...Step) *Script {
	s := &Script{steps: append([]Step(nil), steps...)}
	sort.SliceStable(s.steps, func(i, j int) bool { return s.steps[i].After < s.steps[j].After })
	return s
}

// Advance moves the script's time forward by d and applies every step now
// due, returning them and any SetFault errors joined.
func (s *Script) Advance(d time.Duration) ([]Step, error) {
	s.mu.Lock()
	s.elapsed += d
	return s.applyLocked()
}

// AdvanceTo sets the script's time to t since its start (never backwards)
// and applies every step now due.
func (s *Script) AdvanceTo(t time.Duration) ([]Step, error) {
	s.mu.Lock()
	if t > s.elapsed {
		s.elapsed = t
	}
	return s.applyLocked()
}

func (s *Script) applyLocked() ([]Step, error) {
	var due []Step
	for s.next < len(s.steps) && s.steps[s.next].After <= s.elapsed {
		due = append(due, s.steps[s.next])
		s.next++
	}
	s.mu.Unlock()
	var errs []error
	for _, st := range due {
		var err error
		if st.Target == nil {
			err = fmt.Errorf("sim: script step at %s (%s) has no target server", st.After, st.Note)
		} else {
			err = st.Target.SetFault(st.Fault, st.Params)
		}
		if err != nil {
			errs = append(errs, err)
		}
		if s.OnStep != nil {
			s.OnStep(st, err)
		}
	}
	return due, errors.Join(errs...)
}

// Elapsed returns the script's current time.
func (s *Script) Elapsed() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.elapsed
}

// Done reports whether every step has been applied.
func (s *Script) Done() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.next == len(s.steps)
}

// End returns the time of the last step.
func (s *Script) End() time.Duration {
	if len(s.steps) == 0 {
		return 0
	}
	return s.steps[len(s.steps)-1].After
}

// Run applies steps as clk's time passes, checking every tick, until every
// step is applied (nil) or ctx ends (its error). SetFault errors go to
// OnStep and do not stop the script.
func (s *Script) Run(ctx context.Context, clk Clock, tick time.Duration) error {
	if tick <= 0 {
		tick = 100 * time.Millisecond
	}
	start := clk.Now()
	for {
		_, _ = s.AdvanceTo(clk.Now().Sub(start))
		if s.Done() {
			return nil
		}
		if err := clk.Sleep(ctx, tick); err != nil {
			return err
		}
	}
}

// The demo timeline (docs/reference.md §1: `provwatch demo` ends by itself after about a minute).
const (
	DemoPrimaryDown     = 15 * time.Second
	DemoFallbackLimited = 20 * time.Second
	DemoFallbackLifted  = 35 * time.Second
	DemoPrimaryBack     = 40 * time.Second
	DemoDuration        = 60 * time.Second
)

// DemoScript is the demo's story: the local primary stops answering at 15 s
// and comes back at 40 s; the cloud fallback is rate-limited from 20 s to
// 35 s; the third provider (not scripted) stays healthy throughout. The
// notes are the lines `provwatch demo` prints.
func DemoScript(primary, fallback *Server) *Script {
	return NewScript(
		Step{After: DemoPrimaryDown, Target: primary, Fault: Refused,
			Note: fmt.Sprintf("%s stops answering: connection refused on %s", primary.Kind(), primary.Addr())},
		Step{After: DemoFallbackLimited, Target: fallback, Fault: RateLimited,
			Note: fmt.Sprintf("%s starts answering 429: rate limit reached", fallback.Kind())},
		Step{After: DemoFallbackLifted, Target: fallback, Fault: None,
			Note: fmt.Sprintf("%s's rate limit is lifted", fallback.Kind())},
		Step{After: DemoPrimaryBack, Target: primary, Fault: None,
			Note: fmt.Sprintf("%s is back on %s", primary.Kind(), primary.Addr())},
	)
}

// SpedUp returns a clock on which time passes speed times faster than on
// clk: Now counts speed seconds per second of clk since SpedUp was called,
// and Sleep(d) waits d/speed on clk. Run a Script on it to play the same
// timeline faster (`provwatch demo --speed`). A speed of 0 or less is 1.
func SpedUp(clk Clock, speed float64) Clock {
	if speed <= 0 {
		speed = 1
	}
	return &spedUp{clk: clk, speed: speed, start: clk.Now()}
}

type spedUp struct {
	clk   Clock
	speed float64
	start time.Time
}

func (s *spedUp) Now() time.Time {
	return s.start.Add(time.Duration(float64(s.clk.Now().Sub(s.start)) * s.speed))
}

func (s *spedUp) Sleep(ctx context.Context, d time.Duration) error {
	return s.clk.Sleep(ctx, time.Duration(float64(d)/s.speed))
}

// StartDemo starts the demo's three providers — an Ollama primary, a Groq
// fallback and an Anthropic fallback that stays healthy — and the script
// that breaks and heals them. The caller closes the fleet and renders its
// config with Fleet.OpenClawConfig.
func StartDemo() (*Fleet, *Script, error) {
	f, err := StartFleet(Spec{Kind: Ollama}, Spec{Kind: Groq}, Spec{Kind: Anthropic})
	if err != nil {
		return nil, nil, err
	}
	m := f.Members()
	return f, DemoScript(m[0].Server, m[1].Server), nil
}
