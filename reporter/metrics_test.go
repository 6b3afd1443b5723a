package reporter

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/probes"
)

func mtInt(v int) *int           { return &v }
func mtFloat(v float64) *float64 { return &v }

// mtReport is a hand-built cycle: ollama serves one of its two models,
// openrouter serves both (one slowly) and told us its rate-limit headroom,
// and the primary has failed over to openrouter.
func mtReport(t0 time.Time) *Report {
	return &Report{
		Time:    t0.Add(5 * time.Second),
		Healthy: 2, Degraded: 1, Down: 1,
		Providers: []ProviderReport{
			{
				ID: "ollama", API: "ollama", BaseURL: "http://10.0.1.5:11434",
				Probe: probes.ProbeInfo{OK: true, StatusCode: 200, LatencyMS: 12.4,
					Phases: probes.Phases{DNS: 0, Connect: 0.3, TLS: 0, TTFB: 11.2, Transfer: 0.4}},
				Start: t0,
				Models: []ModelReport{
					{Ref: "ollama/qwen3-coder", State: probes.Down, Reason: probes.ReasonNoModel,
						ConfiguredContextWindow: mtInt(128000)},
					{Ref: "ollama/llama3.1:8b", State: probes.Healthy, Reason: probes.ReasonOK,
						ContextWindow: mtInt(131072)},
				},
			},
			{
				ID: "openrouter", API: "openai-completions", BaseURL: "https://openrouter.ai/api/v1",
				Probe: probes.ProbeInfo{OK: true, StatusCode: 200, LatencyMS: 230.5,
					Phases: probes.Phases{DNS: 1.5, Connect: 20.25, TLS: 40.5, TTFB: 150, Transfer: 18.25}},
				RateLimit: probes.RateLimit{RequestsLimit: mtFloat(200), RequestsRemaining: mtFloat(84), Headroom: mtFloat(0.42)},
				Start:     t0.Add(time.Second),
				Models: []ModelReport{
					{Ref: "openrouter/google/gemini-flash-1.5", State: probes.Healthy, Reason: probes.ReasonOK,
						ContextWindow: mtInt(1000000)},
					{Ref: "openrouter/anthropic/claude-3.5-sonnet", State: probes.Degraded, Reason: probes.ReasonSlow,
						ContextWindow: mtInt(200000)},
				},
			},
		},
		Order: OrderReport{
			Configured: configs.Order{Primary: "ollama/qwen3-coder", Fallbacks: []string{"openrouter/google/gemini-flash-1.5", "openrouter/anthropic/claude-3.5-sonnet"}},
			Effective:  configs.Order{Primary: "openrouter/google/gemini-flash-1.5", Fallbacks: []string{"openrouter/anthropic/claude-3.5-sonnet", "ollama/qwen3-coder"}},
			Changed:    true,
		},
		OrderChanges: 1,
	}
}

// mtWant is one expected datum, written compactly: "Name Unit value at dims".
type mtWant struct {
	name, unit string
	value      float64
	at         time.Duration // after t0
	dims       string        // "Provider=ollama,Model=qwen3-coder"
}

// mtSampleWant is every datum mtReport makes with detail full and no
// static dimensions.
func mtSampleWant() []mtWant {
	const (
		ol = "Provider=ollama"
		or = "Provider=openrouter"
		s  = time.Second
	)
	return []mtWant{
		{MetricProbeSuccess, UnitNone, 1, 0, ol},
		{MetricProbeLatency, UnitMilliseconds, 12.4, 0, ol},
		{MetricModelAvailable, UnitNone, 0, 0, ol + ",Model=qwen3-coder"},
		{MetricHealthState, UnitNone, 2, 0, ol + ",Model=qwen3-coder"},
		{MetricModelAvailable, UnitNone, 1, 0, ol + ",Model=llama3.1:8b"},
		{MetricContextWindow, UnitCount, 131072, 0, ol + ",Model=llama3.1:8b"},
		{MetricHealthState, UnitNone, 0, 0, ol + ",Model=llama3.1:8b"},
		{MetricProbeSuccess, UnitNone, 1, s, or},
		{MetricProbeLatency, UnitMilliseconds, 230.5, s, or},
		{MetricRateLimitHeadroom, UnitPercent, 42, s, or},
		{MetricModelAvailable, UnitNone, 1, s, or + ",Model=google/gemini-flash-1.5"},
		{MetricContextWindow, UnitCount, 1000000, s, or + ",Model=google/gemini-flash-1.5"},
		{MetricHealthState, UnitNone, 0, s, or + ",Model=google/gemini-flash-1.5"},
		{MetricModelAvailable, UnitNone, 1, s, or + ",Model=anthropic/claude-3.5-sonnet"},
		{MetricContextWindow, UnitCount, 200000, s, or + ",Model=anthropic/claude-3.5-sonnet"},
		{MetricHealthState, UnitNone, 1, s, or + ",Model=anthropic/claude-3.5-sonnet"},
		{MetricFailoverActive, UnitNone, 1, 5 * s, ""},
		{MetricOrderChanges, UnitCount, 1, 5 * s, ""},
	}
}

