package reporter

import (
	"context"
	"math"
	"net/http"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/provwatch/provwatch/probes"
)

// Prometheus keeps the last cycle's facts as provwatch_ series for the
// daemon's GET /metrics. Series of providers and models that leave the
// report (removed from the config) are deleted, so a stale value never
// looks current.
type Prometheus struct {
	reg *prometheus.Registry

	probeSuccess   *prometheus.GaugeVec
	probeDuration  *prometheus.GaugeVec
	modelAvailable *prometheus.GaugeVec
	contextWindow  *prometheus.GaugeVec
	headroom       *prometheus.GaugeVec
	healthState    *prometheus.GaugeVec
	failover       prometheus.Gauge
	orderChanges   prometheus.Counter
	notifyFailed   prometheus.Counter

	mu   sync.Mutex
	live map[*prometheus.GaugeVec]map[string][]string // label values set by the last Publish
}

var _ Sink = (*Prometheus)(nil)

// promProbePhases are the phase label values of provwatch_probe_duration_seconds.
var promProbePhases = []string{"dns", "connect", "tls", "ttfb", "transfer", "total"}

// NewPrometheus returns a sink with its own registry holding only the
// provwatch_ series.
func NewPrometheus() *Prometheus {
	p := &Prometheus{
		reg: prometheus.NewRegistry(),
		probeSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "provwatch_probe_success",
			Help: "1 when the provider's last probe got the answer its API documents, else 0.",
		}, []string{"provider"}),
		probeDuration: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "provwatch_probe_duration_seconds",
			Help: "Duration of the provider's last probe by phase (dns, connect, tls, ttfb, transfer of the main request; total of all requests).",
		}, []string{"provider", "phase"}),
		modelAvailable: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "provwatch_model_available",
			Help: "1 unless the model's evaluated state is down (a degraded model still serves).",
		}, []string{"provider", "model"}),
		contextWindow: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "provwatch_context_window_tokens",
			Help: "Context window the provider gives the model, in tokens; absent when it cannot be known.",
		}, []string{"provider", "model"}),
		headroom: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "provwatch_ratelimit_headroom_ratio",
			Help: "Smallest remaining/limit ratio of the provider's rate limits (0..1); absent when the provider tells none.",
		}, []string{"provider"}),
		healthState: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "provwatch_health_state",
			Help: "Evaluated health of the model: 0 healthy, 1 degraded, 2 down.",
		}, []string{"provider", "model"}),
		failover: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "provwatch_failover_active",
			Help: "1 when the effective primary differs from the configured primary.",
		}),
		orderChanges: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "provwatch_order_changes_total",
			Help: "Changes of the effective fallback order since start.",
		}),
		notifyFailed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "provwatch_notifications_failed_total",
			Help: "Notifications given up after their retries (or dropped from a full queue) since start; counted at the cycle after the failure.",
		}),
		live: map[*prometheus.GaugeVec]map[string][]string{},
	}
	p.reg.MustRegister(p.probeSuccess, p.probeDuration, p.modelAvailable, p.contextWindow,
		p.headroom, p.healthState, p.failover, p.orderChanges, p.notifyFailed)
	return p
}

// Registry returns the registry, for adding collectors (Go runtime,
// process) or gathering in tests.
func (p *Prometheus) Registry() *prometheus.Registry { return p.reg }

// Handler serves the registry in the Prometheus exposition formats.
func (p *Prometheus) Handler() http.Handler {
	return promhttp.HandlerFor(p.reg, promhttp.HandlerOpts{})
}

// promSeriesSet collects the label values one Publish sets on one vector.
type promSeriesSet map[string][]string

func (s promSeriesSet) set(v *prometheus.GaugeVec, value float64, labels ...string) {
	if math.IsNaN(value) || math.IsInf(value, 0) {
		return // leave it absent rather than expose a meaningless value
	}
	v.WithLabelValues(labels...).Set(value)
	s[strings.Join(labels, "\xff")] = labels
}

// Publish replaces the series with the report's facts.
func (p *Prometheus) Publish(_ context.Context, r *Report) error {
	if r == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()

	sets := map[*prometheus.GaugeVec]promSeriesSet{}
	for _, v := range []*prometheus.GaugeVec{p.probeSuccess, p.probeDuration, p.modelAvailable, p.contextWindow, p.headroom, p.healthState} {
		sets[v] = promSeriesSet{}
	}
	for _, pr := range r.Providers {
		if pr.API == probes.APIUnprobed {
			continue // nothing was probed: no series
		}
		id := pr.ID
		sets[p.probeSuccess].set(p.probeSuccess, metricBool(pr.Probe.OK), id)
		ph := pr.Probe.Phases
		for i, ms := range []float64{ph.DNS, ph.Connect, ph.TLS, ph.TTFB, ph.Transfer, pr.Probe.LatencyMS} {
			sets[p.probeDuration].set(p.probeDuration, ms/1000, id, promProbePhases[i])
		}
		if h := pr.RateLimit.Headroom; h != nil {
			sets[p.headroom].set(p.headroom, *h, id)
		}
		for _, m := range pr.Models {
			model := ModelOfRef(m.Ref)
			sets[p.modelAvailable].set(p.modelAvailable, metricBool(m.State != probes.Down), id, model)
			sets[p.healthState].set(p.healthState, float64(m.State), id, model)
			if m.ContextWindow != nil {
				sets[p.contextWindow].set(p.contextWindow, float64(*m.ContextWindow), id, model)
			}
		}
	}
	// A series the last report set and this one does not is gone: its
	// provider or model left the config, or its value became unknown.
	for v, now := range sets {
		for key, labels := range p.live[v] {
			if _, ok := now[key]; !ok {
				v.DeleteLabelValues(labels...)
			}
		}
		p.live[v] = now
	}
	p.failover.Set(metricBool(FailoverActive(r)))
	if r.OrderChanges > 0 {
		p.orderChanges.Add(float64(r.OrderChanges))
	}
	if r.NotificationsFailed > 0 {
		p.notifyFailed.Add(float64(r.NotificationsFailed))
	}
	return nil
}

// Close has nothing to flush; the registry keeps serving the last values.
func (p *Prometheus) Close(context.Context) error { return nil }
