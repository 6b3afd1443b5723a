package sim

import (
	"encoding/json"
	"net/http"
	"time"
)

// routes registers the kind's endpoints on s.mux.
func (s *Server) routes() {
	switch s.kind {
	case Ollama:
		s.ollamaRoutes()
	case Anthropic:
		s.anthropicRoutes()
	case Gemini:
		s.geminiRoutes()
	case OpenRouter:
		s.openRouterRoutes()
	default:
		s.openAIRoutes()
	}
}

// bodyModel reads the "model" field of a JSON request body ("" when absent).
func bodyModel(r *http.Request) string {
	var req struct {
		Model string `json:"model"`
	}
	_ = json.NewDecoder(r.Body).Decode(&req)
	return req.Model
}

// find returns the served model called name (id or alias).
func (s *Server) find(name string) (Model, bool) {
	for _, m := range s.view() {
		if m.answersTo(name) {
			return m, true
		}
	}
	return Model{}, false
}

// chatCompletion is a 1-token OpenAI chat completion answer.
func chatCompletion(model string, now time.Time) obj {
	return obj{
		"id": "chatcmpl-sim0001", "object": "chat.completion", "created": now.Unix(), "model": model,
		"choices": []obj{{"index": 0, "message": obj{"role": "assistant", "content": "H"},
			"logprobs": nil, "finish_reason": "length"}},
		"usage":              obj{"prompt_tokens": 8, "completion_tokens": 1, "total_tokens": 9},
		"system_fingerprint": "fp_sim",
	}
}
