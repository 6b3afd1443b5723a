package reporter

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/probes"
)

// WriteJSON writes r as docs/reference.md §4's JSON report: exactly one JSON
// document on one line (so it can be the last line after EMF output), with
// times in RFC 3339 UTC, unknown numbers as null and every list as [] rather
// than null, so consumers can index without nil checks.
func WriteJSON(w io.Writer, r *Report) error {
	if r == nil {
		return fmt.Errorf("write JSON report: no report (nil)")
	}
	enc := json.NewEncoder(w)
	// Details quote provider messages ("<html>", "a & b"); escaping them as
	// \u003c only makes the report harder to read for people and jq.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(jsonNormalize(r)); err != nil {
		return fmt.Errorf("write JSON report: %w", err)
	}
	return nil
}

// jsonNormalize returns a copy of r fit for the wire; r itself is not modified
// because the same report goes on to other sinks concurrently.
func jsonNormalize(r *Report) *Report {
	out := *r
	out.Time = r.Time.UTC()
	out.Providers = make([]ProviderReport, 0, len(r.Providers))
	for _, p := range r.Providers {
		p.Probe.LatencyMS = jsonMS(p.Probe.LatencyMS)
		p.Probe.Phases = probes.Phases{
			DNS:      jsonMS(p.Probe.Phases.DNS),
			Connect:  jsonMS(p.Probe.Phases.Connect),
			TLS:      jsonMS(p.Probe.Phases.TLS),
			TTFB:     jsonMS(p.Probe.Phases.TTFB),
			Transfer: jsonMS(p.Probe.Phases.Transfer),
		}
		p.RateLimit.ResetAt = jsonUTC(p.RateLimit.ResetAt)
		p.RateLimit.RequestsLimit = jsonFinite(p.RateLimit.RequestsLimit)
		p.RateLimit.RequestsRemaining = jsonFinite(p.RateLimit.RequestsRemaining)
		p.RateLimit.TokensLimit = jsonFinite(p.RateLimit.TokensLimit)
		p.RateLimit.TokensRemaining = jsonFinite(p.RateLimit.TokensRemaining)
		p.RateLimit.Headroom = jsonFinite(p.RateLimit.Headroom)
		p.RateLimit.CreditsRemaining = jsonFinite(p.RateLimit.CreditsRemaining)
		models := make([]ModelReport, 0, len(p.Models))
		for _, m := range p.Models {
			m.Since = jsonUTC(m.Since)
			models = append(models, m)
		}
		p.Models = models
		out.Providers = append(out.Providers, p)
	}
	out.Order.Configured = jsonOrder(r.Order.Configured)
	out.Order.Effective = jsonOrder(r.Order.Effective)
	return &out
}

func jsonOrder(o configs.Order) configs.Order {
	return configs.Order{Primary: o.Primary, Fallbacks: append([]string{}, o.Fallbacks...)}
}

// jsonMS rounds a millisecond figure to whole nanoseconds: that is all the
// precision a Go clock has, and it drops float noise such as
// 12.400000000000002 while keeping sub-millisecond precision. Non-finite
// values (which encoding/json refuses) become 0.
func jsonMS(ms float64) float64 {
	if math.IsNaN(ms) || math.IsInf(ms, 0) {
		return 0
	}
	return math.Round(ms*1e6) / 1e6
}

// jsonFinite turns a non-finite figure into null: it is not a number the
// provider told us, and encoding/json would fail the whole report on it.
func jsonFinite(f *float64) *float64 {
	if f == nil || math.IsNaN(*f) || math.IsInf(*f, 0) {
		return nil
	}
	return f
}

func jsonUTC(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
