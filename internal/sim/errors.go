package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// errClass is a kind of failure; each provider has its own answer for it.
type errClass int

const (
	errAuth       errClass = iota // wrong key
	errNoKey                      // no key sent
	errBilling                    // out of credit or quota
	errRateLimit                  // 429
	errServer                     // 500
	errOverloaded                 // 529 or 503
	errNotFound                   // unknown model
)

// obj is a JSON object literal; encoding/json writes its keys sorted.
type obj = map[string]any

// writeJSON answers status with v as JSON (json.Encoder's trailing newline
// included, as Go and Ollama servers send it).
func writeJSON(w http.ResponseWriter, status int, v any) {
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// oaiErr is the OpenAI error envelope, shared by many compatible servers.
func oaiErr(msg, typ string, code any) obj {
	return obj{"error": obj{"message": msg, "type": typ, "param": nil, "code": code}}
}

// writeError answers the kind's documented error for class c; model names
// the model for not-found answers. Keys are never echoed.
func (s *Server) writeError(w http.ResponseWriter, c errClass, model string) {
	status, body := s.errorBody(c, model)
	if s.kind == Ollama || s.kind == OpenRouter {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	if s.kind == Anthropic {
		w.Header().Set("Request-Id", "req_sim0001")
	}
	writeJSON(w, status, body)
}

func (s *Server) errorBody(c errClass, model string) (int, any) {
	switch s.kind {
	case Ollama:
		return ollamaError(c, model, s.opts.Legacy)
	case Anthropic:
		_, p := s.Fault()
		return anthropicError(c, model, p.Variant)
	case Gemini:
		quotaModel := model
		if ms := s.view(); quotaModel == "" && len(ms) > 0 {
			quotaModel = ms[0].ID
		}
		return geminiError(c, model, quotaModel)
	case OpenRouter:
		return openRouterError(c, model, s.now().UnixMilli())
	case XAI:
		return xaiError(c, model)
	case DeepSeek:
		return deepSeekError(c, model)
	case Mistral:
		return mistralError(c, model)
	case Together:
		return togetherError(c, model)
	case Groq:
		return groqError(c, model)
	case VLLM:
		if c == errAuth || c == errNoKey {
			return 401, obj{"error": "Unauthorized"}
		}
		if c == errNotFound {
			return 404, obj{"object": "error", "message": fmt.Sprintf("The model `%s` does not exist.", model), "type": "NotFoundError", "param": nil, "code": 404}
		}
	case LlamaCpp:
		switch c {
		case errAuth, errNoKey:
			return 401, obj{"error": obj{"code": 401, "message": "Invalid API Key", "type": "authentication_error"}}
		case errServer:
			return 500, obj{"error": obj{"code": 500, "message": "Internal server error", "type": "server_error"}}
		case errOverloaded:
			return 503, obj{"error": obj{"code": 503, "message": "Loading model", "type": "unavailable_error"}}
		}
	case LiteLLM:
		switch c {
		case errAuth, errNoKey:
			return 401, obj{"error": obj{"message": "Authentication Error, Invalid proxy server token passed.", "type": "auth_error", "param": "None", "code": "401"}}
		case errNotFound:
			return 400, obj{"error": obj{"message": fmt.Sprintf("Invalid model name passed in model=%s", model), "type": "invalid_request_error", "param": "model", "code": "400"}}
		}
	}
	return openAIError(c, model)
}

func openAIError(c errClass, model string) (int, any) {
	switch c {
	case errAuth:
		return 401, oaiErr("Incorrect API key provided.", "invalid_request_error", "invalid_api_key")
	case errNoKey:
		return 401, oaiErr("You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth.", "invalid_request_error", nil)
	case errBilling:
		return 429, oaiErr("You exceeded your current quota, please check your plan and billing details.", "insufficient_quota", "insufficient_quota")
	case errRateLimit:
		return 429, oaiErr("Rate limit reached for requests. Please try again in 20s.", "requests", "rate_limit_exceeded")
	case errServer:
		return 500, oaiErr("The server had an error while processing your request. Sorry about that!", "server_error", nil)
	case errOverloaded:
		return 503, oaiErr("The engine is currently overloaded, please try again later.", "server_error", nil)
	}
	return 404, oaiErr(fmt.Sprintf("The model `%s` does not exist or you do not have access to it.", model), "invalid_request_error", "model_not_found")
}

func ollamaError(c errClass, model string, legacy bool) (int, any) {
	e := func(msg string) obj { return obj{"error": msg} }
	switch c {
	case errAuth, errNoKey:
		return 401, e("unauthorized")
	case errBilling:
		return 402, e("payment required: out of credits")
	case errRateLimit:
		return 429, e("too many requests")
	case errServer:
		return 500, e("error starting llama-server: exit status 2")
	case errOverloaded:
		return 503, e("server busy, please try again.  maximum pending requests exceeded")
	}
	return 404, e(fmt.Sprintf("model '%s' not found", model))
}

func anthropicError(c errClass, model, variant string) (int, any) {
	e := func(typ, msg string) obj {
		return obj{"type": "error", "error": obj{"type": typ, "message": msg}, "request_id": "req_sim0001"}
	}
	switch c {
	case errAuth:
		return 401, e("authentication_error", "invalid x-api-key")
	case errNoKey:
		return 401, e("authentication_error", "x-api-key header is required")
	case errBilling:
		if variant == "credit_balance" {
			return 400, e("invalid_request_error", "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.")
		}
		return 402, e("billing_error", "Your account has run out of credits.")
	case errRateLimit:
		return 429, e("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit.")
	case errServer:
		return 500, e("api_error", "Internal server error")
	case errOverloaded:
		return 529, e("overloaded_error", "Overloaded")
	}
	return 404, e("not_found_error", "model: "+model)
}

// geminiError is Gemini's answer; quotaModel is the model a quota
// violation names (the request's, else the first served).
func geminiError(c errClass, model, quotaModel string) (int, any) {
	e := func(code int, status, msg string, details ...obj) (int, any) {
		d := []obj{}
		d = append(d, details...)
		body := obj{"code": code, "message": msg, "status": status}
		if len(details) > 0 {
			body["details"] = d
		}
		return code, obj{"error": body}
	}
	quota := obj{"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": []obj{{
		"quotaMetric":     "generativelanguage.googleapis.com/generate_content_free_tier_requests",
		"quotaId":         "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
		"quotaDimensions": obj{"location": "global", "model": quotaModel},
		"quotaValue":      "10",
	}}}
	switch c {
	case errAuth:
		const msg = "API key not valid. Please pass a valid API key."
		return e(400, "INVALID_ARGUMENT", msg,
			obj{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com",
				"metadata": obj{"service": "generativelanguage.googleapis.com"}},
			obj{"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US", "message": msg})
	case errNoKey:
		return e(403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.")
	case errBilling:
		return e(429, "RESOURCE_EXHAUSTED", "You exceeded your current quota, please check your plan and billing details.", quota)
	case errRateLimit:
		return e(429, "RESOURCE_EXHAUSTED", "You exceeded your current quota, please check your plan and billing details.", quota,
			obj{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "22s"})
	case errServer:
		return e(500, "INTERNAL", "An internal error has occurred. Please retry or report in the troubleshooting guide.")
	case errOverloaded:
		return e(503, "UNAVAILABLE", "The model is overloaded. Please try again later.")
	}
	return e(404, "NOT_FOUND", fmt.Sprintf("models/%s is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.", model))
}

func openRouterError(c errClass, model string, nowMS int64) (int, any) {
	e := func(code int, msg string) obj { return obj{"error": obj{"code": code, "message": msg}} }
	switch c {
	case errAuth:
		return 401, e(401, "User not found.")
	case errNoKey:
		return 401, e(401, "No auth credentials found")
	case errBilling:
		return 402, e(402, "Insufficient credits. Add more credits to continue.")
	case errRateLimit:
		body := e(429, "Rate limit exceeded: free-models-per-min. ")
		body["error"].(obj)["metadata"] = obj{"headers": obj{
			"X-RateLimit-Limit": "20", "X-RateLimit-Remaining": "0",
			"X-RateLimit-Reset": fmt.Sprint((nowMS/60000 + 1) * 60000),
		}}
		body["user_id"] = openRouterUser
		return 429, body
	case errServer:
		return 500, e(500, "Internal Server Error")
	case errOverloaded:
		return 503, e(503, "No endpoints available: the providers of this model are overloaded.")
	}
	body := e(400, model+" is not a valid model ID")
	body["user_id"] = openRouterUser
	return 400, body
}

// openRouterUser is the account id OpenRouter adds to some errors of a
// request it could tie to an account.
const openRouterUser = "user_sim0001"

func xaiError(c errClass, model string) (int, any) {
	e := func(code, msg string) obj { return obj{"code": code, "error": msg} }
	switch c {
	case errAuth:
		return 400, e("Client specified an invalid argument", "Incorrect API key provided: xa***. You can obtain an API key from the xAI console.")
	case errNoKey:
		return 400, e("Client specified an invalid argument", "No API key provided. Please provide an API key in the Authorization header.")
	case errBilling:
		return 403, e("The caller does not have permission to execute the specified operation", "Your team does not have any credits or licenses yet. Purchase them in the xAI console.")
	case errRateLimit:
		return 429, e("Too many requests", "Your team has exceeded its requests-per-second rate limit.")
	case errServer:
		return 500, e("Internal error", "Internal server error")
	case errOverloaded:
		return 503, e("Service unavailable", "The service is currently unavailable.")
	}
	return 404, e("Some requested entity was not found", fmt.Sprintf("The model %s does not exist or your team does not have access to it.", model))
}

func deepSeekError(c errClass, model string) (int, any) {
	switch c {
	case errAuth, errNoKey:
		return 401, oaiErr("Authentication Fails, Your api key is invalid", "authentication_error", "invalid_request_error")
	case errBilling:
		return 402, oaiErr("Insufficient Balance", "unknown_error", "invalid_request_error")
	case errRateLimit:
		return 429, oaiErr("Rate Limit Reached", "rate_limit_error", "rate_limit_exceeded")
	case errServer:
		return 500, oaiErr("Server Error", "server_error", nil)
	case errOverloaded:
		return 503, oaiErr("Server Overloaded", "server_error", nil)
	}
	return 400, oaiErr("Model Not Exist", "invalid_request_error", "invalid_request_error")
}

func mistralError(c errClass, model string) (int, any) {
	e := func(msg, typ string, code any) obj {
		return obj{"object": "error", "message": msg, "type": typ, "param": nil, "code": code}
	}
	switch c {
	case errAuth, errNoKey:
		return 401, obj{"message": "Unauthorized", "request_id": "sim0001"}
	case errBilling:
		return 402, e("Payment required: your workspace has no credits left.", "payment_required", nil)
	case errRateLimit:
		return 429, e("Requests rate limit exceeded", "rate_limited", "1300")
	case errServer:
		return 500, e("Internal server error", "internal_server_error", nil)
	case errOverloaded:
		return 503, e("Service unavailable", "service_unavailable", nil)
	}
	return 400, e("Invalid model: "+model, "invalid_model", "1500")
}

func togetherError(c errClass, model string) (int, any) {
	switch c {
	case errAuth, errNoKey:
		return 401, oaiErr("Invalid API key provided.", "invalid_request_error", "invalid_api_key")
	case errBilling:
		return 402, oaiErr("Credit limit exceeded. Please add credits to continue.", "credit_limit", nil)
	case errRateLimit:
		return 429, oaiErr("You have exceeded the rate limit for your plan.", "rate_limit", "rate_limit_exceeded")
	case errServer:
		return 500, oaiErr("Internal server error", "server_error", nil)
	case errOverloaded:
		return 503, oaiErr("The server is overloaded or not ready yet.", "server_error", nil)
	}
	return 404, oaiErr(fmt.Sprintf("Unable to access model %s.", model), "invalid_request_error", "model_not_available")
}

func groqError(c errClass, model string) (int, any) {
	e := func(msg, typ string, code any) obj {
		return obj{"error": obj{"message": msg, "type": typ, "code": code}}
	}
	switch c {
	case errAuth, errNoKey:
		return 401, e("Invalid API Key", "invalid_request_error", "invalid_api_key")
	case errBilling:
		return 429, oaiErr("You exceeded your current quota, please check your plan and billing details.", "insufficient_quota", "insufficient_quota")
	case errRateLimit:
		return 429, e("Rate limit reached on tokens per minute (TPM): Limit 6000, Used 6000, Requested 1. Please try again in 20s.", "tokens", "rate_limit_exceeded")
	case errServer:
		return 500, e("Internal Server Error", "internal_server_error", nil)
	case errOverloaded:
		return 503, e("Service Unavailable", "internal_server_error", "service_unavailable")
	}
	return 404, e(fmt.Sprintf("The model `%s` does not exist or you do not have access to it.", model), "invalid_request_error", "model_not_found")
}

// writeDown is a load balancer's answer with nothing healthy behind it.
func writeDown(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte("<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n"))
}

// writeGarbage is a 2xx that promises JSON and is not.
func writeGarbage(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(`{"object":"list","data":[{"id":"gpt-4o-mini",<html><body>upstream reset</body></html>`))
}
