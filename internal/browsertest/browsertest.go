//go:build unix

// Package browsertest runs Debian's headless Chromium for tests that look
// at pages the way people do: the DOM the browser built, and a screenshot.
package browsertest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Chromium returns the browser binary, skipping the test when there is none
// (failing instead under CI=true, where a missing browser is a broken setup).
func Chromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "chromium not found (looked for /usr/bin/chromium and chromium on PATH); install Debian's chromium package to run the browser tests"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// Run runs one headless Chromium with args plus url and returns its stdout.
// The timeout only bounds a hung browser on a busy machine; it asserts nothing.
func Run(t testing.TB, bin, url string, args ...string) []byte {
	t.Helper()
	profile, err := os.MkdirTemp("", "provwatch-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	// Chromium's helpers may still write to the profile as it exits.
	t.Cleanup(func() { _ = os.RemoveAll(profile) })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	full := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + profile,
	}, args...)
	cmd := exec.CommandContext(ctx, bin, append(full, url)...)
	// Own process group, so a timeout ends the zygote and renderers too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\nstderr:\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes()
}
