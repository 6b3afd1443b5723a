package configs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInvalidConfigs loads one file per validation rule from
// testdata/invalid and checks the whole message a user would see: file,
// line:col, key path, what is wrong and what to do.
func TestInvalidConfigs(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"malformed-json5.json5":            `testdata/invalid/malformed-json5.json5:9:1: invalid JSON5: unexpected '}' after the end of the document`,
		"include-cycle.json5":              `testdata/invalid/parts/cycle-b.json5:2:13: $include: circular $include: testdata/invalid/include-cycle.json5 -> testdata/invalid/parts/cycle-b.json5 -> testdata/invalid/include-cycle.json5 (remove one of these includes)`,
		"include-depth.json5":              `testdata/invalid/deep/d10.json5:1:13: $include: $include nested deeper than 10 files: testdata/invalid/include-depth.json5 -> testdata/invalid/deep/d01.json5 -> testdata/invalid/deep/d02.json5 -> testdata/invalid/deep/d03.json5 -> testdata/invalid/deep/d04.json5 -> testdata/invalid/deep/d05.json5 -> testdata/invalid/deep/d06.json5 -> testdata/invalid/deep/d07.json5 -> testdata/invalid/deep/d08.json5 -> testdata/invalid/deep/d09.json5 -> testdata/invalid/deep/d10.json5 -> testdata/invalid/deep/d11.json5 (flatten the includes)`,
		"include-missing.json5":            `testdata/invalid/include-missing.json5:3:15: models.$include: $include "./parts/providers.json5": file testdata/invalid/parts/providers.json5 does not exist (paths are relative to the including file)`,
		"include-escape.json5":             `testdata/invalid/include-escape.json5:1:13: $include: $include "../openclaw-elsewhere.json5" leaves the config directory testdata/invalid (OpenClaw refuses includes outside the main config's directory; move the file next to it)`,
		"unknown-api.json5":                `testdata/invalid/unknown-api.json5:4:52: models.providers.corp.api: unknown api "openai-chat" (use one of: anthropic-messages, azure-openai-responses, bedrock-converse-stream, github-copilot, google-generative-ai, google-vertex, mistral-conversations, ollama, openai-chatgpt-responses, openai-codex-responses, openai-completions, openai-responses)`,
		"duplicate-model.json5":            `testdata/invalid/duplicate-model.json5:8:17: models.providers.ollama.models[1].id: duplicate model id "qwen3-coder" in provider ollama (first at 7:17) (remove one of them)`,
		"apikey-env-id.json5":              `testdata/invalid/apikey-env-id.json5:4:53: models.providers.lab.apiKey.id: an env secret's id must be the name of an environment variable (A-Z, 0-9, _; not shown here in case it is the key itself) (put the variable's name in id, e.g. {source: "env", id: "LAB_API_KEY"}, and the key in that variable)`,
		"settings-unknown-key.yaml":        `testdata/invalid/settings-unknown-key.yaml:2:1: helth: unknown key "helth" (did you mean "health"?)`,
		"settings-unknown-nested-key.yaml": `testdata/invalid/settings-unknown-nested-key.yaml:3:3: metrics.namspace: unknown key "namspace" (did you mean "namespace"?)`,
		"settings-yaml-syntax.yaml":        `testdata/invalid/settings-yaml-syntax.yaml:3: invalid YAML: did not find expected key`,
		"settings-bad-duration.yaml":       `testdata/invalid/settings-bad-duration.yaml:2:21: health.recheck_interval: must be a duration such as 10s, 5m or 1h, got "10"`,
		"settings-negative-timeout.yaml":   `testdata/invalid/settings-negative-timeout.yaml:1:10: timeout: must be longer than 0, got -5s`,
		"settings-bad-schedule.yaml":       `testdata/invalid/settings-bad-schedule.yaml:1:11: schedule: invalid schedule "* * * *": expected exactly 5 fields, found 4: [* * * *] (use 5 cron fields ("*/5 * * * *") or a descriptor ("@every 1m", "@hourly"))`,
		"settings-fail-after.yaml":         `testdata/invalid/settings-fail-after.yaml:2:15: health.fail_after: must be at least 1, got 0`,
		"settings-hold.yaml":               `testdata/invalid/settings-hold.yaml:2:13: health.min_hold: min_hold 2h0m0s is longer than max_hold 1h0m0s (raise health.max_hold or lower health.min_hold)`,
		"settings-headroom.yaml":           `testdata/invalid/settings-headroom.yaml:2:28: thresholds.min_rate_limit_headroom: must be between 0 and 1, got 10 (0.10 means 10% of the limit left)`,
		"settings-sink.yaml":               `testdata/invalid/settings-sink.yaml:2:9: metrics.sink: "datadog" is not one of auto, cloudwatch, emf, none`,
		"settings-probe-mode.yaml":         `testdata/invalid/settings-probe-mode.yaml:2:3: probes.openai.mode: "completion" is not one of list, generate, off`,
		"settings-target.yaml":             `testdata/invalid/settings-target.yaml:2:11: remediation.target: "ssm:" names no parameter (write ssm:/parameter/name)`,
		"settings-state.yaml":              `testdata/invalid/settings-state.yaml:1:8: state: "redis://cache:6379" is not one of auto, memory, file:/path, ssm:/parameter/name`,
		"settings-notify-kind.yaml":        `testdata/invalid/settings-notify-kind.yaml:3:5: notify[1]: unknown destination kind "teams" (valid keys here: webhook, slack, discord, telegram, sns)`,
		"settings-notify-url.yaml":         `testdata/invalid/settings-notify-url.yaml:2:5: notify[0].discord.url: must be an http:// or https:// URL (the value is not shown: it is a secret)`,
		"settings-notify-token.yaml":       `testdata/invalid/settings-notify-token.yaml:4:5: notify[2].telegram.token: is not a Telegram bot token (digits, a colon, then letters, digits, _ or -) (copy it from @BotFather; the value is not shown: it is a secret)`,
		"settings-schedule-every.yaml":     `testdata/invalid/settings-schedule-every.yaml:1:11: schedule: invalid schedule "@every -5m": the interval must be a whole number of seconds, at least 1s, got -5m0s (use 5 cron fields ("*/5 * * * *") or a descriptor ("@every 1m", "@hourly"))`,
		"settings-schedule-never.yaml":     `testdata/invalid/settings-schedule-never.yaml:2:11: schedule: schedule "0 0 30 2 *" never fires (no matching time in the next 5 years) (check the day and month fields)`,
		"settings-duplicate-key.yaml":      `testdata/invalid/settings-duplicate-key.yaml:3:3: health.fail_after: duplicate key "fail_after" (first at line 2) (remove one of them: YAML keeps only one)`,
		"settings-two-documents.yaml":      `testdata/invalid/settings-two-documents.yaml:3:1: a second YAML document (after ---): provwatch reads one (merge the documents into one)`,
		"settings-listen.yaml":             `testdata/invalid/settings-listen.yaml:2:11: http.listen: "999.1.1.1:99999": port 99999 is not a number from 0 to 65535 (e.g. ":9464" or "127.0.0.1:9464")`,
	}
	// Every file in the directory is a rule with an expected message.
	entries, err := os.ReadDir("testdata/invalid")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if _, ok := tests[e.Name()]; !ok && !e.IsDir() {
			t.Errorf("testdata/invalid/%s has no expected error in this table", e.Name())
		}
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join("testdata", "invalid", name)
			var err error
			if strings.HasSuffix(name, ".yaml") {
				_, err = LoadSettings(path, envOf(nil))
			} else {
				_, err = LoadOpenClaw(context.Background(), Source{Path: path, Getenv: envOf(nil)})
			}
			var ce *Error
			if !errors.As(err, &ce) || !errors.Is(err, ErrConfig) {
				t.Fatalf("err = %v (%T), want a *configs.Error", err, err)
			}
			if got := err.Error(); got != want {
				t.Errorf("\n got %s\nwant %s", got, want)
			}
		})
	}
}

