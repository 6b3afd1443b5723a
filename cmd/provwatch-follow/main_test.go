package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/provwatch/provwatch/internal/awstest"
)

// TestFollowsAnSSMOrderIntoTheGatewayFile runs the built binary as the
// gateway's start script does: --once against moto (the order the
// parameter holds, applied with its hand-signed GetParameter), then
// following, which applies a new order and exits 0 on SIGTERM.
func TestFollowsAnSSMOrderIntoTheGatewayFile(t *testing.T) {
	t.Parallel()
	url := awstest.Start(t)
	bin := filepath.Join(t.TempDir(), "provwatch-follow")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dir := t.TempDir()
	into := filepath.Join(dir, "openclaw.json")
	if err := os.WriteFile(into, []byte(`{agents: {defaults: {model: {primary: "ollama/qwen3", fallbacks: ["openai/gpt-4.1"]}}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	client := ssm.NewFromConfig(awstest.Config(t), func(o *ssm.Options) { o.BaseEndpoint = aws.String(url) })
	put := func(v string) {
		t.Helper()
		_, err := client.PutParameter(context.Background(), &ssm.PutParameterInput{Name: aws.String("/openclaw/model-order"),
			Value: aws.String(v), Type: ssmtypes.ParameterTypeSecureString, Overwrite: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
	}
	put(`{"primary":"openai/gpt-4.1","fallbacks":["ollama/qwen3"]}`)
	env := append(os.Environ(), awstest.Env(url)...)
	args := []string{"--from", "ssm:/openclaw/model-order", "--into", "openclaw:" + into}

	once := exec.Command(bin, append(args, "--once")...)
	once.Env = env
	if out, err := once.CombinedOutput(); err != nil {
		t.Fatalf("--once: %v\n%s", err, out)
	}
	if b, _ := os.ReadFile(into); !strings.Contains(string(b), `primary: "openai/gpt-4.1", fallbacks: ["ollama/qwen3"]`) {
		t.Fatalf("after --once the gateway file holds %s", b)
	}

	logPath := filepath.Join(dir, "follow.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	stderr := fileText(logPath)
	run := exec.Command(bin, append(args, "--every", "100ms")...)
	run.Env, run.Stderr = env, logFile
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- run.Wait() }()
	t.Cleanup(func() { _ = run.Process.Kill() })
	put(`{"primary":"ollama/qwen3","fallbacks":["openai/gpt-4.1"]}`)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if b, _ := os.ReadFile(into); strings.Contains(string(b), `primary: "ollama/qwen3", fallbacks: ["openai/gpt-4.1"]`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the new order never reached the gateway file; stderr:\n%s", stderr.String())
		}
	}
	_ = run.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit on SIGTERM: %v; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("still running 30 s after SIGTERM")
	}
	for _, secret := range []string{"test-secret"} {
		if strings.Contains(stderr.String(), secret) {
			t.Fatal("a credential reached the log")
		}
	}

	// version names the commit the binary was built from, as provwatch's
	// own does: the VCS stamp Go put in the binary, when there is one.
	rev := "unknown"
	meta, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(meta)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "build\tvcs.revision="); ok {
			rev = v
		}
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "provwatch-follow ") || !strings.Contains(string(out), " (commit "+rev+", ") {
		t.Fatalf("version: %q, %v; want the commit %s", out, err, rev)
	}
}

// fileText reads a log file when asked, for failure messages.
type fileText string

func (f fileText) String() string { b, _ := os.ReadFile(string(f)); return string(b) }
