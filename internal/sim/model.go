package sim

import "strings"

// Model is one model a simulated provider serves.
//
// ContextWindow is the provider's own context field (Groq context_window,
// Gemini inputTokenLimit, Anthropic max_input_tokens, Mistral and LM Studio
// max_context_length, vLLM max_model_len, llama.cpp /props n_ctx,
// OpenRouter and Together context_length, DeepSeek context_window, LiteLLM
// max_input_tokens); 0 leaves the field out. OpenAI and xAI have no such
// field and ignore it.
//
// Ollama uses NumCtx (the num_ctx PARAMETER /api/show reports; 0 means the
// model has no parameters), Trained (<arch>.context_length, also
// details.context_length in /api/tags) and Loaded (listed by /api/ps).
// llama.cpp reports Trained as meta.n_ctx_train; LM Studio reports NumCtx
// as the loaded context of a Loaded model.
type Model struct {
	ID            string
	ContextWindow int
	NumCtx        int
	Trained       int
	Loaded        bool
	// Aliases are other names the model answers to (Mistral `aliases`,
	// Anthropic alias resolution).
	Aliases []string
}

// answersTo reports whether the model is called name (id or alias).
func (m Model) answersTo(name string) bool {
	if m.ID == name {
		return true
	}
	for _, a := range m.Aliases {
		if a == name {
			return true
		}
	}
	return false
}

// DefaultModels returns one realistic model for the kind, with a context
// window above provwatch's default threshold (64000), so a provider started
// without Options.Models is healthy.
func DefaultModels(k Kind) []Model {
	switch k {
	case Ollama:
		return []Model{{ID: "qwen3-coder:latest", NumCtx: 131072, Trained: 262144}}
	case OpenAI:
		return []Model{{ID: "gpt-4o-mini"}}
	case Anthropic:
		return []Model{{ID: "claude-sonnet-4-5-20250929", ContextWindow: 200000, Aliases: []string{"claude-sonnet-4-5"}}}
	case Gemini:
		return []Model{{ID: "gemini-2.5-flash", ContextWindow: 1048576}}
	case OpenRouter:
		return []Model{{ID: "google/gemini-flash-1.5", ContextWindow: 1000000}}
	case Groq:
		return []Model{{ID: "llama-3.3-70b-versatile", ContextWindow: 131072}}
	case Mistral:
		return []Model{{ID: "mistral-large-2411", ContextWindow: 131072, Aliases: []string{"mistral-large-latest"}}}
	case DeepSeek:
		return []Model{{ID: "deepseek-chat", ContextWindow: 128000}}
	case Together:
		return []Model{{ID: "meta-llama/Llama-3.3-70B-Instruct-Turbo", ContextWindow: 131072}}
	case XAI:
		return []Model{{ID: "grok-4"}}
	case VLLM:
		return []Model{{ID: "Qwen/Qwen2.5-Coder-32B-Instruct", ContextWindow: 131072}}
	case LMStudio:
		return []Model{{ID: "qwen2.5-coder-14b-instruct", ContextWindow: 131072, NumCtx: 65536, Loaded: true}}
	case LlamaCpp:
		return []Model{{ID: "qwen2.5-coder-7b-instruct-q4_k_m.gguf", ContextWindow: 65536, Trained: 131072}}
	case LiteLLM:
		return []Model{{ID: "gpt-4o", ContextWindow: 128000}}
	}
	return []Model{{ID: "local-model", ContextWindow: 65536}}
}

// ollamaName adds the :latest tag Ollama gives an untagged name.
func ollamaName(s string) string {
	if !strings.Contains(s, ":") {
		return s + ":latest"
	}
	return s
}
