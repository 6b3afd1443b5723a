package notify

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestSlackRequestShape(t *testing.T) {
	t.Parallel()
	f := newFake(t, reply{status: 200, body: "ok"})
	s := NewSlack("slack", f.URL+"/services/T000/B000/s3cr3t", nil)
	b := failoverBurst()
	b.Events[0].Detail = "answer <html> & more"
	b.Text = Summarize(b)
	if err := s.Send(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	r := f.requests()[0]
	if r.Method != "POST" || r.Path != "/services/T000/B000/s3cr3t" || r.ContentType != "application/json" {
		t.Errorf("request = %s %s (%s)", r.Method, r.Path, r.ContentType)
	}
	want := `{"text":"Failover: primary ollama/qwen3-coder -&gt; groq/llama-3.3-70b-versatile: ollama/qwen3-coder is down (unreachable: answer &lt;html&gt; &amp; more). Fix: start Ollama on 10.0.1.5 (ollama serve) or fix baseUrl",` +
		`"blocks":[{"type":"section","text":{"type":"mrkdwn","text":"*Failover: primary ollama/qwen3-coder -&gt; groq/llama-3.3-70b-versatile: ollama/qwen3-coder is down (unreachable: answer &lt;html&gt; &amp; more). Fix: start Ollama on 10.0.1.5 (ollama serve) or fix baseUrl*"}},` +
		`{"type":"section","text":{"type":"mrkdwn","text":"• ollama/qwen3-coder: healthy -&gt; down (unreachable: answer &lt;html&gt; &amp; more)\n• failover agents.defaults.model: groq/llama-3.3-70b-versatile, then anthropic/claude-sonnet-4-5, ollama/qwen3-coder (was ollama/qwen3-coder, then groq/llama-3.3-70b-versatile, anthropic/claude-sonnet-4-5)"}},` +
		`{"type":"context","elements":[{"type":"mrkdwn","text":"provwatch · 2026-11-25 10:00:00 UTC"}]}]}`
	if string(r.Body) != want {
		t.Errorf("body\n got %s\nwant %s", r.Body, want)
	}
}

func TestSlackLimits(t *testing.T) {
	t.Parallel()
	b := Burst{Events: stateEvents(500)}
	b.Text = Summarize(b)
	p := slackMessage(b)
	for i, bl := range p.Blocks {
		if bl.Text != nil && runeLen(bl.Text.Text) > slackSectionMax {
			t.Errorf("block %d has %d characters, Slack allows %d", i, runeLen(bl.Text.Text), slackSectionMax)
		}
	}
	if list := p.Blocks[1].Text.Text; !strings.HasSuffix(list, " more") {
		t.Errorf("the list does not say how many did not fit: …%s", list[len(list)-40:])
	}
}

func TestSlackErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		rep  reply
		want string
	}{
		{reply{status: 404, body: "no_service"}, "404 Not Found from HOST: no_service (the webhook was removed or the URL is wrong: create a new incoming webhook)"},
		{reply{status: 410, body: "channel_is_archived"}, "410 Gone from HOST: channel_is_archived (the channel is archived: unarchive it or create a webhook for another channel)"},
		{reply{status: 403, body: "invalid_token"}, "403 Forbidden from HOST: invalid_token (the webhook's token was revoked: create a new incoming webhook)"},
	}
	for _, tt := range tests {
		f := newFake(t, tt.rep)
		err := NewSlack("slack", f.URL+"/services/T0/B0/s3cr3t", nil).Send(context.Background(), failoverBurst())
		var e *Error
		want := strings.ReplaceAll(tt.want, "HOST", strings.TrimPrefix(f.URL, "http://"))
		if !errors.As(err, &e) || e.Error() != want || e.Temporary {
			t.Errorf("err = %v\nwant %s", err, want)
		}
	}
}
