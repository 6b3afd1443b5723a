package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeRuntime is a loopback stand-in for the Lambda runtime API: it hands
// out the queued invocations on /next, records the responses, and holds the
// next /next open once the queue is empty (as Lambda does between events).
type fakeRuntime struct {
	mu        sync.Mutex
	payloads  []string
	served    int
	responses map[string][]byte
	errors    map[string][]byte
	gotAll    chan struct{}
	release   chan struct{}
}

func (f *fakeRuntime) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	const prefix = "/2018-06-01/runtime/"
	path := strings.TrimPrefix(r.URL.Path, prefix)
	switch {
	case r.Method == http.MethodGet && path == "invocation/next":
		f.mu.Lock()
		if f.served == len(f.payloads) {
			f.mu.Unlock()
			select {
			case <-f.release:
			case <-r.Context().Done():
			}
			return
		}
		id := fmt.Sprintf("req-%d", f.served+1)
		payload := f.payloads[f.served]
		f.served++
		f.mu.Unlock()
		w.Header().Set("Lambda-Runtime-Aws-Request-Id", id)
		w.Header().Set("Lambda-Runtime-Deadline-Ms", fmt.Sprint(time.Now().Add(2*time.Minute).UnixMilli()))
		w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:provwatch")
		w.Header().Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
		_, _ = io.WriteString(w, payload)
	case r.Method == http.MethodPost && strings.HasPrefix(path, "invocation/"):
		parts := strings.Split(path, "/") // invocation/{id}/response|error
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		if parts[2] == "response" {
			f.responses[parts[1]] = body
		} else {
			f.errors[parts[1]] = body
		}
		if len(f.responses)+len(f.errors) == len(f.payloads) {
			close(f.gotAll)
		}
		f.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	default:
		http.NotFound(w, r)
	}
}

func TestLambdaHandlerCarriesStateBetweenInvocations(t *testing.T) {
	t.Parallel()
	f, cfg := fleetConfig(t)
	rt := &fakeRuntime{
		payloads:  []string{`{"source":"aws.scheduler"}`, `"any json at all"`},
		responses: map[string][]byte{}, errors: map[string][]byte{},
		gotAll: make(chan struct{}), release: make(chan struct{}),
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: rt}
	go srv.Serve(ln)
	t.Cleanup(func() { close(rt.release); srv.Close() })

	dir := t.TempDir()
	// Started with no arguments, as Lambda starts a bootstrap.
	p := start(t, []string{
		"AWS_LAMBDA_RUNTIME_API=" + ln.Addr().String(),
		"AWS_LAMBDA_FUNCTION_NAME=provwatch", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128", "AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"PROVWATCH_OPENCLAW_CONFIG=" + cfg,
		"PROVWATCH_REMEDIATION_TARGET=file:" + filepath.Join(dir, "order.json"),
		"PROVWATCH_STATE=file:" + filepath.Join(dir, "state.json"),
	})
	select {
	case <-rt.gotAll:
	case <-time.After(60 * time.Second):
		t.Fatalf("the handler did not answer both invocations; stderr:\n%s", p.stderr.String())
	}
	if len(rt.errors) > 0 {
		t.Fatalf("invocation errors: %s", rt.errors)
	}
	type report struct {
		Healthy   int
		Providers []struct {
			Models []struct {
				Ref   string
				Since time.Time
			}
		}
		Order struct{ Written bool }
	}
	var first, second report
	if err := json.Unmarshal(rt.responses["req-1"], &first); err != nil {
		t.Fatalf("first response is not a report: %v: %s", err, rt.responses["req-1"])
	}
	if err := json.Unmarshal(rt.responses["req-2"], &second); err != nil {
		t.Fatalf("second response is not a report: %v", err)
	}
	if first.Healthy != 3 || !first.Order.Written {
		t.Fatalf("first invocation: healthy=%d written=%v, want 3 and the new target written", first.Healthy, first.Order.Written)
	}
	if second.Order.Written {
		t.Fatal("second invocation rewrote an unchanged order")
	}
	s1 := first.Providers[len(first.Providers)-1].Models[0].Since
	s2 := second.Providers[len(second.Providers)-1].Models[0].Since
	if s1.IsZero() || !s1.Equal(s2) {
		t.Fatalf("since %v then %v: the state did not carry over between invocations", s1, s2)
	}
	if f.Members()[0].Requests() == 0 {
		t.Fatal("the handler probed nothing")
	}
}
