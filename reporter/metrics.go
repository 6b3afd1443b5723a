package reporter

import (
	"context"
	"math"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/probes"
)

// The metric names of docs/reference.md §7. CloudWatch and EMF use them as they
// are; Prometheus has its own provwatch_ names (prometheus.go).
const (
	MetricProbeSuccess      = "ProbeSuccess"
	MetricProbeLatency      = "ProbeLatency"
	MetricRateLimitHeadroom = "RateLimitHeadroom"
	MetricModelAvailable    = "ModelAvailable"
	MetricContextWindow     = "ContextWindow"
	MetricHealthState       = "HealthState"
	MetricFailoverActive    = "FailoverActive"
	MetricOrderChanges      = "OrderChanges"
	// MetricNotificationsFailed counts notifications given up after their
	// retries; sent only when above 0, so a healthy setup adds no custom
	// metric.
	MetricNotificationsFailed = "NotificationsFailed"
)

// The dimension names the metrics carry besides the static ones.
const (
	DimensionProvider = "Provider"
	DimensionModel    = "Model"
)

// Units, spelled as CloudWatch's StandardUnit and EMF's Unit spell them.
const (
	UnitNone         = "None"
	UnitMilliseconds = "Milliseconds"
	UnitPercent      = "Percent"
	UnitCount        = "Count"
)

// DefaultNamespace is used when metrics.namespace is empty.
const DefaultNamespace = "OpenClaw/ProviderHealth"

// CloudWatch limits on dimensions (PutMetricData and EMF alike).
const (
	metricMaxDimensions   = 30
	metricMaxDimensionLen = 255 // characters, for names and values
)

// metricBasicNames are the metrics `metrics.detail: basic` keeps
// (docs/reference.md §2b: these four only); they answer "is it up and is
// failover active", which is what alarms need.
var metricBasicNames = map[string]bool{
	MetricHealthState:    true,
	MetricProbeSuccess:   true,
	MetricProbeLatency:   true,
	MetricFailoverActive: true,
}

// isBasic reports whether cfg asks for `metrics.detail: basic`.
func isBasic(cfg configs.Metrics) bool {
	return strings.EqualFold(strings.TrimSpace(cfg.Detail), "basic")
}

// Dimension is one name=value pair of a datum.
type Dimension struct {
	Name  string
	Value string
}

// Datum is one metric value, built once from a Report and shared by the
// CloudWatch and EMF sinks so both publish exactly the same facts.
type Datum struct {
	Name  string
	Unit  string
	Value float64
	// Time is the provider probe's start for provider and model metrics,
	// the report's time for FailoverActive and OrderChanges.
	Time time.Time
	// Dimensions: Provider, then Model, then the static ones sorted by name.
	Dimensions []Dimension
}

// Key identifies the CloudWatch custom metric the datum belongs to: its
// name and dimensions (the unit and time do not make a new metric).
func (d Datum) Key() string {
	var b strings.Builder
	b.WriteString(d.Name)
	for _, dim := range d.Dimensions {
		b.WriteByte('|')
		b.WriteString(dim.Name)
		b.WriteByte('=')
		b.WriteString(dim.Value)
	}
	return b.String()
}

// BuildData turns a report into docs/reference.md §7's metrics. now stands in for
// a report or probe that carries no time. Values that are not finite are
// left out (CloudWatch rejects NaN and ±Inf), as are metrics whose value is
// unknown (a nil headroom or context window is never sent as 0).
func BuildData(r *Report, cfg configs.Metrics, now time.Time) []Datum {
	if r == nil {
		return nil
	}
	static := metricStaticDimensions(cfg.Dimensions)
	basic := isBasic(cfg)
	reportTime := r.Time
	if reportTime.IsZero() {
		reportTime = now
	}

	var out []Datum
	add := func(name, unit string, v float64, t time.Time, dims ...Dimension) {
		if basic && !metricBasicNames[name] {
			return
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return
		}
		out = append(out, Datum{Name: name, Unit: unit, Value: v, Time: t, Dimensions: metricWithStatic(dims, static)})
	}

	for _, p := range r.Providers {
		t := p.Start
		if t.IsZero() {
			t = reportTime
		}
		prov, ok := metricCleanDimension(p.ID)
		if !ok || p.API == probes.APIUnprobed {
			continue // no id to tell it apart, or nothing was probed
		}
		pd := Dimension{Name: DimensionProvider, Value: prov}
		add(MetricProbeSuccess, UnitNone, metricBool(p.Probe.OK), t, pd)
		add(MetricProbeLatency, UnitMilliseconds, p.Probe.LatencyMS, t, pd)
		if h := p.RateLimit.Headroom; h != nil {
			add(MetricRateLimitHeadroom, UnitPercent, *h*100, t, pd)
		}
		for _, m := range p.Models {
			model, ok := metricCleanDimension(ModelOfRef(m.Ref))
			if !ok || m.State == probes.Unknown {
				continue
			}
			md := Dimension{Name: DimensionModel, Value: model}
			// A degraded model still serves requests (slow, low headroom,
			// overloaded): only down makes it unavailable.
			add(MetricModelAvailable, UnitNone, metricBool(m.State != probes.Down), t, pd, md)
			if m.ContextWindow != nil {
				add(MetricContextWindow, UnitCount, float64(*m.ContextWindow), t, pd, md)
			}
			add(MetricHealthState, UnitNone, float64(m.State), t, pd, md)
		}
	}
	add(MetricFailoverActive, UnitNone, metricBool(FailoverActive(r)), reportTime)
	add(MetricOrderChanges, UnitCount, float64(r.OrderChanges), reportTime)
	if r.NotificationsFailed > 0 {
		add(MetricNotificationsFailed, UnitCount, float64(r.NotificationsFailed), reportTime)
	}
	return out
}

