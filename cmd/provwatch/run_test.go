package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/provwatch/provwatch/internal/sim"
)

// daemonAddr waits for the daemon's start line and returns its address.
func daemonAddr(t *testing.T, p *proc) string {
	t.Helper()
	var addr string
	waitFor(t, 30*time.Second, "the daemon to listen", func() bool {
		if m := listenRe.FindStringSubmatch(p.stderr.String()); m != nil {
			addr = m[1]
			return true
		}
		return false
	})
	return addr
}

type statusReport struct {
	Healthy, Degraded, Down int
	Providers               []struct {
		ID     string
		Models []struct{ Ref, State, Reason string }
	}
	Order struct {
		Effective struct{ Primary string }
		Written   bool
	}
}

func TestRunServesReloadsAndStopsCleanly(t *testing.T) {
	t.Parallel()
	f, cfg := fleetConfig(t)
	dir := t.TempDir()
	order := filepath.Join(dir, "order.json")
	p := start(t, []string{
		"PROVWATCH_SCHEDULE=@every 1s", "PROVWATCH_HTTP_LISTEN=127.0.0.1:0",
		"PROVWATCH_HEALTH_RECHECK_INTERVAL=100ms", "PROVWATCH_HEALTH_FAIL_AFTER=2",
		"PROVWATCH_REMEDIATION_TARGET=file:" + order,
	}, "run", "--openclaw-config", cfg)
	addr := daemonAddr(t, p)
	base := "http://" + addr

	var st statusReport
	waitFor(t, 30*time.Second, "a first cycle in /status", func() bool {
		code, err := getJSON(base+"/status", &st)
		return err == nil && code == 200 && st.Healthy == 3
	})
	var hz struct{ Status string }
	if code, err := getJSON(base+"/healthz", &hz); err != nil || code != 200 || hz.Status != "ok" {
		t.Fatalf("/healthz %d %v %+v", code, err, hz)
	}
	for path, want := range map[string]string{"/metrics": "provwatch_probe_success", "/": "<html"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), want) {
			t.Fatalf("GET %s: %d, body lacks %q", path, resp.StatusCode, want)
		}
	}
	code, _, errOut := run(t, nil, "healthcheck", "--url", base+"/healthz")
	if code != 0 {
		t.Fatalf("healthcheck against a healthy daemon: exit %d %s", code, errOut)
	}

	// Garbage config + SIGHUP: the old configuration keeps running.
	good, _ := os.ReadFile(cfg)
	if err := os.WriteFile(cfg, []byte("{ this is not json5 ]"), 0o600); err != nil {
		t.Fatal(err)
	}
	p.signal(t, syscall.SIGHUP)
	waitFor(t, 10*time.Second, "the reload to be refused", func() bool {
		return strings.Contains(p.stderr.String(), "keeping the old configuration")
	})
	_ = os.WriteFile(cfg, good, 0o600)

	// The primary dies: within a few rechecks the order moves it last.
	if err := f.Members()[0].SetFault(sim.Refused, sim.FaultParams{}); err != nil {
		t.Fatal(err)
	}
	primary := f.Chain().Primary
	waitFor(t, 30*time.Second, "the primary to be demoted in the target", func() bool {
		b, err := os.ReadFile(order)
		if err != nil {
			return false
		}
		var o struct{ Primary string }
		return json.Unmarshal(b, &o) == nil && o.Primary != "" && o.Primary != primary
	})
	if code, err := getJSON(base+"/healthz", &hz); err != nil || code != 200 {
		t.Fatalf("/healthz after a failover: %d %v", code, err)
	}
	if !strings.Contains(p.stderr.String(), "model state changed") || !strings.Contains(p.stderr.String(), "fallback order rewritten") {
		t.Fatalf("logs lack the state change or the rewrite:\n%s", p.stderr.String())
	}

	p.signal(t, syscall.SIGTERM)
	if code := p.wait(t, 20*time.Second); code != 0 {
		t.Fatalf("exit %d after SIGTERM; stderr:\n%s", code, p.stderr.String())
	}
	if !strings.Contains(p.stderr.String(), "stopped cleanly") {
		t.Fatalf("no clean-stop line:\n%s", p.stderr.String())
	}
	code, _, _ = run(t, nil, "healthcheck", "--url", base+"/healthz")
	if code != 1 {
		t.Fatalf("healthcheck with no daemon: exit %d, want 1", code)
	}
}

func TestRunSIGTERMDuringACycle(t *testing.T) {
	t.Parallel()
	f, cfg := fleetConfig(t)
	for _, m := range f.Members() {
		if err := m.SetFault(sim.Slow, sim.FaultParams{Delay: time.Minute}); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	order := filepath.Join(dir, "order.json")
	p := start(t, []string{"PROVWATCH_HTTP_LISTEN=127.0.0.1:0", "PROVWATCH_TIMEOUT=3s",
		"PROVWATCH_REMEDIATION_TARGET=file:" + order}, "run", "--openclaw-config", cfg)
	daemonAddr(t, p)
	waitFor(t, 10*time.Second, "a probe in flight", func() bool { return f.Members()[0].Requests() > 0 })
	p.signal(t, syscall.SIGTERM)
	if code := p.wait(t, 20*time.Second); code != 0 {
		t.Fatalf("exit %d after SIGTERM mid-cycle; stderr:\n%s", code, p.stderr.String())
	}
	// Nothing half-written: either no target, or a whole order.
	if b, err := os.ReadFile(order); err == nil {
		var o struct {
			Primary   string
			Fallbacks []string
		}
		if json.Unmarshal(b, &o) != nil || o.Primary == "" {
			t.Fatalf("target left malformed: %q", b)
		}
	}
}

func TestRunEveryProviderDownAndAWSUnreachable(t *testing.T) {
	t.Parallel()
	f, cfg := fleetConfig(t)
	for _, m := range f.Members() {
		if err := m.SetFault(sim.Refused, sim.FaultParams{}); err != nil {
			t.Fatal(err)
		}
	}
	// A port nothing listens on stands for SSM and CloudWatch being unreachable.
	dead := "http://" + f.Members()[0].Server.Addr()
	p := start(t, []string{
		"PROVWATCH_SCHEDULE=@every 1s", "PROVWATCH_HTTP_LISTEN=127.0.0.1:0", "PROVWATCH_TIMEOUT=1s",
		"PROVWATCH_REMEDIATION_TARGET=ssm:/openclaw/model-order", "PROVWATCH_STATE=memory",
		"PROVWATCH_METRICS_SINK=cloudwatch", "PROVWATCH_METRICS_CLOUDWATCH_PROTOCOL=json",
		"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"AWS_ENDPOINT_URL=" + dead, "AWS_MAX_ATTEMPTS=1",
	}, "run", "--openclaw-config", cfg)
	addr := daemonAddr(t, p)
	var st statusReport
	waitFor(t, 30*time.Second, "a cycle with everything down", func() bool {
		code, err := getJSON("http://"+addr+"/status", &st)
		return err == nil && code == 200 && st.Down == 3
	})
	var hz struct{ Status string }
	if code, err := getJSON("http://"+addr+"/healthz", &hz); err != nil || code != 200 {
		t.Fatalf("/healthz with everything down: %d %v (the daemon itself is fine)", code, err)
	}
	if st.Order.Written {
		t.Fatal("reported a write to an unreachable SSM")
	}
	if !strings.Contains(p.stderr.String(), "cannot read the remediation target") {
		t.Fatalf("no log line about the unreachable target:\n%s", p.stderr.String())
	}
	p.signal(t, syscall.SIGTERM)
	if code := p.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, p.stderr.String())
	}
}
