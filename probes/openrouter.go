package probes

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/provwatch/provwatch/internal/redact"
)

// OpenRouterListTTL is how long OpenRouter's public model list (hundreds
// of models, 1–2 MB) is reused within one process before it is fetched again.
const OpenRouterListTTL = 10 * time.Minute

// orModel is what the cache keeps of each listed model.
type orModel struct {
	id  string
	ctx *int
}

// listCache holds model lists by URL, fetching each at most once at a time.
type listCache struct {
	mu      sync.Mutex
	entries map[string]*cacheEntry
}

type cacheEntry struct {
	at      time.Time
	models  []orModel
	ok      bool
	loading chan struct{} // closed when the fetch in flight ends
}

// get returns the cached list for u, or fetches it with fetch; concurrent
// callers wait for the one fetch in flight (or for their own deadline).
func (c *listCache) get(s *session, u string, fetch func() ([]orModel, outcome)) ([]orModel, outcome) {
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[string]*cacheEntry{}
	}
	for {
		e := c.entries[u]
		if e != nil && e.ok && s.now().Sub(e.at) < OpenRouterListTTL {
			models := e.models
			c.mu.Unlock()
			return models, outcome{}
		}
		if e == nil || e.loading == nil {
			break
		}
		ch := e.loading
		c.mu.Unlock()
		select {
		case <-ch:
		case <-s.ctx.Done():
			r := &reply{method: "GET", url: redact.URL(u), err: s.ctx.Err()}
			return nil, failed(r, s.transportVerdict(r))
		}
		c.mu.Lock()
	}
	e := c.entries[u]
	if e == nil {
		e = &cacheEntry{}
		c.entries[u] = e
	}
	ch := make(chan struct{})
	e.loading = ch
	c.mu.Unlock()

	models, out := fetch()

	c.mu.Lock()
	e.loading = nil
	if out.fail == nil {
		e.models, e.at, e.ok = models, s.now(), true
	}
	close(ch)
	c.mu.Unlock()
	return models, out
}

// probeOpenRouter checks the key and its credit with GET /api/v1/key, then
// finds the wanted models in the public GET /api/v1/models list, cached.
func probeOpenRouter(s *session, job Job) outcome {
	v1 := openRouterBase(s)
	r := s.get(v1 + "/key")
	if v := s.failure(r); v != nil {
		return failed(r, v)
	}
	var key struct {
		Data *struct {
			Limit          jsonFloat `json:"limit"`
			LimitRemaining jsonFloat `json:"limit_remaining"`
			Usage          jsonFloat `json:"usage"`
		} `json:"data"`
	}
	if err := decodeObject(r.body, &key); err != nil || key.Data == nil {
		return failed(r, s.formatVerdict(r, "no data object"))
	}
	// limit null is a key without a credit limit: whatever limit_remaining
	// says then, there is no limit to run out of (OpenRouter documents both
	// as null together; a proxy or a change may not).
	if rem, lim := key.Data.LimitRemaining, key.Data.Limit; rem.ok && lim.ok {
		s.rl.credits = ptr(rem.v)
		if lim.v > 0 {
			s.rl.creditLimit = ptr(lim.v)
		}
		if rem.v <= 0 {
			return failed(r, down(ReasonBilling, fmt.Sprintf("%s: the key's credit limit of %g USD is used up (%g USD remaining)",
				r.what(), lim.v, rem.v), "buy credits or raise the key's limit in OpenRouter's settings"))
		}
	}

	models, out := s.p.orList.get(s, v1+"/models", func() ([]orModel, outcome) {
		// The list is big by design: allow it more than other answers.
		lr := s.do("GET", v1+"/models", nil, 8*s.maxBody)
		if v := s.failure(lr); v != nil {
			return nil, failed(lr, v)
		}
		ms, err := decodeOAList(lr.body)
		if err != nil {
			return nil, failed(lr, s.formatVerdict(lr, err.Error()))
		}
		list := make([]orModel, len(ms))
		for i := range ms {
			list[i] = orModel{id: ms[i].ID, ctx: ms[i].ContextLength.ptr()}
		}
		return list, outcome{}
	})
	if out.fail != nil {
		return out
	}
	ids := make([]string, len(models))
	for i := range models {
		ids[i] = models[i].id
	}
	out.models = make([]served, len(job.Models))
	for i, w := range job.Models {
		j := indexFold(ids, w.Model)
		if j < 0 {
			out.models[i].fail = s.noModel(w, ids, "served", "")
			continue
		}
		out.models[i] = served{found: true, ctx: models[j].ctx}
	}
	if job.Generate {
		s.generateEach(job, out.models, func(_ int, w Want) *reply {
			return s.postJSON(v1+"/chat/completions", map[string]any{
				"model":      w.Model,
				"messages":   []map[string]string{{"role": "user", "content": "hi"}},
				"max_tokens": 1,
			})
		}, "choices")
	}
	return out
}

// openRouterBase accepts https://openrouter.ai, …/api and …/api/v1.
func openRouterBase(s *session) string {
	u := *s.base
	u.Path = strings.TrimRight(u.Path, "/")
	if strings.HasSuffix(u.Path, "/api") {
		u.Path += "/v1"
		return u.String()
	}
	return versioned(&u, "/api/v1").String()
}
