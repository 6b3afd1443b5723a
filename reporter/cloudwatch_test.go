package reporter

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/fxamacker/cbor/v2"
	"github.com/rs/zerolog"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/internal/syncbuf"
	"github.com/provwatch/provwatch/probes"
)

// cwFakeDatum is a MetricDatum as the fake decodes it from the real CBOR
// request body.
type cwFakeDatum struct {
	MetricName string `cbor:"MetricName"`
	Dimensions []struct {
		Name  string `cbor:"Name"`
		Value string `cbor:"Value"`
	} `cbor:"Dimensions"`
	Timestamp time.Time `cbor:"Timestamp"`
	Value     *float64  `cbor:"Value"`
	Unit      string    `cbor:"Unit"`
}

type cwFakePut struct {
	Namespace  string        `cbor:"Namespace"`
	MetricData []cwFakeDatum `cbor:"MetricData"`
}

// cwFakeError is one entry of testdata/metrics_cloudwatch_errors.json.
type cwFakeError struct {
	Status     int               `json:"status"`
	QueryError string            `json:"query_error"`
	Body       map[string]string `json:"body"`
}

func cwLoadErrors(t testing.TB) map[string]cwFakeError {
	t.Helper()
	b, err := os.ReadFile("testdata/metrics_cloudwatch_errors.json")
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	out := map[string]cwFakeError{}
	for k, v := range raw {
		if strings.HasPrefix(k, "_") {
			continue
		}
		var e cwFakeError
		if err := json.Unmarshal(v, &e); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		out[k] = e
	}
	return out
}

// cwFake is CloudWatch's PutMetricData over Smithy RPC v2 CBOR: it checks
// the request's protocol headers, gunzips and decodes the CBOR body, and
// answers with success or with the error fixture next() names.
type cwFake struct {
	t      testing.TB
	errors map[string]cwFakeError

	mu       sync.Mutex
	next     func(n int) string // "" for success, else an error fixture name
	requests int
	gzipped  int
	accepted []cwFakePut
	bodySize []int // decompressed size of each request
}

func newCWFake(t testing.TB) *cwFake {
	return &cwFake{t: t, errors: cwLoadErrors(t), next: func(int) string { return "" }}
}

func (f *cwFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/service/GraniteServiceVersion20100801/operation/PutMetricData" {
		f.t.Errorf("fake CloudWatch: unexpected %s %s", r.Method, r.URL.Path)
		http.NotFound(w, r)
		return
	}
	if got := r.Header.Get("Smithy-Protocol"); got != "rpc-v2-cbor" {
		f.t.Errorf("Smithy-Protocol = %q", got)
	}
	if got := r.Header.Get("Content-Type"); got != "application/cbor" {
		f.t.Errorf("Content-Type = %q", got)
	}
	var body io.Reader = r.Body
	gz := r.Header.Get("Content-Encoding") == "gzip"
	if gz {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			f.t.Errorf("gunzip: %v", err)
			w.WriteHeader(400)
			return
		}
		body = zr
	}
	raw, err := io.ReadAll(body)
	if err != nil {
		f.t.Errorf("read body: %v", err)
		return
	}
	var put cwFakePut
	if err := cbor.Unmarshal(raw, &put); err != nil {
		f.t.Errorf("decode CBOR PutMetricData: %v", err)
		w.WriteHeader(400)
		return
	}

	f.mu.Lock()
	n := f.requests
	f.requests++
	if gz {
		f.gzipped++
	}
	f.bodySize = append(f.bodySize, len(raw))
	answer := f.next(n)
	if answer == "" {
		f.accepted = append(f.accepted, put)
	}
	f.mu.Unlock()

	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("Content-Type", "application/cbor")
	if answer == "" {
		out, _ := cbor.Marshal(map[string]any{})
		w.WriteHeader(200)
		w.Write(out)
		return
	}
	e, ok := f.errors[answer]
	if !ok {
		f.t.Errorf("no error fixture %q", answer)
	}
	out, err := cbor.Marshal(e.Body)
	if err != nil {
		f.t.Errorf("encode error body: %v", err)
	}
	w.Header().Set("X-Amzn-Query-Error", e.QueryError)
	w.WriteHeader(e.Status)
	w.Write(out)
}

func (f *cwFake) data() []cwFakeDatum {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []cwFakeDatum
	for _, p := range f.accepted {
		out = append(out, p.MetricData...)
	}
	return out
}

