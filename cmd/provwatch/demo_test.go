//go:build unix

package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/provwatch/provwatch/internal/browsertest"
)

var pageRe = regexp.MustCompile(`status page: (http://\S+/)`)

// The demo is the README's first command: it must show a failover and a
// restore on its own, all the way into a gateway's config through an
// in-process follower. Sped up five times, the whole story takes about
// 12 s; while the primary is down, a real Chromium loads the status page.
func TestDemoShowsFailoverAndRestoreAndStatusPage(t *testing.T) {
	t.Parallel()
	p := start(t, nil, "demo", "--speed", "5", "--listen", "127.0.0.1:0")
	var url string
	waitFor(t, 30*time.Second, "the status page address", func() bool {
		if m := pageRe.FindStringSubmatch(p.stdout.String()); m != nil {
			url = m[1]
			return true
		}
		return false
	})
	waitFor(t, 30*time.Second, "the primary's failover, applied to the gateway's config", func() bool {
		return regexp.MustCompile(`gateway config: primary now (groq|anthropic)/`).MatchString(p.stdout.String())
	})

	if bin := chromiumOrSkip(t); bin != "" {
		dom := string(browsertest.Run(t, bin, url, "--dump-dom"))
		for _, want := range []string{"ollama/qwen3-coder", "down", "unreachable", "anthropic/"} {
			if !strings.Contains(dom, want) {
				t.Errorf("status page during the failover does not show %q", want)
			}
		}
		shot := filepath.Join(artifactsDir(t), "demo-statuspage.png")
		browsertest.Run(t, bin, url, "--screenshot="+shot, "--window-size=1280,1100", "--hide-scrollbars")
		if fi, err := os.Stat(shot); err != nil || fi.Size() == 0 {
			t.Errorf("no screenshot at %s: %v", shot, err)
		}
	}

	if code := p.wait(t, 60*time.Second); code != 0 {
		t.Fatalf("demo exit %d; stderr:\n%s", code, p.stderr.String())
	}
	out := p.stdout.String()
	for _, want := range []string{
		"kept in line by provwatch follow every 400ms",
		"scenario: ollama stops answering: connection refused on 127.0.0.1:",
		"ollama/qwen3-coder: healthy -> down (unreachable",
		"scenario: ollama is back",
		"ollama/qwen3-coder: down -> healthy",
		`final order: {"primary":"ollama/qwen3-coder"`,
		"notification: Failover: primary ollama/qwen3-coder -> ",
		"notification: Restored: primary ollama/qwen3-coder again",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(p.stderr.String(), "follow:") {
		t.Errorf("the demo's follower complained:\n%s", p.stderr.String())
	}
	// The follower applies what the daemon wrote, after it wrote it: the
	// first gateway line follows the failover's rewrite, and the last
	// follows the restore's.
	gw := regexp.MustCompile(`(?m)^\[\d\d:\d\d\] gateway config: primary now (\S+)$`).FindAllStringSubmatchIndex(out, -1)
	if len(gw) < 2 {
		t.Fatalf("want a gateway config line for the failover and one for the restore:\n%s", out)
	}
	failover := strings.Index(out, "order rewritten: primary groq/")
	if first := out[gw[0][2]:gw[0][3]]; failover < 0 || gw[0][0] < failover || first == "ollama/qwen3-coder" {
		t.Errorf("first gateway line (primary %s) does not follow the failover's rewrite:\n%s", first, out)
	}
	restore := strings.LastIndex(out, "order rewritten: primary ollama/qwen3-coder")
	last := gw[len(gw)-1]
	if got := out[last[2]:last[3]]; got != "ollama/qwen3-coder" || last[0] < restore {
		t.Errorf("last gateway line (primary %s) is not the restore, after its rewrite:\n%s", got, out)
	}
}

// chromiumOrSkip finds Chromium, or skips only the browser part outside CI.
func chromiumOrSkip(t *testing.T) string {
	t.Helper()
	var bin string
	t.Run("chromium", func(t *testing.T) { bin = browsertest.Chromium(t) })
	return bin
}

// artifactsDir is testdata/artifacts at the repository root (git-ignored).
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "..", "testdata", "artifacts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
