package sim_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/provwatch/provwatch/internal/sim"
)

// The probes' tests replay answers recorded from the real providers
// (probes/testdata); everything else runs against this simulator. The two
// fakes of the same providers must not drift apart, so each simulated
// answer below is held against the recordings of the same endpoint: same
// keys, same JSON types, and the fields the probes read present on both
// sides.

// fixtureDir is the probes' recorded answers, one folder per provider.
var fixtureDir = filepath.Join("..", "..", "probes", "testdata")

// wireCase is one simulated answer and the recordings it must look like.
type wireCase struct {
	name   string
	kind   sim.Kind
	opts   sim.Options
	fault  sim.Fault
	params sim.FaultParams
	method string // GET when empty
	path   string
	body   string
	// fixtures are merged: a key some of them lack is optional.
	fixtures []string
	// reads are the fields the probes read ("data[].id"); each must occur
	// in a recording and in the simulator's answer, with the same type.
	reads []string
	// free are objects whose keys are data (model_info's per-architecture
	// keys): their keys are not compared.
	free []string
	// extra are keys the simulator sends that no recording has, each
	// with the reason in a comment at the case.
	extra []string
	// failing: the answer is an error (not 200).
	failing bool
}

// The fields the probes read in every error envelope (probes/classify.go).
var (
	oaiErrorReads    = []string{"error.message", "error.type", "error.code"}
	geminiErrorReads = []string{"error.code", "error.message", "error.status", "error.details[].@type"}
)

const chatBody = `{"model":"%s","messages":[{"role":"user","content":"Hi"}],"max_tokens":1}`

func chat(model string) string { return fmt.Sprintf(chatBody, model) }

