package reporter

import (
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/probes"
	"github.com/provwatch/provwatch/remediate"
)

// pageClock is the status page's "now" in tests: 30 s after the sample cycle.
var pageClock = time.Date(2026, 11, 25, 10, 0, 30, 0, time.UTC)

// pageFixture is a history of an hour of cycles in which ollama/qwen3-coder
// went down and the order failed over, ending in outSampleReport.
func pageFixture() (*History, *Report) {
	h := NewHistory(0, 0)
	r := outSampleReport()
	start := r.Time.Add(-59 * time.Minute)
	for i := range 60 {
		at := start.Add(time.Duration(i) * time.Minute)
		c := outSampleReport()
		c.Time = at
		for j := range c.Providers {
			p := &c.Providers[j]
			// A deterministic wobble, and one slow failure per provider.
			p.Probe.LatencyMS = p.Probe.LatencyMS * (1 + 0.3*math.Sin(float64(i+j*7)/4))
			if i == 20+j*9 {
				p.Probe.OK, p.Probe.LatencyMS = false, p.Probe.LatencyMS*3
			}
		}
		if i < 58 {
			c.Providers[0].Models[0].State = probes.Healthy
		}
		h.Add(c)
	}
	h.AddEvent(remediate.Event{Time: r.Time.Add(-50 * time.Minute), Kind: remediate.EventState, Ref: "ollama/llama3.1:8b",
		From: probes.Healthy, To: probes.Degraded, Reason: "context_window", Detail: "served context 8192 is below the 64000 the config declares"})
	h.AddEvent(remediate.Event{Time: r.Time.Add(-2 * time.Minute), Kind: remediate.EventState, Ref: "ollama/qwen3-coder",
		From: probes.Healthy, To: probes.Down, Reason: "no_model", Detail: "qwen3-coder is not pulled on this server (available: llama3.1:8b)"})
	h.AddEvent(remediate.Event{Time: r.Time.Add(-2 * time.Minute), Kind: remediate.EventOrder, Chain: configs.DefaultsChain,
		Before: r.Order.Configured, After: r.Order.Effective, Written: true, Why: "ollama/qwen3-coder down (no_model)"})
	return h, r
}

func pageGet(t *testing.T, h http.Handler, method, path string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec.Result()
}

func pageBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestStatusPageContent(t *testing.T) {
	t.Parallel()
	h, r := pageFixture()
	handler := &statusPageHandler{history: h, last: func() *Report { return r }, now: func() time.Time { return pageClock }}
	resp := pageGet(t, handler, http.MethodGet, "/")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for k, want := range map[string]string{
		"Content-Type":            "text/html; charset=utf-8",
		"Cache-Control":           "no-store",
		"Content-Security-Policy": statusPageCSP,
	} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	page := pageBody(t, resp)
	for _, want := range []string{
		`<meta http-equiv="refresh" content="5">`,
		"<title>1 down, 1 degraded · provwatch</title>",
		"2026-11-25 10:00:00 UTC", "(30s ago)",
		// states in words, not colour alone
		`<span class="badge s-down"><span aria-hidden="true">✕</span>down</span>`,
		`<span class="badge s-degraded"><span aria-hidden="true">!</span>degraded</span>`,
		`<span class="badge s-healthy"><span aria-hidden="true">✓</span>healthy</span>`,
		"ollama/qwen3-coder", "anthropic/claude-3-5-sonnet-20241022", "openrouter/google/gemini-flash-1.5",
		"no_model", "context_window",
		"qwen3-coder is not pulled on this server (available: llama3.1:8b)",
		"<code>run: ollama pull qwen3-coder</code>",
		"<code>set OLLAMA_CONTEXT_LENGTH&gt;=64000</code>",
		// served / trained / declared, the shortfall marked
		`title="below the declared context window">8,192</span><span class="sep">/</span>131,072<span class="sep">/</span>64,000`,
		"<span>—</span><span class=\"sep\">/</span>—<span class=\"sep\">/</span>128,000",
		"Failover active: anthropic/claude-3-5-sonnet-20241022 is primary instead of ollama/qwen3-coder.",
		`class="primary demoted"`, `<span class="tag bad">demoted</span>`, "down from #1",
		"rewritten this cycle",
		"Limits: headroom 90%, requests 45/50, tokens 36000/40000",
		"Limits: credits 12.50",
		"HTTP 200 · 12.4 ms",
		// sparkline: an inline SVG polyline with min/max labels
		`<svg role="img"`, `<polyline class="line" points="0.0,`, "max ", "min ", `<circle class="fail"`,
		// recent changes, newest first
		"Effective order rewritten: ollama/qwen3-coder down (no_model)",
		"60 cycles since start",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Count(page, "<svg") != 3 {
		t.Errorf("want one sparkline per provider (3), got %d", strings.Count(page, "<svg"))
	}
	// Worst provider first, newest event first.
	if strings.Index(page, `id="provider-ollama"`) > strings.Index(page, `id="provider-anthropic"`) {
		t.Error("the provider with a down model is not listed first")
	}
	if strings.Index(page, "Nov 25 09:58:00") > strings.Index(page, "Nov 25 09:10:00") {
		t.Error("recent changes are not newest first")
	}
	if strings.Contains(page, "up from") {
		t.Error("refs that moved up only as a consequence are tagged; only the demoted should be")
	}
	for _, bad := range []string{"<script", "http://", "https://fonts", "<link"} {
		if bad == "http://" {
			// the only absolute URLs are the SVG namespace and the providers' base URLs
			page = strings.ReplaceAll(strings.ReplaceAll(page, "http://www.w3.org/2000/svg", ""), "http://10.0.1.5:11434", "")
		}
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q: it must stand alone, with no script or external asset", bad)
		}
	}
}

