package ssmlite

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/provwatch/provwatch/internal/clock"
)

// TestSignatureMatchesSDK: for the requests Get sends, the Authorization
// header is the one the SDK's own signer computes for the same request,
// credentials and time.
func TestSignatureMatchesSDK(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	for _, tc := range []struct {
		name, region, endpoint, param string
		token                         string
	}{
		{"plain", "us-east-1", "", "/openclaw/model-order", ""},
		{"session token", "eu-west-1", "", "/openclaw/model-order", "IQoJb3JpZ2luX2VjEHMaCXVzLWVhc3QtMSJHMEUCIQ//session+token/=="},
		{"unicode name", "ap-southeast-2", "", "/openclaw/modèle/順序", "FwoGZXIvYXdzEBYaDH"},
		{"slashes and escapes", "us-west-2", "", "/a/b//c/<d>&e f", ""},
		{"cn partition", "cn-north-1", "", "/openclaw/model-order", ""},
		{"custom endpoint with port", "us-east-1", "http://127.0.0.1:4566", "/openclaw/model-order", "tok"},
		{"explicit default port", "us-east-1", "https://ssm.us-east-1.amazonaws.com:443", "/x", ""},
		{"endpoint with a path", "us-east-1", "https://vpce.example.test/ssm/", "/x", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{
				"AWS_REGION":            tc.region,
				"AWS_ACCESS_KEY_ID":     "AKIAIOSFODNN7EXAMPLE",
				"AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
				"AWS_SESSION_TOKEN":     tc.token,
				"AWS_ENDPOINT_URL":      tc.endpoint,
			}
			c, err := New(func(k string) string { return env[k] }, WithClock(clock.NewFake(at)))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := json.Marshal(struct {
				Name           string
				WithDecryption bool
			}{tc.param, true})
			cr, err := c.creds.get(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			ours, err := c.newRequest(context.Background(), body, cr)
			if err != nil {
				t.Fatal(err)
			}
			if tc.token != "" && ours.Header.Get("X-Amz-Security-Token") != tc.token {
				t.Errorf("X-Amz-Security-Token = %q, want the session token", ours.Header.Get("X-Amz-Security-Token"))
			}
			if tc.token == "" && ours.Header.Get("X-Amz-Security-Token") != "" {
				t.Error("X-Amz-Security-Token sent without a session token")
			}

			sdk := ours.Clone(context.Background())
			sdk.Header.Del("Authorization")
			sdk.Body = io.NopCloser(bytes.NewReader(body))
			err = v4.NewSigner().SignHTTP(context.Background(),
				aws.Credentials{AccessKeyID: env["AWS_ACCESS_KEY_ID"], SecretAccessKey: env["AWS_SECRET_ACCESS_KEY"], SessionToken: tc.token},
				sdk, hexSHA256(body), "ssm", tc.region, at)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := ours.Header.Get("Authorization"), sdk.Header.Get("Authorization"); got != want {
				t.Errorf("Authorization\n got %s\nwant %s (the SDK's)", got, want)
			}
			if ours.Host != sdk.Host {
				t.Errorf("Host %q, the SDK sends %q", ours.Host, sdk.Host)
			}
		})
	}
}

// TestSignatureTestVectors: AWS's published Signature Version 4 test suite
// (credentials AKIDEXAMPLE, 2015-08-30T12:36:00Z, service "service"): the
// POST vectors, one with a form body. The suite signs no content-length,
// so the requests carry none.
func TestSignatureTestVectors(t *testing.T) {
	t.Parallel()
	at := time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC)
	cr := credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
	for _, tc := range []struct {
		name    string
		headers map[string]string
		body    string
		want    string
	}{
		{
			name: "post-vanilla",
			want: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
		},
		{
			name:    "post-x-www-form-urlencoded",
			headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			body:    "Param1=value1",
			want:    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, "https://example.amazonaws.com/", nil)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			sign(req, []byte(tc.body), cr, "us-east-1", "service", at)
			if got := req.Header.Get("Authorization"); got != tc.want {
				t.Errorf("Authorization\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestCanonicalPath(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":           "/",
		"/":          "/",
		"/ssm/":      "/ssm/",
		"/a b/ü~_.-": "/a%20b/%C3%BC~_.-",
		"/x+y=z,@":   "/x%2By%3Dz%2C%40",
	} {
		if got := canonicalPath(in); got != want {
			t.Errorf("canonicalPath(%q) = %q, want %q", in, got, want)
		}
	}
}
