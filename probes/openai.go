package probes

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/internal/redact"
)

// oaModel is one entry of an OpenAI-compatible model list with every
// server's context field; each flavour reads its own.
type oaModel struct {
	ID               string   `json:"id"`
	Active           *bool    `json:"active"`             // Groq
	ContextWindow    jsonInt  `json:"context_window"`     // Groq, DeepSeek
	MaxContextLength jsonInt  `json:"max_context_length"` // Mistral, LM Studio v0
	ContextLength    jsonInt  `json:"context_length"`     // Together, OpenRouter
	MaxModelLen      jsonInt  `json:"max_model_len"`      // vLLM
	Aliases          []string `json:"aliases"`            // Mistral
	State            string   `json:"state"`              // LM Studio v0: loaded | not-loaded
	Meta             struct {
		NCtxTrain jsonInt `json:"n_ctx_train"` // llama.cpp
	} `json:"meta"`
}

// oaSpec is what differs between OpenAI-compatible servers.
type oaSpec struct {
	defPath string                                 // appended to a base URL with no version segment
	list    func(s *session) ([]oaModel, outcome)  // nil: GET {base}/models
	context func(m *oaModel) (ctx, trained *int)   // nil: no context in the list
	extra   func(s *session, ms []oaModel) outcome // cheap documented extras (balance, key state)
	budget  string                                 // the 1-token field of chat completions
	// anyID serves every wanted id with the one loaded model (llama.cpp).
	anyID bool
}

var oaSpecs = map[configs.Flavour]oaSpec{
	configs.FlavourOpenAI:   {budget: "max_completion_tokens"},
	configs.FlavourGroq:     {defPath: "/openai/v1", budget: "max_completion_tokens", context: func(m *oaModel) (*int, *int) { return m.ContextWindow.ptr(), nil }},
	configs.FlavourMistral:  {context: func(m *oaModel) (*int, *int) { return m.MaxContextLength.ptr(), nil }},
	configs.FlavourDeepSeek: {context: func(m *oaModel) (*int, *int) { return m.ContextWindow.ptr(), nil }, extra: deepseekBalance},
	configs.FlavourTogether: {context: func(m *oaModel) (*int, *int) { return m.ContextLength.ptr(), nil }},
	configs.FlavourXAI:      {budget: "max_completion_tokens", extra: xaiKeyState},
	configs.FlavourVLLM:     {context: func(m *oaModel) (*int, *int) { return m.MaxModelLen.ptr(), nil }},
	configs.FlavourLMStudio: {list: lmstudioList, context: func(m *oaModel) (*int, *int) { return m.MaxContextLength.ptr(), nil }},
	configs.FlavourLlamaCpp: {anyID: true, context: func(m *oaModel) (*int, *int) { return nil, m.Meta.NCtxTrain.ptr() }, extra: llamacppProps},
	configs.FlavourLiteLLM:  {list: litellmList, context: func(m *oaModel) (*int, *int) { return m.MaxContextLength.ptr(), nil }},
	// An unknown server: whichever documented context field it sends.
	configs.FlavourOpenAICompatible: {context: func(m *oaModel) (*int, *int) {
		return first(m.MaxModelLen, m.ContextWindow, m.ContextLength, m.MaxContextLength), m.Meta.NCtxTrain.ptr()
	}},
}

// v1 is the versioned API base of an OpenAI-compatible provider.
func (s *session) v1(spec oaSpec) string {
	def := spec.defPath
	if def == "" {
		def = "/v1"
	}
	return versioned(s.base, def).String()
}