// NotificationsFailedData is the NotificationsFailed datum alone, for
// failures counted after the last report (the final flush of `once`); none
// with `metrics.detail: basic`, which does not keep that metric.
func NotificationsFailedData(n int, cfg configs.Metrics, t time.Time) []Datum {
	if n <= 0 || isBasic(cfg) {
		return nil
	}
	return []Datum{{Name: MetricNotificationsFailed, Unit: UnitCount, Value: float64(n), Time: t,
		Dimensions: metricWithStatic(nil, metricStaticDimensions(cfg.Dimensions))}}
}

// DataSink is a sink that can publish data outside a report.
type DataSink interface {
	PublishData(ctx context.Context, data []Datum) error
}

// FailoverActive reports whether the effective primary differs from the
// configured one.
func FailoverActive(r *Report) bool {
	return r.Order.Effective.Primary != "" && r.Order.Effective.Primary != r.Order.Configured.Primary
}

// ModelOfRef returns the model part of a ref: everything after the first
// '/' ("openrouter/google/gemini-flash-1.5" → "google/gemini-flash-1.5").
// A ref without a '/' is returned whole.
func ModelOfRef(ref string) string {
	if i := strings.IndexByte(ref, '/'); i >= 0 {
		return ref[i+1:]
	}
	return ref
}

// metricReservedDimensions cannot be static dimensions: Provider and Model
// are the metrics' own, and in EMF a dimension shares the document root
// with the metric values and the _aws metadata.
var metricReservedDimensions = map[string]bool{
	DimensionProvider: true, DimensionModel: true, "_aws": true,
	MetricProbeSuccess: true, MetricProbeLatency: true, MetricRateLimitHeadroom: true,
	MetricModelAvailable: true, MetricContextWindow: true, MetricHealthState: true,
	MetricFailoverActive: true, MetricOrderChanges: true, MetricNotificationsFailed: true,
}

// metricStaticDimensions returns the configured static dimensions that can be
// sent, sorted by name, at most metricMaxDimensions-2 of them (Provider and Model
// need two of CloudWatch's 30 slots). Names or values that are empty after
// trimming, or reserved, are left out; SkippedStaticDimensions says which.
func metricStaticDimensions(m map[string]string) []Dimension {
	out := make([]Dimension, 0, len(m))
	for k, v := range m {
		name, ok1 := metricCleanDimension(k)
		value, ok2 := metricCleanDimension(v)
		if !ok1 || !ok2 || metricReservedDimensions[name] {
			continue
		}
		out = append(out, Dimension{Name: name, Value: value})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	// Two names may collide after trimming; keep the first.
	dedup := out[:0]
	for i, d := range out {
		if i > 0 && d.Name == out[i-1].Name {
			continue
		}
		dedup = append(dedup, d)
	}
	if len(dedup) > metricMaxDimensions-2 {
		dedup = dedup[:metricMaxDimensions-2]
	}
	return dedup
}

// SkippedStaticDimensions lists the configured static dimension names that
// BuildData leaves out, with why, so a sink can log them once at start.
func SkippedStaticDimensions(m map[string]string) []string {
	kept := map[string]bool{}
	for _, d := range metricStaticDimensions(m) {
		kept[d.Name] = true
	}
	var out []string
	for k, v := range m {
		name, ok := metricCleanDimension(k)
		switch {
		case !ok:
			out = append(out, k+" (empty name)")
		case metricReservedDimensions[name]:
			out = append(out, k+" (reserved name)")
		case !kept[name]:
			if _, ok := metricCleanDimension(v); !ok {
				out = append(out, k+" (empty value)")
			} else {
				out = append(out, k+" (over CloudWatch's 30 dimensions, or duplicate after trimming)")
			}
		}
	}
	sort.Strings(out)
	return out
}

func metricWithStatic(dims, static []Dimension) []Dimension {
	out := make([]Dimension, 0, len(dims)+len(static))
	out = append(out, dims...)
	return append(out, static...)
}

// metricCleanDimension trims spaces and cuts s to CloudWatch's 255
// characters (on a rune boundary); ok is false when nothing is left, since
// CloudWatch rejects empty dimension names and values.
func metricCleanDimension(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > metricMaxDimensionLen {
		n := 0
		for i := range s {
			if n == metricMaxDimensionLen {
				s = strings.TrimSpace(s[:i])
				break
			}
			n++
		}
	}
	return s, s != ""
}

func metricBool(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// sentProbes remembers, per provider, the start of the probe whose data a
// metrics sink last sent. A round reports every provider's latest result,
// but between schedule ticks (a liveness check, a recheck of one provider)
// most of those results are the ones already sent; sending them again
// would make CloudWatch count the same probe several times (a skewed
// SampleCount and Sum) and cost a request each.
type sentProbes struct {
	mu   sync.Mutex
	last map[string]time.Time
}

// unsent returns r with only the providers whose probe has not been sent
// yet (a provider without a probe time always counts as new), and
// remembers them as sent.
func (s *sentProbes) unsent(r *Report) *Report {
	if r == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last == nil {
		s.last = map[string]time.Time{}
	}
	fresh := *r
	fresh.Providers = make([]ProviderReport, 0, len(r.Providers))
	for _, p := range r.Providers {
		if !p.Start.IsZero() && p.Start.Equal(s.last[p.ID]) {
			continue
		}
		s.last[p.ID] = p.Start
		fresh.Providers = append(fresh.Providers, p)
	}
	return &fresh
}
