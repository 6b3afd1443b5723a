package health

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/probes"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func defaultHealth() configs.Health { return configs.DefaultSettings().Health }

func mr(ref string, s probes.State, reason probes.Reason) probes.ModelResult {
	return probes.ModelResult{Ref: ref, State: s, Reason: reason, Detail: string(reason) + " detail"}
}

const (
	H = probes.Healthy
	D = probes.Degraded
	X = probes.Down
)

func reasonOf(s probes.State) probes.Reason {
	switch s {
	case D:
		return probes.ReasonSlow
	case X:
		return probes.ReasonUnreachable
	}
	return probes.ReasonOK
}

// feed observes states one per step and returns the state after each.
func feed(tr *Tracker, ref string, start time.Time, step time.Duration, states ...probes.State) []probes.State {
	var out []probes.State
	for i, s := range states {
		tr.Observe(start.Add(time.Duration(i)*step), mr(ref, s, reasonOf(s)))
		h, _ := tr.Get(ref)
		out = append(out, h.State)
	}
	return out
}

func TestTrackerSequences(t *testing.T) {
	t.Parallel()
	cfg := defaultHealth()
	cfg.MinHold = 0 // sequences test counting; holds have their own test
	tests := []struct {
		name string
		in   []probes.State
		want []probes.State
	}{
		{"first observation healthy", []probes.State{H}, []probes.State{H}},
		{"first observation down is taken at once", []probes.State{X}, []probes.State{X}},
		{"three downs demote", []probes.State{H, X, X, X}, []probes.State{H, H, H, X}},
		{"an interrupted streak does not", []probes.State{H, X, X, H, X, X}, []probes.State{H, H, H, H, H, H}},
		{"mixed bad demotes to the mildest", []probes.State{H, D, X, X}, []probes.State{H, H, H, D}},
		{"further downs then demote to down", []probes.State{H, D, X, X, X}, []probes.State{H, H, H, D, X}},
		{"three goods restore", []probes.State{X, H, H, H}, []probes.State{X, X, X, H}},
		{"mixed good restores to the worst of them", []probes.State{X, H, D, H}, []probes.State{X, X, X, D}},
		{"degraded to down needs three", []probes.State{D, X, X, D, X, X, X}, []probes.State{D, D, D, D, D, D, X}},
		{"alternating never changes", []probes.State{H, X, H, X, H, X, H, X}, []probes.State{H, H, H, H, H, H, H, H}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr := NewTracker(cfg)
			got := feed(tr, "p/m", t0, time.Minute, tc.in...)
			if len(got) != len(tc.want) {
				t.Fatalf("got %v", got)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("after %v: states %v, want %v", tc.in, got, tc.want)
				}
			}
		})
	}
}

func TestTrackerTransitions(t *testing.T) {
	t.Parallel()
	tr := NewTracker(defaultHealth())
	if tr.Observe(t0, mr("a/m", H, probes.ReasonOK)) != nil {
		t.Fatal("first healthy observation must not be a transition")
	}
	tr.Observe(t0.Add(time.Minute), mr("a/m", X, probes.ReasonNoModel))
	tr.Observe(t0.Add(70*time.Second), mr("a/m", X, probes.ReasonTimeout))
	at := t0.Add(80 * time.Second)
	got := tr.Observe(at, mr("a/m", X, probes.ReasonNoModel))
	if got == nil || got.From != H || got.To != X || got.Reason != probes.ReasonNoModel || !got.At.Equal(at) || got.Hold != 5*time.Minute || got.Initial {
		t.Fatalf("demotion = %+v", got)
	}
	h, _ := tr.Get("a/m")
	if h.Since != at || h.Reason != probes.ReasonNoModel {
		t.Fatalf("health = %+v", h)
	}
	// While down, reason/detail follow the latest down observation.
	tr.Observe(at.Add(time.Minute), probes.ModelResult{Ref: "a/m", State: X, Reason: probes.ReasonAuth, Detail: "401"})
	h, _ = tr.Get("a/m")
	if h.Reason != probes.ReasonAuth || h.Detail != "401" || h.Since != at {
		t.Fatalf("health after same-state observation = %+v", h)
	}

	first := tr.Observe(t0, mr("b/m", D, probes.ReasonSlow))
	if first == nil || !first.Initial || first.From != H || first.To != D {
		t.Fatalf("first degraded observation = %+v", first)
	}
}

