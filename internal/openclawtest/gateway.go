package openclawtest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// GatewayBlock is the JSON5 `gateway` member StartGateway needs in a config:
// a local gateway whose OpenAI-compatible chat endpoint is on. Port, bind
// address and token come from StartGateway's flags.
const GatewayBlock = `gateway: { mode: "local", http: { endpoints: { chatCompletions: { enabled: true } } } },`

// AddGateway inserts GatewayBlock as the first member of the config's root
// object, leaving every other byte as it was. The config must not have a
// `gateway` member already.
func AddGateway(src []byte) ([]byte, error) {
	i := 0
	if bytes.HasPrefix(src, []byte("\xef\xbb\xbf")) {
		i = 3
	}
	for i < len(src) {
		switch {
		case src[i] == ' ' || src[i] == '\t' || src[i] == '\r' || src[i] == '\n':
			i++
		case bytes.HasPrefix(src[i:], []byte("//")):
			nl := bytes.IndexByte(src[i:], '\n')
			if nl < 0 {
				return nil, errors.New("config has no root object")
			}
			i += nl + 1
		case bytes.HasPrefix(src[i:], []byte("/*")):
			end := bytes.Index(src[i+2:], []byte("*/"))
			if end < 0 {
				return nil, errors.New("config has an unterminated comment before its root object")
			}
			i += end + 4
		case src[i] == '{':
			out := append([]byte(nil), src[:i+1]...)
			out = append(out, "\n  "+GatewayBlock+"\n"...)
			return append(out, src[i+1:]...), nil
		default:
			return nil, fmt.Errorf("config root is not an object (found %q at byte %d)", src[i], i)
		}
	}
	return nil, errors.New("config has no root object")
}

// LogLine is one line the gateway printed, with the time it was read.
type LogLine struct {
	At   time.Time
	Text string
}

// Gateway is a running `openclaw gateway run`.
type Gateway struct {
	// URL is the gateway's base URL on loopback; Token its bearer token.
	URL, Token string
	// Home is the gateway's isolated HOME (state under Home/state).
	Home string

	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited

	mu        sync.Mutex
	lines     []LogLine
	changed   chan struct{} // closed and replaced on every new line
	upstreams []upstream
}

type upstream struct {
	name  string
	chats func() int64
}

// ReadyTimeout bounds how long StartGateway waits for `[gateway] ready`.
var ReadyTimeout = 3 * time.Minute

// StartGateway runs `openclaw gateway run` for configPath (which must hold
// GatewayBlock, see AddGateway) on a free loopback port with token auth,
// waits until it logs that it is ready, and stops it when the test ends.
func (c *CLI) StartGateway(t testing.TB, configPath string) *Gateway {
	t.Helper()
	home := c.home
	if home == "" {
		home = t.TempDir()
	}
	abs, err := filepath.Abs(configPath)
	if err != nil {
		t.Fatal(err)
	}
	port, err := freePort()
	if err != nil {
		t.Fatalf("openclawtest: no free loopback port: %v", err)
	}
	tok := make([]byte, 16)
	_, _ = rand.Read(tok)
	g := &Gateway{URL: "http://127.0.0.1:" + strconv.Itoa(port), Token: hex.EncodeToString(tok), Home: home,
		done: make(chan struct{}), changed: make(chan struct{})}
	g.cmd = exec.Command(c.bin(), "gateway", "run", "--port", strconv.Itoa(port), "--bind", "loopback",
		"--auth", "token", "--token", g.Token)
	g.cmd.Env = c.environ(home, abs)
	g.cmd.Dir = home
	g.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // Stop ends its helpers too
	pr, pw := io.Pipe()
	g.cmd.Stdout, g.cmd.Stderr = pw, pw
	if err := g.cmd.Start(); err != nil {
		t.Fatalf("openclawtest: start gateway: %v", err)
	}
	go func() {
		_ = g.cmd.Wait()
		pw.Close()
		close(g.done)
	}()
	go g.read(pr)
	t.Cleanup(g.Stop)

	ctx, cancel := context.WithTimeout(context.Background(), ReadyTimeout)
	defer cancel()
	if _, err := g.WaitLog(ctx, time.Time{}, regexp.MustCompile(`\[gateway\] ready`)); err != nil {
		t.Fatalf("openclawtest: gateway for %s not ready: %v\n%s", configPath, err, g.tail(40))
	}
	return g
}

