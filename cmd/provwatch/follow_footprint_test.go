package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"golang.org/x/sys/unix"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/internal/awstest"
)

// measureFollowEnv turns on TestFollowFootprint.
const measureFollowEnv = "PROVWATCH_MEASURE_FOLLOW"

// TestFollowFootprint measures what one `provwatch follow` costs the
// gateway's host: a real provwatch binary (built here, as shipped) follows
// an ssm: source (moto, behind a proxy that counts GetParameter calls) and
// a file: source (opens counted with inotify) at a short --every, and its
// resident memory (peak and after the checks) and CPU per check are read
// from /proc. Then it counts a follower's GetParameter calls for a minute
// at the shipped period. It asserts that the checks happened and the
// follower stayed quiet; the numbers go to the log for docs/follow.md.
// About 3 minutes (most of it building the binary):
//
//	PROVWATCH_MEASURE_FOLLOW=1 go test -run TestFollowFootprint -v ./cmd/provwatch/
func TestFollowFootprint(t *testing.T) {
	if os.Getenv(measureFollowEnv) != "1" {
		t.Skipf("set %s=1 to build provwatch and measure a follower's memory and CPU", measureFollowEnv)
	}
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	// Both binaries that can follow, as the Dockerfile builds them:
	// provwatch itself, and provwatch-follow, which gateway images copy.
	dir := t.TempDir()
	type binary struct {
		name, path string
		prefix     []string // arguments before follow's flags
	}
	bins := []binary{{"provwatch", filepath.Join(dir, "provwatch"), []string{"follow"}}, {"provwatch-follow", filepath.Join(dir, "provwatch-follow"), nil}}
	for _, b := range bins {
		build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", b.path, "../"+b.name)
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", b.name, err, out)
		}
	}
	bin := bins[0].path
	const order = `{"primary":"openai/gpt-4o","fallbacks":["ollama/qwen3-coder"]}`
	const checks = 400
	for _, b := range bins {
		t.Run("ssm/"+b.name, func(t *testing.T) {
			motoURL := awstest.Start(t)
			gets, proxyURL := countingProxy(t, motoURL)
			putOrder(t, motoURL, order)
			into := writeFile(t, t.TempDir(), "openclaw.json", `{agents: {defaults: {model: "ollama/qwen3-coder"}}}`)
			footprint(t, b.path, b.prefix, append(awstest.Env(proxyURL), "--every", "20ms", "--from", "ssm:/e2e/order", "--into", "openclaw:"+into), gets, checks)
		})
		t.Run("file/"+b.name, func(t *testing.T) {
			dir := t.TempDir()
			src := writeFile(t, dir, "order.json", order)
			into := writeFile(t, dir, "openclaw.json", `{agents: {defaults: {model: "ollama/qwen3-coder"}}}`)
			opens := countOpens(t, src)
			footprint(t, b.path, b.prefix, []string{"--every", "20ms", "--from", "file:" + src, "--into", "openclaw:" + into}, opens, checks)
		})
	}
	t.Run("ssm/calls-per-hour", func(t *testing.T) {
		motoURL := awstest.Start(t)
		gets, proxyURL := countingProxy(t, motoURL)
		putOrder(t, motoURL, order)
		into := writeFile(t, t.TempDir(), "openclaw.json", `{agents: {defaults: {model: "ollama/qwen3-coder"}}}`)
		cmd := exec.Command(bin, "follow", "--from", "ssm:/e2e/order", "--into", "openclaw:"+into)
		cmd.Env = append(cleanEnv("HOME="+t.TempDir()), awstest.Env(proxyURL)...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		for gets() == 0 {
			time.Sleep(10 * time.Millisecond)
		}
		n0, t0 := gets(), time.Now()
		time.Sleep(time.Minute)
		n, d := gets()-n0, time.Since(t0)
		if n == 0 {
			t.Fatal("no GetParameter call in a minute")
		}
		t.Logf("MEASURE follow at the shipped --every %s: %d GetParameter calls in %s, %.0f an hour", configs.DefaultFollowEvery, n, d.Round(time.Second), float64(n)*float64(time.Hour)/float64(d))
	})
}

