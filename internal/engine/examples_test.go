package engine_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/internal/engine"
	"github.com/provwatch/provwatch/internal/sim"
	"github.com/provwatch/provwatch/probes"
	"github.com/provwatch/provwatch/reporter"
)

// exampleEnv holds placeholder values for every variable the shipped
// examples reference. Base URLs point at a documentation address that is
// never dialled: the test replaces them with simulators before probing.
var exampleEnv = map[string]string{
	"OLLAMA_BASE_URL":    "http://192.0.2.1:11434",
	"GPU_HOST":           "192.0.2.2",
	"OPENROUTER_API_KEY": "placeholder-openrouter",
	"GROQ_API_KEY":       "placeholder-groq",
	"GEMINI_API_KEY":     "placeholder-gemini",
	"OPENAI_API_KEY":     "placeholder-openai",
	"ANTHROPIC_API_KEY":  "placeholder-anthropic",
	"VLLM_API_KEY":       "placeholder-vllm",
}

// exampleFault is what breaks the primary's provider in the second check.
type exampleFault struct {
	fault  sim.Fault
	params sim.FaultParams
	state  probes.State
	reason probes.Reason
	// broken are the refs the fault takes down, in configured order: every
	// ref of the provider for provider-wide faults, the primary alone for
	// model-scoped ones.
	broken []string
}

