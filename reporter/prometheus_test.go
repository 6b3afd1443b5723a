package reporter

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// promScrape GETs /metrics from the sink's handler and parses the text
// exposition into "name{k=v,...}" → value, checking each family's type.
func promScrape(t *testing.T, p *Prometheus) map[string]float64 {
	t.Helper()
	srv := httptest.NewServer(p.Handler())
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/metrics", nil)
	req.Header.Set("Accept", "text/plain; version=0.0.4")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing the exposition: %v", err)
	}
	out := map[string]float64{}
	for name, f := range families {
		if !strings.HasPrefix(name, "provwatch_") {
			t.Errorf("series %s lacks the provwatch_ prefix", name)
		}
		wantType := dto.MetricType_GAUGE
		if strings.HasSuffix(name, "_total") {
			wantType = dto.MetricType_COUNTER
		}
		if f.GetType() != wantType {
			t.Errorf("%s is a %s, want %s", name, f.GetType(), wantType)
		}
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			sort.Strings(labels)
			v := m.GetGauge().GetValue()
			if wantType == dto.MetricType_COUNTER {
				v = m.GetCounter().GetValue()
			}
			out[name+"{"+strings.Join(labels, ",")+"}"] = v
		}
	}
	return out
}

func promCheck(t *testing.T, got, want map[string]float64) {
	t.Helper()
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("missing series %s", k)
			continue
		}
		if math.Abs(g-w) > 1e-12 {
			t.Errorf("%s = %v, want %v", k, g, w)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected series %s = %v", k, got[k])
		}
	}
}

func TestPrometheus(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	p := NewPrometheus()

	if err := p.Publish(context.Background(), mtReport(t0)); err != nil {
		t.Fatal(err)
	}
	const (
		qwen   = "model=qwen3-coder,provider=ollama"
		llama  = "model=llama3.1:8b,provider=ollama"
		gemini = "model=google/gemini-flash-1.5,provider=openrouter"
		claude = "model=anthropic/claude-3.5-sonnet,provider=openrouter"
	)
	want := map[string]float64{
		"provwatch_probe_success{provider=ollama}":     1,
		"provwatch_probe_success{provider=openrouter}": 1,

		"provwatch_probe_duration_seconds{phase=dns,provider=ollama}":          0,
		"provwatch_probe_duration_seconds{phase=connect,provider=ollama}":      0.0003,
		"provwatch_probe_duration_seconds{phase=tls,provider=ollama}":          0,
		"provwatch_probe_duration_seconds{phase=ttfb,provider=ollama}":         0.0112,
		"provwatch_probe_duration_seconds{phase=transfer,provider=ollama}":     0.0004,
		"provwatch_probe_duration_seconds{phase=total,provider=ollama}":        0.0124,
		"provwatch_probe_duration_seconds{phase=dns,provider=openrouter}":      0.0015,
		"provwatch_probe_duration_seconds{phase=connect,provider=openrouter}":  0.02025,
		"provwatch_probe_duration_seconds{phase=tls,provider=openrouter}":      0.0405,
		"provwatch_probe_duration_seconds{phase=ttfb,provider=openrouter}":     0.15,
		"provwatch_probe_duration_seconds{phase=transfer,provider=openrouter}": 0.01825,
		"provwatch_probe_duration_seconds{phase=total,provider=openrouter}":    0.2305,

		"provwatch_ratelimit_headroom_ratio{provider=openrouter}": 0.42,

		"provwatch_model_available{" + qwen + "}":   0,
		"provwatch_model_available{" + llama + "}":  1,
		"provwatch_model_available{" + gemini + "}": 1,
		"provwatch_model_available{" + claude + "}": 1,

		"provwatch_context_window_tokens{" + llama + "}":  131072,
		"provwatch_context_window_tokens{" + gemini + "}": 1000000,
		"provwatch_context_window_tokens{" + claude + "}": 200000,

		"provwatch_health_state{" + qwen + "}":   2,
		"provwatch_health_state{" + llama + "}":  0,
		"provwatch_health_state{" + gemini + "}": 0,
		"provwatch_health_state{" + claude + "}": 1,

		"provwatch_failover_active{}":            1,
		"provwatch_order_changes_total{}":        1,
		"provwatch_notifications_failed_total{}": 0,
	}
	promCheck(t, promScrape(t, p), want)

	// Next cycle: openrouter left the config, ollama's qwen3-coder too, the
	// llama context became unknown, the order went back and changed twice.
	r := mtReport(t0.Add(time.Minute))
	r.Providers = r.Providers[:1]
	r.Providers[0].Models = r.Providers[0].Models[1:]
	r.Providers[0].Models[0].ContextWindow = nil
	r.Providers[0].Probe.OK = false
	r.Order.Effective = r.Order.Configured
	r.OrderChanges = 2
	r.NotificationsFailed = 3
	if err := p.Publish(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	want = map[string]float64{
		"provwatch_probe_success{provider=ollama}":                         0,
		"provwatch_probe_duration_seconds{phase=dns,provider=ollama}":      0,
		"provwatch_probe_duration_seconds{phase=connect,provider=ollama}":  0.0003,
		"provwatch_probe_duration_seconds{phase=tls,provider=ollama}":      0,
		"provwatch_probe_duration_seconds{phase=ttfb,provider=ollama}":     0.0112,
		"provwatch_probe_duration_seconds{phase=transfer,provider=ollama}": 0.0004,
		"provwatch_probe_duration_seconds{phase=total,provider=ollama}":    0.0124,
		"provwatch_model_available{" + llama + "}":                         1,
		"provwatch_health_state{" + llama + "}":                            0,
		"provwatch_failover_active{}":                                      0,
		"provwatch_order_changes_total{}":                                  3,
		"provwatch_notifications_failed_total{}":                           3,
	}
	promCheck(t, promScrape(t, p), want)
}
