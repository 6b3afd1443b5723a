// Package reporter turns a cycle's results into what people and machines
// read: the JSON report, the console table, CloudWatch, EMF, Prometheus and
// the status page. One file per sink.
package reporter

import (
	"context"
	"time"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/probes"
)

// Report is docs/reference.md §4's JSON report. Field names are fixed.
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

	// NotificationsFailed counts notifications given up since the previous
	// report (the NotificationsFailed metric, sent only when above 0); not
	// part of the JSON.
	NotificationsFailed int `json:"-"`

	// Agents are the per-agent chains (agents.list, agents.entries) with
	// their effective orders. Not part of the JSON: docs/reference.md §4's order
	// is agents.defaults.model's.
	Agents []AgentOrder `json:"-"`
}

// AgentOrder is one per-agent chain's configured and effective order.
type AgentOrder struct {
	Name string // the agent's id
	Path string // where its model value stands, e.g. agents.list[2].model
	// Configured is the chain as configured (with what it inherits from
	// agents.defaults.model), a repeated ref once.
	Configured configs.Order
	Effective  configs.Order
	// Written is true when this cycle rewrote the agent's own value in the
	// target (only the openclaw: target holds per-agent chains).
	Written bool
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
	// Pending is set by the engine when Observed differs from State: the
	// change awaits confirmation (or, with HeldUntil, the end of a hold).
	// Reports built without an engine leave it false and show no note.
	Pending bool `json:"-"`
	// HeldUntil, when set, is when a restore that Observed already agrees
	// on may happen: the hold after the model's latest demotion.
	HeldUntil *time.Time `json:"-"`
}

// OrderReport compares the configured and effective orders.
type OrderReport struct {
	Configured configs.Order `json:"configured"`
	Effective  configs.Order `json:"effective"`
	Changed    bool          `json:"changed"`
	Written    bool          `json:"written"`
}

// Sink publishes each cycle's report somewhere.
type Sink interface {
	Publish(ctx context.Context, r *Report) error
	// Close flushes what is buffered, within ctx's deadline.
	Close(ctx context.Context) error
}
