package sim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/provwatch/provwatch/internal/sim"
)

// kindCase says how to ask a kind for its model list and read the answer
// in its documented shape: id -> served context (-1 when the list has none).
type kindCase struct {
	kind  sim.Kind
	list  string // path (and query) under Root
	parse func(t *testing.T, body []byte) map[string]int
}

func decode[T any](t *testing.T, body []byte) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(strings.NewReader(string(body)))
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("body does not decode into %T: %v\n%.300s", v, err, body)
	}
	return v
}

func ctxOr(p *int) int {
	if p == nil {
		return -1
	}
	return *p
}

type oaiList[E any] struct {
	Object string `json:"object"`
	Data   []E    `json:"data"`
}

type oaiModel struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	OwnedBy string `json:"owned_by"`
}

func oaiParse(t *testing.T, body []byte) map[string]int {
	l := decode[oaiList[oaiModel]](t, body)
	if l.Object != "list" {
		t.Fatalf("object = %q, want list", l.Object)
	}
	out := map[string]int{}
	for _, m := range l.Data {
		if m.Object != "model" {
			t.Fatalf("model %q object = %q", m.ID, m.Object)
		}
		out[m.ID] = -1
	}
	return out
}

var kindCases = []kindCase{
	{sim.Ollama, "/api/tags", func(t *testing.T, b []byte) map[string]int {
		v := decode[struct {
			Models []struct {
				Name, Model, Digest string
				Details             struct {
					Format        string `json:"format"`
					ContextLength *int   `json:"context_length"`
				} `json:"details"`
			} `json:"models"`
		}](t, b)
		out := map[string]int{}
		for _, m := range v.Models {
			if m.Name != m.Model || len(m.Digest) != 64 || m.Details.Format != "gguf" {
				t.Fatalf("tags entry not in Ollama's shape: %+v", m)
			}
			out[m.Name] = -1 // details.context_length is trained, not served
		}
		return out
	}},
	{sim.OpenAI, "/v1/models", oaiParse},
	{sim.OpenAICompatible, "/v1/models", oaiParse},
	{sim.XAI, "/v1/models", oaiParse},
	{sim.Anthropic, "/v1/models?limit=1000", func(t *testing.T, b []byte) map[string]int {
		v := decode[struct {
			Data []struct {
				Type           string `json:"type"`
				ID             string `json:"id"`
				MaxInputTokens *int   `json:"max_input_tokens"`
			} `json:"data"`
			HasMore bool    `json:"has_more"`
			FirstID *string `json:"first_id"`
			LastID  *string `json:"last_id"`
		}](t, b)
		out := map[string]int{}
		for _, m := range v.Data {
			if m.Type != "model" {
				t.Fatalf("type = %q", m.Type)
			}
			out[m.ID] = ctxOr(m.MaxInputTokens)
		}
		if len(v.Data) > 0 && (v.FirstID == nil || *v.LastID != v.Data[len(v.Data)-1].ID) {
			t.Fatalf("first_id/last_id wrong: %s", b)
		}
		return out
	}},
	{sim.Gemini, "/v1beta/models?pageSize=1000", func(t *testing.T, b []byte) map[string]int {
		v := decode[struct {
			Models []struct {
				Name            string `json:"name"`
				InputTokenLimit *int   `json:"inputTokenLimit"`
			} `json:"models"`
		}](t, b)
		out := map[string]int{}
		for _, m := range v.Models {
			id, ok := strings.CutPrefix(m.Name, "models/")
			if !ok {
				t.Fatalf("name %q lacks the models/ prefix", m.Name)
			}
			out[id] = ctxOr(m.InputTokenLimit)
		}
		return out
	}},
	{sim.OpenRouter, "/api/v1/models", func(t *testing.T, b []byte) map[string]int {
		v := decode[oaiList[struct {
			ID            string `json:"id"`
			ContextLength *int   `json:"context_length"`
			TopProvider   struct {
				ContextLength *int `json:"context_length"`
			} `json:"top_provider"`
			Pricing struct{ Prompt, Completion string } `json:"pricing"`
		}]](t, b)
		out := map[string]int{}
		for _, m := range v.Data {
			out[m.ID] = ctxOr(m.ContextLength)
		}
		return out
	}},
	{sim.Groq, "/openai/v1/models", func(t *testing.T, b []byte) map[string]int {
		v := decode[oaiList[struct {
			ID            string `json:"id"`
			Active        bool   `json:"active"`
			ContextWindow *int   `json:"context_window"`
		}]](t, b)
		out := map[string]int{}
		for _, m := range v.Data {
			if !m.Active {
				t.Fatalf("groq model %q not active", m.ID)
			}
			out[m.ID] = ctxOr(m.ContextWindow)
		}
		return out
	}},
	{sim.Mistral, "/v1/models", func(t *testing.T, b []byte) map[string]int {
		v := decode[oaiList[struct {
			ID               string   `json:"id"`
			MaxContextLength *int     `json:"max_context_length"`
			Aliases          []string `json:"aliases"`
		}]](t, b)
		out := map[string]int{}
		for _, m := range v.Data {
			out[m.ID] = ctxOr(m.MaxContextLength)
			for _, a := range m.Aliases {
				out["alias:"+a] = 0
			}
		}
		return out
	}},
	{sim.DeepSeek, "/models", func(t *testing.T, b []byte) map[string]int {
		v := decode[oaiList[struct {
			ID            string `json:"id"`
			OwnedBy       string `json:"owned_by"`
			ContextWindow *int   `json:"context_window"`
		}]](t, b)
		out := map[string]int{}
		for _, m := range v.Data {
			out[m.ID] = ctxOr(m.ContextWindow)
		}
		return out
	}},
	{sim.Together, "/v1/models", func(t *testing.T, b []byte) map[string]int {
		v := decode[[]struct {
			ID            string `json:"id"`
			Type          string `json:"type"`
			ContextLength *int   `json:"context_length"`
		}](t, b) // a bare array
		out := map[string]int{}
		for _, m := range v {
			out[m.ID] = ctxOr(m.ContextLength)
		}
		return out
	}},
	{sim.VLLM, "/v1/models", func(t *testing.T, b []byte) map[string]int {
		v := decode[oaiList[struct {
			ID          string `json:"id"`
			MaxModelLen *int   `json:"max_model_len"`
		}]](t, b)
		out := map[string]int{}
		for _, m := range v.Data {
			out[m.ID] = ctxOr(m.MaxModelLen)
		}
		return out
	}},
	{sim.LMStudio, "/api/v0/models", func(t *testing.T, b []byte) map[string]int {
		v := decode[oaiList[struct {
			ID               string `json:"id"`
			State            string `json:"state"`
			MaxContextLength *int   `json:"max_context_length"`
		}]](t, b)
		out := map[string]int{}
		for _, m := range v.Data {
			if m.State != "loaded" && m.State != "not-loaded" {
				t.Fatalf("state %q", m.State)
			}
			out[m.ID] = ctxOr(m.MaxContextLength)
		}
		return out
	}},
	{sim.LlamaCpp, "/v1/models", func(t *testing.T, b []byte) map[string]int {
		v := decode[oaiList[struct {
			ID   string `json:"id"`
			Meta struct {
				NCtxTrain int `json:"n_ctx_train"`
			} `json:"meta"`
		}]](t, b)
		out := map[string]int{}
		for _, m := range v.Data {
			if m.Meta.NCtxTrain == 0 {
				t.Fatalf("meta.n_ctx_train missing: %s", b)
			}
			out[m.ID] = -1 // n_ctx in use comes from /props
		}
		return out
	}},
	{sim.LiteLLM, "/model/info", func(t *testing.T, b []byte) map[string]int {
		v := decode[struct {
			Data []struct {
				ModelName string `json:"model_name"`
				ModelInfo struct {
					MaxInputTokens *int `json:"max_input_tokens"`
				} `json:"model_info"`
			} `json:"data"`
		}](t, b)
		out := map[string]int{}
		for _, m := range v.Data {
			out[m.ModelName] = ctxOr(m.ModelInfo.MaxInputTokens)
		}
		return out
	}},
}

