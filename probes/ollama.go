package probes

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// probeOllama speaks Ollama's native API, whatever the config's api says:
// only it tells the context a model is really served with.
//
//	GET  /api/tags  what is pulled
//	POST /api/show  per wanted model: num_ctx and the trained context
//	GET  /api/ps    when a model has no num_ctx: the context allocated while loaded
func probeOllama(s *session, job Job) outcome {
	root := ollamaRoot(s)
	s.base, _ = url.Parse(root) // messages name the server, not its /v1 layer
	r := s.get(root + "/api/tags")
	if v := s.failure(r); v != nil {
		return failed(r, v)
	}
	var tags struct {
		Models []struct {
			Name string `json:"name"`
		} `json:"models"`
	}
	if err := decodeObject(r.body, &tags); err != nil {
		return failed(r, s.formatVerdict(r, why(err)))
	}
	if tags.Models == nil && !strings.Contains(string(r.body), `"models"`) {
		return failed(r, s.formatVerdict(r, "no models array"))
	}
	names := make([]string, len(tags.Models))
	for i, m := range tags.Models {
		names[i] = m.Name
	}

	out := outcome{models: make([]served, len(job.Models))}
	pulled := make([]string, len(job.Models)) // the server's name of each found model
	needPS := false
	for i, w := range job.Models {
		name := matchOllama(names, w.Model)
		if name == "" {
			out.models[i].fail = s.noModel(w, names, "pulled", "run: ollama pull "+w.Model)
			continue
		}
		pulled[i] = name
		sv, fatal := s.ollamaShow(w, root, name)
		if fatal != nil {
			return *fatal
		}
		out.models[i] = sv
		if sv.found && sv.ctx == nil {
			needPS = true
		}
	}
	if needPS {
		loaded, fatal := s.ollamaPS(root)
		if fatal != nil {
			return *fatal
		}
		for i, w := range job.Models {
			sv := &out.models[i]
			if !sv.found || sv.ctx != nil {
				continue
			}
			if n, ok := loaded[ollamaKey(pulled[i])]; ok {
				sv.ctx = ptr(n)
				sv.note = fmt.Sprintf("%s has no num_ctx; %d tokens allocated while loaded", w.Model, n)
			} else {
				sv.note = fmt.Sprintf("%s has no num_ctx and is not loaded: the server default context applies and cannot be read", w.Model)
			}
		}
	}
	if job.Generate {
		s.generateEach(job, out.models, func(i int, _ Want) *reply {
			return s.postJSON(root+"/api/generate", map[string]any{
				"model": pulled[i], "prompt": "hi", "stream": false,
				"options": map[string]int{"num_predict": 1},
			})
		}, "done")
	}
	return out
}

// ollamaRoot is the server root: configs often say /v1 (the OpenAI layer).
func ollamaRoot(s *session) string {
	u := rooted(s.base)
	u.Path = strings.TrimSuffix(u.Path, "/api")
	return u.String()
}

// ollamaKey normalises a model name: case-insensitive, ":latest" implied.
func ollamaKey(name string) string {
	n := strings.ToLower(strings.TrimSpace(name))
	if !strings.Contains(n[strings.LastIndexByte(n, '/')+1:], ":") {
		n += ":latest"
	}
	return n
}

// matchOllama finds want among the pulled names ("qwen3-coder" is
// "qwen3-coder:latest"), returning the server's spelling.
func matchOllama(names []string, want string) string {
	k := ollamaKey(want)
	for _, n := range names {
		if ollamaKey(n) == k {
			return n
		}
	}
	return ""
}

// ollamaShow reads num_ctx and the trained context of one model. A failed
// request is the model's failure, except a deadline, which ends the probe.
func (s *session) ollamaShow(w Want, root, name string) (served, *outcome) {
	r := s.postJSON(root+"/api/show", map[string]string{"model": name})
	if r.err != nil {
		if s.ctx.Err() != nil {
			o := failed(r, s.transportVerdict(r))
			return served{}, &o
		}
		return served{fail: s.transportVerdict(r)}, nil
	}
	if !r.ok() {
		e := s.apiError(r)
		if r.status == 404 && e.modelMissing(r.status) {
			return served{fail: s.noModel(w, nil, "pulled", "run: ollama pull "+w.Model)}, nil
		}
		return served{fail: s.statusVerdict(r)}, nil
	}
	var show struct {
		Parameters *string                    `json:"parameters"`
		ModelInfo  map[string]json.RawMessage `json:"model_info"`
	}
	if err := decodeObject(r.body, &show); err != nil {
		return served{fail: s.formatVerdict(r, why(err))}, nil
	}
	sv := served{found: true}
	if show.Parameters != nil {
		sv.ctx = parseNumCtx(*show.Parameters)
	}
	if arch := rawString(show.ModelInfo["general.architecture"]); arch != "" {
		var n jsonInt
		if raw, ok := show.ModelInfo[arch+".context_length"]; ok && json.Unmarshal(raw, &n) == nil {
			sv.trained = n.ptr()
		}
	}
	return sv, nil
}

// ollamaPS maps each loaded model to the context allocated at load. Only a
// deadline makes its failure fatal: the context is then just unknown.
func (s *session) ollamaPS(root string) (map[string]int, *outcome) {
	r := s.get(root + "/api/ps")
	if r.err != nil && s.ctx.Err() != nil {
		o := failed(r, s.transportVerdict(r))
		return nil, &o
	}
	var ps struct {
		Models []struct {
			Name          string  `json:"name"`
			Model         string  `json:"model"`
			ContextLength jsonInt `json:"context_length"`
		} `json:"models"`
	}
	if !r.ok() || decodeObject(r.body, &ps) != nil {
		return nil, nil
	}
	loaded := make(map[string]int, len(ps.Models))
	for _, m := range ps.Models {
		if !m.ContextLength.ok {
			continue
		}
		name := m.Name
		if name == "" {
			name = m.Model
		}
		loaded[ollamaKey(name)] = m.ContextLength.v
	}
	return loaded, nil
}

// parseNumCtx finds "num_ctx <spaces> N" in show's parameters text block.
func parseNumCtx(params string) *int {
	for line := range strings.Lines(params) {
		f := strings.Fields(line)
		if len(f) != 2 || f[0] != "num_ctx" {
			continue
		}
		n, err := strconv.Atoi(f[1])
		if err != nil || n <= 0 {
			continue
		}
		return &n
	}
	return nil
}