var wireCases = []wireCase{
	// Ollama.
	{name: "ollama tags", kind: sim.Ollama, path: "/api/tags", fixtures: []string{"ollama/tags.json"},
		reads: []string{"models[].name", "models[].details.context_length"}},
	{name: "ollama tags v0.24", kind: sim.Ollama, opts: sim.Options{Legacy: true}, path: "/api/tags",
		fixtures: []string{"ollama/tags_v0.24.json"}, reads: []string{"models[].name"}},
	{name: "ollama tags empty", kind: sim.Ollama, opts: sim.Options{Models: []sim.Model{}}, path: "/api/tags",
		fixtures: []string{"ollama/tags_empty.json"}},
	{name: "ollama ps", kind: sim.Ollama, path: "/api/ps", fixtures: []string{"ollama/ps.json", "ollama/ps_llama.json"},
		opts:  sim.Options{Models: []sim.Model{{ID: "llama3.1:8b", NumCtx: 65536, Trained: 131072, Loaded: true}}},
		reads: []string{"models[].name", "models[].model", "models[].context_length"}},
	{name: "ollama ps empty", kind: sim.Ollama, path: "/api/ps", fixtures: []string{"ollama/ps_empty.json"}},
	{name: "ollama show", kind: sim.Ollama, method: "POST", path: "/api/show", body: `{"model":"qwen3-coder"}`,
		fixtures: []string{"ollama/show_qwen3-coder.json", "ollama/show_llama3.1.json", "ollama/show_tiny-ctx.json", "ollama/show_tiny-plain.json"},
		reads:    []string{"parameters", "model_info"}, free: []string{"model_info"}},
	{name: "ollama openai models empty", kind: sim.Ollama, opts: sim.Options{Models: []sim.Model{}}, path: "/v1/models",
		fixtures: []string{"ollama/v1_models_empty.json"}},
	{name: "ollama generate", kind: sim.Ollama, method: "POST", path: "/api/generate",
		body: `{"model":"qwen3-coder","prompt":"1","stream":false,"options":{"num_predict":1}}`, fixtures: []string{"ollama/generate.json"}},
	{name: "ollama error not found", kind: sim.Ollama, method: "POST", path: "/api/show", body: `{"model":"nope"}`,
		fixtures: []string{"ollama/show_notfound.json"}, reads: []string{"error"}, failing: true},
	{name: "ollama error busy", kind: sim.Ollama, fault: sim.Overloaded, path: "/api/tags",
		fixtures: []string{"ollama/busy.json"}, reads: []string{"error"}, failing: true},
	{name: "ollama error server", kind: sim.Ollama, fault: sim.ServerError, path: "/api/tags",
		fixtures: []string{"ollama/start_error.json"}, reads: []string{"error"}, failing: true},

	// OpenAI.
	{name: "openai models", kind: sim.OpenAI, path: "/v1/models", fixtures: []string{"openai/models.json"}, reads: []string{"data[].id"}},
	{name: "openai chat", kind: sim.OpenAI, method: "POST", path: "/v1/chat/completions", body: chat("gpt-4o-mini"),
		fixtures: []string{"openai/chat.json"}},
	{name: "openai error key", kind: sim.OpenAI, fault: sim.Unauthorized, path: "/v1/models",
		fixtures: []string{"openai/error_invalid_key.json"}, reads: oaiErrorReads, failing: true},
	{name: "openai error quota", kind: sim.OpenAI, fault: sim.Billing, path: "/v1/models",
		fixtures: []string{"openai/error_insufficient_quota.json"}, reads: oaiErrorReads, failing: true},
	{name: "openai error rate limit", kind: sim.OpenAI, fault: sim.RateLimited, path: "/v1/models",
		fixtures: []string{"openai/error_rate_limit.json"}, reads: oaiErrorReads, failing: true},
	{name: "openai error server", kind: sim.OpenAI, fault: sim.ServerError, path: "/v1/models",
		fixtures: []string{"openai/error_server.json"}, reads: oaiErrorReads, failing: true},
	{name: "openai error model", kind: sim.OpenAI, method: "POST", path: "/v1/chat/completions", body: chat("gpt-5-nope"),
		fixtures: []string{"openai/error_model_not_found.json"}, reads: oaiErrorReads, failing: true},

	// Anthropic. Its errors now carry request_id, which the recordings
	// predate: the simulator sends it as the API does.
	{name: "anthropic models", kind: sim.Anthropic, path: "/v1/models?limit=1",
		opts: sim.Options{Models: []sim.Model{
			{ID: "claude-sonnet-4-5-20250929", ContextWindow: 200000}, {ID: "claude-3-5-haiku-20241022"}}},
		fixtures: []string{"anthropic/models_page1.json", "anthropic/models_page2.json"},
		reads:    []string{"data[].id", "data[].max_input_tokens", "has_more", "last_id"}},
	{name: "anthropic model", kind: sim.Anthropic, path: "/v1/models/claude-sonnet-4-5",
		fixtures: []string{"anthropic/model_alias.json"}, reads: []string{"id", "max_input_tokens"}},
	{name: "anthropic message", kind: sim.Anthropic, method: "POST", path: "/v1/messages", body: chat("claude-sonnet-4-5-20250929"),
		fixtures: []string{"anthropic/message.json"}},
	{name: "anthropic error key", kind: sim.Anthropic, fault: sim.Unauthorized, path: "/v1/models",
		fixtures: []string{"anthropic/error_auth.json"}, reads: []string{"type", "error.type", "error.message"}, extra: []string{"request_id"}, failing: true},
	{name: "anthropic error billing", kind: sim.Anthropic, fault: sim.Billing, path: "/v1/models",
		fixtures: []string{"anthropic/error_billing.json"}, reads: []string{"error.type", "error.message"}, extra: []string{"request_id"}, failing: true},
	{name: "anthropic error credit", kind: sim.Anthropic, fault: sim.Billing, params: sim.FaultParams{Variant: "credit_balance"}, path: "/v1/models",
		fixtures: []string{"anthropic/error_credit.json"}, reads: []string{"error.type", "error.message"}, extra: []string{"request_id"}, failing: true},
	{name: "anthropic error rate limit", kind: sim.Anthropic, fault: sim.RateLimited, path: "/v1/models",
		fixtures: []string{"anthropic/error_rate_limit.json"}, reads: []string{"error.type", "error.message"}, extra: []string{"request_id"}, failing: true},
	{name: "anthropic error overloaded", kind: sim.Anthropic, fault: sim.Overloaded, path: "/v1/models",
		fixtures: []string{"anthropic/error_overloaded.json"}, reads: []string{"error.type", "error.message"}, extra: []string{"request_id"}, failing: true},
	{name: "anthropic error model", kind: sim.Anthropic, path: "/v1/models/claude-nope",
		fixtures: []string{"anthropic/error_not_found.json"}, reads: []string{"error.type", "error.message"}, extra: []string{"request_id"}, failing: true},

	// Gemini.
	{name: "gemini models", kind: sim.Gemini, path: "/v1beta/models?pageSize=1",
		opts: sim.Options{Models: []sim.Model{
			{ID: "gemini-2.5-flash", ContextWindow: 1048576}, {ID: "gemini-2.5-pro", ContextWindow: 1048576}}},
		fixtures: []string{"gemini/models_page1.json", "gemini/models_page2.json"},
		reads:    []string{"models[].name", "models[].inputTokenLimit", "nextPageToken"}},
	{name: "gemini generate", kind: sim.Gemini, method: "POST", path: "/v1beta/models/gemini-2.5-flash:generateContent",
		body: `{"contents":[{"parts":[{"text":"Hi"}]}]}`, fixtures: []string{"gemini/generate.json"}},
	{name: "gemini error key", kind: sim.Gemini, fault: sim.Unauthorized, path: "/v1beta/models",
		fixtures: []string{"gemini/error_key_invalid.json"}, reads: append([]string{"error.details[].reason"}, geminiErrorReads...), failing: true},
	{name: "gemini error exhausted", kind: sim.Gemini, fault: sim.RateLimited, path: "/v1beta/models",
		fixtures: []string{"gemini/error_exhausted.json"}, reads: append([]string{"error.details[].retryDelay"}, geminiErrorReads...), failing: true},
	{name: "gemini error unavailable", kind: sim.Gemini, fault: sim.Overloaded, path: "/v1beta/models",
		fixtures: []string{"gemini/error_unavailable.json"}, reads: geminiErrorReads[:3], failing: true},

	// OpenRouter.
	{name: "openrouter models", kind: sim.OpenRouter, path: "/api/v1/models", fixtures: []string{"openrouter/models.json"},
		reads: []string{"data[].id", "data[].context_length", "data[].top_provider.context_length"}},
	// The key's usage breakdown and limit_reset are newer than the
	// recordings; the live API sends them.
	{name: "openrouter key", kind: sim.OpenRouter, path: "/api/v1/key",
		fixtures: []string{"openrouter/key.json", "openrouter/key_exhausted.json", "openrouter/key_low.json", "openrouter/key_unlimited.json"},
		reads:    []string{"data.limit", "data.limit_remaining", "data.usage"},
		extra: []string{"data.usage_daily", "data.usage_weekly", "data.usage_monthly", "data.byok_usage",
			"data.include_byok_in_limit", "data.limit_reset"}},
	{name: "openrouter error no key", kind: sim.OpenRouter, opts: sim.Options{APIKey: "sim-key-openrouter"}, path: "/api/v1/key",
		fixtures: []string{"openrouter/error_auth.json"}, reads: []string{"error.message", "error.code"}, failing: true},
	{name: "openrouter error credits", kind: sim.OpenRouter, fault: sim.Billing, method: "POST", path: "/api/v1/chat/completions",
		body: chat("google/gemini-flash-1.5"), fixtures: []string{"openrouter/error_credits.json"}, reads: []string{"error.message", "error.code"}, failing: true},
	{name: "openrouter error rate limit", kind: sim.OpenRouter, fault: sim.RateLimited, path: "/api/v1/models",
		fixtures: []string{"openrouter/error_rate_limit.json"}, reads: []string{"error.message", "error.code", "error.metadata.headers"}, failing: true},
	{name: "openrouter error model", kind: sim.OpenRouter, method: "POST", path: "/api/v1/chat/completions", body: chat("google/gemini-nope"),
		fixtures: []string{"openrouter/error_model.json"}, reads: []string{"error.message", "error.code"}, failing: true},

	// The OpenAI-compatible clouds and local servers.
	{name: "groq models", kind: sim.Groq, path: "/openai/v1/models", fixtures: []string{"groq/models.json"},
		reads: []string{"data[].id", "data[].active", "data[].context_window"}},
	{name: "deepseek models", kind: sim.DeepSeek, path: "/models", fixtures: []string{"deepseek/models.json"},
		reads: []string{"data[].id", "data[].context_window"}},
	{name: "deepseek balance", kind: sim.DeepSeek, path: "/user/balance", fixtures: []string{"deepseek/balance.json", "deepseek/balance_empty.json"},
		reads: []string{"is_available", "balance_infos[].currency", "balance_infos[].total_balance"}},
	{name: "deepseek error balance", kind: sim.DeepSeek, fault: sim.Billing, method: "POST", path: "/chat/completions", body: chat("deepseek-chat"),
		fixtures: []string{"deepseek/error_balance.json"}, reads: oaiErrorReads, failing: true},
	{name: "deepseek error model", kind: sim.DeepSeek, method: "POST", path: "/chat/completions", body: chat("deepseek-nope"),
		fixtures: []string{"deepseek/error_model.json"}, reads: oaiErrorReads, failing: true},
	{name: "mistral models", kind: sim.Mistral, path: "/v1/models", fixtures: []string{"mistral/models.json"},
		reads: []string{"data[].id", "data[].max_context_length", "data[].aliases"}},
	{name: "mistral error key", kind: sim.Mistral, fault: sim.Unauthorized, path: "/v1/models",
		fixtures: []string{"mistral/error_auth.json"}, reads: []string{"message"}, failing: true},
	{name: "mistral error model", kind: sim.Mistral, method: "POST", path: "/v1/chat/completions", body: chat("mistral-nope"),
		fixtures: []string{"mistral/error_invalid_model.json"}, reads: []string{"message", "type", "code"}, failing: true},
	{name: "together models", kind: sim.Together, path: "/v1/models", fixtures: []string{"together/models.json"},
		reads: []string{"[].id", "[].context_length"}},
	{name: "xai models", kind: sim.XAI, path: "/v1/models", fixtures: []string{"xai/models.json"}, reads: []string{"data[].id"}},
	{name: "xai api key", kind: sim.XAI, path: "/v1/api-key", fixtures: []string{"xai/api_key.json", "xai/api_key_blocked.json"},
		reads: []string{"api_key_blocked", "api_key_disabled", "team_blocked"}},
	{name: "xai error key", kind: sim.XAI, fault: sim.Unauthorized, path: "/v1/models",
		fixtures: []string{"xai/error_key.json"}, reads: []string{"code", "error"}, failing: true},
	{name: "xai error credits", kind: sim.XAI, fault: sim.Billing, path: "/v1/models",
		fixtures: []string{"xai/error_credits.json"}, reads: []string{"code", "error"}, failing: true},
	{name: "vllm models", kind: sim.VLLM, path: "/v1/models", fixtures: []string{"vllm/models.json"},
		reads: []string{"data[].id", "data[].max_model_len"}},
	// Newer LM Studio builds add loaded_context_length to a loaded
	// model; the recording predates it.
	{name: "lmstudio models", kind: sim.LMStudio, path: "/api/v0/models", fixtures: []string{"lmstudio/models_v0.json"},
		reads: []string{"data[].id", "data[].state", "data[].max_context_length"}, extra: []string{"data[].loaded_context_length"}},
	{name: "llamacpp models", kind: sim.LlamaCpp, path: "/v1/models", fixtures: []string{"llamacpp/models.json"},
		reads: []string{"data[].id", "data[].meta.n_ctx_train"}},
	{name: "llamacpp props", kind: sim.LlamaCpp, path: "/props", fixtures: []string{"llamacpp/props.json"},
		reads: []string{"default_generation_settings.n_ctx"}},
	{name: "litellm model info", kind: sim.LiteLLM, path: "/model/info", fixtures: []string{"litellm/model_info.json"},
		reads: []string{"data[].model_name", "data[].model_info.max_input_tokens"}},
}

