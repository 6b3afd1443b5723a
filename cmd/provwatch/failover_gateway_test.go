package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/provwatch/provwatch/internal/awstest"
	"github.com/provwatch/provwatch/internal/openclawtest"
	"github.com/provwatch/provwatch/internal/sim"
)

// TestFailoverRealGateway is the whole failover against the real OpenClaw
// gateway: an Ollama simulator as primary and an OpenAI-compatible simulator
// as fallback, `provwatch run` publishing to SSM (moto) and `provwatch
// follow` writing the gateway's openclaw.json. The primary dies, a chat turn
// is sent every second, and the time from the failure to the first turn
// answered (by the fallback: the primary is dead) is logged; so is the same
// with the gateway alone, which keeps retrying its primary. It asserts that
// turns are served by the fallback again; durations go to the log for
// docs/failover.md.
//
// The gateway runs at most agents.defaults.maxConcurrent turns at once (8
// on this machine), and a turn already retrying the dead primary keeps its
// slot until its retries end, whatever the chain says by then: eight turns
// sent before the switch hold every slot for over a minute. The tries set
// maxConcurrent to 500 so the turns this test sends do not queue behind
// each other, except one that keeps the default to show that effect.
// Opt-in, about 20 minutes:
//
//	PROVWATCH_TEST_OPENCLAW=1 go test -run TestFailoverRealGateway -v -timeout 30m ./cmd/provwatch/
func TestFailoverRealGateway(t *testing.T) {
	cli := openclawtest.Install(t)
	motoURL := awstest.Start(t)
	tries := []gatewayTry{
		{failRefused, 17 * time.Second, true, 500}, {failRefused, 31 * time.Second, true, 500}, {failRefused, 52 * time.Second, true, 500},
		{failHanging, 24 * time.Second, true, 500}, {failHanging, 57 * time.Second, true, 500},
		{failRefused, 20 * time.Second, true, 0},
		{failRefused, 20 * time.Second, false, 500}, {failHanging, 20 * time.Second, false, 500},
	}
	var results []string
	for i, tr := range tries {
		t.Run(tr.String(), func(t *testing.T) {
			r := gatewayFailover(t, cli, motoURL, fmt.Sprintf("/e2e/gateway/%d/model-order", i), tr)
			results = append(results, tr.String()+": "+r)
		})
	}
	t.Logf("MEASURE the real gateway:\n%s", strings.Join(results, "\n"))
}

// gatewayTry is one failure of the primary behind the real gateway.
type gatewayTry struct {
	kind      failKind
	at        time.Duration // after run's start line (the warm-up turn's end without provwatch)
	provwatch bool          // false: the gateway alone
	lanes     int           // agents.defaults.maxConcurrent; 0: the gateway's default
}

func (g gatewayTry) String() string {
	who := "alone"
	if g.provwatch {
		who = "provwatch"
	}
	lanes := "default-lanes"
	if g.lanes > 0 {
		lanes = fmt.Sprintf("%d-lanes", g.lanes)
	}
	return fmt.Sprintf("%s/%s@%s/%s", who, g.kind, g.at, lanes)
}

