package sim

import "net/http"

func (s *Server) openRouterRoutes() {
	m := s.mux
	m.HandleFunc("GET /api/v1/models", func(w http.ResponseWriter, r *http.Request) {
		data := []obj{}
		for _, md := range s.view() {
			e := obj{"id": md.ID, "canonical_slug": md.ID, "name": md.ID, "created": 1715558400,
				"description": "simulated", "architecture": obj{"modality": "text->text", "tokenizer": "Other"},
				"pricing":            obj{"prompt": "0", "completion": "0", "request": "0", "image": "0"},
				"per_request_limits": nil, "supported_parameters": []string{"max_tokens", "temperature", "tools"}}
			top := obj{"max_completion_tokens": 8192, "is_moderated": false}
			if md.ContextWindow > 0 {
				e["context_length"] = md.ContextWindow
				top["context_length"] = md.ContextWindow
			}
			e["top_provider"] = top
			data = append(data, e)
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		writeJSON(w, 200, obj{"data": data})
	})
	// GET /api/v1/key: the credit headroom.
	m.HandleFunc("GET /api/v1/key", func(w http.ResponseWriter, r *http.Request) {
		remaining := 74.5
		switch f, _ := s.Fault(); f {
		case Billing:
			remaining = 0
		case LowHeadroom:
			remaining = 2.5
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		writeJSON(w, 200, obj{"data": obj{"label": "sk-or-v1-sim...sim", "limit": 100, "limit_remaining": remaining,
			"limit_reset": nil, "include_byok_in_limit": false, "usage": 100 - remaining, "usage_daily": 0,
			"usage_weekly": 0, "usage_monthly": 100 - remaining, "byok_usage": 0, "is_free_tier": false,
			"is_provisioning_key": false,
			"rate_limit":          obj{"requests": -1, "interval": "10s"}}})
	})
	m.HandleFunc("POST /api/v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		name := bodyModel(r)
		if _, ok := s.find(name); !ok {
			s.writeError(w, errNotFound, name)
			return
		}
		if f, _ := s.Fault(); f == Billing {
			s.writeError(w, errBilling, name)
			return
		}
		body := chatCompletion(name, s.now())
		body["provider"] = "Simulated"
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		writeJSON(w, 200, body)
	})
}