// TestKindCasesCoverEveryKind keeps the table honest when a kind is added.
func TestKindCasesCoverEveryKind(t *testing.T) {
	t.Parallel()
	seen := map[sim.Kind]bool{}
	for _, kc := range kindCases {
		seen[kc.kind] = true
	}
	for _, k := range sim.Kinds() {
		if !seen[k] {
			t.Errorf("kind %s has no wire-shape case", k)
		}
	}
}

// authHeaders sets the kind's auth header (and Anthropic's version).
func authHeaders(h http.Header, k sim.Kind, key string) {
	switch k {
	case sim.Anthropic:
		h.Set("anthropic-version", "2023-06-01")
		if key != "" {
			h.Set("x-api-key", key)
		}
	case sim.Gemini:
		if key != "" {
			h.Set("x-goog-api-key", key)
		}
	default:
		if key != "" {
			h.Set("Authorization", "Bearer "+key)
		}
	}
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

// client never follows redirects, so tests see the 302 itself.
var client = &http.Client{
	Transport:     &http.Transport{DisableKeepAlives: true},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func do(t *testing.T, s *sim.Server, method, path, key, body string) answer {
	t.Helper()
	a, err := try(s, method, path, key, body, 10*time.Second)
	if err != nil {
		t.Fatalf("%s %s on %s: %v", method, path, s.Kind(), err)
	}
	return a
}

func try(s *sim.Server, method, path, key, body string, timeout time.Duration) (answer, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.Root()+path, rd)
	if err != nil {
		return answer{}, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	authHeaders(req.Header, s.Kind(), key)
	resp, err := client.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, fmt.Errorf("reading body: %w", err)
	}
	return answer{resp.StatusCode, resp.Header, b}, nil
}

func start(t *testing.T, k sim.Kind, opts sim.Options) *sim.Server {
	t.Helper()
	s, err := sim.Start(k, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func setFault(t *testing.T, s *sim.Server, f sim.Fault, p sim.FaultParams) {
	t.Helper()
	if err := s.SetFault(f, p); err != nil {
		t.Fatal(err)
	}
}

func context_DeadlineExceeded() error { return context.DeadlineExceeded }
