package probes

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/provwatch/provwatch/configs"
)

func TestAlive(t *testing.T) {
	t.Parallel()
	// Any HTTP answer is alive, whatever it says.
	for _, status := range []int{200, 404, 500, 503} {
		srv := serve(t, map[string]route{"GET /": {status: status, body: "Ollama is running"}})
		p := provider(configs.FlavourOllama, srv.URL)
		if res, alive := New(defaultOptions()).Alive(context.Background(), Job{Provider: p, Models: wants("ollama", "qwen3")}, time.Second); !alive || res.Models != nil {
			t.Errorf("status %d: alive %v, result %+v", status, alive, res)
		}
	}

	// Refused: down (unreachable), at once.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := "http://" + ln.Addr().String()
	ln.Close()
	res, alive := New(defaultOptions()).Alive(context.Background(), Job{Provider: provider(configs.FlavourOllama, closed), Models: wants("ollama", "qwen3")}, time.Second)
	if alive || len(res.Models) != 1 || res.Models[0].State != Down || res.Models[0].Reason != ReasonUnreachable {
		t.Fatalf("refused: alive %v, %+v", alive, res)
	}
	hasAll(t, "detail", res.Models[0].Detail, "connection refused", "liveness check")

	// Accepts the connection and never answers: down (timeout) after the
	// liveness timeout, not the probe's.
	hang, _ := net.Listen("tcp", "127.0.0.1:0")
	t.Cleanup(func() { hang.Close() })
	go func() {
		for {
			c, err := hang.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	opts := defaultOptions()
	opts.Timeout = time.Hour
	res, alive = New(opts).Alive(context.Background(), Job{Provider: provider(configs.FlavourVLLM, "http://"+hang.Addr().String()+"/v1"), Models: wants("vllm", "m")}, 100*time.Millisecond)
	if alive || res.Models[0].State != Down || res.Models[0].Reason != ReasonTimeout {
		t.Fatalf("hanging: alive %v, %+v", alive, res)
	}
	hasAll(t, "detail", res.Models[0].Detail, "within 100ms", "liveness check")

	// Headers and then nothing: it answers, so it is alive; the body is not
	// waited for.
	stall := serve(t, map[string]route{"GET /": {fn: func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}}})
	if _, alive := New(defaultOptions()).Alive(context.Background(), Job{Provider: provider(configs.FlavourOllama, stall.URL), Models: wants("ollama", "qwen3")}, time.Hour); !alive {
		t.Error("a server that sent its status line is not alive")
	}

	// The caller's own end (a cycle deadline) is no observation: Cut.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	res, alive = New(opts).Alive(ctx, Job{Provider: provider(configs.FlavourVLLM, "http://"+hang.Addr().String()), Models: wants("vllm", "m")}, time.Hour)
	if alive || !res.Cut {
		t.Errorf("a check its caller gave up on: alive %v, cut %v", alive, res.Cut)
	}

	// The root of the base URL's host is asked, with the provider's key.
	var gotPath, gotAuth string
	srv := serve(t, map[string]route{"GET /": {fn: func(w http.ResponseWriter, r *http.Request) {
		gotPath, gotAuth = r.URL.Path, r.Header.Get("Authorization")
	}}})
	p := provider(configs.FlavourVLLM, srv.URL+"/v1")
	p.APIKey = "sk-vllm"
	New(defaultOptions()).Alive(context.Background(), Job{Provider: p}, time.Second)
	if gotPath != "/" || gotAuth != "Bearer sk-vllm" {
		t.Errorf("asked %q with %q", gotPath, gotAuth)
	}
}
