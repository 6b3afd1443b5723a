package sim

import (
	"net/http"
	"strconv"
	"strings"
)

func (s *Server) geminiRoutes() {
	m := s.mux
	m.HandleFunc("GET /v1beta/models", s.geminiList)
	m.HandleFunc("GET /v1beta/models/{id}", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		md, ok := s.find(id)
		if !ok {
			s.writeError(w, errNotFound, id)
			return
		}
		writeJSON(w, 200, geminiModel(md))
	})
	// POST /v1beta/models/{model}:generateContent and :countTokens.
	m.HandleFunc("POST /v1beta/models/{call}", func(w http.ResponseWriter, r *http.Request) {
		id, method, _ := strings.Cut(r.PathValue("call"), ":")
		md, ok := s.find(id)
		if !ok {
			s.writeError(w, errNotFound, id)
			return
		}
		switch method {
		case "generateContent":
			writeJSON(w, 200, obj{
				"candidates": []obj{{"content": obj{"parts": []obj{{"text": "H"}}, "role": "model"},
					"finishReason": "MAX_TOKENS", "index": 0}},
				"usageMetadata": obj{"promptTokenCount": 2, "candidatesTokenCount": 1, "totalTokenCount": 3},
				"modelVersion":  md.ID, "responseId": "sim0001"})
		case "countTokens":
			writeJSON(w, 200, obj{"totalTokens": 2})
		default:
			writeJSON(w, 404, obj{"error": obj{"code": 404, "message": "Method not found.", "status": "NOT_FOUND"}})
		}
	})
}

func geminiModel(m Model) obj {
	e := obj{"name": "models/" + m.ID, "version": "001", "displayName": m.ID, "description": "simulated",
		"outputTokenLimit": 65536, "supportedGenerationMethods": []string{"generateContent", "countTokens"},
		"temperature": 1, "topP": 0.95, "topK": 64, "maxTemperature": 2, "thinking": true}
	if m.ContextWindow > 0 {
		e["inputTokenLimit"] = m.ContextWindow
	}
	return e
}

// geminiList pages with pageSize (default 50, at most 1000) and pageToken;
// nextPageToken is present only when another page exists.
func (s *Server) geminiList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	size := 50
	if v, err := strconv.Atoi(q.Get("pageSize")); err == nil && v > 0 {
		size = min(v, 1000)
	}
	start := 0
	if tok := q.Get("pageToken"); tok != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(tok, "sim-page-"))
		if err != nil || n < 0 {
			s.geminiBadToken(w)
			return
		}
		start = n
	}
	models := s.view()
	start = min(start, len(models))
	end := min(start+size, len(models))
	out := []obj{}
	for _, m := range models[start:end] {
		out = append(out, geminiModel(m))
	}
	body := obj{"models": out}
	if end < len(models) {
		body["nextPageToken"] = "sim-page-" + strconv.Itoa(end)
	}
	writeJSON(w, 200, body)
}

func (s *Server) geminiBadToken(w http.ResponseWriter) {
	writeJSON(w, 400, obj{"error": obj{"code": 400, "message": "Invalid page token.", "status": "INVALID_ARGUMENT"}})
}