// FuzzLoadOpenClaw feeds arbitrary documents through the resolver (no
// includes, no files): it must return either a config or an *Error, never
// panic, and every resolved provider must carry a flavour.
func FuzzLoadOpenClaw(f *testing.F) {
	for _, s := range []string{
		`{agents: {defaults: {model: 'ollama/q'}}}`,
		`{models: {providers: {x: {baseUrl: 'http://h:11434', models: [{id: 'a', contextWindow: 1}]}}}, agents: {defaults: {model: {primary: 'x/a', fallbacks: ['openai/b']}}}}`,
		`{agents: {list: [{id: 'a', model: 'groq/x'}], entries: {b: {model: {fallbacks: ['xai/y']}}}}}`,
		`{models: {providers: {p: {baseUrl: '${X}', apiKey: {source: 'env', id: 'K'}, headers: {a: 'b'}, authHeader: true}}}}`,
		`[1, 2]`, `{agents: {defaults: {models: {'anthropic/c': {alias: 's'}}, model: 's'}}}`,
		`{models: {providers: {p: {baseUrl: 'http://h', apiKey: 'k', models: [{id: 'a'}]}}}, agents: {defaults: {model: 'p/a'}}}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		d, err := ParseDoc("fuzz.json5", map[string][]byte{"fuzz.json5": []byte(src)}, envOf(map[string]string{"X": "http://x"}))
		if err != nil {
			return
		}
		oc, err := d.Resolve()
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) || ce.File != "fuzz.json5" {
				t.Fatalf("error %v (%T) is not a *Error naming the file", err, err)
			}
			return
		}
		for _, p := range oc.Providers {
			if p.Flavour == "" || p.ID != strings.ToLower(p.ID) {
				t.Fatalf("provider %+v lacks a flavour or a lower-case id", p)
			}
		}
		for _, c := range oc.Chains {
			for _, ref := range c.Refs() {
				rf, err := ParseRef(ref)
				if err != nil || oc.Provider(rf.Provider) == nil {
					t.Fatalf("chain ref %q has no provider", ref)
				}
			}
		}
	})
}
