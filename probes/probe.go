package probes

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/internal/httpx"
	"github.com/provwatch/provwatch/internal/redact"
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
	opts   Options
	client *http.Client
	orList listCache // OpenRouter's public model list
}

// New returns a Prober.
func New(opts Options) *Prober {
	return &Prober{
		opts: opts,
		client: &http.Client{
			Transport:     newTransport(opts.Transport),
			CheckRedirect: httpx.SameOrigin(maxRedirects),
		},
	}
}

func (p *Prober) now() time.Time {
	if p.opts.Now != nil {
		return p.opts.Now()
	}
	return time.Now()
}

func (p *Prober) timeout() time.Duration {
	if p.opts.Timeout > 0 {
		return p.opts.Timeout
	}
	return DefaultTimeout
}

func (p *Prober) maxBody() int64 {
	if p.opts.MaxBody > 0 {
		return p.opts.MaxBody
	}
	return DefaultMaxBody
}

// proberFunc probes one provider API. It returns a provider-level failure,
// or one served entry per wanted model, in the wants' order.
type proberFunc func(s *session, job Job) outcome

type outcome struct {
	fail      *verdict // provider-level: every wanted model takes it
	failReply *reply   // the request that failed, when one did
	models    []served
}

// failed is the outcome of a provider-level request that failed.
func failed(r *reply, v *verdict) outcome { return outcome{fail: v, failReply: r} }

// probers maps each flavour to its prober: a new API is one file and one line here.
var probers = map[configs.Flavour]proberFunc{
	configs.FlavourOllama:           probeOllama,
	configs.FlavourAnthropic:        probeAnthropic,
	configs.FlavourGemini:           probeGemini,
	configs.FlavourOpenRouter:       probeOpenRouter,
	configs.FlavourOpenAI:           probeOpenAICompatible,
	configs.FlavourGroq:             probeOpenAICompatible,
	configs.FlavourMistral:          probeOpenAICompatible,
	configs.FlavourDeepSeek:         probeOpenAICompatible,
	configs.FlavourTogether:         probeOpenAICompatible,
	configs.FlavourXAI:              probeOpenAICompatible,
	configs.FlavourVLLM:             probeOpenAICompatible,
	configs.FlavourLMStudio:         probeOpenAICompatible,
	configs.FlavourLlamaCpp:         probeOpenAICompatible,
	configs.FlavourLiteLLM:          probeOpenAICompatible,
	configs.FlavourOpenAICompatible: probeOpenAICompatible,
}

// keyRequired lists the hosted APIs that answer nothing without a key; a
// probe of one without a key sends no request.
var keyRequired = map[configs.Flavour]bool{
	configs.FlavourOpenAI: true, configs.FlavourAnthropic: true, configs.FlavourGemini: true,
	configs.FlavourOpenRouter: true, configs.FlavourGroq: true, configs.FlavourMistral: true,
	configs.FlavourDeepSeek: true, configs.FlavourTogether: true, configs.FlavourXAI: true,
}

func flavourOf(p *configs.Provider) configs.Flavour {
	if _, ok := probers[p.Flavour]; ok {
		return p.Flavour
	}
	return configs.FlavourOpenAICompatible
}

