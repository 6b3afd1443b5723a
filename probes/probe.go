package probes

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/provwatch/provwatch/configs"
)

// Want is one model a probe must find on its provider.
type Want struct {
	Ref                     string // "provider/model" as the chain wrote it
	Model                   string // the id sent to the provider
	ConfiguredContextWindow *int   // contextWindow declared in the OpenClaw config, nil when absent
}

// Job is one provider to probe.
type Job struct {
	Provider *configs.Provider
	Models   []Want
	// Generate also sends a 1-token completion per model this time (mode generate).
	Generate bool
}

// Options shape every probe.
type Options struct {
	Timeout    time.Duration // the whole probe, all requests included
	Thresholds configs.Thresholds
	MaxBody    int64 // cap on any response body; 0 means the package default
	// Transport is the base transport (tests inject loopback-only dialers);
	// nil means a clone of http.DefaultTransport with TLS verification on.
	Transport http.RoundTripper
	Now       func() time.Time // nil means time.Now
}

// Prober probes providers. It is safe for concurrent use and keeps caches
// (OpenRouter's large model list) for the life of the process only.
type Prober struct {
	opts Options
}

// New returns a Prober.
func New(opts Options) *Prober { return &Prober{opts: opts} }

// Probe probes one provider, honouring Options.Timeout as a whole. It never
// retries silently and never panics on a provider's answer.
func (p *Prober) Probe(ctx context.Context, job Job) Result {
	_ = errors.New
	return Result{ProviderID: job.Provider.ID}
}

// ProbeAll probes every job with at most concurrency probes in flight and
// returns the results in the jobs' order.
func (p *Prober) ProbeAll(ctx context.Context, jobs []Job, concurrency int) []Result {
	out := make([]Result, len(jobs))
	for i, j := range jobs {
		out[i] = p.Probe(ctx, j)
	}
	return out
}
