package reporter

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/probes"
)

// updateGolden rewrites the table_* and page_* golden files: go test ./reporter -run 'Golden' -update
var updateGolden = flag.Bool("update", false, "rewrite the reporter's golden files in testdata/")

func outIntPtr(n int) *int              { return &n }
func outFloatPtr(f float64) *float64    { return &f }
func outTimePtr(t time.Time) *time.Time { return &t }

// outSampleReport is a cycle with one model in each state plus a second
// healthy one, a failover, and rate limits known for two providers.
func outSampleReport() *Report {
	cycle := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	return &Report{
		Time:    cycle,
		Healthy: 2, Degraded: 1, Down: 1,
		Providers: []ProviderReport{
			{
				ID: "ollama", API: "ollama", BaseURL: "http://10.0.1.5:11434",
				Probe: probes.ProbeInfo{OK: true, StatusCode: 200, LatencyMS: 12.4,
					Phases: probes.Phases{DNS: 0, Connect: 0.3, TLS: 0, TTFB: 11.2, Transfer: 0.4}},
				Models: []ModelReport{
					{
						Ref: "ollama/qwen3-coder", State: probes.Down, Reason: probes.ReasonNoModel,
						Detail:                  "qwen3-coder is not pulled on this server (available: llama3.1:8b)",
						ConfiguredContextWindow: outIntPtr(128000),
						Since:                   outTimePtr(cycle.Add(-2 * time.Minute)),
						Hint:                    "run: ollama pull qwen3-coder",
					},
					{
						Ref: "ollama/llama3.1:8b", State: probes.Degraded, Reason: probes.ReasonContextWindow,
						Detail:                  "served context 8192 is below the 64000 the config declares",
						ContextWindow:           outIntPtr(8192),
						TrainedContextWindow:    outIntPtr(131072),
						ConfiguredContextWindow: outIntPtr(64000),
						Since:                   outTimePtr(cycle.Add(-10 * time.Minute)),
						Hint:                    "set OLLAMA_CONTEXT_LENGTH>=64000",
					},
				},
			},
			{
				ID: "anthropic", API: "anthropic-messages", BaseURL: "https://api.anthropic.com",
				Probe: probes.ProbeInfo{OK: true, StatusCode: 200, LatencyMS: 231.875,
					Phases: probes.Phases{DNS: 1.25, Connect: 20.5, TLS: 41.125, TTFB: 160, Transfer: 9}},
				RateLimit: probes.RateLimit{
					RequestsLimit: outFloatPtr(50), RequestsRemaining: outFloatPtr(45),
					TokensLimit: outFloatPtr(40000), TokensRemaining: outFloatPtr(36000),
					Headroom: outFloatPtr(0.9), ResetAt: outTimePtr(cycle.Add(time.Minute)),
				},
				Models: []ModelReport{{
					Ref: "anthropic/claude-3-5-sonnet-20241022", State: probes.Healthy, Reason: probes.ReasonOK,
					ContextWindow: outIntPtr(200000), ConfiguredContextWindow: outIntPtr(200000),
					Since: outTimePtr(cycle.Add(-3 * time.Hour)),
				}},
			},
			{
				ID: "openrouter", API: "openai-completions", BaseURL: "https://openrouter.ai/api/v1",
				Probe: probes.ProbeInfo{OK: true, StatusCode: 200, LatencyMS: 1843.5,
					Phases: probes.Phases{DNS: 3.5, Connect: 30, TLS: 60, TTFB: 1500, Transfer: 250}},
				RateLimit: probes.RateLimit{CreditsRemaining: outFloatPtr(12.5)},
				Models: []ModelReport{{
					Ref: "openrouter/google/gemini-flash-1.5", State: probes.Healthy, Reason: probes.ReasonOK,
					ContextWindow: outIntPtr(1000000),
					Since:         outTimePtr(cycle.Add(-3 * time.Hour)),
				}},
			},
		},
		Order: OrderReport{
			Configured: configs.Order{Primary: "ollama/qwen3-coder", Fallbacks: []string{
				"anthropic/claude-3-5-sonnet-20241022", "openrouter/google/gemini-flash-1.5", "ollama/llama3.1:8b"}},
			Effective: configs.Order{Primary: "anthropic/claude-3-5-sonnet-20241022", Fallbacks: []string{
				"openrouter/google/gemini-flash-1.5", "ollama/llama3.1:8b", "ollama/qwen3-coder"}},
			Changed: true, Written: true,
		},
	}
}

