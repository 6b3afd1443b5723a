package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// Chat answers are what an agent runtime such as OpenClaw's gateway sends:
// streamed (Server-Sent Events for the OpenAI family, NDJSON for Ollama's
// /api/chat) unless the request says "stream": false. Chats counts the
// ones answered, so a test can tell which upstream served a turn.

// chatRequest is the part of a chat request the simulator reads.
type chatRequest struct {
	Model         string `json:"model"`
	Stream        *bool  `json:"stream"`
	StreamOptions struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
}

// Chats returns how many chat completions the server answered with a
// model's reply: POST /chat/completions of the OpenAI family (Ollama's
// /v1 one included) and Ollama's /api/chat. Errors and faults are not
// counted, nor are Ollama's /api/generate, Anthropic's /v1/messages,
// Gemini's generateContent and OpenRouter's chat, which answer without
// counting.
func (s *Server) Chats() int64 { return s.chats.Load() }

// writeChatCompletion answers an OpenAI chat completion request for model,
// streamed when the request asked for it.
func (s *Server) writeChatCompletion(w http.ResponseWriter, req chatRequest) {
	s.chats.Add(1)
	now := s.now()
	if req.Stream == nil || !*req.Stream {
		writeJSON(w, 200, chatCompletion(req.Model, now))
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(200)
	chunk := func(delta obj, finish any) obj {
		return obj{"id": "chatcmpl-sim0001", "object": "chat.completion.chunk", "created": now.Unix(),
			"model": req.Model, "system_fingerprint": "fp_sim",
			"choices": []obj{{"index": 0, "delta": delta, "logprobs": nil, "finish_reason": finish}}}
	}
	events := []obj{
		chunk(obj{"role": "assistant", "content": ""}, nil),
		chunk(obj{"content": "H"}, nil),
		chunk(obj{}, "stop"),
	}
	if req.StreamOptions.IncludeUsage {
		events = append(events, obj{"id": "chatcmpl-sim0001", "object": "chat.completion.chunk",
			"created": now.Unix(), "model": req.Model, "choices": []obj{},
			"usage": obj{"prompt_tokens": 8, "completion_tokens": 1, "total_tokens": 9}})
	}
	for _, e := range events {
		b, _ := json.Marshal(e)
		_, _ = fmt.Fprintf(w, "data: %s\n\n", b)
	}
	_, _ = fmt.Fprint(w, "data: [DONE]\n\n")
}

// ollamaChat answers POST /api/chat: NDJSON by default, one object when
// "stream": false.
func (s *Server) ollamaChat(w http.ResponseWriter, r *http.Request) {
	var req chatRequest
	_ = json.NewDecoder(r.Body).Decode(&req)
	load, ok := s.ollamaServe(w, req.Model)
	if !ok {
		return
	}
	s.chats.Add(1)
	created := s.now().UTC().Format(time.RFC3339Nano)
	final := obj{"model": req.Model, "created_at": created, "message": obj{"role": "assistant", "content": "H"},
		"done": true, "done_reason": "stop", "total_duration": 339244670 + load, "load_duration": load,
		"prompt_eval_count": 8, "prompt_eval_duration": 2131275, "eval_count": 1, "eval_duration": 1000000}
	s.ollamaReply(w, req.Stream, final, "message", obj{"role": "assistant", "content": ""})
}