func TestSimulatorAnswersAsRecorded(t *testing.T) {
	t.Parallel()
	covered := map[string]bool{}
	for _, c := range wireCases {
		for _, f := range c.fixtures {
			covered[f] = true
		}
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			rec := &shape{}
			for _, f := range c.fixtures {
				b, err := os.ReadFile(filepath.Join(fixtureDir, f))
				if err != nil {
					t.Fatal(err)
				}
				var v any
				if err := json.Unmarshal(b, &v); err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				rec.add(v)
			}
			s := start(t, c.kind, c.opts)
			if c.fault != "" {
				setFault(t, s, c.fault, c.params)
			}
			method := c.method
			if method == "" {
				method = "GET"
			}
			a := do(t, s, method, c.path, "", c.body)
			if ok := a.status == 200; ok == c.failing {
				t.Fatalf("%s %s answered %d: %s", method, c.path, a.status, a.body)
			}
			var got any
			if err := json.Unmarshal(a.body, &got); err != nil {
				t.Fatalf("%s %s: not JSON: %v\n%s", method, c.path, err, a.body)
			}
			var problems []string
			rec.check("", got, c, &problems)
			for _, p := range c.reads {
				fixT, simT := rec.at(p), typesAt(got, p)
				switch {
				case len(fixT) == 0:
					problems = append(problems, fmt.Sprintf("%s: the probes read it, but no recording (%s) has it", p, strings.Join(c.fixtures, ", ")))
				case len(simT) == 0:
					problems = append(problems, fmt.Sprintf("%s: the probes read it, but the simulator leaves it out", p))
				}
			}
			for _, p := range problems {
				t.Error(p)
			}
		})
	}
	// A recording added later joins a case, or says here why it cannot.
	files, err := filepath.Glob(filepath.Join(fixtureDir, "*", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no recordings under %s (%v)", fixtureDir, err)
	}
	for _, f := range files {
		rel, _ := filepath.Rel(fixtureDir, f)
		rel = filepath.ToSlash(rel)
		if !covered[rel] && notSimulated[rel] == "" {
			t.Errorf("%s is compared with no simulated answer: add a case to wireCases, or say in notSimulated why not", rel)
		}
	}
}

