//go:build unix

package reporter

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The status page is for people, so one test looks at it the way they do:
// a real headless Chromium loads it from a loopback server, and the test
// checks the DOM the browser built and saves a screenshot for review.

// pageChromium returns the Chromium binary, skipping the test when there is
// none (failing instead under CI, where a missing browser is a broken image).
func pageChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "chromium not found (looked for /usr/bin/chromium and chromium on PATH); install Debian's chromium package to run the browser test"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// pageRunChromium runs one headless Chromium with args plus url and returns
// its stdout. The timeout is generous: the machine may be busy, and the
// timeout only bounds a hung browser, it asserts nothing.
func pageRunChromium(t *testing.T, bin, url string, args ...string) []byte {
	t.Helper()
	profile, err := os.MkdirTemp("", "provwatch-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	// Chromium's helpers may still write to the profile as it exits, so a
	// failed cleanup is not a test failure.
	t.Cleanup(func() { _ = os.RemoveAll(profile) })

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	full := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + profile,
	}, args...)
	cmd := exec.CommandContext(ctx, bin, append(full, url)...)
	// Own process group, so a timeout ends the zygote and renderers too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\nstderr:\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes()
}

func TestStatusPageInChromium(t *testing.T) {
	bin := pageChromium(t)
	h, r := pageFixture()
	srv := httptest.NewServer(&statusPageHandler{history: h, last: func() *Report { return r }, now: func() time.Time { return pageClock }})
	defer srv.Close()

	t.Run("dom", func(t *testing.T) {
		dom := string(pageRunChromium(t, bin, srv.URL+"/", "--dump-dom"))
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
		pageRunChromium(t, bin, srv.URL+"/", "--screenshot="+shot, "--window-size=1280,1000", "--hide-scrollbars")
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
		dom := string(pageRunChromium(t, bin, hs.URL+"/", "--dump-dom"))
		if strings.Contains(dom, "pwned</title>") || strings.Contains(dom, "<script") || strings.Contains(dom, "<img") {
			t.Errorf("a provider's detail became markup in the browser:\n%s", dom)
		}
		if !strings.Contains(dom, "&lt;script&gt;document.title=\"pwned\"&lt;/script&gt;") {
			t.Errorf("the hostile detail is not shown as text")
		}
	})

	t.Run("before the first cycle", func(t *testing.T) {
		es := httptest.NewServer(StatusPage(NewHistory(0, 0), func() *Report { return nil }))
		defer es.Close()
		dom := string(pageRunChromium(t, bin, es.URL+"/", "--dump-dom"))
		if !strings.Contains(dom, "No cycle has finished yet") {
			t.Errorf("empty state missing from Chromium's DOM:\n%s", dom)
		}
	})
}
