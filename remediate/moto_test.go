package remediate

import (
	"os"
	"testing"

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

// newSSM is Parameter Store as the command builds it (the SDK's client
// behind awsclient's adapter, its retries included), pointed at url.
func newSSM(t *testing.T, url string) ssmparam.Client {
	t.Helper()
	return awsclient.NewParams(awstest.ConfigAt(t, url))
}

// rawSSM is the SDK's own client at url, for what a test looks at or
// plants behind the target's back: descriptions, StringLists, another
// writer's put.
func rawSSM(t *testing.T, url string) *ssm.Client {
	t.Helper()
	return ssm.NewFromConfig(awstest.ConfigAt(t, url))
}
