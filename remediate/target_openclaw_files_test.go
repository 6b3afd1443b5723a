package remediate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/provwatch/provwatch/configs"
)

func TestOpenClawTargetWritesWhereTheValueIs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("agents from an $include file: the included file is edited", func(t *testing.T) {
		t.Parallel()
		dir := copyFixtures(t)
		path := filepath.Join(dir, "include-model.json5")
		inc := filepath.Join(dir, "agents.json5")
		orig, incOrig := mustRead(t, path), mustRead(t, inc)
		tg, _ := OpenTarget(loc("openclaw:"+path), nil)
		if o, exists, err := readDefaults(ctx, tg); err != nil || !exists || !o.Equal(ord("ollama/qwen3-coder")) {
			t.Fatalf("Read = %v %v %v", o, exists, err)
		}
		if err := writeDefaults(ctx, tg, ord("a/b"), ""); err != nil {
			t.Fatal(err)
		}
		if mustRead(t, path) != orig {
			t.Fatal("the including file changed")
		}
		want := strings.Replace(incOrig, `model: { primary: "ollama/qwen3-coder", fallbacks: [] }`, `model: { primary: "a/b", fallbacks: [] }`, 1)
		if got := mustRead(t, inc); got != want {
			t.Fatalf("included file:\n%s\nwant\n%s", got, want)
		}
		if mustRead(t, inc+".bak") != incOrig {
			t.Fatal("the included file's .bak does not hold its previous content")
		}
		if o := defaultsOf(t, path); !o.Equal(ord("a/b")) {
			t.Fatalf("the config reads back as %v", o)
		}
	})

	t.Run("chain in a top-level $include", func(t *testing.T) {
		t.Parallel()
		dir := copyFixtures(t)
		path := filepath.Join(dir, "include-root.json5")
		tg, _ := OpenTarget(loc("openclaw:"+path), nil)
		if err := writeDefaults(ctx, tg, ord("openrouter/google/gemini-flash-1.5", "ollama/qwen3-coder"), ""); err != nil {
			t.Fatal(err)
		}
		if got := mustRead(t, filepath.Join(dir, "model.json5")); !strings.Contains(got, `{ primary: "openrouter/google/gemini-flash-1.5", fallbacks: ["ollama/qwen3-coder"] }`) {
			t.Fatalf("model.json5:\n%s", got)
		}
	})
}

func TestOpenClawTargetRefuses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("file changed between read and write", func(t *testing.T) {
		t.Parallel()
		dir := copyFixtures(t)
		path := filepath.Join(dir, "commented.json5")
		tg, _ := OpenTarget(loc("openclaw:"+path), nil)
		if _, _, err := readDefaults(ctx, tg); err != nil {
			t.Fatal(err)
		}
		edited := []byte(strings.Replace(mustRead(t, path), "30m", "15m", 1))
		os.WriteFile(path, edited, 0o640)
		err := writeDefaults(ctx, tg, ord("a/b"), "")
		if !errors.Is(err, ErrChanged) || !strings.Contains(err.Error(), "changed since provwatch read it") {
			t.Fatalf("Write over a concurrent edit = %v", err)
		}
		if mustRead(t, path) != string(edited) {
			t.Fatal("the person's edit was overwritten")
		}
		// After a new Read the write goes through and keeps the edit.
		readDefaults(ctx, tg)
		if err := writeDefaults(ctx, tg, ord("a/b"), ""); err != nil || !strings.Contains(mustRead(t, path), "15m") {
			t.Fatalf("Write after re-read = %v", err)
		}
	})

	t.Run("syntax error and missing file", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "openclaw.json")
		tg, _ := OpenTarget(loc("openclaw:"+path), nil)
		if _, _, err := readDefaults(ctx, tg); err == nil || !strings.Contains(err.Error(), "does not exist") {
			t.Fatalf("Read of a missing file = %v", err)
		}
		broken := "{\n  agents: { defaults: { model: \"a/b\" }\n"
		os.WriteFile(path, []byte(broken), 0o600)
		if _, _, err := readDefaults(ctx, tg); err == nil || !strings.Contains(err.Error(), path+":") {
			t.Fatalf("Read of a broken file = %v", err)
		}
		if err := writeDefaults(ctx, tg, ord("a/b"), ""); err == nil {
			t.Fatal("wrote into a file that does not parse")
		}
		if mustRead(t, path) != broken {
			t.Fatal("a file that does not parse was changed")
		}
	})

	t.Run("read-only file", func(t *testing.T) {
		t.Parallel()
		dir := copyFixtures(t)
		path := filepath.Join(dir, "commented.json5")
		os.Chmod(path, 0o444)
		orig := mustRead(t, path)
		tg, _ := OpenTarget(loc("openclaw:"+path), nil)
		err := writeDefaults(ctx, tg, ord("a/b"), "")
		if err == nil || !strings.Contains(err.Error(), "read-only (mode 0444)") {
			t.Fatalf("Write of a read-only file = %v", err)
		}
		if mustRead(t, path) != orig {
			t.Fatal("a read-only file was replaced")
		}
		if _, err := os.Stat(path + ".bak"); !os.IsNotExist(err) {
			t.Fatalf("a .bak was made for a file that was not written (%v)", err)
		}
	})
}

