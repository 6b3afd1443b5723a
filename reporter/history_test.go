package reporter

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/provwatch/provwatch/probes"
	"github.com/provwatch/provwatch/remediate"
)

// outCycle is a one-provider report at minute i with latency i ms.
func outCycle(i int, state probes.State) *Report {
	return &Report{
		Time: time.Date(2026, 11, 25, 10, i, 0, 0, time.UTC),
		Providers: []ProviderReport{{
			ID: "ollama", Probe: probes.ProbeInfo{OK: state != probes.Down, LatencyMS: float64(i)},
			Models: []ModelReport{{Ref: "ollama/qwen3-coder", State: state, Reason: probes.ReasonOK}},
		}},
	}
}

func TestHistoryKeepsTheLastPoints(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		h          *History
		add, wantN int
	}{
		{"under the bound", NewHistory(5, 3), 3, 3},
		{"wraps", NewHistory(5, 3), 12, 5},
		{"zero value takes the defaults", &History{}, DefaultHistoryPoints + 7, DefaultHistoryPoints},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for i := 1; i <= tt.add; i++ {
				tt.h.Add(outCycle(i, probes.Healthy))
			}
			snap := tt.h.Snapshot()
			if snap.Cycles != tt.add {
				t.Errorf("Cycles = %d, want %d", snap.Cycles, tt.add)
			}
			if len(snap.Providers) != 1 || len(snap.Refs) != 1 {
				t.Fatalf("series: %d providers, %d refs; want 1 and 1", len(snap.Providers), len(snap.Refs))
			}
			pts := snap.Providers[0].Points
			if len(pts) != tt.wantN {
				t.Fatalf("kept %d points, want %d", len(pts), tt.wantN)
			}
			// Oldest first, and the newest is the last added.
			for i, p := range pts {
				want := float64(tt.add - tt.wantN + 1 + i)
				if p.LatencyMS != want {
					t.Errorf("point %d latency = %v, want %v", i, p.LatencyMS, want)
				}
			}
			if got := len(snap.Refs[0].Points); got != tt.wantN {
				t.Errorf("ref kept %d points, want %d", got, tt.wantN)
			}
		})
	}
}

func TestHistoryEventsBoundedOldestFirst(t *testing.T) {
	t.Parallel()
	h := NewHistory(0, 3)
	base := time.Date(2026, 11, 25, 10, 0, 0, 0, time.FixedZone("CET", 3600))
	for i := range 5 {
		h.AddEvent(remediate.Event{Time: base.Add(time.Duration(i) * time.Minute), Kind: remediate.EventState, Ref: fmt.Sprintf("p/m%d", i)})
	}
	ev := h.Snapshot().Events
	if len(ev) != 3 {
		t.Fatalf("kept %d events, want 3", len(ev))
	}
	for i, want := range []string{"p/m2", "p/m3", "p/m4"} {
		if ev[i].Ref != want {
			t.Errorf("event %d = %s, want %s", i, ev[i].Ref, want)
		}
	}
	if ev[0].Time.Location() != time.UTC {
		t.Errorf("event time kept zone %v, want UTC", ev[0].Time.Location())
	}
}

