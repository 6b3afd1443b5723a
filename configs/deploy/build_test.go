package deploy

import (
	"archive/zip"
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// dockerignore is a parsed .dockerignore: patterns anchored at the context
// root, `*` within a path segment, `**` across segments, `!` re-includes,
// the last matching line wins, and a matched directory excludes its contents.
type dockerignore []struct {
	re      *regexp.Regexp
	include bool
}

func parseDockerignore(src string) dockerignore {
	var d dockerignore
	for _, line := range strings.Split(src, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		include := strings.HasPrefix(line, "!")
		line = strings.TrimPrefix(filepath.ToSlash(filepath.Clean(strings.TrimPrefix(line, "!"))), "/")
		var re strings.Builder
		re.WriteString("^")
		for i := 0; i < len(line); i++ {
			switch c := line[i]; {
			case strings.HasPrefix(line[i:], "**/"):
				re.WriteString("(.*/)?")
				i += 2
			case strings.HasPrefix(line[i:], "**"):
				re.WriteString(".*")
				i++
			case c == '*':
				re.WriteString("[^/]*")
			case c == '?':
				re.WriteString("[^/]")
			default:
				re.WriteString(regexp.QuoteMeta(string(c)))
			}
		}
		re.WriteString("$")
		d = append(d, struct {
			re      *regexp.Regexp
			include bool
		}{regexp.MustCompile(re.String()), include})
	}
	return d
}

// excluded reports whether a slash-separated path relative to the context
// root stays out of the build context.
func (d dockerignore) excluded(p string) bool {
	var out bool
	for _, rule := range d {
		for q := p; q != "." && q != ""; q = filepath.ToSlash(filepath.Dir(q)) {
			if rule.re.MatchString(q) {
				out = !rule.include
				break
			}
		}
	}
	return out
}

func TestDockerignoreMatching(t *testing.T) {
	t.Parallel()
	d := parseDockerignore("**/*_test.go\n**/testdata\n*.md\ndocs\n!docs/keep.md\n")
	cases := map[string]bool{
		"a/b_test.go":            true,
		"b_test.go":              true,
		"a/b.go":                 false,
		"probes/testdata/x.json": true,
		"README.md":              true,
		"docs/deploy.md":         true,
		"docs/keep.md":           false,
		"reporter/page.md":       false, // *.md is anchored at the root
	}
	for p, want := range cases {
		if got := d.excluded(p); got != want {
			t.Errorf("excluded(%q) = %v, want %v", p, got, want)
		}
	}
}

// TestDockerignoreKeepsBuildInputs: the build context must keep every file
// `go build ./cmd/provwatch` reads — sources, go.mod/go.sum, embedded files —
// and should drop tests and fixtures.
func TestDockerignoreKeepsBuildInputs(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	b, err := os.ReadFile(filepath.Join(root, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	d := parseDockerignore(string(b))
	for _, p := range []string{"go.mod", "go.sum", "cmd/provwatch/main.go"} {
		if d.excluded(p) {
			t.Errorf(".dockerignore excludes %s, which the image build needs", p)
		}
	}
	for _, p := range []string{".git/HEAD", "configs/deploy/deploy_test.go", "probes/testdata/x.json", "dist/provwatch-lambda.zip"} {
		if !d.excluded(p) {
			t.Errorf(".dockerignore sends %s to the builder; it is not needed", p)
		}
	}

	err = filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := filepath.ToSlash(must(filepath.Rel(root, p)))
		if e.IsDir() {
			if rel != "." && (strings.HasPrefix(e.Name(), ".") || e.Name() == "testdata" || e.Name() == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		if d.excluded(rel) {
			t.Errorf(".dockerignore excludes the Go source %s", rel)
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, pat := range embedPatterns(string(src)) {
			matches, _ := filepath.Glob(filepath.Join(filepath.Dir(p), pat))
			if len(matches) == 0 {
				continue
			}
			for _, m := range matches {
				_ = filepath.WalkDir(m, func(q string, e fs.DirEntry, err error) error {
					if err == nil && !e.IsDir() {
						if r := filepath.ToSlash(must(filepath.Rel(root, q))); d.excluded(r) {
							t.Errorf(".dockerignore excludes %s, embedded by %s", r, rel)
						}
					}
					return nil
				})
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

var embedRE = regexp.MustCompile(`(?m)^//go:embed\s+(.+)$`)

// embedPatterns lists the patterns of a file's //go:embed lines.
func embedPatterns(src string) []string {
	var out []string
	for _, m := range embedRE.FindAllStringSubmatch(src, -1) {
		for _, f := range strings.Fields(m[1]) {
			f = strings.Trim(f, "`\"")
			out = append(out, strings.TrimPrefix(f, "all:"))
		}
	}
	return out
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// needMain skips build tests under -short and returns the module root.
func needMain(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	return repoRoot(t)
}

// TestLambdaBuildScript runs scripts/build-lambda.sh and checks the archive
// Lambda will run: one executable `bootstrap` at the root, a static arm64
// ELF built with lambda.norpc and CGO off.
func TestLambdaBuildScript(t *testing.T) {
	root := needMain(t)
	for _, tool := range []string{"bash", "zip"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	out := t.TempDir()
	cmd := exec.Command("bash", filepath.Join(root, "scripts", "build-lambda.sh"))
	cmd.Env = append(os.Environ(), "OUT_DIR="+out, "VERSION=v0.0.0-lambdatest", "COMMIT=0123abc")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build-lambda.sh: %v\n%s", err, b)
	}

	zr, err := zip.OpenReader(filepath.Join(out, "provwatch-lambda.zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if len(zr.File) != 1 || zr.File[0].Name != "bootstrap" {
		var names []string
		for _, f := range zr.File {
			names = append(names, f.Name)
		}
		t.Fatalf("archive holds %v, want exactly [bootstrap]", names)
	}
	zf := zr.File[0]
	if zf.Mode()&0o111 == 0 {
		t.Errorf("bootstrap mode %v is not executable; Lambda cannot start it", zf.Mode())
	}
	rc, err := zf.Open()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}

	ef, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		t.Fatalf("bootstrap is not an ELF executable: %v", err)
	}
	if ef.Machine != elf.EM_AARCH64 {
		t.Errorf("bootstrap is built for %v, want arm64 (EM_AARCH64)", ef.Machine)
	}
	for _, p := range ef.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("bootstrap asks for a dynamic loader; provided.al2023 needs a static binary (CGO_ENABLED=0)")
		}
	}

	bi, err := buildinfo.Read(bytes.NewReader(bin))
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	want := map[string]string{"-tags": "lambda.norpc", "CGO_ENABLED": "0", "GOARCH": "arm64", "GOOS": "linux", "-trimpath": "true"}
	for k, v := range want {
		if settings[k] != v {
			t.Errorf("build setting %s = %q, want %q", k, settings[k], v)
		}
	}
	if bi.Path != "github.com/provwatch/provwatch/cmd/provwatch" {
		t.Errorf("bootstrap is %s, want the provwatch command", bi.Path)
	}
}

// TestDockerLdflagsStampVersion builds with the Dockerfile's own -ldflags and
// checks `provwatch version` reports what the linker set: a misspelt
// variable would leave -X silently without effect.
func TestDockerLdflagsStampVersion(t *testing.T) {
	root := needMain(t)
	m := regexp.MustCompile(`-ldflags "([^"]+)"`).FindStringSubmatch(readDockerfile(t))
	if m == nil {
		t.Fatal("no -ldflags \"…\" in the Dockerfile's go build")
	}
	ldflags := strings.NewReplacer("${VERSION}", "v9.8.7-dockertest", "${COMMIT}", "fedcba9").Replace(m[1])
	bin := filepath.Join(t.TempDir(), "provwatch")
	build := exec.Command("go", "build", "-ldflags", ldflags, "-o", bin, "./cmd/provwatch")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("provwatch version: %v\n%s", err, out)
	}
	for _, want := range []string{"v9.8.7-dockertest", "fedcba9", runtime.Version()} {
		if !strings.Contains(string(out), want) {
			t.Errorf("provwatch version printed %q; want it to contain %q", out, want)
		}
	}
}