func (f *cwFake) counts() (requests, gzipped, accepted int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests, f.gzipped, len(f.accepted)
}

// cwTestClient is the real SDK client with the default CBOR protocol
// pointed at endpoint. A bare aws.Config gzips every request body, which
// the fake must undo; the SDK's own retries are off so each Publish makes
// exactly the requests the sink decides.
func cwTestClient(endpoint string) *cloudwatch.Client {
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret", ""),
	}
	return NewCloudWatchClient(cfg, "cbor", endpoint, func(o *cloudwatch.Options) {
		o.Retryer = aws.NopRetryer{}
	})
}

// cwFixedClock returns a clock for the sink that tests move by hand.
type cwFixedClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *cwFixedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *cwFixedClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// cwFakeDims renders the fake's dimensions like mtDims.
func cwFakeDims(d cwFakeDatum) string {
	parts := make([]string, len(d.Dimensions))
	for i, x := range d.Dimensions {
		parts[i] = x.Name + "=" + x.Value
	}
	return strings.Join(parts, ",")
}

// cwAsData converts what the fake received into Datums for mtCheckData.
func cwAsData(t *testing.T, in []cwFakeDatum) []Datum {
	t.Helper()
	out := make([]Datum, len(in))
	for i, d := range in {
		if d.Value == nil {
			t.Fatalf("%s has no Value", d.MetricName)
		}
		out[i] = Datum{Name: d.MetricName, Unit: d.Unit, Value: *d.Value, Time: d.Timestamp}
		for _, x := range d.Dimensions {
			out[i].Dimensions = append(out[i].Dimensions, Dimension{x.Name, x.Value})
		}
	}
	return out
}

// cwLogs captures the sink's zerolog lines.
type cwLogs struct{ syncbuf.Buffer }

func (l *cwLogs) lines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		out = append(out, m)
	}
	return out
}

func TestCloudWatchCBORPublish(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	fake := newCWFake(t)
	srv := httptest.NewServer(fake)
	defer srv.Close()

	cfg := configs.Metrics{Namespace: "OpenClaw/ProviderHealth", Dimensions: map[string]string{"Deployment": "prod"}}
	sink := NewCloudWatch(cwTestClient(srv.URL), cfg, zerolog.Nop(), WithCloudWatchClock(func() time.Time { return t0.Add(time.Minute) }))
	if err := sink.Publish(context.Background(), mtReport(t0)); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	requests, gzipped, _ := fake.counts()
	if requests != 1 || gzipped != 1 {
		t.Fatalf("requests = %d (gzipped %d), want 1 gzipped put", requests, gzipped)
	}
	if ns := fake.accepted[0].Namespace; ns != "OpenClaw/ProviderHealth" {
		t.Fatalf("namespace = %q", ns)
	}
	wants := mtSampleWant()
	for i := range wants {
		wants[i].dims = strings.TrimPrefix(wants[i].dims+",Deployment=prod", ",")
	}
	got := cwAsData(t, fake.data())
	mtCheckData(t, t0, got, wants)
	for i := 1; i < len(got); i++ {
		if got[i].Time.Before(got[i-1].Time) {
			t.Fatalf("data not in timestamp order at %d", i)
		}
	}
	if s := sink.Stats(); s.Sent != len(wants) || s.Puts != 1 || s.Pending != 0 {
		t.Fatalf("stats = %+v", s)
	}
}

