package deploy

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/provwatch/provwatch/configs"
)

// repoRoot is the module root, two levels above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found above configs/deploy: %v", err)
	}
	return root
}

// loadJSON decodes a JSON template into generic maps, rejecting trailing data.
func loadJSON(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	var v map[string]any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if dec.More() {
		t.Fatalf("%s: data after the JSON document", name)
	}
	return v
}

// loadCFN parses a CloudFormation YAML template. Short-form intrinsics
// (!Ref, !Sub, !GetAtt, …) become their long JSON form ({"Ref": …},
// {"Fn::Sub": …}, {"Fn::GetAtt": [res, attr]}), so checks see one shape.
func loadCFN(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	v, err := parseCFN(b)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

func parseCFN(b []byte) (map[string]any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	v, err := cfnValue(&doc)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the template is not a mapping")
	}
	return m, nil
}

func cfnValue(n *yaml.Node) (any, error) {
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil, fmt.Errorf("empty document")
		}
		return cfnValue(n.Content[0])
	}
	if n.Kind == yaml.AliasNode {
		return cfnValue(n.Alias)
	}
	if tag := n.Tag; strings.HasPrefix(tag, "!") && !strings.HasPrefix(tag, "!!") {
		return cfnIntrinsic(n, tag[1:])
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if _, dup := m[k]; dup {
				return nil, fmt.Errorf("line %d: duplicate key %q", n.Content[i].Line, k)
			}
			v, err := cfnValue(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[k] = v
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := cfnValue(c)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	default:
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		return v, nil
	}
}

// cfnIntrinsic turns `!Name value` into CloudFormation's long form.
func cfnIntrinsic(n *yaml.Node, name string) (any, error) {
	plain := *n
	plain.Tag = ""
	if n.Kind == yaml.ScalarNode {
		plain.Tag = "!!str"
	}
	v, err := cfnValue(&plain)
	if err != nil {
		return nil, err
	}
	switch name {
	case "Ref", "Condition":
		return map[string]any{name: v}, nil
	case "GetAtt":
		if s, ok := v.(string); ok {
			res, attr, found := strings.Cut(s, ".")
			if !found {
				return nil, fmt.Errorf("line %d: !GetAtt %q is not Resource.Attribute", n.Line, s)
			}
			v = []any{res, attr}
		}
		return map[string]any{"Fn::GetAtt": v}, nil
	default:
		return map[string]any{"Fn::" + name: v}, nil
	}
}

// path walks nested maps and slices by key or index: path(v, "a", "b", 0).
func path(v any, keys ...any) any {
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			s, ok := v.([]any)
			if !ok || k >= len(s) {
				return nil
			}
			v = s[k]
		}
	}
	return v
}

// strs turns a JSON string or string array into a sorted []string; IAM
// allows both forms for Action and Resource.
func strs(v any) []string {
	var out []string
	switch v := v.(type) {
	case string:
		out = []string{v}
	case []any:
		for _, e := range v {
			out = append(out, fmt.Sprint(e))
		}
	}
	slices.Sort(out)
	return out
}

// inputEnv are the PROVWATCH_* variables that are not settings keys: the
// two input paths, the log flags and follow's flags.
var inputEnv = []string{"PROVWATCH_CONFIG", "PROVWATCH_OPENCLAW_CONFIG", "PROVWATCH_LOG_LEVEL", "PROVWATCH_LOG_FORMAT",
	"PROVWATCH_FOLLOW_FROM", "PROVWATCH_FOLLOW_INTO", "PROVWATCH_FOLLOW_EVERY"}

// checkSetting reports why a PROVWATCH_* variable a template sets is not
// one provwatch accepts, or nil: a settings key's variable is loaded by
// provwatch's own settings loader, exactly as the process will load it.
func checkSetting(name, value string) error {
	if slices.Contains(inputEnv, name) {
		if strings.TrimSpace(value) == "" {
			return fmt.Errorf("%s is empty", name)
		}
		return nil
	}
	known := false
	for _, k := range configs.SettingsKeys() {
		known = known || configs.EnvName(k) == name
	}
	if !known {
		return fmt.Errorf("%s is not a provwatch setting", name)
	}
	_, err := configs.LoadSettings("", func(k string) string {
		if k == name {
			return value
		}
		return ""
	})
	return err
}

func TestCheckSettingRejects(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, value string }{
		{"PROVWATCH_METRICS_SINKS", "cloudwatch"},   // not a key
		{"PROVWATCH_FAIL_AFTER", "3"},               // missing HEALTH_
		{"PROVWATCH_HEALTH_FAIL_AFTER", "0"},        // not positive
		{"PROVWATCH_HEALTH_RECHECK_INTERVAL", "10"}, // no unit
		{"PROVWATCH_SCHEDULE", "every minute"},
		{"PROVWATCH_METRICS_SINK", "prometheus"},
		{"PROVWATCH_REMEDIATION_TARGET", "ssm:"},
		{"PROVWATCH_STATE", "s3://bucket/key"},
		{"PROVWATCH_HTTP_LISTEN", "9464"},
		{"PROVWATCH_OPENCLAW_CONFIG", " "},
	}
	for _, c := range cases {
		if err := checkSetting(c.name, c.value); err == nil {
			t.Errorf("checkSetting(%s=%q) accepted it", c.name, c.value)
		}
	}
	if err := checkSetting("PROVWATCH_SCHEDULE", "@every 1m"); err != nil {
		t.Errorf("the default schedule was rejected: %v", err)
	}
}

// TestEveryTemplateIsChecked fails when a file lands in this directory
// without a test that loads it.
func TestEveryTemplateIsChecked(t *testing.T) {
	t.Parallel()
	checked := []string{
		"cdk-snippet.ts", "doc.go", "ecs-service.json", "ecs-task-definition.json",
		"iam-policy.json", "iam-policy-sns.json", "lambda-eventbridge.yaml",
		"openclaw-follow.Dockerfile", "openclaw-start.sh", "iam-policy-follow.json",
	}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || strings.HasSuffix(n, "_test.go") {
			continue
		}
		if !slices.Contains(checked, n) {
			t.Errorf("%s has no test in configs/deploy: add one and list it here", n)
		}
	}
}