func mtDims(dims []Dimension) string {
	parts := make([]string, len(dims))
	for i, d := range dims {
		parts[i] = d.Name + "=" + d.Value
	}
	return strings.Join(parts, ",")
}

// mtKey names a datum for comparisons that ignore order.
func mtKey(name, dims string) string { return name + "{" + dims + "}" }

// mtCheckData compares data with wants in any order, exactly.
func mtCheckData(t *testing.T, t0 time.Time, got []Datum, wants []mtWant) {
	t.Helper()
	byKey := map[string]Datum{}
	for _, d := range got {
		k := mtKey(d.Name, mtDims(d.Dimensions))
		if _, dup := byKey[k]; dup {
			t.Errorf("datum %s appears twice", k)
		}
		byKey[k] = d
	}
	for _, w := range wants {
		k := mtKey(w.name, w.dims)
		d, ok := byKey[k]
		if !ok {
			t.Errorf("missing datum %s", k)
			continue
		}
		delete(byKey, k)
		if d.Unit != w.unit || d.Value != w.value || !d.Time.Equal(t0.Add(w.at)) {
			t.Errorf("%s = %v %s at %s, want %v %s at %s", k, d.Value, d.Unit, d.Time, w.value, w.unit, t0.Add(w.at))
		}
	}
	for k := range byKey {
		t.Errorf("unexpected datum %s", k)
	}
}

func TestBuildData(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	now := t0.Add(time.Hour)

	basicNames := map[string]bool{MetricHealthState: true, MetricProbeSuccess: true, MetricProbeLatency: true, MetricFailoverActive: true}
	var basic []mtWant
	for _, w := range mtSampleWant() {
		if basicNames[w.name] {
			basic = append(basic, w)
		}
	}
	withStaticDims := func(ws []mtWant, suffix string) []mtWant {
		out := make([]mtWant, len(ws))
		for i, w := range ws {
			w.dims = strings.TrimPrefix(w.dims+","+suffix, ",")
			out[i] = w
		}
		return out
	}

	tests := []struct {
		name   string
		report func() *Report
		cfg    configs.Metrics
		want   []mtWant
	}{
		{"full", func() *Report { return mtReport(t0) }, configs.Metrics{Detail: "full"}, mtSampleWant()},
		{"detail empty is full", func() *Report { return mtReport(t0) }, configs.Metrics{}, mtSampleWant()},
		{"basic", func() *Report { return mtReport(t0) }, configs.Metrics{Detail: "basic"}, basic},
		{
			"static dimensions sorted, trimmed, reserved and empty ones skipped",
			func() *Report { return mtReport(t0) },
			configs.Metrics{Dimensions: map[string]string{
				"Stage": " prod ", "Deployment": "eu-1", "Provider": "x", "Empty": "  ", "_aws": "y",
			}},
			withStaticDims(mtSampleWant(), "Deployment=eu-1,Stage=prod"),
		},
		{
			"unknown values are left out, not sent as 0; non-finite latency dropped",
			func() *Report {
				r := mtReport(t0)
				r.Providers[1].RateLimit.Headroom = nil
				r.Providers[1].Models[0].ContextWindow = nil
				r.Providers[0].Probe.LatencyMS = math.NaN()
				return r
			},
			configs.Metrics{},
			func() []mtWant {
				var out []mtWant
				for _, w := range mtSampleWant() {
					if w.name == MetricRateLimitHeadroom ||
						(w.name == MetricContextWindow && strings.Contains(w.dims, "gemini")) ||
						(w.name == MetricProbeLatency && strings.Contains(w.dims, "ollama")) {
						continue
					}
					out = append(out, w)
				}
				return out
			}(),
		},
		{
			"a provider provwatch cannot probe, and its unknown model, publish nothing",
			func() *Report {
				r := mtReport(t0)
				r.Providers = append(r.Providers, ProviderReport{ID: "minimax", API: probes.APIUnprobed, Start: t0,
					Models: []ModelReport{{Ref: "minimax/MiniMax-M2.7", State: probes.Unknown, Reason: probes.ReasonUnprobed}}})
				return r
			},
			configs.Metrics{},
			mtSampleWant(),
		},
		{
			"times: a probe without start takes the report's time, a report without time takes now",
			func() *Report {
				r := mtReport(t0)
				r.Time = time.Time{}
				r.Providers[0].Start = time.Time{}
				r.Providers = r.Providers[:1]
				r.Providers[0].Models = r.Providers[0].Models[:1]
				r.Order.Effective = r.Order.Configured
				r.OrderChanges = 0
				return r
			},
			configs.Metrics{},
			[]mtWant{
				{MetricProbeSuccess, UnitNone, 1, time.Hour, "Provider=ollama"},
				{MetricProbeLatency, UnitMilliseconds, 12.4, time.Hour, "Provider=ollama"},
				{MetricModelAvailable, UnitNone, 0, time.Hour, "Provider=ollama,Model=qwen3-coder"},
				{MetricHealthState, UnitNone, 2, time.Hour, "Provider=ollama,Model=qwen3-coder"},
				{MetricFailoverActive, UnitNone, 0, time.Hour, ""},
				{MetricOrderChanges, UnitCount, 0, time.Hour, ""},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mtCheckData(t, t0, BuildData(tc.report(), tc.cfg, now), tc.want)
		})
	}
}

