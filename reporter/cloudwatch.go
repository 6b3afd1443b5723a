package reporter

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/transport/http/protocol/awsjson"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
	"github.com/rs/zerolog"

	"github.com/provwatch/provwatch/configs"
)

// PutMetricData limits (docs/metrics.md): at most 1000 data and 1 MB per request.
// The byte budget stays under 1 MB with room for the namespace and the
// protocol's envelope, since sizes are estimated, not measured.
const (
	cwMaxDataPerPut  = 1000
	cwMaxBytesPerPut = 900 << 10
)

// CloudWatch accepts timestamps up to two weeks old; older data would only
// be rejected, so the buffer drops it first.
const cwMaxAge = 14 * 24 * time.Hour

// DefaultCloudWatchBuffer is how many data the sink keeps while CloudWatch
// cannot be reached: about a week of a 20-model config on a 1-minute
// schedule would be far more, so this bounds memory, not history.
const DefaultCloudWatchBuffer = 10000

// CloudWatch publishes docs/reference.md §7's metrics with PutMetricData. When a
// put fails for a reason that may pass (throttling, network, 5xx, an
// expired credential), the data is kept in a bounded buffer and sent, with
// its original timestamps and in timestamp order, on the next Publish or
// on Close. Data CloudWatch rejects as invalid is logged and dropped.
type CloudWatch struct {
	client    *cloudwatch.Client
	cfg       configs.Metrics
	namespace string
	log       zerolog.Logger
	now       func() time.Time
	bufferMax int
	sent      sentProbes

	mu      sync.Mutex // serialises puts so buffered data keeps its order
	pending []Datum    // not yet accepted by CloudWatch, oldest first
	stats   CloudWatchStats
}

// CloudWatchStats counts what the sink did since it was made.
type CloudWatchStats struct {
	Sent     int // data CloudWatch accepted
	Puts     int // successful PutMetricData requests
	Pending  int // data buffered now, waiting for CloudWatch
	Dropped  int // buffered data dropped: buffer full (oldest first) or older than two weeks
	Rejected int // data CloudWatch refused as invalid (logged, not retried)
}

// CloudWatchOption adjusts a CloudWatch sink.
type CloudWatchOption func(*CloudWatch)

// WithCloudWatchClock sets the clock used for data without a time and for
// the two-week age limit; tests inject a fixed clock.
func WithCloudWatchClock(now func() time.Time) CloudWatchOption {
	return func(c *CloudWatch) { c.now = now }
}

// WithCloudWatchBuffer bounds the data kept while CloudWatch is
// unreachable (default DefaultCloudWatchBuffer); the oldest go first.
func WithCloudWatchBuffer(n int) CloudWatchOption {
	return func(c *CloudWatch) {
		if n > 0 {
			c.bufferMax = n
		}
	}
}

var _ Sink = (*CloudWatch)(nil)

// NewCloudWatch returns a sink that puts each report's metrics into
// cfg.Namespace with client.
func NewCloudWatch(client *cloudwatch.Client, cfg configs.Metrics, log zerolog.Logger, opts ...CloudWatchOption) *CloudWatch {
	c := &CloudWatch{
		client:    client,
		cfg:       cfg,
		namespace: strings.TrimSpace(cfg.Namespace),
		log:       log.With().Str("sink", "cloudwatch").Logger(),
		now:       time.Now,
		bufferMax: DefaultCloudWatchBuffer,
	}
	if c.namespace == "" {
		c.namespace = DefaultNamespace
	}
	for _, o := range opts {
		o(c)
	}
	if skipped := SkippedStaticDimensions(cfg.Dimensions); len(skipped) > 0 {
		c.log.Warn().Strs("dimensions", skipped).Msg("metrics.dimensions: these static dimensions are not sent")
	}
	return c
}

