package configs

import (
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/provwatch/provwatch/internal/awstest"
)

// One moto_server serves every SSM test of the package; each test uses its
// own parameter names. It starts on first use and is killed by TestMain.
var moto awstest.Moto

func TestMain(m *testing.M) {
	code := m.Run()
	moto.Stop()
	os.Exit(code)
}

// newSSM is the real SSM client, as the command builds it, pointed at url.
func newSSM(t *testing.T, url string) *ssm.Client {
	t.Helper()
	return ssm.NewFromConfig(awstest.Config(t), func(o *ssm.Options) { o.BaseEndpoint = aws.String(url) })
}
