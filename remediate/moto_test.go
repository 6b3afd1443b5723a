package remediate

import (
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/provwatch/provwatch/internal/awsclient"
	"github.com/provwatch/provwatch/internal/awstest"
	"github.com/provwatch/provwatch/internal/ssmparam"
)

// One moto_server serves every SSM test of the package; each test uses its
// own parameter names. It starts on first use and is killed by TestMain.
var moto awstest.Moto

func TestMain(m *testing.M) {
	code := m.Run()
	moto.Stop()
	os.Exit(code)
}

// motoConfig is the SDK configuration the command loads, pointed at url.
// Retries do not back off, so retry tests do not sleep.
func motoConfig(t *testing.T, url string) aws.Config {
	t.Helper()
	cfg := awstest.Config(t)
	cfg.BaseEndpoint = aws.String(url)
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		})
	}
	return cfg
}

// newSSM is Parameter Store as the command builds it (the SDK's client
// behind awsclient's adapter, its retries included), pointed at url.
func newSSM(t *testing.T, url string) ssmparam.Client {
	t.Helper()
	return awsclient.NewParams(motoConfig(t, url))
}

// rawSSM is the SDK's own client at url, for what a test looks at or
// plants behind the target's back: descriptions, StringLists, another
// writer's put.
func rawSSM(t *testing.T, url string) *ssm.Client {
	t.Helper()
	return ssm.NewFromConfig(motoConfig(t, url))
}