func TestCloudWatchCBORErrors(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	perReport := len(mtSampleWant())

	tests := []struct {
		name        string
		firstAnswer string
		errIs       func(error) bool
		errText     string
		// after the first (failed) Publish and a second, successful one:
		wantPending  int // after the first
		wantRejected int
		wantArrived  int // data CloudWatch holds in the end
	}{
		{
			name: "throttled: kept and sent next cycle", firstAnswer: "throttling",
			errIs: func(err error) bool {
				var api interface{ ErrorCode() string }
				return errors.As(err, &api) && (api.ErrorCode() == "Throttling" || api.ErrorCode() == "ThrottlingException")
			},
			errText:     "kept to send later",
			wantPending: perReport, wantArrived: 2 * perReport,
		},
		{
			name: "5xx: kept and sent next cycle", firstAnswer: "internal",
			errIs: func(err error) bool {
				var f *types.InternalServiceFault
				return errors.As(err, &f)
			},
			errText:     "kept to send later",
			wantPending: perReport, wantArrived: 2 * perReport,
		},
		{
			name: "invalid data: dropped, not retried", firstAnswer: "invalid_value",
			errIs: func(err error) bool {
				var v *types.InvalidParameterValueException
				return errors.As(err, &v)
			},
			errText:      "refused",
			wantRejected: perReport, wantArrived: perReport,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := newCWFake(t)
			fake.next = func(n int) string {
				if n == 0 {
					return tc.firstAnswer
				}
				return ""
			}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			clock := &cwFixedClock{now: t0.Add(time.Minute)}
			sink := NewCloudWatch(cwTestClient(srv.URL), configs.Metrics{}, zerolog.Nop(), WithCloudWatchClock(clock.Now))

			err := sink.Publish(context.Background(), mtReport(t0))
			if err == nil || !tc.errIs(err) || !strings.Contains(err.Error(), tc.errText) {
				t.Fatalf("first Publish error = %v", err)
			}
			if s := sink.Stats(); s.Pending != tc.wantPending || s.Rejected != tc.wantRejected {
				t.Fatalf("after failure: stats = %+v", s)
			}
			clock.Set(t0.Add(2 * time.Minute))
			if err := sink.Publish(context.Background(), mtReport(t0.Add(time.Minute))); err != nil {
				t.Fatalf("second Publish: %v", err)
			}
			got := fake.data()
			if len(got) != tc.wantArrived {
				t.Fatalf("CloudWatch holds %d data, want %d", len(got), tc.wantArrived)
			}
			for i := 1; i < len(got); i++ {
				if got[i].Timestamp.Before(got[i-1].Timestamp) {
					t.Fatalf("data out of timestamp order at %d: %s after %s", i, got[i].Timestamp, got[i-1].Timestamp)
				}
			}
			if s := sink.Stats(); s.Pending != 0 {
				t.Fatalf("still pending: %+v", s)
			}
		})
	}
}

// cwBigReport has providers × models models, each with every metric.
func cwBigReport(t0 time.Time, providers, models int) *Report {
	r := &Report{Time: t0}
	for p := range providers {
		pr := ProviderReport{
			ID: fmt.Sprintf("prov%02d", p), Start: t0,
			Probe:     probes.ProbeInfo{OK: true, LatencyMS: float64(p)},
			RateLimit: probes.RateLimit{Headroom: mtFloat(0.5)},
		}
		for m := range models {
			pr.Models = append(pr.Models, ModelReport{Ref: fmt.Sprintf("prov%02d/model-%03d", p, m), ContextWindow: mtInt(1000 * m)})
		}
		r.Providers = append(r.Providers, pr)
	}
	return r
}

func TestCloudWatchBatching(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	longDims := map[string]string{}
	for i := range 28 {
		longDims[fmt.Sprintf("%s%02d", strings.Repeat("N", 200), i)] = strings.Repeat("v", 255)
	}
	tests := []struct {
		name      string
		report    *Report
		dims      map[string]string
		wantData  int
		wantPuts  int
		maxInPut0 int
	}{
		// 20 providers × 3 + 400 models × 3 + 2 = 1262 data: 1000 + 262.
		{"by count", cwBigReport(t0, 20, 20), nil, 1262, 2, 1000},
		// 3 + 40×3 + 2 = 125 data of ~13 KB each: the 1 MB limit splits them.
		{"by size", cwBigReport(t0, 1, 40), longDims, 125, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := newCWFake(t)
			srv := httptest.NewServer(fake)
			defer srv.Close()
			sink := NewCloudWatch(cwTestClient(srv.URL), configs.Metrics{Dimensions: tc.dims}, zerolog.Nop(),
				WithCloudWatchClock(func() time.Time { return t0 }))
			if err := sink.Publish(context.Background(), tc.report); err != nil {
				t.Fatalf("Publish: %v", err)
			}
			got := fake.data()
			if len(got) != tc.wantData {
				t.Fatalf("received %d data, want %d", len(got), tc.wantData)
			}
			seen := map[string]bool{}
			for _, d := range got {
				k := d.MetricName + "{" + cwFakeDims(d) + "}"
				if seen[k] {
					t.Fatalf("%s sent twice", k)
				}
				seen[k] = true
			}
			fake.mu.Lock()
			defer fake.mu.Unlock()
			if tc.wantPuts > 0 && (len(fake.accepted) != tc.wantPuts || len(fake.accepted[0].MetricData) != tc.maxInPut0) {
				t.Fatalf("%d puts, first with %d data; want %d puts, first %d", len(fake.accepted), len(fake.accepted[0].MetricData), tc.wantPuts, tc.maxInPut0)
			}
			if tc.wantPuts == 0 && len(fake.accepted) < 2 {
				t.Fatalf("large data went in %d put(s); the 1 MB limit needs more", len(fake.accepted))
			}
			for i, n := range fake.bodySize {
				if n > 1<<20 {
					t.Fatalf("request %d is %d bytes, over PutMetricData's 1 MB", i, n)
				}
			}
		})
	}
}

