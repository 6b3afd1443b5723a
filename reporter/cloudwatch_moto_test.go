package reporter

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/rs/zerolog"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/internal/awstest"
)

func TestCloudWatchMoto(t *testing.T) {
	endpoint := awstest.Start(t)
	awsCfg := awstest.Config(t)
	// moto keeps data in memory without an age check, but GetMetricData
	// needs a time range: put the report a little in the past.
	t0 := time.Now().UTC().Truncate(time.Minute).Add(-20 * time.Minute)

	for _, protocol := range []string{"json", "query"} {
		t.Run(protocol, func(t *testing.T) {
			t.Parallel()
			ns := "ProvwatchTest/" + protocol
			client := NewCloudWatchClient(awsCfg, protocol, endpoint)
			mcfg := configs.Metrics{Namespace: ns, Dimensions: map[string]string{"Deployment": "prod"}}
			sink := NewCloudWatch(client, mcfg, zerolog.Nop(), WithCloudWatchClock(func() time.Time { return t0.Add(time.Minute) }))
			ctx := context.Background()
			if err := sink.Publish(ctx, mtReport(t0)); err != nil {
				t.Fatalf("Publish to moto over %s: %v", protocol, err)
			}

			wants := mtSampleWant()
			for i := range wants {
				wants[i].dims = strings.TrimPrefix(wants[i].dims+",Deployment=prod", ",")
			}

			// ListMetrics: exactly the expected name+dimension sets.
			listed := map[string]bool{}
			p := cloudwatch.NewListMetricsPaginator(client, &cloudwatch.ListMetricsInput{Namespace: aws.String(ns)})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					t.Fatalf("ListMetrics: %v", err)
				}
				for _, m := range page.Metrics {
					listed[aws.ToString(m.MetricName)+"{"+motoDims(m.Dimensions)+"}"] = true
				}
			}
			for _, w := range wants {
				k := w.name + "{" + motoSortedDims(w.dims) + "}"
				if !listed[k] {
					t.Errorf("ListMetrics lacks %s", k)
				}
				delete(listed, k)
			}
			for k := range listed {
				t.Errorf("ListMetrics has unexpected %s", k)
			}

			// GetMetricData: value and timestamp of each, filtered by the
			// expected unit (a datum sent with another unit is not found).
			in := &cloudwatch.GetMetricDataInput{
				StartTime: aws.Time(t0.Add(-5 * time.Minute)),
				EndTime:   aws.Time(t0.Add(10 * time.Minute)),
			}
			for i, w := range wants {
				in.MetricDataQueries = append(in.MetricDataQueries, types.MetricDataQuery{
					Id: aws.String(fmt.Sprintf("m%d", i)),
					MetricStat: &types.MetricStat{
						Metric: &types.Metric{Namespace: aws.String(ns), MetricName: aws.String(w.name), Dimensions: motoDimList(w.dims)},
						Period: aws.Int32(1), // one-second buckets keep the exact timestamps
						Stat:   aws.String("Maximum"),
						Unit:   types.StandardUnit(w.unit),
					},
				})
			}
			out, err := client.GetMetricData(ctx, in)
			if err != nil {
				t.Fatalf("GetMetricData: %v", err)
			}
			byID := map[string]types.MetricDataResult{}
			for _, r := range out.MetricDataResults {
				byID[aws.ToString(r.Id)] = r
			}
			for i, w := range wants {
				r := byID[fmt.Sprintf("m%d", i)]
				if len(r.Values) != 1 || len(r.Timestamps) != 1 {
					t.Errorf("%s{%s} in %s: got values %v at %v, want one datum", w.name, w.dims, w.unit, r.Values, r.Timestamps)
					continue
				}
				if r.Values[0] != w.value || !r.Timestamps[0].Equal(t0.Add(w.at)) {
					t.Errorf("%s{%s} = %v at %s, want %v at %s", w.name, w.dims, r.Values[0], r.Timestamps[0], w.value, t0.Add(w.at))
				}
			}
		})
	}
}

func motoDims(ds []types.Dimension) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = aws.ToString(d.Name) + "=" + aws.ToString(d.Value)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func motoSortedDims(s string) string {
	if s == "" {
		return ""
	}
	parts := strings.Split(s, ",")
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func motoDimList(s string) []types.Dimension {
	if s == "" {
		return nil
	}
	var out []types.Dimension
	for _, p := range strings.Split(s, ",") {
		name, value, _ := strings.Cut(p, "=")
		out = append(out, types.Dimension{Name: aws.String(name), Value: aws.String(value)})
	}
	return out
}