// notSimulated are the recordings the simulator has no answer for, and why.
var notSimulated = map[string]string{
	"openai/error_budget.json": "a reasoning model refusing a 1-token budget; the simulator's models all answer",
}

// shape is what recorded JSON values look like: the JSON types seen and,
// for objects, each key's shape and how many of the objects had it.
type shape struct {
	types   map[string]bool
	objects int
	keys    map[string]*shape
	had     map[string]int
	elem    *shape
}

func jsonType(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	}
	return "null"
}

func (s *shape) add(v any) {
	if s.types == nil {
		s.types = map[string]bool{}
	}
	s.types[jsonType(v)] = true
	switch v := v.(type) {
	case map[string]any:
		if s.keys == nil {
			s.keys, s.had = map[string]*shape{}, map[string]int{}
		}
		s.objects++
		for k, e := range v {
			if s.keys[k] == nil {
				s.keys[k] = &shape{}
			}
			s.keys[k].add(e)
			s.had[k]++
		}
	case []any:
		if s.elem == nil {
			s.elem = &shape{}
		}
		for _, e := range v {
			s.elem.add(e)
		}
	}
}

func (s *shape) typeList() string {
	var ts []string
	for t := range s.types {
		ts = append(ts, t)
	}
	sort.Strings(ts)
	return strings.Join(ts, " or ")
}

