package sim

import (
	"fmt"
	"net/http"
	"time"
)

// Fault is what is wrong with a simulated provider right now.
type Fault string

// The faults. Each answers in the simulated provider's own wire shape.
const (
	None Fault = "none"
	// Refused closes the listener and every connection: connecting gets
	// ECONNREFUSED. Clearing it listens again on the same port.
	Refused Fault = "refused"
	// Down answers 503 from a load balancer in front of the provider.
	Down Fault = "down"
	// Slow waits FaultParams.Delay before the headers, then answers normally.
	Slow Fault = "slow"
	// Stall sends 200 headers and the start of a body, then nothing more
	// for FaultParams.Delay (0: until the client or the server gives up).
	Stall Fault = "stall"
	// Unauthorized answers the provider's invalid-key error, whatever key
	// was sent (401 for most; Gemini and xAI 400).
	Unauthorized Fault = "unauthorized"
	// Billing answers the provider's out-of-credit error: 402 for most,
	// OpenAI-style 429 insufficient_quota, xAI 403, Gemini 429 quota.
	// OpenRouter and DeepSeek keep listing models and show it in their
	// credit endpoints and completions.
	Billing Fault = "billing"
	// RateLimited answers 429 with the provider's rate-limit headers showing
	// nothing remaining and Retry-After (FaultParams.RetryAfter).
	RateLimited Fault = "rate_limited"
	// LowHeadroom answers normally, with rate-limit headers showing about
	// 3% remaining (OpenRouter: 2.5 of 100 credits left).
	LowHeadroom Fault = "low_headroom"
	// ServerError answers 500.
	ServerError Fault = "server_error"
	// Overloaded answers 529 on Anthropic, 503 elsewhere.
	Overloaded Fault = "overloaded"
	// MissingModel stops serving FaultParams.Model ("" = every model): it
	// is not listed (Ollama: not pulled) and completions get not-found.
	MissingModel Fault = "missing_model"
	// SmallContext serves FaultParams.Context tokens (default 4096) for
	// FaultParams.Model ("" = every model).
	SmallContext Fault = "small_context"
	// GarbageJSON answers 200 application/json with a body that is not JSON.
	GarbageJSON Fault = "garbage_json"
	// HugeBody answers 200 with a valid-looking listing of
	// FaultParams.Size bytes (default 32 MiB), streamed.
	HugeBody Fault = "huge_body"
	// Redirect answers 302 to a recorder on another loopback port (see
	// Server.Recorder), which notes whether it was hit and with which headers.
	Redirect Fault = "redirect"
)

// Faults lists every fault, None first.
func Faults() []Fault {
	return []Fault{None, Refused, Down, Slow, Stall, Unauthorized, Billing, RateLimited,
		LowHeadroom, ServerError, Overloaded, MissingModel, SmallContext, GarbageJSON, HugeBody, Redirect}
}

// FaultParams tune a fault; zero values take the documented defaults.
type FaultParams struct {
	Delay      time.Duration // Slow (default 2s) and Stall
	Model      string        // MissingModel, SmallContext: the model id; "" = every model
	Context    int           // SmallContext: served context, default 4096
	Size       int64         // HugeBody: body bytes, default 32 MiB
	RetryAfter time.Duration // RateLimited: default 20s
	// RedirectHost is the loopback host the Redirect recorder listens on
	// (default 127.0.0.1; 127.0.0.2 makes the redirect cross-host).
	RedirectHost string
	// Variant picks an alternative documented answer: Anthropic Billing
	// "credit_balance" answers 400 "Your credit balance is too low…".
	Variant string
}

func (p FaultParams) withDefaults() FaultParams {
	if p.Delay == 0 {
		p.Delay = -1 // marks "unset" for Stall; Slow maps it to 2s
	}
	if p.Context == 0 {
		p.Context = 4096
	}
	if p.Size == 0 {
		p.Size = 32 << 20
	}
	if p.RetryAfter == 0 {
		p.RetryAfter = 20 * time.Second
	}
	if p.RedirectHost == "" {
		p.RedirectHost = "127.0.0.1"
	}
	return p
}

// SetFault switches the fault, effective from the next request. Safe for
// concurrent use. It fails only when clearing Refused cannot listen on the
// same port again, or when the Redirect recorder cannot start.
func (s *Server) SetFault(f Fault, p FaultParams) error {
	if f == "" {
		f = None
	}
	known := false
	for _, x := range Faults() {
		known = known || x == f
	}
	if !known {
		return fmt.Errorf("sim: unknown fault %q (want one of %v)", f, Faults())
	}
	p = p.withDefaults()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("sim: %s on %s is closed; start a new server", s.kind, s.addr)
	}
	if f == Redirect && (s.rec == nil || s.rec.host != p.RedirectHost) {
		if s.rec != nil {
			s.rec.Close()
		}
		rec, err := StartRecorder(p.RedirectHost)
		if err != nil {
			return err
		}
		s.rec = rec
	}
	prev := s.fault
	s.fault, s.params = f, p
	switch {
	case f == Refused && prev != Refused:
		s.unlisten()
	case f != Refused && prev == Refused:
		if err := s.listen(); err != nil {
			s.fault = Refused
			return err
		}
	}
	return nil
}

