package sim

import "strings"

// Kind names a simulated provider API. The values equal configs.Flavour's,
// so a Kind converts to the flavour provwatch would choose for it.
type Kind string

// The simulated provider APIs.
const (
	Ollama           Kind = "ollama"
	OpenAI           Kind = "openai"
	OpenAICompatible Kind = "openai-compatible"
	Anthropic        Kind = "anthropic"
	Gemini           Kind = "gemini"
	OpenRouter       Kind = "openrouter"
	Groq             Kind = "groq"
	Mistral          Kind = "mistral"
	DeepSeek         Kind = "deepseek"
	Together         Kind = "together"
	XAI              Kind = "xai"
	VLLM             Kind = "vllm"
	LMStudio         Kind = "lmstudio"
	LlamaCpp         Kind = "llamacpp"
	LiteLLM          Kind = "litellm"
)

// Kinds lists every simulated kind, in a fixed order (Fleet cycles through it).
func Kinds() []Kind {
	return []Kind{Ollama, OpenAI, Anthropic, Gemini, OpenRouter, Groq, Mistral,
		DeepSeek, Together, XAI, VLLM, LMStudio, LlamaCpp, LiteLLM, OpenAICompatible}
}

// Prefix is the path the kind's base URL ends with, as OpenClaw configs
// write it: "" for host-root APIs (Ollama, Anthropic, DeepSeek).
func (k Kind) Prefix() string {
	switch k {
	case Ollama, Anthropic, DeepSeek:
		return ""
	case Gemini:
		return "/v1beta"
	case OpenRouter:
		return "/api/v1"
	case Groq:
		return "/openai/v1"
	}
	return "/v1"
}

// API is the OpenClaw `api` value a config would give this kind.
func (k Kind) API() string {
	switch k {
	case Ollama:
		return "ollama"
	case Anthropic:
		return "anthropic-messages"
	case Gemini:
		return "google-generative-ai"
	}
	return "openai-completions"
}

// Valid reports whether k is one of Kinds().
func (k Kind) Valid() bool {
	for _, x := range Kinds() {
		if x == k {
			return true
		}
	}
	return false
}

// hasRateHeaders reports whether the kind sends rate-limit headers at all.
func (k Kind) hasRateHeaders() bool {
	switch k {
	case OpenAI, OpenAICompatible, Groq, Mistral, Together, Anthropic, LiteLLM:
		return true
	}
	return false
}

// keyFrom returns the API key a request carries in this kind's auth header.
func (k Kind) keyFrom(h map[string][]string) (string, bool) {
	get := func(name string) (string, bool) {
		v, ok := h[name]
		if !ok || len(v) == 0 {
			return "", false
		}
		return v[0], true
	}
	bearer := func() (string, bool) {
		v, ok := get("Authorization")
		if !ok {
			return "", false
		}
		if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
			return strings.TrimSpace(v[7:]), true
		}
		return "", true
	}
	switch k {
	case Anthropic:
		// OpenClaw's authHeader sends the key as Bearer; the API accepts both.
		if v, ok := get("X-Api-Key"); ok {
			return v, true
		}
		return bearer()
	case Gemini:
		// Only the header: a key in the URL is a leak the tests must catch.
		return get("X-Goog-Api-Key")
	}
	return bearer()
}

// public reports whether path is answered without a key even when the
// simulated provider has one.
func (k Kind) public(path string) bool {
	switch k {
	case OpenRouter:
		return path == "/api/v1/models"
	case VLLM:
		return !strings.HasPrefix(path, "/v1/")
	case LlamaCpp:
		return path == "/health" || path == "/v1/health"
	}
	return false
}
