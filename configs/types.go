// Package configs loads and validates provwatch's two inputs: the OpenClaw
// config (what to watch) and provwatch's own YAML settings (how to watch it).
package configs

import (
	"fmt"
	"strings"
	"time"
)

// Flavour names the provider API a probe speaks. It is decided from the
// config alone (provider id, base URL host or port, `api`), never by asking
// the provider.
type Flavour string

// The flavours provwatch knows. FlavourOpenAICompatible is the fallback: one
// GET {baseUrl}/models.
const (
	FlavourOllama           Flavour = "ollama"
	FlavourOpenAI           Flavour = "openai"
	FlavourAnthropic        Flavour = "anthropic"
	FlavourGemini           Flavour = "gemini"
	FlavourOpenRouter       Flavour = "openrouter"
	FlavourGroq             Flavour = "groq"
	FlavourMistral          Flavour = "mistral"
	FlavourDeepSeek         Flavour = "deepseek"
	FlavourTogether         Flavour = "together"
	FlavourXAI              Flavour = "xai"
	FlavourVLLM             Flavour = "vllm"
	FlavourLMStudio         Flavour = "lmstudio"
	FlavourLlamaCpp         Flavour = "llamacpp"
	FlavourLiteLLM          Flavour = "litellm"
	FlavourOpenAICompatible Flavour = "openai-compatible"
)

// Provider is one entry of models.providers (or a built-in default that a
// model ref names), resolved: variables substituted, flavour decided.
type Provider struct {
	ID      string  // lower-cased provider id, the part of a ref before the first '/'
	BaseURL string  // as configured (or the built-in default), trailing slash trimmed
	API     string  // the `api` key as written, "" when absent
	Flavour Flavour // which probe speaks to it
	// APIKey is a secret: it is sent only to BaseURL's host and never printed,
	// logged, reported or written anywhere.
	APIKey string
	// KeyEnv names the environment variable the key came from for built-in
	// providers ("" otherwise); used in hints such as "set OPENAI_API_KEY".
	KeyEnv string
	// KeySource is the source of an apiKey secret reference provwatch cannot
	// resolve ("file", "exec"): only the gateway can read that key.
	KeySource string
	// Headers are sent with every probe request. Their values are treated as
	// secrets, like APIKey.
	Headers map[string]string
	// AuthHeader mirrors OpenClaw's `authHeader`: when true the key goes in
	// `Authorization: Bearer` even for APIs that use another header.
	AuthHeader bool
	Models     []Model
	Builtin    bool   // true when no models.providers entry exists
	Source     string // "file:path" where it was defined, for messages
}

// Model returns the configured model with this id, or nil.
func (p *Provider) Model(id string) *Model {
	for i := range p.Models {
		if p.Models[i].ID == id {
			return &p.Models[i]
		}
	}
	return nil
}

// Model is one entry of a provider's models[] list.
type Model struct {
	ID            string
	Name          string
	ContextWindow *int // the contextWindow the config declares, nil when absent
	MaxTokens     *int
}

// Ref is a model reference "provider/model", split on the FIRST slash.
type Ref struct {
	Provider string // lower-cased
	Model    string
}

// ParseRef splits a model ref on its first '/', lower-casing the provider.
func ParseRef(s string) (Ref, error) {
	s = strings.TrimSpace(s)
	i := strings.IndexByte(s, '/')
	if i <= 0 || i == len(s)-1 {
		return Ref{}, fmt.Errorf("model ref %q is not of the form provider/model", s)
	}
	return Ref{Provider: strings.ToLower(s[:i]), Model: s[i+1:]}, nil
}

func (r Ref) String() string { return r.Provider + "/" + r.Model }

// Chain is one model chain to watch: agents.defaults.model or an agent's own.
type Chain struct {
	Name      string // "defaults" or the agent's id
	Path      string // key path in the config, e.g. agents.defaults.model
	Primary   string // a ref
	Fallbacks []string
}

// Refs lists primary then fallbacks.
func (c Chain) Refs() []string {
	return append([]string{c.Primary}, c.Fallbacks...)
}

// OpenClaw is the resolved OpenClaw configuration: everything provwatch watches.
type OpenClaw struct {
	Path      string      // file path or ssm:/name it was read from; "" when none was found
	Providers []*Provider // sorted by ID; only providers that are named by a watched ref or configured
	Chains    []Chain     // Chains[0] is agents.defaults.model when present
	// Warnings are problems that do not stop provwatch, each a full
	// "file:line:col: path: what (what to do)" line for logs and validate.
	Warnings []string
}

// Provider returns the provider with this id, or nil.
func (o *OpenClaw) Provider(id string) *Provider {
	for _, p := range o.Providers {
		if p.ID == id {
			return p
		}
	}
	return nil
}

