package sim

import (
	"net/http"
	"strconv"
	"time"
)

// level is how much rate-limit headroom the headers show.
type level int

const (
	levelHealthy   level = iota // nearly everything remaining
	levelLow                    // about 3% remaining
	levelExhausted              // nothing remaining
)

// remaining scales a limit to the level.
func (l level) remaining(limit int) int {
	switch l {
	case levelLow:
		return limit * 3 / 100
	case levelExhausted:
		return 0
	}
	return limit - 1
}

// setRateHeaders writes the kind's rate-limit headers, in its own names and
// reset formats: Go durations (OpenAI, Groq), RFC 3339 (Anthropic), seconds
// (Together). Kinds without such headers get none.
func (s *Server) setRateHeaders(h http.Header, l level) {
	itoa := strconv.Itoa
	switch s.kind {
	case OpenAI, OpenAICompatible, LiteLLM:
		setOpenAIBucket(h, l, "Requests", 10000, "6ms", "8.64s")
		setOpenAIBucket(h, l, "Tokens", 200000, "0s", "1m30s")
	case Groq:
		// requests are per day, tokens per minute.
		setOpenAIBucket(h, l, "Requests", 14400, "6s", "2m59.56s")
		setOpenAIBucket(h, l, "Tokens", 6000, "10ms", "7.66s")
	case Mistral:
		h.Set("X-Ratelimitbysize-Limit-Minute", "500000")
		h.Set("X-Ratelimitbysize-Remaining-Minute", itoa(l.remaining(500000)))
		h.Set("X-Ratelimitbysize-Limit-Month", "1000000000")
		h.Set("X-Ratelimitbysize-Remaining-Month", itoa(l.remaining(1000000000)))
	case Together:
		h.Set("X-Ratelimit-Limit", "100")
		h.Set("X-Ratelimit-Remaining", itoa(l.remaining(100)))
		h.Set("X-Ratelimit-Reset", pick(l, "0", "20"))
		h.Set("X-Tokenlimit-Limit", "200000")
		h.Set("X-Tokenlimit-Remaining", itoa(l.remaining(200000)))
	case Anthropic:
		reset := s.now().UTC().Add(time.Second)
		if l != levelHealthy {
			reset = s.now().UTC().Add(20 * time.Second)
		}
		rfc := reset.Format(time.RFC3339)
		for _, k := range []struct {
			name  string
			limit int
		}{{"requests", 4000}, {"tokens", 400000}, {"input-tokens", 200000}, {"output-tokens", 80000}} {
			h.Set("Anthropic-Ratelimit-"+k.name+"-Limit", itoa(k.limit))
			h.Set("Anthropic-Ratelimit-"+k.name+"-Remaining", itoa(l.remaining(k.limit)))
			h.Set("Anthropic-Ratelimit-"+k.name+"-Reset", rfc)
		}
	}
}

// setOpenAIBucket writes one OpenAI-style bucket ("Requests" or "Tokens"):
// its limit, what remains at the level, and its reset, which is
// healthyReset at a healthy level and otherReset otherwise.
func setOpenAIBucket(h http.Header, l level, bucket string, limit int, healthyReset, otherReset string) {
	h.Set("X-Ratelimit-Limit-"+bucket, strconv.Itoa(limit))
	h.Set("X-Ratelimit-Remaining-"+bucket, strconv.Itoa(l.remaining(limit)))
	h.Set("X-Ratelimit-Reset-"+bucket, pick(l, healthyReset, otherReset))
}

func pick(l level, healthy, other string) string {
	if l == levelHealthy {
		return healthy
	}
	return other
}

// inferenceHeaders sets the rate-limit headers a completion answer carries,
// unless a fault already set lower ones.
func (s *Server) inferenceHeaders(w http.ResponseWriter) {
	if f, _ := s.Fault(); f == LowHeadroom {
		return
	}
	s.setRateHeaders(w.Header(), levelHealthy)
}
