package probes

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/internal/httpx"
	"github.com/provwatch/provwatch/internal/redact"
)

// verdict is a state with its reason, a precise secret-free detail and a
// one-line hint for a person.
type verdict struct {
	State  State
	Reason Reason
	Detail string
	Hint   string
}

func down(r Reason, detail, hint string) *verdict {
	return &verdict{State: Down, Reason: r, Detail: detail, Hint: hint}
}

func degraded(r Reason, detail, hint string) *verdict {
	return &verdict{State: Degraded, Reason: r, Detail: detail, Hint: hint}
}

// worse returns b when it is strictly worse than a: on a tie the earlier,
// more specific verdict stays.
func worse(a, b *verdict) *verdict {
	if a == nil {
		return b
	}
	if b != nil && b.State > a.State {
		return b
	}
	return a
}

// apiError is what the documented error shapes have in common:
// OpenAI/Groq/DeepSeek {"error":{"message","type","code"}}, Anthropic
// {"type":"error","error":{"type","message"}}, Gemini {"error":{"code",
// "message","status","details"}}, Ollama and xAI {"error":"…"}, Mistral
// {"object":"error","message","type","code"}, OpenRouter {"error":{"code",
// "message","metadata":{"headers"}}}.
type apiError struct {
	Message    string
	Type       string
	Code       string
	Status     string   // Gemini's status word
	Reasons    []string // Gemini ErrorInfo reasons
	RetryDelay string   // Gemini RetryInfo
	Headers    map[string]string
}

type rawAPIError struct {
	Error   json.RawMessage `json:"error"`
	Message string          `json:"message"`
	Type    string          `json:"type"`
	Code    json.RawMessage `json:"code"`
	Detail  json.RawMessage `json:"detail"` // LiteLLM, FastAPI servers
}

type rawInnerError struct {
	Message string          `json:"message"`
	Type    string          `json:"type"`
	Code    json.RawMessage `json:"code"`
	Status  string          `json:"status"`
	Details []struct {
		Type       string `json:"@type"`
		Reason     string `json:"reason"`
		RetryDelay string `json:"retryDelay"`
	} `json:"details"`
	Metadata struct {
		Headers map[string]string `json:"headers"`
		Raw     json.RawMessage   `json:"raw"`
	} `json:"metadata"`
}

// rawString turns a JSON string or number into text.
func rawString(r json.RawMessage) string {
	if len(r) == 0 || string(r) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(r, &s) == nil {
		return s
	}
	return strings.TrimSpace(string(r))
}

// parseAPIError reads any documented error shape; a body that is none of
// them (an HTML proxy page) yields its first line as the message.
func parseAPIError(body []byte) apiError {
	var e apiError
	var raw rawAPIError
	if json.Unmarshal(body, &raw) != nil {
		e.Message = firstLine(string(body))
		return e
	}
	e.Message, e.Type, e.Code = raw.Message, raw.Type, rawString(raw.Code)
	if e.Message == "" {
		e.Message = rawString(raw.Detail)
	}
	if len(raw.Error) > 0 {
		var s string
		if json.Unmarshal(raw.Error, &s) == nil {
			if e.Message == "" {
				e.Message = s
			} else {
				e.Message = s + ": " + e.Message
			}
			return e
		}
		var in rawInnerError
		if json.Unmarshal(raw.Error, &in) == nil {
			if in.Message != "" {
				e.Message = in.Message
			}
			if in.Type != "" {
				e.Type = in.Type
			}
			if c := rawString(in.Code); c != "" {
				e.Code = c
			}
			e.Status = in.Status
			for _, d := range in.Details {
				if d.Reason != "" {
					e.Reasons = append(e.Reasons, d.Reason)
				}
				if d.RetryDelay != "" {
					e.RetryDelay = d.RetryDelay
				}
			}
			e.Headers = in.Metadata.Headers
		}
	}
	return e
}

// firstLine is a short single line of s, for messages.
func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	const max = 160
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

// summary is "401 invalid_api_key: Incorrect API key" for messages.
func (e apiError) summary(status int) string {
	parts := strconv.Itoa(status)
	for _, c := range []string{e.Code, e.Type, e.Status} {
		if c != "" && c != strconv.Itoa(status) && c != "error" {
			parts += " " + c
			break
		}
	}
	if m := firstLine(e.Message); m != "" {
		parts += ": " + m
	}
	return parts
}