func TestTrackerHoldBlocksRestore(t *testing.T) {
	t.Parallel()
	tr := NewTracker(defaultHealth())               // min_hold 5m
	feed(tr, "a/m", t0, 10*time.Second, H, X, X, X) // demoted at t0+30s
	demoted := t0.Add(30 * time.Second)
	// Healthy observations at once: counted, but the hold keeps it down.
	for i := 1; i <= 5; i++ {
		if tr.Observe(demoted.Add(time.Duration(i)*10*time.Second), mr("a/m", H, probes.ReasonOK)) != nil {
			t.Fatalf("restored inside the hold at observation %d", i)
		}
	}
	if tr.Unconfirmed([]string{"a/m"}) {
		t.Fatal("a restore waiting only for the hold must not ask for rechecks")
	}
	until, waiting := tr.HeldUntil("a/m")
	if !waiting || !until.Equal(demoted.Add(5*time.Minute)) {
		t.Fatalf("HeldUntil = %v %v", until, waiting)
	}
	if tr.Observe(demoted.Add(5*time.Minute-time.Second), mr("a/m", H, probes.ReasonOK)) != nil {
		t.Fatal("restored a second before the hold ends")
	}
	got := tr.Observe(demoted.Add(5*time.Minute), mr("a/m", H, probes.ReasonOK))
	if got == nil || got.To != H || got.From != X {
		t.Fatalf("restore when the hold ends = %+v", got)
	}
}

// demoteRestore demotes ref at `at` and restores it as soon as allowed,
// returning the demotion's hold and the restore time.
func demoteRestore(t *testing.T, tr *Tracker, ref string, at time.Time) (time.Duration, time.Time) {
	t.Helper()
	var hold time.Duration
	for i := 0; i < 3; i++ {
		if tr := tr.Observe(at.Add(time.Duration(i)*time.Second), mr(ref, X, probes.ReasonTimeout)); tr != nil {
			hold = tr.Hold
		}
	}
	if hold == 0 {
		t.Fatalf("no demotion at %v", at)
	}
	dem := at.Add(2 * time.Second)
	for i := 1; ; i++ {
		now := dem.Add(time.Duration(i) * 30 * time.Second)
		if tr := tr.Observe(now, mr(ref, H, probes.ReasonOK)); tr != nil {
			return hold, now
		}
		if i > 1000 {
			t.Fatal("never restored")
		}
	}
}

func TestTrackerHoldDoublesAndDecays(t *testing.T) {
	t.Parallel()
	tr := NewTracker(defaultHealth())
	tr.Observe(t0, mr("a/m", H, probes.ReasonOK))
	now := t0.Add(time.Minute)
	var holds []time.Duration
	for i := 0; i < 6; i++ {
		h, restored := demoteRestore(t, tr, "a/m", now)
		holds = append(holds, h)
		now = restored.Add(time.Minute)
	}
	want := []time.Duration{5 * time.Minute, 10 * time.Minute, 20 * time.Minute, 40 * time.Minute, time.Hour, time.Hour}
	for i := range want {
		if holds[i] != want[i] {
			t.Fatalf("holds %v, want %v", holds, want)
		}
	}
	// Staying healthy forgets one demotion per full hold-length of health:
	// 1h (at level 5) then 40m (at level 4) leave level 3, so the next
	// demotion (level 4) is held 40m instead of max_hold.
	last := now.Add(-time.Minute)
	end := last.Add(time.Hour + 40*time.Minute)
	for ts := last.Add(time.Minute); !ts.After(end); ts = ts.Add(time.Minute) {
		tr.Observe(ts, mr("a/m", H, probes.ReasonOK))
	}
	if h, _ := demoteRestore(t, tr, "a/m", end.Add(time.Second)); h != 40*time.Minute {
		t.Fatalf("after 1h40m healthy the hold is %v, want 40m", h)
	}

	// A long quiet period decays all the way back to min_hold.
	tr2 := NewTracker(defaultHealth())
	tr2.Observe(t0, mr("a/m", H, probes.ReasonOK))
	now = t0.Add(time.Minute)
	for i := 0; i < 5; i++ {
		_, restored := demoteRestore(t, tr2, "a/m", now)
		now = restored.Add(time.Minute)
	}
	tr2.Observe(now.Add(48*time.Hour), mr("a/m", H, probes.ReasonOK))
	if h, _ := demoteRestore(t, tr2, "a/m", now.Add(49*time.Hour)); h != 5*time.Minute {
		t.Fatalf("after two quiet days the hold is %v, want min_hold", h)
	}
}