// NewCloudWatchClient builds the CloudWatch client for metrics.cloudwatch.protocol:
// "cbor" (or "") keeps the SDK's default Smithy RPC v2 CBOR, "json" speaks
// awsJson1_0 and "query" the awsQuery protocol — AWS accepts all three,
// emulators such as moto only the last two. endpoint, when not empty,
// overrides the resolved endpoint. Request compression follows awsCfg
// (AWS_DISABLE_REQUEST_COMPRESSION=true turns it off, which moto needs);
// optFns can adjust further, e.g. WithoutRequestCompression.
func NewCloudWatchClient(awsCfg aws.Config, protocol string, endpoint string, optFns ...func(*cloudwatch.Options)) *cloudwatch.Client {
	fns := []func(*cloudwatch.Options){func(o *cloudwatch.Options) {
		switch strings.ToLower(strings.TrimSpace(protocol)) {
		case "json":
			o.Protocol = awsjson.New10(schemas.GraniteServiceVersion20100801)
		case "query":
			o.Protocol = awsquery.New(schemas.GraniteServiceVersion20100801)
		}
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}}
	return cloudwatch.NewFromConfig(awsCfg, append(fns, optFns...)...)
}

// WithoutRequestCompression turns off gzip of PutMetricData bodies. moto
// decompresses request bodies twice, so a gzipped put fails there.
func WithoutRequestCompression(o *cloudwatch.Options) { o.DisableRequestCompression = true }

// Publish puts the report's metrics, after whatever earlier cycles left
// buffered. It returns an error when data had to be buffered or was
// rejected; the sink stays usable either way.
func (c *CloudWatch) Publish(ctx context.Context, r *Report) error {
	data := BuildData(c.sent.unsent(r), c.cfg, c.now())
	c.mu.Lock()
	defer c.mu.Unlock()
	queue := append(c.pending, data...)
	c.pending = nil
	return c.flushLocked(ctx, queue)
}

// PublishData puts data that is not part of a report (see
// NotificationsFailedData), after whatever is buffered.
func (c *CloudWatch) PublishData(ctx context.Context, data []Datum) error {
	if len(data) == 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	queue := append(c.pending, data...)
	c.pending = nil
	return c.flushLocked(ctx, queue)
}

var _ DataSink = (*CloudWatch)(nil)

// Close sends what is buffered, within ctx. Data it cannot send is lost,
// and the error says how much.
func (c *CloudWatch) Close(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.pending) == 0 {
		return nil
	}
	queue := c.pending
	c.pending = nil
	err := c.flushLocked(ctx, queue)
	if n := len(c.pending); n > 0 {
		c.log.Error().Int("lost", n).Msg("cloudwatch: closing with data CloudWatch never accepted")
		c.pending = nil
		c.stats.Pending = 0
		return fmt.Errorf("cloudwatch: %d data not sent before shutdown: %w", n, err)
	}
	return err
}

// Stats returns the sink's counters.
func (c *CloudWatch) Stats() CloudWatchStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Pending = len(c.pending)
	return s
}

// flushLocked sends queue in timestamp order. On a failure that may pass,
// the failed batch and everything after it go back to the buffer.
func (c *CloudWatch) flushLocked(ctx context.Context, queue []Datum) error {
	if len(queue) == 0 {
		return nil
	}
	sort.SliceStable(queue, func(i, j int) bool { return queue[i].Time.Before(queue[j].Time) })
	cutoff := c.now().Add(-cwMaxAge)
	stale := 0
	for stale < len(queue) && queue[stale].Time.Before(cutoff) {
		stale++
	}
	if stale > 0 {
		c.stats.Dropped += stale
		c.log.Warn().Int("dropped", stale).Int("dropped_total", c.stats.Dropped).
			Msg("cloudwatch: dropped buffered data older than two weeks (CloudWatch refuses it)")
		queue = queue[stale:]
	}

	var rejected error
	for len(queue) > 0 {
		n := cwBatchLen(queue)
		batch := queue[:n]
		err := c.put(ctx, batch)
		if err == nil {
			c.stats.Sent += n
			c.stats.Puts++
			queue = queue[n:]
			continue
		}
		if cwIsDataError(err) {
			// Retrying cannot help: the request itself is wrong. Sending the
			// rest still can.
			c.stats.Rejected += n
			c.log.Error().Err(err).Int("rejected", n).Str("namespace", c.namespace).
				Msg("cloudwatch: PutMetricData refused the data as invalid; dropped, not retried")
			rejected = fmt.Errorf("cloudwatch: PutMetricData to namespace %q refused %d data as invalid (dropped): %w", c.namespace, n, err)
			queue = queue[n:]
			continue
		}
		c.keepLocked(queue)
		c.log.Warn().Err(err).Int("pending", len(c.pending)).Int("dropped_total", c.stats.Dropped).
			Msg("cloudwatch: PutMetricData failed; data kept for the next attempt")
		return fmt.Errorf("cloudwatch: PutMetricData to namespace %q failed (%d data kept to send later with their original timestamps; check network, credentials and cloudwatch:PutMetricData permission): %w",
			c.namespace, len(c.pending), err)
	}
	return rejected
}

