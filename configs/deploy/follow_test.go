package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestOpenClawFollowImage checks the gateway image's Dockerfile: it takes
// the binary from provwatch's own image, at the path that image puts it,
// and starts the gateway through the start script.
func TestOpenClawFollowImage(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("openclaw-follow.Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	ins, err := parseDockerfile(string(b))
	if err != nil {
		t.Fatal(err)
	}
	var froms, copies []string
	var entry string
	for _, in := range ins {
		switch in.Cmd {
		case "FROM":
			froms = append(froms, in.Args)
		case "COPY":
			copies = append(copies, in.Args)
		case "ENTRYPOINT":
			entry = in.Args
		}
	}
	if len(froms) != 2 || !strings.HasSuffix(froms[0], "AS provwatch") {
		t.Fatalf("stages %v: want provwatch's image as stage provwatch, then the gateway image", froms)
	}
	// provwatch's image puts the binary where its own COPY says.
	m := regexp.MustCompile(`COPY --from=build /out/provwatch-follow (\S+)`).FindStringSubmatch(readDockerfile(t))
	if m == nil {
		t.Fatal("the provwatch Dockerfile does not copy provwatch-follow from its build stage")
	}
	if !strings.Contains(readDockerfile(t), "-o /out/provwatch-follow ./cmd/provwatch-follow") {
		t.Fatal("the provwatch Dockerfile does not build ./cmd/provwatch-follow")
	}
	if want := "--from=provwatch " + m[1] + " /usr/local/bin/provwatch-follow"; !slices.Contains(copies, want) {
		t.Errorf("COPY %v: want %q", copies, want)
	}
	if !slices.Contains(copies, "--chmod=0755 configs/deploy/openclaw-start.sh /usr/local/bin/openclaw-start") {
		t.Errorf("COPY %v: the start script is not installed executable", copies)
	}
	if cmd, ok := execForm(entry); !ok || len(cmd) != 1 || cmd[0] != "/usr/local/bin/openclaw-start" {
		t.Errorf("ENTRYPOINT %s: want the start script in exec form", entry)
	}
}

// logOf reads a log file when asked, for failure messages.
type logOf string

func (l logOf) String() string { b, _ := os.ReadFile(string(l)); return string(b) }

// TestOpenClawStartScript runs the start script with the real
// provwatch-follow binary and a stand-in gateway: the operator's own pre-start step writes a
// primary with no fallbacks (as serverless-openclaw's patch-config.js
// does), `follow --once` applies the published order over it before the
// gateway starts, and the follower left running applies the next one to
// the running gateway's file.
func TestOpenClawStartScript(t *testing.T) {
	root := needMain(t)
	for _, tool := range []string{"sh", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	os.MkdirAll(bin, 0o755)
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "provwatch-follow"), "./cmd/provwatch-follow")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// The stand-in gateway records what it was started with and the chain
	// it found, then waits for the follower to change the file.
	gateway := `#!/bin/sh
cp "$OPENCLAW_CONFIG_PATH" "$STATE/at-start.json"
echo "$@" > "$STATE/args"
i=0
while [ $i -lt 300 ]; do
  if grep -q '"groq/llama-3.3-70b-versatile", fallbacks' "$OPENCLAW_CONFIG_PATH"; then echo followed > "$STATE/done"; exit 0; fi
  i=$((i+1)); sleep 0.1
done
exit 1
`
	os.WriteFile(filepath.Join(bin, "openclaw"), []byte(gateway), 0o755)
	config := filepath.Join(dir, "home", ".openclaw", "openclaw.json")
	os.MkdirAll(filepath.Dir(config), 0o700)
	order := filepath.Join(dir, "order.json")
	os.WriteFile(order, []byte(`{"primary":"anthropic/claude-sonnet-4-5","fallbacks":["groq/llama-3.3-70b-versatile"]}`), 0o644)
	prestart := `printf '{\n  agents: {defaults: {model: {primary: "anthropic/claude-sonnet-4-5"}}},\n}\n' > "$OPENCLAW_CONFIG_PATH"`

	cmd := exec.Command("sh", "openclaw-start.sh", "--port", "18789", "--bind", "loopback")
	cmd.Env = []string{"PATH=" + bin + ":/usr/bin:/bin", "HOME=" + filepath.Join(dir, "home"), "STATE=" + dir,
		"OPENCLAW_CONFIG_PATH=" + config, "OPENCLAW_PRESTART=" + prestart,
		"PROVWATCH_FOLLOW_FROM=file:" + order, "PROVWATCH_FOLLOW_EVERY=100ms", "PROVWATCH_LOG_FORMAT=json"}
	// Output to a file, not a pipe: the follower left running keeps a
	// pipe open after the gateway exits. It runs in the script's process
	// group, which the test ends, as the container's end would.
	logf, err := os.Create(filepath.Join(dir, "out.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	out := logOf(filepath.Join(dir, "out.log"))
	// Publish the next order once the gateway has started.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(dir, "args")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the gateway never started:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	os.WriteFile(order+".tmp", []byte(`{"primary":"groq/llama-3.3-70b-versatile","fallbacks":["anthropic/claude-sonnet-4-5"]}`), 0o644)
	os.Rename(order+".tmp", order)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("start script: %v\n%s", err, out.String())
	}
	atStart, _ := os.ReadFile(filepath.Join(dir, "at-start.json"))
	if !strings.Contains(string(atStart), `{primary: "anthropic/claude-sonnet-4-5", fallbacks: ["groq/llama-3.3-70b-versatile"]}`) {
		t.Errorf("the gateway started with\n%s\nwant the published order applied over the pre-start step's", atStart)
	}
	if args, _ := os.ReadFile(filepath.Join(dir, "args")); strings.TrimSpace(string(args)) != "gateway run --port 18789 --bind loopback" {
		t.Errorf("the gateway was started with %q", args)
	}
	if _, err := os.Stat(filepath.Join(dir, "done")); err != nil {
		t.Errorf("the follower never applied the second order to the running gateway's file:\n%s", out.String())
	}
}
