package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/provwatch/provwatch/internal/sim"
	"github.com/provwatch/provwatch/notify"
)

const testBotToken = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"

// hookServer records the generic webhook bodies it receives.
func hookServer(t *testing.T, status int) (*httptest.Server, chan notify.WebhookPayload) {
	t.Helper()
	got := make(chan notify.WebhookPayload, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p notify.WebhookPayload
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &p); err == nil {
			got <- p
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

func TestNotifyTestReportsEachDestination(t *testing.T) {
	t.Parallel()
	hook, got := hookServer(t, http.StatusNoContent)
	slack := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, "no_service")
	}))
	defer slack.Close()
	tg := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"ok":false,"error_code":401,"description":"Unauthorized"}`)
	}))
	defer tg.Close()
	dir := t.TempDir()
	cfg := writeFile(t, dir, "provwatch.yaml", `notify:
  - webhook: { url: "`+hook.URL+`/hooks/s3cr3t-hook" }
  - slack: { url: "${SLACK_WEBHOOK_URL}" }
  - telegram: { token: "${TELEGRAM_BOT_TOKEN}", chat_id: "-1001234567890", api_url: "`+tg.URL+`" }
`)
	env := []string{"SLACK_WEBHOOK_URL=" + slack.URL + "/services/T0/B0/s3cr3t-slack", "TELEGRAM_BOT_TOKEN=" + testBotToken}
	code, out, errOut := run(t, env, "notify", "--test", "--config", cfg)
	if code != 1 {
		t.Errorf("exit %d, want 1 (one destination failed); stderr:\n%s", code, errOut)
	}
	want := "webhook   ok\n" +
		"slack     failed: 404 Not Found from " + strings.TrimPrefix(slack.URL, "http://") + ": no_service (the webhook was removed or the URL is wrong: create a new incoming webhook)\n" +
		"telegram  failed: 401 Unauthorized from " + strings.TrimPrefix(tg.URL, "http://") + " (check the bot token)\n"
	if out != want {
		t.Errorf("stdout\n got %q\nwant %q", out, want)
	}
	p := <-got
	if len(p.Events) == 0 || p.Events[0].Kind != notify.KindTest || !strings.HasPrefix(p.Text, "Test notification from provwatch") {
		t.Errorf("sample = %+v", p)
	}
	for _, secret := range []string{"s3cr3t", testBotToken, "AAHdq"} {
		if strings.Contains(out+errOut, secret) {
			t.Errorf("output shows the secret %q:\n%s\n%s", secret, out, errOut)
		}
	}
}

func TestNotifyTestConfigErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name, settings string
		env            []string
		args           []string
		code           int
		want           string
	}{
		{"none", "schedule: \"@every 1m\"\n", nil, []string{"--test"}, 78, "notify: no destinations are configured"},
		{"bad token", "notify:\n  - telegram: { token: \"${TG}\", chat_id: \"1\" }\n", []string{"TG=s3cr3t-not-a-token"}, []string{"--test"}, 78,
			"notify[0].telegram.token: is not a Telegram bot token"},
		{"bad url", "notify:\n  - slack: { url: \"hooks.slack.com/services/s3cr3t\" }\n", nil, []string{"--test"}, 78,
			"notify[0].slack.url: must be an http:// or https:// URL"},
		{"no --test", "notify: []\n", nil, nil, 64, "pass --test"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := writeFile(t, dir, tt.name+".yaml", tt.settings)
			code, _, errOut := run(t, tt.env, append([]string{"notify", "--config", cfg}, tt.args...)...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut, tt.code, tt.want)
			}
			if strings.Contains(errOut, "s3cr3t") {
				t.Errorf("stderr shows the secret: %s", errOut)
			}
			if tt.code == 78 && tt.name != "none" {
				// validate refuses the same settings, naming the same key.
				code, _, vOut := run(t, tt.env, "validate", "--config", cfg)
				if code != 78 || !strings.Contains(vOut, tt.want) || strings.Contains(vOut, "s3cr3t") {
					t.Errorf("validate: exit %d, stderr %q", code, vOut)
				}
			}
		})
	}
}

// TestOnceNotifiesTheFailover: once with the primary refusing connections
// demotes it, rewrites the order and tells the webhook, in one message.
func TestOnceNotifiesTheFailover(t *testing.T) {
	t.Parallel()
	f, cfg := fleetConfig(t)
	hook, got := hookServer(t, http.StatusNoContent)
	dir := t.TempDir()
	order := filepath.Join(dir, "order.json")
	env := []string{"PROVWATCH_REMEDIATION_TARGET=file:" + order, "PROVWATCH_HEALTH_RECHECK_INTERVAL=10ms", "PROVWATCH_HEALTH_FAIL_AFTER=2",
		`PROVWATCH_NOTIFY=[{webhook: {url: "` + hook.URL + `/hook"}}]`}
	if code, _, errOut := run(t, env, "once", "--openclaw-config", cfg); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
	if err := f.Members()[0].SetFault(sim.Refused, sim.FaultParams{}); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := run(t, env, "once", "--openclaw-config", cfg); code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, errOut)
	}
	// The first once wrote the configured order: nothing moved, no message.
	p := <-got
	primary := f.Chain().Primary
	if !strings.HasPrefix(p.Text, "Failover: primary "+primary+" -> ") || p.Order == nil || p.Order.Before.Primary != primary {
		t.Fatalf("message = %+v", p)
	}
	var kinds []string
	for _, e := range p.Events {
		kinds = append(kinds, e.Kind)
	}
	if strings.Join(kinds, ",") != "state,failover" {
		t.Errorf("events %v, want the state change and the failover in one message", kinds)
	}
	if len(got) != 0 {
		t.Errorf("%d more messages, want 1 in all", len(got))
	}
}

// TestOnceCountsFailedNotificationsInTheMetrics: a destination that
// refuses the message is logged (without its secret) and counted in the
// NotificationsFailed metric.
func TestOnceCountsFailedNotificationsInTheMetrics(t *testing.T) {
	t.Parallel()
	f, cfg := fleetConfig(t)
	hook, _ := hookServer(t, http.StatusForbidden)
	order := filepath.Join(t.TempDir(), "order.json")
	env := []string{"PROVWATCH_REMEDIATION_TARGET=file:" + order, "PROVWATCH_HEALTH_RECHECK_INTERVAL=10ms", "PROVWATCH_HEALTH_FAIL_AFTER=2",
		"PROVWATCH_METRICS_SINK=emf", `PROVWATCH_NOTIFY=[{webhook: {url: "` + hook.URL + `/hooks/s3cr3t"}}]`}
	if code, _, errOut := run(t, env, "once", "--openclaw-config", cfg); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
	if err := f.Members()[0].SetFault(sim.Refused, sim.FaultParams{}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, env, "once", "--openclaw-config", cfg)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, errOut)
	}
	if !strings.Contains(out, `"NotificationsFailed":1`) {
		t.Errorf("no NotificationsFailed datum in the EMF lines:\n%s", out)
	}
	if !strings.Contains(errOut, "notification not delivered; giving up") || !strings.Contains(errOut, "403 Forbidden") {
		t.Errorf("no log line of the failure:\n%s", errOut)
	}
	if strings.Contains(out+errOut, "s3cr3t") {
		t.Errorf("the secret URL path was printed:\n%s", errOut)
	}
}