func TestStatusPageEscapesHostileText(t *testing.T) {
	t.Parallel()
	r := &Report{
		Time: pageClock, Down: 1,
		Providers: []ProviderReport{{
			ID: `evil"><img src=x onerror=alert(1)>`, API: "openai-completions",
			BaseURL: "https://user:s3cretpass@llm.example.test/v1?api_key=s3cretkey",
			Probe:   probes.ProbeInfo{Error: `<b>bold</b> failure`},
			Models: []ModelReport{{
				Ref: "evil/<svg onload=alert(1)>", State: probes.Down, Reason: probes.ReasonServerError,
				Detail: `500: <script>alert("pwned")</script>`, Hint: `</code><script>x()</script>`,
			}},
		}},
		Order: OrderReport{Configured: configs.Order{Primary: "evil/<svg onload=alert(1)>"}},
	}
	h := NewHistory(0, 0)
	h.Add(r)
	h.AddEvent(remediate.Event{Time: pageClock, Kind: remediate.EventState, Ref: "<i>x</i>", From: probes.Healthy, To: probes.Down, Reason: `down"><script>`, Detail: "<script>e()</script>"})
	handler := &statusPageHandler{history: h, last: func() *Report { return r }, now: func() time.Time { return pageClock }}
	page := pageBody(t, pageGet(t, handler, http.MethodGet, "/"))

	for _, raw := range []string{"<script", "<img", "<svg onload", "<b>bold", "<i>x", "s3cretpass", "s3cretkey"} {
		if strings.Contains(page, raw) {
			t.Errorf("page contains unescaped or secret text %q", raw)
		}
	}
	for _, escaped := range []string{
		"500: &lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;",
		"evil/&lt;svg onload=alert(1)&gt;",
		"&lt;b&gt;bold&lt;/b&gt; failure",
		"https://llm.example.test/v1",
	} {
		if !strings.Contains(page, escaped) {
			t.Errorf("page lacks the escaped text %q", escaped)
		}
	}
}

func TestStatusPageBeforeFirstCycle(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		h    *History
		last func() *Report
	}{
		{"nil history and last", nil, nil},
		{"last returns nil", NewHistory(0, 0), func() *Report { return nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp := pageGet(t, StatusPage(tt.h, tt.last), http.MethodGet, "/")
			page := pageBody(t, resp)
			if resp.StatusCode != http.StatusOK || !strings.Contains(page, "No cycle has finished yet") {
				t.Errorf("status %d, want 200 and the empty state:\n%s", resp.StatusCode, page)
			}
			if strings.Contains(page, "Fallback chain") {
				t.Error("empty state shows a chain it does not have")
			}
		})
	}
}

func TestStatusPageRoutes(t *testing.T) {
	t.Parallel()
	handler := StatusPage(NewHistory(0, 0), func() *Report { return outSampleReport() })
	tests := []struct {
		method, path string
		want         int
		wantBody     bool
	}{
		{http.MethodGet, "/", http.StatusOK, true},
		{http.MethodHead, "/", http.StatusOK, false},
		{http.MethodPost, "/", http.StatusMethodNotAllowed, true},
		{http.MethodGet, "/favicon.ico", http.StatusNotFound, true},
	}
	for _, tt := range tests {
		resp := pageGet(t, handler, tt.method, tt.path)
		body := pageBody(t, resp)
		if resp.StatusCode != tt.want {
			t.Errorf("%s %s: status %d, want %d", tt.method, tt.path, resp.StatusCode, tt.want)
		}
		if (body != "") != tt.wantBody {
			t.Errorf("%s %s: body %d bytes, want body %v", tt.method, tt.path, len(body), tt.wantBody)
		}
		if tt.want == http.StatusMethodNotAllowed && resp.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("405 without Allow: GET, HEAD")
		}
	}
}

