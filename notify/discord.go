package notify

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/provwatch/provwatch/internal/httpx"
	"github.com/provwatch/provwatch/internal/text"
)

// Discord posts to a channel webhook (execute webhook): content is the
// summary, one embed lists the events, and mentions are switched off so
// that a model name never pings anyone.
type Discord struct {
	name string
	url  string // a secret: the path holds the webhook token
	h    *httpSender
}

var _ Destination = (*Discord)(nil)

// NewDiscord returns a Discord webhook destination.
func NewDiscord(name, url string, rt http.RoundTripper) *Discord {
	return &Discord{name: name, url: url, h: newHTTPSender(rt, urlSecrets(url))}
}

// Name implements Destination.
func (d *Discord) Name() string { return d.name }

// Discord's documented limits: content 2000 characters, an embed's title
// 256 and description 4096, a field's value 1024.
const (
	discordContentMax     = 2000
	discordTitleMax       = 256
	discordDescriptionMax = 4096
	discordFieldMax       = 1024
)

// Embed colours: red for trouble, green for a recovery, grey otherwise.
const (
	discordRed   = 0xD93F0B
	discordGreen = 0x2DA44E
	discordGrey  = 0x8C959F
)

type discordField struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Inline bool   `json:"inline,omitempty"`
}

type discordEmbed struct {
	Title       string         `json:"title"`
	Description string         `json:"description,omitempty"`
	Color       int            `json:"color"`
	Timestamp   string         `json:"timestamp"`
	Fields      []discordField `json:"fields,omitempty"`
}

type discordPayload struct {
	Content         string              `json:"content"`
	Embeds          []discordEmbed      `json:"embeds"`
	AllowedMentions map[string][]string `json:"allowed_mentions"`
}

// discordEscape keeps model names such as my_model_v2 from turning into
// markdown.
func discordEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "~", `\~`, "`", "\\`", "|", `\|`, ">", `\>`, "#", `\#`).Replace(s)
}

func discordMessage(b Burst) discordPayload {
	head, lead := headline(b)
	e := discordEmbed{
		Title:       text.Truncate(head, discordTitleMax),
		Description: bulletList(Lines(b), "• ", discordDescriptionMax, discordEscape, runeLen),
		Color:       colourOf(lead),
		Timestamp:   b.Time.UTC().Format(time.RFC3339),
	}
	if b.Before != nil && b.After != nil {
		e.Fields = []discordField{
			{Name: "Primary before", Value: text.Truncate(discordEscape(b.Before.Primary), discordFieldMax), Inline: true},
			{Name: "Primary now", Value: text.Truncate(discordEscape(b.After.Primary), discordFieldMax), Inline: true},
		}
	}
	return discordPayload{
		Content:         text.Truncate(discordEscape(b.Text), discordContentMax),
		Embeds:          []discordEmbed{e},
		AllowedMentions: map[string][]string{"parse": {}},
	}
}

func colourOf(lead *Event) int {
	if lead == nil {
		return discordGrey
	}
	switch {
	case lead.Kind == KindRestore || lead.partial || lead.Kind == KindAllDownOver || lead.To == "healthy":
		return discordGreen
	case lead.Kind == KindFailover || lead.Kind == KindAllDown || lead.Kind == KindTargetFailing || lead.To == "down" || lead.To == "degraded":
		return discordRed
	}
	return discordGrey
}

// discordError is Discord's error body; a 429 carries retry_after in
// seconds (a float), as does the Retry-After header.
type discordError struct {
	Message    string   `json:"message"`
	Code       int      `json:"code"`
	RetryAfter *float64 `json:"retry_after"`
	Global     bool     `json:"global"`
}

// Send implements Destination. Discord answers 204 No Content.
func (d *Discord) Send(ctx context.Context, b Burst) error {
	r, err := d.h.post(ctx, d.url, discordMessage(b))
	if err != nil || r.ok() {
		return err
	}
	var de discordError
	_ = json.Unmarshal(r.body, &de)
	hint := ""
	switch r.status {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound:
		hint = "the webhook was deleted or the URL is wrong: copy it again from the channel's Integrations > Webhooks"
	case http.StatusBadRequest:
		hint = "Discord refused the message's shape; please report this as a provwatch bug"
	}
	e := d.h.statusError(r, de.Message, hint)
	if r.status == http.StatusTooManyRequests && de.RetryAfter != nil {
		if ra, ok := httpx.RetryAfterSeconds(*de.RetryAfter); ok && ra > e.RetryAfter {
			e.RetryAfter = ra
		}
	}
	return e
}
