package sim

import (
	"net/http"
	"strconv"
)

func (s *Server) anthropicRoutes() {
	m := s.mux
	m.HandleFunc("GET /v1/models", s.versioned(s.anthropicList))
	m.HandleFunc("GET /v1/models/{id}", s.versioned(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		md, ok := s.find(id) // aliases resolve to the dated id
		if !ok {
			s.writeError(w, errNotFound, id)
			return
		}
		writeJSON(w, 200, anthropicModel(md))
	}))
	m.HandleFunc("POST /v1/messages", s.versioned(func(w http.ResponseWriter, r *http.Request) {
		name := bodyModel(r)
		md, ok := s.find(name)
		if !ok {
			s.writeError(w, errNotFound, name)
			return
		}
		s.inferenceHeaders(w)
		w.Header().Set("Request-Id", "req_sim0001")
		writeJSON(w, 200, obj{"id": "msg_sim0001", "type": "message", "role": "assistant", "model": md.ID,
			"content":     []obj{{"type": "text", "text": "H"}},
			"stop_reason": "max_tokens", "stop_sequence": nil,
			"usage": obj{"input_tokens": 8, "output_tokens": 1}})
	}))
	m.HandleFunc("POST /v1/messages/count_tokens", s.versioned(func(w http.ResponseWriter, r *http.Request) {
		name := bodyModel(r)
		if _, ok := s.find(name); !ok {
			s.writeError(w, errNotFound, name)
			return
		}
		writeJSON(w, 200, obj{"input_tokens": 8})
	}))
}

// versioned refuses a request without anthropic-version, as the API does.
func (s *Server) versioned(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Anthropic-Version") == "" {
			writeJSON(w, 400, obj{"type": "error", "error": obj{"type": "invalid_request_error",
				"message": "anthropic-version: header is required"}, "request_id": "req_sim0001"})
			return
		}
		h(w, r)
	}
}

func anthropicModel(m Model) obj {
	e := obj{"type": "model", "id": m.ID, "display_name": m.ID, "created_at": "2025-09-29T00:00:00Z"}
	if m.ContextWindow > 0 {
		e["max_input_tokens"] = m.ContextWindow
		e["max_tokens"] = 64000
	}
	return e
}

// anthropicList pages with limit (1..1000, default 20) and after_id /
// before_id, answering has_more, first_id and last_id.
func (s *Server) anthropicList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 20
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			writeJSON(w, 400, obj{"type": "error", "error": obj{"type": "invalid_request_error",
				"message": "limit: Input should be between 1 and 1000"}, "request_id": "req_sim0001"})
			return
		}
		limit = n
	}
	models := s.view()
	start, end := 0, len(models)
	if after := q.Get("after_id"); after != "" {
		start = len(models)
		for i, m := range models {
			if m.ID == after {
				start = i + 1
			}
		}
	}
	if before := q.Get("before_id"); before != "" {
		for i, m := range models {
			if m.ID == before {
				end = i
			}
		}
		if end-limit > start {
			start = end - limit
		}
	}
	page := models[start:end]
	more := len(page) > limit
	if more {
		page = page[:limit]
	}
	data := []obj{}
	for _, m := range page {
		data = append(data, anthropicModel(m))
	}
	var first, last any
	if len(page) > 0 {
		first, last = page[0].ID, page[len(page)-1].ID
	}
	writeJSON(w, 200, obj{"data": data, "has_more": more, "first_id": first, "last_id": last})
}
