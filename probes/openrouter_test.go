package probes

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/provwatch/provwatch/configs"
)

func TestOpenRouter(t *testing.T) {
	t.Parallel()
	routes := func(key route, extra ...map[string]route) map[string]route {
		return merged(append([]map[string]route{{
			"GET /api/v1/key":    key,
			"GET /api/v1/models": {file: "openrouter/models.json"},
		}}, extra...)...)
	}
	tests := []struct {
		name       string
		baseSuffix string
		routes     map[string]route
		models     []Want
		generate   bool
		want       []expect
		credits    float64 // -1 for null
		check      func(t *testing.T, res Result, srv *fakeServer)
	}{
		{
			name: "credit left, context_length, free variant, unknown id", baseSuffix: "/api/v1",
			routes:  routes(route{file: "openrouter/key.json"}),
			models:  wants("openrouter", "google/gemini-flash-1.5", "meta-llama/llama-3-8b-instruct:free", "google/gemini-nope"),
			want:    []expect{{Healthy, ReasonOK, 1000000, none}, {Down, ReasonContextWindow, 8192, none}, {Down, ReasonNoModel, none, none}},
			credits: 74.5,
			check: func(t *testing.T, res Result, _ *fakeServer) {
				hasAll(t, "detail", res.Models[2].Detail, "available: google/", "402 in all")
				// 74.5 of 100 USD left is a remaining/limit ratio (docs/reference.md §4 headroom).
				if h := f64(res.RateLimit.Headroom); h != 0.745 {
					t.Errorf("headroom %v, want 0.745 from limit_remaining/limit", h)
				}
			},
		},
		{
			name: "credit nearly used up is low headroom", baseSuffix: "/api/v1", routes: routes(route{file: "openrouter/key_low.json"}),
			models: wants("openrouter", "google/gemini-flash-1.5"), want: []expect{{Degraded, ReasonRateLimit, 1000000, none}}, credits: 2.5,
			check: func(t *testing.T, res Result, _ *fakeServer) {
				if h := f64(res.RateLimit.Headroom); h != 0.025 {
					t.Errorf("headroom %v, want 0.025", h)
				}
				// Not rounded to a misleading "2%".
				hasAll(t, "detail", res.Models[0].Detail, "2.5% rate-limit headroom left (threshold 10%)")
				if res.RateLimit.ResetAt != nil {
					t.Errorf("reset_at %v made up for a credit limit", res.RateLimit.ResetAt)
				}
			},
		},
		{
			name: "host root as base URL, unlimited key", routes: routes(route{file: "openrouter/key_unlimited.json"}),
			models: wants("openrouter", "google/gemini-flash-1.5"), want: []expect{{Healthy, ReasonOK, 1000000, none}}, credits: -1,
			check: func(t *testing.T, res Result, _ *fakeServer) {
				if res.RateLimit.Headroom != nil {
					t.Errorf("headroom %v made up for an unlimited key", *res.RateLimit.Headroom)
				}
			},
		},
		{
			name: "credit used up is billing", baseSuffix: "/api/v1", routes: routes(route{file: "openrouter/key_exhausted.json"}),
			models: wants("openrouter", "google/gemini-flash-1.5"), want: []expect{{Down, ReasonBilling, none, none}}, credits: 0,
			check: func(t *testing.T, _ Result, srv *fakeServer) {
				if srv.count("GET /api/v1/models") != 0 {
					t.Errorf("model list fetched although the key cannot pay")
				}
			},
		},
		{
			name: "401 on the key", baseSuffix: "/api/v1", routes: routes(route{status: 401, file: "openrouter/error_auth.json"}),
			models: wants("openrouter", "google/gemini-flash-1.5"), want: []expect{{Down, ReasonAuth, none, none}}, credits: -1,
		},
		{
			name: "402 on the key", baseSuffix: "/api/v1", routes: routes(route{status: 402, file: "openrouter/error_credits.json"}),
			models: wants("openrouter", "google/gemini-flash-1.5"), want: []expect{{Down, ReasonBilling, none, none}}, credits: -1,
		},
		{
			name: "generate: 400 not a valid model ID, 429 with metadata headers", baseSuffix: "/api/v1", generate: true,
			routes: routes(route{file: "openrouter/key.json"}, map[string]route{"POST /api/v1/chat/completions": {fn: chatBy(map[string]route{
				"google/gemini-flash-1.5":             {status: 400, file: "openrouter/error_model.json"},
				"meta-llama/llama-3-8b-instruct:free": {status: 429, file: "openrouter/error_rate_limit.json"},
			})}}),
			models:  wants("openrouter", "google/gemini-flash-1.5", "meta-llama/llama-3-8b-instruct:free"),
			want:    []expect{{Down, ReasonNoModel, 1000000, none}, {Down, ReasonRateLimit, 8192, none}},
			credits: 74.5,
			check: func(t *testing.T, res Result, _ *fakeServer) {
				rl := res.RateLimit
				if f64(rl.RequestsLimit) != 20 || f64(rl.RequestsRemaining) != 0 || f64(rl.Headroom) != 0 {
					t.Errorf("rate limit from the 429 body %+v", rl)
				}
				if rl.ResetAt == nil || !rl.ResetAt.Equal(time.UnixMilli(1795600800000)) {
					t.Errorf("reset_at %v, want the epoch-ms reset", rl.ResetAt)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := serve(t, tc.routes)
			p := provider(configs.FlavourOpenRouter, srv.URL+tc.baseSuffix)
			res := probeOnce(t, defaultOptions(), Job{Provider: p, Models: tc.models, Generate: tc.generate})
			check(t, res, tc.want)
			if got := f64(res.RateLimit.CreditsRemaining); got != tc.credits {
				t.Errorf("credits_remaining %v, want %v", got, tc.credits)
			}
			if h := srv.requests()[0].header.Get("Authorization"); h != "Bearer "+testKey {
				t.Errorf("key request without the bearer key")
			}
			if tc.check != nil {
				tc.check(t, res, srv)
			}
		})
	}
}

// TestOpenRouterListCache: the big list is fetched once per TTL per
// process, once even when many probes want it at the same moment.
func TestOpenRouterListCache(t *testing.T) {
	t.Parallel()
	var now atomic.Int64 // seconds after epoch
	clock := func() time.Time { return epoch.Add(time.Duration(now.Load()) * time.Second) }
	release := make(chan struct{})
	var lists atomic.Int32
	list := fixture(t, "openrouter/models.json")
	srv := serve(t, map[string]route{
		"GET /api/v1/key": {file: "openrouter/key.json"},
		"GET /api/v1/models": {fn: func(w http.ResponseWriter, r *http.Request) {
			if lists.Add(1) == 1 {
				<-release // hold the first fetch until every probe waits on it
			}
			w.Write(list)
		}},
	})
	opts := defaultOptions()
	opts.Now = clock
	pr := New(opts)
	job := Job{Provider: provider(configs.FlavourOpenRouter, srv.URL+"/api/v1"), Models: wants("openrouter", "google/gemini-flash-1.5")}

	var wg sync.WaitGroup
	results := make([]Result, 8)
	for i := range results {
		wg.Add(1)
		go func() { defer wg.Done(); results[i] = pr.Probe(context.Background(), job) }()
	}
	// Every probe has asked for its key before the list is released.
	for srv.count("GET /api/v1/key") < len(results) {
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	for _, res := range results {
		check(t, res, []expect{{Healthy, ReasonOK, 1000000, none}})
	}
	if n := lists.Load(); n != 1 {
		t.Fatalf("%d list fetches for 8 concurrent probes, want 1", n)
	}

	now.Store(int64((OpenRouterListTTL - time.Second) / time.Second))
	pr.Probe(context.Background(), job)
	if n := lists.Load(); n != 1 {
		t.Fatalf("list fetched again within the TTL")
	}
	now.Store(int64((OpenRouterListTTL + time.Second) / time.Second))
	pr.Probe(context.Background(), job)
	if n := lists.Load(); n != 2 {
		t.Fatalf("%d list fetches after the TTL, want 2", n)
	}
	// A new Prober (a new process) has no cache.
	New(opts).Probe(context.Background(), job)
	if n := lists.Load(); n != 3 {
		t.Fatalf("a new Prober reused another's list")
	}
}