// TestHistoryRecordsEachProbeOnce: a round that probed only some providers
// (a liveness check or a recheck) reports the others' last results again,
// with their probes' start times. Those add no point; a new probe does.
func TestHistoryRecordsEachProbeOnce(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	round := func(at time.Time, ollamaStart, groqStart time.Time, ollamaMS, groqMS float64) *Report {
		return &Report{Time: at, Providers: []ProviderReport{
			{ID: "ollama", Start: ollamaStart, Probe: probes.ProbeInfo{OK: ollamaMS < 100, LatencyMS: ollamaMS},
				Models: []ModelReport{{Ref: "ollama/qwen3-coder", State: probes.Healthy}}},
			{ID: "groq", Start: groqStart, Probe: probes.ProbeInfo{OK: true, LatencyMS: groqMS},
				Models: []ModelReport{{Ref: "groq/llama-3.3-70b-versatile", State: probes.Healthy}}},
		}}
	}
	h := NewHistory(0, 0)
	h.Add(round(t0, t0, t0, 12, 80)) // a full cycle
	// Six liveness rounds, 5 s apart, observe ollama only; groq's probe
	// of t0 is reported again each time.
	for i := 1; i <= 6; i++ {
		at := t0.Add(time.Duration(i) * 5 * time.Second)
		h.Add(round(at, at, t0, 2000, 80))
	}
	h.Add(round(t0.Add(time.Minute), t0.Add(time.Minute), t0.Add(time.Minute), 2000, 85)) // the next cycle
	snap := h.Snapshot()
	got := map[string][]float64{}
	for _, s := range snap.Providers {
		for _, p := range s.Points {
			got[s.ID] = append(got[s.ID], p.LatencyMS)
		}
	}
	if want := []float64{80, 85}; fmt.Sprint(got["groq"]) != fmt.Sprint(want) {
		t.Errorf("groq points %v, want %v: one per probe", got["groq"], want)
	}
	if n := len(got["ollama"]); n != 8 {
		t.Errorf("ollama has %d points, want 8: every round probed it", n)
	}
	refs := map[string]int{}
	for _, s := range snap.Refs {
		refs[s.Ref] = len(s.Points)
	}
	if refs["groq/llama-3.3-70b-versatile"] != 2 || refs["ollama/qwen3-coder"] != 8 {
		t.Errorf("ref points %v, want 2 for groq's model and 8 for ollama's", refs)
	}
	if snap.Cycles != 8 {
		t.Errorf("Cycles = %d, want every report counted (8)", snap.Cycles)
	}
}

func TestHistorySnapshotIsACopy(t *testing.T) {
	t.Parallel()
	h := NewHistory(4, 4)
	h.Add(outCycle(1, probes.Healthy))
	h.AddEvent(remediate.Event{Kind: remediate.EventState, Ref: "a/b", To: probes.Down})
	snap := h.Snapshot()
	snap.Providers[0].Points[0].LatencyMS = 999
	snap.Events[0].To = probes.Healthy
	again := h.Snapshot()
	if again.Providers[0].Points[0].LatencyMS != 1 || again.Events[0].To != probes.Down {
		t.Errorf("changing a snapshot changed the history: %+v", again)
	}
}

func TestHistoryEvictsStaleSeries(t *testing.T) {
	t.Parallel()
	h := NewHistory(2, 2)
	h.Add(outCycle(0, probes.Healthy)) // "ollama" seen first, never again
	for i := range maxHistorySeries {
		h.Add(&Report{Providers: []ProviderReport{{ID: fmt.Sprintf("p%03d", i)}}})
	}
	snap := h.Snapshot()
	if len(snap.Providers) != maxHistorySeries {
		t.Fatalf("%d provider series, want the bound %d", len(snap.Providers), maxHistorySeries)
	}
	if snap.Providers[0].ID != "p000" || snap.Providers[len(snap.Providers)-1].ID != fmt.Sprintf("p%03d", maxHistorySeries-1) {
		t.Errorf("want the stale series evicted and the rest in first-seen order, got first %s last %s",
			snap.Providers[0].ID, snap.Providers[len(snap.Providers)-1].ID)
	}
}

func TestHistoryConcurrentUse(t *testing.T) {
	t.Parallel()
	h := NewHistory(10, 10)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				switch w {
				case 0:
					h.Add(outCycle(i%60, probes.Healthy))
				case 1:
					h.AddEvent(remediate.Event{Kind: remediate.EventState, Ref: "x"})
				case 2:
					_ = h.Publish(context.Background(), outCycle(i%60, probes.Down))
				default:
					_ = h.Snapshot()
				}
			}
		}()
	}
	wg.Wait()
	snap := h.Snapshot()
	if snap.Cycles != 100 || len(snap.Events) != 10 || len(snap.Providers[0].Points) != 10 {
		t.Errorf("after concurrent use: %d cycles, %d events, %d points; want 100, 10, 10",
			snap.Cycles, len(snap.Events), len(snap.Providers[0].Points))
	}
}

func TestHistRingLast(t *testing.T) {
	t.Parallel()
	r := histRing[int]{max: 3}
	if _, ok := r.last(); ok {
		t.Fatal("an empty ring has a last item")
	}
	for i := 1; i <= 7; i++ {
		r.push(i)
		if got, ok := r.last(); !ok || got != i {
			t.Fatalf("after pushing %d (next %d): last = %d, %v", i, r.next, got, ok)
		}
	}
}
