package follow

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStepAtRestStillSeesEdits: a follower whose order is in place skips
// the parsing while nothing changed, but an edit of the gateway's file, or
// of a file it $includes, that takes the order away is undone at the next
// step, and a new order in the source is applied.
func TestStepAtRestStillSeesEdits(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	into, model, src := filepath.Join(dir, "openclaw.json"), filepath.Join(dir, "model.json5"), filepath.Join(dir, "order.json")
	write := func(path, s string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(into, `{agents: {defaults: {model: {$include: "./model.json5"}}}}`)
	write(model, `{primary: "ollama/qwen3", fallbacks: ["openai/gpt-4.1"]}`)
	write(src, `{"primary":"openai/gpt-4.1","fallbacks":["ollama/qwen3"]}`)
	f := fileFollower(into, src, nil)
	step := func(wantWritten bool) {
		t.Helper()
		out, err := f.Step(context.Background())
		if err != nil || out.Written != wantWritten {
			t.Fatalf("Step = %+v, %v; want written %v", out, err, wantWritten)
		}
	}
	applied := `{primary: "openai/gpt-4.1", fallbacks: ["ollama/qwen3"]}`
	step(true)
	step(false) // found in place: remembered
	if f.applied == nil {
		t.Fatal("an order found in place was not remembered")
	}
	step(false) // at rest
	if got := read(t, model); got != applied {
		t.Fatalf("model.json5 = %s", got)
	}

	// Someone puts the old chain back in the included file.
	write(model, `{primary: "ollama/qwen3", fallbacks: ["openai/gpt-4.1"]}`)
	step(true)
	if got := read(t, model); got != applied {
		t.Fatalf("an edit of the included file was not undone: %s", got)
	}
	step(false)

	// Someone replaces the $include in the root file with a chain of its own.
	write(into, `{agents: {defaults: {model: {primary: "ollama/qwen3", fallbacks: ["openai/gpt-4.1"]}}}}`)
	step(true)
	if got := read(t, into); !strings.Contains(got, `primary: "openai/gpt-4.1"`) {
		t.Fatalf("an edit of the root file was not undone: %s", got)
	}
	step(false)

	// A new order in the source.
	write(src, `{"primary":"ollama/qwen3","fallbacks":["openai/gpt-4.1"]}`)
	step(true)
	if got := read(t, into); !strings.Contains(got, `primary: "ollama/qwen3"`) {
		t.Fatalf("a new order was not applied: %s", got)
	}
}

// BenchmarkStepAtRest is a follower's cost per period when nothing changes:
// a read of the source and of each of the gateway's files.
//
//	go test -bench Step -benchmem -run X ./internal/follow
func BenchmarkStepAtRest(b *testing.B) {
	f := benchFollower(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.Step(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStepParses is the cost of a period that must parse: the source's
// value and the gateway's config read, parsed and checked, the order found
// in place (what every period cost before a follower at rest skipped it,
// and what the first period after a change costs).
func BenchmarkStepParses(b *testing.B) {
	f := benchFollower(b)
	b.ReportAllocs()
	for b.Loop() {
		f.applied = nil
		if _, err := f.Step(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	if f.applied == nil {
		b.Fatal("the step did not find the order in place")
	}
}

// benchFollower is a follower whose order is in place in the gateway's file.
func benchFollower(b *testing.B) *Follower {
	b.Helper()
	dir := b.TempDir()
	into, src := filepath.Join(dir, "openclaw.json"), filepath.Join(dir, "order.json")
	if err := os.WriteFile(into, []byte(gateway), 0o600); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(src, []byte(published), 0o600); err != nil {
		b.Fatal(err)
	}
	f := fileFollower(into, src, nil)
	for range 2 {
		if _, err := f.Step(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	return f
}