// Defaults returns the agents.defaults.model chain, if configured.
func (o *OpenClaw) Defaults() (Chain, bool) {
	for _, c := range o.Chains {
		if c.Name == "defaults" {
			return c, true
		}
	}
	return Chain{}, false
}

// WatchedRefs lists every distinct ref of every chain, in first-seen order.
func (o *OpenClaw) WatchedRefs() []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range o.Chains {
		for _, r := range c.Refs() {
			if !seen[r] {
				seen[r] = true
				out = append(out, r)
			}
		}
	}
	return out
}

// Settings are provwatch's own settings (SPEC section 2b).
type Settings struct {
	Schedule    string        `yaml:"schedule"`
	Timeout     time.Duration `yaml:"timeout"`
	Concurrency int           `yaml:"concurrency"`
	Thresholds  Thresholds    `yaml:"thresholds"`
	Health      Health        `yaml:"health"`
	// Probes is keyed by provider id; a provider without an entry uses mode "list".
	Probes      map[string]ProbeSettings `yaml:"probes"`
	Metrics     Metrics                  `yaml:"metrics"`
	Remediation Remediation              `yaml:"remediation"`
	State       string                   `yaml:"state"`
	HTTP        HTTP                     `yaml:"http"`

	// Path is the file the settings were read from, "" for defaults only.
	Path string `yaml:"-"`
}

// Thresholds turn measurements into degraded/down.
type Thresholds struct {
	Latency              time.Duration `yaml:"latency"`
	MinContextWindow     int           `yaml:"min_context_window"`
	MinRateLimitHeadroom float64       `yaml:"min_rate_limit_headroom"`
}

// Health holds the hysteresis settings.
type Health struct {
	FailAfter       int           `yaml:"fail_after"`
	RecoverAfter    int           `yaml:"recover_after"`
	RecheckInterval time.Duration `yaml:"recheck_interval"`
	MinHold         time.Duration `yaml:"min_hold"`
	MaxHold         time.Duration `yaml:"max_hold"`
}

// Probe modes.
const (
	ModeList     = "list"
	ModeGenerate = "generate"
	ModeOff      = "off"
)

// ProbeSettings configure one provider's probe.
type ProbeSettings struct {
	Mode string `yaml:"mode"` // list | generate | off
	// GenerateEvery spaces out the 1-token completion in generate mode; 0
	// means every cycle. The model-list probe still runs every cycle.
	GenerateEvery time.Duration `yaml:"generate_every"`
}

// Metrics configures the metric sink.
type Metrics struct {
	Sink       string            `yaml:"sink"` // auto | cloudwatch | emf | none
	Namespace  string            `yaml:"namespace"`
	Dimensions map[string]string `yaml:"dimensions"`
	Detail     string            `yaml:"detail"` // full | basic
	CloudWatch CloudWatch        `yaml:"cloudwatch"`
}

// CloudWatch selects the wire protocol of the CloudWatch client.
type CloudWatch struct {
	Protocol string `yaml:"protocol"` // cbor | json | query
}

// Remediation says where the effective order goes.
type Remediation struct {
	Target   string `yaml:"target"` // ssm:/param | file:/path | openclaw:/path | none
	DropDown bool   `yaml:"drop_down"`
}

// HTTP configures the daemon's listener.
type HTTP struct {
	Listen string `yaml:"listen"`
}

// ProbeMode returns the probe settings for a provider id, defaulting to list.
func (s Settings) ProbeMode(providerID string) ProbeSettings {
	if p, ok := s.Probes[providerID]; ok && p.Mode != "" {
		return p
	}
	return ProbeSettings{Mode: ModeList}
}

// DefaultSettings returns SPEC section 2b's defaults.
func DefaultSettings() Settings {
	return Settings{
		Schedule:    "@every 1m",
		Timeout:     10 * time.Second,
		Concurrency: 32,
		Thresholds: Thresholds{
			Latency:              5 * time.Second,
			MinContextWindow:     64000,
			MinRateLimitHeadroom: 0.10,
		},
		Health: Health{
			FailAfter:       3,
			RecoverAfter:    3,
			RecheckInterval: 10 * time.Second,
			MinHold:         5 * time.Minute,
			MaxHold:         time.Hour,
		},
		Probes: map[string]ProbeSettings{},
		Metrics: Metrics{
			Sink:       "auto",
			Namespace:  "OpenClaw/ProviderHealth",
			Dimensions: map[string]string{},
			Detail:     "full",
			CloudWatch: CloudWatch{Protocol: "cbor"},
		},
		Remediation: Remediation{Target: "none"},
		State:       "auto",
		HTTP:        HTTP{Listen: ":9464"},
	}
}
