package httpx

import (
	"math"
	"testing"
	"time"
)

var epoch = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"20", epoch.Add(20 * time.Second)},
		{" 3 ", epoch.Add(3 * time.Second)},
		{"2.5", epoch.Add(2500 * time.Millisecond)},
		{"Wed, 25 Nov 2026 10:00:40 GMT", epoch.Add(40 * time.Second)},
		{"Wed, 25 Nov 2026 09:59:00 GMT", epoch.Add(-time.Minute)}, // passed: the caller judges
		{"", time.Time{}},
		{"-1", time.Time{}},
		{"later", time.Time{}},
		{"NaN", time.Time{}},
		{"+Inf", time.Time{}},
		{"1e10", time.Time{}}, // would overflow a time.Duration
	} {
		got, ok := RetryAfter(tc.in, epoch)
		if ok != !tc.want.IsZero() || !got.Equal(tc.want) {
			t.Errorf("RetryAfter(%q) = %v, %v; want %v", tc.in, got, ok, tc.want)
		}
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   float64
		want time.Duration
		ok   bool
	}{
		{2.5, 2500 * time.Millisecond, true}, {0, 0, true}, {-1, 0, false},
		{math.NaN(), 0, false}, {math.Inf(1), 0, false}, {1e300, 0, false},
		{MaxRetryAfter.Seconds(), MaxRetryAfter, true},
	} {
		if got, ok := RetryAfterSeconds(tc.in); got != tc.want || ok != tc.ok {
			t.Errorf("RetryAfterSeconds(%v) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// FuzzRetryAfter: whatever a server sends, no panic and no zero moment
// passed as valid. Seeds live in testdata/fuzz/FuzzRetryAfter.
func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"20", "0", "Wed, 25 Nov 2026 10:00:40 GMT", "1e3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		at, ok := RetryAfter(s, epoch)
		if ok && at.IsZero() {
			t.Errorf("RetryAfter(%q) ok with zero time", s)
		}
	})
}
