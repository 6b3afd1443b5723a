package configs

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

// TestAcceptedWithWarnings loads the files OpenClaw 2026.9.x accepts but
// provwatch once refused (exit 78): each is valid now, with the warnings
// and provider states a person needs, and its chain keeps every ref.
func TestAcceptedWithWarnings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file     string
		warnings []string
		chain    Chain
		// provider id → its Unprobed or ConfigError text must be set
		unprobed, unusable []string
	}{
		{
			file:     "plugin-provider.json5",
			chain:    Chain{Name: "defaults", Path: "agents.defaults.model", Primary: "openai/gpt-4o-mini", Fallbacks: []string{"minimax/MiniMax-M2.7"}},
			unprobed: []string{"minimax"},
		},
		{
			file:     "no-baseurl.json5",
			chain:    Chain{Name: "defaults", Path: "agents.defaults.model", Primary: "lab/qwen", Fallbacks: []string{}},
			unprobed: []string{"lab"},
		},
		{
			file:     "missing-var.json5",
			warnings: []string{"testdata/warnings/missing-var.json5:4:53: models.providers.lab.apiKey: ${LAB_API_KEY} is not set or empty (export LAB_API_KEY where provwatch runs)"},
			chain:    Chain{Name: "defaults", Path: "agents.defaults.model", Primary: "lab/qwen", Fallbacks: []string{}},
			unusable: []string{"lab"},
		},
		{
			file: "bare-id.json5",
			warnings: []string{`testdata/warnings/bare-id.json5:3:11: agents.list: agents.list is OpenClaw 2026.2.x's roster: 2026.9.x moves it to agents.entries with a warning, and rejects the file when an id is not lower-case (run openclaw doctor --fix to move it to agents.entries)`,
				`testdata/warnings/bare-id.json5:4:28: agents.list[0].model: model "gpt-4o-mini" is specified without provider; OpenClaw falls back to "openai/gpt-4o-mini" (write "openai/gpt-4o-mini")`},
			chain: Chain{Name: "main", Path: "agents.list[0].model", Primary: "openai/gpt-4o-mini", Fallbacks: []string{}, Fixed: true},
		},
	}
	entries, err := os.ReadDir("testdata/warnings")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(tests) {
		t.Errorf("testdata/warnings has %d files, the table %d", len(entries), len(tests))
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			oc, err := LoadOpenClaw(context.Background(), Source{Path: filepath.Join("testdata", "warnings", tc.file), Getenv: envOf(nil)})
			if err != nil {
				t.Fatalf("refused a file OpenClaw accepts: %v", err)
			}
			var got []string
			for _, w := range oc.Warnings {
				got = append(got, w.String())
			}
			if !reflect.DeepEqual(got, tc.warnings) {
				t.Errorf("warnings:\n got %q\nwant %q", got, tc.warnings)
			}
			if chains := publicChains(oc.Chains); len(chains) != 1 || !reflect.DeepEqual(chains[0], tc.chain) {
				t.Errorf("chains = %+v, want [%+v]", chains, tc.chain)
			}
			for _, p := range oc.Providers {
				wantUnprobed, wantUnusable := slices.Contains(tc.unprobed, p.ID), slices.Contains(tc.unusable, p.ID)
				if (p.Unprobed != "") != wantUnprobed || (p.ConfigError != "") != wantUnusable {
					t.Errorf("provider %s: Unprobed %q, ConfigError %q", p.ID, p.Unprobed, p.ConfigError)
				}
			}
		})
	}
}
