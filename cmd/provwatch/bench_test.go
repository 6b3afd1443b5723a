package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/provwatch/provwatch/internal/sim"
)

// buildBinary builds the real provwatch binary (not the test executable,
// whose size and start-up differ) into a temporary folder.
func buildBinary(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "provwatch")
	out, err := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, ".").CombinedOutput()
	if err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// BenchmarkOnceStartup measures `provwatch once` against the simulator:
// from exec to the first probe request arriving, and to exit. It also
// reports the stripped binary's size.
func BenchmarkOnceStartup(b *testing.B) {
	bin := buildBinary(b)
	fi, _ := os.Stat(bin)
	f, err := sim.StartFleet(sim.Spec{Kind: sim.Ollama}, sim.Spec{Kind: sim.Groq}, sim.Spec{Kind: sim.Anthropic})
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	cfg := filepath.Join(b.TempDir(), "openclaw.json")
	if err := f.WriteOpenClawConfig(cfg); err != nil {
		b.Fatal(err)
	}
	env := append(cleanEnv("HOME="+b.TempDir()), "PROVWATCH_STATE=memory")
	var toFirst, toExit time.Duration
	b.ResetTimer() // ns/op is one run of once, not the build and setup above
	for i := 0; i < b.N; i++ {
		before := f.Members()[0].Requests() + f.Members()[1].Requests() + f.Members()[2].Requests()
		cmd := exec.Command(bin, "once", "--json", "--openclaw-config", cfg)
		cmd.Env = env
		var first atomic.Int64
		done := make(chan struct{})
		start := time.Now()
		go func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				if f.Members()[0].Requests()+f.Members()[1].Requests()+f.Members()[2].Requests() > before {
					first.CompareAndSwap(0, int64(time.Since(start)))
					return
				}
				time.Sleep(50 * time.Microsecond)
			}
		}()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("once: %v\n%s", err, out)
		}
		toExit += time.Since(start)
		close(done)
		toFirst += time.Duration(first.Load())
	}
	b.ReportMetric(float64(toFirst.Microseconds())/1000/float64(b.N), "ms-to-first-probe")
	b.ReportMetric(float64(toExit.Microseconds())/1000/float64(b.N), "ms-to-exit")
	b.ReportMetric(float64(fi.Size())/(1<<20), "MiB-binary")
}

// BenchmarkRunHundredProviders runs the daemon against 100 simulated
// providers every 10 s for a minute and reports its CPU time and peak RSS.
// Run it alone: go test -run X -bench RunHundred -benchtime 1x ./cmd/provwatch
func BenchmarkRunHundredProviders(b *testing.B) {
	bin := buildBinary(b)
	f, err := sim.StartMixed(100, sim.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	cfg := filepath.Join(b.TempDir(), "openclaw.json")
	if err := f.WriteOpenClawConfig(cfg); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(bin, "run", "--openclaw-config", cfg)
		cmd.Env = append(cleanEnv("HOME="+b.TempDir()), "PROVWATCH_SCHEDULE=@every 10s", "PROVWATCH_HTTP_LISTEN=127.0.0.1:0", "PROVWATCH_LOG_LEVEL=warn")
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		time.Sleep(time.Minute)
		_ = cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			b.Fatalf("run: %v", err)
		}
		st := cmd.ProcessState
		ru := st.SysUsage().(*syscall.Rusage)
		b.ReportMetric(float64((st.UserTime() + st.SystemTime()).Milliseconds()), "ms-cpu/minute")
		b.ReportMetric(float64(ru.Maxrss)/1024, "MiB-peak-rss")
		fmt.Fprintf(os.Stderr, "100 providers, @every 10s, 60 s: user %s sys %s, peak RSS %.1f MiB\n",
			st.UserTime(), st.SystemTime(), float64(ru.Maxrss)/1024)
	}
}