// gatewayFailover runs one try and returns what it measured, as text.
func gatewayFailover(t *testing.T, cli *openclawtest.CLI, motoURL, param string, tr gatewayTry) string {
	kind, at, withProvwatch := tr.kind, tr.at, tr.provwatch
	ollama, err := sim.Start(sim.Ollama, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ollama.Close)
	backup, err := sim.Start(sim.OpenAICompatible, sim.Options{APIKey: "sim-key", Models: []sim.Model{{ID: "gpt-4.1"}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(backup.Close)
	lanes := ""
	if tr.lanes > 0 {
		lanes = fmt.Sprintf("maxConcurrent: %d, ", tr.lanes)
	}
	dir := t.TempDir()
	gwFile := filepath.Join(dir, "openclaw.json")
	cfg := fmt.Sprintf(`{
  %s
  models: { providers: {
    ollama: { baseUrl: %q, api: "ollama", models: [ { id: "qwen3-coder", name: "qwen3-coder" } ] },
    backup: { baseUrl: %q, api: "openai-completions", apiKey: "sim-key", models: [ { id: "gpt-4.1", name: "gpt-4.1" } ] },
  } },
  agents: { defaults: { %smodel: { primary: "ollama/qwen3-coder", fallbacks: ["backup/gpt-4.1"] } } },
}
`, openclawtest.GatewayBlock, ollama.Root(), backup.BaseURL(), lanes)
	if err := os.WriteFile(gwFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	own := writeFile(t, dir, "provwatch-openclaw.json", cfg)
	g := cli.StartGateway(t, gwFile)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if r, err := g.Chat(ctx, "warm up"); err != nil || r.Status != 200 || ollama.Chats() == 0 {
		t.Fatalf("warm-up turn: %v status %d, primary answered %d chats\n%s", err, r.Status, ollama.Chats(), r.Body)
	}

	anchor := time.Now()
	var run, follow *proc
	if withProvwatch {
		env := append(awstest.Env(motoURL), "PROVWATCH_REMEDIATION_TARGET=ssm:"+param,
			"PROVWATCH_HTTP_LISTEN=127.0.0.1:0", "PROVWATCH_METRICS_SINK=none")
		run = start(t, env, "run", "--openclaw-config", own)
		if anchor, err = waitLine(run, "provwatch running", time.Minute); err != nil {
			t.Fatal(err)
		}
		ssmc := ssm.NewFromConfig(awstest.Config(t), func(o *ssm.Options) { o.BaseEndpoint = aws.String(motoURL) })
		if _, err := waitParam(ssmc, param, time.Minute); err != nil {
			t.Fatal(err)
		}
		follow = start(t, awstest.Env(motoURL), "follow", "--from", "ssm:"+param, "--into", "openclaw:"+gwFile)
		if _, err := waitLine(follow, "provwatch follow running", time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	before, _ := os.ReadFile(gwFile)
	if wait := time.Until(anchor.Add(at)); wait > 0 {
		time.Sleep(wait)
	}
	backupBefore := backup.Chats()
	died := time.Now()
	if err := kill(t, ollama, kind); err != nil {
		t.Fatal(err)
	}

	// A turn every second, each in its own session (the gateway gives a
	// request without a user its own), until one is answered.
	type turn struct {
		sent, done time.Time
		status     int
		err        error
	}
	limit := 3 * time.Minute
	if !withProvwatch {
		limit = 4 * time.Minute
	}
	tctx, tcancel := context.WithTimeout(ctx, limit)
	defer tcancel()
	answered := make(chan turn, 1)
	var mu sync.Mutex
	var turns []turn
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var first turn
	var changed time.Time
wait:
	for i := 0; ; i++ {
		wg.Go(func() {
			tn := turn{sent: time.Now()}
			r, err := g.Chat(tctx, fmt.Sprintf("turn %d", i))
			tn.done, tn.status, tn.err = time.Now(), r.Status, err
			mu.Lock()
			turns = append(turns, tn)
			mu.Unlock()
			if err == nil && r.Status == 200 {
				select {
				case answered <- tn:
				default:
				}
			}
		})
		if changed.IsZero() {
			if now, _ := os.ReadFile(gwFile); !bytes.Equal(now, before) {
				changed = time.Now()
			}
		}
		select {
		case first = <-answered:
			break wait
		case <-tctx.Done():
			break wait
		case <-tick.C:
		}
	}
	tcancel()
	wg.Wait()
	if first.done.IsZero() && !withProvwatch {
		return fmt.Sprintf("no turn answered within %s of the failure (%d sent)", limit, len(turns))
	}
	if first.done.IsZero() {
		t.Fatalf("no turn was answered within %s of the primary's failure; %d turns sent\n%s", limit, len(turns), tailLines(g, 30))
	}
	if backup.Chats() == backupBefore {
		t.Fatalf("a turn was answered but the fallback served no chat")
	}
	served := first.done.Sub(died)
	out := fmt.Sprintf("served %.1fs after the failure (turn sent at +%.1fs)", served.Seconds(), first.sent.Sub(died).Seconds())
	if withProvwatch {
		if changed.IsZero() {
			t.Fatalf("a turn was answered but follow never changed the gateway's file")
		}
		line, err := g.WaitLog(ctx, died, regexp.MustCompile(`config hot reload applied`))
		if err != nil {
			t.Fatalf("the gateway did not reload its config: %v", err)
		}
		pub := since(run.stderr.lines("fallback order rewritten"), died)
		app := since(follow.stderr.lines("applied the order"), died)
		if len(pub) != 1 || len(app) != 1 {
			t.Fatalf("after the failure run rewrote the order %d times and follow applied it %d times, want once each", len(pub), len(app))
		}
		out = fmt.Sprintf("SSM %.1fs, file %.1fs, reload %.1fs, %s", pub[0].at.Sub(died).Seconds(), app[0].at.Sub(died).Seconds(), line.At.Sub(died).Seconds(), out)
	}
	t.Logf("MEASURE %s primary at +%s, provwatch %v: %s", kind, at, withProvwatch, out)
	return out
}

func tailLines(g *openclawtest.Gateway, n int) string {
	lines := g.Lines()
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l.Text + "\n")
	}
	return b.String()
}
