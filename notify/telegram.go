package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"strings"
	"unicode/utf16"

	"github.com/provwatch/provwatch/internal/httpx"
	"github.com/provwatch/provwatch/internal/redact"
	"github.com/provwatch/provwatch/internal/text"
)

// DefaultTelegramAPI is the public Bot API server.
const DefaultTelegramAPI = "https://api.telegram.org"

// Telegram sends with the Bot API's sendMessage: the summary in bold, then
// one line per event, as HTML (the parse mode whose escaping is simplest:
// &, < and >).
type Telegram struct {
	name   string
	api    string // Bot API server, no trailing slash
	token  string // a secret: it is in the URL path
	chatID string
	h      *httpSender
}

var _ Destination = (*Telegram)(nil)

// NewTelegram returns a Telegram destination; api "" is the public server.
func NewTelegram(name, api, token, chatID string, rt http.RoundTripper) *Telegram {
	if api == "" {
		api = DefaultTelegramAPI
	}
	api = strings.TrimRight(api, "/")
	sec := &redact.Secrets{}
	sec.Add("bot" + token)
	sec.Add(token)
	return &Telegram{name: name, api: api, token: token, chatID: chatID, h: newHTTPSender(rt, sec)}
}

// Name implements Destination.
func (t *Telegram) Name() string { return t.name }

// telegramMax is sendMessage's limit, 4096 characters after entities
// parsing; counted in UTF-16 units as Telegram does, with room to spare.
const telegramMax = 4000

type telegramPayload struct {
	ChatID             string          `json:"chat_id"`
	Text               string          `json:"text"`
	ParseMode          string          `json:"parse_mode"`
	LinkPreviewOptions map[string]bool `json:"link_preview_options"`
}

// telegramText builds the HTML text; the visible text (tags and escapes
// parsed) stays within telegramMax.
func telegramText(b Burst) string {
	summary := html.EscapeString(text.Truncate(b.Text, 1000))
	lines := Lines(b)
	if len(lines) <= 1 {
		return "<b>" + summary + "</b>"
	}
	room := telegramMax - telegramLen(summary) - 1 // the summary and its line break
	return "<b>" + summary + "</b>\n\n" + bulletList(lines, "• ", room, html.EscapeString, telegramLen)
}

// telegramLen counts HTML text as sendMessage does: after entities
// parsing, in UTF-16 units.
func telegramLen(s string) int { return utf16Len(html.UnescapeString(s)) }

func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }

// telegramReply is every Bot API answer: ok, or an error with a code, a
// description and, for 429, parameters.retry_after in seconds.
type telegramReply struct {
	OK          *bool  `json:"ok"`
	ErrorCode   int    `json:"error_code"`
	Description string `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

// Send implements Destination. Success is HTTP 200 with {"ok":true}.
func (t *Telegram) Send(ctx context.Context, b Burst) error {
	r, err := t.h.post(ctx, t.api+"/bot"+t.token+"/sendMessage", telegramPayload{ChatID: t.chatID, Text: telegramText(b),
		ParseMode: "HTML", LinkPreviewOptions: map[string]bool{"is_disabled": true}})
	if err != nil {
		return err
	}
	var tr telegramReply
	jsonErr := json.Unmarshal(r.body, &tr)
	if r.status == http.StatusOK {
		if jsonErr == nil && tr.OK != nil && *tr.OK {
			return nil
		}
		return &Error{Status: r.status, Msg: t.h.scrub(fmt.Sprintf("200 OK from %s, but not the Bot API's {\"ok\":true}: %s", r.host, snippet(r.body))),
			Hint: "check api_url: it must be a Telegram Bot API server"}
	}
	hint := ""
	desc := tr.Description
	switch low := strings.ToLower(desc); {
	case strings.Contains(low, "chat not found"):
		hint = "check chat_id, and that the bot was added to the chat"
	case r.status == http.StatusUnauthorized || r.status == http.StatusNotFound:
		hint = "check the bot token" // a wrong token is 401 or 404 Not Found
	case r.status == http.StatusForbidden:
		hint = "the bot was blocked or removed: add it to the chat again"
	case r.status == http.StatusBadRequest:
		hint = "Telegram refused the message; check chat_id"
	}
	e := t.h.statusError(r, desc, hint)
	if ra, ok := httpx.RetryAfterSeconds(float64(tr.Parameters.RetryAfter)); r.status == http.StatusTooManyRequests && ok && ra > 0 {
		e.RetryAfter = ra
	}
	return e
}
