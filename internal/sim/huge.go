package sim

import (
	"bytes"
	"fmt"
	"net/http"
)

// writeHuge streams a model listing of about size bytes in the kind's list
// shape, so a probe without a body cap reads tens of megabytes.
func (s *Server) writeHuge(w http.ResponseWriter, size int64) {
	open, closing := `{"object":"list","data":[`, `]}`
	switch s.kind {
	case Ollama, Gemini:
		open = `{"models":[`
	case Together:
		open, closing = `[`, `]`
	}
	// One reusable chunk keeps the simulator's own memory flat.
	var chunk bytes.Buffer
	for i := 0; chunk.Len() < 64<<10; i++ {
		fmt.Fprintf(&chunk, `{"id":"sim-filler/model-%06d","name":"sim-filler/model-%06d","object":"model","owned_by":"sim"},`, i, i)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write([]byte(open)); err != nil {
		return
	}
	b := chunk.Bytes()
	for sent := int64(len(open)); sent < size; sent += int64(len(b)) {
		if _, err := w.Write(b); err != nil {
			return // the client stopped reading: that is the point
		}
	}
	_, _ = w.Write([]byte(`{"id":"sim-last","object":"model"}` + closing))
}