// probeOpenAICompatible lists models with GET {baseUrl}/models (plus the
// flavour's cheap extras) and, in generate mode, sends a 1-token chat
// completion per model.
func probeOpenAICompatible(s *session, job Job) outcome {
	spec := oaSpecs[s.flavour]
	var models []oaModel
	var out outcome
	if spec.list != nil {
		models, out = spec.list(s)
	} else {
		models, out = listOpenAI(s, s.v1(spec)+"/models")
	}
	if out.fail != nil {
		return out
	}
	var extra outcome
	if spec.extra != nil {
		if extra = spec.extra(s, models); extra.fail != nil {
			return extra
		}
	}
	ids := make([]string, len(models))
	for i := range models {
		ids[i] = models[i].ID
	}
	out.models = make([]served, len(job.Models))
	for i, w := range job.Models {
		m := findOA(models, w.Model)
		if m == nil && spec.anyID && len(models) == 1 {
			m = &models[0]
			out.models[i].note = fmt.Sprintf("%s serves its one model %s under any id", s.flavour, m.ID)
		}
		switch {
		case m == nil:
			out.models[i].fail = s.noModel(w, ids, "served", "")
			continue
		case m.Active != nil && !*m.Active:
			out.models[i].fail = down(ReasonNoModel, fmt.Sprintf("%s is listed but not active on %s", w.Model, redact.URL(s.base.String())),
				"pick another model: the provider has switched this one off")
			continue
		}
		sv := &out.models[i]
		sv.found = true
		if spec.context != nil {
			sv.ctx, sv.trained = spec.context(m)
		}
		if len(extra.models) == 1 && extra.models[0].ctx != nil {
			sv.ctx = extra.models[0].ctx // llama.cpp: /props knows the context in use
		}
		if m.State == "not-loaded" {
			sv.note = w.Model + " is not loaded; the server loads it on first use"
		}
	}
	if job.Generate {
		s.generateEach(job, out.models, func(_ int, w Want) *reply {
			budget := spec.budget
			if budget == "" {
				budget = "max_tokens"
			}
			return s.postJSON(s.v1(spec)+"/chat/completions", map[string]any{
				"model":    w.Model,
				"messages": []map[string]string{{"role": "user", "content": "hi"}},
				budget:     1,
			})
		}, "choices")
	}
	return out
}

// findOA matches a wanted id against ids and aliases, case-insensitively.
func findOA(models []oaModel, want string) *oaModel {
	for i := range models {
		if strings.EqualFold(models[i].ID, want) {
			return &models[i]
		}
	}
	for i := range models {
		for _, a := range models[i].Aliases {
			if strings.EqualFold(a, want) {
				return &models[i]
			}
		}
	}
	return nil
}

// listOpenAI fetches and decodes a model list: {"data":[…]}, {"data":null}
// (an empty Ollama or proxy) or a bare array (Together, Mistral at times).
func listOpenAI(s *session, u string) ([]oaModel, outcome) {
	return readOAList(s, s.get(u))
}

// readOAList turns the reply to a list request into its models, or into the
// outcome that fails the probe (transport, status or format).
func readOAList(s *session, r *reply) ([]oaModel, outcome) {
	if v := s.failure(r); v != nil {
		return nil, failed(r, v)
	}
	models, err := decodeOAList(r.body)
	if err != nil {
		return nil, failed(r, s.formatVerdict(r, err.Error()))
	}
	return models, outcome{}
}

var dataKey = []byte(`"data"`)

func decodeOAList(body []byte) ([]oaModel, error) {
	b, c := trimJSON(body)
	switch c {
	case '[':
		var ms []oaModel
		if err := json.Unmarshal(b, &ms); err != nil {
			return nil, fmt.Errorf("%s", why(err))
		}
		return ms, nil
	case '{':
		var l struct {
			Data []oaModel `json:"data"`
		}
		if err := json.Unmarshal(b, &l); err != nil {
			return nil, fmt.Errorf("%s", why(err))
		}
		if l.Data == nil && !bytes.Contains(b, dataKey) {
			return nil, fmt.Errorf("no data array")
		}
		return l.Data, nil
	}
	return nil, fmt.Errorf("not JSON")
}

// lmstudioList reads LM Studio's own list, which tells loaded state and
// context; a server without it (older, or a proxy) falls back to /v1/models.
func lmstudioList(s *session) ([]oaModel, outcome) {
	r := s.get(endpoint(rooted(s.base), "/api/v0/models"))
	if r.err == nil && (r.status == 404 || r.status == 405) {
		return listOpenAI(s, s.v1(oaSpec{})+"/models")
	}
	return readOAList(s, r)
}

