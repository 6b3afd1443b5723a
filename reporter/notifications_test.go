package reporter

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/provwatch/provwatch/configs"
)

// TestNotificationsFailedMetric: sent only when notifications failed, with
// the static dimensions, and never with basic detail.
func TestNotificationsFailedMetric(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	find := func(data []Datum) *Datum {
		for i := range data {
			if data[i].Name == MetricNotificationsFailed {
				return &data[i]
			}
		}
		return nil
	}
	r := mtReport(t0)
	if d := find(BuildData(r, configs.Metrics{}, t0)); d != nil {
		t.Errorf("NotificationsFailed sent with none failed: %+v", d)
	}
	r.NotificationsFailed = 2
	cfg := configs.Metrics{Detail: "full", Dimensions: map[string]string{"Deployment": "prod"}}
	d := find(BuildData(r, cfg, t0))
	if d == nil || d.Value != 2 || d.Unit != UnitCount || !d.Time.Equal(r.Time) || len(d.Dimensions) != 1 || d.Dimensions[0] != (Dimension{"Deployment", "prod"}) {
		t.Errorf("detail full: datum %+v", d)
	}
	// basic keeps HealthState, ProbeSuccess, ProbeLatency and FailoverActive
	// only (docs/reference.md §2b).
	cfg.Detail = "basic"
	if d := find(BuildData(r, cfg, t0)); d != nil {
		t.Errorf("detail basic: datum %+v", d)
	}
	if d := NotificationsFailedData(2, cfg, t0); d != nil {
		t.Errorf("detail basic: flushed datum %+v", d)
	}
}

// TestEMFPublishData writes the datum of failures counted after the last
// report as one EMF line.
func TestEMFPublishData(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	e := NewEMF(&buf, configs.Metrics{Namespace: "OpenClaw/ProviderHealth"})
	if err := e.PublishData(context.Background(), NotificationsFailedData(1, configs.Metrics{}, t0)); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(buf.Bytes()), &doc); err != nil || strings.Count(buf.String(), "\n") != 1 {
		t.Fatalf("not one EMF line: %q (%v)", buf.String(), err)
	}
	if doc["NotificationsFailed"] != 1.0 {
		t.Errorf("line %s", buf.String())
	}
	if NotificationsFailedData(0, configs.Metrics{}, t0) != nil {
		t.Error("a datum for 0 failures")
	}
}
