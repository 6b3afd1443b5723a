package daemon

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/internal/engine"
	"github.com/provwatch/provwatch/internal/sim"
	"github.com/provwatch/provwatch/internal/syncbuf"
	"github.com/provwatch/provwatch/probes"
	"github.com/provwatch/provwatch/reporter"
)

func newEngine(t *testing.T, f *sim.Fleet, mutate func(*configs.Settings)) *engine.Engine {
	t.Helper()
	s := configs.DefaultSettings()
	s.Schedule = "@every 1s"
	s.Timeout = 2 * time.Second
	s.Health.RecheckInterval = 50 * time.Millisecond
	s.Health.FailAfter, s.Health.RecoverAfter = 2, 2
	if mutate != nil {
		mutate(&s)
	}
	oc := &configs.OpenClaw{Path: "sim", Providers: f.Providers(), Chains: []configs.Chain{f.Chain()}}
	return engine.New(engine.Options{OpenClaw: oc, Settings: s, Log: zerolog.Nop(),
		Prober: probes.New(probes.Options{Timeout: s.Timeout, Thresholds: s.Thresholds})})
}

func fleet(t *testing.T) *sim.Fleet {
	t.Helper()
	f, err := sim.StartFleet(sim.Spec{Kind: sim.Ollama}, sim.Spec{Kind: sim.Anthropic})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}

// serve runs the daemon until the test ends and returns its base URL.
func serve(t *testing.T, opt Options) (string, *Daemon, context.CancelFunc) {
	t.Helper()
	addr := make(chan string, 1)
	opt.Listen = "127.0.0.1:0" // opt.Log left unset is a logger that writes nothing
	opt.OnListen = func(a string) { addr <- a }
	d := New(opt)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run returned %v after cancel, want nil", err)
		}
	})
	select {
	case a := <-addr:
		return "http://" + a, d, cancel
	case err := <-done:
		t.Fatalf("daemon stopped at once: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("daemon did not listen")
	}
	return "", nil, nil
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestHealthzFollowsTheSchedule(t *testing.T) {
	t.Parallel()
	d := New(Options{Engine: newEngine(t, fleet(t), nil)})
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	d.started = t0
	d.interval.Store(int64(time.Minute))
	for _, tc := range []struct {
		name     string
		last     time.Time
		now      time.Time
		stopping bool
		want     string
	}{
		{"starting, no cycle yet", time.Time{}, t0.Add(2 * time.Minute), false, "ok"},
		{"no cycle for over 3 intervals", time.Time{}, t0.Add(3*time.Minute + time.Second), false, "unhealthy"},
		{"recent cycle", t0.Add(10 * time.Minute), t0.Add(12 * time.Minute), false, "ok"},
		{"last cycle too old", t0.Add(10 * time.Minute), t0.Add(13*time.Minute + time.Second), false, "unhealthy"},
		{"shutting down", t0, t0, true, "unhealthy"},
	} {
		d.lastFinish.Store(0)
		if !tc.last.IsZero() {
			d.lastFinish.Store(tc.last.UnixNano())
		}
		d.stopping.Store(tc.stopping)
		if got := d.Healthz(tc.now); got.Status != tc.want {
			t.Errorf("%s: %+v, want %s", tc.name, got, tc.want)
		} else if tc.want != "ok" && got.Reason == "" {
			t.Errorf("%s: unhealthy without a reason", tc.name)
		}
	}
}

func TestTickNeverRunsTwoRoundsAtOnce(t *testing.T) {
	t.Parallel()
	f := fleet(t)
	d := New(Options{Engine: newEngine(t, f, nil), Log: zerolog.Nop()})
	d.busy.Lock()
	d.tick(context.Background(), roundFull) // a round is in flight: this one is skipped
	d.busy.Unlock()
	if n := f.Members()[0].Requests(); n != 0 {
		t.Fatalf("a tick ran while another round held the daemon (%d requests)", n)
	}
	d.tick(context.Background(), roundFull)
	if f.Members()[0].Requests() == 0 {
		t.Fatal("a free tick did not probe")
	}
}

// TestArmRecheckNeverPutsOffAPendingOne: every round re-arms the recheck
// while a change awaits confirmation. With recheck_interval longer than
// liveness.every, a liveness round that pushed the pending recheck back
// each time would put it off for good; an earlier one is kept, a later one
// comes sooner.
func TestArmRecheckNeverPutsOffAPendingOne(t *testing.T) {
	t.Parallel()
	d := New(Options{Engine: newEngine(t, fleet(t), nil), Log: zerolog.Nop()})
	defer d.stopRecheck()
	ctx := context.Background()
	d.armRecheck(ctx, time.Hour)
	due := d.recheckDue
	d.armRecheck(ctx, 2*time.Hour)
	if !d.recheckDue.Equal(due) {
		t.Fatalf("a pending recheck due at %v was put off to %v", due, d.recheckDue)
	}
	d.armRecheck(ctx, time.Minute)
	if !d.recheckDue.Before(due) {
		t.Fatalf("a recheck wanted sooner is still due at %v", d.recheckDue)
	}
}

func TestHangingProviderIsATimeoutAndTheDaemonStaysHealthy(t *testing.T) {
	t.Parallel()
	f := fleet(t)
	if err := f.Members()[0].SetFault(sim.Stall, sim.FaultParams{}); err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, f, func(s *configs.Settings) { s.Timeout = 300 * time.Millisecond })
	base, _, _ := serve(t, Options{Engine: e, History: reporter.NewHistory(0, 0)})
	ref := f.Chain().Primary
	waitFor(t, "the stalled provider to be down with timeout", func() bool {
		rep := e.Last()
		if rep == nil {
			return false
		}
		for _, p := range rep.Providers {
			for _, m := range p.Models {
				if m.Ref == ref {
					return m.State == probes.Down && m.Reason == probes.ReasonTimeout
				}
			}
		}
		return false
	})
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/healthz %d while one provider hangs", resp.StatusCode)
	}
	resp, err = http.Get(base + "/status")
	if err != nil {
		t.Fatal(err)
	}
	var st struct{ Down int }
	_ = json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if st.Down != 1 {
		t.Fatalf("/status down=%d, want 1", st.Down)
	}
}

