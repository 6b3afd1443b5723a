package sim_test

import (
	"context"
	"testing"
	"time"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/internal/sim"
	"github.com/provwatch/provwatch/probes"
)

// jobsFor turns a fleet into one probe job per provider, watching its
// first model as the chain does.
func jobsFor(f *sim.Fleet) []probes.Job { return jobsOf(f.Providers()) }

func jobsOf(provs []*configs.Provider) []probes.Job {
	var jobs []probes.Job
	for _, p := range provs {
		m := p.Models[0]
		jobs = append(jobs, probes.Job{Provider: p, Models: []probes.Want{{
			Ref: p.ID + "/" + m.ID, Model: m.ID, ConfiguredContextWindow: m.ContextWindow}}})
	}
	return jobs
}

func newProber() *probes.Prober {
	return probes.New(probes.Options{Timeout: 5 * time.Second, Thresholds: configs.DefaultSettings().Thresholds})
}

// TestProbesAgainstSimulator: provwatch's own probes read every simulated
// kind as healthy, and read each fault as docs/reference.md §3's state and reason. This
// keeps the simulator and the probes honest with each other.
func TestProbesAgainstSimulator(t *testing.T) {
	t.Parallel()
	type want struct {
		state  probes.State
		reason probes.Reason
	}
	healthy := want{probes.Healthy, probes.ReasonOK}
	noContextField := map[string]bool{"openai": true, "xai": true, "custom": true}
	// OpenRouter is not here: its low headroom is credit (2.5 of 100 USD
	// left on /api/v1/key), which counts as remaining/limit headroom too.
	noRateHeaders := map[string]bool{"ollama": true, "google": true, "deepseek": true,
		"xai": true, "vllm": true, "lmstudio": true, "llamacpp": true}
	cases := []struct {
		fault  sim.Fault
		params sim.FaultParams
		want   func(id string) want
	}{
		{sim.None, sim.FaultParams{}, func(string) want { return healthy }},
		{sim.Refused, sim.FaultParams{}, func(string) want { return want{probes.Down, probes.ReasonUnreachable} }},
		{sim.Down, sim.FaultParams{}, func(string) want { return want{probes.Degraded, probes.ReasonOverloaded} }},
		{sim.Overloaded, sim.FaultParams{}, func(string) want { return want{probes.Degraded, probes.ReasonOverloaded} }},
		{sim.Stall, sim.FaultParams{}, func(string) want { return want{probes.Down, probes.ReasonTimeout} }},
		{sim.Slow, sim.FaultParams{Delay: time.Hour}, func(string) want { return want{probes.Down, probes.ReasonTimeout} }},
		{sim.Unauthorized, sim.FaultParams{}, func(string) want { return want{probes.Down, probes.ReasonAuth} }},
		{sim.Billing, sim.FaultParams{}, func(id string) want {
			if id == "google" { // Gemini's quota 429 cannot be told from a rate limit
				return want{probes.Down, probes.ReasonRateLimit}
			}
			return want{probes.Down, probes.ReasonBilling}
		}},
		{sim.RateLimited, sim.FaultParams{}, func(string) want { return want{probes.Down, probes.ReasonRateLimit} }},
		{sim.LowHeadroom, sim.FaultParams{}, func(id string) want {
			if noRateHeaders[id] {
				return healthy
			}
			return want{probes.Degraded, probes.ReasonRateLimit}
		}},
		{sim.ServerError, sim.FaultParams{}, func(string) want { return want{probes.Down, probes.ReasonServerError} }},
		{sim.MissingModel, sim.FaultParams{}, func(string) want { return want{probes.Down, probes.ReasonNoModel} }},
		{sim.SmallContext, sim.FaultParams{}, func(id string) want {
			if noContextField[id] {
				return healthy
			}
			return want{probes.Down, probes.ReasonContextWindow} // 4096 < 16000
		}},
		{sim.GarbageJSON, sim.FaultParams{}, func(string) want { return want{probes.Degraded, probes.ReasonFormat} }},
		{sim.HugeBody, sim.FaultParams{Size: 8 << 20}, func(string) want { return want{probes.Degraded, probes.ReasonFormat} }},
		{sim.Redirect, sim.FaultParams{}, func(string) want { return want{probes.Down, probes.ReasonUnreachable} }},
	}
	for _, c := range cases {
		t.Run(string(c.fault), func(t *testing.T) {
			t.Parallel()
			f, err := sim.StartMixed(len(sim.Kinds()), sim.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if err := f.SetFaultAll(c.fault, c.params); err != nil {
				t.Fatal(err)
			}
			timeout := 10 * time.Second
			if c.fault == sim.Stall || c.fault == sim.Slow {
				timeout = 300 * time.Millisecond // the answer never comes: do not wait long for it
			}
			p := probes.New(probes.Options{Timeout: timeout, Thresholds: configs.DefaultSettings().Thresholds})
			res := p.ProbeAll(context.Background(), jobsFor(f), 8)
			for i, r := range res {
				m := r.Models[0]
				if w := c.want(r.ProviderID); m.State != w.state || m.Reason != w.reason {
					t.Errorf("%s: %s/%s, want %s/%s: %s", r.ProviderID, m.State, m.Reason, w.state, w.reason, m.Detail)
				}
				if rec := f.Members()[i].Recorder(); rec != nil && rec.Hits() != 0 {
					t.Errorf("%s: the probe followed a cross-origin redirect, carrying %v", r.ProviderID, rec.Requests()[0].Header)
				}
			}
		})
	}
}
