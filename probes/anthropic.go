package probes

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"
)

// anthropicPages bounds paging: a thousand models a page, twenty pages is
// far beyond any real catalogue and stops a server that pages forever.
const anthropicPages = 20

type anthropicModel struct {
	ID             string  `json:"id"`
	MaxInputTokens jsonInt `json:"max_input_tokens"`
}

// probeAnthropic lists GET /v1/models?limit=1000, paging with after_id
// while has_more; an id missing from the list may be an alias, which
// GET /v1/models/{id} resolves. Generate mode sends messages with max_tokens 1.
func probeAnthropic(s *session, job Job) outcome {
	root := rooted(s.base).String()
	var models []anthropicModel
	after := ""
	for page := 0; page < anthropicPages; page++ {
		u := root + "/v1/models?limit=1000"
		if after != "" {
			u += "&after_id=" + url.QueryEscape(after)
		}
		r := s.get(u)
		if v := s.failure(r); v != nil {
			return failed(r, v)
		}
		var l struct {
			Data    []anthropicModel `json:"data"`
			HasMore bool             `json:"has_more"`
			LastID  string           `json:"last_id"`
		}
		if err := decodeObject(r.body, &l); err != nil {
			return failed(r, s.formatVerdict(r, why(err)))
		}
		if l.Data == nil && !bytes.Contains(r.body, dataKey) {
			return failed(r, s.formatVerdict(r, "no data array"))
		}
		models = append(models, l.Data...)
		if !l.HasMore || l.LastID == "" || l.LastID == after {
			break
		}
		after = l.LastID
	}
	ids := make([]string, len(models))
	for i := range models {
		ids[i] = models[i].ID
	}
	out := outcome{models: make([]served, len(job.Models))}
	for i, w := range job.Models {
		var m *anthropicModel
		for j := range models {
			if strings.EqualFold(models[j].ID, w.Model) {
				m = &models[j]
				break
			}
		}
		if m == nil {
			sv, fatal := s.anthropicAlias(w, root, ids)
			if fatal != nil {
				return *fatal
			}
			out.models[i] = sv
			continue
		}
		out.models[i] = served{found: true, ctx: m.MaxInputTokens.ptr()}
	}
	if job.Generate {
		s.generateEach(job, out.models, func(_ int, w Want) *reply {
			return s.postJSON(root+"/v1/messages", map[string]any{
				"model": w.Model, "max_tokens": 1,
				"messages": []map[string]string{{"role": "user", "content": "hi"}},
			})
		}, "content")
	}
	return out
}

// anthropicAlias resolves an id the list does not show (an alias such as
// claude-sonnet-4-5 for a dated model) with GET /v1/models/{id}.
func (s *session) anthropicAlias(w Want, root string, ids []string) (served, *outcome) {
	r := s.get(root + "/v1/models/" + url.PathEscape(w.Model))
	switch {
	case r.err != nil && s.ctx.Err() != nil:
		o := failed(r, s.transportVerdict(r))
		return served{}, &o
	case r.err != nil:
		return served{fail: s.transportVerdict(r)}, nil
	case r.status == 404 || r.status == 400:
		return served{fail: s.noModel(w, ids, "served", "")}, nil
	case !r.ok():
		return served{fail: s.statusVerdict(r)}, nil
	}
	var m anthropicModel
	if err := decodeObject(r.body, &m); err != nil || m.ID == "" {
		return served{fail: s.formatVerdict(r, "no model id")}, nil
	}
	return served{found: true, ctx: m.MaxInputTokens.ptr(), note: fmt.Sprintf("%s resolves to %s", w.Model, m.ID)}, nil
}
