package probes

import (
	"math"
	"net/http"
	"testing"
)

// The parsers read what providers (or anything pretending to be one) send:
// they must never panic and never produce out-of-range values. Seed corpora
// live in testdata/fuzz/<FuzzName>/; `go test` runs them, `go test -fuzz`
// explores from them.

func FuzzParseReset(f *testing.F) {
	for _, s := range []string{"6m0s", "2m59.56s", "12ms", "22s", "1", "2026-11-25T10:00:30Z", "1795600800000", "Wed, 25 Nov 2026 10:01:00 GMT"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		at, ok := parseReset(s, epoch)
		if ok && (at.After(epoch.Add(maxResetAhead)) || at.Before(epoch.Add(-maxResetAhead))) {
			t.Errorf("parseReset(%q) = %v outside the plausible window", s, at)
		}
	})
}

func FuzzRateHeaders(f *testing.F) {
	f.Add("x-ratelimit-remaining-requests", "0", "x-ratelimit-limit-requests", "500")
	f.Add("X-RateLimit-Remaining", "5", "X-RateLimit-Limit", "1e309")
	f.Add("x-ratelimitbysize-remaining-month", "NaN", "x-ratelimitbysize-limit-month", "-0")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		h := http.Header{}
		h.Set(k1, v1)
		h.Set(k2, v2)
		var tr rateTracker
		tr.observe(h, epoch)
		rl := tr.result()
		if hr := rl.Headroom; hr != nil && (math.IsNaN(*hr) || *hr < 0 || *hr > 1) {
			t.Errorf("headroom %v out of 0..1 for %q=%q %q=%q", *hr, k1, v1, k2, v2)
		}
		for _, p := range []*float64{rl.RequestsLimit, rl.RequestsRemaining, rl.TokensLimit, rl.TokensRemaining} {
			if p != nil && (math.IsNaN(*p) || math.IsInf(*p, 0) || *p < 0) {
				t.Errorf("count %v for %q=%q %q=%q", *p, k1, v1, k2, v2)
			}
		}
	})
}

func FuzzParseNumCtx(f *testing.F) {
	f.Add("num_ctx                        4096")
	f.Add("stop                           \"<|im_end|>\"\nnum_ctx                        65536")
	f.Fuzz(func(t *testing.T, s string) {
		if n := parseNumCtx(s); n != nil && *n <= 0 {
			t.Errorf("parseNumCtx(%q) = %d", s, *n)
		}
	})
}

func FuzzParseAPIError(f *testing.F) {
	f.Add([]byte(`{"error":{"message":"m","type":"t","code":"invalid_api_key"}}`))
	f.Add([]byte(`{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"22s"}]}}`))
	f.Add([]byte(`{"error":"model 'x' not found"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e := parseAPIError(b)
		_ = e.summary(400)
		_ = e.modelMissing(404)
		if len(firstLine(e.Message)) > 164 {
			t.Errorf("message line not bounded")
		}
	})
}

func FuzzDecodeOAList(f *testing.F) {
	f.Add([]byte(`{"object":"list","data":null}`))
	f.Add([]byte(`[{"id":"a","context_length":"131072"}]`))
	f.Add([]byte(`{"data":[{"id":"a","context_window":1.5e5,"meta":{"n_ctx_train":-1}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ms, err := decodeOAList(b)
		if err != nil {
			return
		}
		for _, m := range ms {
			for _, j := range []jsonInt{m.ContextWindow, m.ContextLength, m.MaxContextLength, m.MaxModelLen, m.Meta.NCtxTrain} {
				if j.ok && j.v < 0 {
					t.Errorf("negative context %d", j.v)
				}
			}
		}
	})
}
