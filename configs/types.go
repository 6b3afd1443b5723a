// Package configs loads and validates provwatch's two inputs: the OpenClaw
// config (what to watch) and provwatch's own YAML settings (how to watch it).
package configs

import (
	"fmt"
	"strings"
	"time"

	"github.com/provwatch/provwatch/configs/json5"
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

	// Unprobed, when set, says why provwatch cannot probe this provider (one
	// OpenClaw ships as a plugin, or one with no address provwatch knows):
	// its models are reported as unknown (reason unprobed) and keep their
	// place in the order.
	Unprobed string
	// ConfigError, when set, is why the config leaves this provider
	// unusable (a ${VAR} that is not set): its models are down with reason
	// config, and nothing is sent to it.
	ConfigError string
	// Hint says what would make an Unprobed provider probed, or what fixes
	// its ConfigError.
	Hint string
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

// ParseRef splits a model ref on its first '/' as OpenClaw does: the
// provider lower-cased, the model's case kept. Which provider an id such
// as x-ai names depends on the config (resolver.providerID).
func ParseRef(s string) (Ref, error) {
	s = strings.TrimSpace(s)
	i := strings.IndexByte(s, '/')
	if i <= 0 || i == len(s)-1 || strings.TrimSpace(s[i+1:]) == "" {
		return Ref{}, fmt.Errorf("model ref %q is not of the form provider/model", s)
	}
	return Ref{Provider: strings.ToLower(strings.TrimSpace(s[:i])), Model: strings.TrimSpace(s[i+1:])}, nil
}

func (r Ref) String() string { return r.Provider + "/" + r.Model }

// DefaultsChain is the Name of agents.defaults.model's chain.
const DefaultsChain = "defaults"

// Chain is one model chain to watch: agents.defaults.model or an agent's own.
type Chain struct {
	Name      string // DefaultsChain or the agent's id
	Path      string // key path in the config, e.g. agents.defaults.model
	Primary   string // a ref, as ParseRef spells it
	Fallbacks []string
	// Fixed marks a chain provwatch never reorders: an agent whose model is
	// a string or lists no fallbacks of its own runs on its primary alone
	// (OpenClaw 2026.9.x), so it is watched and reported, never moved (a
	// local-only agent is never sent elsewhere). agents.defaults.model, and
	// an agent's model with its own fallbacks, may be reordered.
	Fixed bool
	// File, Line and Col say where the value is written (an $include's file
	// when it comes from one), for messages.
	File      string
	Line, Col int

	model *json5.Node // the value in its Doc's merged tree
	// spelled maps each ref to the text the file writes for it (an alias,
	// an upper-case provider), so a rewrite keeps the person's spelling.
	spelled map[string]string
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
	// Warnings are what OpenClaw accepts but a person should fix (a bare
	// model id, a ${VAR} that is not set); validate lists them.
	Warnings []Warning
}

// Warning is a configuration problem that does not make the file invalid.
// It says where and what to do, like Error.
type Warning Error

func (w Warning) String() string { e := Error(w); return e.Error() }

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
func (o *OpenClaw) Defaults() (Chain, bool) { return o.chain(DefaultsChain) }

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

// Settings are provwatch's own settings (docs/reference.md §2b).
type Settings struct {
	Schedule    string        `yaml:"schedule"`
	Timeout     time.Duration `yaml:"timeout"`
	Concurrency int           `yaml:"concurrency"`
	Thresholds  Thresholds    `yaml:"thresholds"`
	Health      Health        `yaml:"health"`
	Liveness    Liveness      `yaml:"liveness"`
	// Probes is keyed by provider id; a provider without an entry uses mode "list".
	Probes      map[string]ProbeSettings `yaml:"probes"`
	Metrics     Metrics                  `yaml:"metrics"`
	Remediation Remediation              `yaml:"remediation"`
	State       Location                 `yaml:"state"`
	HTTP        HTTP                     `yaml:"http"`
	// Notify lists where notifications go, in the order written.
	Notify []NotifyDestination `yaml:"notify"`

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

// Liveness paces the cheap checks of self-hosted providers between
// scheduled probes (docs/configuration.md, "Detection speed").
type Liveness struct {
	// Every is how often each self-hosted provider gets one request that
	// only asks whether it answers at all; 0 turns the checks off.
	Every time.Duration `yaml:"every"`
	// Timeout bounds one liveness request: a server that does not answer
	// within it counts as hanging (timeout).
	Timeout time.Duration `yaml:"timeout"`
}

// DefaultFollowEvery is how often `provwatch follow` reads the published
// order: with run's detection (liveness, rechecks) it keeps a self-hosted
// primary's death to the gateway on its new chain within 30 s
// (docs/follow.md has the arithmetic and its SSM cost).
const DefaultFollowEvery = 5 * time.Second

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
	Target   Location `yaml:"target"` // ssm:/param | file:/path | openclaw:/path | none
	DropDown bool     `yaml:"drop_down"`
}

// HTTP configures the daemon's listener.
type HTTP struct {
	Listen string `yaml:"listen"`
}

// The kinds of notification destination (the one key of a notify: entry).
const (
	NotifyWebhook  = "webhook"
	NotifySlack    = "slack"
	NotifyDiscord  = "discord"
	NotifyTelegram = "telegram"
	NotifySNS      = "sns"
)

// NotifyKinds lists the destination kinds in documentation order.
var NotifyKinds = []string{NotifyWebhook, NotifySlack, NotifyDiscord, NotifyTelegram, NotifySNS}

// NotifyDestination is one entry of the notify: list, with ${VAR} already
// expanded. URL and Token are secrets: they are never printed, logged or
// put in an error message.
type NotifyDestination struct {
	Kind     string // webhook | slack | discord | telegram | sns
	URL      string // webhook, slack, discord
	Token    string // telegram bot token
	ChatID   string // telegram
	APIURL   string // telegram Bot API server; "" = the public one
	TopicARN string // sns
	// Index is the entry's place in the list (0-based), for messages:
	// notify[2].telegram.token.
	Index int
	// line and col are where the entry was written (0 from the environment).
	line, col int
}

// Path is the destination's key path, e.g. notify[2].telegram.
func (d NotifyDestination) Path() string { return fmt.Sprintf("notify[%d].%s", d.Index, d.Kind) }

// ProbeMode returns the probe settings for a provider id, defaulting to list.
func (s Settings) ProbeMode(providerID string) ProbeSettings {
	if p, ok := s.Probes[providerID]; ok && p.Mode != "" {
		return p
	}
	return ProbeSettings{Mode: ModeList}
}

// DefaultSettings returns docs/reference.md §2b's defaults.
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
			RecheckInterval: 2 * time.Second,
			MinHold:         5 * time.Minute,
			MaxHold:         time.Hour,
		},
		Liveness: Liveness{Every: 5 * time.Second, Timeout: 2 * time.Second},
		Probes:   map[string]ProbeSettings{},
		Metrics: Metrics{
			Sink:       "auto",
			Namespace:  "OpenClaw/ProviderHealth",
			Dimensions: map[string]string{},
			Detail:     "full",
			CloudWatch: CloudWatch{Protocol: "cbor"},
		},
		Remediation: Remediation{Target: Location{Scheme: SchemeNone}},
		State:       Location{Scheme: SchemeAuto},
		HTTP:        HTTP{Listen: ":9464"},
	}
}
