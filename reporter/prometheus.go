package reporter

import (
	"context"
	"math"
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/provwatch/provwatch/probes"
)

// Prometheus serves the latest report's facts as provwatch_ series for the
// daemon's GET /metrics. It is a collector over that report: every scrape
// computes the series from it, so a provider or model that leaves the
// config (or a value that becomes unknown) leaves /metrics with it, and
// nothing is kept per series. The two counters accumulate across reports.
type Prometheus struct {
	reg          *prometheus.Registry
	orderChanges prometheus.Counter
	notifyFailed prometheus.Counter

	mu   sync.Mutex
	last *Report
}

var (
	_ Sink                 = (*Prometheus)(nil)
	_ prometheus.Collector = (*promReport)(nil)
)

// promProbePhases are the phase label values of provwatch_probe_duration_seconds.
var promProbePhases = []string{"dns", "connect", "tls", "ttfb", "transfer", "total"}

// The gauges computed from the latest report.
var (
	promProbeSuccess = prometheus.NewDesc("provwatch_probe_success",
		"1 when the provider's last probe got the answer its API documents, else 0.", []string{"provider"}, nil)
	promProbeDuration = prometheus.NewDesc("provwatch_probe_duration_seconds",
		"Duration of the provider's last probe by phase (dns, connect, tls, ttfb, transfer of the main request; total of all requests).", []string{"provider", "phase"}, nil)
	promModelAvailable = prometheus.NewDesc("provwatch_model_available",
		"1 unless the model's evaluated state is down (a degraded model still serves).", []string{"provider", "model"}, nil)
	promContextWindow = prometheus.NewDesc("provwatch_context_window_tokens",
		"Context window the provider gives the model, in tokens; absent when it cannot be known.", []string{"provider", "model"}, nil)
	promHeadroom = prometheus.NewDesc("provwatch_ratelimit_headroom_ratio",
		"Smallest remaining/limit ratio of the provider's rate limits (0..1); absent when the provider tells none.", []string{"provider"}, nil)
	promHealthState = prometheus.NewDesc("provwatch_health_state",
		"Evaluated health of the model: 0 healthy, 1 degraded, 2 down.", []string{"provider", "model"}, nil)
	promFailover = prometheus.NewDesc("provwatch_failover_active",
		"1 when the effective primary differs from the configured primary.", nil, nil)
)

// NewPrometheus returns a sink with its own registry holding only the
// provwatch_ series.
func NewPrometheus() *Prometheus {
	p := &Prometheus{
		reg: prometheus.NewRegistry(),
		orderChanges: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "provwatch_order_changes_total",
			Help: "Changes of the effective fallback order since start.",
		}),
		notifyFailed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "provwatch_notifications_failed_total",
			Help: "Notifications given up after their retries (or dropped from a full queue) since start; counted at the cycle after the failure.",
		}),
	}
	p.reg.MustRegister(&promReport{p}, p.orderChanges, p.notifyFailed)
	return p
}

// Registry returns the registry, for adding collectors (Go runtime,
// process) or gathering in tests.
func (p *Prometheus) Registry() *prometheus.Registry { return p.reg }

// Handler serves the registry in the Prometheus exposition formats.
func (p *Prometheus) Handler() http.Handler {
	return promhttp.HandlerFor(p.reg, promhttp.HandlerOpts{})
}

// Publish makes r the report /metrics shows, and counts its order changes
// and given-up notifications.
func (p *Prometheus) Publish(_ context.Context, r *Report) error {
	if r == nil {
		return nil
	}
	p.mu.Lock()
	p.last = r
	p.mu.Unlock()
	if r.OrderChanges > 0 {
		p.orderChanges.Add(float64(r.OrderChanges))
	}
	if r.NotificationsFailed > 0 {
		p.notifyFailed.Add(float64(r.NotificationsFailed))
	}
	return nil
}

// Close has nothing to flush; /metrics keeps showing the last report.
func (p *Prometheus) Close(context.Context) error { return nil }

// promReport collects the gauges of the latest report.
type promReport struct{ p *Prometheus }

func (c *promReport) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{promProbeSuccess, promProbeDuration, promModelAvailable, promContextWindow, promHeadroom, promHealthState, promFailover} {
		ch <- d
	}
}

func (c *promReport) Collect(ch chan<- prometheus.Metric) {
	c.p.mu.Lock()
	r := c.p.last
	c.p.mu.Unlock()
	if r == nil {
		return
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return // absent rather than a meaningless value
		}
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	seen := map[string]bool{}
	for _, pr := range r.Providers {
		if pr.API == probes.APIUnprobed || seen[pr.ID] {
			continue // nothing was probed: no series
		}
		seen[pr.ID] = true
		id := pr.ID
		gauge(promProbeSuccess, metricBool(pr.Probe.OK), id)
		ph := pr.Probe.Phases
		for i, ms := range []float64{ph.DNS, ph.Connect, ph.TLS, ph.TTFB, ph.Transfer, pr.Probe.LatencyMS} {
			gauge(promProbeDuration, ms/1000, id, promProbePhases[i])
		}
		if h := pr.RateLimit.Headroom; h != nil {
			gauge(promHeadroom, *h, id)
		}
		models := map[string]bool{}
		for _, m := range pr.Models {
			model := ModelOfRef(m.Ref)
			if m.State == probes.Unknown || models[model] {
				continue
			}
			models[model] = true
			gauge(promModelAvailable, metricBool(m.State != probes.Down), id, model)
			gauge(promHealthState, float64(m.State), id, model)
			if m.ContextWindow != nil {
				gauge(promContextWindow, float64(*m.ContextWindow), id, model)
			}
		}
	}
	gauge(promFailover, metricBool(FailoverActive(r)))
}
