package remediate

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/provwatch/provwatch/configs"
)

func TestCheckTarget(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	check := func(t *testing.T, path string) (TargetCheck, error) {
		t.Helper()
		oc, err := configs.LoadOpenClaw(ctx, configs.Source{Path: path, Getenv: func(string) string { return "" }})
		if err != nil {
			t.Fatal(err)
		}
		return CheckTarget(ctx, loc("openclaw:"+path), oc.Chains, func(string) string { return "" })
	}

	t.Run("a chain in an $include file can be written there", func(t *testing.T) {
		t.Parallel()
		dir := copyFixtures(t)
		c, err := check(t, filepath.Join(dir, "include-model.json5"))
		if err != nil || !c.Checked || len(c.Notes) != 1 || !strings.Contains(c.Notes[0], "agents.json5") {
			t.Fatalf("check = %+v, %v", c, err)
		}
	})
	t.Run("agents that are never rewritten are named", func(t *testing.T) {
		t.Parallel()
		dir := copyFixtures(t)
		c, err := check(t, filepath.Join(dir, "agents-include.json5"))
		if err != nil || len(c.Notes) != 1 || !strings.Contains(c.Notes[0], "agent shared is never rewritten") {
			t.Fatalf("check = %+v, %v", c, err)
		}
	})
	t.Run("a chain merged from an $include and its sibling cannot be written", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "base.json5"), []byte(`{agents: {defaults: {model: {primary: "a/x", fallbacks: ["b/y"]}}}}`), 0o600)
		path := filepath.Join(dir, "openclaw.json")
		os.WriteFile(path, []byte(`{$include: "./base.json5", agents: {defaults: {model: {fallbacks: ["c/z"]}}}}`), 0o600)
		_, err := check(t, path)
		if err == nil || !strings.Contains(err.Error(), "merged from several places") || !strings.Contains(err.Error(), "write it out in one file") {
			t.Fatalf("check = %v", err)
		}
	})
	t.Run("a read-only file", func(t *testing.T) {
		t.Parallel()
		dir := copyFixtures(t)
		path := filepath.Join(dir, "commented.json5")
		os.Chmod(path, 0o444)
		if _, err := check(t, path); err == nil || !strings.Contains(err.Error(), "read-only (mode 0444)") {
			t.Fatalf("check = %v", err)
		}
	})
	t.Run("a file that does not exist", func(t *testing.T) {
		t.Parallel()
		_, err := CheckTarget(ctx, loc("openclaw:"+filepath.Join(t.TempDir(), "none.json")), nil, nil)
		if err == nil || !strings.Contains(err.Error(), "does not exist") {
			t.Fatalf("check = %v", err)
		}
	})
	t.Run("file: and ssm:", func(t *testing.T) {
		t.Parallel()
		if c, err := CheckTarget(ctx, loc("file:"+filepath.Join(t.TempDir(), "new", "order.json")), nil, nil); err != nil || !c.Checked {
			t.Fatalf("file: in a directory to be created = %+v, %v", c, err)
		}
		if _, err := CheckTarget(ctx, loc("file:/proc/version/order.json"), nil, nil); err == nil {
			t.Fatal("file: under a file was accepted")
		}
		if c, err := CheckTarget(ctx, loc("ssm:/openclaw/model-order"), nil, nil); err != nil || c.Checked || len(c.Notes) == 0 {
			t.Fatalf("ssm: = %+v, %v", c, err)
		}
	})
}
