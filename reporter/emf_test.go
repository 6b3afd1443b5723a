package reporter

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/provwatch/provwatch/configs"
)

// emfUnits are the units EMF accepts (CloudWatch's StandardUnit).
var emfUnits = map[string]bool{
	"Seconds": true, "Microseconds": true, "Milliseconds": true, "Bytes": true, "Kilobytes": true,
	"Megabytes": true, "Gigabytes": true, "Terabytes": true, "Bits": true, "Kilobits": true,
	"Megabits": true, "Gigabits": true, "Terabits": true, "Percent": true, "Count": true,
	"Bytes/Second": true, "Kilobytes/Second": true, "Megabytes/Second": true, "Gigabytes/Second": true,
	"Terabytes/Second": true, "Bits/Second": true, "Kilobits/Second": true, "Megabits/Second": true,
	"Gigabits/Second": true, "Terabits/Second": true, "Count/Second": true, "None": true,
}

// emfMetricValue is one metric a validated EMF line defines.
type emfMetricValue struct {
	namespace string
	datum     Datum
}

// emfValidate checks one line against the EMF specification's rules and
// returns the metrics it defines (one per dimension set and value).
func emfValidate(line []byte) ([]emfMetricValue, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var root map[string]any
	if err := dec.Decode(&root); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("data after the JSON object")
	}
	meta, ok := root["_aws"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("no _aws object")
	}
	tsNum, ok := meta["Timestamp"].(json.Number)
	if !ok {
		return nil, fmt.Errorf("_aws.Timestamp missing or not a number")
	}
	ts, err := tsNum.Int64()
	if err != nil {
		return nil, fmt.Errorf("_aws.Timestamp %s is not integer epoch milliseconds", tsNum)
	}
	directives, ok := meta["CloudWatchMetrics"].([]any)
	if !ok || len(directives) == 0 {
		return nil, fmt.Errorf("_aws.CloudWatchMetrics missing or empty")
	}
	var out []emfMetricValue
	for i, d := range directives {
		dir, ok := d.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("directive %d is not an object", i)
		}
		ns, ok := dir["Namespace"].(string)
		if !ok || strings.TrimSpace(ns) == "" || len(ns) > 255 {
			return nil, fmt.Errorf("directive %d: Namespace %v is not a 1-255 character string", i, dir["Namespace"])
		}
		sets, ok := dir["Dimensions"].([]any)
		if !ok {
			return nil, fmt.Errorf("directive %d: Dimensions is not an array", i)
		}
		var dimSets [][]Dimension
		for j, s := range sets {
			keys, ok := s.([]any)
			if !ok {
				return nil, fmt.Errorf("directive %d: dimension set %d is not an array", i, j)
			}
			if len(keys) > 30 {
				return nil, fmt.Errorf("directive %d: dimension set %d has %d keys, over 30", i, j, len(keys))
			}
			var dims []Dimension
			for _, k := range keys {
				name, ok := k.(string)
				if !ok {
					return nil, fmt.Errorf("directive %d: dimension key %v is not a string", i, k)
				}
				v, ok := root[name].(string)
				if !ok {
					return nil, fmt.Errorf("dimension %q has no string value at the root", name)
				}
				dims = append(dims, Dimension{name, v})
			}
			dimSets = append(dimSets, dims)
		}
		metrics, ok := dir["Metrics"].([]any)
		if !ok || len(metrics) == 0 || len(metrics) > 100 {
			return nil, fmt.Errorf("directive %d: Metrics must hold 1-100 definitions", i)
		}
		for _, m := range metrics {
			def, ok := m.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("directive %d: metric definition is not an object", i)
			}
			name, ok := def["Name"].(string)
			if !ok || name == "" {
				return nil, fmt.Errorf("directive %d: metric without a Name", i)
			}
			unit := UnitNone
			if u, present := def["Unit"]; present {
				if unit, ok = u.(string); !ok || !emfUnits[unit] {
					return nil, fmt.Errorf("metric %s: unit %v is not a CloudWatch unit", name, u)
				}
			}
			var values []json.Number
			switch v := root[name].(type) {
			case json.Number:
				values = []json.Number{v}
			case []any:
				for _, x := range v {
					n, ok := x.(json.Number)
					if !ok {
						return nil, fmt.Errorf("metric %s: value %v is not a number", name, x)
					}
					values = append(values, n)
				}
			default:
				return nil, fmt.Errorf("metric %s: value %v is not a number at the root", name, root[name])
			}
			for _, n := range values {
				f, err := n.Float64()
				if err != nil {
					return nil, fmt.Errorf("metric %s: %v", name, err)
				}
				for _, dims := range dimSets {
					out = append(out, emfMetricValue{ns, Datum{Name: name, Unit: unit, Value: f, Time: time.UnixMilli(ts).UTC(), Dimensions: dims}})
				}
			}
		}
	}
	return out, nil
}

func TestEMFValidatorAgainstSpecExamples(t *testing.T) {
	t.Parallel()
	f, err := os.Open("testdata/metrics_emf_valid.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		if _, err := emfValidate(sc.Bytes()); err != nil {
			t.Errorf("valid example %d rejected: %v", n, err)
		}
	}
	if n == 0 {
		t.Fatal("no valid examples")
	}

	b, err := os.ReadFile("testdata/metrics_emf_invalid.json")
	if err != nil {
		t.Fatal(err)
	}
	var bad []struct {
		Why  string          `json:"why"`
		Line json.RawMessage `json:"line"`
	}
	if err := json.Unmarshal(b, &bad); err != nil {
		t.Fatal(err)
	}
	for _, c := range bad {
		if _, err := emfValidate(c.Line); err == nil {
			t.Errorf("invalid example accepted: %s", c.Why)
		}
	}
}

