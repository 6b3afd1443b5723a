package httpx

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxRetryAfter bounds a Retry-After in seconds: a larger value is a
// misread, not a wait (a month covers the longest quota window providers
// announce).
const MaxRetryAfter = 400 * 24 * time.Hour

// RetryAfter reads a Retry-After value (RFC 9110): delay-seconds or an
// HTTP-date. It returns the moment it names; ok is false for an empty,
// negative, non-finite or unparsable value and for seconds beyond
// MaxRetryAfter. A date is returned as it stands, even when it has passed.
func RetryAfter(v string, now time.Time) (at time.Time, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, false
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > MaxRetryAfter.Seconds() {
			return time.Time{}, false
		}
		return now.Add(time.Duration(f * float64(time.Second))), true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}