func TestReloadKeepsHealthAndRefusesABadConfig(t *testing.T) {
	t.Parallel()
	f := fleet(t)
	e := newEngine(t, f, nil)
	var mu sync.Mutex
	var next *engine.Engine
	var reloadErr error
	hup := make(chan struct{})
	reload := func(context.Context) (*engine.Engine, error) {
		mu.Lock()
		defer mu.Unlock()
		return next, reloadErr
	}
	_, d, _ := serve(t, Options{Engine: e, Reload: reload, Hangup: hup})
	waitFor(t, "a first cycle", func() bool { return e.Last() != nil })
	since := *e.Last().Providers[0].Models[0].Since

	mu.Lock()
	reloadErr = &configs.Error{File: "openclaw.json", Msg: "garbage"}
	mu.Unlock()
	hup <- struct{}{}
	hup <- struct{}{} // the second send returns once the first reload was handled
	if d.eng.Load() != e {
		t.Fatal("a failed reload replaced the engine")
	}

	ne := newEngine(t, f, nil)
	mu.Lock()
	next, reloadErr = ne, nil
	mu.Unlock()
	hup <- struct{}{}
	waitFor(t, "the new engine to run a cycle", func() bool { return d.eng.Load() == ne && ne.Last() != nil })
	if got := *ne.Last().Providers[0].Models[0].Since; !got.Equal(since) {
		t.Fatalf("since after reload %v, want %v kept from before", got, since)
	}
}

