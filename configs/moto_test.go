package configs

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// One moto_server serves every SSM test of the package; each test uses its
// own parameter names. It starts on first use and is killed by TestMain.
var moto struct {
	once sync.Once
	cmd  *exec.Cmd
	url  string
	err  error
}

func TestMain(m *testing.M) {
	// The SDK must never reach for instance metadata from a test.
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	code := m.Run()
	if moto.cmd != nil && moto.cmd.Process != nil {
		moto.cmd.Process.Kill()
		moto.cmd.Wait()
	}
	os.Exit(code)
}

// motoURL starts moto_server on a free loopback port (once) and returns its
// URL. Without moto_server the test is skipped, or fails under CI=true.
func motoURL(t *testing.T) string {
	t.Helper()
	moto.once.Do(func() {
		bin, err := exec.LookPath("moto_server")
		if err != nil {
			moto.err = fmt.Errorf("moto_server not found on PATH (pip install 'moto[server]')")
			return
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			moto.err = err
			return
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
		if err := cmd.Start(); err != nil {
			moto.err = fmt.Errorf("starting moto_server: %w", err)
			return
		}
		moto.cmd = cmd
		url := fmt.Sprintf("http://127.0.0.1:%d", port)
		// Readiness: moto answers its dashboard path once Flask is up.
		for i := 0; i < 300; i++ {
			resp, err := http.Get(url + "/moto-api/")
			if err == nil {
				resp.Body.Close()
				moto.url = url
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		moto.err = fmt.Errorf("moto_server did not answer on %s within 30s", url)
	})
	if moto.err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("moto: %v", moto.err)
		}
		t.Skipf("skipping: %v", moto.err)
	}
	return moto.url
}

// newSSM is the real SSM client, as the command builds it, pointed at url.
// Retries do not back off, so retry tests do not sleep.
func newSSM(t *testing.T, url string) *ssm.Client {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
			})
		}),
	)
	if err != nil {
		t.Fatal(err)
	}
	return ssm.NewFromConfig(cfg, func(o *ssm.Options) { o.BaseEndpoint = aws.String(url) })
}
