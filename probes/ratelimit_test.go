package probes

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestParseReset(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Time // zero: rejected
	}{
		{"6m0s", epoch.Add(6 * time.Minute)},
		{"2m59.56s", epoch.Add(2*time.Minute + 59560*time.Millisecond)},
		{"12ms", epoch.Add(12 * time.Millisecond)},
		{"7.66s", epoch.Add(7660 * time.Millisecond)},
		{"1h2m3s", epoch.Add(time.Hour + 2*time.Minute + 3*time.Second)},
		{"22s", epoch.Add(22 * time.Second)},
		{"1", epoch.Add(time.Second)},
		{"0.5", epoch.Add(500 * time.Millisecond)},
		{"2026-11-25T10:00:30Z", epoch.Add(30 * time.Second)},
		{"2026-11-25T11:00:30+01:00", epoch.Add(30 * time.Second)},
		{"1795600800000", time.UnixMilli(1795600800000)},
		{"1795600800", time.Unix(1795600800, 0)},
		{"Wed, 25 Nov 2026 10:01:00 GMT", epoch.Add(time.Minute)},
		{"", time.Time{}},
		{"soon", time.Time{}},
		{"-5s", time.Time{}},
		{"-1", time.Time{}},
		{"NaN", time.Time{}},
		{"Inf", time.Time{}},
		{"99999999999999999999", time.Time{}},
		{"10000h", time.Time{}},
		{"2026-13-45T99:00:00Z", time.Time{}},
	}
	for _, tc := range tests {
		got, ok := parseReset(tc.in, epoch)
		if ok != !tc.want.IsZero() || !got.Equal(tc.want) {
			t.Errorf("parseReset(%q) = %v, %v; want %v", tc.in, got, ok, tc.want)
		}
	}
}

// TestRateTracker: each provider's header family, headroom the smallest
// ratio, nothing made up.
func TestRateTracker(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                   string
		h                      map[string]string
		reqLim, reqRem, tokLim float64 // -1: null
		headroom               float64
		reset                  time.Time
	}{
		{name: "none", h: map[string]string{"content-type": "application/json"}, reqLim: -1, reqRem: -1, tokLim: -1, headroom: -1},
		{name: "openai", h: map[string]string{"x-ratelimit-limit-requests": "500", "x-ratelimit-remaining-requests": "499", "x-ratelimit-reset-requests": "120ms",
			"x-ratelimit-limit-tokens": "30000", "x-ratelimit-remaining-tokens": "3000", "x-ratelimit-reset-tokens": "6m0s"},
			reqLim: 500, reqRem: 499, tokLim: 30000, headroom: 0.1, reset: epoch.Add(6 * time.Minute)},
		{name: "anthropic output tokens tightest", h: map[string]string{"anthropic-ratelimit-requests-limit": "50", "anthropic-ratelimit-requests-remaining": "40",
			"anthropic-ratelimit-output-tokens-limit": "8000", "anthropic-ratelimit-output-tokens-remaining": "800", "anthropic-ratelimit-output-tokens-reset": "2026-11-25T10:01:00Z"},
			reqLim: 50, reqRem: 40, tokLim: -1, headroom: 0.1, reset: epoch.Add(time.Minute)},
		{name: "openrouter epoch ms", h: map[string]string{"X-RateLimit-Limit": "20", "X-RateLimit-Remaining": "5", "X-RateLimit-Reset": "1795600800000"},
			reqLim: 20, reqRem: 5, tokLim: -1, headroom: 0.25, reset: time.UnixMilli(1795600800000)},
		{name: "mistral month tightest", h: map[string]string{"x-ratelimitbysize-limit-minute": "500000", "x-ratelimitbysize-remaining-minute": "500000",
			"x-ratelimitbysize-limit-month": "1000", "x-ratelimitbysize-remaining-month": "50"},
			reqLim: -1, reqRem: -1, tokLim: 500000, headroom: 0.05},
		{name: "remaining without limit: no headroom", h: map[string]string{"x-ratelimit-remaining-requests": "10"}, reqLim: -1, reqRem: 10, tokLim: -1, headroom: -1},
		{name: "garbage values ignored", h: map[string]string{"x-ratelimit-limit-requests": "lots", "x-ratelimit-remaining-requests": "-3"}, reqLim: -1, reqRem: -1, tokLim: -1, headroom: -1},
		{name: "retry-after alone", h: map[string]string{"retry-after": "7"}, reqLim: -1, reqRem: -1, tokLim: -1, headroom: -1, reset: epoch.Add(7 * time.Second)},
		{name: "zero limit: no ratio", h: map[string]string{"x-ratelimit-limit-requests": "0", "x-ratelimit-remaining-requests": "0"}, reqLim: 0, reqRem: 0, tokLim: -1, headroom: -1},
	}
	for _, tc := range tests {
		var tr rateTracker
		h := http.Header{}
		for k, v := range tc.h {
			h.Set(k, v)
		}
		tr.observe(h, epoch)
		rl := tr.result()
		if f64(rl.RequestsLimit) != tc.reqLim || f64(rl.RequestsRemaining) != tc.reqRem || f64(rl.TokensLimit) != tc.tokLim || f64(rl.Headroom) != tc.headroom {
			t.Errorf("%s: got req %v/%v tok %v headroom %v", tc.name, f64(rl.RequestsLimit), f64(rl.RequestsRemaining), f64(rl.TokensLimit), f64(rl.Headroom))
		}
		if (rl.ResetAt == nil) != tc.reset.IsZero() || (rl.ResetAt != nil && !rl.ResetAt.Equal(tc.reset)) {
			t.Errorf("%s: reset %v, want %v", tc.name, rl.ResetAt, tc.reset)
		}
		if rl.CreditsRemaining != nil {
			t.Errorf("%s: credits made up", tc.name)
		}
	}
}

func TestParseNumCtx(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want int
	}{
		{"num_ctx                        4096", 4096},
		{"stop                           \"<|im_end|>\"\nnum_ctx                        65536\ntemperature                    0.7", 65536},
		{"num_ctx\t8192", 8192},
		{"stop \"num_ctx 5\"", none},
		{"num_ctx_extra 5", none},
		{"num_ctx abc", none},
		{"num_ctx -1", none},
		{"", none},
	} {
		if got := intOrNone(parseNumCtx(tc.in)); got != tc.want {
			t.Errorf("parseNumCtx(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestParseAPIError(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file, msg, code string
		reasons         int
		retry           string
	}{
		{"openai/error_invalid_key.json", "Incorrect API key provided", "invalid_api_key", 0, ""},
		{"anthropic/error_credit.json", "Your credit balance is too low", "", 0, ""},
		{"gemini/error_key_invalid.json", "API key not valid", "400", 1, ""},
		{"gemini/error_exhausted.json", "You exceeded your current quota", "429", 0, "22s"},
		{"ollama/show_notfound.json", "model 'nope:latest' not found", "", 0, ""},
		{"xai/error_key.json", "Incorrect API key provided", "Client specified an invalid argument", 0, ""},
		{"mistral/error_invalid_model.json", "Invalid model", "1500", 0, ""},
		{"openrouter/error_model.json", "is not a valid model ID", "400", 0, ""},
	} {
		e := parseAPIError(fixture(t, tc.file))
		if !strings.Contains(e.Message, tc.msg) || e.Code != tc.code || len(e.Reasons) != tc.reasons || e.RetryDelay != tc.retry {
			t.Errorf("%s: %+v", tc.file, e)
		}
	}
	if e := parseAPIError([]byte("<html>\n502</html>")); e.Message != "<html>" {
		t.Errorf("non-JSON body: %+v", e)
	}
}
