package sim

import (
	"encoding/json"
	"net/http"
	"strings"
)

// openAIRoutes serves OpenAI and the OpenAI-compatible kinds, each with its
// own listing fields and extra endpoints.
func (s *Server) openAIRoutes() {
	m := s.mux
	p := s.kind.Prefix()
	prefixes := []string{p}
	if s.kind == DeepSeek {
		prefixes = append(prefixes, "/v1") // DeepSeek answers with and without /v1
	}
	if s.kind == LlamaCpp {
		prefixes = append(prefixes, "") // llama.cpp serves /models too
	}
	for _, p := range prefixes {
		m.HandleFunc("GET "+p+"/models", s.listModels)
		m.HandleFunc("POST "+p+"/chat/completions", s.chatCompletions)
	}
	switch s.kind {
	case DeepSeek:
		m.HandleFunc("GET /user/balance", s.deepSeekBalance)
	case XAI:
		m.HandleFunc("GET /v1/api-key", s.xaiKey)
	case VLLM:
		// 200 with an empty body; Down/Overloaded give the 503.
		m.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) })
	case LlamaCpp:
		m.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, obj{"status": "ok"}) })
		m.HandleFunc("GET /props", s.llamaProps)
	case LMStudio:
		m.HandleFunc("GET /api/v0/models", s.lmStudioV0)
		m.HandleFunc("GET /api/v1/models", s.lmStudioV1)
	case LiteLLM:
		m.HandleFunc("GET /model/info", s.liteLLMInfo)
		m.HandleFunc("GET /v1/model/info", s.liteLLMInfo)
	}
}

func (s *Server) listModels(w http.ResponseWriter, r *http.Request) {
	models := s.view()
	if s.kind == LlamaCpp && len(models) > 1 {
		models = models[:1] // one server, one model
	}
	data := []obj{}
	for _, md := range models {
		data = append(data, s.listEntry(md))
	}
	if s.kind == Together {
		writeJSON(w, 200, data) // a bare array
		return
	}
	body := obj{"object": "list", "data": data}
	if s.kind == LlamaCpp {
		// llama.cpp also lists its model in Ollama's shape, mostly empty.
		tags := []obj{}
		for _, md := range models {
			tags = append(tags, obj{"name": md.ID, "model": md.ID, "modified_at": "", "size": "", "digest": "",
				"type": "model", "description": "", "tags": []string{""}, "capabilities": []string{"completion"},
				"parameters": "", "details": obj{"parent_model": "", "format": "gguf", "family": "", "families": []string{""},
					"parameter_size": "", "quantization_level": ""}})
		}
		body["models"] = tags
	}
	writeJSON(w, 200, body)
}

// listEntry is one model in the kind's /models answer.
func (s *Server) listEntry(m Model) obj {
	e := obj{"id": m.ID, "object": "model", "created": 1721172741}
	switch s.kind {
	case OpenAI:
		e["owned_by"] = "system"
	case Groq:
		e["owned_by"] = "Meta"
		e["active"] = true
		e["public_apps"] = nil
		e["max_completion_tokens"] = 32768
		if m.ContextWindow > 0 {
			e["context_window"] = m.ContextWindow
		}
	case Mistral:
		e["owned_by"] = "mistralai"
		e["name"] = m.ID
		e["type"] = "base"
		e["aliases"] = append([]string{}, m.Aliases...)
		e["deprecation"] = nil
		e["capabilities"] = obj{"completion_chat": true, "function_calling": true, "vision": false}
		if m.ContextWindow > 0 {
			e["max_context_length"] = m.ContextWindow
		}
	case Together:
		e["type"] = "chat"
		e["running"] = false
		e["display_name"] = m.ID
		e["organization"] = strings.SplitN(m.ID, "/", 2)[0]
		e["pricing"] = obj{"hourly": 0, "input": 0.88, "output": 0.88, "base": 0, "finetune": 0}
		if m.ContextWindow > 0 {
			e["context_length"] = m.ContextWindow
		}
	case DeepSeek:
		delete(e, "created")
		e["owned_by"] = "deepseek"
		if m.ContextWindow > 0 {
			e["context_window"] = m.ContextWindow
		}
	case XAI:
		e["owned_by"] = "xai"
	case VLLM:
		e["owned_by"] = "vllm"
		e["root"] = m.ID
		e["parent"] = nil
		e["permission"] = []obj{{"id": "modelperm-sim0001", "object": "model_permission", "created": 1721172741,
			"allow_create_engine": false, "allow_sampling": true, "allow_logprobs": true, "allow_search_indices": false,
			"allow_view": true, "allow_fine_tuning": false, "organization": "*", "group": nil, "is_blocking": false}}
		if m.ContextWindow > 0 {
			e["max_model_len"] = m.ContextWindow
		}
	case LMStudio:
		delete(e, "created")
		e["owned_by"] = "organization_owner"
	case LlamaCpp:
		e["owned_by"] = "llamacpp"
		trained := m.Trained
		if trained == 0 {
			trained = m.ContextWindow
		}
		e["meta"] = obj{"vocab_type": 2, "n_vocab": 152064, "n_ctx_train": trained, "n_embd": 3584,
			"n_params": 7615616512, "size": 4677120000}
	case LiteLLM:
		e["owned_by"] = "openai"
	default:
		e["owned_by"] = "organization-owner"
	}
	return e
}

