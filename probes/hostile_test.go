package probes

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/provwatch/provwatch/configs"
)

// TestHostileBodiesAreBounded: answers built to exhaust memory or time
// are read only up to the body cap (4 MiB, after decompression) or fail to
// decode cheaply; a very long but honest model list still works.
func TestHostileBodiesAreBounded(t *testing.T) {
	t.Parallel()
	bomb := gzipBomb(t, 1024)
	var list strings.Builder
	list.WriteString(`{"object":"list","data":[`)
	for i := 0; i < 100000; i++ {
		fmt.Fprintf(&list, `{"id":"model-%06d"},`, i)
	}
	list.WriteString(`{"id":"m","max_model_len":131072}]}`)

	for _, tc := range []struct {
		name   string
		h      http.HandlerFunc
		want   expect
		detail string
	}{
		{"200 MB body, no length", func(w http.ResponseWriter, r *http.Request) {
			chunk := bytes.Repeat([]byte(" "), 1<<20)
			for i := 0; i < 200; i++ {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}, expect{Degraded, ReasonFormat, none, none}, "larger than 4 MiB"},
		{"1 GiB gzip bomb", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(bomb.Bytes())
		}, expect{Degraded, ReasonFormat, none, none}, "larger than 4 MiB"},
		{"2,000,000-deep JSON", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(strings.Repeat("[", 2_000_000)))
		}, expect{Degraded, ReasonFormat, none, none}, "not the documented vllm shape"},
		{"100,000-model list", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(list.String()))
		}, expect{Healthy, ReasonOK, 131072, none}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := serve(t, map[string]route{"GET /v1/models": {fn: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				tc.h(w, r)
			}}})
			p := provider(configs.FlavourVLLM, srv.URL+"/v1")
			res := probeOnce(t, defaultOptions(), Job{Provider: p, Models: wants("vllm", "m")})
			check(t, res, []expect{tc.want})
			hasAll(t, "detail", res.Models[0].Detail, tc.detail)
		})
	}
}

// gzipBomb is a gzip stream of mib MiB of zeros, built without compressing
// them all: one MiB is compressed and sync-flushed, and its deflate blocks
// are repeated (they only copy the previous byte, a zero). The stream has
// no valid trailer; a reader that stops at its cap never gets that far.
func gzipBomb(t *testing.T, mib int) *bytes.Buffer {
	t.Helper()
	var out bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&out, gzip.BestCompression)
	zw.Write(make([]byte, 1<<20))
	if err := zw.Flush(); err != nil {
		t.Fatal(err)
	}
	const gzipHeader = 10
	first := append([]byte(nil), out.Bytes()[gzipHeader:]...)
	// The first block starts with a literal zero; the repeats may too.
	for i := 1; i < mib; i++ {
		out.Write(first)
	}
	return &out
}
