package probes

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/provwatch/provwatch/internal/httpx"
)

// Rate-limit buckets. Providers name the same facts differently; each
// header family fills its own bucket and the report takes the first known
// bucket of each kind, while headroom looks at all of them.
const (
	bReq       = iota // x-ratelimit-*-requests, anthropic-ratelimit-requests-*
	bReqPlain         // x-ratelimit-{limit,remaining,reset} (Together, OpenRouter)
	bTok              // x-ratelimit-*-tokens, anthropic-ratelimit-tokens-*
	bTokPlain         // x-tokenlimit-* (Together)
	bTokMinute        // x-ratelimitbysize-*-minute (Mistral)
	bTokMonth         // x-ratelimitbysize-*-month (Mistral)
	bInTok            // anthropic-ratelimit-input-tokens-*
	bOutTok           // anthropic-ratelimit-output-tokens-*
	nBuckets
)

// headerNames are the limit, remaining and reset header of each bucket, per
// header family. "" means the family has no such header.
var headerFamilies = []struct {
	bucket                  int
	limit, remaining, reset string
}{
	{bReq, "X-Ratelimit-Limit-Requests", "X-Ratelimit-Remaining-Requests", "X-Ratelimit-Reset-Requests"},
	{bTok, "X-Ratelimit-Limit-Tokens", "X-Ratelimit-Remaining-Tokens", "X-Ratelimit-Reset-Tokens"},
	{bReq, "Anthropic-Ratelimit-Requests-Limit", "Anthropic-Ratelimit-Requests-Remaining", "Anthropic-Ratelimit-Requests-Reset"},
	{bTok, "Anthropic-Ratelimit-Tokens-Limit", "Anthropic-Ratelimit-Tokens-Remaining", "Anthropic-Ratelimit-Tokens-Reset"},
	{bInTok, "Anthropic-Ratelimit-Input-Tokens-Limit", "Anthropic-Ratelimit-Input-Tokens-Remaining", "Anthropic-Ratelimit-Input-Tokens-Reset"},
	{bOutTok, "Anthropic-Ratelimit-Output-Tokens-Limit", "Anthropic-Ratelimit-Output-Tokens-Remaining", "Anthropic-Ratelimit-Output-Tokens-Reset"},
	{bReqPlain, "X-Ratelimit-Limit", "X-Ratelimit-Remaining", "X-Ratelimit-Reset"},
	{bTokPlain, "X-Tokenlimit-Limit", "X-Tokenlimit-Remaining", "X-Tokenlimit-Reset"},
	{bTokMinute, "X-Ratelimitbysize-Limit-Minute", "X-Ratelimitbysize-Remaining-Minute", ""},
	{bTokMonth, "X-Ratelimitbysize-Limit-Month", "X-Ratelimitbysize-Remaining-Month", ""},
}

type bucket struct {
	limit, remaining float64
	hasLimit, hasRem bool
	reset            time.Time
}

// rateTracker accumulates what a probe's answers said about rate limits;
// a later answer overwrites what an earlier one said about the same bucket.
type rateTracker struct {
	b       [nBuckets]bucket
	retryAt time.Time // retry-after, Gemini RetryInfo
	credits *float64
	// creditLimit is the credit a key may spend in all (OpenRouter's
	// limit); with credits it is a remaining/limit ratio like any bucket's.
	creditLimit *float64
}

// observe reads every rate-limit header family of one answer.
func (t *rateTracker) observe(h http.Header, now time.Time) {
	if len(h) == 0 {
		return
	}
	for _, f := range headerFamilies {
		b := &t.b[f.bucket]
		if v, ok := parseCount(h.Get(f.limit)); ok {
			b.limit, b.hasLimit = v, true
		}
		if v, ok := parseCount(h.Get(f.remaining)); ok {
			b.remaining, b.hasRem = v, true
		}
		if f.reset != "" {
			if at, ok := parseReset(h.Get(f.reset), now); ok {
				b.reset = at
			}
		}
	}
	if at, ok := httpx.RetryAfter(h.Get("Retry-After"), now); ok {
		t.retryAt = at
	}
}

