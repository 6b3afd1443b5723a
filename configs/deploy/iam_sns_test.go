package deploy

import (
	"slices"
	"strings"
	"testing"
)

// TestIAMPolicySNS: the optional policy for an sns: notification
// destination grants sns:Publish on one topic, nothing else, and the
// main policy does not grant it (it is attached only when needed).
func TestIAMPolicySNS(t *testing.T) {
	t.Parallel()
	doc := loadJSON(t, "iam-policy-sns.json")
	if doc["Version"] != "2012-10-17" {
		t.Errorf("Version = %v", doc["Version"])
	}
	stmts, _ := doc["Statement"].([]any)
	if len(stmts) != 1 {
		t.Fatalf("%d statements, want 1", len(stmts))
	}
	st := stmts[0].(map[string]any)
	if st["Effect"] != "Allow" || !slices.Equal(strs(st["Action"]), []string{"sns:Publish"}) {
		t.Errorf("statement %v, want Allow sns:Publish", st)
	}
	res := strs(st["Resource"])
	if len(res) != 1 || !strings.HasPrefix(res[0], "arn:aws:sns:REGION:ACCOUNT_ID:") || strings.Contains(res[0], "*") {
		t.Errorf("resources %v, want one topic ARN", res)
	}
	for _, s := range loadJSON(t, "iam-policy.json")["Statement"].([]any) {
		for _, a := range strs(s.(map[string]any)["Action"]) {
			if strings.HasPrefix(a, "sns:") {
				t.Errorf("iam-policy.json grants %s; it belongs in iam-policy-sns.json, attached only with an sns: destination", a)
			}
		}
	}
}
