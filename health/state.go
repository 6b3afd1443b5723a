package health

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/provwatch/provwatch/internal/text"
	"github.com/provwatch/provwatch/probes"
)

// stateVersion is the version of the persisted tracker format. A change
// that an older provwatch could misread bumps it.
const stateVersion = 1

// maxSavedDetail bounds each saved detail: an SSM Standard parameter holds
// 4 KB, and the detail is only for people (the next probe refreshes it).
const maxSavedDetail = 120

type savedTracker struct {
	Version *int                `json:"version"`
	Refs    map[string]savedRef `json:"refs"`
}

type savedWhy struct {
	Reason probes.Reason `json:"reason"`
	Detail string        `json:"detail,omitempty"`
}

type savedRef struct {
	State  probes.State  `json:"state"`
	Reason probes.Reason `json:"reason"`
	Detail string        `json:"detail,omitempty"`
	Since  time.Time     `json:"since"`
	// Recent is the latest observed states, oldest first, one letter each:
	// h healthy, d degraded, x down. Letters keep the state small.
	Recent string                    `json:"recent"`
	LastAt time.Time                 `json:"last_at"`
	Latest map[probes.State]savedWhy `json:"latest,omitempty"`
	Level  int                       `json:"level,omitempty"`
	Hold   string                    `json:"hold,omitempty"`
	Demote *time.Time                `json:"demoted_at,omitempty"`
	Decay  *time.Time                `json:"decay_from,omitempty"`
}

const stateLetters = "hdx"

// MarshalJSON persists the tracker through a Store: {"version":1,"refs":{…}}.
func (t *Tracker) MarshalJSON() ([]byte, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	v := stateVersion
	out := savedTracker{Version: &v, Refs: make(map[string]savedRef, len(t.refs))}
	for ref, rs := range t.refs {
		recent := make([]byte, len(rs.recent))
		for i, s := range rs.recent {
			recent[i] = stateLetters[s]
		}
		sr := savedRef{
			State: rs.health.State, Reason: rs.health.Reason,
			Detail: text.Truncate(rs.health.Detail, maxSavedDetail),
			Since:  rs.health.Since, Recent: string(recent), LastAt: rs.lastAt,
			Level: rs.level,
		}
		for s, w := range rs.latest {
			// Only a state still in the recent window can become the next
			// state; the current state's reason is the health's own.
			if w == (why{}) || probes.State(s) == rs.health.State || !slices.Contains(rs.recent, probes.State(s)) {
				continue
			}
			if sr.Latest == nil {
				sr.Latest = map[probes.State]savedWhy{}
			}
			sr.Latest[probes.State(s)] = savedWhy{w.Reason, text.Truncate(w.Detail, maxSavedDetail/2)}
		}
		if rs.hold > 0 {
			sr.Hold = rs.hold.String()
		}
		if !rs.demotedAt.IsZero() {
			d := rs.demotedAt
			sr.Demote = &d
		}
		if !rs.decayFrom.IsZero() {
			d := rs.decayFrom
			sr.Decay = &d
		}
		out.Refs[ref] = sr
	}
	return json.Marshal(out)
}

// UnmarshalJSON restores a tracker saved by MarshalJSON. Data that is not
// such a state (corrupt, another program's, a newer version) is an error
// and leaves the tracker as it was: the caller reports it and starts fresh.
func (t *Tracker) UnmarshalJSON(data []byte) error {
	var in savedTracker
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return fmt.Errorf("provwatch state is not valid: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("provwatch state is not valid: data after the JSON document")
	}
	if in.Version == nil {
		return errors.New("provwatch state is not valid: no \"version\" (is the state pointing at another program's data, such as the target?)")
	}
	if *in.Version != stateVersion {
		return fmt.Errorf("provwatch state has version %d, this provwatch reads version %d", *in.Version, stateVersion)
	}
	refs := make(map[string]*refState, len(in.Refs))
	for ref, sr := range in.Refs {
		rs, err := restoreRef(ref, sr)
		if err != nil {
			return fmt.Errorf("provwatch state is not valid: ref %q: %w", ref, err)
		}
		refs[ref] = rs
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.refs == nil {
		t.refs = map[string]*refState{}
	}
	w := t.window()
	for _, rs := range refs {
		if len(rs.recent) > w {
			rs.recent = rs.recent[len(rs.recent)-w:]
		}
	}
	t.refs = refs
	return nil
}

func restoreRef(ref string, sr savedRef) (*refState, error) {
	if ref == "" {
		return nil, errors.New("empty ref")
	}
	if sr.State < probes.Healthy || sr.State > probes.Down {
		return nil, fmt.Errorf("state %d out of range", sr.State)
	}
	if sr.Since.IsZero() {
		return nil, errors.New("no \"since\"")
	}
	if sr.Recent == "" {
		return nil, errors.New("no recent observations")
	}
	if sr.Level < 0 || sr.Level > 62 {
		return nil, fmt.Errorf("level %d out of range", sr.Level)
	}
	rs := &refState{
		health: ModelHealth{Ref: ref, State: sr.State, Reason: sr.Reason, Detail: sr.Detail, Since: sr.Since},
		lastAt: sr.LastAt,
		level:  sr.Level,
	}
	for i := 0; i < len(sr.Recent); i++ {
		j := bytes.IndexByte([]byte(stateLetters), sr.Recent[i])
		if j < 0 {
			return nil, fmt.Errorf("recent observations %q: unknown letter %q", sr.Recent, sr.Recent[i])
		}
		rs.recent = append(rs.recent, probes.State(j))
	}
	for s, w := range sr.Latest {
		if s < probes.Healthy || s > probes.Down {
			return nil, fmt.Errorf("latest reason for state %d out of range", s)
		}
		rs.latest[s] = why{w.Reason, w.Detail}
	}
	// The current state's latest reason is the health's own (not saved twice).
	rs.latest[sr.State] = why{sr.Reason, sr.Detail}
	if sr.Hold != "" {
		h, err := time.ParseDuration(sr.Hold)
		if err != nil || h < 0 {
			return nil, fmt.Errorf("hold %q is not a duration", sr.Hold)
		}
		rs.hold = h
	}
	if sr.Demote != nil {
		rs.demotedAt = *sr.Demote
	}
	if sr.Decay != nil {
		rs.decayFrom = *sr.Decay
	}
	return rs, nil
}