func (e apiError) has(words ...string) bool {
	m := strings.ToLower(e.Message + " " + e.Code + " " + e.Type)
	for _, w := range words {
		if strings.Contains(m, w) {
			return true
		}
	}
	return false
}

func (e apiError) reason(r string) bool {
	for _, x := range e.Reasons {
		if x == r {
			return true
		}
	}
	return false
}

// modelMissing reports an error that says the requested model does not exist
// (an unknown model is not always 404: OpenRouter, Mistral, DeepSeek say 400).
func (e apiError) modelMissing(status int) bool {
	switch status {
	case 400, 404, 422:
	default:
		return false
	}
	if e.Code == "model_not_found" || e.Type == "invalid_model" || e.Type == "not_found_error" {
		return true
	}
	return e.has("not a valid model", "model not found", "model_not_found", "model not exist",
		"invalid model", "unknown model", "does not exist", "not found", "no such model")
}

// keyHint tells a person where the key comes from.
func keyHint(p *configs.Provider) string {
	if p.KeyEnv != "" {
		return "set " + p.KeyEnv + " to a valid key"
	}
	return "check models.providers." + p.ID + ".apiKey"
}

// apiError parses r's error body and redacts what it decoded (a key may
// hide behind JSON escapes that the raw body did not show) before any of
// it is cut into a message.
func (s *session) apiError(r *reply) apiError {
	e := parseAPIError(r.body)
	for _, f := range []*string{&e.Message, &e.Type, &e.Code, &e.Status} {
		*f = s.secrets.String(*f)
	}
	return e
}

// statusVerdict classifies a non-2xx answer to a provider-level request.
func (s *session) statusVerdict(r *reply) *verdict {
	e := s.apiError(r)
	now := s.now()
	s.rl.observeMap(e.Headers, now)
	if at, ok := parseReset(e.RetryDelay, now); ok {
		s.rl.retryAt = at
	}
	where := r.what()
	st := r.status
	switch {
	case st == 429 && (e.Code == "insufficient_quota" || e.Type == "insufficient_quota"):
		// OpenAI: no money left, not a passing limit (Gemini's RESOURCE_EXHAUSTED
		// words its rate limits the same way, so only the code counts).
		return down(ReasonBilling, fmt.Sprintf("%s: out of quota (%s)", where, e.summary(st)),
			"add credit or raise the spending limit in the provider's billing settings")
	case st == 402, e.has("credit balance is too low", "insufficient balance", "insufficient credits"):
		return down(ReasonBilling, fmt.Sprintf("%s: out of credit (%s)", where, e.summary(st)),
			"add credit in the provider's billing settings")
	case s.flavour == configs.FlavourXAI && st == 403 && e.has("credits", "spending limit"):
		// xAI answers 403 when the team has no credits or hit its spending limit.
		return down(ReasonBilling, fmt.Sprintf("%s: refused (%s)", where, e.summary(st)),
			"add credits or raise the team's spending limit in the xAI console")
	case st == 401, st == 403, e.reason("API_KEY_INVALID"),
		st == 400 && e.has("api key", "api_key", "authentication"):
		// The provider's own message may echo part of the key: keep only codes.
		code := ""
		if c := nonEmpty(e.Code, e.Type, e.Status); len(c) > 0 && len(c[0]) <= 40 {
			code = " " + c[0]
		}
		return down(ReasonAuth, fmt.Sprintf("%s: credentials rejected (%d%s)", where, st, code), keyHint(s.prov))
	case st == 429:
		return down(ReasonRateLimit, fmt.Sprintf("%s: rate limited (%s)", where, e.summary(st)),
			"wait for the limit to reset, or raise the provider's rate limit")
	case st == 503, st == 529:
		return degraded(ReasonOverloaded, fmt.Sprintf("%s: overloaded (%s)", where, e.summary(st)),
			"the provider is shedding load; requests may fail until it recovers")
	case st == 408, st == 504:
		return down(ReasonTimeout, fmt.Sprintf("%s: timed out upstream (%s)", where, e.summary(st)),
			"the provider or a gateway in front of it timed out; check its status")
	case st >= 500:
		return down(ReasonServerError, fmt.Sprintf("%s: server error (%s)", where, e.summary(st)),
			"the provider failed; check its status page or the server's logs")
	}
	// 3xx not followed, 404/405 on a documented endpoint, other 4xx: the
	// API is not at this address.
	return down(ReasonUnreachable, fmt.Sprintf("%s: unexpected answer (%s)", where, e.summary(st)),
		fmt.Sprintf("check models.providers.%s.baseUrl and api: this does not answer like the %s API", s.prov.ID, s.flavour))
}

