package notify

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/provwatch/provwatch/internal/clock"
)

// Destination delivers one message. Send honours ctx (its deadline is the
// attempt's) and returns an *Error whose words hold no secret.
type Destination interface {
	// Name says which destination in logs and output: its kind ("slack"),
	// or its settings path when a kind is configured twice.
	Name() string
	Send(ctx context.Context, b Burst) error
}

// Options tune delivery. Zero values take the defaults.
type Options struct {
	Log   zerolog.Logger
	Clock clock.Clock // backoff and rate-limit waits; nil: the wall clock
	// QueueSize bounds the messages waiting for one destination; past it
	// the oldest is dropped (and counted as failed). Default 64.
	QueueSize int
	// MinInterval spaces two messages to one destination; what arrives in
	// between is sent together as one message. Default 2 s (Slack, Discord
	// and Telegram all allow about one message a second per channel).
	MinInterval time.Duration
	// Attempts per message, the first included. Default 4.
	Attempts int
	// Backoff is the first wait before a retry; it doubles per attempt up
	// to a minute. A Retry-After the destination sends replaces it.
	// Default 2 s.
	Backoff time.Duration
	// MaxWait is the longest Retry-After honoured; a destination asking
	// for longer fails the message at once. Default 5 min.
	MaxWait time.Duration
	// AttemptTimeout bounds one attempt, answer included. Default 10 s.
	AttemptTimeout time.Duration
	// TargetFailAfter is how many rounds in a row the target must fail
	// before people are told (once per episode). Default 3.
	TargetFailAfter int
}

func (o *Options) defaults() {
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 64
	}
	if o.MinInterval <= 0 {
		o.MinInterval = 2 * time.Second
	}
	if o.Attempts <= 0 {
		o.Attempts = 4
	}
	if o.Backoff <= 0 {
		o.Backoff = 2 * time.Second
	}
	if o.MaxWait <= 0 {
		o.MaxWait = 5 * time.Minute
	}
	if o.AttemptTimeout <= 0 {
		o.AttemptTimeout = 10 * time.Second
	}
	if o.TargetFailAfter <= 0 {
		o.TargetFailAfter = 3
	}
}

// maxBackoff caps the doubling backoff.
const maxBackoff = time.Minute

// Notifier turns rounds into messages and delivers them to every
// destination. Round and Submit never block: each destination has its own
// queue and goroutine. Safe for concurrent use.
type Notifier struct {
	opt Options
	ds  []*dispatcher

	failed atomic.Int64 // messages given up since the last TakeFailed

	mu          sync.Mutex
	closed      bool
	allDown     bool
	targetFails int
}

// New starts a Notifier delivering to dests.
func New(dests []Destination, opt Options) *Notifier {
	opt.defaults()
	n := &Notifier{opt: opt}
	for _, d := range dests {
		hard, cancelHard := context.WithCancel(context.Background())
		soft, cancelSoft := context.WithCancel(hard)
		dp := &dispatcher{
			n: n, dest: d, log: opt.Log.With().Str("destination", d.Name()).Logger(),
			wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
			hard: hard, cancelHard: cancelHard, soft: soft, cancelSoft: cancelSoft,
		}
		n.ds = append(n.ds, dp)
		go dp.run()
	}
	return n
}

// Round is what one round of the engine tells the notifier.
type Round struct {
	Time time.Time
	// Events are the round's confirmed state changes, order rewrites and
	// target errors (KindTargetError), with hints filled in.
	Events []Event
	// Before and After are agents.defaults.model's order when it moved.
	Before, After *Order
	// Healthy, Degraded and Down count the watched models' confirmed
	// states after the round.
	Healthy, Degraded, Down int
}

