package probes

import (
	"strings"
	"testing"
	"time"

	"github.com/provwatch/provwatch/configs"
)

func TestGemini(t *testing.T) {
	t.Parallel()
	list := func() map[string]route {
		return map[string]route{
			"GET /v1beta/models?pageSize=1000":                                              {file: "gemini/models_page1.json"},
			"GET /v1beta/models?pageSize=1000&pageToken=Ch5tb2RlbHMvZ2VtaW5pLTIuNS1wcm8%3D": {file: "gemini/models_page2.json"},
		}
	}
	tests := []struct {
		name       string
		baseSuffix string
		routes     map[string]route
		models     []Want
		generate   bool
		want       []expect
		check      func(t *testing.T, res Result, srv *fakeServer)
	}{
		{
			name: "paged list, models/ stripped, inputTokenLimit", baseSuffix: "/v1beta", routes: list(),
			models: wants("google", "gemini-2.5-flash", "models/gemini-2.5-pro", "gemma-3-1b-it", "gemini-1.0-pro"),
			want:   []expect{{Healthy, ReasonOK, 1048576, none}, {Healthy, ReasonOK, 1048576, none}, {Down, ReasonContextWindow, 8192, none}, {Down, ReasonNoModel, none, none}},
			check: func(t *testing.T, res Result, srv *fakeServer) {
				for _, r := range srv.requests() {
					if r.header.Get("x-goog-api-key") != testKey || strings.Contains(r.query, testKey) || r.header.Get("Authorization") != "" {
						t.Errorf("key must travel in x-goog-api-key only: query %q", r.query)
					}
				}
				if n := len(srv.requests()); n != 2 {
					t.Errorf("%d list requests, want 2 pages", n)
				}
			},
		},
		{
			name: "base URL without version", routes: list(),
			models: wants("google", "gemini-2.5-flash"), want: []expect{{Healthy, ReasonOK, 1048576, none}},
		},
		{
			name: "bad key is a 400 API_KEY_INVALID", baseSuffix: "/v1beta",
			routes: map[string]route{"GET /v1beta/models": {status: 400, file: "gemini/error_key_invalid.json"}},
			models: wants("google", "gemini-2.5-flash"), want: []expect{{Down, ReasonAuth, none, none}},
		},
		{
			name: "429 RESOURCE_EXHAUSTED with RetryInfo", baseSuffix: "/v1beta",
			routes: map[string]route{"GET /v1beta/models": {status: 429, file: "gemini/error_exhausted.json"}},
			models: wants("google", "gemini-2.5-flash"), want: []expect{{Down, ReasonRateLimit, none, none}},
			check: func(t *testing.T, res Result, _ *fakeServer) {
				if res.RateLimit.ResetAt == nil || !res.RateLimit.ResetAt.Equal(epoch.Add(22*time.Second)) {
					t.Errorf("reset_at %v, want +22s from retryDelay", res.RateLimit.ResetAt)
				}
			},
		},
		{
			name: "503 UNAVAILABLE", baseSuffix: "/v1beta",
			routes: map[string]route{"GET /v1beta/models": {status: 503, file: "gemini/error_unavailable.json"}},
			models: wants("google", "gemini-2.5-flash"), want: []expect{{Degraded, ReasonOverloaded, none, none}},
		},
		{
			name: "generate with maxOutputTokens 1", baseSuffix: "/v1beta", generate: true,
			routes: merged(list(), map[string]route{
				"POST /v1beta/models/gemini-2.5-flash:generateContent": {file: "gemini/generate.json"},
				"POST /v1beta/models/gemini-2.5-pro:generateContent":   {status: 429, file: "gemini/error_exhausted.json"},
			}),
			models: wants("google", "gemini-2.5-flash", "gemini-2.5-pro"),
			want:   []expect{{Healthy, ReasonOK, 1048576, none}, {Down, ReasonRateLimit, 1048576, none}},
			check: func(t *testing.T, _ Result, srv *fakeServer) {
				for _, r := range srv.requests() {
					if r.method == "POST" && !strings.Contains(r.body, `"maxOutputTokens":1`) {
						t.Errorf("generate body %s", r.body)
					}
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := serve(t, tc.routes)
			p := provider(configs.FlavourGemini, srv.URL+tc.baseSuffix)
			p.ID = "google"
			res := probeOnce(t, defaultOptions(), Job{Provider: p, Models: tc.models, Generate: tc.generate})
			check(t, res, tc.want)
			if tc.check != nil {
				tc.check(t, res, srv)
			}
		})
	}
}
