package deploy

import (
	"os"
	"regexp"
	"slices"
	"testing"

	"github.com/provwatch/provwatch/configs"
)

// TestTypeScriptAgrees checks, without node, that the CDK snippet and
// patch-config.ts name the same parameter, variable, actions and namespace
// as the other templates. (PROVWATCH_TEST_NODE=1 runs patch-config for real.)
func TestTypeScriptAgrees(t *testing.T) {
	t.Parallel()
	read := func(name string) string {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	cdk, patch := read("cdk-snippet.ts"), read("patch-config.ts")

	m := regexp.MustCompile(`export const ORDER_ENV = "([A-Z_]+)"`).FindStringSubmatch(patch)
	if m == nil {
		t.Fatal("patch-config.ts does not export ORDER_ENV")
	}
	orderEnv := m[1]
	if !regexp.MustCompile(`addSecret\("` + orderEnv + `", ecs\.Secret\.fromSsmParameter\(modelOrder\)\)`).MatchString(cdk) {
		t.Errorf("cdk-snippet.ts does not inject the order parameter as %s, the variable patch-config.ts reads", orderEnv)
	}
	if !regexp.MustCompile(`from "json5"`).MatchString(patch) {
		t.Error("patch-config.ts must parse the config with json5, as OpenClaw does")
	}
	if !regexp.MustCompile(`parameterName: "` + paramOrder + `"`).MatchString(cdk) {
		t.Errorf("cdk-snippet.ts does not create %s", paramOrder)
	}
	if !regexp.MustCompile(`"cloudwatch:namespace": "` + regexp.QuoteMeta(configs.DefaultSettings().Metrics.Namespace) + `"`).MatchString(cdk) {
		t.Error("cdk-snippet.ts limits PutMetricData to another namespace than the default")
	}

	var actions []string
	for _, list := range regexp.MustCompile(`actions: \[([^\]]*)\]`).FindAllStringSubmatch(cdk, -1) {
		for _, a := range regexp.MustCompile(`"([^"]+)"`).FindAllStringSubmatch(list[1], -1) {
			if !slices.Contains(actions, a[1]) {
				actions = append(actions, a[1])
			}
		}
	}
	slices.Sort(actions)
	if !slices.Equal(actions, wantActions) {
		t.Errorf("cdk-snippet.ts grants %v, want exactly %v", actions, wantActions)
	}
}
