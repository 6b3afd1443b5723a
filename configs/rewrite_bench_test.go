package configs

import (
	"os"
	"slices"
	"testing"
)

// benchDoc is the parse of a 12.8 KB gateway config with the defaults and
// four agents, each with a chain of its own.
func benchDoc(b *testing.B) *Doc {
	const path = "openclaw.json5"
	data, err := os.ReadFile("json5/testdata/bench/openclaw.json5")
	if err != nil {
		b.Fatal(err)
	}
	d, err := ParseDoc(path, map[string][]byte{path: data}, func(string) string { return "" })
	if err != nil {
		b.Fatal(err)
	}
	return d
}

// BenchmarkRewrite rewrites every chain of benchDoc (each reversed), as the
// openclaw: target does when a primary goes down: the edits, the checks and
// the re-read that verifies them.
func BenchmarkRewrite(b *testing.B) {
	d := benchDoc(b)
	oc, err := d.Resolve()
	if err != nil {
		b.Fatal(err)
	}
	var want []ChainOrder
	for _, c := range oc.Chains {
		refs := c.Order().Refs()
		slices.Reverse(refs)
		want = append(want, ChainOrder{Name: c.Name, Order: OrderOf(refs)})
	}
	b.ReportAllocs()
	for b.Loop() {
		res, err := d.Rewrite(want, RewriteOptions{Allowlist: true})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Written) != len(want) {
			b.Fatalf("wrote %v, want all %d chains", res.Written, len(want))
		}
	}
}

// BenchmarkResolve reads the chains and providers of benchDoc from its
// parse, as the openclaw: target's Read does every round.
func BenchmarkResolve(b *testing.B) {
	d := benchDoc(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Resolve(); err != nil {
			b.Fatal(err)
		}
	}
}