// Round turns one round into at most one message: its events, plus
// target_failing once a target has failed TargetFailAfter rounds in a
// row, and all_down once per episode of every model down.
func (n *Notifier) Round(r Round) {
	n.mu.Lock()
	var events []Event
	var targetErr *Event
	for i, e := range r.Events {
		if e.Kind == KindTargetError {
			targetErr = &r.Events[i]
			continue
		}
		events = append(events, e)
	}
	if targetErr == nil {
		n.targetFails = 0
	} else {
		n.targetFails++
		if n.targetFails == n.opt.TargetFailAfter {
			events = append(events, Event{Kind: KindTargetFailing, Ref: targetErr.Ref, Reason: "write_failed",
				Detail: fmt.Sprintf("failed %d rounds in a row: %s", n.targetFails, targetErr.Detail), Hint: targetErr.Hint})
		}
	}
	allDown := r.Healthy == 0 && r.Degraded == 0 && r.Down > 0
	switch {
	case allDown && !n.allDown:
		events = append(events, Event{Kind: KindAllDown, To: "down", Reason: "all_down",
			Detail: fmt.Sprintf("all %d watched models are down; the gateway has nothing left to fall back to", r.Down)})
	case !allDown && n.allDown && r.Healthy+r.Degraded > 0:
		back := "a model"
		for _, e := range events {
			if e.Kind == KindState && (e.To == "healthy" || e.To == "degraded") {
				back = e.Ref
				break
			}
		}
		events = append(events, Event{Kind: KindAllDownOver, Ref: back, To: "healthy",
			Detail: fmt.Sprintf("%d of %d watched models serve again", r.Healthy+r.Degraded, r.Healthy+r.Degraded+r.Down)})
	}
	n.allDown = allDown
	n.mu.Unlock()
	if len(events) == 0 {
		return
	}
	b := Burst{Time: r.Time, Events: events, Before: r.Before, After: r.After}
	b.Text = Summarize(b)
	n.Submit(b)
}

// Submit queues b for every destination and returns at once.
func (n *Notifier) Submit(b Burst) {
	if b.Text == "" {
		b.Text = Summarize(b)
	}
	// Queued under the lock Close takes to stop the destinations, so a
	// message either reaches every queue before they stop or is refused
	// here; none lands in a stopped queue unnoticed. enqueue never blocks.
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		n.opt.Log.Warn().Str("summary", b.Text).Msg("notification after shutdown began; not sent")
		return
	}
	for _, d := range n.ds {
		d.enqueue(b)
	}
}

// TakeFailed returns how many messages were given up since the last call.
func (n *Notifier) TakeFailed() int { return int(n.failed.Swap(0)) }

// Stats returns what each destination did, in settings order.
func (n *Notifier) Stats() []Stats {
	out := make([]Stats, len(n.ds))
	for i, d := range n.ds {
		out[i] = Stats{Name: d.dest.Name(), Sent: int(d.sent.Load()), Failed: int(d.failed.Load())}
	}
	return out
}

// Stats counts one destination's messages.
type Stats struct {
	Name   string
	Sent   int
	Failed int // given up: retries spent, a permanent error, dropped or cut off by shutdown
}

// Result is one destination's answer to Test.
type Result struct {
	Name string
	Err  error
}

// Test sends b to every destination now, one attempt each within the
// attempt timeout, and reports each result in settings order.
func (n *Notifier) Test(ctx context.Context, b Burst) []Result {
	if b.Text == "" {
		b.Text = Summarize(b)
	}
	out := make([]Result, len(n.ds))
	var wg sync.WaitGroup
	for i, d := range n.ds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			actx, cancel := context.WithTimeout(ctx, n.opt.AttemptTimeout)
			defer cancel()
			out[i] = Result{Name: d.dest.Name(), Err: d.dest.Send(actx, b)}
		}()
	}
	wg.Wait()
	return out
}

// Close delivers what is queued and stops, within ctx: at its deadline
// attempts in flight are cancelled and what is left counts as failed.
func (n *Notifier) Close(ctx context.Context) error {
	n.mu.Lock()
	already := n.closed
	n.closed = true
	n.mu.Unlock()
	if !already {
		for _, d := range n.ds {
			close(d.stop)
			d.cancelSoft() // no more rate-limit waits: send what is left now
		}
	}
	all := make(chan struct{})
	go func() {
		for _, d := range n.ds {
			<-d.done
		}
		close(all)
	}()
	select {
	case <-all:
		return nil
	case <-ctx.Done():
	}
	before := n.lost()
	for _, d := range n.ds {
		d.cancelHard()
	}
	<-all // Send honours its context: this is prompt
	if lost := n.lost() - before; lost > 0 {
		return fmt.Errorf("notify: %d messages not delivered before shutdown", lost)
	}
	return errors.New("notify: shutdown cut delivery short")
}

