// Package probes asks each provider, cheaply, whether the models an OpenClaw
// config names are really served, and classifies the answer into the
// states and reasons of docs/reference.md §3. One file per provider API.
package probes

import (
	"encoding/json"
	"fmt"
	"time"
)

// State is a model's health.
type State int

// The three states, ordered from best to worst (also the HealthState metric
// value), and Unknown: a model provwatch has no probe for. Unknown is not
// an observation: it is never tracked, counted or published as a metric.
const (
	Healthy State = iota
	Degraded
	Down
	Unknown
)

func (s State) String() string {
	switch s {
	case Healthy:
		return "healthy"
	case Degraded:
		return "degraded"
	case Down:
		return "down"
	case Unknown:
		return "unknown"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// MarshalText writes the state's word.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a state's word.
func (s *State) UnmarshalText(b []byte) error {
	switch string(b) {
	case "healthy":
		*s = Healthy
	case "degraded":
		*s = Degraded
	case "down":
		*s = Down
	case "unknown":
		*s = Unknown
	default:
		return fmt.Errorf("unknown health state %q", b)
	}
	return nil
}

// Reason says why a model has its state (docs/reference.md §3).
type Reason string

// The reasons.
const (
	ReasonOK            Reason = "ok"
	ReasonAuth          Reason = "auth"
	ReasonBilling       Reason = "billing"
	ReasonRateLimit     Reason = "rate_limit"
	ReasonOverloaded    Reason = "overloaded"
	ReasonTimeout       Reason = "timeout"
	ReasonUnreachable   Reason = "unreachable"
	ReasonServerError   Reason = "server_error"
	ReasonNoModel       Reason = "no_model"
	ReasonContextWindow Reason = "context_window"
	ReasonSlow          Reason = "slow"
	ReasonFormat        Reason = "format"
	// ReasonConfig: the OpenClaw config leaves the provider unusable (a
	// ${VAR} that is not set); nothing was sent.
	ReasonConfig Reason = "config"
	// ReasonUnprobed: provwatch has no probe for the provider (state Unknown).
	ReasonUnprobed Reason = "unprobed"
)

// APIUnprobed is the Result.API of a provider provwatch has no probe for:
// nothing was sent, so it has no probe metrics either.
const APIUnprobed = "unprobed"

// MinUsableContext is the context below which OpenClaw refuses to run a model.
const MinUsableContext = 16000

// Result is everything one probe of one provider found.
type Result struct {
	ProviderID string        `json:"id"`
	API        string        `json:"api"` // the flavour probed
	BaseURL    string        `json:"base_url"`
	Probe      ProbeInfo     `json:"probe"`
	RateLimit  RateLimit     `json:"rate_limit"`
	Models     []ModelResult `json:"models"`
	// Start is when the probe began; metrics carry it as their timestamp.
	Start time.Time `json:"-"`
	// Cut marks a result that is no observation of the provider: the
	// caller's context (a cycle's deadline, a shutdown) ended before the
	// probe could finish or start. Its models carry no verdict to keep.
	Cut bool `json:"-"`
}

// ProbeInfo describes the provider-level request(s) of a probe.
type ProbeInfo struct {
	OK         bool    `json:"ok"`
	StatusCode int     `json:"status_code"` // 0 when no HTTP answer came: null in JSON
	LatencyMS  float64 `json:"latency_ms"`  // whole probe, all requests
	Phases     Phases  `json:"phases_ms"`
	Error      string  `json:"error"` // "" when OK; never contains a secret
}

// MarshalJSON writes status_code as null when no HTTP answer came: a
// number nobody told is null in the report, never a made-up 0
// (docs/reference.md §4).
func (p ProbeInfo) MarshalJSON() ([]byte, error) {
	var code *int
	if p.StatusCode != 0 {
		code = &p.StatusCode
	}
	return json.Marshal(struct {
		OK         bool    `json:"ok"`
		StatusCode *int    `json:"status_code"`
		LatencyMS  float64 `json:"latency_ms"`
		Phases     Phases  `json:"phases_ms"`
		Error      string  `json:"error"`
	}{p.OK, code, p.LatencyMS, p.Phases, p.Error})
}

// Phases are the timings of the probe's main request, in milliseconds.
type Phases struct {
	DNS      float64 `json:"dns"`
	Connect  float64 `json:"connect"`
	TLS      float64 `json:"tls"`
	TTFB     float64 `json:"ttfb"`
	Transfer float64 `json:"transfer"`
}

// RateLimit is the rate-limit and credit headroom a provider told us about.
// A nil field is unknown to the provider; it is never a made-up 0.
type RateLimit struct {
	RequestsLimit     *float64   `json:"requests_limit"`
	RequestsRemaining *float64   `json:"requests_remaining"`
	TokensLimit       *float64   `json:"tokens_limit"`
	TokensRemaining   *float64   `json:"tokens_remaining"`
	Headroom          *float64   `json:"headroom"` // smallest remaining/limit known, 0..1
	ResetAt           *time.Time `json:"reset_at"`
	CreditsRemaining  *float64   `json:"credits_remaining"`
}

// ModelResult is one watched model ref's observation.
type ModelResult struct {
	Ref                     string `json:"ref"`
	Model                   string `json:"-"` // the id sent to the provider
	State                   State  `json:"state"`
	Reason                  Reason `json:"reason"`
	Detail                  string `json:"detail"`
	ContextWindow           *int   `json:"context_window"`
	TrainedContextWindow    *int   `json:"trained_context_window"`
	ConfiguredContextWindow *int   `json:"configured_context_window"`
	// Hint is one line telling a person what to do ("run: ollama pull x"); "" when healthy.
	Hint string `json:"-"`
}
