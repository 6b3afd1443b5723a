package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"
)

// SNSAPI is the part of the SNS client the destination uses.
type SNSAPI interface {
	Publish(ctx context.Context, in *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)
}

var _ SNSAPI = (*sns.Client)(nil)

// SNS publishes to a topic: the subject is the headline (ASCII, under 100
// characters, as SNS requires), the message the summary and one line per
// event. A message attribute, kinds, lists the event kinds for
// subscription filter policies.
type SNS struct {
	name   string
	topic  string
	client SNSAPI
}

var _ Destination = (*SNS)(nil)

// NewSNS returns an SNS destination publishing to topicARN.
func NewSNS(name, topicARN string, client SNSAPI) *SNS {
	return &SNS{name: name, topic: topicARN, client: client}
}

// Name implements Destination.
func (s *SNS) Name() string { return s.name }

// SNS limits: a subject under 100 characters of printable ASCII with no
// line break; a message up to 256 KB (bytes, not characters).
const (
	snsSubjectMax = 99
	snsMessageMax = 256 << 10
)

// SNSSubject is the subject for b: "provwatch: " and the headline, in
// printable ASCII.
func SNSSubject(b Burst) string {
	head, _ := headline(b)
	s := asciiOnly("provwatch: " + head)
	if len(s) > snsSubjectMax {
		s = strings.TrimSpace(s[:snsSubjectMax-3]) + "..."
	}
	return s
}

func asciiOnly(s string) string {
	s = strings.NewReplacer("→", "->", "…", "...", "—", "-", "–", "-", "·", "-").Replace(s)
	var sb strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			sb.WriteByte(' ')
		case r >= 0x20 && r < 0x7f:
			sb.WriteRune(r)
		default:
			sb.WriteByte('?')
		}
	}
	return sb.String()
}

// SNSMessage is the message body for b.
func SNSMessage(b Burst) string {
	var sb strings.Builder
	sb.WriteString(b.Text)
	if lines := Lines(b); len(lines) > 1 {
		sb.WriteString("\n\n")
		// SNS counts bytes: half the limit leaves room for the summary and
		// the time whatever the characters.
		sb.WriteString(bulletList(lines, "- ", snsMessageMax/2, func(s string) string { return s }, func(s string) int { return len(s) }))
	}
	sb.WriteString("\n\n" + b.Time.UTC().Format("2006-01-02 15:04:05 UTC") + " - provwatch")
	return sb.String()
}

// Send implements Destination. The SDK already retries throttling and
// network errors; what it gives up on that may pass is marked temporary.
func (s *SNS) Send(ctx context.Context, b Burst) error {
	kinds := []string{}
	seen := map[string]bool{}
	for _, e := range b.Events {
		if !seen[e.Kind] {
			seen[e.Kind] = true
			kinds = append(kinds, e.Kind)
		}
	}
	in := &sns.PublishInput{
		TopicArn: aws.String(s.topic),
		Subject:  aws.String(SNSSubject(b)),
		Message:  aws.String(SNSMessage(b)),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"kinds": {DataType: aws.String("String"), StringValue: aws.String(strings.Join(kinds, ","))},
		},
	}
	if strings.HasSuffix(s.topic, ".fifo") {
		in.MessageGroupId = aws.String("provwatch")
		in.MessageDeduplicationId = aws.String(fmt.Sprintf("%d", b.Time.UnixNano()))
	}
	_, err := s.client.Publish(ctx, in)
	if err == nil {
		return nil
	}
	e := &Error{Msg: "publishing to " + s.topic + " failed: " + err.Error(), Temporary: true}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "AuthorizationError", "AccessDenied", "AccessDeniedException":
			e.Temporary, e.Hint = false, "grant sns:Publish on the topic to provwatch's role (docs/deploy.md)"
		case "NotFound", "NotFoundException":
			e.Temporary, e.Hint = false, "the topic does not exist in this account and region: check topic_arn and AWS_REGION"
		case "InvalidParameter", "InvalidParameterValue", "ValidationError":
			e.Temporary = false
		case "KMSAccessDenied", "KMSDisabled", "KMSInvalidState", "KMSNotFound":
			e.Temporary, e.Hint = false, "the topic is encrypted: allow provwatch kms:GenerateDataKey and kms:Decrypt on its key"
		}
	}
	if ctx.Err() != nil {
		e.Msg = "publishing to " + s.topic + ": no answer within the attempt's time limit"
	}
	return e
}
