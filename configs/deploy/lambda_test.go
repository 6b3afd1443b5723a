package deploy

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/provwatch/provwatch/configs"
)

// resourcesOfType returns the logical ids of a template's resources of one type.
func resourcesOfType(tpl map[string]any, typ string) []string {
	var ids []string
	for id, r := range tpl["Resources"].(map[string]any) {
		if path(r, "Type") == typ {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

var subRE = regexp.MustCompile(`\$\{([^}!]+)\}`)

// resolve evaluates the intrinsics a value may use, with parameter defaults
// and a fixed account and region, so checks compare plain strings.
func resolve(tpl map[string]any, v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case map[string]any:
		if ref, ok := v["Ref"].(string); ok {
			return refValue(tpl, ref)
		}
		if sub, ok := v["Fn::Sub"].(string); ok {
			var err error
			out := subRE.ReplaceAllStringFunc(sub, func(m string) string {
				s, e := refValue(tpl, m[2:len(m)-1])
				if e != nil {
					err = e
				}
				return s
			})
			return out, err
		}
	}
	return "", fmt.Errorf("cannot resolve %v", v)
}

// deployParams are the values the checks deploy with for parameters that
// have no default.
var deployParams = map[string]string{
	"CodeBucket":         "bucket",
	"SecureStringKeyArn": "arn:aws:kms:REGION:ACCOUNT_ID:key/KEY_ID",
}

func refValue(tpl map[string]any, name string) (string, error) {
	pseudo := map[string]string{"AWS::Region": "REGION", "AWS::AccountId": "ACCOUNT_ID", "AWS::Partition": "aws", "AWS::StackName": "stack"}
	if v, ok := pseudo[name]; ok {
		return v, nil
	}
	if def, ok := path(tpl, "Parameters", name, "Default").(string); ok {
		return def, nil
	}
	if v, ok := deployParams[name]; ok {
		return v, nil
	}
	return "", fmt.Errorf("%s is neither a parameter with a default nor a pseudo parameter", name)
}

// resolveDeep resolves every Ref and Fn::Sub inside v; Fn::GetAtt becomes
// "arn:getatt:<id>" so ARNs stay recognisable.
func resolveDeep(tpl map[string]any, v any) (any, error) {
	switch v := v.(type) {
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			r, err := resolveDeep(tpl, e)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case map[string]any:
		if id := getAtt(v, "Arn"); id != "" {
			return "arn:getatt:" + id, nil
		}
		if _, ok := v["Ref"]; ok {
			return resolve(tpl, v)
		}
		if _, ok := v["Fn::Sub"]; ok {
			return resolve(tpl, v)
		}
		out := make(map[string]any, len(v))
		for k, e := range v {
			r, err := resolveDeep(tpl, e)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	}
	return v, nil
}

// getAtt returns the logical id an {"Fn::GetAtt": [id, attr]} points at.
func getAtt(v any, attr string) string {
	ga, _ := path(v, "Fn::GetAtt").([]any)
	if len(ga) != 2 || ga[1] != attr {
		return ""
	}
	id, _ := ga[0].(string)
	return id
}

func TestLambdaTemplate(t *testing.T) {
	t.Parallel()
	tpl := loadCFN(t, "lambda-eventbridge.yaml")

	fns := resourcesOfType(tpl, "AWS::Lambda::Function")
	if len(fns) != 1 {
		t.Fatalf("Lambda functions %v, want exactly one", fns)
	}
	fnID := fns[0]
	fn := path(tpl, "Resources", fnID, "Properties")

	if got := path(fn, "Runtime"); got != "provided.al2023" {
		t.Errorf("Runtime = %v, want provided.al2023", got)
	}
	if got := path(fn, "Handler"); got != "bootstrap" {
		t.Errorf("Handler = %v, want bootstrap", got)
	}
	// scripts/build-lambda.sh builds for arm64.
	if got := strs(path(fn, "Architectures")); !slices.Equal(got, []string{"arm64"}) {
		t.Errorf("Architectures = %v, want [arm64] (what scripts/build-lambda.sh builds)", got)
	}
	if got := path(fn, "ReservedConcurrentExecutions"); got != 1 {
		t.Errorf("ReservedConcurrentExecutions = %v, want 1: overlapping cycles race on the state parameter", got)
	}

	env := map[string]string{}
	vars, _ := path(fn, "Environment", "Variables").(map[string]any)
	for name, raw := range vars {
		value, err := resolve(tpl, raw)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		env[name] = value
		if err := checkSetting(name, value); err != nil {
			t.Error(err)
		}
	}
	for k, want := range map[string]string{
		"PROVWATCH_OPENCLAW_CONFIG":    "ssm:" + paramConfig,
		"PROVWATCH_REMEDIATION_TARGET": "ssm:" + paramOrder,
		"PROVWATCH_STATE":              "ssm:" + paramState,
	} {
		if env[k] != want {
			t.Errorf("%s = %q, want %q", k, env[k], want)
		}
	}

	// One invocation re-probes until a changed result is confirmed (docs/deploy.md,
	// "Sizing the timeout for confirmation probes"): its first probe, then up to
	// max(fail_after, recover_after)+1 confirmation rounds, each waiting a
	// recheck interval and then as long as a probe may take.
	def := configs.DefaultSettings()
	failAfter, recoverAfter, recheck, probeTimeout := def.Health.FailAfter, def.Health.RecoverAfter, def.Health.RecheckInterval, def.Timeout
	for k, p := range map[string]*int{"PROVWATCH_HEALTH_FAIL_AFTER": &failAfter, "PROVWATCH_HEALTH_RECOVER_AFTER": &recoverAfter} {
		if v, ok := env[k]; ok {
			*p, _ = strconv.Atoi(v)
		}
	}
	for k, p := range map[string]*time.Duration{"PROVWATCH_HEALTH_RECHECK_INTERVAL": &recheck, "PROVWATCH_TIMEOUT": &probeTimeout} {
		if v, ok := env[k]; ok {
			*p, _ = time.ParseDuration(v)
		}
	}
	rounds := max(failAfter, recoverAfter) + 1
	need := probeTimeout + time.Duration(rounds)*(recheck+probeTimeout)
	timeout, _ := path(fn, "Timeout").(int)
	if got := time.Duration(timeout) * time.Second; got < need {
		t.Errorf("Timeout = %v, want ≥ %v (timeout %v + %d rounds × (recheck %v + timeout %v))", got, need, probeTimeout, rounds, recheck, probeTimeout)
	}

	testSettingsLoad(t, env)

	t.Run("schedule", func(t *testing.T) {
		schedules := resourcesOfType(tpl, "AWS::Scheduler::Schedule")
		if len(schedules) != 1 {
			t.Fatalf("schedules %v, want one", schedules)
		}
		sch := path(tpl, "Resources", schedules[0], "Properties")
		if got := path(sch, "ScheduleExpression"); got != "rate(1 minute)" {
			t.Errorf("ScheduleExpression = %v, want rate(1 minute)", got)
		}
		if id := getAtt(path(sch, "Target", "Arn"), "Arn"); id != fnID {
			t.Errorf("the schedule targets %v, want the function %s", path(sch, "Target", "Arn"), fnID)
		}
		input, _ := path(sch, "Target", "Input").(string)
		if !json.Valid([]byte(input)) {
			t.Errorf("Target.Input %q is not JSON", input)
		}
		roleID := getAtt(path(sch, "Target", "RoleArn"), "Arn")
		var invokes bool
		for _, p := range asSlice(path(tpl, "Resources", roleID, "Properties", "Policies")) {
			for _, st := range asSlice(path(p, "PolicyDocument", "Statement")) {
				if slices.Equal(strs(path(st, "Action")), []string{"lambda:InvokeFunction"}) &&
					getAtt(path(st, "Resource"), "Arn") == fnID {
					invokes = true
				}
			}
		}
		if !invokes {
			t.Errorf("the scheduler role %q may not invoke %s", roleID, fnID)
		}
		if principal := path(tpl, "Resources", roleID, "Properties", "AssumeRolePolicyDocument", "Statement", 0, "Principal", "Service"); principal != "scheduler.amazonaws.com" {
			t.Errorf("the scheduler role trusts %v, want scheduler.amazonaws.com", principal)
		}
	})

	t.Run("execution role", func(t *testing.T) {
		roleID := getAtt(path(fn, "Role"), "Arn")
		policies := asSlice(path(tpl, "Resources", roleID, "Properties", "Policies"))
		if len(policies) != 1 {
			t.Fatalf("role %s has %d inline policies, want 1", roleID, len(policies))
		}
		if path(tpl, "Resources", roleID, "Properties", "ManagedPolicyArns") != nil {
			t.Error("managed policies grant more than provwatch needs; list the grants inline")
		}
		resolved, err := resolveDeep(tpl, path(policies[0], "PolicyDocument"))
		if err != nil {
			t.Fatal(err)
		}
		doc, _ := resolved.(map[string]any)
		for _, p := range checkPolicy(doc, "logs:CreateLogStream", "logs:PutLogEvents") {
			t.Error(p)
		}
		// The same statements as iam-policy.json, resources and conditions
		// resolved for the deployment.
		want := map[string]any{}
		for _, s := range asSlice(loadJSON(t, "iam-policy.json")["Statement"]) {
			want[fmt.Sprint(path(s, "Sid"))] = s
		}
		for _, s := range asSlice(doc["Statement"]) {
			sid := fmt.Sprint(path(s, "Sid"))
			w, ok := want[sid]
			if !ok {
				if got := strs(path(s, "Resource")); !slices.Equal(got, []string{"arn:getatt:ProvwatchLogGroup"}) {
					t.Errorf("%s: resources %v, want only the function's log group", sid, got)
				}
				continue
			}
			delete(want, sid)
			for _, k := range []string{"Action", "Resource"} {
				if got, wantV := strs(path(s, k)), strs(path(w, k)); !slices.Equal(got, wantV) {
					t.Errorf("%s %s = %v, want %v as in iam-policy.json", sid, k, got, wantV)
				}
			}
			if got, wantV := fmt.Sprint(path(s, "Condition")), fmt.Sprint(path(w, "Condition")); got != wantV {
				t.Errorf("%s Condition = %s, want %s as in iam-policy.json", sid, got, wantV)
			}
		}
		for sid := range want {
			t.Errorf("statement %s of iam-policy.json is missing from the role", sid)
		}
	})
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

func TestParseCFNShortTags(t *testing.T) {
	t.Parallel()
	src := `
A: !Ref Param
B: !Sub "arn:${AWS::Partition}:x"
C: !GetAtt Fn.Arn
D: !Join [",", [a, !Ref P]]
E: "3"
F: 3
`
	got, err := parseCFN([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"A": map[string]any{"Ref": "Param"},
		"B": map[string]any{"Fn::Sub": "arn:${AWS::Partition}:x"},
		"C": map[string]any{"Fn::GetAtt": []any{"Fn", "Arn"}},
		"D": map[string]any{"Fn::Join": []any{",", []any{"a", map[string]any{"Ref": "P"}}}},
		"E": "3",
		"F": 3,
	}
	gotJSON, _ := json.Marshal(got)
	wantJSON, _ := json.Marshal(want)
	if string(gotJSON) != string(wantJSON) {
		t.Errorf("parseCFN = %s\nwant        %s", gotJSON, wantJSON)
	}
	if _, err := parseCFN([]byte("A: 1\nA: 2\n")); err == nil {
		t.Error("a duplicate key was accepted (CloudFormation rejects it)")
	}
}
