package configs

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const (
	testSlackURL = "https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX"
	testBotToken = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
)

func TestLoadSettingsNotify(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{"provwatch.yaml": `
notify:
  - webhook: { url: "https://example.org/hook?key=${HOOK_KEY}" }
  - slack: { url: "${SLACK_WEBHOOK_URL}" }
  - discord: { url: "https://discord.com/api/webhooks/123/abc" }
  - telegram: { token: "${TELEGRAM_BOT_TOKEN}", chat_id: "-1001234567890", api_url: "http://127.0.0.1:8081" }
  - sns: { topic_arn: "arn:aws:sns:us-east-1:123456789012:openclaw-alerts" }
`})
	env := envOf(map[string]string{"HOOK_KEY": "k1", "SLACK_WEBHOOK_URL": testSlackURL, "TELEGRAM_BOT_TOKEN": testBotToken})
	s, err := LoadSettings(filepath.Join(dir, "provwatch.yaml"), env)
	if err != nil {
		t.Fatal(err)
	}
	want := []NotifyDestination{
		{Kind: NotifyWebhook, URL: "https://example.org/hook?key=k1", Index: 0, line: 3, col: 5},
		{Kind: NotifySlack, URL: testSlackURL, Index: 1, line: 4, col: 5},
		{Kind: NotifyDiscord, URL: "https://discord.com/api/webhooks/123/abc", Index: 2, line: 5, col: 5},
		{Kind: NotifyTelegram, Token: testBotToken, ChatID: "-1001234567890", APIURL: "http://127.0.0.1:8081", Index: 3, line: 6, col: 5},
		{Kind: NotifySNS, TopicARN: "arn:aws:sns:us-east-1:123456789012:openclaw-alerts", Index: 4, line: 7, col: 5},
	}
	if !reflect.DeepEqual(s.Notify, want) {
		t.Errorf("got  %+v\nwant %+v", s.Notify, want)
	}
	// validate prints the destinations without a secret.
	sum := NotifySummary(s.Notify)
	if sum != "webhook (example.org), slack (hooks.slack.com), discord (discord.com), telegram (chat -1001234567890), sns (arn:aws:sns:us-east-1:123456789012:openclaw-alerts)" {
		t.Errorf("summary = %s", sum)
	}
	for _, secret := range []string{"k1", "XXXXsecretXXXX", "abc", "AAHdq"} {
		if strings.Contains(sum, secret) {
			t.Errorf("summary shows the secret %q: %s", secret, sum)
		}
	}
}

func TestLoadSettingsNotifyEnvReplacesFile(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{"provwatch.yaml": "notify:\n  - slack: { url: \"https://hooks.slack.com/services/a\" }\n"})
	env := envOf(map[string]string{
		"PROVWATCH_NOTIFY":   `[{"telegram": {"token": "${TELEGRAM_BOT_TOKEN}", "chat_id": "@provwatch_alerts"}}]`,
		"TELEGRAM_BOT_TOKEN": testBotToken,
	})
	s, err := LoadSettings(filepath.Join(dir, "provwatch.yaml"), env)
	if err != nil {
		t.Fatal(err)
	}
	want := []NotifyDestination{{Kind: NotifyTelegram, Token: testBotToken, ChatID: "@provwatch_alerts"}}
	if !reflect.DeepEqual(s.Notify, want) {
		t.Errorf("got %+v, want %+v", s.Notify, want)
	}
	// An empty list turns the file's destinations off.
	s, err = LoadSettings(filepath.Join(dir, "provwatch.yaml"), envOf(map[string]string{"PROVWATCH_NOTIFY": "[]"}))
	if err != nil || len(s.Notify) != 0 {
		t.Errorf("PROVWATCH_NOTIFY=[]: notify = %+v, err %v", s.Notify, err)
	}
}