// TestCheckExamples runs `provwatch check` against every shipped example,
// each provider answered by a simulator of the API the config's flavour
// decision says it speaks. Healthy simulators must give an all-healthy
// report; a fault on the primary's provider must demote exactly the refs it
// breaks, with the reason the fault really is.
func TestCheckExamples(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file        string
		primary     string // the configured primary, for the fault's expectations
		wantPrimary string // the effective primary once the fault is on
		fault       exampleFault
	}{
		{
			file:        "ollama-primary.json5",
			primary:     "ollama/qwen3-coder",
			wantPrimary: "openrouter/google/gemini-flash-1.5",
			// Ollama names an untagged model :latest; the fault names it as served.
			fault: exampleFault{fault: sim.MissingModel, params: sim.FaultParams{Model: "qwen3-coder:latest"},
				state: probes.Down, reason: probes.ReasonNoModel, broken: []string{"ollama/qwen3-coder"}},
		},
		{
			file:        "free-tier.json5",
			primary:     "openrouter/meta-llama/llama-3.3-70b-instruct:free",
			wantPrimary: "groq/llama-3.3-70b-versatile",
			fault: exampleFault{fault: sim.Unauthorized, state: probes.Down, reason: probes.ReasonAuth,
				broken: []string{"openrouter/meta-llama/llama-3.3-70b-instruct:free", "openrouter/deepseek/deepseek-chat-v3-0324:free"}},
		},
		{
			file:        "hybrid.json5",
			primary:     "openai/gpt-4o-mini",
			wantPrimary: "anthropic/claude-3-5-sonnet-20241022",
			fault: exampleFault{fault: sim.Refused, state: probes.Down, reason: probes.ReasonUnreachable,
				broken: []string{"openai/gpt-4o-mini"}},
		},
		{
			file:        "self-hosted.json5",
			primary:     "vllm/Qwen/Qwen2.5-Coder-32B-Instruct",
			wantPrimary: "lmstudio/qwen/qwen3-coder-30b",
			// Below OpenClaw's 16000-token floor: down, not merely degraded.
			fault: exampleFault{fault: sim.SmallContext, params: sim.FaultParams{Model: "Qwen/Qwen2.5-Coder-32B-Instruct", Context: 8192},
				state: probes.Down, reason: probes.ReasonContextWindow, broken: []string{"vllm/Qwen/Qwen2.5-Coder-32B-Instruct"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			oc, err := configs.LoadOpenClaw(ctx, configs.Source{
				Path:   filepath.Join("..", "..", "configs", "examples", tt.file),
				Getenv: func(k string) string { return exampleEnv[k] },
			})
			if err != nil {
				t.Fatal(err)
			}
			sims := simulate(t, oc)
			watched := oc.WatchedRefs()
			configured, ok := oc.Defaults()
			if !ok {
				t.Fatalf("%s has no agents.defaults.model chain", tt.file)
			}
			if configured.Primary != tt.primary {
				t.Fatalf("configured primary %q, the table expects %q", configured.Primary, tt.primary)
			}

			// 1. Every simulator healthy: every ref healthy, order unchanged.
			rep := check(ctx, oc)
			models := byRef(t, rep)
			for _, ref := range watched {
				m, ok := models[ref]
				if !ok {
					t.Errorf("%s: not in the report", ref)
					continue
				}
				if m.State != probes.Healthy || m.Reason != probes.ReasonOK {
					t.Errorf("%s: %s/%s (%s), want healthy/ok", ref, m.State, m.Reason, m.Detail)
				}
			}
			if rep.Healthy != len(watched) || rep.Degraded != 0 || rep.Down != 0 {
				t.Errorf("counts healthy=%d degraded=%d down=%d, want %d/0/0", rep.Healthy, rep.Degraded, rep.Down, len(watched))
			}
			if c := engine.ExitCode(rep); c != 0 {
				t.Errorf("exit code %d, want 0", c)
			}
			if got := rep.Order.Effective.Refs(); !slices.Equal(got, configured.Refs()) || rep.Order.Changed {
				t.Errorf("effective order %v (changed=%v), want the configured %v", got, rep.Order.Changed, configured.Refs())
			}
			noKeys(t, rep, oc)
			for _, p := range oc.Providers {
				keyWentHome(t, p, sims)
			}

			// 2. The primary's provider broken: its refs demoted for the
			// fault's own reason, the first healthy fallback promoted.
			primaryProv := strings.SplitN(tt.primary, "/", 2)[0]
			if err := sims[primaryProv].SetFault(tt.fault.fault, tt.fault.params); err != nil {
				t.Fatal(err)
			}
			rep = check(ctx, oc)
			models = byRef(t, rep)
			for _, ref := range watched {
				m := models[ref]
				want, wantReason := probes.Healthy, probes.ReasonOK
				if slices.Contains(tt.fault.broken, ref) {
					want, wantReason = tt.fault.state, tt.fault.reason
				}
				if m.State != want || m.Reason != wantReason {
					t.Errorf("with %s on %s: %s is %s/%s (%s), want %s/%s",
						tt.fault.fault, primaryProv, ref, m.State, m.Reason, m.Detail, want, wantReason)
				}
			}
			if rep.Down != len(tt.fault.broken) || rep.Healthy != len(watched)-len(tt.fault.broken) {
				t.Errorf("counts healthy=%d degraded=%d down=%d, want %d/0/%d",
					rep.Healthy, rep.Degraded, rep.Down, len(watched)-len(tt.fault.broken), len(tt.fault.broken))
			}
			if c := engine.ExitCode(rep); c != 1 {
				t.Errorf("exit code %d with the primary broken, want 1", c)
			}
			// Healthy refs keep their configured order; the broken ones follow.
			var wantOrder []string
			for _, r := range configured.Refs() {
				if !slices.Contains(tt.fault.broken, r) {
					wantOrder = append(wantOrder, r)
				}
			}
			wantOrder = append(wantOrder, tt.fault.broken...)
			if rep.Order.Effective.Primary != tt.wantPrimary || !slices.Equal(rep.Order.Effective.Refs(), wantOrder) || !rep.Order.Changed {
				t.Errorf("effective order %v (changed=%v), want %v led by %s",
					rep.Order.Effective.Refs(), rep.Order.Changed, wantOrder, tt.wantPrimary)
			}
			noKeys(t, rep, oc)
		})
	}
}

// check is one `provwatch check` with default settings and a fresh prober,
// as a new process would have (no OpenRouter list cached from before).
func check(ctx context.Context, oc *configs.OpenClaw) *reporter.Report {
	s := configs.DefaultSettings()
	return engine.Check(ctx, engine.Options{
		OpenClaw: oc, Settings: s, Log: zerolog.Nop(),
		Prober: probes.New(probes.Options{Timeout: 5 * time.Second, Thresholds: s.Thresholds}),
	})
}

// simulate starts one simulator per resolved provider, of the kind the
// config's flavour names, serving the models the chains name, and points
// the provider at it with a key of its own. The flavour is left as the
// config decided it: a wrong decision shows as a probe that cannot read
// the simulated API.
func simulate(t *testing.T, oc *configs.OpenClaw) map[string]*sim.Server {
	t.Helper()
	sims := map[string]*sim.Server{}
	for _, p := range oc.Providers {
		kind := sim.Kind(p.Flavour)
		if !kind.Valid() {
			kind = sim.OpenAICompatible
		}
		models := []sim.Model{} // non-nil: serve only what the chains name
		for _, w := range engine.Wants(oc, p) {
			models = append(models, servedModel(kind, w))
		}
		s, err := sim.Start(kind, sim.Options{Models: models, APIKey: "test-key-" + p.ID})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		p.BaseURL = s.BaseURL()
		p.APIKey = "test-key-" + p.ID
		sims[p.ID] = s
	}
	return sims
}