func TestTrackerUnconfirmed(t *testing.T) {
	t.Parallel()
	tr := NewTracker(defaultHealth())
	refs := []string{"a/m", "b/m"}
	if tr.Unconfirmed(refs) {
		t.Fatal("no history is not unconfirmed")
	}
	tr.Observe(t0, mr("a/m", H, probes.ReasonOK))
	tr.Observe(t0, mr("b/m", H, probes.ReasonOK))
	if tr.Unconfirmed(refs) {
		t.Fatal("agreeing observations are not unconfirmed")
	}
	tr.Observe(t0.Add(time.Minute), mr("b/m", X, probes.ReasonTimeout))
	if !tr.Unconfirmed(refs) || tr.Unconfirmed([]string{"a/m"}) {
		t.Fatal("one differing observation of b must be unconfirmed, a not")
	}
	tr.Observe(t0.Add(70*time.Second), mr("b/m", H, probes.ReasonOK))
	if tr.Unconfirmed(refs) {
		t.Fatal("a refuted change is no longer unconfirmed")
	}
}

func TestTrackerForget(t *testing.T) {
	t.Parallel()
	tr := NewTracker(defaultHealth())
	tr.Observe(t0, mr("a/m", H, probes.ReasonOK))
	tr.Observe(t0, mr("b/m", X, probes.ReasonOK))
	tr.Forget([]string{"b/m"})
	if _, ok := tr.Get("a/m"); ok {
		t.Fatal("a/m not forgotten")
	}
	if _, ok := tr.Get("b/m"); !ok {
		t.Fatal("b/m forgotten")
	}
}

func TestTrackerPersistRoundTrip(t *testing.T) {
	t.Parallel()
	cfg := defaultHealth()
	orig := NewTracker(cfg)
	feed(orig, "a/m", t0, time.Minute, H, X, X, X, H, H)                          // down, restore pending hold
	feed(orig, "b/m", t0, time.Minute, D, D)                                      // degraded from the start
	feed(orig, "openrouter/google/gemini-flash-1.5", t0, time.Minute, H, H, D, D) // unconfirmed degradation
	data, err := json.Marshal(orig)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), `{"version":1,`) {
		t.Fatalf("saved state starts %.30s", data)
	}
	clone := NewTracker(cfg)
	if err := json.Unmarshal(data, clone); err != nil {
		t.Fatal(err)
	}
	// The clone must behave exactly like the original from here on.
	seq := []probes.State{H, H, D, X, X, X, X, H, H, H, H, H, H, H, H, H}
	for _, ref := range []string{"a/m", "b/m", "openrouter/google/gemini-flash-1.5"} {
		for i, s := range seq {
			now := t0.Add(10*time.Minute + time.Duration(i)*time.Minute)
			a := orig.Observe(now, mr(ref, s, reasonOf(s)))
			b := clone.Observe(now, mr(ref, s, reasonOf(s)))
			if (a == nil) != (b == nil) || (a != nil && *a != *b) {
				t.Fatalf("%s step %d: original %+v, restored %+v", ref, i, a, b)
			}
			ha, _ := orig.Get(ref)
			hb, _ := clone.Get(ref)
			if ha != hb || orig.Unconfirmed([]string{ref}) != clone.Unconfirmed([]string{ref}) {
				t.Fatalf("%s step %d: original %+v, restored %+v", ref, i, ha, hb)
			}
		}
	}
}

func TestTrackerRejectsForeignState(t *testing.T) {
	t.Parallel()
	good, _ := json.Marshal(func() *Tracker {
		tr := NewTracker(defaultHealth())
		tr.Observe(t0, mr("a/m", X, probes.ReasonTimeout))
		return tr
	}())
	tests := map[string]string{
		"empty":          ``,
		"garbage":        `not json`,
		"truncated":      string(good[:len(good)/2]),
		"the target":     `{"primary":"a/m","fallbacks":[]}`,
		"no version":     `{"refs":{}}`,
		"future version": `{"version":2,"refs":{}}`,
		"bad state":      `{"version":1,"refs":{"a/m":{"state":"sideways","since":"2026-01-01T00:00:00Z","recent":"h"}}}`,
		"bad letter":     `{"version":1,"refs":{"a/m":{"state":"down","since":"2026-01-01T00:00:00Z","recent":"hq"}}}`,
		"no since":       `{"version":1,"refs":{"a/m":{"state":"down","recent":"x"}}}`,
		"bad hold":       `{"version":1,"refs":{"a/m":{"state":"down","since":"2026-01-01T00:00:00Z","recent":"x","hold":"soon"}}}`,
		"trailing data":  string(good) + ` {}`,
		"an array":       `[1,2]`,
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tr := NewTracker(defaultHealth())
			tr.Observe(t0, mr("keep/me", H, probes.ReasonOK))
			if err := tr.UnmarshalJSON([]byte(in)); err == nil {
				t.Fatalf("UnmarshalJSON(%.40q) = nil error", in)
			}
			if _, ok := tr.Get("keep/me"); !ok {
				t.Fatal("a failed restore changed the tracker")
			}
		})
	}
}
