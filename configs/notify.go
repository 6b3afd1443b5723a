package configs

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// notifyFields are the keys each destination kind takes; the first ones
// listed are required.
var notifyFields = map[string][]string{
	NotifyWebhook:  {"url"},
	NotifySlack:    {"url"},
	NotifyDiscord:  {"url"},
	NotifyTelegram: {"token", "chat_id", "api_url"},
	NotifySNS:      {"topic_arn"},
}

// keyError is a settings error below a key's own path (a list entry's
// field), with the position of the value that caused it.
type keyError struct {
	path      string
	line, col int
	msg, hint string
}

func (e *keyError) Error() string { return e.path + ": " + e.msg }

// setNotify takes the notify: list whole: each entry is a mapping with one
// key, the destination kind, whose value maps the kind's fields.
func setNotify(s *Settings, n *yaml.Node) error {
	s.Notify = nil // a list replaces the earlier one whole; [] turns notifications off
	if n.Kind == yaml.ScalarNode && (n.Tag == "!!null" || n.Value == "") {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		return &keyError{path: "notify", line: n.Line, col: n.Column,
			msg: "must be a list of destinations", hint: "e.g. - slack: { url: \"${SLACK_WEBHOOK_URL}\" }"}
	}
	var out []NotifyDestination
	for i, item := range n.Content {
		at := fmt.Sprintf("notify[%d]", i)
		if item.Kind != yaml.MappingNode || len(item.Content) != 2 {
			return &keyError{path: at, line: item.Line, col: item.Column,
				msg: "must be a mapping with one key, the destination kind (" + strings.Join(NotifyKinds, ", ") + ")"}
		}
		k, v := item.Content[0], item.Content[1]
		kind := k.Value
		fields, ok := notifyFields[kind]
		if !ok {
			return &keyError{path: at, line: k.Line, col: k.Column, msg: fmt.Sprintf("unknown destination kind %q", kind), hint: suggest(kind, NotifyKinds)}
		}
		at += "." + kind
		if v.Kind != yaml.MappingNode {
			return &keyError{path: at, line: v.Line, col: v.Column, msg: "must be a mapping of " + strings.Join(fields, ", ")}
		}
		d := NotifyDestination{Kind: kind, Index: i, line: k.Line, col: k.Column}
		for j := 0; j+1 < len(v.Content); j += 2 {
			fk, fv := v.Content[j], v.Content[j+1]
			field := at + "." + fk.Value
			if !slices.Contains(fields, fk.Value) {
				return &keyError{path: field, line: fk.Line, col: fk.Column, msg: fmt.Sprintf("unknown key %q", fk.Value), hint: suggest(fk.Value, fields)}
			}
			if fv.Kind != yaml.ScalarNode {
				return &keyError{path: field, line: fv.Line, col: fv.Column, msg: "must be a string, got a " + kindName(fv)}
			}
			switch fk.Value {
			case "url":
				d.URL = fv.Value
			case "token":
				d.Token = fv.Value
			case "chat_id":
				d.ChatID = fv.Value
			case "api_url":
				d.APIURL = fv.Value
			case "topic_arn":
				d.TopicARN = fv.Value
			}
		}
		out = append(out, d)
	}
	s.Notify = out
	return nil
}

var (
	// A Bot API token as @BotFather issues it: the bot's id, a colon, a
	// secret of letters, digits, '_' and '-'.
	telegramTokenRe = regexp.MustCompile(`^[0-9]{3,}:[A-Za-z0-9_-]{20,}$`)
	// A chat is a (possibly negative) number or a public @channelname.
	telegramChatRe = regexp.MustCompile(`^(-?[0-9]{1,20}|@[A-Za-z][A-Za-z0-9_]{3,})$`)
	// arn:partition:sns:region:account:topic (a FIFO topic ends in .fifo).
	snsTopicARNRe = regexp.MustCompile(`^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$`)
)