// Probe probes one provider, honouring Options.Timeout as a whole. It never
// retries silently and never panics on a provider's answer.
func (p *Prober) Probe(ctx context.Context, job Job) (res Result) {
	start := p.now()
	if job.Provider == nil {
		return Result{Start: start, Probe: ProbeInfo{Error: "no provider to probe"}}
	}
	prov := job.Provider
	fl := flavourOf(prov)
	res = Result{ProviderID: prov.ID, API: string(fl), BaseURL: redact.URL(prov.BaseURL), Start: start}
	wants := withConfigured(prov, job.Models)
	sec := secretsOf(prov)
	defer func() {
		if r := recover(); r != nil {
			v := degraded(ReasonFormat, fmt.Sprintf("internal error while probing %s: %v", prov.ID, r),
				"report this as a provwatch bug, with the provider's answer")
			res.Probe.OK, res.Probe.Error = false, v.Detail
			res.Models = failAll(wants, v)
		}
		scrub(&res, sec)
	}()

	if prov.Unprobed != "" {
		// Nothing to ask: its models are unknown and keep their place.
		res.API = APIUnprobed
		res.Models = make([]ModelResult, len(wants))
		for i, w := range wants {
			res.Models[i] = ModelResult{Ref: w.Ref, Model: w.Model, State: Unknown, Reason: ReasonUnprobed,
				Detail: prov.Unprobed, Hint: prov.Hint, ConfiguredContextWindow: w.ConfiguredContextWindow}
		}
		return res
	}

	ctx, cancel := context.WithTimeout(ctx, p.timeout())
	defer cancel()
	s := &session{p: p, ctx: ctx, prov: prov, flavour: fl, maxBody: p.maxBody(), limit: p.timeout(), secrets: sec}

	var out outcome
	if v := precheck(s); v != nil {
		out.fail = v
	} else {
		job.Models = wants
		out = probers[fl](s, job)
	}

	res.Probe.LatencyMS = ms(p.now().Sub(start))
	if s.main != nil {
		res.Probe.Phases = s.main.phases
		res.Probe.StatusCode = s.main.status
	}
	if out.failReply != nil {
		res.Probe.StatusCode = out.failReply.status
	}
	res.RateLimit = s.rl.result()
	if out.fail != nil {
		res.Probe.Error = out.fail.Detail
		res.Models = failAll(wants, out.fail)
		return res
	}
	res.Probe.OK = true
	pv := s.providerVerdicts(p.opts.Thresholds, res.RateLimit)
	res.Models = make([]ModelResult, len(wants))
	for i, w := range wants {
		var sv served
		if i < len(out.models) {
			sv = out.models[i]
		}
		mr := s.judge(w, sv, p.opts.Thresholds)
		if pv != nil && pv.State > mr.State {
			mr.State, mr.Reason, mr.Detail, mr.Hint = pv.State, pv.Reason, pv.Detail, pv.Hint
		}
		res.Models[i] = mr
	}
	return res
}

