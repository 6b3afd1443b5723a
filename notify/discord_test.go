package notify

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestDiscordRequestShape(t *testing.T) {
	t.Parallel()
	f := newFake(t, reply{status: 204})
	d := NewDiscord("discord", f.URL+"/api/webhooks/123/s3cr3t", nil)
	b := failoverBurst()
	b.Events[0].Ref = "ollama/my_model"
	b.Text = Summarize(b)
	if err := d.Send(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	r := f.requests()[0]
	if r.Method != "POST" || r.Path != "/api/webhooks/123/s3cr3t" || r.ContentType != "application/json" {
		t.Errorf("request = %s %s (%s)", r.Method, r.Path, r.ContentType)
	}
	want := `{"content":"Failover: primary ollama/qwen3-coder -\\> groq/llama-3.3-70b-versatile: ollama/my\\_model is down (unreachable: connection refused at http://10.0.1.5:11434). Fix: start Ollama on 10.0.1.5 (ollama serve) or fix baseUrl",` +
		`"embeds":[{"title":"Failover: primary ollama/qwen3-coder -> groq/llama-3.3-70b-versatile",` +
		`"description":"• ollama/my\\_model: healthy -\\> down (unreachable: connection refused at http://10.0.1.5:11434)\n• failover agents.defaults.model: groq/llama-3.3-70b-versatile, then anthropic/claude-sonnet-4-5, ollama/qwen3-coder (was ollama/qwen3-coder, then groq/llama-3.3-70b-versatile, anthropic/claude-sonnet-4-5)",` +
		`"color":14237451,"timestamp":"2026-11-25T10:00:00Z",` +
		`"fields":[{"name":"Primary before","value":"ollama/qwen3-coder","inline":true},{"name":"Primary now","value":"groq/llama-3.3-70b-versatile","inline":true}]}],` +
		`"allowed_mentions":{"parse":[]}}`
	if string(r.Body) != want {
		t.Errorf("body\n got %s\nwant %s", r.Body, want)
	}
}

func TestDiscordLimits(t *testing.T) {
	t.Parallel()
	b := Burst{Events: stateEvents(500)}
	b.Text = Summarize(b)
	p := discordMessage(b)
	if n := runeLen(p.Content); n > discordContentMax {
		t.Errorf("content has %d characters", n)
	}
	if n := runeLen(p.Embeds[0].Description); n > discordDescriptionMax {
		t.Errorf("description has %d characters", n)
	}
}

// TestDiscordRateLimited: Discord's 429 says how long to wait in its JSON
// body (seconds, a float) as well as in Retry-After.
func TestDiscordRateLimited(t *testing.T) {
	t.Parallel()
	f := newFake(t, reply{status: 429, header: map[string]string{"Retry-After": "2", "Content-Type": "application/json"},
		body: `{"message": "You are being rate limited.", "retry_after": 2.5, "global": false}`})
	err := NewDiscord("discord", f.URL+"/api/webhooks/1/s3cr3t", nil).Send(context.Background(), failoverBurst())
	var e *Error
	if !errors.As(err, &e) || !e.Temporary || e.RetryAfter != 2500*time.Millisecond {
		t.Fatalf("err = %#v, want temporary, retry after 2.5s", err)
	}
	if want := "429 Too Many Requests from " + f.Listener.Addr().String() + ": You are being rate limited."; e.Msg != want {
		t.Errorf("msg = %s\nwant %s", e.Msg, want)
	}
}

// TestDiscordAbsurdRetryAfter: a retry_after no wait could mean (nearly
// three centuries; a larger one overflows a duration) is ignored, as
// Retry-After would be; the header's own value stands.
func TestDiscordAbsurdRetryAfter(t *testing.T) {
	t.Parallel()
	f := newFake(t, reply{status: 429, header: map[string]string{"Retry-After": "2", "Content-Type": "application/json"},
		body: `{"message": "You are being rate limited.", "retry_after": 9e9, "global": false}`})
	err := NewDiscord("discord", f.URL+"/api/webhooks/1/s3cr3t", nil).Send(context.Background(), failoverBurst())
	var e *Error
	if !errors.As(err, &e) || e.RetryAfter != 2*time.Second {
		t.Fatalf("err = %#v, want a retry after Retry-After's 2s", err)
	}
}

func TestDiscordUnknownWebhook(t *testing.T) {
	t.Parallel()
	f := newFake(t, reply{status: 404, body: `{"message": "Unknown Webhook", "code": 10015}`})
	err := NewDiscord("discord", f.URL+"/api/webhooks/1/s3cr3t", nil).Send(context.Background(), failoverBurst())
	want := "404 Not Found from " + f.Listener.Addr().String() + ": Unknown Webhook (the webhook was deleted or the URL is wrong: copy it again from the channel's Integrations > Webhooks)"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
}

// TestDiscordColour: trouble is red, a recovery green — a partial restore
// included, though its kind is failover — anything else grey.
func TestDiscordColour(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		lead *Event
		want int
	}{
		{&Event{Kind: KindFailover}, discordRed},
		{&Event{Kind: KindFailover, partial: true}, discordGreen},
		{&Event{Kind: KindRestore}, discordGreen},
		{&Event{Kind: KindState, To: "down"}, discordRed},
		{&Event{Kind: KindEdit}, discordGrey},
		{nil, discordGrey},
	} {
		if got := colourOf(tt.lead); got != tt.want {
			t.Errorf("colourOf(%+v) = %#x, want %#x", tt.lead, got, tt.want)
		}
	}
}
