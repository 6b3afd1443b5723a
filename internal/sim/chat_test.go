package sim_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/provwatch/provwatch/internal/sim"
)

// TestChatAnswers checks the chat answers an agent runtime streams from:
// SSE chunks ending in [DONE] for the OpenAI family, NDJSON for Ollama's
// /api/chat, one JSON object when "stream" is false, and that Chats counts
// only the answered ones.
func TestChatAnswers(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		kind        sim.Kind
		path        string
		body        string
		contentType string
		want        []string // content of each line or event that carries text
	}{
		{"openai streamed", sim.OpenAI, "/v1/chat/completions",
			`{"model":"%s","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`,
			"text/event-stream", []string{"", "H", "", "usage", "[DONE]"}},
		{"openai whole", sim.OpenAICompatible, "/v1/chat/completions",
			`{"model":"%s","messages":[{"role":"user","content":"hi"}]}`, "application/json", []string{"H"}},
		{"ollama openai-compatible streamed", sim.Ollama, "/v1/chat/completions",
			`{"model":"%s","stream":true,"messages":[{"role":"user","content":"hi"}]}`,
			"text/event-stream", []string{"", "H", "", "[DONE]"}},
		{"ollama api/chat streamed", sim.Ollama, "/api/chat",
			`{"model":"%s","messages":[{"role":"user","content":"hi"}]}`, "application/x-ndjson", []string{"H", ""}},
		{"ollama api/chat whole", sim.Ollama, "/api/chat",
			`{"model":"%s","stream":false,"messages":[{"role":"user","content":"hi"}]}`, "application/json; charset=utf-8", []string{"H"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := sim.Start(tc.kind, sim.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			model := s.Models()[0].ID
			resp, err := http.Post(s.Root()+tc.path, "application/json", strings.NewReader(strings.Replace(tc.body, "%s", model, 1)))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != tc.contentType {
				t.Fatalf("status %d, content type %q; want 200, %q", resp.StatusCode, resp.Header.Get("Content-Type"), tc.contentType)
			}
			var got []string
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				line := sc.Text()
				switch {
				case line == "":
					continue
				case line == "data: [DONE]":
					got = append(got, "[DONE]")
					continue
				}
				line = strings.TrimPrefix(line, "data: ")
				var v struct {
					Model   string
					Choices []struct {
						Delta   struct{ Content string }
						Message struct{ Content string }
					}
					Message *struct{ Content string }
					Usage   *struct {
						TotalTokens int `json:"total_tokens"`
					}
				}
				if err := json.Unmarshal([]byte(line), &v); err != nil {
					t.Fatalf("line %q: %v", line, err)
				}
				if v.Model != model {
					t.Errorf("line %q names model %q, want %q", line, v.Model, model)
				}
				switch {
				case v.Message != nil:
					got = append(got, v.Message.Content)
				case len(v.Choices) == 1:
					got = append(got, v.Choices[0].Delta.Content+v.Choices[0].Message.Content)
				case v.Usage != nil && v.Usage.TotalTokens == 9:
					got = append(got, "usage")
				default:
					t.Errorf("unexpected line %q", line)
				}
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("contents %q, want %q", got, tc.want)
			}
			if n := s.Chats(); n != 1 {
				t.Errorf("Chats() = %d after one answer, want 1", n)
			}
			// A model the server does not have is an error, not a chat.
			resp2, err := http.Post(s.Root()+tc.path, "application/json", strings.NewReader(strings.Replace(tc.body, "%s", "no-such-model", 1)))
			if err != nil {
				t.Fatal(err)
			}
			resp2.Body.Close()
			if resp2.StatusCode != 404 || s.Chats() != 1 {
				t.Errorf("unknown model: status %d, Chats() %d; want 404 and still 1", resp2.StatusCode, s.Chats())
			}
		})
	}
}
