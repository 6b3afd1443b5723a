package notify

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestWebhookRequestShape(t *testing.T) {
	t.Parallel()
	f := newFake(t, reply{status: 204})
	w := NewWebhook("webhook", f.URL+"/hooks/s3cr3t-path?key=s3cr3t-key", nil)
	if err := w.Send(context.Background(), failoverBurst()); err != nil {
		t.Fatal(err)
	}
	r := f.requests()[0]
	if r.Method != "POST" || r.Path != "/hooks/s3cr3t-path" || r.ContentType != "application/json" {
		t.Errorf("request = %s %s (%s)", r.Method, r.Path, r.ContentType)
	}
	got := decode(t, r.Body)
	want := decode(t, []byte(`{
		"version": 1, "source": "provwatch", "time": "2026-11-25T10:00:00Z",
		"text": "Failover: primary ollama/qwen3-coder -> groq/llama-3.3-70b-versatile: ollama/qwen3-coder is down (unreachable: connection refused at http://10.0.1.5:11434). Fix: start Ollama on 10.0.1.5 (ollama serve) or fix baseUrl",
		"events": [
			{"kind": "state", "ref": "ollama/qwen3-coder", "from": "healthy", "to": "down", "reason": "unreachable",
			 "detail": "connection refused at http://10.0.1.5:11434", "hint": "start Ollama on 10.0.1.5 (ollama serve) or fix baseUrl"},
			{"kind": "failover", "ref": "agents.defaults.model", "from": "ollama/qwen3-coder", "to": "groq/llama-3.3-70b-versatile", "reason": "unreachable", "detail": "",
			 "before": {"primary": "ollama/qwen3-coder", "fallbacks": ["groq/llama-3.3-70b-versatile", "anthropic/claude-sonnet-4-5"]},
			 "after": {"primary": "groq/llama-3.3-70b-versatile", "fallbacks": ["anthropic/claude-sonnet-4-5", "ollama/qwen3-coder"]}}
		],
		"order": {
			"before": {"primary": "ollama/qwen3-coder", "fallbacks": ["groq/llama-3.3-70b-versatile", "anthropic/claude-sonnet-4-5"]},
			"after": {"primary": "groq/llama-3.3-70b-versatile", "fallbacks": ["anthropic/claude-sonnet-4-5", "ollama/qwen3-coder"]}
		}
	}`))
	if jsonOf(t, got) != jsonOf(t, want) {
		t.Errorf("body\n got %s\nwant %s", jsonOf(t, got), jsonOf(t, want))
	}
}

func TestWebhookOrderOnlyWhenItMoved(t *testing.T) {
	t.Parallel()
	b := Burst{Events: []Event{{Kind: KindState, Ref: "groq/x", From: "healthy", To: "degraded", Reason: "slow"}}}
	p := decode(t, []byte(jsonOf(t, NewWebhookPayload(b))))
	if _, ok := p["order"]; ok {
		t.Errorf("order present although nothing moved: %v", p)
	}
	one := Burst{Before: &Order{Primary: "a/b"}, After: &Order{Primary: "c/d"}}
	if s := jsonOf(t, NewWebhookPayload(one)); !strings.Contains(s, `"order":{"before":{"primary":"a/b","fallbacks":[]},"after":{"primary":"c/d","fallbacks":[]}}`) {
		t.Errorf("fallbacks not written as [] : %s", s)
	}
}