// validateNotify expands ${VAR} in every destination's values and checks
// them. Messages name the key and, for secrets, never the value.
func (l *settingsLoader) validateNotify() error {
	for i := range l.s.Notify {
		d := &l.s.Notify[i]
		fail := func(field, msg, hint string) *Error {
			e := l.failAt("notify", d.Path()+"."+field, msg, hint)
			if d.line > 0 {
				e.Line, e.Col = d.line, d.col
			}
			return e
		}
		for _, f := range []struct {
			name string
			v    *string
		}{{"url", &d.URL}, {"token", &d.Token}, {"chat_id", &d.ChatID}, {"api_url", &d.APIURL}, {"topic_arn", &d.TopicARN}} {
			v, name, err := substitute(*f.v, l.getenv)
			if err != nil {
				return fail(f.name, err.Error(), "set "+name+" in provwatch's environment")
			}
			*f.v = strings.TrimSpace(v)
		}
		switch d.Kind {
		case NotifyWebhook, NotifySlack, NotifyDiscord:
			if d.URL == "" {
				return fail("url", "is missing", "the "+d.Kind+" webhook URL, e.g. url: \"${"+strings.ToUpper(d.Kind)+"_WEBHOOK_URL}\"")
			}
			if msg := checkNotifyURL(d.URL); msg != "" {
				return fail("url", msg, "the value is not shown: it is a secret")
			}
		case NotifyTelegram:
			if d.Token == "" {
				return fail("token", "is missing", "the bot token from @BotFather, e.g. token: \"${TELEGRAM_BOT_TOKEN}\"")
			}
			if !telegramTokenRe.MatchString(d.Token) {
				return fail("token", "is not a Telegram bot token (digits, a colon, then letters, digits, _ or -)", "copy it from @BotFather; the value is not shown: it is a secret")
			}
			if d.ChatID == "" {
				return fail("chat_id", "is missing", "the chat's id, e.g. \"-1001234567890\", or \"@channelname\"")
			}
			if !telegramChatRe.MatchString(d.ChatID) {
				return fail("chat_id", fmt.Sprintf("%q is not a chat id (a number such as -1001234567890, or @channelname)", d.ChatID), "")
			}
			if d.APIURL != "" {
				if msg := checkNotifyURL(d.APIURL); msg != "" {
					return fail("api_url", msg, "leave it out for the public Bot API server")
				}
			}
		case NotifySNS:
			if d.TopicARN == "" {
				return fail("topic_arn", "is missing", "e.g. arn:aws:sns:us-east-1:123456789012:openclaw-alerts")
			}
			if !snsTopicARNRe.MatchString(d.TopicARN) {
				return fail("topic_arn", fmt.Sprintf("%q is not an SNS topic ARN", d.TopicARN), "arn:aws:sns:REGION:ACCOUNT_ID:TOPIC_NAME")
			}
		}
	}
	return nil
}

// checkNotifyURL returns "" for an absolute http(s) URL with a host, else
// why not — without quoting the URL, which carries a secret.
func checkNotifyURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "is not a valid URL"
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return "must be an http:// or https:// URL"
	}
	if u.Hostname() == "" {
		return "names no host"
	}
	if u.User != nil {
		return "must not carry a user or password before the host"
	}
	return ""
}

// NotifySummary describes the destinations for people, secrets left out:
// "slack, telegram (chat -1001234567890), sns (arn:…)".
func NotifySummary(ds []NotifyDestination) string {
	if len(ds) == 0 {
		return "none"
	}
	parts := make([]string, len(ds))
	for i, d := range ds {
		switch d.Kind {
		case NotifyTelegram:
			parts[i] = d.Kind + " (chat " + d.ChatID + ")"
		case NotifySNS:
			parts[i] = d.Kind + " (" + d.TopicARN + ")"
		default:
			host := ""
			if u, err := url.Parse(d.URL); err == nil {
				host = u.Hostname()
			}
			parts[i] = d.Kind + " (" + host + ")"
		}
	}
	return strings.Join(parts, ", ")
}