// litellmList reads the proxy's /model/info (never /health: it calls every
// model, billed); a proxy without it falls back to /v1/models.
func litellmList(s *session) ([]oaModel, outcome) {
	r := s.get(endpoint(rooted(s.base), "/model/info"))
	if r.err == nil && (r.status == 404 || r.status == 405) {
		return listOpenAI(s, s.v1(oaSpec{})+"/models")
	}
	if v := s.failure(r); v != nil {
		return nil, failed(r, v)
	}
	var info struct {
		Data []struct {
			ModelName string `json:"model_name"`
			ModelInfo struct {
				MaxInputTokens jsonInt `json:"max_input_tokens"`
			} `json:"model_info"`
		} `json:"data"`
	}
	if err := decodeObject(r.body, &info); err != nil {
		return nil, failed(r, s.formatVerdict(r, why(err)))
	}
	if info.Data == nil && !bytes.Contains(r.body, dataKey) {
		return nil, failed(r, s.formatVerdict(r, "no data array"))
	}
	models := make([]oaModel, len(info.Data))
	for i, d := range info.Data {
		models[i] = oaModel{ID: d.ModelName, MaxContextLength: d.ModelInfo.MaxInputTokens}
	}
	return models, outcome{}
}

// llamacppProps reads the context in use from /props; the model list only
// knows the trained one. A server without /props just leaves it unknown.
func llamacppProps(s *session, _ []oaModel) outcome {
	r := s.get(endpoint(rooted(s.base), "/props"))
	if r.err != nil {
		if s.ctx.Err() != nil {
			return failed(r, s.transportVerdict(r))
		}
		return outcome{}
	}
	var props struct {
		Settings struct {
			NCtx jsonInt `json:"n_ctx"`
		} `json:"default_generation_settings"`
	}
	if !r.ok() || decodeObject(r.body, &props) != nil {
		return outcome{}
	}
	return outcome{models: []served{{ctx: props.Settings.NCtx.ptr()}}}
}

// deepseekBalance reads GET /user/balance: is_available false means the
// account cannot pay for requests.
func deepseekBalance(s *session, _ []oaModel) outcome {
	r := s.get(endpoint(rooted(s.base), "/user/balance"))
	if r.err != nil {
		if s.ctx.Err() != nil {
			return failed(r, s.transportVerdict(r))
		}
		return outcome{}
	}
	if !r.ok() {
		if r.status == 401 || r.status == 402 || r.status == 403 {
			return failed(r, s.statusVerdict(r))
		}
		return outcome{}
	}
	var bal struct {
		IsAvailable  *bool `json:"is_available"`
		BalanceInfos []struct {
			Currency     string    `json:"currency"`
			TotalBalance jsonFloat `json:"total_balance"`
		} `json:"balance_infos"`
	}
	if err := decodeObject(r.body, &bal); err != nil {
		return failed(r, s.formatVerdict(r, why(err)))
	}
	if len(bal.BalanceInfos) > 0 && bal.BalanceInfos[0].TotalBalance.ok {
		s.rl.credits = ptr(bal.BalanceInfos[0].TotalBalance.v)
	}
	if bal.IsAvailable != nil && !*bal.IsAvailable {
		cur := ""
		if len(bal.BalanceInfos) > 0 {
			cur = fmt.Sprintf(" (balance %g %s)", bal.BalanceInfos[0].TotalBalance.v, bal.BalanceInfos[0].Currency)
		}
		return failed(r, down(ReasonBilling, fmt.Sprintf("%s: the account's balance cannot pay for requests%s", r.what(), cur),
			"top up the DeepSeek account"))
	}
	return outcome{}
}

// xaiKeyState reads GET /v1/api-key: a blocked or disabled key (or team)
// fails every request although the model list may still answer.
func xaiKeyState(s *session, _ []oaModel) outcome {
	r := s.get(s.v1(oaSpec{}) + "/api-key")
	if r.err != nil {
		if s.ctx.Err() != nil {
			return failed(r, s.transportVerdict(r))
		}
		return outcome{}
	}
	if !r.ok() {
		return outcome{}
	}
	var k struct {
		Blocked     bool `json:"api_key_blocked"`
		Disabled    bool `json:"api_key_disabled"`
		TeamBlocked bool `json:"team_blocked"`
	}
	if err := decodeObject(r.body, &k); err != nil {
		return failed(r, s.formatVerdict(r, why(err)))
	}
	var what string
	switch {
	case k.Blocked:
		what = "the API key is blocked"
	case k.Disabled:
		what = "the API key is disabled"
	case k.TeamBlocked:
		what = "the key's team is blocked"
	default:
		return outcome{}
	}
	return failed(r, down(ReasonAuth, fmt.Sprintf("%s: %s", r.what(), what), keyHint(s.prov)))
}
