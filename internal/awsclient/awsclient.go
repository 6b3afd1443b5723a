// Package awsclient gives provwatch's AWS clients deadlines. The SDK's
// defaults wait 30 s to connect and then for ever for an answer: an
// endpoint that accepts a connection and never replies (a broken proxy, a
// VPC endpoint in trouble) would hang `once` until it is killed and stall
// every cycle of `run`. Every attempt is bounded by the HTTP client, every
// call (its retries included) by a deadline.
//
// It also holds NewParams, the SDK's implementation of ssmparam.Client:
// the packages that read and write parameters (configs, remediate,
// internal/follow) speak ssmparam and never import the SDK, so a binary
// that only follows the order need not link it.
package awsclient

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go/middleware"
)

// The bounds. AWS answers a GetParameter or PutParameter in tens of
// milliseconds; these leave room for a slow network and the SDK's retries
// with backoff, and still end a stuck call well inside a one-minute cycle.
const (
	DialTimeout     = 5 * time.Second  // TCP connect
	TLSTimeout      = 5 * time.Second  // TLS handshake
	ResponseTimeout = 10 * time.Second // request sent → response headers; also the longest silence while reading a body
	CallDeadline    = 30 * time.Second // one API call, every retry included
)

// HTTPClient is the HTTP client for every AWS client provwatch builds
// (SSM and CloudWatch): the SDK's, with the attempt bounds above.
func HTTPClient() *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = DialTimeout }).
		WithTransportOptions(func(t *http.Transport) {
			t.TLSHandshakeTimeout = TLSTimeout
			t.ResponseHeaderTimeout = ResponseTimeout
		}).
		WithReadTimeout(ResponseTimeout)
}

// WithCallDeadline bounds every call made through a client, retries
// included, to d; a caller's earlier deadline still wins. It goes in a
// client's APIOptions.
func WithCallDeadline(d time.Duration) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("provwatchCallDeadline",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				ctx, cancel := context.WithTimeout(ctx, d)
				defer cancel()
				return next.HandleInitialize(ctx, in)
			}), middleware.Before)
	}
}

// newSSM is the SDK's SSM client behind NewParams, each call bounded by
// deadline.
func newSSM(cfg aws.Config, deadline time.Duration) *ssm.Client {
	return ssm.NewFromConfig(cfg, func(o *ssm.Options) {
		o.APIOptions = append(o.APIOptions, WithCallDeadline(deadline))
	})
}