func (g *Gateway) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		g.mu.Lock()
		g.lines = append(g.lines, LogLine{At: time.Now(), Text: sc.Text()})
		close(g.changed)
		g.changed = make(chan struct{})
		g.mu.Unlock()
	}
}

// Lines returns every line logged so far.
func (g *Gateway) Lines() []LogLine {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]LogLine(nil), g.lines...)
}

// WaitLog waits for the first line read at or after since that matches re.
func (g *Gateway) WaitLog(ctx context.Context, since time.Time, re *regexp.Regexp) (LogLine, error) {
	seen := 0
	for {
		g.mu.Lock()
		lines, changed := g.lines, g.changed
		g.mu.Unlock()
		for ; seen < len(lines); seen++ {
			if !lines[seen].At.Before(since) && re.MatchString(lines[seen].Text) {
				return lines[seen], nil
			}
		}
		select {
		case <-changed:
		case <-g.done:
			return LogLine{}, fmt.Errorf("gateway exited before logging %q", re)
		case <-ctx.Done():
			return LogLine{}, fmt.Errorf("no %q in the gateway log: %w", re, ctx.Err())
		}
	}
}

func (g *Gateway) tail(n int) string {
	lines := g.Lines()
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l.Text)
		b.WriteByte('\n')
	}
	return b.String()
}

// Upstream names a provider the config points at, so Chat can say which one
// served a turn: chats returns how many chat answers it has given
// (sim.Server.Chats).
func (g *Gateway) Upstream(name string, chats func() int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.upstreams = append(g.upstreams, upstream{name, chats})
}

// ChatResult is one turn through the gateway.
type ChatResult struct {
	Status int
	Answer string
	// Served names the upstreams (see Upstream) that answered a chat
	// request during the turn, in registration order.
	Served   []string
	Duration time.Duration
	Body     string
}

// Chat sends one user message to POST /v1/chat/completions as model
// "openclaw" and returns the answer. A non-200 answer is a ChatResult with
// its Status and Body, not an error.
func (g *Gateway) Chat(ctx context.Context, text string) (ChatResult, error) {
	g.mu.Lock()
	ups := append([]upstream(nil), g.upstreams...)
	g.mu.Unlock()
	before := make([]int64, len(ups))
	for i, u := range ups {
		before[i] = u.chats()
	}
	body, _ := json.Marshal(map[string]any{"model": "openclaw",
		"messages": []map[string]string{{"role": "user", "content": text}}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.URL+"/v1/chat/completions", bytes.NewReader(body))
	if err != nil {
		return ChatResult{}, err
	}
	req.Header.Set("Authorization", "Bearer "+g.Token)
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return ChatResult{}, fmt.Errorf("chat turn through the gateway: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	res := ChatResult{Status: resp.StatusCode, Duration: time.Since(start), Body: string(b)}
	if err != nil {
		return res, fmt.Errorf("chat turn: read answer: %w", err)
	}
	for i, u := range ups {
		if u.chats() > before[i] {
			res.Served = append(res.Served, u.name)
		}
	}
	var out struct {
		Choices []struct {
			Message struct{ Content string } `json:"message"`
		} `json:"choices"`
	}
	if resp.StatusCode == 200 && json.Unmarshal(b, &out) == nil && len(out.Choices) > 0 {
		res.Answer = out.Choices[0].Message.Content
	}
	return res, nil
}

// Stop ends the gateway and its helper processes: SIGTERM to the process
// group, SIGKILL after 20 s.
func (g *Gateway) Stop() {
	if g.cmd == nil || g.cmd.Process == nil {
		return
	}
	select {
	case <-g.done:
		return
	default:
	}
	_ = syscall.Kill(-g.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-g.done:
	case <-time.After(20 * time.Second):
		_ = syscall.Kill(-g.cmd.Process.Pid, syscall.SIGKILL)
		<-g.done
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// WriteFileAtomic replaces path with data the way careful writers do: a
// temporary file in the same directory, then rename. A test uses it to
// change a config the gateway watches.
func WriteFileAtomic(path string, data []byte, mode os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".openclawtest-*")
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	return os.Rename(f.Name(), path)
}