// precheck refuses to send anything for a provider that cannot be probed:
// no usable base URL, or no key where the API needs one.
func precheck(s *session) *verdict {
	prov := s.prov
	if prov.ConfigError != "" {
		return down(ReasonConfig, prov.ConfigError+" (no request sent)", prov.Hint)
	}
	u, err := url.Parse(strings.TrimRight(prov.BaseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return down(ReasonUnreachable, fmt.Sprintf("%s: baseUrl %q is not an http(s) URL", prov.ID, redact.URL(prov.BaseURL)),
			fmt.Sprintf("set models.providers.%s.baseUrl to the provider's http(s) address", prov.ID))
	}
	u.RawQuery, u.Fragment = "", ""
	s.base = u
	if keyRequired[s.flavour] && !hasCredentials(prov) {
		d := fmt.Sprintf("no API key for %s: none configured", prov.ID)
		hint := fmt.Sprintf("set models.providers.%s.apiKey", prov.ID)
		switch {
		case prov.KeySource != "":
			d = fmt.Sprintf("no API key for %s: its apiKey is a %s secret that only the gateway can read", prov.ID, prov.KeySource)
			hint = fmt.Sprintf(`give provwatch the key too: models.providers.%s.apiKey {source: "env", id: "VAR"} with VAR set where provwatch runs`, prov.ID)
		case prov.KeyEnv != "":
			d += " and " + prov.KeyEnv + " is not set"
			hint = "set " + prov.KeyEnv
		}
		return down(ReasonAuth, d+" (no request sent)", hint)
	}
	return nil
}

// NewJob builds the job for one provider and the model ids a chain names
// on it: refs are "<provider id>/<model>", configured context windows come
// from the provider's models[].
func NewJob(p *configs.Provider, models []string, generate bool) Job {
	ws := make([]Want, len(models))
	for i, m := range models {
		ws[i] = Want{Ref: p.ID + "/" + m, Model: m}
	}
	return Job{Provider: p, Models: withConfigured(p, ws), Generate: generate}
}

// withConfigured fills in a want's configured context from the provider's
// models[] when the caller left it out.
func withConfigured(prov *configs.Provider, wants []Want) []Want {
	out := make([]Want, len(wants))
	for i, w := range wants {
		if w.ConfiguredContextWindow == nil {
			if m := prov.Model(w.Model); m != nil {
				w.ConfiguredContextWindow = m.ContextWindow
			}
		}
		if w.Ref == "" {
			w.Ref = prov.ID + "/" + w.Model
		}
		out[i] = w
	}
	return out
}

func failAll(wants []Want, v *verdict) []ModelResult {
	out := make([]ModelResult, len(wants))
	for i, w := range wants {
		out[i] = ModelResult{Ref: w.Ref, Model: w.Model, State: v.State, Reason: v.Reason, Detail: v.Detail,
			Hint: v.Hint, ConfiguredContextWindow: w.ConfiguredContextWindow}
	}
	return out
}

// secretsOf lists every credential a probe of prov may send: the key, the
// configured header values, and what the base URL carries (user:password,
// the Basic header built from it, credential query parameters).
func secretsOf(prov *configs.Provider) *redact.Secrets {
	sec := &redact.Secrets{}
	sec.Add(prov.APIKey)
	for _, v := range prov.Headers {
		sec.AddHeader(v)
	}
	sec.AddURL(prov.BaseURL)
	return sec
}

// scrub removes every credential of the provider (sec, from secretsOf)
// from every text of a result, whatever a provider echoed back, and makes
// that text inert (Inert): this is where results are made, so every output
// gets it. Bodies were already redacted as they were read, before anything
// cut them; this is the last pass.
func scrub(res *Result, sec *redact.Secrets) {
	clean := func(s *string) { *s = Inert(sec.String(*s)) }
	clean(&res.BaseURL)
	clean(&res.Probe.Error)
	for i := range res.Models {
		clean(&res.Models[i].Detail)
		clean(&res.Models[i].Hint)
	}
}

// ProbeAll probes every job with at most concurrency probes in flight and
// returns the results in the jobs' order. When ctx ends (a cycle's
// deadline), the probes waiting for a slot are not started and those in
// flight are cut short: both come back marked Cut.
func (p *Prober) ProbeAll(ctx context.Context, jobs []Job, concurrency int) []Result {
	if concurrency < 1 {
		concurrency = 1
	}
	out := make([]Result, len(jobs))
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	for i := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				out[i] = p.cut(jobs[i], "was not started")
				return
			}
			defer func() { <-sem }()
			if ctx.Err() != nil {
				out[i] = p.cut(jobs[i], "was not started")
				return
			}
			out[i] = p.Probe(ctx, jobs[i])
			if ctx.Err() != nil {
				out[i] = p.cut(jobs[i], "was cut short")
			}
		}()
	}
	wg.Wait()
	return out
}

// cut is the result of a probe that ctx ended before it could observe
// anything: it names the provider and models, and carries no verdict.
func (p *Prober) cut(job Job, what string) Result {
	res := Result{Start: p.now(), Cut: true}
	if job.Provider == nil {
		return res
	}
	prov := job.Provider
	res.ProviderID, res.API, res.BaseURL = prov.ID, string(flavourOf(prov)), redact.URL(prov.BaseURL)
	res.Probe.Error = fmt.Sprintf("the probe of %s %s: the cycle ended first", prov.ID, what)
	for _, w := range withConfigured(prov, job.Models) {
		res.Models = append(res.Models, ModelResult{Ref: w.Ref, Model: w.Model, State: Down, Reason: ReasonTimeout,
			Detail: res.Probe.Error, ConfiguredContextWindow: w.ConfiguredContextWindow})
	}
	return res
}