func TestPageSparkline(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		points     []LatencyPoint
		wantPoints string
		wantFails  int
		min, max   string
	}{
		{"none", nil, "", 0, "", ""},
		{"single point centred", []LatencyPoint{{at, 5, true}}, "140.0,36.0", 0, "5.00 ms", "5.00 ms"},
		{"flat line centred", []LatencyPoint{{at, 20, true}, {at.Add(time.Minute), 20, true}}, "0.0,36.0 280.0,36.0", 0, "20.0 ms", "20.0 ms"},
		{"max at top, min at bottom", []LatencyPoint{{at, 10, true}, {at.Add(time.Minute), 30, false}, {at.Add(2 * time.Minute), 20, true}},
			"0.0,64.0 140.0,8.0 280.0,36.0", 1, "10.0 ms", "30.0 ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newPageSparkline(tt.points)
			if tt.points == nil {
				if s != nil {
					t.Errorf("sparkline for no points: %+v", s)
				}
				return
			}
			if s.Points != tt.wantPoints || len(s.Fails) != tt.wantFails || s.Min != tt.min || s.Max != tt.max {
				t.Errorf("got points %q fails %d min %q max %q; want %q %d %q %q", s.Points, len(s.Fails), s.Min, s.Max,
					tt.wantPoints, tt.wantFails, tt.min, tt.max)
			}
		})
	}
}

func TestPageFormatting(t *testing.T) {
	t.Parallel()
	for n, want := range map[int]string{0: "0", 999: "999", 8192: "8,192", 131072: "131,072", 1000000: "1,000,000"} {
		if got := pageTokens(&n); got != want {
			t.Errorf("pageTokens(%d) = %q, want %q", n, got, want)
		}
	}
	if pageTokens(nil) != "—" {
		t.Error("unknown context is not shown as —")
	}
	for d, want := range map[time.Duration]string{-time.Second: "just now", 30 * time.Second: "30s", 2 * time.Minute: "2m",
		3*time.Hour + 5*time.Minute: "3h 5m", 3 * time.Hour: "3h", 72 * time.Hour: "3d"} {
		if got := pageAge(d); got != want {
			t.Errorf("pageAge(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestStatusPageAgentsAndPending(t *testing.T) {
	t.Parallel()
	r := agentsPendingReport()
	handler := &statusPageHandler{last: func() *Report { return r }, now: func() time.Time { return pageClock }}
	page := pageBody(t, pageGet(t, handler, http.MethodGet, "/"))
	for _, want := range []string{
		`<div class="pending">observed down, confirming</div>`,
		`<div class="pending">observed healthy, restore held until 10:03 UTC</div>`,
		"<h2>Agent chains</h2>",
		`<strong>coder</strong><div class="path mono">agents.list[0].model</div>`,
		`<div class="chainline mono">anthropic/claude-3-5-sonnet-20241022 → ollama/qwen3-coder</div><div class="chainline mono since">configured ollama/qwen3-coder → anthropic/claude-3-5-sonnet-20241022</div>`,
		`<span class="tag">rewritten this cycle</span>`,
		`<strong>writer</strong><div class="path mono">agents.entries.writer.model</div>`,
		`<div class="chainline mono">openrouter/google/gemini-flash-1.5</div></td>`,
		"as configured",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if n := strings.Count(page, `class="pending"`); n != 2 {
		t.Errorf("%d pending notes, want 2 (one per model awaiting confirmation)", n)
	}

	// A report built by hand (Observed left healthy, no Pending, no agents)
	// shows neither notes nor the section.
	plain := outSampleReport()
	handler = &statusPageHandler{last: func() *Report { return plain }, now: func() time.Time { return pageClock }}
	page = pageBody(t, pageGet(t, handler, http.MethodGet, "/"))
	for _, bad := range []string{`class="pending"`, "observed ", "Agent chains"} {
		if strings.Contains(page, bad) {
			t.Errorf("hand-built report's page contains %q", bad)
		}
	}
}

func TestStatusPageNamesTheAgentOfAnOrderEvent(t *testing.T) {
	t.Parallel()
	h := NewHistory(0, 0)
	h.AddEvent(remediate.Event{Time: pageClock, Kind: remediate.EventOrder, Chain: "coder", Path: "agents.list[0].model",
		Before: configs.Order{Primary: "a/x", Fallbacks: []string{"b/y"}}, After: configs.Order{Primary: "b/y", Fallbacks: []string{"a/x"}}, Written: true, Why: "agent coder: demoted a/x"})
	handler := &statusPageHandler{history: h, last: func() *Report { return nil }, now: func() time.Time { return pageClock }}
	page := pageBody(t, pageGet(t, handler, http.MethodGet, "/"))
	if want := `Order of <span class="mono">agents.list[0].model</span> rewritten: agent coder: demoted a/x`; !strings.Contains(page, want) {
		t.Errorf("page lacks %q", want)
	}
}
