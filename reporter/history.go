package reporter

import (
	"context"
	"sync"
	"time"

	"github.com/provwatch/provwatch/probes"
	"github.com/provwatch/provwatch/remediate"
)

// Default bounds of a History: two hours of one-minute cycles per series,
// and the changes an operator scrolls through after being paged.
const (
	DefaultHistoryPoints = 120
	DefaultHistoryEvents = 50
	// maxHistorySeries bounds the number of providers and refs remembered,
	// so a daemon whose config keeps changing does not grow without end.
	maxHistorySeries = 256
)

// LatencyPoint is one probe of a provider.
type LatencyPoint struct {
	Time      time.Time `json:"time"`
	LatencyMS float64   `json:"latency_ms"`
	OK        bool      `json:"ok"`
}

// StatePoint is one cycle's evaluated state of a model ref.
type StatePoint struct {
	Time      time.Time     `json:"time"`
	State     probes.State  `json:"state"`
	Reason    probes.Reason `json:"reason"`
	LatencyMS float64       `json:"latency_ms"`
}

// ProviderSeries is a provider's recent probes, oldest first.
type ProviderSeries struct {
	ID     string         `json:"id"`
	Points []LatencyPoint `json:"points"`
}

// RefSeries is a model ref's recent states, oldest first.
type RefSeries struct {
	Ref    string       `json:"ref"`
	Points []StatePoint `json:"points"`
}

// HistorySnapshot is a copy of a History, safe to read while it changes.
type HistorySnapshot struct {
	Providers []ProviderSeries  `json:"providers"` // in order of first appearance
	Refs      []RefSeries       `json:"refs"`      // in order of first appearance
	Events    []remediate.Event `json:"events"`    // oldest first
	Cycles    int               `json:"cycles"`    // reports added since start
}

// History keeps recent cycles and changes in memory for the status page.
// Memory is bounded: a fixed number of points per series, of series, and
// of events. It is safe for concurrent use; the zero value uses the default
// bounds. It is also a Sink, so the engine can publish to it like any other.
type History struct {
	mu          sync.Mutex
	maxPoints   int
	maxEvents   int
	cycles      int
	providers   map[string]*histSeries[LatencyPoint]
	provOrder   []string
	refs        map[string]*histSeries[StatePoint]
	refOrder    []string
	events      histRing[remediate.Event]
	initialized bool
}

var _ Sink = (*History)(nil)

// NewHistory returns a History keeping the last points probes per provider
// and model ref, and the last events changes; 0 or less takes the defaults.
func NewHistory(points, events int) *History {
	h := &History{maxPoints: points, maxEvents: events}
	h.init()
	return h
}

func (h *History) init() {
	if h.initialized {
		return
	}
	if h.maxPoints <= 0 {
		h.maxPoints = DefaultHistoryPoints
	}
	if h.maxEvents <= 0 {
		h.maxEvents = DefaultHistoryEvents
	}
	h.providers = map[string]*histSeries[LatencyPoint]{}
	h.refs = map[string]*histSeries[StatePoint]{}
	h.events = histRing[remediate.Event]{max: h.maxEvents}
	h.initialized = true
}

// Add records a finished cycle: each provider's probe latency and each
// model ref's state. A provider whose probe is the one already recorded
// (a liveness or recheck round that did not probe it reports its last
// result again) adds no point: while a self-hosted server is down, such
// rounds come every few seconds, and repeating every other provider's
// last probe would fill the bounded history in minutes. It does not
// derive events; record those with AddEvent.
func (h *History) Add(r *Report) {
	if r == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.init()
	h.cycles++
	for _, p := range r.Providers {
		at := r.Time
		if !p.Start.IsZero() {
			at = p.Start
		}
		s := histGet(h.providers, &h.provOrder, p.ID, h.maxPoints, h.cycles)
		if last, ok := s.points.last(); ok && !p.Start.IsZero() && last.Time.Equal(at) {
			// The same probe: its refs' states cannot have changed either,
			// since only an observation of this provider changes them.
			for _, m := range p.Models {
				histGet(h.refs, &h.refOrder, m.Ref, h.maxPoints, h.cycles)
			}
			continue
		}
		s.points.push(LatencyPoint{Time: at.UTC(), LatencyMS: p.Probe.LatencyMS, OK: p.Probe.OK})
		for _, m := range p.Models {
			rs := histGet(h.refs, &h.refOrder, m.Ref, h.maxPoints, h.cycles)
			rs.points.push(StatePoint{Time: at.UTC(), State: m.State, Reason: m.Reason, LatencyMS: p.Probe.LatencyMS})
		}
	}
}

// AddEvent records a change; events beyond the bound drop the oldest.
func (h *History) AddEvent(e remediate.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.init()
	e.Time = e.Time.UTC()
	h.events.push(e)
}

// Snapshot returns a deep copy of what the History holds now.
func (h *History) Snapshot() HistorySnapshot {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.init()
	snap := HistorySnapshot{
		Providers: make([]ProviderSeries, 0, len(h.provOrder)),
		Refs:      make([]RefSeries, 0, len(h.refOrder)),
		Events:    h.events.slice(),
		Cycles:    h.cycles,
	}
	for _, id := range h.provOrder {
		snap.Providers = append(snap.Providers, ProviderSeries{ID: id, Points: h.providers[id].points.slice()})
	}
	for _, ref := range h.refOrder {
		snap.Refs = append(snap.Refs, RefSeries{Ref: ref, Points: h.refs[ref].points.slice()})
	}
	return snap
}

// Publish adds r, so a History can sit among the engine's sinks.
func (h *History) Publish(_ context.Context, r *Report) error {
	h.Add(r)
	return nil
}

// Close does nothing: a History holds nothing to flush.
func (h *History) Close(context.Context) error { return nil }

// histSeries is one provider's or ref's ring of points.
type histSeries[T any] struct {
	points   histRing[T]
	lastSeen int // cycle number of the last update, for eviction
}

// histGet returns the series for key, creating it and evicting the least
// recently updated series when the bound is reached.
func histGet[T any](m map[string]*histSeries[T], order *[]string, key string, maxPoints, cycle int) *histSeries[T] {
	s, ok := m[key]
	if !ok {
		if len(*order) >= maxHistorySeries {
			oldest := 0
			for i, k := range *order {
				if m[k].lastSeen < m[(*order)[oldest]].lastSeen {
					oldest = i
				}
			}
			delete(m, (*order)[oldest])
			*order = append((*order)[:oldest], (*order)[oldest+1:]...)
		}
		s = &histSeries[T]{points: histRing[T]{max: maxPoints}}
		m[key] = s
		*order = append(*order, key)
	}
	s.lastSeen = cycle
	return s
}

// histRing is a fixed-capacity ring buffer that overwrites its oldest item.
type histRing[T any] struct {
	buf  []T
	next int // where the next push goes once buf is full
	max  int
}

func (r *histRing[T]) push(v T) {
	if len(r.buf) < r.max {
		r.buf = append(r.buf, v)
		return
	}
	r.buf[r.next] = v
	r.next = (r.next + 1) % r.max
}

// last returns the newest item, if any.
func (r *histRing[T]) last() (T, bool) {
	var zero T
	switch {
	case len(r.buf) == 0:
		return zero, false
	case len(r.buf) < r.max || r.next == 0:
		return r.buf[len(r.buf)-1], true
	}
	return r.buf[r.next-1], true
}

// slice returns a copy, oldest first.
func (r *histRing[T]) slice() []T {
	out := make([]T, 0, len(r.buf))
	out = append(out, r.buf[r.next:]...)
	return append(out, r.buf[:r.next]...)
}
