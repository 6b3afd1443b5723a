package probes

import (
	"encoding/json"
	"fmt"
)

// generateEach sends, in generate mode, one 1-token request per model the
// list found, and records what went wrong as that model's own failure.
// Requests are sequential: a probe is one provider's worth of load.
func (s *session) generateEach(job Job, models []served, send func(i int, w Want) *reply, okField string) {
	s.gen = true
	defer func() { s.gen = false }()
	for i, w := range job.Models {
		if i >= len(models) || !models[i].found || models[i].fail != nil {
			continue
		}
		r := send(i, w)
		if v := s.generateVerdict(w, r, okField); v != nil {
			models[i].fail = v
		} else if models[i].note == "" {
			models[i].note = fmt.Sprintf("%s answered a 1-token request in %s", w.Model, r.dur.Round(1e6))
		}
	}
}

// generateVerdict classifies the answer to a 1-token request; nil is a
// model that answers.
func (s *session) generateVerdict(w Want, r *reply, okField string) *verdict {
	if r.err != nil {
		return s.transportVerdict(r)
	}
	if r.ok() {
		var obj map[string]json.RawMessage
		if err := decodeObject(r.body, &obj); err != nil {
			return s.formatVerdict(r, why(err))
		}
		if _, ok := obj[okField]; okField != "" && !ok {
			return s.formatVerdict(r, "no "+okField+" field")
		}
		return nil
	}
	e := s.apiError(r)
	// Reasoning models refuse so small a budget: the model is there and
	// answering, which is all a 1-token probe asks.
	if r.status == 400 && e.has("max_tokens", "max_completion_tokens", "max_output_tokens", "maxoutputtokens", "output limit") {
		return nil
	}
	if e.modelMissing(r.status) {
		return down(ReasonNoModel, fmt.Sprintf("%s: %s is not served (%s)", r.what(), w.Model, e.summary(r.status)),
			fmt.Sprintf("fix the model id in openclaw.json or pick one that %s serves", s.prov.ID))
	}
	return s.statusVerdict(r)
}
