package configs

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestLoadSettingsDefaults(t *testing.T) {
	t.Parallel()
	s, err := LoadSettings("", envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s, DefaultSettings()) {
		t.Errorf("got %+v, want the defaults", s)
	}
}

func TestLoadSettingsFileAndEnv(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{"provwatch.yaml": `
schedule: "*/2 * * * *"
timeout: 15s
thresholds:
  latency: 3s
health:
  fail_after: 2
probes:
  Ollama: { mode: generate, generate_every: 10m }
metrics:
  dimensions: {Deployment: staging}
  cloudwatch: { protocol: json }
remediation:
  target: file:/var/lib/provwatch/order.json
`})
	path := filepath.Join(dir, "provwatch.yaml")
	env := envOf(map[string]string{
		"PROVWATCH_TIMEOUT":                            "20s", // env beats the file
		"PROVWATCH_HEALTH_RECOVER_AFTER":               "5",
		"PROVWATCH_METRICS_DIMENSIONS":                 "{Deployment: prod, Team: ml}",
		"PROVWATCH_REMEDIATION_DROP_DOWN":              "true",
		"PROVWATCH_THRESHOLDS_MIN_RATE_LIMIT_HEADROOM": "0.25",
		"PROVWATCH_STATE":                              "ssm:/provwatch/state",
		"PROVWATCH_HTTP_LISTEN":                        "127.0.0.1:9000",
		"PROVWATCH_CONFIG":                             "ignored: an input path, not a key",
		"PROVWATCH_OPENCLAW_CONFIG":                    "ignored too",
	})
	s, err := LoadSettings(path, env)
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultSettings()
	want.Path = path
	want.Schedule = "*/2 * * * *"
	want.Timeout = 20 * time.Second
	want.Thresholds.Latency = 3 * time.Second
	want.Thresholds.MinRateLimitHeadroom = 0.25
	want.Health.FailAfter = 2
	want.Health.RecoverAfter = 5
	want.Probes = map[string]ProbeSettings{"ollama": {Mode: ModeGenerate, GenerateEvery: 10 * time.Minute}}
	want.Metrics.Dimensions = map[string]string{"Deployment": "prod", "Team": "ml"}
	want.Metrics.CloudWatch.Protocol = "json"
	want.Remediation = Remediation{Target: Location{Scheme: SchemeFile, Path: "/var/lib/provwatch/order.json"}, DropDown: true}
	want.State = Location{Scheme: SchemeSSM, Path: "/provwatch/state"}
	want.HTTP.Listen = "127.0.0.1:9000"
	if !reflect.DeepEqual(s, want) {
		t.Errorf("got  %+v\nwant %+v", s, want)
	}
	if got := s.ProbeMode("groq"); got.Mode != ModeList {
		t.Errorf("ProbeMode(groq) = %+v, want list", got)
	}
}

