package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/provwatch/provwatch/configs"
)

// Spec describes one provider of a Fleet.
type Spec struct {
	// ID is the provider id in the config; "" means the kind's usual id
	// ("google" for Gemini, "custom" for OpenAICompatible, else the kind),
	// or "<that>-N" when already taken.
	ID   string
	Kind Kind
	// Options for the server. An empty APIKey gets "sim-key-<id>" for cloud
	// kinds; local servers (Ollama, vLLM, LM Studio, llama.cpp, generic
	// OpenAI-compatible) stay keyless.
	Options Options
}

// Member is one running provider of a Fleet.
type Member struct {
	ID string
	*Server
}

// ConfigModelID is the id the config uses for m: Ollama configs name
// models without the :latest tag, as people write them.
func (m *Member) ConfigModelID(md Model) string {
	if m.Kind() == Ollama {
		return strings.TrimSuffix(md.ID, ":latest")
	}
	return md.ID
}

// Ref returns the member's first model as a chain ref ("id/model").
func (m *Member) Ref() string {
	ms := m.Models()
	if len(ms) == 0 {
		return ""
	}
	return m.ID + "/" + m.ConfigModelID(ms[0])
}

// Fleet is a set of simulated providers and the OpenClaw config naming them.
type Fleet struct {
	members []*Member
}

// StartFleet starts one server per spec. On error it closes what it started.
func StartFleet(specs ...Spec) (*Fleet, error) {
	f := &Fleet{}
	taken := map[string]int{}
	for i, sp := range specs {
		id := sp.ID
		if id == "" {
			id = defaultID(sp.Kind)
			if n := taken[id]; n > 0 {
				id = fmt.Sprintf("%s-%d", id, n+1)
			}
		}
		taken[defaultID(sp.Kind)]++
		if _, dup := taken["id:"+id]; dup {
			f.Close()
			return nil, fmt.Errorf("sim: fleet spec %d repeats provider id %q; give each provider its own id", i, id)
		}
		taken["id:"+id] = 1
		opts := sp.Options
		if opts.APIKey == "" && needsKey(sp.Kind) {
			opts.APIKey = "sim-key-" + id
		}
		s, err := Start(sp.Kind, opts)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("sim: fleet provider %q: %w", id, err)
		}
		f.members = append(f.members, &Member{ID: id, Server: s})
	}
	return f, nil
}

// StartMixed starts n providers cycling through Kinds(), each with opts
// (Models and APIKey left to their defaults), so the fleet mixes every API.
func StartMixed(n int, opts Options) (*Fleet, error) {
	kinds := Kinds()
	specs := make([]Spec, n)
	for i := range specs {
		o := opts
		o.Models, o.APIKey = nil, ""
		specs[i] = Spec{Kind: kinds[i%len(kinds)], Options: o}
	}
	return StartFleet(specs...)
}

func defaultID(k Kind) string {
	switch k {
	case Gemini:
		return "google"
	case OpenAICompatible:
		return "custom"
	}
	return string(k)
}

func needsKey(k Kind) bool {
	switch k {
	case Ollama, VLLM, LMStudio, LlamaCpp, OpenAICompatible:
		return false
	}
	return true
}

// Members returns the providers in spec order.
func (f *Fleet) Members() []*Member { return f.members }

// Get returns the member with this provider id, or nil.
func (f *Fleet) Get(id string) *Member {
	for _, m := range f.members {
		if m.ID == id {
			return m
		}
	}
	return nil
}

// SetFaultAll sets the fault on every member.
func (f *Fleet) SetFaultAll(ft Fault, p FaultParams) error {
	var errs []error
	for _, m := range f.members {
		if err := m.SetFault(ft, p); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", m.ID, err))
		}
	}
	return errors.Join(errs...)
}

// Close stops every member.
func (f *Fleet) Close() {
	for _, m := range f.members {
		m.Close()
	}
}

// Chain is agents.defaults.model for the fleet: the first member's first
// model as primary, every other member's first model as fallbacks.
func (f *Fleet) Chain() configs.Chain {
	c := configs.Chain{Name: "defaults", Path: "agents.defaults.model"}
	for i, m := range f.members {
		ref := m.Ref()
		if ref == "" {
			continue
		}
		if i == 0 {
			c.Primary = ref
		} else {
			c.Fallbacks = append(c.Fallbacks, ref)
		}
	}
	return c
}

// configContext is the contextWindow a config would declare for md.
func configContext(md Model) *int {
	n := md.ContextWindow
	if n == 0 {
		n = md.NumCtx
	}
	if n == 0 {
		return nil
	}
	return &n
}

// Providers returns the fleet as provwatch's resolved providers, flavour
// set from the kind, so tests can build probe jobs without a config file.
func (f *Fleet) Providers() []*configs.Provider {
	out := make([]*configs.Provider, 0, len(f.members))
	for _, m := range f.members {
		p := &configs.Provider{ID: m.ID, BaseURL: m.BaseURL(), API: m.Kind().API(),
			Flavour: configs.Flavour(m.Kind()), APIKey: m.APIKey(), Source: "sim"}
		for _, md := range m.Models() {
			p.Models = append(p.Models, configs.Model{ID: m.ConfigModelID(md), Name: md.ID, ContextWindow: configContext(md)})
		}
		out = append(out, p)
	}
	return out
}

// OpenClawConfig renders an OpenClaw config (JSON5; this output is also
// plain JSON after its comment line) naming every member under
// models.providers, with agents.defaults.model from Chain. API keys are
// written literally: they are simulator keys, not secrets.
func (f *Fleet) OpenClawConfig() []byte {
	type model struct {
		ID            string `json:"id"`
		Name          string `json:"name"`
		ContextWindow *int   `json:"contextWindow,omitempty"`
	}
	type provider struct {
		BaseURL string  `json:"baseUrl"`
		APIKey  string  `json:"apiKey,omitempty"`
		API     string  `json:"api"`
		Models  []model `json:"models"`
	}
	providers := map[string]provider{}
	for _, m := range f.members {
		p := provider{BaseURL: m.BaseURL(), APIKey: m.APIKey(), API: m.Kind().API(), Models: []model{}}
		for _, md := range m.Models() {
			p.Models = append(p.Models, model{ID: m.ConfigModelID(md), Name: md.ID, ContextWindow: configContext(md)})
		}
		providers[m.ID] = p
	}
	chain := f.Chain()
	fallbacks := chain.Fallbacks
	if fallbacks == nil {
		fallbacks = []string{}
	}
	doc := map[string]any{
		"models": map[string]any{"mode": "merge", "providers": providers},
		"agents": map[string]any{"defaults": map[string]any{
			"model": map[string]any{"primary": chain.Primary, "fallbacks": fallbacks}}},
	}
	var buf bytes.Buffer
	buf.WriteString("// OpenClaw config generated by provwatch's simulator: every provider listens on loopback.\n")
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	_ = enc.Encode(doc)
	return buf.Bytes()
}

// WriteOpenClawConfig writes OpenClawConfig to path (mode 0600: it holds keys).
func (f *Fleet) WriteOpenClawConfig(path string) error {
	if err := os.WriteFile(path, f.OpenClawConfig(), 0o600); err != nil {
		return fmt.Errorf("sim: writing the fleet's OpenClaw config: %w", err)
	}
	return nil
}
