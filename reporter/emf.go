package reporter

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/provwatch/provwatch/configs"
)

// emfMaxMetricsPerDirective is EMF's limit on MetricDefinitions per
// MetricDirective.
const emfMaxMetricsPerDirective = 100

// EMF writes docs/reference.md §7's metrics in CloudWatch's Embedded Metric
// Format: one JSON object per line, which CloudWatch Logs turns into
// metrics when the lines reach a log group (Lambda and ECS stdout). It
// makes no PutMetricData call; the only permission needed is the one to
// write logs, which the runtime already has.
//
// Each line carries the metrics that share a dimension set and a time:
// one line per provider (ProbeSuccess, ProbeLatency, RateLimitHeadroom),
// one per model (ModelAvailable, ContextWindow, HealthState) and one for
// FailoverActive and OrderChanges.
type EMF struct {
	w         io.Writer
	cfg       configs.Metrics
	namespace string
	now       func() time.Time
	sent      sentProbes

	mu sync.Mutex // one Write per line, lines of one report together
}

var _ Sink = (*EMF)(nil)

// NewEMF returns a sink writing EMF lines to w (usually stdout).
func NewEMF(w io.Writer, cfg configs.Metrics) *EMF {
	ns := strings.TrimSpace(cfg.Namespace)
	if ns == "" {
		ns = DefaultNamespace
	}
	return &EMF{w: w, cfg: cfg, namespace: ns, now: time.Now}
}

// emfGroup is the data of one line: same dimensions, same time.
type emfGroup struct {
	dims []Dimension
	t    time.Time
	data []Datum
}

// Publish writes the report's metrics, one line per group.
func (e *EMF) Publish(ctx context.Context, r *Report) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("emf: not written: %w", err)
	}
	return e.write(BuildData(e.sent.unsent(r), e.cfg, e.now()))
}

var _ DataSink = (*EMF)(nil)

// PublishData writes data that is not part of a report (see
// NotificationsFailedData).
func (e *EMF) PublishData(ctx context.Context, data []Datum) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("emf: not written: %w", err)
	}
	return e.write(data)
}

func (e *EMF) write(data []Datum) error {
	groups := emfGroupData(data)
	var buf bytes.Buffer
	for _, g := range groups {
		line, err := e.line(g)
		if err != nil {
			return err
		}
		buf.Write(line)
		buf.WriteByte('\n')
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, err := e.w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("emf: writing metric lines: %w", err)
	}
	return nil
}

// Close has nothing to flush: every line is written by Publish.
func (e *EMF) Close(context.Context) error { return nil }

// emfGroupData keeps BuildData's order (provider, its models, then the
// report-wide metrics) and joins consecutive data of one dimension set.
func emfGroupData(data []Datum) []emfGroup {
	var out []emfGroup
	index := map[string]int{}
	for _, d := range data {
		key := emfDimsKey(d.Dimensions) + "@" + d.Time.UTC().Format(time.RFC3339Nano)
		i, ok := index[key]
		if !ok {
			i = len(out)
			index[key] = i
			out = append(out, emfGroup{dims: d.Dimensions, t: d.Time})
		}
		out[i].data = append(out[i].data, d)
	}
	return out
}

func emfDimsKey(dims []Dimension) string {
	var b strings.Builder
	for _, d := range dims {
		b.WriteString(d.Name)
		b.WriteByte('=')
		b.WriteString(d.Value)
		b.WriteByte(0)
	}
	return b.String()
}

type emfMetric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

type emfDirective struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []emfMetric `json:"Metrics"`
}

type emfMeta struct {
	Timestamp         int64          `json:"Timestamp"`
	CloudWatchMetrics []emfDirective `json:"CloudWatchMetrics"`
}

// line encodes one group as an EMF document: _aws metadata, dimension
// values as top-level strings, metric values as top-level numbers.
func (e *EMF) line(g emfGroup) ([]byte, error) {
	names := make([]string, 0, len(g.dims))
	root := make(map[string]any, len(g.dims)+len(g.data)+1)
	for _, d := range g.dims {
		names = append(names, d.Name)
		root[d.Name] = d.Value
	}
	meta := emfMeta{Timestamp: g.t.UnixMilli()}
	for start := 0; start < len(g.data); start += emfMaxMetricsPerDirective {
		end := min(start+emfMaxMetricsPerDirective, len(g.data))
		dir := emfDirective{Namespace: e.namespace, Dimensions: [][]string{names}}
		for _, d := range g.data[start:end] {
			dir.Metrics = append(dir.Metrics, emfMetric{Name: d.Name, Unit: d.Unit})
			root[d.Name] = d.Value
		}
		meta.CloudWatchMetrics = append(meta.CloudWatchMetrics, dir)
	}
	root["_aws"] = meta
	b, err := json.Marshal(root)
	if err != nil {
		return nil, fmt.Errorf("emf: encoding metrics with dimensions %v: %w", g.dims, err)
	}
	return b, nil
}