// TestSettingsEveryKeyHasEnv sets every key through its variable, so a key
// added without an env override fails here.
func TestSettingsEveryKeyHasEnv(t *testing.T) {
	t.Parallel()
	vals := map[string]string{
		"schedule": "@hourly", "timeout": "1s", "concurrency": "4", "thresholds.latency": "2s",
		"thresholds.min_context_window": "32000", "thresholds.min_rate_limit_headroom": "0.5",
		"health.fail_after": "4", "health.recover_after": "6", "health.recheck_interval": "3s",
		"health.min_hold": "1m", "health.max_hold": "2h", "liveness.every": "0s", "liveness.timeout": "500ms",
		"probes":       `{"groq": {"mode": "off"}}`,
		"metrics.sink": "emf", "metrics.namespace": "X/Y", "metrics.dimensions": `{"A": "b"}`,
		"metrics.detail": "basic", "metrics.cloudwatch.protocol": "query",
		"remediation.target": "openclaw:/etc/openclaw/openclaw.json", "remediation.drop_down": "true",
		"state": "file:/var/lib/provwatch/state.json", "http.listen": ":8080",
		"notify": `[{"sns": {"topic_arn": "arn:aws:sns:us-east-1:123456789012:alerts"}}]`,
	}
	env := map[string]string{}
	for _, k := range SettingsKeys() {
		v, ok := vals[k]
		if !ok {
			t.Fatalf("no test value for key %s", k)
		}
		env[EnvName(k)] = v
	}
	s, err := LoadSettings("", envOf(env))
	if err != nil {
		t.Fatal(err)
	}
	want := Settings{
		Schedule: "@hourly", Timeout: time.Second, Concurrency: 4,
		Thresholds:  Thresholds{Latency: 2 * time.Second, MinContextWindow: 32000, MinRateLimitHeadroom: 0.5},
		Health:      Health{FailAfter: 4, RecoverAfter: 6, RecheckInterval: 3 * time.Second, MinHold: time.Minute, MaxHold: 2 * time.Hour},
		Liveness:    Liveness{Every: 0, Timeout: 500 * time.Millisecond},
		Probes:      map[string]ProbeSettings{"groq": {Mode: ModeOff}},
		Metrics:     Metrics{Sink: "emf", Namespace: "X/Y", Dimensions: map[string]string{"A": "b"}, Detail: "basic", CloudWatch: CloudWatch{Protocol: "query"}},
		Remediation: Remediation{Target: Location{Scheme: SchemeOpenClaw, Path: "/etc/openclaw/openclaw.json"}, DropDown: true},
		State:       Location{Scheme: SchemeFile, Path: "/var/lib/provwatch/state.json"}, HTTP: HTTP{Listen: ":8080"},
		Notify: []NotifyDestination{{Kind: NotifySNS, TopicARN: "arn:aws:sns:us-east-1:123456789012:alerts"}},
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("got  %+v\nwant %+v", s, want)
	}
}

func TestLoadSettingsEnvErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"PROVWATCH_HEALTH_FAIL_AFTER": "three"}, `PROVWATCH_HEALTH_FAIL_AFTER: health.fail_after: must be a whole number, got "three"`},
		{map[string]string{"PROVWATCH_HEALTH_FAIL_AFTER": "0"}, `PROVWATCH_HEALTH_FAIL_AFTER: health.fail_after: must be at least 1, got 0`},
		{map[string]string{"PROVWATCH_TIMEOUT": "10"}, `PROVWATCH_TIMEOUT: timeout: must be a duration such as 10s, 5m or 1h, got "10"`},
		{map[string]string{"PROVWATCH_METRICS_DIMENSIONS": "{Deployment: "}, `PROVWATCH_METRICS_DIMENSIONS: metrics.dimensions: invalid YAML: did not find expected node content (write inline YAML or JSON, e.g. {Deployment: prod})`},
		{map[string]string{"PROVWATCH_METRICS_CLOUDWATCH_PROTOCOL": "xml"}, `PROVWATCH_METRICS_CLOUDWATCH_PROTOCOL: metrics.cloudwatch.protocol: "xml" is not one of cbor, json, query`},
		{map[string]string{"PROVWATCH_REMEDIATION_TARGET": "s3://bucket"}, `PROVWATCH_REMEDIATION_TARGET: remediation.target: "s3://bucket" is not one of none, ssm:/parameter/name, file:/path, openclaw:/path`},
		{map[string]string{"PROVWATCH_SCHEDULE": "every minute"}, `PROVWATCH_SCHEDULE: schedule: invalid schedule "every minute": expected exactly 5 fields, found 2: [every minute] (use 5 cron fields ("*/5 * * * *") or a descriptor ("@every 1m", "@hourly"))`},
	}
	for _, tt := range tests {
		_, err := LoadSettings("", envOf(tt.env))
		if err == nil || err.Error() != tt.want || !errors.Is(err, ErrConfig) {
			t.Errorf("env %v:\n got %v\nwant %s", tt.env, err, tt.want)
		}
	}
}

