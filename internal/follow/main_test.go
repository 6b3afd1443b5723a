package follow

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/provwatch/provwatch/internal/awstest"
	"github.com/provwatch/provwatch/internal/ssmparam"
	"github.com/provwatch/provwatch/internal/syncbuf"
)

// TestMainStatuses runs the command as a main calls it, in process: flags or
// PROVWATCH_FOLLOW_* variables through the injected getenv, the --once
// statuses, and the usage and configuration errors.
func TestMainStatuses(t *testing.T) {
	t.Parallel()
	dir, into, order := setup(t)
	if err := os.WriteFile(order, []byte(published), 0o644); err != nil {
		t.Fatal(err)
	}
	// A gateway file that cannot be read: the order is fine, the gateway's
	// config is not (78, not 1). A malformed chain in a file that reads is
	// repaired, as the openclaw: target repairs one.
	truncated, malformed := filepath.Join(dir, "truncated.json"), filepath.Join(dir, "malformed.json")
	broken := map[string]string{truncated: `{agents: {defaults: {model: `}
	for path, text := range map[string]string{truncated: broken[truncated], malformed: `{agents: {defaults: {model: 42}}}`} {
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name   string
		env    map[string]string
		args   []string
		status int
		want   string // in stdout or stderr
	}{
		{"applies", nil, []string{"--once", "--from", "file:" + order, "--into", "openclaw:" + into}, 0, "applied openrouter/google/gemini-flash-1.5 -> ollama/qwen3-coder to " + into},
		{"nothing to do, from the variables", map[string]string{"PROVWATCH_FOLLOW_FROM": "file:" + order, "PROVWATCH_FOLLOW_INTO": "openclaw:" + into}, []string{"--once"}, 0, into + " already holds openrouter/google/gemini-flash-1.5 -> ollama/qwen3-coder"},
		{"a flag wins over its bad variable", map[string]string{"PROVWATCH_FOLLOW_EVERY": "soon"}, []string{"--once", "--every", "1s", "--from", "file:" + order, "--into", "openclaw:" + into}, 0, "already holds"},
		{"a flag wins over its variable", map[string]string{"PROVWATCH_FOLLOW_FROM": "file:" + filepath.Join(dir, "none.json")}, []string{"--once", "--from", "file:" + order, "--into", "openclaw:" + into}, 0, "already holds"},
		{"source unreadable", nil, []string{"--once", "--from", "file:" + filepath.Join(dir, "none.json"), "--into", "openclaw:" + into}, 1, "provwatch: the source cannot be read: file:" + filepath.Join(dir, "none.json") + ": the file does not exist"},
		{"gateway config missing", nil, []string{"--once", "--from", "file:" + order, "--into", "openclaw:" + filepath.Join(dir, "none.json")}, 78, "the gateway's config cannot be read"},
		{"gateway config not JSON5", nil, []string{"--once", "--from", "file:" + order, "--into", "openclaw:" + truncated}, 78, "provwatch: the gateway's config cannot be read or written: " + truncated + ":1:29: invalid JSON5"},
		{"gateway chain malformed: repaired", nil, []string{"--once", "--from", "file:" + order, "--into", "openclaw:" + malformed}, 0, "applied openrouter/google/gemini-flash-1.5 -> ollama/qwen3-coder to " + malformed},
		{"no source", nil, []string{"--once", "--into", "openclaw:" + into}, 64, "provwatch: follow: --from: "},
		{"into is not an openclaw: location", nil, []string{"--once", "--from", "file:" + order, "--into", into}, 64, "openclaw:/path"},
		{"a period that is not positive", nil, []string{"--every", "0s", "--from", "file:" + order, "--into", "openclaw:" + into}, 64, "--every 0s: must be a positive duration"},
		{"bad period variable", map[string]string{"PROVWATCH_FOLLOW_EVERY": "soon"}, []string{"--from", "file:" + order, "--into", "openclaw:" + into}, 78, `PROVWATCH_FOLLOW_EVERY: "soon" is not a positive duration`},
		{"bad log variable", map[string]string{"PROVWATCH_LOG_LEVEL": "loud"}, []string{"--once", "--from", "file:" + order, "--into", "openclaw:" + into}, 78, "PROVWATCH_LOG_LEVEL"},
		{"an argument", nil, []string{"--once", "now"}, 64, `unexpected argument "now"`},
		{"help", nil, []string{"--help"}, 0, "-every duration"},
		{"an ssm: source in a build without SSM", nil, []string{"--once", "--from", "ssm:/openclaw/model-order", "--into", "openclaw:" + into}, 78, "ssm:/openclaw/model-order: cannot reach SSM: this build has no SSM client"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			status := Main(context.Background(), tc.args, Env{Stdout: &stdout, Stderr: &stderr, Getenv: func(k string) string { return tc.env[k] }})
			if status != tc.status || !strings.Contains(stdout.String()+stderr.String(), tc.want) {
				t.Fatalf("status %d, want %d with %q\nstdout: %s\nstderr: %s", status, tc.status, tc.want, stdout.String(), stderr.String())
			}
		})
	}
	for path, text := range broken {
		if got := read(t, path); got != text {
			t.Errorf("%s was changed:\n%s", path, got)
		}
	}
	if got, want := read(t, malformed), `{agents: {defaults: {model: {primary: "openrouter/google/gemini-flash-1.5", fallbacks: ["ollama/qwen3-coder"]}}}}`; got != want {
		t.Errorf("the malformed chain was not repaired: %s", got)
	}
}