// emfLines publishes r and returns the lines written, each validated.
func emfLines(t *testing.T, cfg configs.Metrics, r *Report) ([]string, []emfMetricValue) {
	t.Helper()
	var buf bytes.Buffer
	sink := NewEMF(&buf, cfg)
	if err := sink.Publish(context.Background(), r); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if err := sink.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if !strings.HasSuffix(buf.String(), "\n") {
		t.Fatalf("output does not end in a newline: %q", buf.String())
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	var all []emfMetricValue
	for i, l := range lines {
		ms, err := emfValidate([]byte(l))
		if err != nil {
			t.Fatalf("line %d is not valid EMF: %v\n%s", i, err, l)
		}
		all = append(all, ms...)
	}
	return lines, all
}

func TestEMF(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	var basic []mtWant
	for _, w := range mtSampleWant() {
		if metricBasicNames[w.name] {
			basic = append(basic, w)
		}
	}
	withDeployment := mtSampleWant()
	for i := range withDeployment {
		withDeployment[i].dims = strings.TrimPrefix(withDeployment[i].dims+",Deployment=prod", ",")
	}
	tests := []struct {
		name      string
		cfg       configs.Metrics
		wantNS    string
		wantLines int
		want      []mtWant
	}{
		// 2 providers + 4 models + 1 report-wide line.
		{"full", configs.Metrics{Namespace: "OpenClaw/ProviderHealth"}, "OpenClaw/ProviderHealth", 7, mtSampleWant()},
		{"default namespace, static dimension", configs.Metrics{Dimensions: map[string]string{"Deployment": "prod"}}, DefaultNamespace, 7, withDeployment},
		{"basic", configs.Metrics{Namespace: "X/Y", Detail: "basic"}, "X/Y", 7, basic},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			lines, ms := emfLines(t, tc.cfg, mtReport(t0))
			if len(lines) != tc.wantLines {
				t.Fatalf("%d lines, want %d:\n%s", len(lines), tc.wantLines, strings.Join(lines, "\n"))
			}
			var data []Datum
			for _, m := range ms {
				if m.namespace != tc.wantNS {
					t.Fatalf("namespace %q, want %q", m.namespace, tc.wantNS)
				}
				data = append(data, m.datum)
			}
			mtCheckData(t, t0, data, tc.want)
		})
	}
}

func TestEMFManyMetricsSplitDirectives(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	g := emfGroup{dims: []Dimension{{"Provider", "p"}}, t: t0}
	for i := range 250 {
		g.data = append(g.data, Datum{Name: fmt.Sprintf("M%03d", i), Unit: UnitCount, Value: float64(i), Time: t0, Dimensions: g.dims})
	}
	line, err := NewEMF(nil, configs.Metrics{}).line(g)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := emfValidate(line)
	if err != nil {
		t.Fatalf("250 metrics: %v", err)
	}
	if len(ms) != 250 {
		t.Fatalf("%d metrics defined, want 250", len(ms))
	}
	var doc struct {
		AWS struct {
			CloudWatchMetrics []struct{ Metrics []any } `json:"CloudWatchMetrics"`
		} `json:"_aws"`
	}
	if err := json.Unmarshal(line, &doc); err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for _, d := range doc.AWS.CloudWatchMetrics {
		sizes = append(sizes, len(d.Metrics))
	}
	if fmt.Sprint(sizes) != "[100 100 50]" {
		t.Fatalf("directive sizes %v, want [100 100 50]", sizes)
	}
}

// BenchmarkEMFPublish measures writing one large cycle (10 providers × 40
// models) as EMF lines.
func BenchmarkEMFPublish(b *testing.B) {
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	r := cwBigReport(t0, 10, 40)
	sink := NewEMF(io.Discard, configs.Metrics{})
	b.ReportAllocs()
	for b.Loop() {
		if err := sink.Publish(context.Background(), r); err != nil {
			b.Fatal(err)
		}
	}
}

// TestEMFSendsEachProbeOnce: a round that repeats a provider's last probe
// (a liveness round, a recheck of another provider) does not send that
// probe's data again, or CloudWatch would count it twice; a new probe of
// it is sent, and the round's own metrics every time.
func TestEMFSendsEachProbeOnce(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	var buf bytes.Buffer
	sink := NewEMF(&buf, configs.Metrics{})
	providersIn := func(r *Report) []string {
		t.Helper()
		buf.Reset()
		if err := sink.Publish(context.Background(), r); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for line := range strings.Lines(buf.String()) {
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatal(err)
			}
			if p, ok := m[DimensionProvider].(string); ok && m[MetricProbeSuccess] != nil {
				ids = append(ids, p)
			}
			if _, ok := m[MetricFailoverActive]; !ok && m[DimensionProvider] == nil {
				t.Errorf("a line with neither a provider nor the round's metrics: %s", line)
			}
		}
		return ids
	}
	if got := providersIn(mtReport(t0)); !slices.Equal(got, []string{"ollama", "openrouter"}) {
		t.Fatalf("first report sent the probes of %v", got)
	}
	again := mtReport(t0) // the same probes, reported by a later round
	again.Time = t0.Add(10 * time.Second)
	if got := providersIn(again); len(got) != 0 {
		t.Fatalf("a repeated probe was sent again: %v", got)
	}
	if !strings.Contains(buf.String(), MetricFailoverActive) {
		t.Fatal("the round's own metrics were not sent")
	}
	newer := mtReport(t0)
	newer.Providers[1].Start = t0.Add(15 * time.Second) // openrouter probed again
	if got := providersIn(newer); !slices.Equal(got, []string{"openrouter"}) {
		t.Fatalf("after a new probe of openrouter, sent %v", got)
	}
}
