package notify

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestBurstOfFiftyIsOneMessage: a round with 50 events becomes exactly one
// message at each destination.
func TestBurstOfFiftyIsOneMessage(t *testing.T) {
	t.Parallel()
	hook, slack, discord := newFake(t, reply{status: 204}), newFake(t, reply{status: 200, body: "ok"}), newFake(t, reply{status: 204})
	tg := newFake(t, reply{status: 200, body: `{"ok":true,"result":{}}`})
	var logs logBuffer
	n := New([]Destination{
		NewWebhook("webhook", hook.URL, nil), NewSlack("slack", slack.URL, nil),
		NewDiscord("discord", discord.URL, nil), NewTelegram("telegram", tg.URL, testToken, "1", nil),
	}, testOptions(&logs))
	n.Round(Round{Time: time.Now(), Events: stateEvents(50), Down: 50, Healthy: 1})
	if err := n.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]*fake{"webhook": hook, "slack": slack, "discord": discord, "telegram": tg} {
		if got := len(f.requests()); got != 1 {
			t.Errorf("%s got %d messages, want 1", name, got)
		}
	}
	var p WebhookPayload
	decodeInto(t, hook.requests()[0].Body, &p)
	if len(p.Events) != 50 || !strings.HasPrefix(p.Text, "50 models changed state") {
		t.Errorf("webhook got %d events, text %q", len(p.Events), p.Text)
	}
	for _, s := range n.Stats() {
		if s.Sent != 1 || s.Failed != 0 {
			t.Errorf("stats %+v", s)
		}
	}
}

// TestRetriesWithBackoffThenSuccess: 500, 500, then 200: three attempts,
// waiting 2 s then 4 s (on the fake clock).
func TestRetriesWithBackoffThenSuccess(t *testing.T) {
	t.Parallel()
	f := newFake(t, reply{status: 500}, reply{status: 500}, reply{status: 200})
	var logs logBuffer
	opt := testOptions(&logs)
	n := New([]Destination{NewWebhook("webhook", f.URL+"/s3cr3t", nil)}, opt)
	n.Submit(failoverBurst())
	if err := n.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := len(f.requests()); got != 3 {
		t.Errorf("%d attempts, want 3", got)
	}
	if got := retryWaits(opt); !reflect.DeepEqual(got, []time.Duration{2 * time.Second, 4 * time.Second}) {
		t.Errorf("waits %v, want [2s 4s]", got)
	}
	if n.TakeFailed() != 0 || n.Stats()[0].Sent != 1 {
		t.Errorf("stats %+v", n.Stats())
	}
	mustNotContain(t, "logs", logs.String(), "s3cr3t")
}

// TestRetryAfterIsHonoured: Discord and Telegram say how long to wait;
// that wait replaces the backoff.
func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	tg := newFake(t, reply{status: 429, body: `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 35","parameters":{"retry_after":35}}`},
		reply{status: 200, body: `{"ok":true,"result":{}}`})
	dc := newFake(t, reply{status: 429, body: `{"message":"You are being rate limited.","retry_after":1.5,"global":false}`}, reply{status: 204})
	for _, tt := range []struct {
		d    Destination
		f    *fake
		want time.Duration
	}{{NewTelegram("telegram", tg.URL, testToken, "1", nil), tg, 35 * time.Second}, {NewDiscord("discord", dc.URL, nil), dc, 1500 * time.Millisecond}} {
		var logs logBuffer
		opt := testOptions(&logs)
		n := New([]Destination{tt.d}, opt)
		n.Submit(failoverBurst())
		if err := n.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := retryWaits(opt); !reflect.DeepEqual(got, []time.Duration{tt.want}) {
			t.Errorf("%s: waits %v, want [%s]", tt.d.Name(), got, tt.want)
		}
		if len(tt.f.requests()) != 2 || n.Stats()[0].Sent != 1 {
			t.Errorf("%s: %d requests, stats %+v", tt.d.Name(), len(tt.f.requests()), n.Stats())
		}
		mustNotContain(t, "logs", logs.String(), testToken)
	}
}

