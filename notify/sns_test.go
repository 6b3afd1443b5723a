package notify

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/provwatch/provwatch/internal/awstest"
)

func newMotoSNS(t *testing.T) *sns.Client {
	t.Helper()
	url := awstest.Start(t)
	return sns.NewFromConfig(awstest.Config(t), func(o *sns.Options) { o.BaseEndpoint = aws.String(url) })
}

// TestSNSPublishThroughMoto publishes with the real SDK client to moto,
// which delivers to an http subscription on loopback: what arrives is
// what SNS subscribers get.
func TestSNSPublishThroughMoto(t *testing.T) {
	t.Parallel()
	cli := newMotoSNS(t)
	ctx := context.Background()
	topic, err := cli.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("openclaw-alerts")})
	if err != nil {
		t.Fatal(err)
	}
	sub := newFake(t, reply{status: 200})
	if _, err := cli.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("http"), Endpoint: aws.String(sub.URL + "/sns")}); err != nil {
		t.Fatal(err)
	}

	b := failoverBurst()
	b.Events = append(b.Events, Event{Kind: KindState, Ref: "groq/llama-3.3-70b-versatile", From: "healthy", To: "degraded", Reason: "rate_limit", Detail: "8 % left → soon none"})
	b.Text = Summarize(b)
	if err := NewSNS("sns", *topic.TopicArn, cli).Send(ctx, b); err != nil {
		t.Fatal(err)
	}
	var got struct{ Type, Subject, Message, TopicArn string }
	for got.Type != "Notification" {
		r := sub.next(t)
		if err := json.Unmarshal(r.Body, &got); err != nil {
			t.Fatalf("moto posted %s: %v", r.Body, err)
		}
	}
	if want := "provwatch: Failover: primary ollama/qwen3-coder -> groq/llama-3.3-70b-versatile"; got.Subject != want {
		t.Errorf("subject = %q, want %q", got.Subject, want)
	}
	want := b.Text + "\n\n" +
		"- ollama/qwen3-coder: healthy -> down (unreachable: connection refused at http://10.0.1.5:11434)\n" +
		"- failover agents.defaults.model: groq/llama-3.3-70b-versatile, then anthropic/claude-sonnet-4-5, ollama/qwen3-coder (was ollama/qwen3-coder, then groq/llama-3.3-70b-versatile, anthropic/claude-sonnet-4-5)\n" +
		"- groq/llama-3.3-70b-versatile: healthy -> degraded (rate_limit: 8 % left → soon none)\n\n" +
		"2026-11-25 10:00:00 UTC - provwatch"
	if got.Message != want {
		t.Errorf("message\n got %q\nwant %q", got.Message, want)
	}
	if got.TopicArn != *topic.TopicArn {
		t.Errorf("topic = %s", got.TopicArn)
	}
}

// TestSNSSubject: under 100 characters of printable ASCII, whatever the
// model names hold.
func TestSNSSubject(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("ü", 150)
	b := Burst{Events: []Event{{Kind: KindFailover, Ref: DefaultsPath, From: "ollama/" + long, To: "groq/b\nc"}}}
	s := SNSSubject(b)
	if len(s) > 99 {
		t.Errorf("subject has %d characters", len(s))
	}
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			t.Fatalf("subject has %q: %s", r, s)
		}
	}
	if !strings.HasPrefix(s, "provwatch: Failover: primary ollama/???") || !strings.HasSuffix(s, "...") {
		t.Errorf("subject = %s", s)
	}
}

func TestSNSMissingTopic(t *testing.T) {
	t.Parallel()
	cli := newMotoSNS(t)
	err := NewSNS("sns", "arn:aws:sns:us-east-1:123456789012:nobody-made-this", cli).Send(context.Background(), failoverBurst())
	var e *Error
	if !errors.As(err, &e) || e.Temporary || !strings.Contains(e.Hint, "topic does not exist") {
		t.Errorf("err = %#v, want a permanent not-found with a hint", err)
	}
}

// TestSNSMessageLimit: SNS counts the 256 KB of a message in bytes; a
// burst of many events whose words are not ASCII stays within it.
func TestSNSMessageLimit(t *testing.T) {
	t.Parallel()
	b := Burst{Events: stateEvents(2000)}
	for i := range b.Events {
		b.Events[i].Detail = strings.Repeat("接続が拒否されました", 40)
	}
	b.Text = Summarize(b)
	m := SNSMessage(b)
	if len(m) > snsMessageMax {
		t.Errorf("message is %d bytes, SNS allows %d", len(m), snsMessageMax)
	}
	if !strings.Contains(m, " more\n") {
		t.Errorf("the list does not say how many did not fit")
	}
}
