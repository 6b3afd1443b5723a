package sim

import (
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// Recorder is the target of the Redirect fault: a loopback server that
// answers 200 {} to anything and remembers who came, with which headers,
// so a test can assert that a probe did not follow a redirect, or did not
// carry its key along.
type Recorder struct {
	host string
	url  string
	hs   *http.Server

	mu   sync.Mutex
	hits []Request
}

// StartRecorder starts a recorder on host (a loopback IP, "" = 127.0.0.1).
func StartRecorder(host string) (*Recorder, error) {
	if host == "" {
		host = "127.0.0.1"
	}
	addr, err := loopbackAddr(net.JoinHostPort(host, "0"))
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("sim: redirect recorder cannot listen on %s: %w", addr, err)
	}
	rec := &Recorder{host: host, url: "http://" + ln.Addr().String()}
	rec.hs = &http.Server{Handler: rec, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = rec.hs.Serve(ln) }()
	return rec, nil
}

// ServeHTTP records the request and answers 200 {}.
func (rec *Recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec.mu.Lock()
	rec.hits = append(rec.hits, Request{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone()})
	rec.mu.Unlock()
	writeJSON(w, http.StatusOK, obj{})
}

// URL returns http://host:port.
func (rec *Recorder) URL() string { return rec.url }

// Hits returns how many requests reached the recorder.
func (rec *Recorder) Hits() int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return len(rec.hits)
}

// Requests returns every request the recorder saw, oldest first.
func (rec *Recorder) Requests() []Request {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]Request(nil), rec.hits...)
}

// Close stops the recorder.
func (rec *Recorder) Close() { _ = rec.hs.Close() }