func TestBuildDataDimensionLimits(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	static := map[string]string{}
	for i := range 40 {
		static[fmt.Sprintf("D%02d", i)] = "v"
	}
	long := strings.Repeat("é", 300) // 600 bytes, 300 characters
	r := mtReport(t0)
	r.Providers[0].Models[0].Ref = "ollama/" + long

	data := BuildData(r, configs.Metrics{Dimensions: static}, t0)
	if len(data) == 0 {
		t.Fatal("no data")
	}
	for _, d := range data {
		if len(d.Dimensions) > metricMaxDimensions {
			t.Fatalf("%s has %d dimensions, CloudWatch allows %d", d.Name, len(d.Dimensions), metricMaxDimensions)
		}
		for _, dim := range d.Dimensions {
			if n := len([]rune(dim.Value)); n == 0 || n > metricMaxDimensionLen {
				t.Fatalf("%s dimension %s has %d characters", d.Name, dim.Name, n)
			}
		}
	}
	// Model metrics carry Provider, Model and 28 static dimensions: D00..D27.
	first := data[2]
	if first.Name != MetricModelAvailable || len(first.Dimensions) != 30 ||
		first.Dimensions[2].Name != "D00" || first.Dimensions[29].Name != "D27" {
		t.Fatalf("model datum dimensions = %v", first.Dimensions)
	}
	if got := first.Dimensions[1].Value; got != strings.Repeat("é", 255) {
		t.Fatalf("long model name cut to %d characters, want 255", len([]rune(got)))
	}
	skipped := SkippedStaticDimensions(static)
	if len(skipped) != 12 || !strings.HasPrefix(skipped[0], "D28") {
		t.Fatalf("skipped = %v, want D28..D39", skipped)
	}
}

func TestModelOfRef(t *testing.T) {
	t.Parallel()
	for ref, want := range map[string]string{
		"openrouter/google/gemini-flash-1.5": "google/gemini-flash-1.5",
		"ollama/qwen3-coder":                 "qwen3-coder",
		"bare":                               "bare",
	} {
		if got := ModelOfRef(ref); got != want {
			t.Errorf("ModelOfRef(%q) = %q, want %q", ref, got, want)
		}
	}
}

// BenchmarkBuildData measures one cycle of a large config: 10 providers
// with 40 watched models each (1232 data).
func BenchmarkBuildData(b *testing.B) {
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	r := cwBigReport(t0, 10, 40)
	cfg := configs.Metrics{Dimensions: map[string]string{"Deployment": "prod"}}
	b.ReportAllocs()
	for b.Loop() {
		if n := len(BuildData(r, cfg, t0)); n != 1232 {
			b.Fatalf("%d data", n)
		}
	}
}