func TestSuggest(t *testing.T) {
	t.Parallel()
	if got := suggest("helth", childKeys("")); got != `did you mean "health"?` {
		t.Errorf("suggest(helth) = %s", got)
	}
	if got := suggest("zzzzzzzzzz", childKeys("http")); got != "valid keys here: listen" {
		t.Errorf("suggest(far) = %s", got)
	}
}

// TestUnknownEnv: a PROVWATCH_* variable that is no setting is named with
// the nearest real one, instead of being silently ignored.
func TestUnknownEnv(t *testing.T) {
	t.Parallel()
	got := UnknownEnv([]string{
		"PROVWATCH_SCHEDULE=@every 1m", "PROVWATCH_SHEDULE=@every 5m", "PROVWATCH_HEALTH_FAIL_AFTR=5",
		"PROVWATCH_LOG_LEVEL=debug", "PROVWATCH_CONFIG=x.yaml", "PROVWATCH_FOLLOW_EVERY=5s",
		"PROVWATCH_TEST_MAIN=1", "PATH=/bin", "PROVWATCH_HEALTH=x", "provwatch_schedule=lower",
	})
	want := []string{
		`PROVWATCH_SHEDULE is not a provwatch variable and is ignored (did you mean PROVWATCH_SCHEDULE?)`,
		`PROVWATCH_HEALTH_FAIL_AFTR is not a provwatch variable and is ignored (did you mean PROVWATCH_HEALTH_FAIL_AFTER?)`,
		`PROVWATCH_HEALTH is not a provwatch variable and is ignored (a setting's variable is PROVWATCH_ and its key path, e.g. PROVWATCH_HEALTH_FAIL_AFTER)`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("UnknownEnv:\n got %q\nwant %q", got, want)
	}
}

// TestCycleDeadline: a cycle's probing may take the schedule's interval
// (a scrape may not outlast its interval in Prometheus either), and never
// less than one probe's timeout.
func TestCycleDeadline(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 25, 10, 0, 30, 0, time.UTC)
	for _, tc := range []struct {
		schedule string
		timeout  time.Duration
		want     time.Duration
	}{
		{"@every 1m", 10 * time.Second, time.Minute},
		{"*/5 * * * *", 10 * time.Second, 5 * time.Minute},
		{"@hourly", 10 * time.Second, time.Hour},
		{"@every 5s", 10 * time.Second, 10 * time.Second},
	} {
		s := DefaultSettings()
		s.Schedule, s.Timeout = tc.schedule, tc.timeout
		if got := s.CycleDeadline(now); got != tc.want {
			t.Errorf("%s, timeout %s: CycleDeadline = %s, want %s", tc.schedule, tc.timeout, got, tc.want)
		}
	}
}

// TestZeroMeansOff: "no hold" and "no liveness checks" are natural
// settings; a negative duration is refused, saying what 0s means.
func TestZeroMeansOff(t *testing.T) {
	t.Parallel()
	s, err := LoadSettings("", envOf(map[string]string{"PROVWATCH_HEALTH_MIN_HOLD": "0s", "PROVWATCH_HEALTH_MAX_HOLD": "0s", "PROVWATCH_LIVENESS_EVERY": "0s"}))
	if err != nil || s.Health.MinHold != 0 || s.Health.MaxHold != 0 || s.Liveness.Every != 0 {
		t.Fatalf("zero holds and liveness: %+v, %v", s, err)
	}
	_, err = LoadSettings("", envOf(map[string]string{"PROVWATCH_HEALTH_MIN_HOLD": "-1m"}))
	if err == nil || !strings.Contains(err.Error(), "must not be negative") || !strings.Contains(err.Error(), "0s means no hold") {
		t.Fatalf("negative min_hold: %v", err)
	}
}
