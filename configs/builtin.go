package configs

import (
	"fmt"
	"net/netip"
	"net/url"
	"sort"
	"strings"
)

// builtin is a provider OpenClaw knows without a models.providers entry.
type builtin struct {
	BaseURL string
	KeyEnvs []string // the first one set wins; the first is named in hints
	Flavour Flavour
}

// builtins holds the defaults docs/reference.md §2a lists. Base URLs are written the way
// OpenClaw configs write them (docs/probes.md): up to the version prefix for
// OpenAI-style APIs, the host root for Anthropic and Ollama.
var builtins = map[string]builtin{
	"openai":     {"https://api.openai.com/v1", []string{"OPENAI_API_KEY"}, FlavourOpenAI},
	"anthropic":  {"https://api.anthropic.com", []string{"ANTHROPIC_API_KEY", "ANTHROPIC_OAUTH_TOKEN"}, FlavourAnthropic},
	"google":     {"https://generativelanguage.googleapis.com/v1beta", []string{"GEMINI_API_KEY", "GOOGLE_API_KEY"}, FlavourGemini},
	"openrouter": {"https://openrouter.ai/api/v1", []string{"OPENROUTER_API_KEY"}, FlavourOpenRouter},
	"groq":       {"https://api.groq.com/openai/v1", []string{"GROQ_API_KEY"}, FlavourGroq},
	"mistral":    {"https://api.mistral.ai/v1", []string{"MISTRAL_API_KEY"}, FlavourMistral},
	"deepseek":   {"https://api.deepseek.com", []string{"DEEPSEEK_API_KEY"}, FlavourDeepSeek},
	"xai":        {"https://api.x.ai/v1", []string{"XAI_API_KEY"}, FlavourXAI},
	"together":   {"https://api.together.xyz/v1", []string{"TOGETHER_API_KEY"}, FlavourTogether},
	"ollama":     {"http://127.0.0.1:11434", nil, FlavourOllama},
}

// builtinProvider returns the default provider for a built-in id, with
// its key read from the first of its key variables that is set.
func builtinProvider(id string, getenv func(string) string) *Provider {
	b, ok := builtins[id]
	if !ok {
		return nil
	}
	p := &Provider{ID: id, BaseURL: b.BaseURL, Flavour: b.Flavour, Builtin: true, Source: "built-in"}
	p.APIKey, p.KeyEnv = keyFromEnv(b.KeyEnvs, getenv)
	return p
}

// unprobedProvider is a provider a chain names that has no models.providers
// entry and no built-in defaults here: one OpenClaw ships as a plugin
// (minimax, huggingface, nvidia, …) or one provwatch does not know.
// OpenClaw accepts it, so it is watched and reported as unknown.
func unprobedProvider(id string) *Provider {
	p := &Provider{ID: id, Flavour: FlavourOpenAICompatible, Builtin: true, Source: "not configured",
		Unprobed: fmt.Sprintf("provwatch has no probe for %s: it has no models.providers entry, and OpenClaw serves it through a plugin", id),
		Hint:     "add models.providers." + id + " with a baseUrl (and apiKey) to have it probed"}
	if !openclawProviders[id] {
		p.Unprobed = fmt.Sprintf("%s is not configured in models.providers and OpenClaw 2026.9.x knows no provider of that name: the gateway cannot run it", id)
		p.Hint = "add models.providers." + id + " with a baseUrl, or fix the ref's provider"
	}
	if id == "gemini" {
		// OpenClaw 2026.9.x has no gemini provider; Google's is google/.
		p.Unprobed = "OpenClaw 2026.9.x has no provider gemini: Google's models are google/<model>"
		p.Hint = "write google/<model>, or add models.providers.gemini with a baseUrl"
	}
	return p
}

// openclawProviders are the provider ids OpenClaw 2026.9.x serves without
// a models.providers entry: its bundled provider plugins and the official
// external ones it installs on demand (docs/configuration.md). A ref to any
// other id names a provider OpenClaw cannot run unless the config defines it.
var openclawProviders = map[string]bool{
	"openai": true, "anthropic": true, "google": true, "google-gemini-cli": true, "google-vertex": true,
	"ollama": true, "ollama-cloud": true, "openrouter": true, "xai": true, "together": true,
	"nvidia": true, "huggingface": true, "minimax": true, "minimax-portal": true, "github-copilot": true,
	"opencode-go": true, "vllm": true, "sglang": true, "lmstudio": true, "litellm": true,
	"clawrouter": true, "copilot-proxy": true, "microsoft-foundry": true, "apple-fm": true, "fal": true,
	"groq": true, "mistral": true, "deepseek": true, "zai": true, "moonshot": true, "kimi": true,
	"qwen": true, "cerebras": true, "fireworks": true, "deepinfra": true, "venice": true,
	"vercel-ai-gateway": true, "amazon-bedrock": true, "cohere": true,
}

