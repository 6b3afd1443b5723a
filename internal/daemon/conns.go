package daemon

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// The HTTP server's bounds. Its clients are a health check, a Prometheus
// scrape and a person with a browser: small GETs.
const (
	readHeaderTimeout = 5 * time.Second  // slowloris: headers must arrive within this
	readTimeout       = 10 * time.Second // the whole request
	writeTimeout      = 30 * time.Second // the whole answer (a big /metrics included)
	idleTimeout       = 30 * time.Second // a keep-alive connection with no request
	maxHeaderBytes    = 16 << 10
	maxConnsCeiling   = 512 // Prometheus's --web.max-connections default
	maxConnsFloor     = 8
)

// defaultMaxConns is a quarter of the open-file limit, so that held
// connections can never starve the probes, the state files and the
// listener itself of descriptors (140 idle connections under
// `ulimit -n 128` made /healthz fail), within [maxConnsFloor, maxConnsCeiling].
func defaultMaxConns() int { return maxConnsFor(openFileLimit()) }

func maxConnsFor(openFiles int) int {
	return min(maxConnsCeiling, max(maxConnsFloor, openFiles/4))
}

// connLimiter caps the connections the server holds. When a new one
// arrives at the cap, it closes the connection that has waited longest
// without a request in progress (a keep-alive connection, or one that sent
// nothing yet), as nginx reuses keep-alive connections when it runs out;
// only when every connection is busy with a request is the new one closed.
// So idle connections, however many, never lock out /healthz.
type connLimiter struct {
	net.Listener
	max int

	mu    sync.Mutex
	conns map[net.Conn]connInfo
}

type connInfo struct {
	busy  bool      // a request is being served
	since time.Time // when it last became idle (or was accepted)
}

func newConnLimiter(ln net.Listener, max int) *connLimiter {
	return &connLimiter{Listener: ln, max: max, conns: map[net.Conn]connInfo{}}
}

// Accept implements net.Listener.
func (l *connLimiter) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		l.mu.Lock()
		if len(l.conns) >= l.max {
			victim := l.oldestIdle()
			if victim == nil {
				l.mu.Unlock()
				c.Close() // every held connection is serving a request
				continue
			}
			delete(l.conns, victim)
			victim.Close()
		}
		l.conns[c] = connInfo{since: time.Now()}
		l.mu.Unlock()
		return c, nil
	}
}

// oldestIdle is the held connection idle the longest. Callers hold l.mu.
func (l *connLimiter) oldestIdle() net.Conn {
	var victim net.Conn
	var at time.Time
	for c, info := range l.conns {
		if !info.busy && (victim == nil || info.since.Before(at)) {
			victim, at = c, info.since
		}
	}
	return victim
}

// track is the server's ConnState hook.
func (l *connLimiter) track(c net.Conn, st http.ConnState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	info, held := l.conns[c]
	switch st {
	case http.StateActive:
		if held {
			info.busy = true
			l.conns[c] = info
		}
	case http.StateIdle:
		if held {
			l.conns[c] = connInfo{since: time.Now()}
		}
	case http.StateHijacked, http.StateClosed:
		delete(l.conns, c)
	}
}

// open is how many connections are held.
func (l *connLimiter) open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}
