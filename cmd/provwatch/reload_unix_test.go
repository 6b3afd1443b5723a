//go:build unix

package main

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRunSIGHUPWithAConfigThatNeverLoads: the config is swapped for a FIFO
// nobody writes and the daemon is told to reload. It keeps serving with
// the old configuration, and SIGTERM still stops it at once, cleanly.
func TestRunSIGHUPWithAConfigThatNeverLoads(t *testing.T) {
	t.Parallel()
	_, cfg := fleetConfig(t)
	p := start(t, []string{"PROVWATCH_SCHEDULE=@every 1s", "PROVWATCH_HTTP_LISTEN=127.0.0.1:0"}, "run", "--openclaw-config", cfg)
	base := "http://" + daemonAddr(t, p)
	waitFor(t, 30*time.Second, "a first cycle", func() bool {
		code, err := getJSON(base+"/status", nil)
		return err == nil && code == 200
	})
	if err := os.Remove(cfg); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(cfg, 0o600); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	t.Cleanup(func() { // release a reader left on the FIFO, whatever happened
		if f, err := os.OpenFile(cfg, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	})
	p.signal(t, syscall.SIGHUP)
	time.Sleep(200 * time.Millisecond) // let the reload reach the FIFO; no assertion rests on it
	var hz struct{ Status string }
	if code, err := getJSON(base+"/healthz", &hz); err != nil || code != 200 || hz.Status != "ok" {
		t.Fatalf("/healthz while a reload waits on a FIFO: %d %v %+v", code, err, hz)
	}
	p.signal(t, syscall.SIGTERM)
	if code := p.wait(t, 25*time.Second); code != 0 {
		t.Fatalf("exit %d after SIGTERM with a reload pending; stderr:\n%s", code, p.stderr.String())
	}
	if !strings.Contains(p.stderr.String(), "stopped cleanly") {
		t.Fatalf("no clean-stop line:\n%s", p.stderr.String())
	}
}
