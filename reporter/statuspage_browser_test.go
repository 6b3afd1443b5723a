//go:build unix

package reporter

import (
	"bytes"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/provwatch/provwatch/internal/browsertest"
)

// The status page is for people, so one test looks at it the way they do:
// a real headless Chromium loads it from a loopback server, and the test
// checks the DOM the browser built and saves a screenshot for review.
func TestStatusPageInChromium(t *testing.T) {
	bin := browsertest.Chromium(t)
	h, r := pageFixture()
	srv := httptest.NewServer(&statusPageHandler{history: h, last: func() *Report { return r }, now: func() time.Time { return pageClock }})
	defer srv.Close()

	t.Run("dom", func(t *testing.T) {
		dom := string(browsertest.Run(t, bin, srv.URL+"/", "--dump-dom"))
		for _, want := range []string{
			"<title>1 down, 1 degraded · provwatch</title>",
			"Failover active: anthropic/claude-3-5-sonnet-20241022 is primary instead of ollama/qwen3-coder.",
			`<span class="badge s-down"><span aria-hidden="true">✕</span>down</span>`,
			`<span class="badge s-degraded"><span aria-hidden="true">!</span>degraded</span>`,
			`<span class="badge s-healthy"><span aria-hidden="true">✓</span>healthy</span>`,
			"ollama/qwen3-coder", "ollama/llama3.1:8b", "anthropic/claude-3-5-sonnet-20241022", "openrouter/google/gemini-flash-1.5",
			`<li class="primary demoted">`, "rewritten this cycle",
			"<code>run: ollama pull qwen3-coder</code>",
			"<polyline", "Effective order rewritten",
		} {
			if !strings.Contains(dom, want) {
				t.Errorf("Chromium's DOM lacks %q", want)
			}
		}
		// The browser parsed exactly the page's three sparklines as SVG.
		if n := strings.Count(dom, "<svg"); n != 3 {
			t.Errorf("Chromium's DOM has %d <svg> elements, want 3", n)
		}
		if t.Failed() {
			t.Logf("DOM:\n%s", dom)
		}
	})

	t.Run("screenshot", func(t *testing.T) {
		dir := filepath.Join("..", "testdata", "artifacts")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		shot, err := filepath.Abs(filepath.Join(dir, "statuspage.png"))
		if err != nil {
			t.Fatal(err)
		}
		_ = os.Remove(shot)
		browsertest.Run(t, bin, srv.URL+"/", "--screenshot="+shot, "--window-size=1280,1000", "--hide-scrollbars")
		png, err := os.ReadFile(shot)
		if err != nil {
			t.Fatalf("chromium wrote no screenshot: %v", err)
		}
		if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) || len(png) < 10_000 {
			t.Errorf("screenshot %s is not a rendered PNG (%d bytes)", shot, len(png))
		}
		t.Logf("screenshot saved to %s", shot)
	})

	t.Run("hostile text stays text", func(t *testing.T) {
		hostile := outSampleReport()
		hostile.Providers[0].Models[0].Detail = `<script>document.title="pwned"</script><img src=x onerror="document.title='pwned'">`
		hs := httptest.NewServer(&statusPageHandler{last: func() *Report { return hostile }, now: func() time.Time { return pageClock }})
		defer hs.Close()
		dom := string(browsertest.Run(t, bin, hs.URL+"/", "--dump-dom"))
		if strings.Contains(dom, "pwned</title>") || strings.Contains(dom, "<script") || strings.Contains(dom, "<img") {
			t.Errorf("a provider's detail became markup in the browser:\n%s", dom)
		}
		if !strings.Contains(dom, "&lt;script&gt;document.title=\"pwned\"&lt;/script&gt;") {
			t.Errorf("the hostile detail is not shown as text")
		}
	})

	t.Run("agents and pending notes", func(t *testing.T) {
		ar := agentsPendingReport()
		as := httptest.NewServer(&statusPageHandler{last: func() *Report { return ar }, now: func() time.Time { return pageClock }})
		defer as.Close()
		dom := string(browsertest.Run(t, bin, as.URL+"/", "--dump-dom"))
		for _, want := range []string{"Agent chains", "agents.list[0].model", "observed down, confirming", "observed healthy, restore held until 10:03 UTC"} {
			if !strings.Contains(dom, want) {
				t.Errorf("Chromium's DOM lacks %q", want)
			}
		}
	})

	t.Run("before the first cycle", func(t *testing.T) {
		es := httptest.NewServer(StatusPage(NewHistory(0, 0), func() *Report { return nil }))
		defer es.Close()
		dom := string(browsertest.Run(t, bin, es.URL+"/", "--dump-dom"))
		if !strings.Contains(dom, "No cycle has finished yet") {
			t.Errorf("empty state missing from Chromium's DOM:\n%s", dom)
		}
	})
}