// TestPermanentFailureIsNotRetried: a 4xx is logged and counted once, and
// neither the log nor the count leaks the secret URL.
func TestPermanentFailureIsNotRetried(t *testing.T) {
	t.Parallel()
	f := newFake(t, reply{status: 404, body: "no_service"})
	var logs logBuffer
	opt := testOptions(&logs)
	n := New([]Destination{NewSlack("slack", f.URL+"/services/T0/B0/s3cr3t", nil)}, opt)
	n.Submit(failoverBurst())
	_ = n.Close(context.Background())
	if got := len(f.requests()); got != 1 {
		t.Errorf("%d attempts, want 1", got)
	}
	if got := n.TakeFailed(); got != 1 {
		t.Errorf("TakeFailed = %d, want 1", got)
	}
	if got := n.TakeFailed(); got != 0 {
		t.Errorf("second TakeFailed = %d, want 0", got)
	}
	l := logs.String()
	if !strings.Contains(l, `"destination":"slack"`) || !strings.Contains(l, "no_service") || !strings.Contains(l, "giving up") {
		t.Errorf("log does not say what failed: %s", l)
	}
	mustNotContain(t, "logs", l, "s3cr3t", "/services/")
}

// TestAttemptsRunOut: a destination that keeps answering 503 is tried
// Attempts times, then given up.
func TestAttemptsRunOut(t *testing.T) {
	t.Parallel()
	f := newFake(t, reply{status: 503, body: "\x89PNG\r\n\x1a\n\x00\x00"})
	var logs logBuffer
	n := New([]Destination{NewWebhook("webhook", f.URL, nil)}, testOptions(&logs))
	n.Submit(failoverBurst())
	_ = n.Close(context.Background())
	if got := len(f.requests()); got != 4 {
		t.Errorf("%d attempts, want 4", got)
	}
	if n.TakeFailed() != 1 || !strings.Contains(logs.String(), "a body that is not text") {
		t.Errorf("stats %+v, logs %s", n.Stats(), logs.String())
	}
}

// TestTooLongRetryAfterGivesUp: a destination asking to wait longer than
// MaxWait fails the message rather than holding the queue.
func TestTooLongRetryAfterGivesUp(t *testing.T) {
	t.Parallel()
	f := newFake(t, reply{status: 429, header: map[string]string{"Retry-After": "3600"}})
	var logs logBuffer
	n := New([]Destination{NewWebhook("webhook", f.URL, nil)}, testOptions(&logs))
	n.Submit(failoverBurst())
	_ = n.Close(context.Background())
	if len(f.requests()) != 1 || n.TakeFailed() != 1 || !strings.Contains(logs.String(), "asked to wait 1h0m0s, longer than provwatch waits (5m0s)") {
		t.Errorf("%d requests, logs %s", len(f.requests()), logs.String())
	}
}

// TestHangingDestinationDoesNotBlock: while one destination holds its
// answer, rounds keep returning and the other destination keeps getting
// its messages. Proved with channels, not timing.
func TestHangingDestinationDoesNotBlock(t *testing.T) {
	t.Parallel()
	hold := make(chan struct{})
	hanging := newFake(t, reply{status: 200, hold: hold})
	fine := newFake(t, reply{status: 204})
	var logs logBuffer
	n := New([]Destination{NewWebhook("hanging", hanging.URL, nil), NewWebhook("fine", fine.URL, nil)}, testOptions(&logs))

	n.Round(Round{Events: stateEvents(1), Healthy: 1, Down: 1})
	hanging.next(t) // the hanging destination holds the first message
	fine.next(t)
	for i := 0; i < 3; i++ { // further rounds return at once, and reach the other destination
		n.Round(Round{Events: stateEvents(2), Healthy: 1, Down: 2})
		fine.next(t)
	}
	close(hold)
	if err := n.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	// What waited behind the hanging answer went out as one message.
	if got := len(hanging.requests()); got != 2 {
		t.Errorf("hanging destination got %d messages, want 2 (the first, then the rest merged)", got)
	}
	var p WebhookPayload
	decodeInto(t, hanging.requests()[1].Body, &p)
	if len(p.Events) != 6 {
		t.Errorf("merged message has %d events, want 6", len(p.Events))
	}
}