// TestLoadSettingsNotifyErrors checks each rule's message: it names the
// key, and never shows a secret value.
func TestLoadSettingsNotifyErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		notify string
		env    map[string]string
		want   string
	}{
		{`{slack: {url: "x"}}`, nil, `PROVWATCH_NOTIFY: notify: must be a list of destinations (e.g. - slack: { url: "${SLACK_WEBHOOK_URL}" })`},
		{`[{slack: {url: "https://h/x"}, discord: {url: "https://h/y"}}]`, nil, `PROVWATCH_NOTIFY: notify[0]: must be a mapping with one key, the destination kind (webhook, slack, discord, telegram, sns)`},
		{`[{slakc: {url: "https://h/x"}}]`, nil, `PROVWATCH_NOTIFY: notify[0]: unknown destination kind "slakc" (did you mean "slack"?)`},
		{`[{slack: {webhook: "https://h/x"}}]`, nil, `PROVWATCH_NOTIFY: notify[0].slack.webhook: unknown key "webhook" (valid keys here: url)`},
		{`[{slack: {url: [a]}}]`, nil, `PROVWATCH_NOTIFY: notify[0].slack.url: must be a string, got a list`},
		{`[{slack: {}}]`, nil, `PROVWATCH_NOTIFY: notify[0].slack.url: is missing (the slack webhook URL, e.g. url: "${SLACK_WEBHOOK_URL}")`},
		{`[{slack: {url: "${SLACK_WEBHOOK_URL}"}}]`, nil, `PROVWATCH_NOTIFY: notify[0].slack.url: environment variable SLACK_WEBHOOK_URL is not set (set SLACK_WEBHOOK_URL in provwatch's environment)`},
		{`[{webhook: {url: "ftp://s3cr3t@example.org/x"}}]`, nil, `PROVWATCH_NOTIFY: notify[0].webhook.url: must be an http:// or https:// URL (the value is not shown: it is a secret)`},
		{`[{webhook: {url: "https://user:s3cr3t@example.org/x"}}]`, nil, `PROVWATCH_NOTIFY: notify[0].webhook.url: must not carry a user or password before the host (the value is not shown: it is a secret)`},
		{`[{webhook: {url: "https:///s3cr3t"}}]`, nil, `PROVWATCH_NOTIFY: notify[0].webhook.url: names no host (the value is not shown: it is a secret)`},
		{`[{telegram: {chat_id: "1"}}]`, nil, `PROVWATCH_NOTIFY: notify[0].telegram.token: is missing (the bot token from @BotFather, e.g. token: "${TELEGRAM_BOT_TOKEN}")`},
		{`[{telegram: {token: "${T}", chat_id: "1"}}]`, map[string]string{"T": "s3cr3t"}, `PROVWATCH_NOTIFY: notify[0].telegram.token: is not a Telegram bot token (digits, a colon, then letters, digits, _ or -) (copy it from @BotFather; the value is not shown: it is a secret)`},
		{`[{telegram: {token: "${T}"}}]`, map[string]string{"T": testBotToken}, `PROVWATCH_NOTIFY: notify[0].telegram.chat_id: is missing (the chat's id, e.g. "-1001234567890", or "@channelname")`},
		{`[{telegram: {token: "${T}", chat_id: "my group"}}]`, map[string]string{"T": testBotToken}, `PROVWATCH_NOTIFY: notify[0].telegram.chat_id: "my group" is not a chat id (a number such as -1001234567890, or @channelname)`},
		{`[{telegram: {token: "${T}", chat_id: "1", api_url: "localhost:8081"}}]`, map[string]string{"T": testBotToken}, `PROVWATCH_NOTIFY: notify[0].telegram.api_url: must be an http:// or https:// URL (leave it out for the public Bot API server)`},
		{`[{sns: {topic_arn: "openclaw-alerts"}}]`, nil, `PROVWATCH_NOTIFY: notify[0].sns.topic_arn: "openclaw-alerts" is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT_ID:TOPIC_NAME)`},
		{`[{slack: {url: "s3cr3t`, nil, `PROVWATCH_NOTIFY: notify: invalid YAML (the value is not shown: it may hold secrets) (write a YAML or JSON list, e.g. [{slack: {url: "${SLACK_WEBHOOK_URL}"}}])`},
	}
	for _, tt := range tests {
		env := map[string]string{"PROVWATCH_NOTIFY": tt.notify}
		for k, v := range tt.env {
			env[k] = v
		}
		_, err := LoadSettings("", envOf(env))
		var ce *Error
		if !errors.As(err, &ce) || !errors.Is(err, ErrConfig) {
			t.Errorf("%s: err = %v, want a *configs.Error", tt.notify, err)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.notify, err, tt.want)
		}
		if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("%s: the error shows the secret: %s", tt.notify, err)
		}
	}
}
