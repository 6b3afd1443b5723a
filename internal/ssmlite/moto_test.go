package ssmlite_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/provwatch/provwatch/internal/awstest"
	"github.com/provwatch/provwatch/internal/ssmparam"
)

// TestAgainstMoto: what the SDK writes to the AWS emulator, ssmlite reads
// back: each type, the version after overwrites, a missing parameter; and
// web identity credentials from the emulator's STS.
func TestAgainstMoto(t *testing.T) {
	url := awstest.Start(t)
	sdk := ssm.NewFromConfig(awstest.Config(t), func(o *ssm.Options) { o.BaseEndpoint = aws.String(url) })
	ctx := context.Background()
	put := func(name, value string, typ types.ParameterType, overwrite bool) {
		t.Helper()
		if _, err := sdk.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(value), Type: typ, Overwrite: aws.Bool(overwrite)}); err != nil {
			t.Fatalf("PutParameter %s: %v", name, err)
		}
	}
	const order = `{"primary":"ollama/qwen3-coder","fallbacks":["openai/gpt-4o","anthropic/claude-sonnet-4-5"]}`
	put(orderParam, `{"primary":"openai/gpt-4o","fallbacks":[]}`, types.ParameterTypeString, false)
	put(orderParam, order, types.ParameterTypeString, true)
	put(orderParam, order, types.ParameterTypeString, true)
	put("/openclaw/secure-order", order, types.ParameterTypeSecureString, false)
	put("/openclaw/list", "ollama/qwen3-coder,openai/gpt-4o", types.ParameterTypeStringList, false)
	put("/openclaw/ünïcode/順序", "ü", types.ParameterTypeString, false)

	want := map[string]ssmparam.Parameter{
		orderParam:               {Value: order, Version: 3, Type: ssmparam.TypeString},
		"/openclaw/secure-order": {Value: order, Version: 1, Type: ssmparam.TypeSecureString},
		"/openclaw/list":         {Value: "ollama/qwen3-coder,openai/gpt-4o", Version: 1, Type: ssmparam.TypeStringList},
		"/openclaw/ünïcode/順序":   {Value: "ü", Version: 1, Type: ssmparam.TypeString},
	}

	t.Run("environment keys", func(t *testing.T) {
		env := map[string]string{}
		for _, kv := range awstest.Env(url) {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
		c := mustNew(t, env)
		for name, p := range want {
			got, err := c.Get(ctx, name)
			if err != nil {
				t.Fatalf("Get(%s): %v", name, err)
			}
			if got != p {
				t.Errorf("Get(%s) = %+v, want %+v", name, got, p)
			}
		}
		_, err := c.Get(ctx, "/openclaw/absent")
		if !errors.Is(err, ssmparam.ErrNotFound) || !strings.Contains(err.Error(), "/openclaw/absent") {
			t.Errorf("absent: %v, want ErrNotFound naming the parameter", err)
		}
	})

	t.Run("web identity", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "token")
		if err := os.WriteFile(file, []byte(webToken), 0o600); err != nil {
			t.Fatal(err)
		}
		env := map[string]string{
			"AWS_REGION":                  "us-east-1",
			"AWS_ENDPOINT_URL":            url,
			"AWS_WEB_IDENTITY_TOKEN_FILE": file,
			"AWS_ROLE_ARN":                "arn:aws:iam::123456789012:role/" + roleName,
			"AWS_EC2_METADATA_DISABLED":   "true",
		}
		c := mustNew(t, env)
		got, err := c.Get(ctx, orderParam)
		if err != nil {
			t.Fatalf("Get with the role's credentials: %v", err)
		}
		if got != want[orderParam] {
			t.Errorf("Get = %+v, want %+v", got, want[orderParam])
		}
	})
}