// TestWebhookErrors: every failure is judged (retry or not) and worded
// without the URL's secret: the receiver echoes its last path segment.
func TestWebhookErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		rep        reply
		temporary  bool
		status     int
		retryAfter time.Duration
		msg        string
	}{
		{"404", reply{status: 404, body: "no such hook"}, false, 404, 0, "404 Not Found from HOST: no such hook (check the webhook URL and what the receiver expects)"},
		{"400 garbage", reply{status: 400, body: "\x00\x01\xff\xfe"}, false, 400, 0, "400 Bad Request from HOST: (a body that is not text)"},
		{"500 html", reply{status: 500, body: "<html>\n<body>Internal\tError</body></html>"}, true, 500, 0, "500 Internal Server Error from HOST: <html> <body>Internal Error</body></html>"},
		{"503 retry-after", reply{status: 503, header: map[string]string{"Retry-After": "30"}}, true, 503, 30 * time.Second, "503 Service Unavailable from HOST"},
		{"429", reply{status: 429, header: map[string]string{"Retry-After": "7"}, body: "slow down"}, true, 429, 7 * time.Second, "429 Too Many Requests from HOST: slow down"},
		{"echoes the secret", reply{status: 403, body: "forbidden for /hooks/s3cr3t-path"}, false, 403, 0, "403 Forbidden from HOST: forbidden for /hooks/[redacted] (check the webhook URL and what the receiver expects)"},
		// Redacted before the quote is cut at 200 characters: cutting first
		// would leave "s3cr3t" behind, which no redaction finds any more.
		{"echoes the secret at the cut", reply{status: 400, body: strings.Repeat("a", 185) + " /hooks/s3cr3t-path"}, false, 400, 0,
			"400 Bad Request from HOST: " + strings.Repeat("a", 185) + " /hooks/[redac…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, tt.rep)
			w := NewWebhook("webhook", f.URL+"/hooks/s3cr3t-path", nil)
			err := w.Send(context.Background(), failoverBurst())
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v (%T), want *Error", err, err)
			}
			want := strings.ReplaceAll(tt.msg, "HOST", strings.TrimPrefix(f.URL, "http://"))
			if e.Error() != want || e.Temporary != tt.temporary || e.Status != tt.status || e.RetryAfter != tt.retryAfter {
				t.Errorf("err = %q temporary %v status %d retry %s\nwant %q temporary %v status %d retry %s",
					e.Error(), e.Temporary, e.Status, e.RetryAfter, want, tt.temporary, tt.status, tt.retryAfter)
			}
			mustNotContain(t, "error", e.Error(), "s3cr3t")
		})
	}
}

// TestRedirectToAnotherHostRefused: the secret request is not replayed
// on another host.
func TestRedirectToAnotherHostRefused(t *testing.T) {
	t.Parallel()
	elsewhere := newFake(t, reply{status: 200})
	f := newFake(t, reply{status: 307, header: map[string]string{"Location": elsewhere.URL + "/collect"}})
	err := NewSlack("slack", f.URL+"/services/T0/B0/s3cr3t", nil).Send(context.Background(), failoverBurst())
	var e *Error
	if !errors.As(err, &e) || e.Temporary || !strings.Contains(e.Msg, "redirected the message to another host") {
		t.Fatalf("err = %v, want a refused redirect", err)
	}
	if n := len(elsewhere.requests()); n != 0 {
		t.Errorf("the other host received %d requests", n)
	}
	mustNotContain(t, "error", err.Error(), "s3cr3t")
}

func TestUnreachableAndHanging(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	url := f.URL + "/hook/s3cr3t"
	f.Close() // nothing listens there now
	err := NewWebhook("webhook", url, nil).Send(context.Background(), failoverBurst())
	var e *Error
	if !errors.As(err, &e) || !e.Temporary || !strings.Contains(e.Msg, "cannot reach 127.0.0.1") {
		t.Errorf("err = %v, want a temporary cannot-reach", err)
	}
	mustNotContain(t, "error", err.Error(), "s3cr3t")

	hold := make(chan struct{})
	defer close(hold)
	h := newFake(t, reply{status: 200, hold: hold})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- NewWebhook("webhook", h.URL+"/s3cr3t", nil).Send(ctx, failoverBurst()) }()
	h.next(t) // the request is in, and its answer held
	cancel()  // what the attempt's deadline does
	err = <-done
	if !errors.As(err, &e) || !e.Temporary || !strings.HasPrefix(e.Msg, "no answer from 127.0.0.1") {
		t.Errorf("err = %v, want a temporary no-answer", err)
	}
}
