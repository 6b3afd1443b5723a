package reporter

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/rs/zerolog"

	"github.com/provwatch/provwatch/configs"
)

// startMoto runs moto_server on a free loopback port for this test and
// returns its URL; it is stopped when the test ends. Without moto the test
// skips, except under CI=true where it fails.
func startMoto(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		msg := "moto_server not on PATH: install moto with its server extra (pip install 'moto[server]') to run the CloudWatch emulator tests"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()

	var out bytes.Buffer
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.Stdout, cmd.Stderr = &out, &out
	// Its own process group, so stopping it also stops anything the
	// launcher script started in between.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting moto_server: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	})

	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/moto-api/", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			return url
		}
		select {
		case err := <-exited:
			t.Fatalf("moto_server exited before answering: %v\n%s", err, out.String())
		case <-ctx.Done():
			t.Fatalf("moto_server did not answer on %s within 60s:\n%s", url, out.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// motoAWSConfig is what LoadDefaultConfig gives with a region, static
// credentials, no instance metadata, no shared files, and request
// compression off (moto gunzips twice).
func motoAWSConfig(t *testing.T) aws.Config {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret", "")),
		config.WithEC2IMDSClientEnableState(imds.ClientDisabled),
		config.WithSharedConfigFiles([]string{}),
		config.WithSharedCredentialsFiles([]string{}),
		config.WithDisableRequestCompression(aws.Bool(true)),
	)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestCloudWatchMoto(t *testing.T) {
	endpoint := startMoto(t)
	awsCfg := motoAWSConfig(t)
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
