// Package daemon is `provwatch run`: cycles on a cron schedule, confirmation
// rounds between ticks, the HTTP endpoints, configuration reload and a
// bounded, clean shutdown.
package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/rs/zerolog"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/internal/engine"
	"github.com/provwatch/provwatch/reporter"
)

// Options wire a Daemon.
type Options struct {
	Engine *engine.Engine
	Listen string // http.listen
	Log    zerolog.Logger
	// Metrics serves /metrics; nil serves 404.
	Metrics http.Handler
	History *reporter.History
	// Reload builds a new engine from the configuration on disk (SIGHUP). On
	// error the old engine keeps running.
	Reload func(ctx context.Context) (*engine.Engine, error)
	Hangup <-chan struct{}
	// ReloadTimeout bounds one reload; default 1 minute. A reload runs
	// beside the daemon, never in the loop that watches for the stop
	// signal, and one that takes longer is given up (the old configuration
	// stays) even if it does not honour its context.
	ReloadTimeout time.Duration
	// ShutdownGrace bounds how long a cycle in flight may run after the stop
	// signal before it is cancelled; default 10 s. With the 8 s metrics flush
	// and 2 s for the HTTP server, a shutdown ends within 20 s, well inside
	// the 30 s ECS waits before SIGKILL.
	ShutdownGrace time.Duration
	// OnListen is told the address the HTTP server listens on.
	OnListen func(addr string)
	// MaxConns caps the connections the HTTP server holds; 0 means a
	// quarter of the open-file limit, between 8 and 512.
	MaxConns int
}

// Daemon runs cycles until its context ends.
type Daemon struct {
	opt Options
	log zerolog.Logger

	eng        atomic.Pointer[engine.Engine]
	busy       sync.Mutex // held while a round runs: never two at once
	started    time.Time
	lastFinish atomic.Int64 // unix nanos of the last finished round
	stopping   atomic.Bool
	interval   atomic.Int64 // schedule interval in nanos

	retired sync.WaitGroup // engines swapped out by a reload, still flushing

	recheckMu  sync.Mutex
	recheck    *time.Timer
	recheckDue time.Time // when recheck fires

	conns atomic.Pointer[connLimiter] // the HTTP server's, once it listens
}

// New returns a Daemon.
func New(opt Options) *Daemon {
	if opt.ShutdownGrace <= 0 {
		opt.ShutdownGrace = 10 * time.Second
	}
	if opt.ReloadTimeout <= 0 {
		opt.ReloadTimeout = time.Minute
	}
	d := &Daemon{opt: opt, log: opt.Log}
	d.eng.Store(opt.Engine)
	return d
}

type scheduleParser struct{}

func (scheduleParser) Parse(spec string) (cron.Schedule, error) { return configs.ParseSchedule(spec) }

// Interval estimates a schedule's spacing: the gap between its next two runs.
func Interval(spec string, now time.Time) (time.Duration, error) {
	s, err := configs.ParseSchedule(spec)
	if err != nil {
		return 0, err
	}
	n1 := s.Next(now)
	return s.Next(n1).Sub(n1), nil
}

