package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/provwatch/provwatch/internal/sim"
)

// The tests run the real binary: the test executable re-enters main when
// PROVWATCH_TEST_MAIN is set, so exit codes, stdout/stderr and signals are
// exercised exactly as a user or ECS sees them.
func TestMain(m *testing.M) {
	if os.Getenv("PROVWATCH_TEST_MAIN") == "1" {
		os.Exit(runMain(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// proc is one provwatch process started by a test.
type proc struct {
	cmd    *exec.Cmd
	stdout *syncBuffer
	stderr *syncBuffer
	done   chan struct{}
	code   int
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
	// writes are the writes with the time each arrived: a logger writes
	// one line per write, so tests can time what a process logged.
	writes []stampedWrite
}

type stampedWrite struct {
	at   time.Time
	text string
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes = append(s.writes, stampedWrite{time.Now(), string(p)})
	return s.b.Write(p)
}

// lines returns the writes holding substr, in order, with their times.
func (s *syncBuffer) lines(substr string) []stampedWrite {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []stampedWrite
	for _, w := range s.writes {
		if strings.Contains(w.text, substr) {
			out = append(out, w)
		}
	}
	return out
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// cleanEnv drops the variables that would make a test read the developer's
// own configuration or AWS account.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "PROVWATCH_") || strings.HasPrefix(k, "AWS_") || k == "OPENCLAW_CONFIG_PATH" ||
			strings.HasSuffix(k, "_API_KEY") || k == "ANTHROPIC_OAUTH_TOKEN" || k == "HOME" {
			continue
		}
		env = append(env, kv)
	}
	return append(append(env, "PROVWATCH_TEST_MAIN=1", "AWS_EC2_METADATA_DISABLED=true"), extra...)
}

func start(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(os.Args[0], args...), stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	p.cmd.Env = append(cleanEnv("HOME="+t.TempDir()), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := p.cmd.Wait()
		p.code = p.cmd.ProcessState.ExitCode()
		if err != nil && p.code == -1 {
			p.code = -1
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// run runs provwatch to completion and returns its exit code, stdout and stderr.
func run(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	p := start(t, env, args...)
	select {
	case <-p.done:
	case <-time.After(2 * time.Minute):
		t.Fatalf("provwatch %v did not finish; stderr:\n%s", args, p.stderr.String())
	}
	return p.code, p.stdout.String(), p.stderr.String()
}

func (p *proc) wait(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(limit):
		t.Fatalf("process did not exit within %s; stderr:\n%s", limit, p.stderr.String())
		return -1
	}
}

func (p *proc) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond until it is true or the limit passes.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s", limit, what)
}

// fleetConfig starts the demo's three simulated providers and writes their
// OpenClaw config; it returns the fleet and the config path.
func fleetConfig(t *testing.T) (*sim.Fleet, string) {
	t.Helper()
	f, err := sim.StartFleet(sim.Spec{Kind: sim.Ollama}, sim.Spec{Kind: sim.Groq}, sim.Spec{Kind: sim.Anthropic})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	path := filepath.Join(t.TempDir(), "openclaw.json")
	if err := f.WriteOpenClawConfig(path); err != nil {
		t.Fatal(err)
	}
	return f, path
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func decodeReport(t *testing.T, s string) map[string]any {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(s), "\n")
	var rep map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rep); err != nil {
		t.Fatalf("last stdout line is not a JSON report: %v\n%s", err, s)
	}
	return rep
}

func getJSON(url string, v any) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			return resp.StatusCode, fmt.Errorf("%s: %w: %s", url, err, b)
		}
	}
	return resp.StatusCode, nil
}

var listenRe = regexp.MustCompile(`"listen":"([^"]+)"`)
