package deploy

import (
	"os"
	"regexp"
	"slices"
	"testing"

	"github.com/provwatch/provwatch/configs"
)

// TestTypeScriptAgrees checks, without node, that the CDK snippet names the
// same parameter, variables, actions and namespace as the other templates.
func TestTypeScriptAgrees(t *testing.T) {
	t.Parallel()
	read := func(name string) string {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	cdk := read("cdk-snippet.ts")
	if !regexp.MustCompile(`openclawContainer\.addEnvironment\("PROVWATCH_FOLLOW_FROM", "ssm:` + paramOrder + `"\)`).MatchString(cdk) {
		t.Errorf("cdk-snippet.ts does not point the gateway's follower at ssm:%s", paramOrder)
	}
	if !regexp.MustCompile(`openclawTask\.addToTaskRolePolicy\(new iam\.PolicyStatement\(\{\s*actions: \["ssm:GetParameter"\],\s*resources: \[modelOrder\.parameterArn\]`).MatchString(cdk) {
		t.Error("cdk-snippet.ts does not let the gateway's task role read the order parameter, and only that")
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
