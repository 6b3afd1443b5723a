package ssmlite

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TestEndpointMatchesSDK: without an explicit endpoint, the SSM and STS
// hosts are the ones the SDK's endpoint rules give, FIPS or not, in every
// partition.
func TestEndpointMatchesSDK(t *testing.T) {
	t.Parallel()
	regions := []string{
		"us-east-1", "us-west-2", "eu-central-1", "ap-southeast-5", "ca-west-1", "mx-central-1",
		"cn-north-1", "cn-northwest-1", "us-gov-west-1", "us-gov-east-1", "eusc-de-east-1",
		"us-iso-east-1", "us-isob-east-1", "us-isof-south-1", "eu-isoe-west-1",
	}
	for _, r := range regions {
		for _, fips := range []bool{false, true} {
			env := map[string]string{"AWS_REGION": r}
			if fips {
				env["AWS_USE_FIPS_ENDPOINT"] = "true"
			}
			getenv := func(k string) string { return env[k] }

			got, err := endpoint(getenv, "ssm", r)
			if err != nil {
				t.Fatalf("%s fips=%v: %v", r, fips, err)
			}
			want, err := ssm.NewDefaultEndpointResolverV2().ResolveEndpoint(context.Background(),
				ssm.EndpointParameters{Region: aws.String(r), UseFIPS: aws.Bool(fips), UseDualStack: aws.Bool(false)})
			if err != nil {
				t.Fatalf("SDK, ssm %s fips=%v: %v", r, fips, err)
			}
			if got.Host != want.URI.Host || got.Scheme != want.URI.Scheme {
				t.Errorf("ssm %s fips=%v: %s, the SDK resolves %s", r, fips, got, want.URI.String())
			}

			gotSTS, err := endpoint(getenv, "sts", r)
			if err != nil {
				t.Fatal(err)
			}
			wantSTS, err := sts.NewDefaultEndpointResolverV2().ResolveEndpoint(context.Background(),
				sts.EndpointParameters{Region: aws.String(r), UseFIPS: aws.Bool(fips), UseDualStack: aws.Bool(false), UseGlobalEndpoint: aws.Bool(false)})
			if err != nil {
				t.Fatalf("SDK, sts %s fips=%v: %v", r, fips, err)
			}
			if gotSTS.Host != wantSTS.URI.Host {
				t.Errorf("sts %s fips=%v: %s, the SDK resolves %s", r, fips, gotSTS, wantSTS.URI.String())
			}
		}
	}
}

func TestRegionAndEndpointFromEnvironment(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		env     map[string]string
		want    string // the SSM endpoint
		wantErr string
	}{
		{name: "AWS_REGION", env: map[string]string{"AWS_REGION": "eu-west-1"}, want: "https://ssm.eu-west-1.amazonaws.com/"},
		{name: "AWS_DEFAULT_REGION", env: map[string]string{"AWS_DEFAULT_REGION": "eu-west-3"}, want: "https://ssm.eu-west-3.amazonaws.com/"},
		{name: "AWS_REGION wins", env: map[string]string{"AWS_REGION": "us-east-2", "AWS_DEFAULT_REGION": "eu-west-3"}, want: "https://ssm.us-east-2.amazonaws.com/"},
		{name: "china", env: map[string]string{"AWS_REGION": "cn-north-1"}, want: "https://ssm.cn-north-1.amazonaws.com.cn/"},
		{name: "fips", env: map[string]string{"AWS_REGION": "us-east-1", "AWS_USE_FIPS_ENDPOINT": "TRUE"}, want: "https://ssm-fips.us-east-1.amazonaws.com/"},
		{name: "fips in govcloud", env: map[string]string{"AWS_REGION": "us-gov-west-1", "AWS_USE_FIPS_ENDPOINT": "true"}, want: "https://ssm.us-gov-west-1.amazonaws.com/"},
		{name: "AWS_ENDPOINT_URL", env: map[string]string{"AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:4566"}, want: "http://127.0.0.1:4566/"},
		{name: "the service's variable wins", env: map[string]string{"AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:4566", "AWS_ENDPOINT_URL_SSM": "https://vpce-1.ssm.us-east-1.vpce.amazonaws.com"}, want: "https://vpce-1.ssm.us-east-1.vpce.amazonaws.com/"},
		{name: "configured endpoints ignored", env: map[string]string{"AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:4566", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}, want: "https://ssm.us-east-1.amazonaws.com/"},
		{name: "no region", env: map[string]string{}, wantErr: "set AWS_REGION"},
		{name: "region not a name", env: map[string]string{"AWS_REGION": "evil.example/x"}, wantErr: "is not a region name"},
		{name: "fips not a boolean", env: map[string]string{"AWS_REGION": "us-east-1", "AWS_USE_FIPS_ENDPOINT": "yes"}, wantErr: `AWS_USE_FIPS_ENDPOINT="yes": set it to true or false`},
		{name: "endpoint not a URL", env: map[string]string{"AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": "localhost:4566"}, wantErr: "AWS_ENDPOINT_URL"},
		{name: "endpoint with a password", env: map[string]string{"AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL_SSM": "https://u:hunter22@proxy.example"}, wantErr: "takes no user"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			getenv := func(k string) string { return tc.env[k] }
			r, err := region(getenv)
			var u string
			if err == nil {
				var ep interface{ String() string }
				ep, err = endpoint(getenv, "ssm", r)
				if err == nil {
					u = ep.String()
				}
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one saying %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "hunter22") {
					t.Errorf("the error shows the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if u != tc.want {
				t.Errorf("endpoint %s, want %s", u, tc.want)
			}
		})
	}
}