// servedModel is a realistic served model for a watched one: a context at
// least the configured window and at least provwatch's 64000 threshold, in
// the fields the kind really reports it with.
func servedModel(kind sim.Kind, w probes.Want) sim.Model {
	ctx := 131072
	if w.ConfiguredContextWindow != nil && *w.ConfiguredContextWindow > ctx {
		ctx = *w.ConfiguredContextWindow
	}
	m := sim.Model{ID: w.Model, ContextWindow: ctx}
	switch kind {
	case sim.Ollama:
		// The sim tags an untagged name :latest, as `ollama pull` does.
		m = sim.Model{ID: w.Model, NumCtx: ctx, Trained: 2 * ctx}
	case sim.LMStudio:
		m.Loaded, m.NumCtx = true, ctx
	case sim.LlamaCpp:
		m.Trained = 2 * ctx
	case sim.Anthropic:
		// Anthropic lists dated ids; the undated name is an alias of one.
		if w.Model == "claude-sonnet-4-5" {
			m.ID, m.Aliases = "claude-sonnet-4-5-20250929", []string{w.Model}
		}
	}
	return m
}

// byRef indexes a report's models by ref; a ref reported twice with
// different verdicts is a bug.
func byRef(t *testing.T, rep *reporter.Report) map[string]reporter.ModelReport {
	t.Helper()
	out := map[string]reporter.ModelReport{}
	for _, p := range rep.Providers {
		for _, m := range p.Models {
			if prev, ok := out[m.Ref]; ok && (prev.State != m.State || prev.Reason != m.Reason) {
				t.Errorf("%s reported twice: %s/%s and %s/%s", m.Ref, prev.State, prev.Reason, m.State, m.Reason)
			}
			out[m.Ref] = m
		}
	}
	return out
}

// noKeys fails when any provider's key shows in the JSON report.
func noKeys(t *testing.T, rep *reporter.Report, oc *configs.OpenClaw) {
	t.Helper()
	var buf bytes.Buffer
	if err := reporter.WriteJSON(&buf, rep); err != nil {
		t.Fatal(err)
	}
	for _, p := range oc.Providers {
		if strings.Contains(buf.String(), p.APIKey) {
			t.Errorf("the JSON report contains %s's API key", p.ID)
		}
	}
}

// keyWentHome checks that p's simulator got p's key in its API's own auth
// header, and that no other provider's key reached it, in any header or
// in the URL.
func keyWentHome(t *testing.T, p *configs.Provider, sims map[string]*sim.Server) {
	t.Helper()
	s := sims[p.ID]
	got := false
	for _, r := range s.Log() {
		if authKey(s.Kind(), r.Header) == p.APIKey {
			got = true
		}
		if strings.Contains(r.RawQuery, p.APIKey) {
			t.Errorf("%s: the key was sent in the URL of %s %s", p.ID, r.Method, r.Path)
		}
		for other, o := range sims {
			if other == p.ID {
				continue
			}
			k := o.APIKey()
			if strings.Contains(r.RawQuery, k) || strings.Contains(fmt.Sprint(r.Header), k) {
				t.Errorf("%s's key reached %s's host in %s %s", other, p.ID, r.Method, r.Path)
			}
		}
	}
	if !got {
		t.Errorf("%s (%s): no request carried its key in the %s header; requests: %v", p.ID, s.Kind(), authHeaderOf(s.Kind()), paths(s.Log()))
	}
}

// authHeaderOf is the header each API documents for its key.
func authHeaderOf(k sim.Kind) string {
	switch k {
	case sim.Anthropic:
		return "X-Api-Key"
	case sim.Gemini:
		return "X-Goog-Api-Key"
	}
	return "Authorization"
}

// authKey is the key a request carried in its API's documented header.
func authKey(k sim.Kind, h http.Header) string {
	v := h.Get(authHeaderOf(k))
	if authHeaderOf(k) == "Authorization" {
		v, _ = strings.CutPrefix(v, "Bearer ")
	}
	return v
}

func paths(log []sim.Request) []string {
	var out []string
	for _, r := range log {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}