// countingProxy puts a proxy before moto that counts GetParameter calls.
func countingProxy(t *testing.T, motoURL string) (count func() int64, proxyURL string) {
	var gets atomic.Int64
	target, _ := url.Parse(motoURL)
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ErrorLog = log.New(io.Discard, "", 0) // a follower killed mid-call is not news
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") == "AmazonSSM.GetParameter" {
			gets.Add(1)
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)
	return gets.Load, proxy.URL
}

// putOrder writes the order to the parameter /e2e/order.
func putOrder(t *testing.T, motoURL, order string) {
	ssmc := ssm.NewFromConfig(awstest.Config(t), func(o *ssm.Options) { o.BaseEndpoint = aws.String(motoURL) })
	if _, err := ssmc.PutParameter(context.Background(), &ssm.PutParameterInput{Name: aws.String("/e2e/order"),
		Value: aws.String(order), Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
}

// footprint runs bin with prefix and args (NAME=value pairs first, as
// environment), waits for checks steps counted by count, and logs its
// memory and CPU.
func footprint(t *testing.T, bin string, prefix, args []string, count func() int64, checks int64) {
	t.Helper()
	env := cleanEnv("HOME=" + t.TempDir())
	i := 0
	for ; i < len(args) && strings.Contains(args[i], "=") && !strings.HasPrefix(args[i], "-"); i++ {
		env = append(env, args[i])
	}
	cmd := exec.Command(bin, append(slices.Clone(prefix), args[i:]...)...)
	cmd.Env = env
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	pid := cmd.Process.Pid

	waitCount := func(n int64) {
		t.Helper()
		deadline := time.Now().Add(2 * time.Minute)
		for count() < n {
			if time.Now().After(deadline) {
				t.Fatalf("%d checks of %d after 2 minutes; stderr:\n%s", count(), n, stderr.String())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	// Startup: from exec to the first check done, then a few to warm up.
	waitCount(1)
	startCPU := cpuTime(t, pid)
	startMem := procStatus(t, pid)
	waitCount(20)
	c0, n0, t0 := cpuTime(t, pid), count(), time.Now()
	waitCount(checks)
	c1, n1, t1 := cpuTime(t, pid), count(), time.Now()
	mem := procStatus(t, pid)
	if strings.Contains(stderr.String(), `"level":"error"`) || strings.Contains(stderr.String(), `"level":"warn"`) {
		t.Fatalf("the follower complained:\n%s", stderr.String())
	}
	per := (c1 - c0) / time.Duration(n1-n0)
	t.Logf("MEASURE follow %s: after the first check RSS %s kB (anon %s, file %s); after %d checks RSS %s kB (anon %s, file %s), peak %s kB; CPU %v to the first check, %v per check (%d checks in %v, %.1f%% of a core at --every 20ms)",
		t.Name(), startMem["VmRSS"], startMem["RssAnon"], startMem["RssFile"], n1, mem["VmRSS"], mem["RssAnon"], mem["RssFile"], mem["VmHWM"],
		startCPU, per, n1-n0, t1.Sub(t0).Round(time.Millisecond), 100*float64(c1-c0)/float64(t1.Sub(t0)))
}

// cpuTime is the user+system CPU time of pid, from /proc/<pid>/stat.
func cpuTime(t *testing.T, pid int) time.Duration {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// The fields after the command name, which is in parentheses.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64) // field 14 of stat
	stime, _ := strconv.ParseInt(f[12], 10, 64) // field 15
	const hz = 100                              // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / hz
}

// procStatus returns the kB values of /proc/<pid>/status.
func procStatus(t *testing.T, pid int) map[string]string {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok {
			out[k] = strings.TrimSuffix(strings.TrimSpace(v), " kB")
		}
	}
	return out
}

// countOpens counts the opens of path (inotify IN_OPEN) until the test ends.
func countOpens(t *testing.T, path string) func() int64 {
	t.Helper()
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := unix.InotifyAddWatch(fd, path, unix.IN_OPEN); err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	go func() {
		buf := make([]byte, 64<<10)
		for {
			k, err := unix.Read(fd, buf)
			if err != nil || k <= 0 {
				return
			}
			for off := 0; off+unix.SizeofInotifyEvent <= k; {
				ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
				n.Add(1)
				off += unix.SizeofInotifyEvent + int(ev.Len)
			}
		}
	}()
	t.Cleanup(func() { unix.Close(fd) })
	return n.Load
}
