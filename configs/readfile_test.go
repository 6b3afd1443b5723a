//go:build unix

package configs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// loadAsync loads path and fails the test, instead of hanging it, when the
// loader does not return; the safety limit is no assertion on speed.
func loadAsync(t *testing.T, ctx context.Context, path string) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := LoadOpenClaw(ctx, Source{Path: path, Getenv: envOf(nil)})
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("the loader did not return")
		return nil
	}
}

// mkfifo makes a FIFO and, at cleanup, opens its write end once so that a
// reader stuck on it (without the fix under test) is released.
func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	t.Cleanup(func() {
		if f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	})
}

func TestIncludeOfAFIFOIsRefused(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{"openclaw.json": `{ models: { $include: './providers.json5' } }`})
	mkfifo(t, filepath.Join(dir, "providers.json5"))
	err := loadAsync(t, context.Background(), filepath.Join(dir, "openclaw.json"))
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), `$include "./providers.json5"`) || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("err = %v, want a config error saying the include is not a regular file", err)
	}
}

// TestReadingTheConfigIsCancellable: a config that never arrives (a FIFO
// nobody writes) does not hold the loader once its context ends.
func TestReadingTheConfigIsCancellable(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "openclaw.json")
	mkfifo(t, path)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	err := loadAsync(t, ctx, path)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestConfigSizeLimit(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	big := strings.Repeat(" ", maxConfigFile+1)
	writeFilesAt(t, dir, "big.json", "{}"+big)
	writeFilesAt(t, dir, "inc.json", `{ $include: './big-part.json5' }`)
	writeFilesAt(t, dir, "big-part.json5", "{}"+big)
	// A stream (here a FIFO offered 8 times the limit, as /dev/zero offers
	// without end) is cut at the limit instead of being read whole: the
	// reader closes it, so the writer cannot get all of it in.
	stream := filepath.Join(dir, "stream.json")
	mkfifo(t, stream)
	wroteAll := make(chan bool, 1)
	go func() {
		f, err := os.OpenFile(stream, os.O_WRONLY, 0)
		if err != nil {
			wroteAll <- false
			return
		}
		defer f.Close()
		chunk := []byte(strings.Repeat(" ", 1<<16))
		for i := 0; i < 8*maxConfigFile/len(chunk); i++ {
			if _, err := f.Write(chunk); err != nil {
				wroteAll <- false
				return
			}
		}
		wroteAll <- true
	}()
	for _, name := range []string{"big.json", "inc.json", "stream.json"} {
		err := loadAsync(t, context.Background(), filepath.Join(dir, name))
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "larger than 2 MiB") {
			t.Errorf("%s: err = %v, want a config error about the 2 MiB limit", name, err)
		}
	}
	// Release a writer still waiting for a reader (the stream was never
	// opened): this reader leaves at once, so its write fails.
	if f, err := os.OpenFile(stream, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
		f.Close()
	}
	if <-wroteAll {
		t.Error("stream.json was read to its end, 8 times the limit: the read is not cut at the limit")
	}
}

// TestIncludeFanOutIsBounded: 1.4 KB of files that include each other ten
// times per level, six levels deep, is a million loads; the loader stops
// at its budget with an error instead.
func TestIncludeFanOutIsBounded(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for level := 0; level < 6; level++ {
		var incs []string
		for i := 0; i < 10; i++ {
			incs = append(incs, fmt.Sprintf("'./l%d.json5'", level+1))
		}
		writeFilesAt(t, dir, fmt.Sprintf("l%d.json5", level), fmt.Sprintf("{ a: [%d], $include: [%s] }", level, strings.Join(incs, ",")))
	}
	writeFilesAt(t, dir, "l6.json5", "{ a: [6] }")
	err := loadAsync(t, context.Background(), filepath.Join(dir, "l0.json5"))
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), fmt.Sprintf("more than %d $include", maxIncludeLoads)) {
		t.Fatalf("err = %v, want the include budget error", err)
	}
}

// TestIncludeSymlinkEscape: an include that is a symlink to a file outside
// the config directory is refused before it is read, so nothing of that
// file appears in the error.
func TestIncludeSymlinkEscape(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	outside := writeFilesAt(t, root, "elsewhere/shadow", "rootpw:x:0:0:hash\n")
	dir := filepath.Join(root, "cfg")
	writeFilesAt(t, dir, "openclaw.json", `{ models: { $include: './providers.json5' } }`)
	if err := os.Symlink(outside, filepath.Join(dir, "providers.json5")); err != nil {
		t.Fatal(err)
	}
	// A link that stays inside the directory is fine.
	writeFilesAt(t, dir, "ok.json", `{ models: { $include: './inner-link.json5' } }`)
	writeFilesAt(t, dir, "parts/inner.json5", `{ providers: {} }`)
	if err := os.Symlink(filepath.Join(dir, "parts/inner.json5"), filepath.Join(dir, "inner-link.json5")); err != nil {
		t.Fatal(err)
	}

	err := loadAsync(t, context.Background(), filepath.Join(dir, "openclaw.json"))
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "resolves outside the config directory") {
		t.Fatalf("err = %v, want the symlink escape refused", err)
	}
	if strings.Contains(err.Error(), "rootpw") {
		t.Errorf("the error quotes the linked file: %v", err)
	}
	if err := loadAsync(t, context.Background(), filepath.Join(dir, "ok.json")); err != nil {
		t.Errorf("a link inside the config directory was refused: %v", err)
	}
}
