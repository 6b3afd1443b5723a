// Package awstest runs the real AWS emulator, moto_server, for tests of the
// code that talks to SSM and CloudWatch through the real aws-sdk-go-v2
// clients. It is used only from _test.go files.
package awstest

import (
	"bytes"
	"context"
	"fmt"
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
	once sync.Once
	url  string
	err  error
	cmd  *exec.Cmd
	done chan struct{}
	out  bytes.Buffer
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
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		m.err = err
		return
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	m.cmd = exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	m.cmd.Stdout, m.cmd.Stderr = &m.out, &m.out
	// Its own process group, so Stop also ends what its launcher started.
	m.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := m.cmd.Start(); err != nil {
		m.err = fmt.Errorf("starting moto_server: %w", err)
		return
	}
	m.done = make(chan struct{})
	go func() { _ = m.cmd.Wait(); close(m.done) }()

	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/moto-api/", nil)
		resp, err := http.DefaultClient.Do(req)
		cancel()
		if err == nil {
			resp.Body.Close()
			m.url = url
			return
		}
		select {
		case <-m.done:
			m.err = fmt.Errorf("moto_server exited before answering:\n%s", m.out.String())
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
	m.err = fmt.Errorf("moto_server did not answer on %s within 60s", url)
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
