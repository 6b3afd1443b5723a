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
		d, ok := RetryAfterSeconds(f)
		if !ok {
			return time.Time{}, false
		}
		return now.Add(d), true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// RetryAfterSeconds is a wait given in seconds, as a Retry-After header or
// a JSON retry_after field (Discord's, Telegram's) gives it; ok is false
// for a negative or non-finite value and one beyond MaxRetryAfter, which
// would otherwise overflow a time.Duration.
func RetryAfterSeconds(f float64) (time.Duration, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > MaxRetryAfter.Seconds() {
		return 0, false
	}
	return time.Duration(f * float64(time.Second)), true
}