// keepLocked buffers queue (sorted oldest first), dropping the oldest data
// beyond the bound: recent data matters more to alarms than old.
func (c *CloudWatch) keepLocked(queue []Datum) {
	if over := len(queue) - c.bufferMax; over > 0 {
		c.stats.Dropped += over
		c.log.Warn().Int("dropped", over).Int("dropped_total", c.stats.Dropped).Int("buffer", c.bufferMax).
			Msg("cloudwatch: buffer full while CloudWatch is unreachable; dropped the oldest data")
		queue = queue[over:]
	}
	c.pending = append([]Datum(nil), queue...)
}

func (c *CloudWatch) put(ctx context.Context, batch []Datum) error {
	in := &cloudwatch.PutMetricDataInput{
		Namespace:  aws.String(c.namespace),
		MetricData: make([]types.MetricDatum, len(batch)),
	}
	for i, d := range batch {
		md := types.MetricDatum{
			MetricName: aws.String(d.Name),
			Timestamp:  aws.Time(d.Time),
			Value:      aws.Float64(d.Value),
			Unit:       types.StandardUnit(d.Unit),
		}
		for _, dim := range d.Dimensions {
			md.Dimensions = append(md.Dimensions, types.Dimension{Name: aws.String(dim.Name), Value: aws.String(dim.Value)})
		}
		in.MetricData[i] = md
	}
	_, err := c.client.PutMetricData(ctx, in)
	return err
}

// cwBatchLen returns how many data from the front of queue fit one put.
func cwBatchLen(queue []Datum) int {
	size := 0
	for i, d := range queue {
		size += cwDatumSize(d)
		if i == cwMaxDataPerPut || (i > 0 && size > cwMaxBytesPerPut) {
			return i
		}
	}
	return len(queue)
}

// cwDatumSize over-estimates a datum's encoded size in the most verbose
// protocol (awsQuery: long member paths, percent-encoded values).
func cwDatumSize(d Datum) int {
	n := 160 + 3*len(d.Name) + len(d.Unit)
	for _, dim := range d.Dimensions {
		n += 100 + 3*(len(dim.Name)+len(dim.Value))
	}
	return n
}

// cwIsDataError tells a request CloudWatch will never accept (bad value,
// timestamp or dimension) from one worth retrying later.
func cwIsDataError(err error) bool {
	var ipv *types.InvalidParameterValueException
	var ipc *types.InvalidParameterCombinationException
	var mrp *types.MissingRequiredParameterException
	if errors.As(err, &ipv) || errors.As(err, &ipc) || errors.As(err, &mrp) {
		return true
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "InvalidParameterValue", "InvalidParameterCombination", "MissingParameter",
			"InvalidParameterValueException", "InvalidParameterCombinationException",
			"MissingRequiredParameterException", "ValidationError", "ValidationException",
			"SerializationException":
			return true
		}
	}
	return false
}
