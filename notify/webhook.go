package notify

import (
	"context"
	"net/http"
	"time"
)

// Webhook posts the generic JSON message (docs/notifications.md) to any
// URL: one object with the summary text, the events and, when the
// defaults' chain moved, its order before and after.
type Webhook struct {
	name string
	url  string // a secret: never printed
	h    *httpSender
}

var _ Destination = (*Webhook)(nil)

// NewWebhook returns a generic webhook destination. rt nil: the default
// transport.
func NewWebhook(name, url string, rt http.RoundTripper) *Webhook {
	return &Webhook{name: name, url: url, h: newHTTPSender(rt, urlSecrets(url))}
}

// Name implements Destination.
func (w *Webhook) Name() string { return w.name }

// WebhookPayload is the generic webhook's JSON body.
type WebhookPayload struct {
	Version int           `json:"version"` // 1; a change that breaks readers bumps it
	Source  string        `json:"source"`  // "provwatch"
	Time    time.Time     `json:"time"`
	Text    string        `json:"text"`
	Events  []Event       `json:"events"`
	Order   *WebhookOrder `json:"order,omitempty"`
}

// WebhookOrder is agents.defaults.model before and after, in the written
// value's shape.
type WebhookOrder struct {
	Before *Order `json:"before"`
	After  *Order `json:"after"`
}

// NewWebhookPayload builds the body for b. Orders need no care: an Order
// already writes its fallbacks as [] rather than null, as the written value
// has.
func NewWebhookPayload(b Burst) WebhookPayload {
	p := WebhookPayload{Version: 1, Source: "provwatch", Time: b.Time.UTC(), Text: b.Text, Events: b.Events}
	if p.Events == nil {
		p.Events = []Event{}
	}
	if b.Before != nil || b.After != nil {
		p.Order = &WebhookOrder{Before: b.Before, After: b.After}
	}
	return p
}

// Send implements Destination: any 2xx is delivered.
func (w *Webhook) Send(ctx context.Context, b Burst) error {
	r, err := w.h.post(ctx, w.url, NewWebhookPayload(b))
	if err != nil || r.ok() {
		return err
	}
	hint := ""
	if r.status == http.StatusNotFound || r.status == http.StatusUnauthorized || r.status == http.StatusForbidden {
		hint = "check the webhook URL and what the receiver expects"
	}
	return w.h.statusError(r, "", hint)
}