// outGolden compares got with testdata/name, rewriting it under -update.
func outGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateGolden {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("update golden %s: %v", path, err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden %s: %v (run go test ./reporter -update to create it)", path, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (run with -update to accept):\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}

func TestWriteJSONGolden(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := WriteJSON(&buf, outSampleReport()); err != nil {
		t.Fatal(err)
	}
	outGolden(t, "page_report.json", buf.Bytes())
}

// specExample is the example report of docs/reference.md §4, read from the
// page itself so that the contract and the report cannot drift apart.
func specExample(t *testing.T) []byte {
	t.Helper()
	page, err := os.ReadFile(filepath.Join("..", "docs", "reference.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(page), "\n## §4 ")
	if !ok {
		t.Fatal("docs/reference.md has no section §4")
	}
	_, block, ok := strings.Cut(sec, "```json\n")
	if !ok {
		t.Fatal("docs/reference.md §4 has no json example")
	}
	block, _, ok = strings.Cut(block, "```")
	if !ok {
		t.Fatal("docs/reference.md §4's json example is not closed")
	}
	return []byte(block)
}

// keyPaths lists every object key path in a decoded JSON value; array
// elements share the path "[]".
func keyPaths(prefix string, v any, into map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			p := prefix + "." + k
			into[p] = true
			keyPaths(p, child, into)
		}
	case []any:
		for _, child := range v {
			keyPaths(prefix+"[]", child, into)
		}
	}
}

func TestWriteJSONHasExactlySpecFields(t *testing.T) {
	t.Parallel()
	var spec map[string]any
	if err := json.Unmarshal(specExample(t), &spec); err != nil {
		t.Fatalf("reference example: %v", err)
	}
	want := map[string]bool{}
	keyPaths("", spec, want)

	var buf bytes.Buffer
	if err := WriteJSON(&buf, outSampleReport()); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("decode report: %v\n%s", err, buf.Bytes())
	}
	have := map[string]bool{}
	keyPaths("", got, have)

	for _, p := range sortedKeys(want) {
		if !have[p] {
			t.Errorf("docs/reference.md field %s is missing from the report", p)
		}
	}
	for _, p := range sortedKeys(have) {
		if !want[p] {
			t.Errorf("report has field %s, which docs/reference.md §4 does not name", p)
		}
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestWriteJSONValues(t *testing.T) {
	t.Parallel()
	east := time.FixedZone("UTC+9", 9*3600)
	r := &Report{
		Time: time.Date(2026, 11, 25, 19, 0, 0, 0, east),
		Providers: []ProviderReport{{
			ID: "groq", API: "openai-completions",
			Probe: probes.ProbeInfo{LatencyMS: 0.1 + 0.2, Phases: probes.Phases{Connect: 0.0421}},
			RateLimit: probes.RateLimit{
				Headroom: outFloatPtr(math.NaN()),
				ResetAt:  outTimePtr(time.Date(2026, 11, 25, 19, 1, 0, 0, east)),
			},
			Models: []ModelReport{{Ref: "groq/llama-3.3-70b", State: probes.Down, Reason: probes.ReasonAuth,
				Detail: `401 <html> & "quoted"`, Since: outTimePtr(time.Date(2026, 11, 25, 18, 0, 0, 0, east))}},
		}},
		Order: OrderReport{Configured: configs.Order{Primary: "groq/llama-3.3-70b"}},
	}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		`"time":"2026-11-25T10:00:00Z"`,
		`"since":"2026-11-25T09:00:00Z"`,
		`"reset_at":"2026-11-25T10:01:00Z"`,
		`"latency_ms":0.3,`,     // sub-ms kept, float noise (0.30000000000000004) dropped
		`"connect":0.0421,`,     // not rounded to an integer
		`"headroom":null`,       // NaN is not a number the provider told
		`"context_window":null`, // unknown stays null, never 0
		`"fallbacks":[]`,        // nil slice
		`"detail":"401 <html> & \"quoted\""`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %s:\n%s", want, out)
		}
	}
	// The caller's report is shared with other sinks: it must be untouched.
	if r.Time.Location() != east || r.Order.Configured.Fallbacks != nil {
		t.Errorf("WriteJSON modified its input: time zone %v, fallbacks %#v", r.Time.Location(), r.Order.Configured.Fallbacks)
	}
}

func TestWriteJSONEmptyListsAndOneDocument(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		r    *Report
	}{
		{"zero report", &Report{}},
		{"provider without models", &Report{Providers: []ProviderReport{{ID: "openai"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := WriteJSON(&buf, tt.r); err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(buf.String(), "\n"); n != 1 || !strings.HasSuffix(buf.String(), "\n") {
				t.Errorf("want one line ending in a newline (EMF mode puts the report last), got %d newlines: %q", n, buf.String())
			}
			dec := json.NewDecoder(&buf)
			var doc struct {
				Providers []struct {
					Models json.RawMessage `json:"models"`
				} `json:"providers"`
				Order struct {
					Configured struct{ Fallbacks json.RawMessage }
					Effective  struct{ Fallbacks json.RawMessage }
				} `json:"order"`
			}
			var raw map[string]json.RawMessage
			if err := json.Unmarshal(buf.Bytes(), &raw); err != nil {
				t.Fatal(err)
			}
			if string(raw["providers"]) == "null" {
				t.Errorf("providers is null, want []")
			}
			if err := dec.Decode(&doc); err != nil {
				t.Fatal(err)
			}
			if err := dec.Decode(&struct{}{}); err != io.EOF {
				t.Errorf("want exactly one JSON document, a second decode gave %v", err)
			}
			for _, p := range doc.Providers {
				if string(p.Models) != "[]" {
					t.Errorf("models = %s, want []", p.Models)
				}
			}
			if f := string(doc.Order.Configured.Fallbacks); f != "[]" {
				t.Errorf("configured fallbacks = %s, want []", f)
			}
			if f := string(doc.Order.Effective.Fallbacks); f != "[]" {
				t.Errorf("effective fallbacks = %s, want []", f)
			}
		})
	}
}

func TestWriteJSONNil(t *testing.T) {
	t.Parallel()
	if err := WriteJSON(io.Discard, nil); err == nil {
		t.Error("WriteJSON(nil) succeeded, want an error")
	}
}
