package main

import (
	"context"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/internal/awstest"
	"github.com/provwatch/provwatch/internal/sim"
	"github.com/provwatch/provwatch/reporter"
)

// The deployment's own loop, end to end: `provwatch once` processes with an
// ssm: target, ssm: state and CloudWatch metrics, all against moto.
func TestOnceWithSSMTargetAndCloudWatchAgainstMoto(t *testing.T) {
	t.Parallel()
	url := awstest.Start(t)
	f, cfg := fleetConfig(t)
	const param = "/openclaw/model-order"
	env := append(awstest.Env(url),
		"PROVWATCH_REMEDIATION_TARGET=ssm:"+param,
		"PROVWATCH_HEALTH_FAIL_AFTER=2", "PROVWATCH_HEALTH_RECOVER_AFTER=2",
		"PROVWATCH_HEALTH_RECHECK_INTERVAL=10ms",
		"PROVWATCH_HEALTH_MIN_HOLD=2s", "PROVWATCH_HEALTH_MAX_HOLD=4s",
		"PROVWATCH_METRICS_SINK=cloudwatch", "PROVWATCH_METRICS_CLOUDWATCH_PROTOCOL=json",
		"PROVWATCH_METRICS_DIMENSIONS={Deployment: test}",
	)
	awsCfg := awstest.Config(t)
	ssmc := ssm.NewFromConfig(awsCfg, func(o *ssm.Options) { o.BaseEndpoint = aws.String(url) })
	ctx := context.Background()
	get := func() (configs.Order, int64, string) {
		t.Helper()
		out, err := ssmc.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(param)})
		if err != nil {
			t.Fatalf("reading %s: %v", param, err)
		}
		o, err := configs.ParseOrder([]byte(*out.Parameter.Value))
		if err != nil {
			t.Fatalf("%s holds a malformed order: %v", param, err)
		}
		h, err := ssmc.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: aws.String(param)})
		if err != nil {
			t.Fatal(err)
		}
		desc := aws.ToString(h.Parameters[len(h.Parameters)-1].Description)
		return o, out.Parameter.Version, desc
	}
	once := func(wantCode int) {
		t.Helper()
		code, _, errOut := run(t, env, "once", "--json", "--openclaw-config", cfg)
		if code != wantCode {
			t.Fatalf("once exit %d, want %d; stderr:\n%s", code, wantCode, errOut)
		}
	}
	configured := f.Chain().Order()

	once(0) // no parameter yet: created with the configured order
	if o, v, desc := get(); !o.Equal(configured) || v != 1 || desc == "" {
		t.Fatalf("after the first once: %v version %d description %q", o, v, desc)
	}
	once(0) // nothing changed: no new version
	if _, v, _ := get(); v != 1 {
		t.Fatalf("an unchanged once wrote version %d", v)
	}

	if err := f.Members()[0].SetFault(sim.Refused, sim.FaultParams{}); err != nil {
		t.Fatal(err)
	}
	once(1)
	o, v, desc := get()
	if o.Primary == configured.Primary || v != 2 || !strings.Contains(desc, "demoted "+configured.Primary) || !strings.Contains(desc, "unreachable") {
		t.Fatalf("after the failure: %v version %d description %q", o, v, desc)
	}

	if err := f.Members()[0].SetFault(sim.None, sim.FaultParams{}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2100 * time.Millisecond) // let the 2 s hold pass
	once(0)
	o, v, desc = get()
	if !o.Equal(configured) || v != 3 || !strings.Contains(desc, "restored "+configured.Primary) {
		t.Fatalf("after recovery: %v version %d description %q", o, v, desc)
	}
	for _, m := range f.Members() {
		if k := m.APIKey(); k != "" && strings.Contains(desc, k) {
			t.Fatal("a key reached the SSM description")
		}
	}

	// Exactly docs/reference.md §7's metrics, with its dimensions plus the static one.
	cw := reporter.NewCloudWatchClient(awsCfg, "json", url)
	var names []string
	dims := map[string][]string{}
	p := cloudwatch.NewListMetricsPaginator(cw, &cloudwatch.ListMetricsInput{Namespace: aws.String("OpenClaw/ProviderHealth")})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range page.Metrics {
			name := aws.ToString(m.MetricName)
			if !slices.Contains(names, name) {
				names = append(names, name)
			}
			dims[name] = dimNames(m.Dimensions)
		}
	}
	sort.Strings(names)
	want := map[string]string{
		"ProbeSuccess": "Deployment,Provider", "ProbeLatency": "Deployment,Provider",
		"RateLimitHeadroom": "Deployment,Provider",
		"ModelAvailable":    "Deployment,Model,Provider", "ContextWindow": "Deployment,Model,Provider",
		"HealthState": "Deployment,Model,Provider", "FailoverActive": "Deployment", "OrderChanges": "Deployment",
	}
	var wantNames []string
	for n := range want {
		wantNames = append(wantNames, n)
	}
	sort.Strings(wantNames)
	if !slices.Equal(names, wantNames) {
		t.Fatalf("metrics in CloudWatch %v, want %v", names, wantNames)
	}
	for n, d := range want {
		if got := strings.Join(dims[n], ","); got != d {
			t.Errorf("%s dimensions %s, want %s", n, got, d)
		}
	}
}

func dimNames(ds []cwtypes.Dimension) []string {
	var out []string
	for _, d := range ds {
		out = append(out, aws.ToString(d.Name))
	}
	sort.Strings(out)
	return out
}