// observeMap reads headers carried inside a body (OpenRouter's 429
// metadata.headers), whose names may come in any case.
func (t *rateTracker) observeMap(m map[string]string, now time.Time) {
	if len(m) == 0 {
		return
	}
	h := make(http.Header, len(m))
	for k, v := range m {
		h.Set(k, v)
	}
	t.observe(h, now)
}

// result is the report's rate_limit object. Unknown numbers stay nil.
func (t *rateTracker) result() RateLimit {
	var rl RateLimit
	pick := func(order ...int) (lim, rem *float64, reset time.Time) {
		for _, i := range order {
			b := t.b[i]
			if b.hasLimit || b.hasRem {
				if b.hasLimit {
					lim = ptr(b.limit)
				}
				if b.hasRem {
					rem = ptr(b.remaining)
				}
				return lim, rem, b.reset
			}
		}
		return nil, nil, time.Time{}
	}
	rl.RequestsLimit, rl.RequestsRemaining, _ = pick(bReq, bReqPlain)
	rl.TokensLimit, rl.TokensRemaining, _ = pick(bTok, bTokPlain, bTokMinute)

	// Headroom is the tightest bucket; its reset is the one that matters.
	var reset time.Time
	for i := range t.b {
		b := t.b[i]
		if !b.hasLimit || !b.hasRem || b.limit <= 0 {
			continue
		}
		r := math.Max(0, math.Min(1, b.remaining/b.limit))
		if rl.Headroom == nil || r < *rl.Headroom {
			rl.Headroom = ptr(r)
			reset = b.reset
		}
	}
	// Credit left against the key's limit is headroom too (docs/reference.md §4: the
	// smallest remaining/limit ratio known). It has no reset of its own.
	creditTightest := false
	if t.credits != nil && t.creditLimit != nil && *t.creditLimit > 0 {
		r := math.Max(0, math.Min(1, *t.credits / *t.creditLimit))
		if rl.Headroom == nil || r < *rl.Headroom {
			rl.Headroom = ptr(r)
			reset, creditTightest = time.Time{}, true
		}
	}
	if reset.IsZero() {
		reset = t.retryAt
	}
	if reset.IsZero() && !creditTightest {
		for i := range t.b {
			if r := t.b[i].reset; !r.IsZero() && (reset.IsZero() || r.Before(reset)) {
				reset = r
			}
		}
	}
	if !reset.IsZero() {
		r := reset.UTC()
		rl.ResetAt = &r
	}
	rl.CreditsRemaining = t.credits
	return rl
}

func ptr[T any](v T) *T { return &v }

// parseCount reads a limit or remaining count; negative, NaN and Inf are
// not counts.
func parseCount(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0, false
	}
	return v, true
}

// maxResetAhead bounds how far ahead a reset may lie; anything further is a
// misread value, not a reset time: the same bound as a Retry-After's.
const maxResetAhead = httpx.MaxRetryAfter

// parseReset reads a reset value in any format providers use: a Go duration
// ("6m0s", "2m59.56s", "12ms": OpenAI, Groq; "22s": Gemini), RFC 3339
// (Anthropic), epoch milliseconds (OpenRouter), epoch seconds, seconds from
// now (Together, retry-after) or an HTTP-date.
func parseReset(s string, now time.Time) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 {
		return time.Time{}, false
	}
	var at time.Time
	switch {
	case strings.Contains(s, "T") && strings.Count(s, "-") >= 2:
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return time.Time{}, false
		}
		at = t
	case strings.Contains(s, ","), strings.HasSuffix(s, "GMT"):
		t, err := http.ParseTime(s)
		if err != nil {
			return time.Time{}, false
		}
		at = t
	default:
		if v, err := strconv.ParseFloat(s, 64); err == nil {
			if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				return time.Time{}, false
			}
			switch {
			case v >= 1e12: // epoch milliseconds
				at = time.UnixMilli(int64(v))
			case v >= 1e9: // epoch seconds
				at = time.Unix(int64(v), 0)
			default: // seconds from now
				at = now.Add(time.Duration(v * float64(time.Second)))
			}
			break
		}
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return time.Time{}, false
		}
		at = now.Add(d)
	}
	if at.After(now.Add(maxResetAhead)) || at.Before(now.Add(-maxResetAhead)) {
		return time.Time{}, false
	}
	return at, true
}
