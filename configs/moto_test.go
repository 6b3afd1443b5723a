package configs

import (
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

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

// newSSM is Parameter Store as the command builds it (the SDK's client
// behind awsclient's adapter), pointed at url.
func newSSM(t *testing.T, url string) ssmparam.Client {
	t.Helper()
	cfg := awstest.Config(t)
	cfg.BaseEndpoint = aws.String(url)
	return awsclient.NewParams(cfg)
}