// Fault returns the current fault and its parameters.
func (s *Server) Fault() (Fault, FaultParams) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fault == "" {
		return None, s.params
	}
	return s.fault, s.params
}

// Recorder returns the Redirect target, nil before the first Redirect fault.
func (s *Server) Recorder() *Recorder {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rec
}

// view returns the models as served now: faults applied, padding added.
func (s *Server) view() []Model {
	s.mu.Lock()
	f, p := s.fault, s.params
	src := s.models
	out := make([]Model, 0, len(src)+s.opts.Padding)
	for _, m := range src {
		hit := p.Model == "" || m.answersTo(p.Model) || (s.kind == Ollama && ollamaName(p.Model) == m.ID)
		if f == MissingModel && hit {
			continue
		}
		if f == SmallContext && hit {
			m.ContextWindow = p.Context
			m.NumCtx = p.Context
		}
		out = append(out, m)
	}
	s.mu.Unlock()
	for i := range s.opts.Padding {
		id := fmt.Sprintf("sim-filler/model-%04d", i)
		if s.kind == Ollama {
			id = fmt.Sprintf("sim-filler-%04d:latest", i)
		}
		out = append(out, Model{ID: id, ContextWindow: 32768, Trained: 32768})
	}
	return out
}

// ServeHTTP applies the current fault, then checks auth, then answers in
// the kind's shape. Infrastructure faults (down, stall, redirect, garbage)
// come before auth, as a proxy in front of the provider would answer them.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	s.record(r)
	f, p := s.Fault()
	if s.opts.Latency > 0 && !s.sleep(r, s.opts.Latency) {
		return
	}
	switch f {
	case Refused:
		// The request raced the listener closing: drop it as a dead server would.
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				_ = c.Close()
				return
			}
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	case Slow:
		d := p.Delay
		if d <= 0 {
			d = 2 * time.Second
		}
		if !s.sleep(r, d) {
			return
		}
	case Down:
		writeDown(w)
		return
	case Stall:
		s.stall(w, r, p)
		return
	case Redirect:
		s.mu.Lock()
		rec := s.rec
		s.mu.Unlock()
		http.Redirect(w, r, rec.URL()+r.URL.RequestURI(), http.StatusFound)
		return
	case GarbageJSON:
		writeGarbage(w)
		return
	case HugeBody:
		s.writeHuge(w, p.Size)
		return
	case ServerError:
		s.writeError(w, errServer, "")
		return
	case Overloaded:
		s.writeError(w, errOverloaded, "")
		return
	}
	if !s.kind.public(r.URL.Path) && !s.authorized(w, r) {
		return
	}
	switch f {
	case Unauthorized:
		s.writeError(w, errAuth, "")
		return
	case Billing:
		if s.kind != OpenRouter && s.kind != DeepSeek {
			s.writeError(w, errBilling, "")
			return
		}
	case RateLimited:
		s.setRateHeaders(w.Header(), levelExhausted)
		if s.kind != Gemini && s.kind != OpenRouter {
			w.Header().Set("Retry-After", fmt.Sprint(int(p.RetryAfter.Seconds())))
		}
		s.writeError(w, errRateLimit, "")
		return
	case LowHeadroom:
		s.setRateHeaders(w.Header(), levelLow)
	}
	if s.kind == Groq && f != LowHeadroom {
		// Groq sends its rate-limit headers on every response.
		s.setRateHeaders(w.Header(), levelHealthy)
	}
	s.mux.ServeHTTP(w, r)
}

// authorized checks the key; on failure it answers and returns false.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	if s.opts.APIKey == "" {
		return true
	}
	key, present := s.kind.keyFrom(r.Header)
	switch {
	case !present || key == "":
		s.writeError(w, errNoKey, "")
		return false
	case key != s.opts.APIKey:
		s.writeError(w, errAuth, "")
		return false
	}
	return true
}

// stall sends headers and a first byte, then holds the body.
func (s *Server) stall(w http.ResponseWriter, r *http.Request, p FaultParams) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	fl, _ := w.(http.Flusher)
	if s.kind == DeepSeek {
		// DeepSeek holds a busy connection open by sending blank lines.
		_, _ = w.Write([]byte("\n"))
	} else {
		_, _ = w.Write([]byte("{"))
	}
	if fl != nil {
		fl.Flush()
	}
	if p.Delay > 0 {
		s.sleep(r, p.Delay)
		return
	}
	select {
	case <-r.Context().Done():
	case <-s.done:
	}
}