// TestReloadKeepsTheListenAddress: a reload whose http.listen differs
// keeps serving where it listens, and says so rather than seeming to
// apply it.
func TestReloadKeepsTheListenAddress(t *testing.T) {
	t.Parallel()
	f := fleet(t)
	e := newEngine(t, f, nil)
	ne := newEngine(t, f, func(s *configs.Settings) { s.HTTP.Listen = "127.0.0.1:1" })
	hup := make(chan struct{})
	var logs syncbuf.Buffer
	base, d, _ := serve(t, Options{Engine: e, Log: zerolog.New(&logs),
		Reload: func(context.Context) (*engine.Engine, error) { return ne, nil }, Hangup: hup})
	hup <- struct{}{}
	waitFor(t, "the reload to be swapped in", func() bool { return d.eng.Load() == ne && strings.Contains(logs.String(), "configuration reloaded") })
	if !strings.Contains(logs.String(), `"configured":"127.0.0.1:1"`) || !strings.Contains(logs.String(), "keeps its address") {
		t.Errorf("no warning that http.listen was not applied:\n%s", logs.String())
	}
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatalf("the server stopped answering where it listened: %v", err)
	}
	resp.Body.Close()
}

// TestListenFailureIsAConfigError: an address that cannot be listened on
// (taken, or not this host's) is a configuration error naming http.listen,
// so run exits 78, not 70.
func TestListenFailureIsAConfigError(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	for _, addr := range []string{taken.Addr().String(), "192.0.2.1:9464"} {
		d := New(Options{Engine: newEngine(t, fleet(t), nil), Listen: addr, Log: zerolog.Nop()})
		err := d.Run(context.Background())
		if !errors.Is(err, configs.ErrConfig) || !strings.Contains(err.Error(), "http.listen") {
			t.Errorf("listen %s: err = %v, want a configuration error naming http.listen", addr, err)
		}
	}
}

// holdConn opens a connection to the daemon and, when request is set,
// makes one keep-alive request on it and reads the answer; the connection
// is then left open and idle.
func holdConn(t *testing.T, base string, request bool) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if request {
		if _, err := c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: provwatch\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	return c
}

// TestIdleConnectionsNeverLockOutHealthz: the server holds at most
// MaxConns connections; idle ones (kept alive after a request, or silent
// since they connected) are closed to make room, so /healthz still answers
// however many a client leaves open.
func TestIdleConnectionsNeverLockOutHealthz(t *testing.T) {
	t.Parallel()
	const max = 4
	base, d, _ := serve(t, Options{Engine: newEngine(t, fleet(t), nil), MaxConns: max})
	for i := 0; i < 3*max; i++ {
		holdConn(t, base, i%2 == 0)
	}
	cli := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := cli.Get(base + "/healthz")
	if err != nil {
		t.Fatalf("/healthz with %d connections held: %v", 3*max, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/healthz %d", resp.StatusCode)
	}
	if n := d.conns.Load().open(); n > max {
		t.Errorf("the server holds %d connections, want at most %d", n, max)
	}
}

func TestDefaultMaxConnsFollowsTheFileLimit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ files, want int }{
		{128, 32}, // the `ulimit -n 128` that made /healthz fail
		{20, maxConnsFloor}, {1024, 256}, {1 << 20, maxConnsCeiling},
	} {
		if got := maxConnsFor(tc.files); got != tc.want {
			t.Errorf("maxConnsFor(%d) = %d, want %d", tc.files, got, tc.want)
		}
	}
	if got, want := defaultMaxConns(), maxConnsFor(openFileLimit()); got != want {
		t.Errorf("defaultMaxConns() = %d, want %d for this process's limit of %d", got, want, openFileLimit())
	}
}

// TestAHangingReloadNeitherFreezesNorBlocksShutdown: a SIGHUP whose new
// configuration never finishes loading (an $include of a FIFO) leaves the
// daemon serving, a later reload still works once the hung one is given
// up, and the stop signal is honoured at once.
func TestAHangingReloadNeitherFreezesNorBlocksShutdown(t *testing.T) {
	t.Parallel()
	f := fleet(t)
	e := newEngine(t, f, nil)
	next := newEngine(t, f, nil)
	stuck := make(chan struct{}) // never closed: the first reload ignores its context too
	var calls atomic.Int32
	reload := func(ctx context.Context) (*engine.Engine, error) {
		if calls.Add(1) == 1 {
			<-stuck
		}
		return next, nil
	}
	hup := make(chan struct{})
	addr := make(chan string, 1)
	d := New(Options{Engine: e, Reload: reload, Hangup: hup, ReloadTimeout: 100 * time.Millisecond,
		Listen: "127.0.0.1:0", Log: zerolog.Nop(), OnListen: func(a string) { addr <- a }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	base := "http://" + <-addr

	send := func() {
		select {
		case hup <- struct{}{}:
		case <-time.After(30 * time.Second):
			t.Fatal("the daemon stopped taking SIGHUPs while a reload hung")
		}
	}
	send()
	send() // taken while the first reload hangs
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatalf("/healthz while a reload hangs: %v", err)
	}
	resp.Body.Close()
	waitFor(t, "the reload after the hung one to apply", func() bool { return d.eng.Load() == next })

	calls.Store(0) // the next reload hangs again; the stop signal must not wait for it
	send()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run returned %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after cancel while a reload hung")
	}
}