func nonEmpty(v ...string) []string {
	out := v[:0:0]
	for _, s := range v {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// transportVerdict classifies a request that got no full HTTP answer.
func (s *session) transportVerdict(r *reply) *verdict {
	err := r.err
	where := r.what()
	var re *httpx.RedirectError
	switch {
	case errors.As(err, &re):
		return down(ReasonUnreachable, fmt.Sprintf("%s: %s (not followed: credentials stay on the configured host)", where, re.Error()),
			fmt.Sprintf("set models.providers.%s.baseUrl to the address the provider redirects to, if you trust it", s.prov.ID))
	case errors.Is(err, errBodyTooLarge):
		return degraded(ReasonFormat, fmt.Sprintf("%s: answer larger than %s; not read", where, byteSize(s.maxBody)),
			"check that baseUrl points at the provider's API, or raise the body cap")
	case s.ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		if errors.Is(s.ctx.Err(), context.Canceled) {
			return down(ReasonTimeout, where+": probe cancelled before an answer came", "provwatch stopped the probe (shutdown or a caller's deadline); the next cycle probes again")
		}
		return down(ReasonTimeout, fmt.Sprintf("%s: no complete answer within %s", where, s.limit),
			"check the network path to the provider, or raise timeout")
	}
	return down(ReasonUnreachable, fmt.Sprintf("%s: %s", where, netCause(err, s.secrets)),
		fmt.Sprintf("check that the server runs and that models.providers.%s.baseUrl is right", s.prov.ID))
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// netCause names a transport failure without repeating the URL. Error
// texts are redacted before they are cut.
func netCause(err error, sec *redact.Secrets) string {
	line := func(s string) string { return firstLine(sec.String(s)) }
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var recErr tls.RecordHeaderError
	switch {
	case errors.As(err, &dnsErr):
		return "DNS lookup of " + dnsErr.Name + " failed"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.As(err, &unknownCA):
		return "TLS certificate not trusted: " + line(unknownCA.Error())
	case errors.As(err, &hostErr):
		return "TLS certificate not valid for this host: " + line(hostErr.Error())
	case errors.As(err, &certErr):
		return "TLS certificate not trusted: " + line(certErr.Error())
	case errors.As(err, &recErr):
		return "TLS handshake failed: the server does not speak TLS"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed before a complete answer"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return line(err.Error())
}

func byteSize(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	if n >= 1<<10 && n%(1<<10) == 0 {
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// failure classifies a provider-level reply: nil when it is a full 2xx.
func (s *session) failure(r *reply) *verdict {
	if r.err != nil {
		return s.transportVerdict(r)
	}
	if r.status < 200 || r.status > 299 {
		return s.statusVerdict(r)
	}
	return nil
}

// formatVerdict is a 2xx whose body is not what the API documents.
func (s *session) formatVerdict(r *reply, why string) *verdict {
	return degraded(ReasonFormat, fmt.Sprintf("%s: answer is not the documented %s shape (%s)", r.what(), s.flavour, why),
		fmt.Sprintf("check models.providers.%s.baseUrl and api: something else answers there", s.prov.ID))
}

// served is what a probe learnt about one wanted model.
type served struct {
	found   bool
	ctx     *int     // context the provider will give the model
	trained *int     // trained maximum, where the provider tells it apart
	fail    *verdict // model-level failure (a generate request, a not-found answer)
	note    string   // detail for a healthy model
}

// noModel is the verdict for a model the provider does not serve.
func (s *session) noModel(w Want, available []string, verb, hint string) *verdict {
	d := fmt.Sprintf("%s is not %s on %s", w.Model, verb, redact.URL(s.base.String()))
	if len(available) == 0 {
		d += " (it serves no models)"
	} else {
		d += " (available: " + strings.Join(closest(w.Model, available, 5), ", ")
		if len(available) > 5 {
			d += fmt.Sprintf(", … %d in all", len(available))
		}
		d += ")"
	}
	if hint == "" {
		hint = fmt.Sprintf("fix the model id in openclaw.json or pick one that %s serves", s.prov.ID)
	}
	return down(ReasonNoModel, d, hint)
}

// closest lists up to n names, those sharing the longest prefix with want first.
func closest(want string, names []string, n int) []string {
	if len(names) <= n {
		return names
	}
	w := strings.ToLower(want)
	type cand struct {
		name  string
		score int
		i     int
	}
	c := make([]cand, len(names))
	for i, name := range names {
		l := strings.ToLower(name)
		k := 0
		for k < len(l) && k < len(w) && l[k] == w[k] {
			k++
		}
		if strings.Contains(l, w) {
			k += len(w)
		}
		c[i] = cand{name, k, i}
	}
	sort.SliceStable(c, func(a, b int) bool { return c[a].score > c[b].score })
	out := make([]string, n)
	for i := range out {
		out[i] = c[i].name
	}
	return out
}

// judge turns what was served into the model's result, applying the
// context thresholds of docs/reference.md §3.
func (s *session) judge(w Want, sv served, th configs.Thresholds) ModelResult {
	mr := ModelResult{Ref: w.Ref, Model: w.Model, State: Healthy, Reason: ReasonOK,
		ContextWindow: sv.ctx, TrainedContextWindow: sv.trained, ConfiguredContextWindow: w.ConfiguredContextWindow}
	v := sv.fail
	if v == nil && sv.found && sv.ctx != nil {
		v = s.contextVerdict(w, *sv.ctx, sv.trained, th)
	}
	if v == nil && !sv.found {
		v = s.noModel(w, nil, "served", "")
	}
	if v != nil {
		mr.State, mr.Reason, mr.Detail, mr.Hint = v.State, v.Reason, v.Detail, v.Hint
	} else {
		mr.Detail = sv.note
	}
	return mr
}

// contextVerdict: below 16000 OpenClaw refuses the model (down); below the
// threshold or the configured contextWindow it is degraded.
func (s *session) contextVerdict(w Want, ctx int, trained *int, th configs.Thresholds) *verdict {
	need, why := 0, ""
	if th.MinContextWindow > 0 {
		need, why = th.MinContextWindow, fmt.Sprintf("min_context_window %d", th.MinContextWindow)
	}
	if c := w.ConfiguredContextWindow; c != nil && *c > need {
		need, why = *c, fmt.Sprintf("contextWindow %d in openclaw.json", *c)
	}
	if ctx >= MinUsableContext && ctx >= need {
		return nil
	}
	if need < MinUsableContext {
		need, why = MinUsableContext, fmt.Sprintf("OpenClaw's minimum %d", MinUsableContext)
	}
	d := fmt.Sprintf("%s is served with a %d-token context on %s, below %s", w.Model, ctx, redact.URL(s.base.String()), why)
	hint := fmt.Sprintf("set contextWindow to at most %d for %s in openclaw.json, or pick a model with a larger context", ctx, w.Model)
	if s.flavour == configs.FlavourOllama {
		hint = fmt.Sprintf("set OLLAMA_CONTEXT_LENGTH>=%d or PARAMETER num_ctx %d in the Modelfile", need, need)
		if trained != nil && *trained < need {
			hint = fmt.Sprintf("%s was trained for %d tokens only: pick a model with a larger context", w.Model, *trained)
		}
	}
	if ctx < MinUsableContext {
		return down(ReasonContextWindow, d, hint)
	}
	return degraded(ReasonContextWindow, d, hint)
}

// providerVerdicts are the provider-wide degradations that apply to every
// model the provider served: slow answers and rate-limit headroom.
func (s *session) providerVerdicts(th configs.Thresholds, rl RateLimit) *verdict {
	var v *verdict
	if rl.Headroom != nil {
		h := *rl.Headroom
		reset := ""
		if rl.ResetAt != nil {
			reset = " until " + rl.ResetAt.Format(time.RFC3339)
		}
		switch {
		case h <= 0:
			v = down(ReasonRateLimit, fmt.Sprintf("%s has no rate-limit headroom left%s", s.prov.ID, reset),
				"wait for the limit to reset, or raise the provider's rate limit")
		case h < th.MinRateLimitHeadroom:
			v = degraded(ReasonRateLimit, fmt.Sprintf("%s has %.3g%% rate-limit headroom left (threshold %.3g%%)%s",
				s.prov.ID, h*100, th.MinRateLimitHeadroom*100, reset),
				"spread the load over other providers or raise the provider's rate limit")
		}
	}
	if th.Latency > 0 && s.listDur > th.Latency {
		v = worse(v, degraded(ReasonSlow, fmt.Sprintf("%s answered its model list in %s, over the %s threshold",
			redact.URL(s.base.String()), s.listDur.Round(time.Millisecond), th.Latency), "check the provider's load or the network path; raise thresholds.latency if this is normal"))
	}
	return v
}
