package notify

import (
	"context"
	"net/http"
	"strings"

	"github.com/provwatch/provwatch/internal/text"
)

// Slack posts to an incoming webhook: text (the summary, also what the
// notification shows) and blocks (the summary, one line per event, when
// it happened).
type Slack struct {
	name string
	url  string // a secret: the path is the credential
	h    *httpSender
}

var _ Destination = (*Slack)(nil)

// NewSlack returns a Slack incoming-webhook destination.
func NewSlack(name, url string, rt http.RoundTripper) *Slack {
	return &Slack{name: name, url: url, h: newHTTPSender(rt, urlSecrets(url))}
}

// Name implements Destination.
func (s *Slack) Name() string { return s.name }

// Slack's documented limits: a section's text is at most 3000
// characters; a message at most 50 blocks.
const slackSectionMax = 3000

type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text,omitempty"`
	Elements []slackText `json:"elements,omitempty"`
}

type slackPayload struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

// slackEscape escapes the three characters Slack's mrkdwn reserves.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func slackMessage(b Burst) slackPayload {
	p := slackPayload{Text: slackEscape(b.Text)}
	p.Blocks = append(p.Blocks, slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn", Text: "*" + text.Truncate(slackEscape(b.Text), slackSectionMax-2) + "*"}})
	if lines := Lines(b); len(lines) > 1 {
		p.Blocks = append(p.Blocks, slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn",
			Text: bulletList(lines, "• ", slackSectionMax, slackEscape, runeLen)}})
	}
	p.Blocks = append(p.Blocks, slackBlock{Type: "context", Elements: []slackText{{Type: "mrkdwn",
		Text: "provwatch · " + b.Time.UTC().Format("2006-01-02 15:04:05 UTC")}}})
	return p
}

// bulletList joins lines, escaped, within max characters as size counts
// the shown text (runeLen for most services); the lines that do not fit
// are counted on a last line.
func bulletList(lines []string, bullet string, max int, esc func(string) string, size func(string) int) string {
	const reserve = len("\n… and 99999 more")
	var out []string
	used := 0
	for i, l := range lines {
		item := bullet + esc(l)
		need := used + size(item) + 1
		if need > max || (i < len(lines)-1 && need+reserve > max) {
			out = append(out, "… and "+itoa(len(lines)-i)+" more")
			break
		}
		out = append(out, item)
		used = need
	}
	return strings.Join(out, "\n")
}

// Send implements Destination. Slack answers 200 "ok"; errors come as
// 4xx with a word such as no_service or invalid_payload.
func (s *Slack) Send(ctx context.Context, b Burst) error {
	r, err := s.h.post(ctx, s.url, slackMessage(b))
	if err != nil || r.ok() {
		return err
	}
	word := snippet(r.body)
	hint := map[string]string{
		"no_service":          "the webhook was removed or the URL is wrong: create a new incoming webhook",
		"no_team":             "the workspace no longer exists or the URL is wrong",
		"channel_not_found":   "the channel was deleted: create a webhook for another channel",
		"channel_is_archived": "the channel is archived: unarchive it or create a webhook for another channel",
		"action_prohibited":   "an admin restricted posting to this channel",
		"invalid_payload":     "Slack refused the message's shape; please report this as a provwatch bug",
		"invalid_token":       "the webhook's token was revoked: create a new incoming webhook",
	}[word]
	return s.h.statusError(r, word, hint)
}
