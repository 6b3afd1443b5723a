// Package health turns a model's observations into its evaluated state,
// with hysteresis: the stage between the probes' results and everything
// that acts on health (the order, the report, metrics, notifications).
package health

import (
	"sync"
	"time"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/probes"
)

// ModelHealth is a model ref's evaluated health.
type ModelHealth struct {
	Ref    string        `json:"ref"`
	State  probes.State  `json:"state"`
	Reason probes.Reason `json:"reason"`
	Detail string        `json:"detail"`
	Since  time.Time     `json:"since"`
}

// Transition is a confirmed change of a model's state.
type Transition struct {
	Ref      string
	From, To probes.State
	Reason   probes.Reason
	Detail   string
	At       time.Time
	// Initial marks a ref's first observation that was not healthy. From is
	// then Healthy: the configured order treats every model as working, so
	// a model first seen down moves in the order like a demoted one.
	Initial bool
	// Hold is, for a demotion, how long a restore is held back from At.
	Hold time.Duration
}

// why is an observation's reason and detail.
type why struct {
	Reason probes.Reason
	Detail string
}

// refState is everything the tracker knows about one ref.
type refState struct {
	health ModelHealth
	// recent holds the latest observed states, oldest first, at most
	// max(fail_after, recover_after) of them: a transition needs only that
	// many consecutive observations.
	recent []probes.State
	lastAt time.Time
	// latest is the reason and detail of the newest observation of each state.
	latest [3]why
	// level counts recent demotions; it sets the hold (min_hold doubled per
	// level above one, up to max_hold) and decays while the model is healthy.
	level     int
	hold      time.Duration // the hold of the latest demotion
	demotedAt time.Time     // when the latest demotion happened
	decayFrom time.Time     // start of the current stable healthy stretch being counted
}

// Tracker applies docs/reference.md §3's hysteresis to observations.
//
// Rules (docs/remediation.md explains them for users):
//   - a ref with no history takes its first observation's state;
//   - a demotion to state L happens when the latest fail_after observations
//     are all at least as bad as L and L is worse than the current state; L
//     is the mildest of them, so healthy→degraded→down counts every bad
//     observation and mixed degraded/down observations still demote;
//   - a restore to L happens when the latest recover_after observations are
//     all at least as good as L, L is better than the current state (L is
//     the worst of them), and the hold counted from the latest demotion
//     has passed;
//   - every demotion raises the level by one; the hold is min_hold at level
//     1 and doubles per level up to max_hold; while the model stays healthy,
//     each full hold-length of health lowers the level by one (the hold
//     halves), so a model that stopped flapping is trusted again in steps.
//
// It is driven only by the times passed in, and is safe for concurrent use.
type Tracker struct {
	mu   sync.Mutex
	cfg  configs.Health
	refs map[string]*refState
}

// NewTracker returns an empty tracker.
func NewTracker(cfg configs.Health) *Tracker {
	return &Tracker{cfg: cfg, refs: map[string]*refState{}}
}

func (t *Tracker) failAfter() int    { return max(t.cfg.FailAfter, 1) }
func (t *Tracker) recoverAfter() int { return max(t.cfg.RecoverAfter, 1) }
func (t *Tracker) window() int       { return max(t.failAfter(), t.recoverAfter()) }

// maxLevel is the level whose hold first reaches max_hold; counting higher
// would only make decay slower without making the hold longer.
func (t *Tracker) maxLevel() int {
	l := 1
	for t.holdFor(l) < t.maxHold() && l < 62 {
		l++
	}
	return l
}

func (t *Tracker) maxHold() time.Duration { return max(t.cfg.MaxHold, t.cfg.MinHold) }

// holdFor is the hold of a demotion at this level.
func (t *Tracker) holdFor(level int) time.Duration {
	d := max(t.cfg.MinHold, 0)
	if d == 0 {
		return 0
	}
	for i := 1; i < level; i++ {
		if d >= t.maxHold()/2 {
			return t.maxHold()
		}
		d *= 2
	}
	return min(d, t.maxHold())
}

// clampState treats a state outside the three known ones as down, the safe side.
func clampState(s probes.State) probes.State {
	if s < probes.Healthy || s > probes.Down {
		return probes.Down
	}
	return s
}