// TestOpenClawTargetRepairsAMalformedValue: a value OpenClaw cannot read
// never leaves remediation stuck: Read says it is malformed, and the next
// write replaces it whole.
func TestOpenClawTargetRepairsAMalformedValue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct{ value, found string }{
		{"42", "a number"},
		{`{ fallbacks: "c/d" }`, "must be an array"},
		{`{ primary: 7 }`, "must be a string"},
	} {
		t.Run(tc.value, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "openclaw.json")
			os.WriteFile(path, []byte("{\n  agents: { defaults: { model: "+tc.value+" } },\n}\n"), 0o600)
			tg, _ := OpenTarget(loc("openclaw:"+path), nil)
			_, exists, err := readDefaults(ctx, tg)
			if err == nil || !exists || !strings.Contains(err.Error(), path+":2:") || !strings.Contains(err.Error(), tc.found) {
				t.Fatalf("Read = %v %v", exists, err)
			}
			a, err := tg.Apply(ctx, []ChainPlan{{Name: configs.DefaultsChain, Effective: ord("a/b", "c/d")}})
			if err != nil {
				t.Fatal(err)
			}
			if len(a.Repaired) != 1 || len(a.Written) != 1 {
				t.Fatalf("Apply = %+v, want the defaults repaired", a)
			}
			if got := mustRead(t, path); got != "{\n  agents: { defaults: { model: {primary: \"a/b\", fallbacks: [\"c/d\"]} } },\n}\n" {
				t.Fatalf("result %q", got)
			}
		})
	}
}

// TestOpenClawTargetBackupsRotateLikeOpenClaws: five writes leave PATH.bak
// (the newest previous content) and .bak.1 … .bak.4, the oldest dropped,
// so OpenClaw's own backups are rotated, never overwritten.
func TestOpenClawTargetBackupsRotateLikeOpenClaws(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "openclaw.json")
	content := func(i int) string {
		return fmt.Sprintf("{agents: {defaults: {model: {primary: \"p/m%d\", fallbacks: []}}}}\n", i)
	}
	os.WriteFile(path, []byte(content(0)), 0o600)
	// OpenClaw's own newest backup is there already.
	os.WriteFile(path+".bak", []byte("openclaw's own backup\n"), 0o600)
	tg, _ := OpenTarget(loc("openclaw:"+path), nil)
	for i := 1; i <= 5; i++ {
		if err := writeDefaults(ctx, tg, ord("p/m"+strconv.Itoa(i)), ""); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]string{
		".bak":   content(4),
		".bak.1": content(3),
		".bak.2": content(2),
		".bak.3": content(1),
		".bak.4": content(0),
	}
	for suffix, w := range want {
		if got := mustRead(t, path+suffix); got != w {
			t.Errorf("%s holds %q, want %q", suffix, got, w)
		}
	}
	if _, err := os.Stat(path + ".bak.5"); !os.IsNotExist(err) {
		t.Errorf("a sixth backup exists (%v)", err)
	}
	for suffix := range want {
		if st, _ := os.Stat(path + suffix); st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600 as OpenClaw writes its backups", suffix, st.Mode().Perm())
		}
	}
}

// TestOpenClawAndFileTargetsWriteThroughSymlinks: a symlinked target stays
// a link; the file it points to gets the new content.
func TestOpenClawAndFileTargetsWriteThroughSymlinks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, scheme := range []string{"openclaw", "file"} {
		t.Run(scheme, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			real := filepath.Join(dir, "real", "openclaw.json")
			os.MkdirAll(filepath.Dir(real), 0o755)
			os.WriteFile(real, []byte(`{agents: {defaults: {model: {primary: "a/b", fallbacks: ["c/d"]}}}}`), 0o600)
			link := filepath.Join(dir, "openclaw.json")
			if err := os.Symlink(filepath.Join("real", "openclaw.json"), link); err != nil {
				t.Fatal(err)
			}
			tg, _ := OpenTarget(loc(scheme+":"+link), nil)
			if err := writeDefaults(ctx, tg, ord("c/d", "a/b"), ""); err != nil {
				t.Fatal(err)
			}
			if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
				t.Fatalf("the link was replaced by a regular file (%v)", err)
			}
			got := mustRead(t, real)
			if !strings.Contains(got, `"c/d"`) || strings.Index(got, `"c/d"`) > strings.Index(got, `"a/b"`) {
				t.Fatalf("the linked file holds %s", got)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 2 {
				t.Fatalf("files were left beside the link: %v", entries)
			}
		})
	}
}