// Run serves until ctx ends, then shuts down within the grace bound.
func (d *Daemon) Run(ctx context.Context) error {
	d.started = time.Now()
	ln, err := net.Listen("tcp", d.opt.Listen)
	if err != nil {
		// The address is configuration: taken, or not one of this host's,
		// the fix is in the settings (exit 78), not in provwatch.
		file := d.eng.Load().Settings().Path
		if file == "" {
			file = "settings (defaults and PROVWATCH_* variables)"
		}
		return &configs.Error{File: file, Path: "http.listen", Msg: fmt.Sprintf("cannot listen on %s: %v", d.opt.Listen, errors.Unwrap(err)),
			Hint: "is another provwatch running? set http.listen (PROVWATCH_HTTP_LISTEN) to a free address of this host", Err: err}
	}
	if d.opt.OnListen != nil {
		d.opt.OnListen(ln.Addr().String())
	}
	maxConns := d.opt.MaxConns
	if maxConns <= 0 {
		maxConns = defaultMaxConns()
	}
	limited := newConnLimiter(ln, maxConns)
	d.conns.Store(limited)
	srv := &http.Server{
		Handler:           d.Handler(),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ConnState:         limited.track,
	}
	go func() {
		if err := srv.Serve(limited); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.log.Error().Err(err).Msg("http server stopped")
		}
	}()

	// Cycles run under their own context so that a stop signal lets the
	// cycle in flight finish (within the grace bound) instead of tearing it.
	cycleCtx, cancelCycles := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelCycles()

	// The same parser that validated the settings, so the daemon accepts
	// exactly the schedules validate accepts.
	c := cron.New(cron.WithParser(scheduleParser{}), cron.WithLocation(time.UTC))
	schedule := d.eng.Load().Settings().Schedule
	id, err := d.schedule(c, cycleCtx, schedule)
	if err != nil {
		return err
	}
	c.Start()
	d.log.Info().Str("schedule", schedule).Str("listen", ln.Addr().String()).Msg("provwatch running")
	go d.tick(cycleCtx, roundFull) // a first cycle now, not one interval later
	go d.liveness(cycleCtx)

	// Reloads are built beside this loop, one at a time: a SIGHUP during a
	// reload is remembered and served after it, and the stop signal is
	// never kept waiting by a configuration that does not finish loading.
	reloaded := make(chan reloadResult, 1)
	reloading, again := false, false
	startReload := func() {
		reloading = true
		go func() { reloaded <- d.build(ctx) }()
	}
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-d.opt.Hangup:
			if d.opt.Reload == nil {
				continue
			}
			if reloading {
				again = true
				continue
			}
			startReload()
		case r := <-reloaded:
			reloading = false
			if nid, ok := d.swap(r, c, cycleCtx, id); ok {
				id = nid
			}
			if again {
				again = false
				startReload()
			}
		}
	}

	d.stopping.Store(true)
	d.log.Info().Msg("stopping: no new cycles; waiting for the cycle in flight")
	<-c.Stop().Done()
	d.stopRecheck()
	if !d.waitIdle(d.opt.ShutdownGrace) {
		d.log.Warn().Dur("grace", d.opt.ShutdownGrace).Msg("cycle in flight did not finish in time; cancelling it")
		cancelCycles()
		d.busy.Lock() // probes honour the context: this returns promptly
		d.busy.Unlock()
	}
	// The engine in service flushes its metrics and notifications; so do
	// those retired by reloads, if they have not finished yet.
	d.eng.Load().Close()
	d.retired.Wait()
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	d.log.Info().Msg("stopped cleanly")
	return nil
}

func (d *Daemon) schedule(c *cron.Cron, cycleCtx context.Context, spec string) (cron.EntryID, error) {
	iv, err := Interval(spec, time.Now())
	if err != nil {
		return 0, fmt.Errorf("schedule %q: %w", spec, err)
	}
	d.interval.Store(int64(iv))
	return c.AddFunc(spec, func() { d.tick(cycleCtx, roundFull) })
}

type reloadResult struct {
	eng *engine.Engine
	err error
}

// build builds a new engine from the configuration on disk, within
// ReloadTimeout: past it, or when ctx ends, the reload is given up even if
// Reload itself does not return (a read stuck on a FIFO).
func (d *Daemon) build(ctx context.Context) reloadResult {
	rctx, cancel := context.WithTimeout(ctx, d.opt.ReloadTimeout)
	defer cancel()
	out := make(chan reloadResult, 1)
	go func() {
		ne, err := d.opt.Reload(rctx)
		out <- reloadResult{ne, err}
	}()
	select {
	case r := <-out:
		return r
	case <-rctx.Done():
		return reloadResult{err: fmt.Errorf("the new configuration did not load within %s (%w)", d.opt.ReloadTimeout, rctx.Err())}
	}
}

// swap swaps in a reloaded engine, keeping health state; on any error the
// old configuration stays.
func (d *Daemon) swap(r reloadResult, c *cron.Cron, cycleCtx context.Context, id cron.EntryID) (cron.EntryID, bool) {
	ne, err := r.eng, r.err
	if err != nil {
		d.log.Error().Err(err).Msg("reload failed; keeping the old configuration")
		return id, false
	}
	d.busy.Lock()
	old := d.eng.Load()
	ne.Adopt(old)
	d.eng.Store(ne)
	d.busy.Unlock()
	// The old engine's own sinks and notifier flush what they hold, beside
	// the loop (CloudWatch may take seconds); shutdown waits for it.
	d.retired.Add(1)
	go func() {
		defer d.retired.Done()
		old.Close()
	}()
	if nl, ol := ne.Settings().HTTP.Listen, old.Settings().HTTP.Listen; nl != ol {
		d.log.Warn().Str("listening_on", ol).Str("configured", nl).
			Msg("http.listen changed; the HTTP server keeps its address until provwatch restarts")
	}
	if ne.NeedsRecheck() { // a confirmation the old engine awaited goes on
		d.armRecheck(cycleCtx, ne.Settings().Health.RecheckInterval)
	}
	if ns := ne.Settings().Schedule; ns != old.Settings().Schedule {
		nid, err := d.schedule(c, cycleCtx, ns)
		if err != nil {
			d.log.Error().Err(err).Msg("new schedule rejected; keeping the old one")
			return id, true
		}
		c.Remove(id)
		id = nid
	}
	d.log.Info().Msg("configuration reloaded")
	return id, true
}

// waitIdle waits for the round in flight, up to limit.
func (d *Daemon) waitIdle(limit time.Duration) bool {
	done := make(chan struct{})
	go func() {
		d.busy.Lock()
		d.busy.Unlock()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-time.After(limit):
		return false
	}
}

