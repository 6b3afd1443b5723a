package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestFollowCommand runs `provwatch follow` as the container's start
// script does: flags or PROVWATCH_FOLLOW_* variables, --once exit
// statuses, and a follower that exits 0 on SIGTERM.
func TestFollowCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	into := writeFile(t, dir, "openclaw.json", `{agents: {defaults: {model: "ollama/qwen3-coder"}}}`)
	order := writeFile(t, dir, "order.json", `{"primary":"openai/gpt-4o","fallbacks":["ollama/qwen3-coder"]}`)
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		code int
		want string
	}{
		{"applies", nil, []string{"follow", "--once", "--from", "file:" + order, "--into", "openclaw:" + into}, 0, "applied openai/gpt-4o -> ollama/qwen3-coder"},
		{"nothing to do, from the variables", []string{"PROVWATCH_FOLLOW_FROM=file:" + order, "PROVWATCH_FOLLOW_INTO=openclaw:" + into}, []string{"follow", "--once"}, 0, "already holds"},
		{"source unreadable", nil, []string{"follow", "--once", "--from", "file:" + filepath.Join(dir, "none.json"), "--into", "openclaw:" + into}, 1, "does not exist"},
		{"gateway config missing", nil, []string{"follow", "--once", "--from", "file:" + order, "--into", "openclaw:" + filepath.Join(dir, "none.json")}, 78, "the gateway's config cannot be read"},
		{"no source", nil, []string{"follow", "--once", "--into", "openclaw:" + into}, 64, "--from"},
		{"into is not an openclaw: location", nil, []string{"follow", "--once", "--from", "file:" + order, "--into", into}, 64, "openclaw:/path"},
		{"bad period variable", []string{"PROVWATCH_FOLLOW_EVERY=soon"}, []string{"follow", "--from", "file:" + order, "--into", "openclaw:" + into}, 78, "PROVWATCH_FOLLOW_EVERY"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, tc.env, tc.args...)
			if code != tc.code || !strings.Contains(out+errOut, tc.want) {
				t.Fatalf("exit %d, want %d with %q\nstdout: %s\nstderr: %s", code, tc.code, tc.want, out, errOut)
			}
		})
	}
	if b, _ := os.ReadFile(into); !strings.Contains(string(b), `{primary: "openai/gpt-4o", fallbacks: ["ollama/qwen3-coder"]}`) {
		t.Fatalf("gateway file: %s", b)
	}

	p := start(t, nil, "follow", "--from", "file:"+order, "--into", "openclaw:"+into, "--every", "50ms")
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(p.stderr.String(), "provwatch follow running") {
		if time.Now().After(deadline) {
			t.Fatalf("follow did not start: %s", p.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t, 10*time.Second); code != 0 {
		t.Fatalf("follow exited %d on SIGTERM, want 0; stderr: %s", code, p.stderr.String())
	}
}
