package ssmlite_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/provwatch/provwatch/internal/ssmlite"
)

// BenchmarkGet is one Get of a typical order value against a loopback
// server that answers at once (no signature check, so the server's cost
// stays small): what a follower spends per period, credentials in hand.
func BenchmarkGet(b *testing.B) {
	answer := []byte(`{"Parameter":{"ARN":"arn:aws:ssm:us-east-1:123456789012:parameter/openclaw/model-order","DataType":"text","LastModifiedDate":1.7739E9,"Name":"/openclaw/model-order","Type":"String","Value":"{\"primary\":\"ollama/qwen3-coder\",\"fallbacks\":[\"openai/gpt-4o\",\"anthropic/claude-sonnet-4-5\"]}","Version":12}}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_, _ = w.Write(answer)
	}))
	defer srv.Close()
	env := map[string]string{
		"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": envKeyID, "AWS_SECRET_ACCESS_KEY": envSecret,
		"AWS_SESSION_TOKEN": envToken, "AWS_ENDPOINT_URL": srv.URL, "AWS_EC2_METADATA_DISABLED": "true",
	}
	c, err := ssmlite.New(func(k string) string { return env[k] })
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Get(ctx, orderParam); err != nil {
			b.Fatal(err)
		}
	}
}
