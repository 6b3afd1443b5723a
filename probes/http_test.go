package probes

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/provwatch/provwatch/configs"
)

// blockUntilGone holds a request until the client gives up (or the test ends).
func blockUntilGone(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(30 * time.Second):
	}
}

// TestTransportFailures drives the real client into each way a provider
// can fail below HTTP, for several flavours.
func TestTransportFailures(t *testing.T) {
	t.Parallel()
	const short = 200 * time.Millisecond
	tests := []struct {
		name    string
		handler http.HandlerFunc // nil: a closed listener
		maxBody int64
		timeout time.Duration
		want    expect
		status  int
		detail  string
	}{
		{name: "connection refused", want: expect{Down, ReasonUnreachable, none, none}, detail: "connection refused"},
		{
			name: "headers never come", timeout: short, handler: blockUntilGone,
			want: expect{Down, ReasonTimeout, none, none}, detail: "no complete answer within 200ms",
		},
		{
			name: "body stalls past the deadline", timeout: short, status: 200,
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(`{"object":"list","data":[{"id":"m1"`))
				w.(http.Flusher).Flush()
				blockUntilGone(w, r)
			},
			want: expect{Down, ReasonTimeout, none, none}, detail: "no complete answer",
		},
		{
			name: "huge body with Content-Length", maxBody: 1024, status: 200,
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Write([]byte(`{"data":[` + strings.Repeat(`{"id":"filler-model"},`, 200) + `{"id":"m1"}]}`))
			},
			want: expect{Degraded, ReasonFormat, none, none}, detail: "larger than 1 KiB",
		},
		{
			name: "huge chunked body", maxBody: 1024, status: 200,
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Write([]byte(`{"data":[`))
				w.(http.Flusher).Flush()
				for range 200 {
					w.Write([]byte(`{"id":"filler-model"},`))
				}
				w.Write([]byte(`{"id":"m1"}]}`))
			},
			want: expect{Degraded, ReasonFormat, none, none}, detail: "larger than 1 KiB",
		},
		{
			name: "connection closed mid-answer",
			handler: func(w http.ResponseWriter, r *http.Request) {
				conn, _, _ := w.(http.Hijacker).Hijack()
				conn.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n{\"data\":"))
				conn.Close()
			},
			want: expect{Down, ReasonUnreachable, none, none}, status: 200, detail: "connection closed",
		},
		{
			name: "404 on the list endpoint: wrong base URL", status: 404,
			handler: func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) },
			want:    expect{Down, ReasonUnreachable, none, none}, detail: "404: 404 page not found",
		},
		{
			name: "500", status: 500,
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(500)
				w.Write(fixture(t, "openai/error_server.json"))
			},
			want: expect{Down, ReasonServerError, none, none}, detail: "The server had an error",
		},
		{
			name: "502 from a gateway, HTML", status: 502,
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(502)
				w.Write([]byte("<html>\n<head><title>502 Bad Gateway</title></head></html>"))
			},
			want: expect{Down, ReasonServerError, none, none}, detail: "502: <html>",
		},
		{
			name: "503", status: 503,
			handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) },
			want:    expect{Degraded, ReasonOverloaded, none, none},
		},
		{
			name: "403", status: 403,
			handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(403) },
			want:    expect{Down, ReasonAuth, none, none},
		},
		{
			name: "402", status: 402,
			handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(402) },
			want:    expect{Down, ReasonBilling, none, none},
		},
	}
	for _, fl := range []configs.Flavour{configs.FlavourOpenAI, configs.FlavourVLLM, configs.FlavourLMStudio} {
		for _, tc := range tests {
			t.Run(string(fl)+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				var base string
				if tc.handler == nil {
					l, err := net.Listen("tcp", "127.0.0.1:0")
					if err != nil {
						t.Fatal(err)
					}
					base = "http://" + l.Addr().String()
					l.Close()
				} else {
					srv := httptest.NewServer(tc.handler)
					t.Cleanup(srv.Close)
					base = srv.URL
				}
				opts := defaultOptions()
				opts.MaxBody = tc.maxBody
				if tc.timeout > 0 {
					opts.Timeout = tc.timeout
				}
				res := probeOnce(t, opts, Job{Provider: provider(fl, base+"/v1"), Models: wants("p", "m1")})
				check(t, res, []expect{tc.want})
				hasAll(t, "detail", res.Models[0].Detail, tc.detail)
				if res.Probe.OK || res.Probe.Error == "" || res.Probe.StatusCode != tc.status {
					t.Errorf("probe %+v, want failed with status %d", res.Probe, tc.status)
				}
			})
		}
	}
}