// cwFlakyEndpoint is a loopback address that refuses connections until
// up() starts a server on it, and refuses again after down().
type cwFlakyEndpoint struct {
	t    *testing.T
	addr string
	h    http.Handler
	srv  *httptest.Server
}

func newCWFlakyEndpoint(t *testing.T, h http.Handler) *cwFlakyEndpoint {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens: connections are refused
	e := &cwFlakyEndpoint{t: t, addr: addr, h: h}
	t.Cleanup(e.down)
	return e
}

func (e *cwFlakyEndpoint) url() string { return "http://" + e.addr }

func (e *cwFlakyEndpoint) up() {
	l, err := net.Listen("tcp", e.addr)
	if err != nil {
		e.t.Fatalf("re-listening on %s for the outage test (another process took the port?): %v", e.addr, err)
	}
	e.srv = httptest.NewUnstartedServer(e.h)
	e.srv.Listener = l
	e.srv.Start()
}

func (e *cwFlakyEndpoint) down() {
	if e.srv != nil {
		e.srv.Close()
		e.srv = nil
	}
}

func TestCloudWatchOutage(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	perReport := len(mtSampleWant())

	tests := []struct {
		name         string
		downCycles   int
		buffer       int
		wantDropped  int
		wantReceived int // data CloudWatch holds after the cycle that finds it back
	}{
		{"three refused cycles, all kept", 3, DefaultCloudWatchBuffer, 0, 4 * perReport},
		{"long outage, bound holds", 6, 40, 6*perReport - 40, 40 + perReport},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := newCWFake(t)
			ep := newCWFlakyEndpoint(t, fake)
			clock := &cwFixedClock{now: t0}
			logs := &cwLogs{}
			sink := NewCloudWatch(cwTestClient(ep.url()), configs.Metrics{}, zerolog.New(logs),
				WithCloudWatchClock(clock.Now), WithCloudWatchBuffer(tc.buffer))
			ctx := context.Background()

			var sent []Datum // every datum the sink was given, in order
			cycle := func(i int) error {
				at := t0.Add(time.Duration(i) * time.Minute)
				clock.Set(at.Add(10 * time.Second))
				r := mtReport(at)
				sent = append(sent, BuildData(r, configs.Metrics{}, at)...)
				return sink.Publish(ctx, r)
			}
			for i := range tc.downCycles {
				err := cycle(i)
				if err == nil || !strings.Contains(err.Error(), "kept to send later") {
					t.Fatalf("cycle %d with CloudWatch refusing: err = %v", i, err)
				}
			}
			if s := sink.Stats(); s.Pending != min(tc.downCycles*perReport, tc.buffer) || s.Dropped != tc.wantDropped {
				t.Fatalf("during the outage: stats = %+v", s)
			}
			ep.up()
			if err := cycle(tc.downCycles); err != nil {
				t.Fatalf("cycle after the outage: %v", err)
			}

			got := cwAsData(t, fake.data())
			if len(got) != tc.wantReceived {
				t.Fatalf("CloudWatch received %d data, want %d", len(got), tc.wantReceived)
			}
			// Exactly the newest wantReceived data, once each, in timestamp
			// order, with the times they were measured at.
			expect := sent[len(sent)-tc.wantReceived:]
			seen := map[string]int{}
			for i, d := range got {
				if i > 0 && d.Time.Before(got[i-1].Time) {
					t.Fatalf("datum %d (%s at %s) arrived after a later one", i, d.Key(), d.Time)
				}
				seen[d.Key()+"@"+d.Time.Format(time.RFC3339)]++
			}
			for _, d := range expect {
				k := d.Key() + "@" + d.Time.Format(time.RFC3339)
				if seen[k] != 1 {
					t.Fatalf("%s arrived %d times, want once", k, seen[k])
				}
			}
			if s := sink.Stats(); s.Dropped != tc.wantDropped || s.Pending != 0 || s.Sent != tc.wantReceived {
				t.Fatalf("after recovery: stats = %+v", s)
			}
			if tc.wantDropped > 0 {
				var last float64
				for _, l := range logs.lines(t) {
					if v, ok := l["dropped_total"].(float64); ok && strings.Contains(l["message"].(string), "buffer full") {
						last = v
					}
				}
				if int(last) != tc.wantDropped {
					t.Fatalf("logged dropped_total %v, want %d", last, tc.wantDropped)
				}
			}
		})
	}
}

