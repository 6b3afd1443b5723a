package deploy

import (
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/provwatch/provwatch/configs"
)

// defaultPort is the port of the default http.listen (":9464").
func defaultPort(t *testing.T) int {
	t.Helper()
	_, p, err := net.SplitHostPort(configs.DefaultSettings().HTTP.Listen)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestECSTaskDefinition(t *testing.T) {
	t.Parallel()
	td := loadJSON(t, "ecs-task-definition.json")

	if got := strs(td["requiresCompatibilities"]); !slices.Equal(got, []string{"FARGATE"}) {
		t.Errorf("requiresCompatibilities = %v, want [FARGATE]", got)
	}
	if td["networkMode"] != "awsvpc" {
		t.Errorf("networkMode = %v, Fargate needs awsvpc", td["networkMode"])
	}
	if td["taskRoleArn"] == nil || td["executionRoleArn"] == nil {
		t.Error("taskRoleArn (iam-policy.json) and executionRoleArn (image pull, secrets) are both needed")
	}

	containers, _ := td["containerDefinitions"].([]any)
	if len(containers) != 1 {
		t.Fatalf("%d containers, want 1", len(containers))
	}
	c := containers[0].(map[string]any)
	if c["name"] != "provwatch" || c["essential"] != true {
		t.Errorf("container name=%v essential=%v, want provwatch/true", c["name"], c["essential"])
	}
	if img, _ := c["image"].(string); !strings.Contains(img, ":") || strings.HasSuffix(img, ":latest") {
		t.Errorf("image %q is not pinned to a tag", img)
	}
	if got := strs(c["command"]); !slices.Equal(got, []string{"run"}) {
		t.Errorf("command = %v, want [run] (the daemon)", got)
	}

	// No shell in the image: the health check runs the binary itself.
	hc, _ := c["healthCheck"].(map[string]any)
	cmd, _ := hc["command"].([]any)
	if want := []any{"CMD", "/provwatch", "healthcheck"}; !slices.Equal(cmd, want) {
		t.Errorf("healthCheck.command = %v, want %v", cmd, want)
	}
	// healthcheck gives up after 5 s; a shorter ECS timeout would kill it first.
	if to, _ := hc["timeout"].(float64); to < 5 {
		t.Errorf("healthCheck.timeout = %v s, want at least 5", to)
	}

	// SIGTERM, then SIGKILL after stopTimeout; Fargate caps it at 120 and the
	// daemon finishes its cycle well within 30.
	if st, ok := c["stopTimeout"].(float64); !ok || st <= 0 || st > 30 {
		t.Errorf("stopTimeout = %v, want 1..30", c["stopTimeout"])
	}

	ports, _ := c["portMappings"].([]any)
	if len(ports) != 1 || path(ports[0], "containerPort") != float64(defaultPort(t)) {
		t.Errorf("portMappings = %v, want the default listen port %d", ports, defaultPort(t))
	}

	logs, _ := c["logConfiguration"].(map[string]any)
	if logs["logDriver"] != "awslogs" {
		t.Errorf("logDriver = %v, want awslogs", logs["logDriver"])
	}
	for _, k := range []string{"awslogs-group", "awslogs-region", "awslogs-stream-prefix"} {
		if path(logs, "options", k) == nil {
			t.Errorf("logConfiguration.options.%s missing", k)
		}
	}

	env := map[string]string{}
	for _, e := range c["environment"].([]any) {
		name, _ := path(e, "name").(string)
		value, _ := path(e, "value").(string)
		env[name] = value
		if strings.HasPrefix(name, "PROVWATCH_") {
			if err := checkSetting(name, value); err != nil {
				t.Error(err)
			}
		}
		if looksSecret(name) {
			t.Errorf("environment %s looks like a secret: put it in secrets (valueFrom)", name)
		}
	}
	wantEnv := map[string]string{
		"PROVWATCH_OPENCLAW_CONFIG":    "ssm:" + paramConfig,
		"PROVWATCH_REMEDIATION_TARGET": "ssm:" + paramOrder,
		"PROVWATCH_STATE":              "ssm:" + paramState,
		"PROVWATCH_METRICS_NAMESPACE":  configs.DefaultSettings().Metrics.Namespace,
	}
	for k, v := range wantEnv {
		if env[k] != v {
			t.Errorf("%s = %q, want %q (the IAM policy grants exactly that)", k, env[k], v)
		}
	}
	if s := env["PROVWATCH_METRICS_SINK"]; s != "cloudwatch" && s != "emf" {
		t.Errorf("PROVWATCH_METRICS_SINK = %q, want cloudwatch or emf", s)
	}

	secrets, _ := c["secrets"].([]any)
	if len(secrets) == 0 {
		t.Error("no secrets: provider keys must come from SSM SecureString, not the environment")
	}
	for _, s := range secrets {
		name, _ := path(s, "name").(string)
		from, _ := path(s, "valueFrom").(string)
		if !strings.HasPrefix(from, "arn:aws:ssm:") || !strings.Contains(from, ":parameter/") {
			t.Errorf("secret %s valueFrom %q is not an SSM parameter ARN", name, from)
		}
		if strings.HasPrefix(name, "PROVWATCH_") || env[name] != "" {
			t.Errorf("secret %s collides with the plain environment", name)
		}
	}

	testSettingsLoad(t, env)
}

func looksSecret(name string) bool {
	for _, s := range []string{"KEY", "TOKEN", "SECRET", "PASSWORD"} {
		if strings.Contains(name, s) {
			return true
		}
	}
	return false
}

// testSettingsLoad feeds a template's environment to the real settings
// loader: it must accept it and end up with the values the template means.
func testSettingsLoad(t *testing.T, env map[string]string) {
	t.Helper()
	t.Run("LoadSettings", func(t *testing.T) { loadSettingsFrom(t, env) })
}

func loadSettingsFrom(t *testing.T, env map[string]string) {
	getenv := func(k string) string { return env[k] }
	s, err := configs.LoadSettings("", getenv)
	if err != nil {
		t.Fatalf("configs.LoadSettings rejects the template's environment: %v", err)
	}
	checks := []struct{ name, got string }{
		{"PROVWATCH_REMEDIATION_TARGET", s.Remediation.Target.String()},
		{"PROVWATCH_STATE", s.State.String()},
		{"PROVWATCH_METRICS_SINK", s.Metrics.Sink},
		{"PROVWATCH_METRICS_NAMESPACE", s.Metrics.Namespace},
		{"PROVWATCH_HTTP_LISTEN", s.HTTP.Listen},
		{"PROVWATCH_SCHEDULE", s.Schedule},
	}
	for _, c := range checks {
		if want, set := env[c.name]; set && c.got != want {
			t.Errorf("%s=%q loaded as %q", c.name, want, c.got)
		}
	}
}

func TestECSService(t *testing.T) {
	t.Parallel()
	svc := loadJSON(t, "ecs-service.json")
	td := loadJSON(t, "ecs-task-definition.json")

	if svc["taskDefinition"] != td["family"] {
		t.Errorf("service runs task %v, the task definition's family is %v", svc["taskDefinition"], td["family"])
	}
	if svc["launchType"] != "FARGATE" {
		t.Errorf("launchType = %v, want FARGATE", svc["launchType"])
	}
	// One writer of the order parameter at a time, deployments included.
	if svc["desiredCount"] != float64(1) {
		t.Errorf("desiredCount = %v, want 1", svc["desiredCount"])
	}
	if mp, _ := path(svc, "deploymentConfiguration", "maximumPercent").(float64); mp == 0 || mp > 100 {
		t.Errorf("deploymentConfiguration.maximumPercent = %v, want ≤ 100 so old and new tasks never overlap", mp)
	}
	if path(svc, "deploymentConfiguration", "deploymentCircuitBreaker", "rollback") != true {
		t.Error("the deployment circuit breaker should roll back a task that never turns healthy")
	}
	if path(svc, "networkConfiguration", "awsvpcConfiguration", "subnets") == nil {
		t.Error("awsvpcConfiguration.subnets missing")
	}
}
