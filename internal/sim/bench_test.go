package sim_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/internal/sim"
)

// BenchmarkCycle runs one check cycle (ProbeAll, concurrency 32) over a
// mixed fleet whose every request takes a fixed 50 ms, and reports the
// cycle's wall time over its slowest single probe (1.0 is perfect overlap)
// and the process's peak RSS (simulator included).
func BenchmarkCycle(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			f, err := sim.StartMixed(n, sim.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			if err := f.SetFaultAll(sim.Slow, sim.FaultParams{Delay: 50 * time.Millisecond}); err != nil {
				b.Fatal(err)
			}
			runCycles(b, f.Providers())
		})
	}
}

// BenchmarkCycleSeparateFleet is BenchmarkCycle/N=1000 with the fleet in a
// child process, so peak-rss-MB is provwatch's prober alone.
func BenchmarkCycleSeparateFleet(b *testing.B) {
	const n = 1000
	cmd := exec.Command(os.Args[0], "-test.run=^TestFleetHelperProcess$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), "SIM_FLEET_HELPER_N="+strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		stdin.Close() // tells the helper to stop
		_ = cmd.Wait()
	}()
	var provs []*configs.Provider
	if err := json.NewDecoder(stdout).Decode(&provs); err != nil {
		b.Fatalf("reading the helper's fleet: %v", err)
	}
	if len(provs) != n {
		b.Fatalf("helper started %d providers, want %d", len(provs), n)
	}
	runCycles(b, provs)
}

// TestFleetHelperProcess is the child of BenchmarkCycleSeparateFleet: it
// serves a slow mixed fleet, prints its providers as JSON and waits for
// stdin to close. Run directly, it skips.
func TestFleetHelperProcess(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("SIM_FLEET_HELPER_N"))
	if n == 0 {
		t.Skip("helper process for BenchmarkCycleSeparateFleet")
	}
	f, err := sim.StartMixed(n, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.SetFaultAll(sim.Slow, sim.FaultParams{Delay: 50 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if err := json.NewEncoder(os.Stdout).Encode(f.Providers()); err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// runCycles runs b.N cycles over the providers and reports the last one.
func runCycles(b *testing.B, provs []*configs.Provider) {
	jobs := jobsOf(provs)
	p := newProber()
	var ratio, slowest, wallMS float64
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		res := p.ProbeAll(context.Background(), jobs, 32)
		wall := time.Since(start)
		slowest = 0
		for _, r := range res {
			if !r.Probe.OK {
				b.Fatalf("%s: %s", r.ProviderID, r.Probe.Error)
			}
			slowest = max(slowest, r.Probe.LatencyMS)
		}
		wallMS = float64(wall.Microseconds()) / 1000
		ratio = wallMS / slowest
	}
	b.StopTimer()
	b.ReportMetric(wallMS, "wall-ms")
	b.ReportMetric(slowest, "slowest-probe-ms")
	b.ReportMetric(ratio, "wall/slowest")
	b.ReportMetric(float64(peakRSS())/(1<<20), "peak-rss-MB")
}

// peakRSS reads VmHWM from /proc/self/status (0 where there is none).
func peakRSS() int64 {
	fh, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
