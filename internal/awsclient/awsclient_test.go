package awsclient

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/provwatch/provwatch/internal/awstest"
)

func config(endpoint string, hc aws.HTTPClient) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		BaseEndpoint: aws.String(endpoint),
		HTTPClient:   hc,
	}
}

// call runs GetParameter with no deadline of its own and fails the test,
// instead of hanging it, if the client never gives up.
func call(t *testing.T, cli *ssm.Client) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := cli.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String("/openclaw/model-order")})
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(2 * time.Minute):
		t.Fatal("GetParameter against an endpoint that never answers did not return")
		return nil
	}
}

// TestCallDeadlineEndsAHungCall: the SSM client's deadline bounds a call
// whose every attempt hangs, retries included.
func TestCallDeadlineEndsAHungCall(t *testing.T) {
	t.Parallel()
	url, _ := awstest.Silent(t)
	cli := newSSM(config(url, nil), 200*time.Millisecond)
	if err := call(t, cli); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the call deadline", err)
	}
}

// TestHTTPClientBoundsEachAttempt: HTTPClient sets every attempt bound,
// and without a call deadline the read bound alone ends each silent
// attempt (here shortened), so the SDK retries and then gives up instead
// of waiting for ever.
func TestHTTPClientBoundsEachAttempt(t *testing.T) {
	t.Parallel()
	hc := HTTPClient()
	if tr := hc.GetTransport(); tr.TLSHandshakeTimeout != TLSTimeout || tr.ResponseHeaderTimeout != ResponseTimeout {
		t.Errorf("transport bounds: TLS %v, response headers %v; want %v, %v", tr.TLSHandshakeTimeout, tr.ResponseHeaderTimeout, TLSTimeout, ResponseTimeout)
	}
	if d := hc.GetDialer().Timeout; d != DialTimeout {
		t.Errorf("dial bound %v, want %v", d, DialTimeout)
	}
	if rt, ok := hc.GetReadTimeout(); !ok || rt != ResponseTimeout {
		t.Errorf("read bound %v (set %v), want %v", rt, ok, ResponseTimeout)
	}
	url, conns := awstest.Silent(t)
	fast := HTTPClient().WithReadTimeout(100 * time.Millisecond)
	cli := ssm.NewFromConfig(config(url, fast), func(o *ssm.Options) { o.RetryMaxAttempts = 2 })
	if err := call(t, cli); err == nil {
		t.Fatal("a call to an endpoint that never answers succeeded")
	}
	if n := conns(); n < 2 {
		t.Errorf("%d attempts, want the SDK to retry a timed-out attempt", n)
	}
}
