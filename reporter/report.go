// Package reporter turns a cycle's results into what people and machines
// read: the JSON report, the console table, CloudWatch, EMF, Prometheus and
// the status page. One file per sink.
package reporter

import (
	"context"
	"time"

	"github.com/provwatch/provwatch/probes"
	"github.com/provwatch/provwatch/remediate"
)

// Report is SPEC section 4's JSON report. Field names are fixed.
type Report struct {
	Time      time.Time        `json:"time"`
	Healthy   int              `json:"healthy"`
	Degraded  int              `json:"degraded"`
	Down      int              `json:"down"`
	Providers []ProviderReport `json:"providers"`
	Order     OrderReport      `json:"order"`

	// OrderChanges counts effective-order changes this cycle (the
	// OrderChanges metric); not part of the JSON.
	OrderChanges int `json:"-"`
}

// ProviderReport is one provider's probe and its models' evaluated health.
type ProviderReport struct {
	ID        string           `json:"id"`
	API       string           `json:"api"`
	BaseURL   string           `json:"base_url"`
	Probe     probes.ProbeInfo `json:"probe"`
	RateLimit probes.RateLimit `json:"rate_limit"`
	Models    []ModelReport    `json:"models"`
	Start     time.Time        `json:"-"`
}

// ModelReport is one model ref: its evaluated state (after hysteresis; for
// check, the observation itself) and what the latest probe saw.
type ModelReport struct {
	Ref                     string        `json:"ref"`
	State                   probes.State  `json:"state"`
	Reason                  probes.Reason `json:"reason"`
	Detail                  string        `json:"detail"`
	ContextWindow           *int          `json:"context_window"`
	TrainedContextWindow    *int          `json:"trained_context_window"`
	ConfiguredContextWindow *int          `json:"configured_context_window"`
	Since                   *time.Time    `json:"since"`
	Hint                    string        `json:"-"`
	// Observed is the latest raw observation's state; it differs from
	// State while a change awaits confirmation.
	Observed probes.State `json:"-"`
}

// OrderReport compares the configured and effective orders.
type OrderReport struct {
	Configured remediate.Order `json:"configured"`
	Effective  remediate.Order `json:"effective"`
	Changed    bool            `json:"changed"`
	Written    bool            `json:"written"`
}

// Sink publishes each cycle's report somewhere.
type Sink interface {
	Publish(ctx context.Context, r *Report) error
	// Close flushes what is buffered, within ctx's deadline.
	Close(ctx context.Context) error
}
