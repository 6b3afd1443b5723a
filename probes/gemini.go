package probes

import (
	"net/url"
	"strings"
)

const geminiPages = 20

type geminiModel struct {
	Name            string  `json:"name"`
	InputTokenLimit jsonInt `json:"inputTokenLimit"`
}

// probeGemini lists GET {base}/models?pageSize=1000, paging with
// nextPageToken; the key goes in x-goog-api-key, never in the URL. Generate
// mode sends generateContent with maxOutputTokens 1.
func probeGemini(s *session, job Job) outcome {
	base := versioned(s.base, "/v1beta").String()
	var models []geminiModel
	token := ""
	for page := 0; page < geminiPages; page++ {
		u := base + "/models?pageSize=1000"
		if token != "" {
			u += "&pageToken=" + url.QueryEscape(token)
		}
		r := s.get(u)
		if v := s.failure(r); v != nil {
			return failed(r, v)
		}
		// proto3 JSON leaves an empty list out entirely: {} is no models.
		var l struct {
			Models        []geminiModel `json:"models"`
			NextPageToken string        `json:"nextPageToken"`
		}
		if err := decodeObject(r.body, &l); err != nil {
			return failed(r, s.formatVerdict(r, why(err)))
		}
		models = append(models, l.Models...)
		if l.NextPageToken == "" || l.NextPageToken == token {
			break
		}
		token = l.NextPageToken
	}
	ids := make([]string, len(models))
	for i := range models {
		ids[i] = strings.TrimPrefix(models[i].Name, "models/")
	}
	out := outcome{models: make([]served, len(job.Models))}
	for i, w := range job.Models {
		want := strings.TrimPrefix(w.Model, "models/")
		j := indexFold(ids, want)
		if j < 0 {
			out.models[i].fail = s.noModel(w, ids, "served", "")
			continue
		}
		out.models[i] = served{found: true, ctx: models[j].InputTokenLimit.ptr()}
	}
	if job.Generate {
		s.generateEach(job, out.models, func(_ int, w Want) *reply {
			return s.postJSON(base+"/models/"+url.PathEscape(strings.TrimPrefix(w.Model, "models/"))+":generateContent", map[string]any{
				"contents":         []any{map[string]any{"parts": []any{map[string]string{"text": "hi"}}}},
				"generationConfig": map[string]int{"maxOutputTokens": 1},
			})
		}, "candidates")
	}
	return out
}

// indexFold is the index of want in ids, case-insensitively, or -1.
func indexFold(ids []string, want string) int {
	for i, id := range ids {
		if strings.EqualFold(id, want) {
			return i
		}
	}
	return -1
}