// Observe records one observation of a model and returns the confirmed
// transition it caused, or nil.
func (t *Tracker) Observe(now time.Time, obs probes.ModelResult) *Transition {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := clampState(obs.State)
	rs := t.refs[obs.Ref]
	if rs == nil {
		rs = &refState{
			health:    ModelHealth{Ref: obs.Ref, State: s, Reason: obs.Reason, Detail: obs.Detail, Since: now},
			recent:    []probes.State{s},
			lastAt:    now,
			decayFrom: now,
		}
		rs.latest[s] = why{obs.Reason, obs.Detail}
		t.refs[obs.Ref] = rs
		if s == probes.Healthy {
			return nil
		}
		t.demote(rs, now)
		return &Transition{Ref: obs.Ref, From: probes.Healthy, To: s, Reason: obs.Reason,
			Detail: obs.Detail, At: now, Initial: true, Hold: rs.hold}
	}

	t.decay(rs, now)
	rs.recent = append(rs.recent, s)
	if w := t.window(); len(rs.recent) > w {
		rs.recent = rs.recent[len(rs.recent)-w:]
	}
	rs.lastAt = now
	rs.latest[s] = why{obs.Reason, obs.Detail}

	cur := rs.health.State
	if s == cur {
		rs.health.Reason, rs.health.Detail = obs.Reason, obs.Detail
		return nil
	}
	if l, ok := t.demotionTo(rs); ok {
		tr := t.change(rs, l, now)
		t.demote(rs, now)
		tr.Hold = rs.hold
		return tr
	}
	if l, ok := t.restoreTo(rs); ok && !now.Before(rs.demotedAt.Add(rs.hold)) {
		tr := t.change(rs, l, now)
		if l == probes.Healthy {
			rs.decayFrom = now
		}
		return tr
	}
	return nil
}

// demotionTo is the state the latest fail_after observations agree the
// model is at least as bad as, when that is worse than its state.
func (t *Tracker) demotionTo(rs *refState) (probes.State, bool) {
	n := t.failAfter()
	if len(rs.recent) < n {
		return 0, false
	}
	l := probes.Down
	for _, s := range rs.recent[len(rs.recent)-n:] {
		l = min(l, s)
	}
	return l, l > rs.health.State
}

// restoreTo is the state the latest recover_after observations agree the
// model is at least as good as, when that is better than its state.
func (t *Tracker) restoreTo(rs *refState) (probes.State, bool) {
	n := t.recoverAfter()
	if len(rs.recent) < n {
		return 0, false
	}
	l := probes.Healthy
	for _, s := range rs.recent[len(rs.recent)-n:] {
		l = max(l, s)
	}
	return l, l < rs.health.State
}

func (t *Tracker) change(rs *refState, to probes.State, now time.Time) *Transition {
	w := rs.latest[to]
	tr := &Transition{Ref: rs.health.Ref, From: rs.health.State, To: to, Reason: w.Reason, Detail: w.Detail, At: now}
	rs.health = ModelHealth{Ref: rs.health.Ref, State: to, Reason: w.Reason, Detail: w.Detail, Since: now}
	return tr
}

func (t *Tracker) demote(rs *refState, now time.Time) {
	rs.level = min(rs.level+1, t.maxLevel())
	rs.hold = t.holdFor(rs.level)
	rs.demotedAt = now
}

// decay lowers the level once per full hold-length the model has been
// healthy, counted from its restore (or the previous step down).
func (t *Tracker) decay(rs *refState, now time.Time) {
	if rs.health.State != probes.Healthy {
		return
	}
	for rs.level > 0 {
		h := t.holdFor(rs.level)
		if h <= 0 || now.Sub(rs.decayFrom) < h {
			return
		}
		rs.decayFrom = rs.decayFrom.Add(h)
		rs.level--
	}
}

// Get returns a model's evaluated health.
func (t *Tracker) Get(ref string) (ModelHealth, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	rs := t.refs[ref]
	if rs == nil {
		return ModelHealth{}, false
	}
	return rs.health, true
}

// State returns a model's state, Unknown when it has no history: a ref
// never observed (a provider provwatch has no probe for, one with mode off,
// one left out by --provider) is neither evidence for a move nor a working
// model, so the plan leaves it in its place. It fits NewPlan's and
// Effective's state argument.
func (t *Tracker) State(ref string) probes.State {
	h, ok := t.Get(ref)
	if !ok {
		return probes.Unknown
	}
	return h.State
}

// HeldUntil returns when a demoted model's hold ends, and whether a
// restore is waiting for it now (its recent observations already agree it
// is better). It is for reports: "restore held until 10:35".
func (t *Tracker) HeldUntil(ref string) (until time.Time, waiting bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	rs := t.refs[ref]
	if rs == nil || rs.demotedAt.IsZero() {
		return time.Time{}, false
	}
	until = rs.demotedAt.Add(rs.hold)
	_, ok := t.restoreTo(rs)
	return until, ok
}

// Unconfirmed reports whether any of these refs has a latest observation
// that differs from its state, so it should be re-probed at recheck_interval.
// A restore that has its recover_after observations and waits only for the
// hold is not unconfirmed: probing faster cannot end a hold, and a `once`
// would otherwise keep probing for the whole hold.
func (t *Tracker) Unconfirmed(refs []string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, r := range refs {
		rs := t.refs[r]
		if rs == nil || len(rs.recent) == 0 {
			continue
		}
		last := rs.recent[len(rs.recent)-1]
		if last == rs.health.State {
			continue
		}
		if last < rs.health.State {
			if _, ok := t.restoreTo(rs); ok {
				continue
			}
		}
		return true
	}
	return false
}

// Forget drops every ref not in keep, so a model removed from the config
// does not linger in the state forever.
func (t *Tracker) Forget(keep []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := make(map[string]bool, len(keep))
	for _, r := range keep {
		k[r] = true
	}
	for r := range t.refs {
		if !k[r] {
			delete(t.refs, r)
		}
	}
}
