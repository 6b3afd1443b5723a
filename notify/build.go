package notify

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/provwatch/provwatch/configs"
)

// Deps are what destinations need from outside.
type Deps struct {
	// Transport carries HTTP destinations' requests; nil: a default one.
	Transport http.RoundTripper
	// SNS returns the SNS client; called only when an sns: destination is
	// configured.
	SNS func(ctx context.Context) (SNSAPI, error)
}

// Build returns the destinations of the notify: settings, in order. A
// destination's name is its kind, or its settings path when the kind is
// configured more than once.
func Build(ctx context.Context, ds []configs.NotifyDestination, deps Deps) ([]Destination, error) {
	count := map[string]int{}
	for _, d := range ds {
		count[d.Kind]++
	}
	var out []Destination
	for _, d := range ds {
		name := d.Kind
		if count[d.Kind] > 1 {
			name = d.Path()
		}
		switch d.Kind {
		case configs.NotifyWebhook:
			out = append(out, NewWebhook(name, d.URL, deps.Transport))
		case configs.NotifySlack:
			out = append(out, NewSlack(name, d.URL, deps.Transport))
		case configs.NotifyDiscord:
			out = append(out, NewDiscord(name, d.URL, deps.Transport))
		case configs.NotifyTelegram:
			out = append(out, NewTelegram(name, d.APIURL, d.Token, d.ChatID, deps.Transport))
		case configs.NotifySNS:
			if deps.SNS == nil {
				return nil, fmt.Errorf("%s: no SNS client available", d.Path())
			}
			cli, err := deps.SNS(ctx)
			if err != nil {
				return nil, &configs.Error{File: "settings", Path: d.Path(), Msg: "needs AWS: " + err.Error(), Hint: "set AWS_REGION and credentials", Err: err}
			}
			out = append(out, NewSNS(name, d.TopicARN, cli))
		default:
			return nil, fmt.Errorf("%s: unknown destination kind", d.Path())
		}
	}
	return out, nil
}

// Sample is the burst `provwatch notify --test` sends: a made-up failover,
// so that each destination shows what a real message looks like.
func Sample(now time.Time) Burst {
	before := &Order{Primary: "ollama/qwen3-coder", Fallbacks: []string{"groq/llama-3.3-70b-versatile"}}
	after := &Order{Primary: "groq/llama-3.3-70b-versatile", Fallbacks: []string{"ollama/qwen3-coder"}}
	b := Burst{Time: now, Events: []Event{
		{Kind: KindTest, Detail: "This is a test from provwatch notify --test; the events below are made up."},
		{Kind: KindState, Ref: "ollama/qwen3-coder", From: "healthy", To: "down", Reason: "unreachable",
			Detail: "connection refused (sample)", Hint: "start Ollama on its host (ollama serve) or fix baseUrl"},
		{Kind: KindFailover, Ref: DefaultsPath, From: before.Primary, To: after.Primary, Before: before, After: after},
	}, Before: before, After: after}
	b.Text = "Test notification from provwatch: this destination works. A real one reads: Failover: primary ollama/qwen3-coder -> groq/llama-3.3-70b-versatile: ollama/qwen3-coder is down (unreachable: connection refused)"
	return b
}