// The kinds of round.
type roundKind int

const (
	roundFull     roundKind = iota // the schedule's: every provider probed
	roundRecheck                   // confirming a changed observation
	roundLiveness                  // self-hosted providers asked whether they answer
)

// liveness runs a liveness round every liveness.every (read again after a
// reload) until ctx ends. A round that finds everyone answering costs one
// small request per self-hosted provider and publishes nothing.
func (d *Daemon) liveness(ctx context.Context) {
	for {
		every := d.eng.Load().Settings().Liveness.Every
		if every <= 0 {
			every = time.Minute // off: look again later, a reload may turn it on
		}
		t := time.NewTimer(every)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if d.eng.Load().Settings().Liveness.Every > 0 {
			d.tick(ctx, roundLiveness)
		}
	}
}

// tick runs one round of a kind. Rounds never overlap: one that finds
// another running is skipped (a scheduled one says so).
func (d *Daemon) tick(ctx context.Context, kind roundKind) {
	if d.stopping.Load() {
		return
	}
	if !d.busy.TryLock() {
		if kind == roundFull {
			d.log.Warn().Msg("previous cycle still running; skipping this tick")
		}
		return
	}
	defer d.busy.Unlock()
	e := d.eng.Load()
	var rep *reporter.Report
	var err error
	switch kind {
	case roundFull:
		rep, err = e.Cycle(ctx)
	case roundRecheck:
		rep, err = e.Recheck(ctx)
	case roundLiveness:
		rep, err = e.Liveness(ctx)
	}
	if err != nil {
		d.log.Warn().Err(err).Msg("cycle did not finish")
		return
	}
	if rep != nil {
		d.lastFinish.Store(time.Now().UnixNano())
		if d.opt.History != nil {
			d.opt.History.Add(rep)
		}
	}
	if e.NeedsRecheck() {
		d.armRecheck(ctx, e.Settings().Health.RecheckInterval)
	}
}

// armRecheck makes a recheck round come after the given wait, unless one
// is already due sooner: every round re-arms it while a change awaits
// confirmation, and a liveness round every few seconds must not keep
// putting off a recheck whose recheck_interval is longer.
func (d *Daemon) armRecheck(ctx context.Context, after time.Duration) {
	d.recheckMu.Lock()
	defer d.recheckMu.Unlock()
	now := time.Now()
	due := now.Add(after)
	if d.recheck != nil {
		if d.recheckDue.After(now) && !d.recheckDue.After(due) {
			return
		}
		d.recheck.Stop()
	}
	d.recheck, d.recheckDue = time.AfterFunc(after, func() { d.tick(ctx, roundRecheck) }), due
}

func (d *Daemon) stopRecheck() {
	d.recheckMu.Lock()
	defer d.recheckMu.Unlock()
	if d.recheck != nil {
		d.recheck.Stop()
	}
}

// Health is the /healthz verdict.
type Health struct {
	Status    string     `json:"status"` // ok | unhealthy
	Reason    string     `json:"reason,omitempty"`
	LastCycle *time.Time `json:"last_cycle"`
}

// Healthz says whether the scheduler is alive and the last cycle finished
// within 3 intervals (or, before the first, the daemon started less than
// 3 intervals ago).
func (d *Daemon) Healthz(now time.Time) Health {
	limit := 3 * time.Duration(d.interval.Load())
	if d.stopping.Load() {
		return Health{Status: "unhealthy", Reason: "shutting down"}
	}
	h := Health{Status: "ok"}
	last := d.lastFinish.Load()
	ref := d.started
	if last != 0 {
		t := time.Unix(0, last).UTC()
		h.LastCycle = &t
		ref = t
	}
	if limit > 0 && now.Sub(ref) > limit {
		h.Status = "unhealthy"
		if last == 0 {
			h.Reason = fmt.Sprintf("no cycle has finished since start %s ago", now.Sub(ref).Round(time.Second))
		} else {
			h.Reason = fmt.Sprintf("last cycle finished %s ago, more than 3 intervals", now.Sub(ref).Round(time.Second))
		}
	}
	return h
}

// Handler serves /healthz, /metrics, /status and the status page.
func (d *Daemon) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		h := d.Healthz(time.Now())
		w.Header().Set("Content-Type", "application/json")
		if h.Status != "ok" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_ = json.NewEncoder(w).Encode(h)
	})
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		rep := d.eng.Load().Last()
		if rep == nil {
			http.Error(w, "no cycle has finished yet", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = reporter.WriteJSON(w, rep)
	})
	if d.opt.Metrics != nil {
		mux.Handle("GET /metrics", d.opt.Metrics)
	}
	if d.opt.History != nil {
		page := reporter.StatusPage(d.opt.History, func() *reporter.Report { return d.eng.Load().Last() })
		mux.Handle("GET /{$}", page)
	}
	return mux
}
