package notify

import (
	"context"
	"errors"
	"html"
	"regexp"
	"strings"
	"testing"
	"time"
)

const testToken = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"

func TestTelegramRequestShape(t *testing.T) {
	t.Parallel()
	f := newFake(t, reply{status: 200, body: `{"ok":true,"result":{"message_id":42,"chat":{"id":-1001234567890,"type":"supergroup"},"date":1764064800,"text":"…"}}`})
	tg := NewTelegram("telegram", f.URL+"/", testToken, "-1001234567890", nil)
	b := failoverBurst()
	b.Events[0].Detail = "answer <b>not json</b> & more"
	b.Text = Summarize(b)
	if err := tg.Send(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	r := f.requests()[0]
	if r.Method != "POST" || r.Path != "/bot"+testToken+"/sendMessage" || r.ContentType != "application/json" {
		t.Errorf("request = %s %s (%s)", r.Method, r.Path, r.ContentType)
	}
	want := `{"chat_id":"-1001234567890","text":"<b>Failover: primary ollama/qwen3-coder -&gt; groq/llama-3.3-70b-versatile: ollama/qwen3-coder is down (unreachable: answer &lt;b&gt;not json&lt;/b&gt; &amp; more). Fix: start Ollama on 10.0.1.5 (ollama serve) or fix baseUrl</b>\n` +
		`\n• ollama/qwen3-coder: healthy -&gt; down (unreachable: answer &lt;b&gt;not json&lt;/b&gt; &amp; more)` +
		`\n• failover agents.defaults.model: groq/llama-3.3-70b-versatile, then anthropic/claude-sonnet-4-5, ollama/qwen3-coder (was ollama/qwen3-coder, then groq/llama-3.3-70b-versatile, anthropic/claude-sonnet-4-5)",` +
		`"parse_mode":"HTML","link_preview_options":{"is_disabled":true}}`
	if string(r.Body) != want {
		t.Errorf("body\n got %s\nwant %s", r.Body, want)
	}
}

// TestTelegramLength: 4096 characters after entities parsing is
// sendMessage's limit; 500 events are cut with a count.
func TestTelegramLength(t *testing.T) {
	t.Parallel()
	b := Burst{Events: stateEvents(500)}
	b.Text = Summarize(b)
	text := telegramText(b)
	visible := html.UnescapeString(regexp.MustCompile(`</?b>`).ReplaceAllString(text, ""))
	if n := utf16Len(visible); n > 4096 {
		t.Errorf("visible text is %d UTF-16 units, Telegram allows 4096", n)
	}
	if !regexp.MustCompile(`\n… and \d+ more$`).MatchString(text) {
		t.Errorf("text does not end by counting what was cut: …%s", text[len(text)-60:])
	}
}

// TestTelegramErrors: the Bot API's error object gives the code, the
// words and, for 429, parameters.retry_after. The token never shows.
func TestTelegramErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		rep        reply
		want       string
		temporary  bool
		retryAfter time.Duration
	}{
		{"bad token", reply{status: 401, body: `{"ok":false,"error_code":401,"description":"Unauthorized"}`},
			"401 Unauthorized from HOST (check the bot token)", false, 0},
		{"unknown token", reply{status: 404, body: `{"ok":false,"error_code":404,"description":"Not Found"}`},
			"404 Not Found from HOST (check the bot token)", false, 0},
		{"chat not found", reply{status: 400, body: `{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}`},
			"400 Bad Request from HOST: Bad Request: chat not found (check chat_id, and that the bot was added to the chat)", false, 0},
		{"kicked", reply{status: 403, body: `{"ok":false,"error_code":403,"description":"Forbidden: bot was kicked from the supergroup chat"}`},
			"403 Forbidden from HOST: Forbidden: bot was kicked from the supergroup chat (the bot was blocked or removed: add it to the chat again)", false, 0},
		{"flood", reply{status: 429, body: `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 35","parameters":{"retry_after":35}}`},
			"429 Too Many Requests from HOST: Too Many Requests: retry after 35", true, 35 * time.Second},
		{"200 garbage", reply{status: 200, body: "<html>captive portal</html>"},
			`200 OK from HOST, but not the Bot API's {"ok":true}: <html>captive portal</html> (check api_url: it must be a Telegram Bot API server)`, false, 0},
		{"echoed token", reply{status: 502, body: "bad gateway for /bot" + testToken + "/sendMessage"},
			"502 Bad Gateway from HOST: bad gateway for /[redacted]/sendMessage", true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, tt.rep)
			err := NewTelegram("telegram", f.URL, testToken, "-1001234567890", nil).Send(context.Background(), failoverBurst())
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want *Error", err)
			}
			want := strings.ReplaceAll(tt.want, "HOST", f.Listener.Addr().String())
			if e.Error() != want || e.Temporary != tt.temporary || e.RetryAfter != tt.retryAfter {
				t.Errorf("err = %q temporary %v retry %s\nwant %q temporary %v retry %s", e.Error(), e.Temporary, e.RetryAfter, want, tt.temporary, tt.retryAfter)
			}
			mustNotContain(t, "error", e.Error(), testToken, "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw")
		})
	}
}