func (s *Server) chatCompletions(w http.ResponseWriter, r *http.Request) {
	var req chatRequest
	_ = json.NewDecoder(r.Body).Decode(&req)
	name := req.Model
	models := s.view()
	if s.kind == LlamaCpp {
		// llama.cpp serves its one model whatever the request names.
		if len(models) == 0 {
			s.writeError(w, errOverloaded, name)
			return
		}
	} else if _, ok := s.find(name); !ok {
		s.writeError(w, errNotFound, name)
		return
	}
	if s.kind == DeepSeek {
		if f, _ := s.Fault(); f == Billing {
			s.writeError(w, errBilling, name)
			return
		}
	}
	s.inferenceHeaders(w)
	s.writeChatCompletion(w, req)
}

func (s *Server) deepSeekBalance(w http.ResponseWriter, r *http.Request) {
	available, total, granted, topped := true, "110.00", "10.00", "100.00"
	if f, _ := s.Fault(); f == Billing {
		available, total, granted, topped = false, "0.00", "0.00", "0.00"
	}
	writeJSON(w, 200, obj{"is_available": available, "balance_infos": []obj{{
		"currency": "CNY", "total_balance": total, "granted_balance": granted, "topped_up_balance": topped}}})
}

func (s *Server) xaiKey(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, 200, obj{"redacted_api_key": "xai-****sim", "user_id": "sim-user", "name": "provwatch-sim",
		"create_time": "2026-01-01T00:00:00Z", "modify_time": "2026-01-01T00:00:00Z", "modified_by": "sim-user",
		"team_id": "sim-team", "acls": []string{"api-key:model:*", "api-key:endpoint:*"}, "api_key_id": "sim-key-id",
		"team_blocked": false, "api_key_blocked": false, "api_key_disabled": false})
}

func (s *Server) llamaProps(w http.ResponseWriter, r *http.Request) {
	models := s.view()
	if len(models) == 0 {
		s.writeError(w, errOverloaded, "")
		return
	}
	m := models[0]
	writeJSON(w, 200, obj{
		"default_generation_settings": obj{"id": 0, "id_task": -1, "n_ctx": m.ContextWindow, "speculative": false,
			"is_processing": false, "params": obj{"n_predict": -1, "seed": 4294967295, "temperature": 0.8}},
		"total_slots": 1, "model_path": "/models/" + m.ID, "chat_template": "{{ messages }}", "build_info": "b4500-sim",
	})
}

func (s *Server) lmStudioV0(w http.ResponseWriter, r *http.Request) {
	data := []obj{}
	for _, m := range s.view() {
		e := obj{"id": m.ID, "object": "model", "type": "llm", "publisher": "lmstudio-community", "arch": "qwen2",
			"compatibility_type": "gguf", "quantization": "Q4_K_M", "state": "not-loaded"}
		if m.ContextWindow > 0 {
			e["max_context_length"] = m.ContextWindow
		}
		if m.Loaded {
			e["state"] = "loaded"
			e["loaded_context_length"] = lmLoadedCtx(m)
		}
		data = append(data, e)
	}
	writeJSON(w, 200, obj{"object": "list", "data": data})
}

func (s *Server) lmStudioV1(w http.ResponseWriter, r *http.Request) {
	models := []obj{}
	for _, m := range s.view() {
		inst := []obj{}
		if m.Loaded {
			inst = append(inst, obj{"id": m.ID, "config": obj{"context_length": lmLoadedCtx(m)}})
		}
		e := obj{"type": "llm", "publisher": "lmstudio-community", "key": m.ID, "display_name": m.ID,
			"architecture": "qwen2", "format": "gguf", "loaded_instances": inst}
		if m.ContextWindow > 0 {
			e["max_context_length"] = m.ContextWindow
		}
		models = append(models, e)
	}
	writeJSON(w, 200, obj{"models": models})
}

// lmLoadedCtx is the context a loaded LM Studio model runs with.
func lmLoadedCtx(m Model) int {
	if m.NumCtx > 0 {
		return m.NumCtx
	}
	return m.ContextWindow
}

func (s *Server) liteLLMInfo(w http.ResponseWriter, r *http.Request) {
	data := []obj{}
	for _, m := range s.view() {
		info := obj{"id": ollamaDigest(m.ID)[:32], "db_model": false, "key": m.ID, "mode": "chat",
			"litellm_provider": "openai", "max_output_tokens": 16384}
		if m.ContextWindow > 0 {
			info["max_input_tokens"] = m.ContextWindow
			info["max_tokens"] = m.ContextWindow
		}
		data = append(data, obj{"model_name": m.ID, "litellm_params": obj{"model": "openai/" + m.ID}, "model_info": info})
	}
	writeJSON(w, 200, obj{"data": data})
}