// KnownToOpenClaw reports whether OpenClaw 2026.9.x serves this provider id
// without a models.providers entry.
func KnownToOpenClaw(id string) bool { return openclawProviders[canonicalProvider(id)] }

// providerAliases are the provider ids OpenClaw 2026.9.x registers as
// another's alias.
var providerAliases = map[string]string{"x-ai": "xai"}

// canonicalProvider is a ref's provider id as OpenClaw reads it:
// lower-cased, an alias replaced by its provider.
func canonicalProvider(id string) string {
	id = strings.ToLower(strings.TrimSpace(id))
	if to, ok := providerAliases[id]; ok {
		return to
	}
	return id
}

func keyFromEnv(names []string, getenv func(string) string) (key, env string) {
	for _, n := range names {
		if v := getenv(n); v != "" {
			return v, n
		}
	}
	if len(names) > 0 {
		return "", names[0]
	}
	return "", ""
}

// Discover returns the built-in providers whose API key variable is set,
// sorted by id, for `check` without an OpenClaw config. Ollama needs no key,
// so it is not included: the caller adds it when one answers locally.
func Discover(getenv func(string) string) []*Provider {
	if getenv == nil {
		getenv = defaultGetenv
	}
	var out []*Provider
	for id, b := range builtins {
		if len(b.KeyEnvs) == 0 {
			continue
		}
		p := builtinProvider(id, getenv)
		if p.APIKey != "" {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// idSeparators drops what flavourByID's keys leave out of a provider id.
var idSeparators = strings.NewReplacer("-", "", "_", "", ".", "")

// flavourByID maps provider ids (with '-', '_' and '.' removed, so
// "lm-studio" and "llama.cpp" match) to their flavour.
var flavourByID = map[string]Flavour{
	"ollama":     FlavourOllama,
	"openai":     FlavourOpenAI,
	"anthropic":  FlavourAnthropic,
	"google":     FlavourGemini,
	"gemini":     FlavourGemini,
	"openrouter": FlavourOpenRouter,
	"groq":       FlavourGroq,
	"mistral":    FlavourMistral,
	"deepseek":   FlavourDeepSeek,
	"together":   FlavourTogether,
	"xai":        FlavourXAI,
	"vllm":       FlavourVLLM,
	"lmstudio":   FlavourLMStudio,
	"llamacpp":   FlavourLlamaCpp,
	"litellm":    FlavourLiteLLM,
}

var flavourByHost = map[string]Flavour{
	"api.openai.com":                    FlavourOpenAI,
	"api.anthropic.com":                 FlavourAnthropic,
	"generativelanguage.googleapis.com": FlavourGemini,
	"openrouter.ai":                     FlavourOpenRouter,
	"api.groq.com":                      FlavourGroq,
	"api.mistral.ai":                    FlavourMistral,
	"api.deepseek.com":                  FlavourDeepSeek,
	"api.together.xyz":                  FlavourTogether,
	"api.together.ai":                   FlavourTogether,
	"api.x.ai":                          FlavourXAI,
}

// DecideFlavour picks the probe for a provider from the config alone, in
// docs/reference.md §2a's order: provider id, then base URL host (or Ollama's port
// 11434), then the `api` value, else generic OpenAI-compatible.
func DecideFlavour(id, baseURL, api string) Flavour {
	norm := idSeparators.Replace(strings.ToLower(id))
	if f, ok := flavourByID[norm]; ok {
		return f
	}
	if u, err := url.Parse(baseURL); err == nil && u.Host != "" {
		if f, ok := flavourByHost[strings.ToLower(u.Hostname())]; ok {
			return f
		}
		if u.Port() == "11434" {
			return FlavourOllama
		}
	}
	switch api {
	case "ollama":
		return FlavourOllama
	case "anthropic-messages":
		return FlavourAnthropic
	case "google-generative-ai":
		return FlavourGemini
	}
	return FlavourOpenAICompatible
}

// knownAPIs is every `api` value some OpenClaw release accepts (the union
// of MODEL_APIS across releases), so provwatch rejects only what OpenClaw
// itself would reject.
var knownAPIs = []string{
	"anthropic-messages",
	"azure-openai-responses",
	"bedrock-converse-stream",
	"github-copilot",
	"google-generative-ai",
	"google-vertex",
	"mistral-conversations",
	"ollama",
	"openai-chatgpt-responses",
	"openai-codex-responses",
	"openai-completions",
	"openai-responses",
}

// selfHostedFlavours are the servers people run themselves.
var selfHostedFlavours = map[Flavour]bool{
	FlavourOllama: true, FlavourVLLM: true, FlavourLMStudio: true, FlavourLlamaCpp: true, FlavourLiteLLM: true,
}

// SelfHosted reports whether the provider is a server someone runs
// themselves: a self-hosted flavour (Ollama, vLLM, LM Studio, llama.cpp,
// LiteLLM), or a generic OpenAI-compatible server at an address that is
// loopback, private, link-local, a bare host name or a local domain. These are the providers that die without
// warning and get liveness checks between scheduled probes.
func (p *Provider) SelfHosted() bool {
	if selfHostedFlavours[p.Flavour] {
		return true
	}
	if p.Flavour != FlavourOpenAICompatible {
		return false // a hosted API's flavour: a proxy or a test double, not a server of one's own
	}
	u, err := url.Parse(p.BaseURL)
	if err != nil || u.Hostname() == "" {
		return false
	}
	host := strings.ToLower(u.Hostname())
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || netip.MustParsePrefix("100.64.0.0/10").Contains(ip)
	}
	if host == "localhost" || !strings.Contains(host, ".") {
		return true
	}
	for _, suffix := range []string{".local", ".lan", ".internal", ".home.arpa", ".localhost"} {
		if strings.HasSuffix(host, suffix) {
			return true
		}
	}
	return false
}

// Model ids OpenClaw 2026.9.x rewrites before it calls the provider
// (docs/configuration.md): short Anthropic names, xAI's retired names.
var (
	anthropicModelAliases = map[string]string{
		"fable": "claude-fable-5-1", "fable-5": "claude-fable-5", "fable-5.1": "claude-fable-5-1", "fable-5-1": "claude-fable-5-1",
		"haiku": "claude-haiku-4-5", "opus-5.5": "claude-opus-5-5", "opus-5-5": "claude-opus-5-5", "opus-5": "claude-opus-5",
		"opus": "claude-opus-5", "opus-4.8": "claude-opus-4-8", "opus-4.7": "claude-opus-4-7", "opus-4.6": "claude-opus-4-6",
		"mythos-5": "claude-mythos-5", "sonnet-5": "claude-sonnet-5", "sonnet": "claude-sonnet-5", "sonnet-4.6": "claude-sonnet-4-6",
	}
	xaiModelAliases = map[string]string{
		"grok-4.3-latest": "grok-4.3", "grok-4.5-latest": "grok-4.5", "grok-build-latest": "grok-4.5",
		"grok-4-fast-reasoning": "grok-4-fast", "grok-4-1-fast-reasoning": "grok-4-1-fast",
	}
)

// ServedModel is the model id OpenClaw asks the provider for when a ref
// names model on provider: OpenRouter's and NVIDIA's own routers keep
// their prefix (openrouter/auto is the model "openrouter/auto"), Anthropic's
// short names become full ids (sonnet is claude-sonnet-5), xAI's retired
// names their successors, and a Hugging Face id loses a doubled prefix.
// Probes ask for this id; reports keep the ref as written.
func ServedModel(provider, model string) string {
	lower := strings.ToLower(strings.TrimSpace(model))
	switch canonicalProvider(provider) {
	case "openrouter", "nvidia":
		if m := strings.TrimSpace(model); m != "" && !strings.Contains(m, "/") {
			return canonicalProvider(provider) + "/" + m
		}
	case "anthropic":
		m := strings.TrimSpace(model)
		if strings.HasPrefix(lower, "anthropic/") {
			m, lower = m[len("anthropic/"):], lower[len("anthropic/"):]
		}
		if full, ok := anthropicModelAliases[lower]; ok {
			return full
		}
		return m
	case "xai":
		if full, ok := xaiModelAliases[lower]; ok {
			return full
		}
	case "huggingface":
		if strings.HasPrefix(lower, "huggingface/") {
			return strings.TrimSpace(model)[len("huggingface/"):]
		}
	}
	return model
}
