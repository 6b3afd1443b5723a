// Package awstest runs the real AWS emulator, moto_server, for tests of the
// code that talks to SSM and CloudWatch through the real aws-sdk-go-v2
// clients. It is used only from _test.go files.
package awstest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
)

// Moto is one moto_server process, started on first use. A package whose
// tests share one calls Stop from TestMain.
type Moto struct {
	once  sync.Once
	url   string
	err   error
	cmd   *exec.Cmd
	done  chan struct{}
	outMu sync.Mutex
	out   bytes.Buffer
}

// Start runs a moto_server for this test alone and returns its URL; it is
// stopped when the test ends.
func Start(t testing.TB) string {
	t.Helper()
	m := &Moto{}
	t.Cleanup(m.Stop)
	return m.URL(t)
}

// URL starts moto_server on a free loopback port (once) and returns its URL.
// Without moto_server the test is skipped, or fails under CI=true, where a
// missing emulator is a broken machine rather than a reason to skip.
func (m *Moto) URL(t testing.TB) string {
	t.Helper()
	m.once.Do(m.start)
	if m.err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("moto: %v", m.err)
		}
		t.Skipf("skipping: %v", m.err)
	}
	return m.url
}

func (m *Moto) start() {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		m.err = fmt.Errorf("moto_server is not on PATH; install moto with its server extra to run the AWS emulator tests")
		return
	}
	// Port 0: moto_server binds a free port itself and says which. A port
	// picked here and passed to it could be taken meanwhile by another
	// test process, whose server would then answer these tests.
	m.cmd = exec.Command(bin, "-H", "127.0.0.1", "-p", "0")
	pr, pw := io.Pipe()
	m.cmd.Stdout, m.cmd.Stderr = pw, pw
	// Its own process group, so Stop also ends what its launcher started.
	m.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := m.cmd.Start(); err != nil {
		m.err = fmt.Errorf("starting moto_server: %w", err)
		return
	}
	m.done = make(chan struct{})
	go func() { _ = m.cmd.Wait(); pw.Close(); close(m.done) }()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			m.outMu.Lock()
			m.out.WriteString(line + "\n")
			m.outMu.Unlock()
			if i := strings.Index(line, "Running on http://127.0.0.1:"); i >= 0 {
				select {
				case found <- strings.TrimSpace(line[i+len("Running on "):]):
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()

	select {
	case url := <-found:
		if err := waitAnswer(url, m.done); err != nil {
			m.err = fmt.Errorf("%w:\n%s", err, m.output())
			return
		}
		m.url = url
	case <-m.done:
		m.err = fmt.Errorf("moto_server exited before answering:\n%s", m.output())
	case <-time.After(60 * time.Second):
		m.err = fmt.Errorf("moto_server did not say where it listens within 60s:\n%s", m.output())
	}
}

// waitAnswer polls url's /moto-api/ until it answers, the process ends
// (done), or 60 s pass.
func waitAnswer(url string, done <-chan struct{}) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/moto-api/", nil)
		resp, err := http.DefaultClient.Do(req)
		cancel()
		if err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-done:
			return errors.New("moto_server exited before answering")
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("moto_server did not answer on %s within 60s", url)
}

func (m *Moto) output() string {
	m.outMu.Lock()
	defer m.outMu.Unlock()
	return m.out.String()
}

// Stop kills moto_server if it was started.
func (m *Moto) Stop() {
	if m.cmd == nil || m.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-m.cmd.Process.Pid, syscall.SIGKILL)
	<-m.done
}

// Config is what LoadDefaultConfig gives with a region, static credentials,
// no instance metadata, no shared files and request compression off (moto
// gunzips twice).
func Config(t testing.TB) aws.Config {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret", "")),
		config.WithEC2IMDSClientEnableState(imds.ClientDisabled),
		config.WithSharedConfigFiles([]string{}),
		config.WithSharedCredentialsFiles([]string{}),
		config.WithDisableRequestCompression(aws.Bool(true)),
	)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// Env is the environment a provwatch process needs to talk to moto at url.
func Env(url string) []string {
	return []string{
		"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=AKIDTEST", "AWS_SECRET_ACCESS_KEY=test-secret",
		"AWS_ENDPOINT_URL=" + url, "AWS_EC2_METADATA_DISABLED=true",
	}
}

// ConfigAt is Config pointed at url, with retries that do not back off, so
// tests of retries do not sleep.
func ConfigAt(t testing.TB, url string) aws.Config {
	t.Helper()
	cfg := Config(t)
	cfg.BaseEndpoint = aws.String(url)
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		})
	}
	return cfg
}

// Silent is an endpoint that accepts connections and never answers a
// byte, as a broken proxy or a VPC endpoint in trouble does. It returns
// its URL and a count of the connections it took; it closes them when the
// test ends.
func Silent(t testing.TB) (url string, conns func() int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var held []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c) // held open, never written to
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	})
	return "http://" + ln.Addr().String(), func() int { mu.Lock(); defer mu.Unlock(); return len(held) }
}

var names atomic.Int64

// ParamName is an SSM parameter name for this test alone on a shared
// moto_server: the test's name and a number unique in this process, so
// that a rerun (go test -count=N) starts, like the first run, from a
// parameter that does not exist.
func ParamName(t testing.TB) string {
	n := names.Add(1)
	return fmt.Sprintf("/provwatch-test/%s-%d", strings.NewReplacer("/", "-", " ", "-").Replace(t.Name()), n)
}
