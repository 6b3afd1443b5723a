package probes

import (
	"strings"
	"testing"
	"time"

	"github.com/provwatch/provwatch/configs"
)

func anthropicList() map[string]route {
	return map[string]route{
		"GET /v1/models?limit=1000":                                   {file: "anthropic/models_page1.json"},
		"GET /v1/models?limit=1000&after_id=claude-opus-4-1-20250805": {file: "anthropic/models_page2.json"},
		"GET /v1/models/claude-sonnet-4-5":                            {file: "anthropic/model_alias.json"},
		"GET /v1/models/claude-nope":                                  {status: 404, file: "anthropic/error_not_found.json"},
	}
}

func TestAnthropic(t *testing.T) {
	t.Parallel()
	with := func(extra map[string]route) map[string]route { return merged(anthropicList(), extra) }
	tests := []struct {
		name       string
		baseSuffix string
		routes     map[string]route
		models     []Want
		generate   bool
		authHeader bool
		want       []expect
		check      func(t *testing.T, res Result, srv *fakeServer)
	}{
		{
			name: "paged list, max_input_tokens, alias resolved, unknown id", routes: anthropicList(),
			models: wants("anthropic", "claude-sonnet-4-5-20250929", "claude-3-5-haiku-20241022", "claude-3-haiku-20240307", "claude-sonnet-4-5", "claude-nope"),
			want: []expect{{Healthy, ReasonOK, 200000, none}, {Healthy, ReasonOK, none, none}, {Down, ReasonContextWindow, 12000, none},
				{Healthy, ReasonOK, 200000, none}, {Down, ReasonNoModel, none, none}},
			check: func(t *testing.T, res Result, srv *fakeServer) {
				h := srv.requests()[0].header
				if h.Get("x-api-key") != testKey || h.Get("anthropic-version") != "2023-06-01" || h.Get("Authorization") != "" {
					t.Errorf("auth headers: x-api-key set=%v version=%q authorization set=%v", h.Get("x-api-key") != "", h.Get("anthropic-version"), h.Get("Authorization") != "")
				}
				hasAll(t, "detail", res.Models[3].Detail, "resolves to claude-sonnet-4-5-20250929")
			},
		},
		{
			name: "base URL with /v1 is accepted", baseSuffix: "/v1/", routes: anthropicList(),
			models: wants("anthropic", "claude-opus-4-1-20250805"), want: []expect{{Healthy, ReasonOK, 200000, none}},
		},
		{
			name: "authHeader forces Bearer", routes: anthropicList(), authHeader: true,
			models: wants("anthropic", "claude-opus-4-1-20250805"), want: []expect{{Healthy, ReasonOK, 200000, none}},
			check: func(t *testing.T, _ Result, srv *fakeServer) {
				h := srv.requests()[0].header
				if h.Get("Authorization") != "Bearer "+testKey || h.Get("x-api-key") != "" {
					t.Errorf("authHeader: want only Authorization: Bearer")
				}
			},
		},
		{
			name: "401", routes: map[string]route{"GET /v1/models": {status: 401, file: "anthropic/error_auth.json"}},
			models: wants("anthropic", "claude-sonnet-4-5"), want: []expect{{Down, ReasonAuth, none, none}},
		},
		{
			name: "402 billing_error", routes: map[string]route{"GET /v1/models": {status: 402, file: "anthropic/error_billing.json"}},
			models: wants("anthropic", "claude-sonnet-4-5"), want: []expect{{Down, ReasonBilling, none, none}},
		},
		{
			name: "400 credit balance too low", routes: map[string]route{"GET /v1/models": {status: 400, file: "anthropic/error_credit.json"}},
			models: wants("anthropic", "claude-sonnet-4-5"), want: []expect{{Down, ReasonBilling, none, none}},
		},
		{
			name: "529 overloaded", routes: map[string]route{"GET /v1/models": {status: 529, file: "anthropic/error_overloaded.json"}},
			models: wants("anthropic", "claude-sonnet-4-5"), want: []expect{{Degraded, ReasonOverloaded, none, none}},
		},
		{
			name: "429 with retry-after", routes: map[string]route{"GET /v1/models": {status: 429, file: "anthropic/error_rate_limit.json",
				header: map[string]string{"retry-after": "30"}}},
			models: wants("anthropic", "claude-sonnet-4-5"), want: []expect{{Down, ReasonRateLimit, none, none}},
			check: func(t *testing.T, res Result, _ *fakeServer) {
				if res.RateLimit.ResetAt == nil || !res.RateLimit.ResetAt.Equal(epoch.Add(30*time.Second)) {
					t.Errorf("reset_at %v, want +30s", res.RateLimit.ResetAt)
				}
				if res.RateLimit.Headroom != nil {
					t.Errorf("headroom %v made up without limit headers", *res.RateLimit.Headroom)
				}
			},
		},
		{
			name: "generate: messages with max_tokens 1 and RFC 3339 resets", generate: true,
			routes: with(map[string]route{"POST /v1/messages": {file: "anthropic/message.json", header: map[string]string{
				"anthropic-ratelimit-requests-limit": "50", "anthropic-ratelimit-requests-remaining": "49", "anthropic-ratelimit-requests-reset": "2026-11-25T10:00:01Z",
				"anthropic-ratelimit-tokens-limit": "40000", "anthropic-ratelimit-tokens-remaining": "2000", "anthropic-ratelimit-tokens-reset": "2026-11-25T10:00:30Z",
				"anthropic-ratelimit-input-tokens-limit": "30000", "anthropic-ratelimit-input-tokens-remaining": "29000", "anthropic-ratelimit-input-tokens-reset": "2026-11-25T10:00:02Z",
			}}}),
			models: wants("anthropic", "claude-sonnet-4-5-20250929"), want: []expect{{Degraded, ReasonRateLimit, 200000, none}},
			check: func(t *testing.T, res Result, srv *fakeServer) {
				rl := res.RateLimit
				if f64(rl.RequestsLimit) != 50 || f64(rl.TokensRemaining) != 2000 || f64(rl.Headroom) != 0.05 {
					t.Errorf("rate limit %+v", rl)
				}
				if rl.ResetAt == nil || !rl.ResetAt.Equal(epoch.Add(30*time.Second)) {
					t.Errorf("reset_at %v, want the tokens bucket's", rl.ResetAt)
				}
				for _, r := range srv.requests() {
					if r.path == "/v1/messages" && !strings.Contains(r.body, `"max_tokens":1`) {
						t.Errorf("messages body %s", r.body)
					}
				}
			},
		},
		{
			name: "generate: 529 on messages degrades that model", generate: true,
			routes: with(map[string]route{"POST /v1/messages": {status: 529, file: "anthropic/error_overloaded.json"}}),
			models: wants("anthropic", "claude-sonnet-4-5-20250929"), want: []expect{{Degraded, ReasonOverloaded, 200000, none}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := serve(t, tc.routes)
			p := provider(configs.FlavourAnthropic, srv.URL+tc.baseSuffix)
			p.AuthHeader = tc.authHeader
			res := probeOnce(t, defaultOptions(), Job{Provider: p, Models: tc.models, Generate: tc.generate})
			check(t, res, tc.want)
			if tc.check != nil {
				tc.check(t, res, srv)
			}
		})
	}
}