// TestMainSSMSource: an ssm: source is read through the getter the binary
// injects (here the SDK's, at moto), built only for an ssm: source; a
// getter that cannot be built is a configuration error.
func TestMainSSMSource(t *testing.T) {
	t.Parallel()
	_, into, _ := setup(t)
	client := params(t, awstest.Start(t))
	if _, err := client.Put(context.Background(), ssmparam.Put{Name: "/openclaw/model-order", Value: published}); err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) string {
		return map[string]string{"PROVWATCH_FOLLOW_FROM": "ssm:/openclaw/model-order", "PROVWATCH_FOLLOW_INTO": "openclaw:" + into}[k]
	}
	built := 0
	var stdout, stderr bytes.Buffer
	env := Env{Stdout: &stdout, Stderr: &stderr, Getenv: getenv, NewGetter: func(context.Context) (ssmparam.Getter, error) {
		built++
		return client, nil
	}}
	if status := Main(context.Background(), []string{"--once"}, env); status != 0 || !strings.Contains(stdout.String(), "applied openrouter/google/gemini-flash-1.5") {
		t.Fatalf("status %d\nstdout: %s\nstderr: %s", status, stdout.String(), stderr.String())
	}
	if !strings.Contains(read(t, into), `primary: "openrouter/google/gemini-flash-1.5"`) || built != 1 {
		t.Fatalf("getter built %d times; gateway file:\n%s", built, read(t, into))
	}

	stderr.Reset()
	env.NewGetter = func(context.Context) (ssmparam.Getter, error) {
		return nil, errors.New("no AWS region is configured (set AWS_REGION)")
	}
	if status := Main(context.Background(), []string{"--once"}, env); status != 78 ||
		stderr.String() != "provwatch: ssm:/openclaw/model-order: cannot reach SSM: no AWS region is configured (set AWS_REGION) (set AWS_REGION and credentials)\n" {
		t.Fatalf("status %d, stderr %q", status, stderr.String())
	}
}

// TestMainRunsUntilCancelled: without --once the follower keeps going,
// logging that it runs, and ends with 0 when its context ends (as it does
// on SIGTERM).
func TestMainRunsUntilCancelled(t *testing.T) {
	t.Parallel()
	_, into, order := setup(t)
	if err := os.WriteFile(order, []byte(published), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncbuf.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"--from", "file:" + order, "--into", "openclaw:" + into, "--log-format", "json"},
			Env{Stdout: &bytes.Buffer{}, Stderr: &stderr, Getenv: func(string) string { return "" }})
	}()
	waitFor(t, func() bool { return strings.Contains(stderr.String(), "follow: applied the order") })
	if !strings.Contains(stderr.String(), `"message":"provwatch follow running"`) {
		t.Fatalf("no start line: %s", stderr.String())
	}
	cancel()
	if status := <-done; status != 0 {
		t.Fatalf("status %d after the context ended, want 0; stderr: %s", status, stderr.String())
	}
}