// TestOpenClawTargetAllowlist: with WithAllowlist (follow), refs of the
// order missing from a non-empty agents.defaults.models are added to it;
// an empty or missing allowlist is left as it is.
func TestOpenClawTargetAllowlist(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct{ name, src, want string }{
		{
			"non-empty list gains the missing refs",
			"{\n  agents: {\n    defaults: {\n      model: \"a/x\",\n      models: {\n        \"a/x\": { alias: \"ax\" },\n      },\n    },\n  },\n}\n",
			"{\n  agents: {\n    defaults: {\n      model: {primary: \"b/y\", fallbacks: [\"a/x\", \"c/z\"]},\n      models: {\n        \"a/x\": { alias: \"ax\" },\n        \"b/y\": {},\n        \"c/z\": {},\n      },\n    },\n  },\n}\n",
		},
		{
			"no list: nothing added",
			"{agents: {defaults: {model: \"a/x\"}}}",
			"{agents: {defaults: {model: {primary: \"b/y\", fallbacks: [\"a/x\", \"c/z\"]}}}}",
		},
		{
			"empty list: nothing added (it allows every model)",
			"{agents: {defaults: {model: \"a/x\", models: {}}}}",
			"{agents: {defaults: {model: {primary: \"b/y\", fallbacks: [\"a/x\", \"c/z\"]}, models: {}}}}",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "openclaw.json")
			os.WriteFile(path, []byte(tc.src), 0o600)
			tg := OpenClawFile(path, WithAllowlist())
			if err := writeDefaults(ctx, tg, ord("b/y", "a/x", "c/z"), ""); err != nil {
				t.Fatal(err)
			}
			if got := mustRead(t, path); got != tc.want {
				t.Fatalf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

// TestOpenClawTargetLosesNoConcurrentSave races an editor saving the file
// (atomic rename, as editors do) against provwatch's read-then-write
// cycles. provwatch keeps the edit number of the content it rewrites, so
// a file whose number stays below the editor's latest save means that
// save was lost under a write based on an older read. Every save must
// survive: a write over it is refused, or undone at once.
func TestOpenClawTargetLosesNoConcurrentSave(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "openclaw.json")
	doc := func(n int) []byte {
		return []byte(fmt.Sprintf("{\n  // edit %06d\n  agents: {defaults: {model: {primary: \"a/b\", fallbacks: [\"c/d\"]}}},\n}\n", n))
	}
	editOf := func() int {
		b, _ := os.ReadFile(path)
		n := -1
		if i := bytes.Index(b, []byte("// edit ")); i >= 0 && i+14 <= len(b) {
			n, _ = strconv.Atoi(string(b[i+8 : i+14]))
		}
		return n
	}
	os.WriteFile(path, doc(0), 0o600)
	tg, _ := OpenTarget(loc("openclaw:"+path), nil)
	done := make(chan struct{})
	var lost []int
	// The writer holds busy through each read-and-write, so a check made
	// under it sees the file between provwatch's writes, never mid-write.
	var busy sync.Mutex
	go func() {
		defer close(done)
		for n := 1; n <= 400; n++ {
			tmp := filepath.Join(dir, ".editor-tmp")
			os.WriteFile(tmp, doc(n), 0o600)
			if err := os.Rename(tmp, path); err != nil {
				continue
			}
			time.Sleep(300 * time.Microsecond)
			// A stale read-back that outlasts provwatch's write is a lost
			// save; one seen mid-write is a write being undone.
			if editOf() < n {
				busy.Lock()
				if editOf() < n {
					lost = append(lost, n)
				}
				busy.Unlock()
			}
		}
	}()
	orders := []configs.Order{ord("c/d", "a/b"), ord("a/b", "c/d")}
	for i := 0; ; i++ {
		select {
		case <-done:
			if len(lost) > 0 {
				t.Fatalf("%d editor saves were lost under provwatch's writes: %v", len(lost), lost)
			}
			return
		default:
		}
		busy.Lock()
		readDefaults(ctx, tg)
		_ = writeDefaults(ctx, tg, orders[i%2], "")
		busy.Unlock()
	}
}