// check holds the simulator's value v at path against the recordings.
func (s *shape) check(path string, v any, c wireCase, problems *[]string) {
	at := path
	if at == "" {
		at = "(top)"
	}
	t := jsonType(v)
	if !s.types[t] {
		*problems = append(*problems, fmt.Sprintf("%s: the simulator sends %s, the recordings %s", at, t, s.typeList()))
		return
	}
	switch v := v.(type) {
	case map[string]any:
		free := slices.Contains(c.free, path)
		for k, e := range v {
			p := join(path, k)
			ks := s.keys[k]
			if ks == nil {
				if !free && !slices.Contains(c.extra, p) {
					*problems = append(*problems, fmt.Sprintf("%s: the simulator sends it, no recording has it", p))
				}
				continue
			}
			ks.check(p, e, c, problems)
		}
		if free {
			return
		}
		for k, n := range s.had {
			if _, ok := v[k]; !ok && n == s.objects {
				*problems = append(*problems, fmt.Sprintf("%s: every recording has it, the simulator leaves it out", join(path, k)))
			}
		}
	case []any:
		if s.elem == nil || s.elem.types == nil {
			return // the recordings hold only empty lists
		}
		for _, e := range v {
			s.elem.check(path+"[]", e, c, problems)
		}
	}
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// at returns the recorded types at path ("data[].id").
func (s *shape) at(path string) map[string]bool {
	cur := s
	for _, part := range strings.Split(path, ".") {
		name, list := strings.CutSuffix(part, "[]")
		if cur == nil {
			return nil
		}
		if name != "" { // "" is the top level: "[].id" in a bare array
			cur = cur.keys[name]
		}
		if list && cur != nil {
			cur = cur.elem
		}
	}
	if cur == nil {
		return nil
	}
	return cur.types
}

// typesAt returns the types the simulator's value has at path.
func typesAt(v any, path string) map[string]bool {
	s := &shape{}
	s.add(v)
	return s.at(path)
}