// TestCloseIsBounded: at Close's deadline a hanging attempt is cancelled,
// and the message counts as failed.
func TestCloseIsBounded(t *testing.T) {
	t.Parallel()
	hold := make(chan struct{})
	defer close(hold)
	hanging := newFake(t, reply{status: 200, hold: hold})
	var logs logBuffer
	n := New([]Destination{NewWebhook("webhook", hanging.URL+"/s3cr3t", nil)}, testOptions(&logs))
	n.Submit(failoverBurst())
	hanging.next(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the shutdown budget is spent
	err := n.Close(ctx)
	if err == nil || err.Error() != "notify: 1 messages not delivered before shutdown" {
		t.Errorf("Close = %v", err)
	}
	if n.TakeFailed() != 1 {
		t.Errorf("stats %+v", n.Stats())
	}
	mustNotContain(t, "logs", logs.String(), "s3cr3t")
}

func TestQueueIsBounded(t *testing.T) {
	t.Parallel()
	hold := make(chan struct{})
	hanging := newFake(t, reply{status: 204, hold: hold})
	var logs logBuffer
	opt := testOptions(&logs)
	opt.QueueSize = 2
	n := New([]Destination{NewWebhook("webhook", hanging.URL, nil)}, opt)
	n.Submit(failoverBurst())
	hanging.next(t) // in flight; the next ones queue
	for i := 0; i < 5; i++ {
		n.Submit(Burst{Events: stateEvents(1)})
	}
	if got := n.TakeFailed(); got != 3 {
		t.Errorf("dropped %d, want 3 (5 queued, room for 2)", got)
	}
	close(hold)
	_ = n.Close(context.Background())
	if !strings.Contains(logs.String(), "queue full") {
		t.Errorf("no log of the drop: %s", logs.String())
	}
}

// TestRoundEpisodes: target_failing after TargetFailAfter rounds in a row,
// once; all_down once per episode, and its end.
func TestRoundEpisodes(t *testing.T) {
	t.Parallel()
	f := newFake(t, reply{status: 204})
	var logs logBuffer
	opt := testOptions(&logs)
	opt.MinInterval = time.Nanosecond
	n := New([]Destination{NewWebhook("webhook", f.URL, nil)}, opt)
	targetErr := Event{Kind: KindTargetError, Ref: "ssm:/openclaw/model-order", Detail: "AccessDeniedException: not authorized to perform ssm:PutParameter"}
	rounds := []struct {
		r     Round
		kinds []string // of the message sent, nil: none
	}{
		{Round{Events: []Event{targetErr}, Healthy: 2}, nil},
		{Round{Events: []Event{targetErr}, Healthy: 2}, nil},
		{Round{Events: []Event{targetErr}, Healthy: 2}, []string{KindTargetFailing}},
		{Round{Events: []Event{targetErr}, Healthy: 2}, nil}, // same episode
		{Round{Healthy: 2}, nil},                             // ends it
		{Round{Events: []Event{stateEvents(1)[0]}, Down: 2}, []string{KindState, KindAllDown}},
		{Round{Down: 2}, nil},
		{Round{Events: []Event{{Kind: KindState, Ref: "ollama/a", From: "down", To: "healthy"}}, Healthy: 1, Down: 1}, []string{KindState, KindAllDownOver}},
	}
	sent := 0
	for i, tt := range rounds {
		n.Round(tt.r)
		if tt.kinds == nil {
			continue
		}
		sent++
		var p WebhookPayload
		decodeInto(t, f.next(t).Body, &p)
		var kinds []string
		for _, e := range p.Events {
			kinds = append(kinds, e.Kind)
		}
		if !reflect.DeepEqual(kinds, tt.kinds) {
			t.Errorf("round %d: kinds %v, want %v (%s)", i, kinds, tt.kinds, p.Text)
		}
	}
	_ = n.Close(context.Background())
	if got := len(f.requests()); got != sent {
		t.Errorf("%d messages, want %d", got, sent)
	}
}

func decodeInto(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
}
