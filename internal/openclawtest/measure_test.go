package openclawtest_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/provwatch/provwatch/internal/openclawtest"
	"github.com/provwatch/provwatch/internal/sim"
)

// TestMeasureGateway measures, against the real gateway, what provwatch's
// remediation relies on: how long a rewritten chain takes to apply (plain
// file and symlinked file), whether the gateway rewrites its config, and
// how long OpenClaw's own failover takes when the primary refuses
// connections. It asserts behaviour (the new primary serves, the file is
// untouched), never durations; the numbers go to the test log for
// docs/openclaw-compat.md. About 6 minutes:
//
//	PROVWATCH_TEST_OPENCLAW=1 PROVWATCH_MEASURE_OPENCLAW=1 go test -run TestMeasureGateway -v ./internal/openclawtest/
func TestMeasureGateway(t *testing.T) {
	if os.Getenv("PROVWATCH_MEASURE_OPENCLAW") != "1" {
		t.Skip("set PROVWATCH_MEASURE_OPENCLAW=1 (with PROVWATCH_TEST_OPENCLAW=1) to measure the real gateway")
	}
	cli := openclawtest.Install(t)
	tries := 10

	t.Run("rename", func(t *testing.T) {
		measureSwitches(t, cli, tries, false, func(path string, data []byte) error {
			return openclawtest.WriteFileAtomic(path, data, 0o600)
		})
	})
	t.Run("symlink-rename-target", func(t *testing.T) {
		measureSwitches(t, cli, tries, true, func(link string, data []byte) error {
			target, err := filepath.EvalSymlinks(link)
			if err != nil {
				return err
			}
			return openclawtest.WriteFileAtomic(target, data, 0o600)
		})
	})
	t.Run("symlink-write-through", func(t *testing.T) {
		measureSwitches(t, cli, tries, true, func(link string, data []byte) error {
			return os.WriteFile(link, data, 0o600) // opens the link: the target is truncated and rewritten
		})
	})
	t.Run("refused-primary", func(t *testing.T) {
		ollama, backup := startUpstreams(t)
		cfg := filepath.Join(t.TempDir(), "openclaw.json")
		if err := os.WriteFile(cfg, gatewayConfig("ollama/qwen3-coder", ollama, backup), 0o600); err != nil {
			t.Fatal(err)
		}
		g := cli.StartGateway(t, cfg)
		g.Upstream("ollama", ollama.Chats)
		g.Upstream("backup", backup.Chats)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		if r, err := g.Chat(ctx, "warm up"); err != nil || !slices.Equal(r.Served, []string{"ollama"}) {
			t.Fatalf("warm-up turn: %v %+v", err, r)
		}
		if err := ollama.SetFault(sim.Refused, sim.FaultParams{}); err != nil {
			t.Fatal(err)
		}
		var took []time.Duration
		for i := 0; i < 2; i++ {
			r, err := g.Chat(ctx, fmt.Sprintf("turn %d", i))
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != 200 || !slices.Equal(r.Served, []string{"backup"}) {
				t.Fatalf("turn %d with the primary refusing: status %d served %v\n%s", i, r.Status, r.Served, r.Body)
			}
			took = append(took, r.Duration)
		}
		t.Logf("MEASURE refused primary, chain unchanged: turns served by the fallback after %v", round(took))
	})
}

// measureSwitches starts a gateway on a config (behind a symlink when
// symlinked), then alternates agents.defaults.model.primary between the two
// upstreams with write, tries times, and logs how long each change took to
// be applied and to serve the next turn from the new primary.
func measureSwitches(t *testing.T, cli *openclawtest.CLI, tries int, symlinked bool, write func(path string, data []byte) error) {
	ollama, backup := startUpstreams(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "openclaw.json")
	if symlinked {
		if err := os.Mkdir(filepath.Join(dir, "real"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "real", "openclaw.json"), gatewayConfig("ollama/qwen3-coder", ollama, backup), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join("real", "openclaw.json"), cfg); err != nil {
			t.Fatal(err)
		}
	} else if err := os.WriteFile(cfg, gatewayConfig("ollama/qwen3-coder", ollama, backup), 0o600); err != nil {
		t.Fatal(err)
	}
	before := snapshotDir(t, dir)
	g := cli.StartGateway(t, cfg)
	g.Upstream("ollama", ollama.Chats)
	g.Upstream("backup", backup.Chats)
	if after := snapshotDir(t, dir); after != before {
		t.Errorf("the gateway changed its config directory while starting:\nbefore %s\nafter  %s", before, after)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if r, err := g.Chat(ctx, "warm up"); err != nil || !slices.Equal(r.Served, []string{"ollama"}) {
		t.Fatalf("warm-up turn: %v %+v", err, r)
	}
	var applied, served []time.Duration
	var last []byte
	missed := 0
	primaries := []struct{ ref, upstream string }{{"backup/gpt-4.1", "backup"}, {"ollama/qwen3-coder", "ollama"}}
	for i := 0; i < tries; i++ {
		p := primaries[i%2]
		data := gatewayConfig(p.ref, ollama, backup)
		start := time.Now()
		last = data
		if err := write(cfg, data); err != nil {
			t.Fatal(err)
		}
		wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
		line, err := g.WaitLog(wctx, start, regexp.MustCompile(`config hot reload applied \(.*agents\.defaults\.model\.primary`))
		wcancel()
		if err != nil {
			missed++
			t.Logf("try %d: no reload applied within 30 s of the write: %v", i, err)
			continue
		}
		applied = append(applied, line.At.Sub(start))
		r, err := g.Chat(ctx, fmt.Sprintf("turn %d", i))
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != 200 || !slices.Equal(r.Served, []string{p.upstream}) {
			t.Errorf("try %d: turn after switching to %s: status %d served %v", i, p.ref, r.Status, r.Served)
			continue
		}
		served = append(served, time.Since(start))
		// Let the watcher settle so the next write is a separate change.
		time.Sleep(time.Second)
	}
	if got, err := os.ReadFile(cfg); err != nil || string(got) != string(last) {
		t.Errorf("after the reloads openclaw.json is not what was last written (the gateway rewrote it?): %v\n%s", err, got)
	}
	if symlinked {
		if fi, err := os.Lstat(cfg); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("openclaw.json is no longer a symlink after the test: %v %v", fi.Mode(), err)
		}
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	t.Logf("MEASURE %s: applied after %v; first turn on the new primary after %v; %d of %d writes not applied; files in the config dir: %v",
		t.Name(), round(applied), round(served), missed, tries, names)
	if missed == tries {
		t.Errorf("no write was applied")
	}
}

// snapshotDir describes every file in dir (name, mode, content hash), to
// see whether the gateway writes there.
func snapshotDir(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fmt.Fprintf(&b, "%s %v", rel, fi.Mode())
		if fi.Mode().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, " %x", sha256.Sum256(data))
		}
		b.WriteString("; ")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func round(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(10 * time.Millisecond)
	}
	slices.Sort(out)
	return out
}
