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
// restore on its own. Sped up five times, the whole story takes about 12 s;
// while the primary is down, a real Chromium loads the status page.
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
	waitFor(t, 30*time.Second, "the primary's failover", func() bool {
		return regexp.MustCompile(`order rewritten: primary (groq|anthropic)/`).MatchString(p.stdout.String())
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
		"scenario: ollama stops answering",
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
