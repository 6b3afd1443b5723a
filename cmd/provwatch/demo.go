package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/internal/cli"
	"github.com/provwatch/provwatch/internal/clock"
	"github.com/provwatch/provwatch/internal/follow"
	"github.com/provwatch/provwatch/internal/sim"
	"github.com/provwatch/provwatch/notify"
	"github.com/provwatch/provwatch/remediate"
)

// cmdDemo runs the daemon against simulated providers whose health changes
// on a script, printing each change as it happens. It ends by itself.
func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c commonFlags
	var listen string
	var speed float64
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	c.LogLevel = "warn" // the demo's own lines tell the story; logs only for trouble
	c.Register(fs)
	fs.StringVar(&listen, "listen", "127.0.0.1:9464", "status page address (another free port is used if it is taken)")
	fs.Float64Var(&speed, "speed", 1, "run the scenario this many times faster (1 to 5)")
	if err := cli.ParseFlags(fs, args, stderr); err != nil {
		return err
	}
	if c.OpenClawConfig != "" || c.Config != "" {
		return cli.UsageErr("demo: --openclaw-config and --config are not used; the demo makes its own")
	}
	if speed < 1 || speed > 5 {
		return cli.UsageErr("--speed %v: want 1 to 5 (the schedule cannot tick faster than once a second)", speed)
	}
	scale := func(d time.Duration) time.Duration { return time.Duration(float64(d) / speed) }

	fleet, script, err := sim.StartDemo()
	if err != nil {
		return err
	}
	defer fleet.Close()

	dir, err := os.MkdirTemp("", "provwatch-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ocPath := filepath.Join(dir, "openclaw.json")
	if err := fleet.WriteOpenClawConfig(ocPath); err != nil {
		return err
	}
	// The gateway's own copy of the config, which a follower keeps in line
	// with the order the daemon publishes, as `provwatch follow` does
	// beside a real gateway.
	gatewayPath := filepath.Join(dir, "gateway", "openclaw.json")
	if err := os.Mkdir(filepath.Dir(gatewayPath), 0o700); err != nil {
		return err
	}
	if err := fleet.WriteOpenClawConfig(gatewayPath); err != nil {
		return err
	}
	followEvery := scale(2 * time.Second)
	// A local webhook receiver shows the notifications a real destination
	// would get.
	hookLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hookURL := "http://" + hookLn.Addr().String() + "/hook"
	orderPath := filepath.Join(dir, "order.json")
	settingsPath := filepath.Join(dir, "provwatch.yaml")
	settings := fmt.Sprintf(`# provwatch demo settings: short intervals so a minute tells the whole story.
schedule: "@every %s"
timeout: %s
health:
  fail_after: 2
  recover_after: 2
  recheck_interval: %s
  min_hold: %s
  max_hold: %s
remediation:
  target: "file:%s"
state: memory
metrics:
  sink: none
http:
  listen: "%s"
notify:
  - webhook: { url: "%s" }
`, max(time.Second, scale(5*time.Second)).Round(time.Second), scale(2*time.Second), scale(2*time.Second),
		scale(10*time.Second), scale(time.Minute), orderPath, freeAddr(listen), hookURL)
	if err := os.WriteFile(settingsPath, []byte(settings), 0o600); err != nil {
		return err
	}
	c.OpenClawConfig, c.Config = ocPath, settingsPath

	start := time.Now()
	var mu sync.Mutex
	say := func(format string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		el := time.Since(start)
		fmt.Fprintf(stdout, "[%02d:%02d] %s\n", int(el.Minutes()), int(el.Seconds())%60, fmt.Sprintf(format, a...))
	}
	hook := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p notify.WebhookPayload
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&p); err != nil {
			http.Error(w, "not a provwatch notification", http.StatusBadRequest)
			return
		}
		say("notification: %s", p.Text)
		w.WriteHeader(http.StatusNoContent)
	})}
	go func() { _ = hook.Serve(hookLn) }()
	defer hook.Close()
	chain := fleet.Chain()
	fmt.Fprintf(stdout, "provwatch demo: three simulated providers on loopback; ends by itself in about %s (Ctrl-C stops it)\n",
		scale(sim.DemoDuration).Round(time.Second))
	fmt.Fprintf(stdout, "  chain:  %s\n", chain.Order().Text())
	fmt.Fprintf(stdout, "  order:  written to %s\n", orderPath)
	fmt.Fprintf(stdout, "  gateway config: %s, kept in line by provwatch follow every %s\n", gatewayPath, followEvery)
	fmt.Fprintf(stdout, "  notifications: posted to a local webhook (%s) and printed as they arrive\n", hookURL)

	script.OnStep = func(s sim.Step, err error) {
		if err != nil {
			say("scenario: %s (failed: %v)", s.Note, err)
			return
		}
		say("scenario: %s", s.Note)
	}

	ctx, cancel := context.WithTimeout(ctx, scale(sim.DemoDuration))
	defer cancel()
	go func() { _ = script.Run(ctx, sim.SpedUp(clock.Real{}, speed), 100*time.Millisecond) }()

	// The follower starts once the daemon has published an order, as a
	// gateway's follower would start after it: the file exists from then on.
	log, err := c.Logger(stderr, os.Getenv)
	if err != nil {
		return err
	}
	var gatewayWrites int
	var followers sync.WaitGroup
	defer func() { cancel(); followers.Wait() }() // before the temporary folder goes
	startFollower := sync.OnceFunc(func() {
		f := follow.New(follow.Options{
			From: configs.Location{Scheme: configs.SchemeFile, Path: orderPath}, Into: gatewayPath,
			Every: followEvery, Log: log, Getenv: func(string) string { return "" },
			OnApply: func(o follow.Outcome) {
				gatewayWrites++
				say("gateway config: primary now %s", o.Order.Primary)
			},
		})
		followers.Go(func() { _ = f.Run(ctx) })
	})

	var changes, rewrites int
	onEvent := func(ev remediate.Event) {
		switch ev.Kind {
		case remediate.EventState:
			changes++
			why := string(ev.Reason)
			if ev.Detail != "" {
				why += ": " + ev.Detail
			}
			say("%s: %s -> %s (%s)", ev.Ref, ev.From, ev.To, why)
		case remediate.EventOrder:
			rewrites++
			if ev.Before.Equal(ev.After) {
				say("order written (the target did not exist yet): %s", orderLine(ev.After))
			} else {
				say("order rewritten: %s", orderLine(ev.After))
			}
			startFollower()
		}
	}
	onListen := func(addr string) {
		fmt.Fprintf(stdout, "  status page: http://%s/   (JSON: /status, metrics: /metrics)\n", addr)
	}
	err = runDaemon(ctx, &c, false, stdout, stderr, nil, onListen, onEvent)
	cancel()
	followers.Wait()
	if err != nil {
		return err
	}
	final := "(not written)"
	if b, err := os.ReadFile(orderPath); err == nil {
		final = strings.TrimSpace(string(b))
	}
	fmt.Fprintf(stdout, "demo finished: %d state changes, %d order rewrites, %d gateway config updates; final order: %s\n",
		changes, rewrites, gatewayWrites, final)
	return nil
}

func orderLine(o configs.Order) string {
	s := "primary " + o.Primary
	if len(o.Fallbacks) > 0 {
		s += ", then " + strings.Join(o.Fallbacks, ", ")
	}
	return s
}

// freeAddr returns addr when it can be listened on now, else a free port on
// the same host.
func freeAddr(addr string) string {
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		ln.Close()
		return addr
	}
	host, _, _ := net.SplitHostPort(addr)
	return net.JoinHostPort(host, "0")
}
