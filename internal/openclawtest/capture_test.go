package openclawtest_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/provwatch/provwatch/internal/openclawtest"
)

// corpusDir holds one directory per case: openclaw.json, any files it
// includes, an optional env file, and expected.json with raw/ beside it.
const corpusDir = "../../configs/testdata/openclaw-compat"

// TestCaptureCompatCorpus rewrites every expected.json (and raw/) from the
// real OpenClaw CLI (PROVWATCH_CAPTURE_ONLY=regexp limits it to the cases
// whose directory name matches). Run it after changing a case or moving to
// another OpenClaw version:
//
//	PROVWATCH_CAPTURE_OPENCLAW=1 go test -run TestCaptureCompatCorpus ./internal/openclawtest/
func TestCaptureCompatCorpus(t *testing.T) {
	if os.Getenv("PROVWATCH_CAPTURE_OPENCLAW") != "1" {
		t.Skip("set PROVWATCH_CAPTURE_OPENCLAW=1 to rewrite configs/testdata/openclaw-compat/*/expected.json from the real OpenClaw")
	}
	t.Setenv(openclawtest.EnableEnv, "1")
	cli := openclawtest.Install(t)
	cases, err := os.ReadDir(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	only, err := regexp.Compile(os.Getenv("PROVWATCH_CAPTURE_ONLY")) // e.g. "^agent-" to redo a few cases
	if err != nil {
		t.Fatalf("PROVWATCH_CAPTURE_ONLY: %v", err)
	}
	sem := make(chan struct{}, 2) // the CLI takes a core for 2-3 s per command
	var wg sync.WaitGroup
	for _, c := range cases {
		if !c.IsDir() || !only.MatchString(c.Name()) {
			continue
		}
		wg.Add(1)
		go func(name string) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := captureCase(cli, filepath.Join(corpusDir, name)); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}(c.Name())
	}
	wg.Wait()
}

// captureCase runs the CLI on a copy of the case (OpenClaw may write
// beside its config) and writes expected.json and raw/.
func captureCase(cli *openclawtest.CLI, dir string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	work, err := os.MkdirTemp("", "openclaw-compat-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if err := copyCase(dir, work); err != nil {
		return err
	}
	env, err := openclawtest.ReadEnv(dir)
	if err != nil {
		return err
	}
	cli = cli.WithEnv(env...)
	cfg := filepath.Join(work, "openclaw.json")
	raw := map[string]openclawtest.Result{}
	clean := func(s, home string) string {
		s = strings.ReplaceAll(s, work, "<case>")
		if home != "" {
			s = strings.ReplaceAll(s, home, "<home>")
		}
		return s
	}

	exp := openclawtest.Expected{OpenClaw: cli.Version, Warnings: []string{}, Allowed: []string{}}
	v, err := cli.ConfigValidate(ctx, cfg)
	raw["validate"] = v.Result
	if err != nil {
		return err
	}
	exp.Valid = v.Valid
	for _, w := range v.Warnings {
		exp.Warnings = append(exp.Warnings, w.Path+": "+w.Message)
	}
	for _, is := range v.Issues {
		exp.Errors = append(exp.Errors, is.Path+": "+is.Message)
	}
	if v.Error != nil && len(v.Issues) == 0 {
		exp.Errors = append(exp.Errors, v.Error.Message)
	}
	if v.Valid {
		st, err := cli.ModelsStatus(ctx, cfg, "")
		raw["status"] = st.Result
		if err == nil {
			exp.Defaults = &openclawtest.Chain{Primary: st.ResolvedDefault, Fallbacks: nonNil(st.Fallbacks)}
			exp.Allowed = nonNil(st.Allowed)
		}
		ids, res, err := agentIDs(ctx, cli, cfg)
		raw["agents"] = res
		if err != nil {
			return err
		}
		exp.Agents = map[string]openclawtest.Chain{}
		for _, id := range ids {
			st, err := cli.ModelsStatus(ctx, cfg, id)
			raw["status-"+id] = st.Result
			if err != nil {
				return fmt.Errorf("agent %s: %w", id, err)
			}
			ch := openclawtest.Chain{Primary: st.ResolvedDefault, Fallbacks: nonNil(st.Fallbacks)}
			if st.ModelConfig != nil {
				ch.PrimaryFrom, ch.FallbacksFrom = st.ModelConfig.DefaultSource, st.ModelConfig.FallbacksSource
			}
			exp.Agents[id] = ch
			if exp.Defaults == nil {
				exp.Allowed = nonNil(st.Allowed)
			}
		}
	}
	// Warnings OpenClaw logs while resolving (a bare model id) are part of
	// what a user sees; keep each once.
	for _, r := range raw {
		for _, line := range stderrWarnings(clean(r.Stderr, r.Home)) {
			if !slices.Contains(exp.Warnings, line) {
				exp.Warnings = append(exp.Warnings, line)
			}
		}
	}
	for i := range exp.Warnings {
		exp.Warnings[i] = clean(exp.Warnings[i], "")
	}
	for i := range exp.Errors {
		exp.Errors[i] = clean(exp.Errors[i], "")
	}
	slices.Sort(exp.Warnings)

	if err := os.RemoveAll(filepath.Join(dir, "raw")); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "raw"), 0o755); err != nil {
		return err
	}
	for name, r := range raw {
		if out := clean(r.Stdout, r.Home); out != "" {
			if err := os.WriteFile(filepath.Join(dir, "raw", name+".json"), []byte(out), 0o644); err != nil {
				return err
			}
		}
		if errOut := clean(r.Stderr, r.Home); errOut != "" {
			if err := os.WriteFile(filepath.Join(dir, "raw", name+".stderr"), []byte(errOut), 0o644); err != nil {
				return err
			}
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // "<root>", "<case>" as written
	enc.SetIndent("", "  ")
	if err := enc.Encode(exp); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "expected.json"), b.Bytes(), 0o644)
}

// stderrWarningRE matches the resolution warnings worth keeping; progress
// and auth chatter are not.
var stderrWarningRE = regexp.MustCompile(`specified without provider|could not be resolved|missing env var|Include|include`)

func stderrWarnings(stderr string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(stderr))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if stderrWarningRE.MatchString(line) && !slices.Contains(out, line) {
			out = append(out, line)
		}
	}
	return out
}

func agentIDs(ctx context.Context, cli *openclawtest.CLI, cfg string) ([]string, openclawtest.Result, error) {
	res, err := cli.Run(ctx, cfg, "agents", "list", "--json")
	if err != nil {
		return nil, res, err
	}
	var list []struct {
		ID string `json:"id"`
	}
	i := strings.IndexByte(res.Stdout, '[')
	if i < 0 || json.NewDecoder(strings.NewReader(res.Stdout[i:])).Decode(&list) != nil {
		return nil, res, fmt.Errorf("agents list exited %d without a list: %s", res.ExitCode, res.Stderr)
	}
	var ids []string
	for _, a := range list {
		ids = append(ids, a.ID)
	}
	return ids, res, nil
}

func copyCase(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if rel == "raw" || rel == "expected.json" || rel == "env" {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o600)
	})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
