package deploy

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/provwatch/provwatch/configs"
)

// wantActions is every IAM action provwatch needs (docs/deploy.md, "The IAM
// policy"), and the whole of what the policy may grant.
var wantActions = []string{
	"cloudwatch:PutMetricData",
	"kms:Decrypt",
	"ssm:GetParameter",
	"ssm:GetParameterHistory",
	"ssm:PutParameter",
}

// ssmParams are the parameters the templates configure: read-only config,
// read-write order and state.
const (
	paramConfig = "/openclaw/config"
	paramOrder  = "/openclaw/model-order"
	paramState  = "/openclaw/provwatch-state"
)

func ssmARN(param string) string {
	return "arn:aws:ssm:REGION:ACCOUNT_ID:parameter" + param
}

// checkPolicy returns every way a policy document is broader, or narrower,
// than provwatch's needs. extra lists actions allowed beyond provwatch's own
// (a Lambda role also writes its logs).
func checkPolicy(doc map[string]any, extra ...string) []string {
	var problems []string
	add := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	if v := doc["Version"]; v != "2012-10-17" {
		add("Version is %v, want 2012-10-17 (policy variables need it)", v)
	}
	stmts, _ := doc["Statement"].([]any)
	if len(stmts) == 0 {
		add("no statements")
	}
	granted := map[string]bool{}
	for i, s := range stmts {
		st, _ := s.(map[string]any)
		where := fmt.Sprintf("statement %d (%v)", i, st["Sid"])
		for _, k := range []string{"NotAction", "NotResource", "NotPrincipal"} {
			if _, ok := st[k]; ok {
				add("%s uses %s, which grants everything else", where, k)
			}
		}
		if st["Effect"] != "Allow" {
			add("%s: Effect %v, want Allow", where, st["Effect"])
		}
		actions := strs(st["Action"])
		for _, a := range actions {
			if strings.Contains(a, "*") {
				add("%s: wildcard action %q", where, a)
			}
			granted[a] = true
		}
		resources := strs(st["Resource"])
		if len(resources) == 0 {
			add("%s: no Resource", where)
		}
		for _, r := range resources {
			if strings.Contains(r, "*") && !slices.Equal(actions, []string{"cloudwatch:PutMetricData"}) {
				add("%s: wildcard resource %q for %v (only PutMetricData has no resource ARN)", where, r, actions)
			}
		}
		cond, _ := st["Condition"].(map[string]any)
		if slices.Contains(actions, "cloudwatch:PutMetricData") {
			ns := path(cond, "StringEquals", "cloudwatch:namespace")
			if want := configs.DefaultSettings().Metrics.Namespace; ns != want {
				add("%s: PutMetricData is limited to namespace %v, want %q", where, ns, want)
			}
			if len(actions) != 1 {
				add("%s: PutMetricData shares its statement (and Resource \"*\") with %v", where, actions)
			}
		}
		if slices.Contains(actions, "kms:Decrypt") {
			via, _ := path(cond, "StringEquals", "kms:ViaService").(string)
			if !strings.HasPrefix(via, "ssm.") || !strings.HasSuffix(via, ".amazonaws.com") {
				add("%s: kms:Decrypt is not limited to SSM by kms:ViaService (got %v)", where, via)
			}
		}
	}
	want := slices.Concat(wantActions, extra)
	slices.Sort(want)
	got := slices.Sorted(maps.Keys(granted))
	if !slices.Equal(got, want) {
		add("actions granted %v, want exactly %v", got, want)
	}
	return problems
}

func TestIAMPolicy(t *testing.T) {
	t.Parallel()
	doc := loadJSON(t, "iam-policy.json")
	for _, p := range checkPolicy(doc) {
		t.Error(p)
	}

	// The config is only read; order and state are read and written; no
	// other parameter is reachable.
	bySid := map[string]map[string]any{}
	for _, s := range doc["Statement"].([]any) {
		st := s.(map[string]any)
		bySid[fmt.Sprint(st["Sid"])] = st
	}
	cases := []struct {
		sid       string
		actions   []string
		resources []string
	}{
		{"ReadOpenClawConfig", []string{"ssm:GetParameter"}, []string{ssmARN(paramConfig)}},
		{"ReadWriteOrderAndState",
			[]string{"ssm:GetParameter", "ssm:GetParameterHistory", "ssm:PutParameter"},
			[]string{ssmARN(paramOrder), ssmARN(paramState)}},
	}
	for _, c := range cases {
		st := bySid[c.sid]
		if st == nil {
			t.Errorf("statement %s missing", c.sid)
			continue
		}
		if got := strs(st["Action"]); !slices.Equal(got, c.actions) {
			t.Errorf("%s actions = %v, want %v", c.sid, got, c.actions)
		}
		if got := strs(st["Resource"]); !slices.Equal(got, c.resources) {
			t.Errorf("%s resources = %v, want %v", c.sid, got, c.resources)
		}
	}
}

// TestCheckPolicyCatchesBroadGrants proves checkPolicy fails on the
// mistakes it exists for.
func TestCheckPolicyCatchesBroadGrants(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		mutate func(stmts []any)
		want   string
	}{
		{"wildcard action", func(s []any) { s[1].(map[string]any)["Action"] = "ssm:*" }, "wildcard action"},
		{"wildcard resource", func(s []any) { s[2].(map[string]any)["Resource"] = "*" }, "wildcard resource"},
		{"namespace condition dropped", func(s []any) { delete(s[0].(map[string]any), "Condition") }, "namespace"},
		{"other namespace", func(s []any) {
			s[0].(map[string]any)["Condition"] = map[string]any{"StringEquals": map[string]any{"cloudwatch:namespace": "Other"}}
		}, "namespace"},
		{"extra action", func(s []any) {
			s[2].(map[string]any)["Action"] = []any{"ssm:GetParameter", "ssm:PutParameter", "ssm:GetParameterHistory", "ssm:DeleteParameter"}
		}, "want exactly"},
		{"missing action", func(s []any) { s[2].(map[string]any)["Action"] = "ssm:GetParameter" }, "want exactly"},
		{"NotAction", func(s []any) { s[1].(map[string]any)["NotAction"] = "iam:*" }, "NotAction"},
		{"kms without ViaService", func(s []any) { delete(s[3].(map[string]any), "Condition") }, "ViaService"},
		{"Deny", func(s []any) { s[1].(map[string]any)["Effect"] = "Deny" }, "Effect"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			doc := loadJSON(t, "iam-policy.json")
			c.mutate(doc["Statement"].([]any))
			problems := checkPolicy(doc)
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, c.want) }) {
				t.Errorf("checkPolicy did not report %q; got %q", c.want, problems)
			}
		})
	}
}

// TestFollowPolicy: the gateway's task role reads the order parameter and
// nothing else (docs/follow.md).
func TestFollowPolicy(t *testing.T) {
	t.Parallel()
	doc := loadJSON(t, "iam-policy-follow.json")
	stmts, _ := doc["Statement"].([]any)
	if len(stmts) != 1 {
		t.Fatalf("%d statements, want 1", len(stmts))
	}
	st := stmts[0].(map[string]any)
	if st["Effect"] != "Allow" || !slices.Equal(strs(st["Action"]), []string{"ssm:GetParameter"}) || !slices.Equal(strs(st["Resource"]), []string{ssmARN(paramOrder)}) {
		t.Fatalf("statement %v: want ssm:GetParameter on %s only", st, ssmARN(paramOrder))
	}
}