// TestRedirects: the key never reaches another origin; the same origin may redirect.
func TestRedirects(t *testing.T) {
	t.Parallel()
	var otherHits atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherHits.Add(1)
		w.Write(fixture(t, "openai/models.json"))
	}))
	t.Cleanup(other.Close)

	for _, fl := range []configs.Flavour{configs.FlavourOpenAI, configs.FlavourAnthropic, configs.FlavourGemini, configs.FlavourOpenRouter, configs.FlavourOllama} {
		t.Run("other host/"+string(fl), func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, other.URL+r.URL.Path, http.StatusFound)
			}))
			t.Cleanup(srv.Close)
			p := provider(fl, srv.URL)
			p.Headers = map[string]string{"X-Org-Token": "org-SECRET-HEADER-VALUE"}
			res := probeOnce(t, defaultOptions(), Job{Provider: p, Models: wants("p", "m1")})
			check(t, res, []expect{{Down, ReasonUnreachable, none, none}}, "org-SECRET-HEADER-VALUE")
			hasAll(t, "detail", res.Models[0].Detail, "redirected to another host http://127.0.0.1:", "not followed")
			if res.Probe.StatusCode != 0 && res.Probe.StatusCode != 302 {
				t.Errorf("status %d", res.Probe.StatusCode)
			}
		})
	}
	t.Run("same port other scheme", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(nil)
		srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://"+r.Host+r.URL.Path, http.StatusMovedPermanently)
		})
		t.Cleanup(srv.Close)
		res := probeOnce(t, defaultOptions(), Job{Provider: provider(configs.FlavourOpenAI, srv.URL), Models: wants("p", "m1")})
		check(t, res, []expect{{Down, ReasonUnreachable, none, none}})
	})
	t.Run("same host is followed with the key", func(t *testing.T) {
		t.Parallel()
		srv := serve(t, map[string]route{
			"GET /v1/models": {fn: func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "/v2/models", http.StatusMovedPermanently)
			}},
			"GET /v2/models": {file: "openai/models.json"},
		})
		res := probeOnce(t, defaultOptions(), Job{Provider: provider(configs.FlavourOpenAI, srv.URL+"/v1"), Models: wants("openai", "gpt-4o")})
		check(t, res, []expect{{Healthy, ReasonOK, none, none}})
		reqs := srv.requests()
		if len(reqs) != 2 || reqs[1].header.Get("Authorization") != "Bearer "+testKey {
			t.Errorf("same-host redirect not followed with the key: %d requests", len(reqs))
		}
	})
	// Subtests run in parallel after this function returns: check after them.
	t.Cleanup(func() {
		if n := otherHits.Load(); n != 0 {
			t.Errorf("the other host received %d requests", n)
		}
	})
}

// TestTLS: verification is on by default; a trusted server gets TLS timed.
func TestTLS(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(fixture(t, "openai/models.json"))
	}))
	t.Cleanup(srv.Close)
	job := Job{Provider: provider(configs.FlavourOpenAI, srv.URL+"/v1"), Models: wants("openai", "gpt-4o")}

	res := probeOnce(t, defaultOptions(), job)
	check(t, res, []expect{{Down, ReasonUnreachable, none, none}})
	hasAll(t, "detail", res.Models[0].Detail, "TLS certificate not trusted")

	opts := defaultOptions()
	opts.Transport = srv.Client().Transport
	opts.Now = steppingClock(time.Millisecond)
	pr := New(opts)
	res = pr.Probe(context.Background(), job)
	check(t, res, []expect{{Healthy, ReasonOK, none, none}})
	ph := res.Probe.Phases
	if ph.Connect <= 0 || ph.TLS <= 0 || ph.TTFB <= 0 || ph.Transfer <= 0 || ph.DNS != 0 {
		t.Errorf("phases of a new TLS connection to an IP: %+v", ph)
	}
	if res.Probe.LatencyMS <= ph.TTFB {
		t.Errorf("latency %v not above ttfb %v", res.Probe.LatencyMS, ph.TTFB)
	}
	// The next probe reuses the connection: no connect or TLS phase.
	res = pr.Probe(context.Background(), job)
	if ph := res.Probe.Phases; ph.Connect != 0 || ph.TLS != 0 || ph.TTFB <= 0 {
		t.Errorf("phases on a reused connection: %+v", ph)
	}
}

// dnsFailing is a transport whose every dial fails name resolution, so
// the DNS path is tested without leaving loopback.
type dnsFailing struct{}

func (dnsFailing) RoundTrip(r *http.Request) (*http.Response, error) {
	return nil, &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: r.URL.Hostname(), IsNotFound: true}}
}

func TestDNSFailure(t *testing.T) {
	t.Parallel()
	opts := defaultOptions()
	opts.Transport = dnsFailing{}
	res := probeOnce(t, opts, Job{Provider: provider(configs.FlavourGroq, "https://api.groq.example/openai/v1"), Models: wants("groq", "m")})
	check(t, res, []expect{{Down, ReasonUnreachable, none, none}})
	hasAll(t, "detail", res.Models[0].Detail, "DNS lookup of api.groq.example failed")
}

func TestCancelledParent(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(blockUntilGone))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := New(defaultOptions()).Probe(ctx, Job{Provider: provider(configs.FlavourOpenAI, srv.URL), Models: wants("p", "m")})
	check(t, res, []expect{{Down, ReasonTimeout, none, none}})
	hasAll(t, "detail", res.Models[0].Detail, "cancelled")
}