func TestCloudWatchDropsDataOlderThanTwoWeeks(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	perReport := len(mtSampleWant())
	fake := newCWFake(t)
	ep := newCWFlakyEndpoint(t, fake)
	clock := &cwFixedClock{now: t0}
	sink := NewCloudWatch(cwTestClient(ep.url()), configs.Metrics{}, zerolog.Nop(), WithCloudWatchClock(clock.Now))

	if err := sink.Publish(context.Background(), mtReport(t0)); err == nil {
		t.Fatal("Publish to a refusing endpoint succeeded")
	}
	later := t0.Add(15 * 24 * time.Hour)
	clock.Set(later)
	ep.up()
	if err := sink.Publish(context.Background(), mtReport(later)); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	got := fake.data()
	if len(got) != perReport {
		t.Fatalf("received %d data, want only the %d fresh ones", len(got), perReport)
	}
	for _, d := range got {
		if d.Timestamp.Before(later) {
			t.Fatalf("stale datum sent: %s at %s", d.MetricName, d.Timestamp)
		}
	}
	if s := sink.Stats(); s.Dropped != perReport {
		t.Fatalf("stats = %+v, want %d dropped", s, perReport)
	}
}

func TestCloudWatchClose(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	perReport := len(mtSampleWant())

	for _, recovers := range []bool{true, false} {
		t.Run(fmt.Sprintf("endpoint back=%v", recovers), func(t *testing.T) {
			t.Parallel()
			fake := newCWFake(t)
			ep := newCWFlakyEndpoint(t, fake)
			sink := NewCloudWatch(cwTestClient(ep.url()), configs.Metrics{}, zerolog.Nop(),
				WithCloudWatchClock(func() time.Time { return t0 }))
			if err := sink.Publish(context.Background(), mtReport(t0)); err == nil {
				t.Fatal("Publish to a refusing endpoint succeeded")
			}
			if recovers {
				ep.up()
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			err := sink.Close(ctx)
			if recovers {
				if err != nil || len(fake.data()) != perReport {
					t.Fatalf("Close: %v; CloudWatch holds %d data, want %d", err, len(fake.data()), perReport)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%d data not sent", perReport)) {
				t.Fatalf("Close with CloudWatch unreachable: err = %v", err)
			}
		})
	}
}

func TestNewCloudWatchClientProtocol(t *testing.T) {
	t.Parallel()
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret", "")}
	for protocol, want := range map[string]string{"": "rpcv2Cbor", "cbor": "rpcv2Cbor", "json": "awsJson1_0", "query": "awsQuery"} {
		c := NewCloudWatchClient(cfg, protocol, "http://127.0.0.1:1")
		if got := c.Options().Protocol.ID().Name; got != want {
			t.Errorf("protocol %q: client speaks %s, want %s", protocol, got, want)
		}
		if ep := aws.ToString(c.Options().BaseEndpoint); ep != "http://127.0.0.1:1" {
			t.Errorf("protocol %q: endpoint %q", protocol, ep)
		}
	}
	c := NewCloudWatchClient(cfg, "json", "", WithoutRequestCompression)
	if !c.Options().DisableRequestCompression {
		t.Error("WithoutRequestCompression did not disable compression")
	}
}

// BenchmarkCloudWatchPublish measures one large cycle (1232 data, two
// puts) through the real SDK client to the loopback CBOR fake.
func BenchmarkCloudWatchPublish(b *testing.B) {
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	fake := newCWFake(b)
	srv := httptest.NewServer(fake)
	defer srv.Close()
	sink := NewCloudWatch(cwTestClient(srv.URL), configs.Metrics{}, zerolog.Nop(), WithCloudWatchClock(func() time.Time { return t0 }))
	r := cwBigReport(t0, 10, 40)
	b.ReportAllocs()
	for b.Loop() {
		if err := sink.Publish(context.Background(), r); err != nil {
			b.Fatal(err)
		}
	}
}