// TestReloadWithARecheckPendingKeepsStatusAndMetricsWhole: a SIGHUP while
// a changed observation awaits its recheck keeps /status at 200 with every
// provider and /metrics with every provider's series, through the reload
// and the recheck round that follows it; the retired engine is closed.
func TestReloadWithARecheckPendingKeepsStatusAndMetricsWhole(t *testing.T) {
	t.Parallel()
	f := fleet(t)
	slow := func(s *configs.Settings) {
		s.Schedule = "@every 1h" // only the first cycle, then rechecks
		s.Health.RecheckInterval = 300 * time.Millisecond
		s.Liveness.Every = 0
	}
	var closed atomic.Int32
	prom := reporter.NewPrometheus()
	build := func() *engine.Engine {
		s := configs.DefaultSettings()
		slow(&s)
		s.Timeout = 2 * time.Second
		s.Health.FailAfter, s.Health.RecoverAfter = 2, 2
		oc := &configs.OpenClaw{Path: "sim", Providers: f.Providers(), Chains: []configs.Chain{f.Chain()}}
		return engine.New(engine.Options{OpenClaw: oc, Settings: s, Log: zerolog.Nop(), Sinks: []reporter.Sink{prom},
			Prober: probes.New(probes.Options{Timeout: s.Timeout, Thresholds: s.Thresholds}),
			Close:  func() { closed.Add(1) }})
	}
	first := build()
	hup := make(chan struct{}, 1)
	base, d, _ := serve(t, Options{Engine: first, Reload: func(context.Context) (*engine.Engine, error) { return build(), nil },
		Hangup: hup, Metrics: prom.Handler(), History: reporter.NewHistory(0, 0)})
	waitFor(t, "the first cycle", func() bool { return first.Last() != nil })

	// The primary stops answering; a round sees it and a recheck is pending.
	if err := f.Members()[0].SetFault(sim.Refused, sim.FaultParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := first.Cycle(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !first.NeedsRecheck() {
		t.Fatal("no recheck pending")
	}
	hup <- struct{}{}
	waitFor(t, "the retired engine to be closed", func() bool { return closed.Load() == 1 })

	whole := func(what string) {
		t.Helper()
		resp, err := http.Get(base + "/status")
		if err != nil {
			t.Fatal(err)
		}
		var rep reporter.Report
		json.NewDecoder(resp.Body).Decode(&rep)
		resp.Body.Close()
		if resp.StatusCode != 200 || len(rep.Providers) != 2 {
			t.Fatalf("%s: /status %d with %d providers, want 200 with 2", what, resp.StatusCode, len(rep.Providers))
		}
		resp, err = http.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, m := range f.Members() {
			if !strings.Contains(string(b), `provwatch_probe_success{provider="`+m.ID+`"}`) {
				t.Fatalf("%s: /metrics lacks %s's series:\n%s", what, m.ID, b)
			}
		}
	}
	whole("right after the reload")
	// The recheck the old engine left pending runs on the new one.
	waitFor(t, "the recheck round", func() bool {
		rep := d.eng.Load().Last()
		if rep == nil {
			return false
		}
		for _, p := range rep.Providers {
			for _, m := range p.Models {
				if m.Ref == f.Chain().Primary && m.State == probes.Down {
					return true
				}
			}
		}
		return false
	})
	whole("after the recheck")
}
