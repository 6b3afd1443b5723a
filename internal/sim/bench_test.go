package sim_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

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
			jobs := jobsFor(f)
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
		})
	}
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