func (n *Notifier) lost() int {
	t := 0
	for _, d := range n.ds {
		t += int(d.failed.Load())
	}
	return t
}

// dispatcher owns one destination's queue and delivery goroutine.
type dispatcher struct {
	n    *Notifier
	dest Destination
	log  zerolog.Logger

	mu    sync.Mutex
	queue []Burst

	wake chan struct{} // a burst was queued
	stop chan struct{} // Close began
	done chan struct{} // the goroutine ended

	// hard ends attempts and retry waits (Close's deadline); soft, a child
	// of it, ends rate-limit waits (Close began).
	hard, soft             context.Context
	cancelHard, cancelSoft context.CancelFunc

	sent, failed atomic.Int64
}

func (d *dispatcher) enqueue(b Burst) {
	d.mu.Lock()
	var dropped *Burst
	if len(d.queue) >= d.n.opt.QueueSize {
		dropped = &d.queue[0]
		d.queue = d.queue[1:]
	}
	d.queue = append(d.queue, b)
	d.mu.Unlock()
	if dropped != nil {
		d.giveUp(*dropped, errors.New("queue full while the destination is slow or failing; dropped the oldest message"))
	}
	select {
	case d.wake <- struct{}{}:
	default: // already woken
	}
}

func (d *dispatcher) take() []Burst {
	d.mu.Lock()
	defer d.mu.Unlock()
	q := d.queue
	d.queue = nil
	return q
}

func (d *dispatcher) run() {
	defer close(d.done)
	defer d.cancelHard()
	for {
		select {
		case <-d.wake:
		case <-d.stop:
			if q := d.take(); len(q) > 0 {
				d.deliver(Merge(q))
			}
			return
		}
		q := d.take()
		if len(q) == 0 {
			continue
		}
		d.deliver(Merge(q))
		// The rate limit: whatever arrives meanwhile goes out as one message.
		_ = d.n.opt.Clock.Sleep(d.soft, d.n.opt.MinInterval)
	}
}

// deliver sends b, retrying what may pass, then gives up with a log line.
func (d *dispatcher) deliver(b Burst) {
	opt := d.n.opt
	wait := opt.Backoff
	var err error
	for attempt := 1; ; attempt++ {
		if d.hard.Err() != nil {
			err = errors.New("shutdown: not sent")
			break
		}
		actx, cancel := context.WithTimeout(d.hard, opt.AttemptTimeout)
		err = d.dest.Send(actx, b)
		cancel()
		if err == nil {
			d.sent.Add(1)
			d.log.Debug().Int("events", len(b.Events)).Int("attempt", attempt).Msg("notification delivered")
			return
		}
		var e *Error
		temporary, after := true, time.Duration(0)
		if errors.As(err, &e) {
			temporary, after = e.Temporary, e.RetryAfter
		}
		if !temporary || attempt >= opt.Attempts {
			break
		}
		pause := wait
		wait = min(wait*2, maxBackoff)
		if after > 0 {
			pause = after
		}
		if pause > opt.MaxWait {
			err = fmt.Errorf("%w; it asked to wait %s, longer than provwatch waits (%s)", err, pause, opt.MaxWait)
			break
		}
		d.log.Info().Err(err).Int("attempt", attempt).Dur("retry_in", pause).Msg("notification not delivered; will retry")
		if d.n.opt.Clock.Sleep(d.hard, pause) != nil {
			err = fmt.Errorf("%w; shutdown came before the retry", err)
			break
		}
	}
	d.giveUp(b, err)
}

func (d *dispatcher) giveUp(b Burst, err error) {
	d.failed.Add(1)
	d.n.failed.Add(1)
	d.log.Warn().Err(err).Int("events", len(b.Events)).Str("summary", b.Text).
		Msg("notification not delivered; giving up (counted in provwatch_notifications_failed_total)")
}
