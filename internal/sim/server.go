package sim

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a simulated provider.
type Options struct {
	// Models served; nil means DefaultModels(kind). An empty non-nil slice
	// serves none.
	Models []Model
	// APIKey, when set, is required in the kind's auth header; a wrong or
	// missing key gets the provider's real invalid-key answer.
	APIKey string
	// Addr to listen on, "127.0.0.1:0" by default. It must be a loopback
	// address: the simulator never listens beyond this machine.
	Addr string
	// Latency is added before every answer, whatever the fault.
	Latency time.Duration
	// Padding adds this many filler models to every listing, to make a list
	// as large as a real one (OpenRouter lists hundreds).
	Padding int
	// Legacy makes Ollama answer like v0.24.0 (no details.context_length,
	// untagged names in /api/show errors).
	Legacy bool
	// Now is the clock used in answers (rate-limit resets, timestamps);
	// nil means time.Now.
	Now func() time.Time
}

// Request is what the simulator recorded about one request it answered.
// Headers are kept as sent (keys included): tests use them to check what a
// probe sent, and they never leave the test process.
type Request struct {
	Method   string
	Path     string
	RawQuery string
	Header   http.Header
	Body     []byte // first 64 KiB
}

// logSize bounds Log: enough for one probe's requests, small for 1000 servers.
const logSize = 32

// Server is one simulated provider listening on loopback.
type Server struct {
	kind Kind
	opts Options
	now  func() time.Time
	mux  *http.ServeMux

	mu      sync.Mutex
	fault   Fault
	params  FaultParams
	models  []Model
	addr    string // host:port, fixed after the first listen
	hs      *http.Server
	served  chan struct{} // closed when hs.Serve has returned
	closed  bool
	rec     *Recorder
	log     []Request
	logNext int

	requests atomic.Int64
	chats    atomic.Int64
	done     chan struct{} // closed by Close: unblocks stalled answers
}

// Start starts a simulated provider of the given kind.
func Start(kind Kind, opts Options) (*Server, error) {
	if !kind.Valid() {
		return nil, fmt.Errorf("sim: unknown provider kind %q (want one of %v)", kind, Kinds())
	}
	addr, err := loopbackAddr(opts.Addr)
	if err != nil {
		return nil, err
	}
	s := &Server{kind: kind, opts: opts, now: opts.Now, addr: addr, done: make(chan struct{})}
	if s.now == nil {
		s.now = time.Now
	}
	if opts.Models == nil {
		s.models = DefaultModels(kind)
	} else {
		s.models = append([]Model(nil), opts.Models...)
	}
	if kind == Ollama {
		for i := range s.models {
			s.models[i].ID = ollamaName(s.models[i].ID)
		}
	}
	s.mux = http.NewServeMux()
	s.routes()
	if err := s.listen(); err != nil {
		return nil, err
	}
	return s, nil
}

// loopbackAddr defaults addr and refuses anything but a loopback address.
func loopbackAddr(addr string) (string, error) {
	if addr == "" {
		return "127.0.0.1:0", nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("sim: listen address %q is not host:port: %w", addr, err)
	}
	if host == "localhost" {
		host = "127.0.0.1"
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return "", fmt.Errorf("sim: listen address %q is not a loopback address (use 127.0.0.1:port)", addr)
	}
	return net.JoinHostPort(host, port), nil
}

// listen (re)opens the listener on s.addr; the caller holds s.mu or owns s.
func (s *Server) listen() error {
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("sim: %s cannot listen on %s: %w", s.kind, s.addr, err)
	}
	// Keep the port: clearing Refused must come back where configs point.
	s.addr = ln.Addr().String()
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan struct{})
	s.hs, s.served = hs, served
	go func() {
		defer close(served)
		_ = hs.Serve(ln)
	}()
	return nil
}

// unlisten closes the listener and every open connection, so the port
// refuses connections like a stopped server's; the caller holds s.mu.
func (s *Server) unlisten() {
	if s.hs != nil {
		_ = s.hs.Close()
		// The socket is really closed only once Accept has let go of it;
		// until then a connect can be accepted and then reset instead of
		// refused. Serve returning means Accept has returned.
		<-s.served
		s.hs = nil
	}
}

// Kind returns the simulated provider's kind.
func (s *Server) Kind() Kind { return s.kind }

// Addr returns host:port; it stays the same across Refused.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Root returns http://host:port, with no path.
func (s *Server) Root() string { return "http://" + s.Addr() }

// BaseURL returns the base URL exactly as an OpenClaw config writes it for
// this kind: the host root for Ollama, Anthropic and DeepSeek, /v1beta for
// Gemini, /api/v1 for OpenRouter, /openai/v1 for Groq, /v1 otherwise.
func (s *Server) BaseURL() string { return s.Root() + s.kind.Prefix() }

// APIKey returns the key the server requires ("" when none).
func (s *Server) APIKey() string { return s.opts.APIKey }

// Models returns the models as configured (faults not applied), with the
// Loaded flags as they are now.
func (s *Server) Models() []Model {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Model(nil), s.models...)
}

// Requests returns how many requests the server has answered (faulted ones
// included; refused connections are not requests).
func (s *Server) Requests() int64 { return s.requests.Load() }

// Log returns the most recent requests (up to 32), oldest first.
func (s *Server) Log() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, 0, len(s.log))
	if len(s.log) == logSize {
		out = append(out, s.log[s.logNext:]...)
		out = append(out, s.log[:s.logNext]...)
		return out
	}
	return append(out, s.log...)
}

// Close stops the server, its redirect recorder and any stalled answer.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.done)
	s.unlisten()
	rec := s.rec
	s.mu.Unlock()
	if rec != nil {
		rec.Close()
	}
}

func (s *Server) record(r *http.Request) {
	var body []byte
	if r.Body != nil {
		b, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		if err == nil || errors.Is(err, io.EOF) {
			body = b
		}
		// Hand the body on to the handler as if unread.
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(b), r.Body))
	}
	req := Request{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: body}
	s.mu.Lock()
	if len(s.log) < logSize {
		s.log = append(s.log, req)
	} else {
		s.log[s.logNext] = req
		s.logNext = (s.logNext + 1) % logSize
	}
	s.mu.Unlock()
}

// sleep waits d, or less when the client leaves or the server closes; it
// reports whether the full wait happened.
func (s *Server) sleep(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
	case <-s.done:
	}
	return false
}
