package probes

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/provwatch/provwatch/configs"
)

// benchCase is one flavour's list probe: its routes and wanted models.
type benchCase struct {
	flavour configs.Flavour
	suffix  string
	routes  map[string]string // "METHOD /path" -> fixture
	models  []string
}

var benchCases = []benchCase{
	{configs.FlavourOllama, "", map[string]string{"GET /api/tags": "ollama/tags.json", "POST /api/show": "ollama/show_qwen3-coder.json", "GET /api/ps": "ollama/ps_empty.json"}, []string{"qwen3-coder"}},
	{configs.FlavourOpenAI, "/v1", map[string]string{"GET /v1/models": "openai/models.json"}, []string{"gpt-4o-mini"}},
	{configs.FlavourAnthropic, "", map[string]string{"GET /v1/models": "anthropic/models_page2.json"}, []string{"claude-3-5-haiku-20241022"}},
	{configs.FlavourGemini, "/v1beta", map[string]string{"GET /v1beta/models": "gemini/models_page2.json"}, []string{"gemini-2.5-pro"}},
	{configs.FlavourOpenRouter, "/api/v1", map[string]string{"GET /api/v1/key": "openrouter/key.json", "GET /api/v1/models": "openrouter/models.json"}, []string{"google/gemini-flash-1.5"}},
	{configs.FlavourGroq, "/openai/v1", map[string]string{"GET /openai/v1/models": "groq/models.json"}, []string{"llama-3.3-70b-versatile"}},
	{configs.FlavourMistral, "/v1", map[string]string{"GET /v1/models": "mistral/models.json"}, []string{"mistral-large-latest"}},
	{configs.FlavourDeepSeek, "", map[string]string{"GET /v1/models": "deepseek/models.json", "GET /user/balance": "deepseek/balance.json"}, []string{"deepseek-chat"}},
	{configs.FlavourTogether, "/v1", map[string]string{"GET /v1/models": "together/models.json"}, []string{"meta-llama/Llama-3.3-70B-Instruct-Turbo"}},
	{configs.FlavourXAI, "/v1", map[string]string{"GET /v1/models": "xai/models.json", "GET /v1/api-key": "xai/api_key.json"}, []string{"grok-4"}},
	{configs.FlavourVLLM, "/v1", map[string]string{"GET /v1/models": "vllm/models.json"}, []string{"Qwen/Qwen2.5-Coder-32B-Instruct"}},
	{configs.FlavourLMStudio, "/v1", map[string]string{"GET /api/v0/models": "lmstudio/models_v0.json"}, []string{"meta-llama-3.1-8b-instruct"}},
	{configs.FlavourLlamaCpp, "/v1", map[string]string{"GET /v1/models": "llamacpp/models.json", "GET /props": "llamacpp/props.json"}, []string{"qwen"}},
	{configs.FlavourLiteLLM, "/v1", map[string]string{"GET /model/info": "litellm/model_info.json"}, []string{"gpt-4o"}},
}

// BenchmarkListProbe is one list probe per iteration against a loopback
// server. B/op counts the whole process, so it includes the server's side;
// BenchmarkListProbeInMemory isolates the client.
func BenchmarkListProbe(b *testing.B) {
	for _, bc := range benchCases {
		b.Run(string(bc.flavour), func(b *testing.B) {
			routes := map[string]route{}
			for k, f := range bc.routes {
				routes[k] = route{file: f}
			}
			srv := serve(b, routes)
			pr := New(defaultOptions())
			job := Job{Provider: provider(bc.flavour, srv.URL+bc.suffix), Models: wants(string(bc.flavour), bc.models...)}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if res := pr.Probe(context.Background(), job); !res.Probe.OK {
					b.Fatalf("probe failed: %s", res.Probe.Error)
				}
			}
		})
	}
}

// cannedTransport answers from fixtures without a network: what is left is
// provwatch's own cost per probe (request building, parsing, classifying).
type cannedTransport map[string][]byte

func (c cannedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	body, ok := c[r.Method+" "+r.URL.Path]
	if !ok {
		return &http.Response{StatusCode: 404, Body: io.NopCloser(strings.NewReader("404 page not found")), Header: http.Header{}, Request: r}, nil
	}
	return &http.Response{StatusCode: 200, Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)),
		Header: http.Header{"Content-Type": {"application/json"}}, Request: r}, nil
}

func BenchmarkListProbeInMemory(b *testing.B) {
	for _, bc := range benchCases {
		b.Run(string(bc.flavour), func(b *testing.B) {
			ct := cannedTransport{}
			for k, f := range bc.routes {
				ct[k] = fixture(b, f)
			}
			opts := defaultOptions()
			opts.Transport = ct
			pr := New(opts)
			job := Job{Provider: provider(bc.flavour, "http://provider.test"+bc.suffix), Models: wants(string(bc.flavour), bc.models...)}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if res := pr.Probe(context.Background(), job); !res.Probe.OK {
					b.Fatalf("probe failed: %s", res.Probe.Error)
				}
			}
		})
	}
}

// BenchmarkOpenRouterListUncached fetches and parses the big public list
// every iteration (a new Prober has an empty cache): the cost the cache saves.
func BenchmarkOpenRouterListUncached(b *testing.B) {
	ct := cannedTransport{
		"GET /api/v1/key":    fixture(b, "openrouter/key.json"),
		"GET /api/v1/models": fixture(b, "openrouter/models.json"),
	}
	opts := defaultOptions()
	opts.Transport = ct
	job := Job{Provider: provider(configs.FlavourOpenRouter, "http://provider.test/api/v1"), Models: wants("openrouter", "google/gemini-flash-1.5")}
	b.SetBytes(int64(len(ct["GET /api/v1/models"])))
	b.ReportAllocs()
	for b.Loop() {
		if res := New(opts).Probe(context.Background(), job); !res.Probe.OK {
			b.Fatalf("probe failed: %s", res.Probe.Error)
		}
	}
}
