package openclawtest_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/internal/openclawtest"
	"github.com/provwatch/provwatch/remediate"
)

// TestRewriteCorpusAgainstCLI rewrites every corpus config OpenClaw 2026.9.6
// accepts through the openclaw: target, reversing each chain provwatch may
// move, and asks the real CLI about the result: the file is still valid
// with no new problem, `models status` shows the new order, no byte outside
// the rewritten values changed, the .bak holds the old file, and a second
// Apply writes nothing. A case with an allowlist is also written with the
// allowlist option, and OpenClaw must list the new refs as allowed.
//
// With PROVWATCH_OPENCLAW_VERSION=2026.2.12 it checks what that CLI can
// (it has no `config validate --json`: `models status` is the judge) and
// logs where 2026.2.x reads a chain differently instead of failing.
// The results table is logged at the end (go test -v).
func TestRewriteCorpusAgainstCLI(t *testing.T) {
	cli := openclawtest.Install(t)
	names := acceptedCases(t)
	var (
		mu   sync.Mutex
		rows []rewriteRow
	)
	t.Cleanup(func() { logTable(t, cli.Version, rows) })
	sem := make(chan struct{}, 2) // the CLI takes a core for 2-5 s per command
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sem <- struct{}{}
			defer func() { <-sem }()
			row := &rewriteRow{Case: name}
			defer func() {
				mu.Lock()
				rows = append(rows, *row)
				mu.Unlock()
				finding(t, cli, name)
			}()
			rewriteCase(t, cli, name, row)
		})
	}
}

// acceptedCases are the corpus cases whose expected.json says OpenClaw
// accepts them.
func acceptedCases(t *testing.T) []string {
	t.Helper()
	ents, err := os.ReadDir(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		exp, err := openclawtest.ReadExpected(filepath.Join(corpusDir, e.Name()))
		if err != nil {
			t.Fatalf("%s/expected.json: %v", e.Name(), err)
		}
		if exp.Valid {
			names = append(names, e.Name())
		}
	}
	if len(names) < 20 {
		t.Fatalf("only %d corpus cases are valid", len(names))
	}
	return names
}

// rewriteRow is one line of the results table.
type rewriteRow struct {
	Case string
	// Wrote is what provwatch wrote, by chain, or why it wrote nothing.
	Wrote []string
	// Valid is OpenClaw's verdict on the rewritten file.
	Valid string
	// Seen is each chain as OpenClaw resolves it after the rewrite.
	Seen []string
	// Diffs are where OpenClaw's reading differs from the plan (empty:
	// none); Notes are facts worth the table that are no failure.
	Diffs, Notes []string
}

// movable is the plan provwatch would make if every chain it may move
// turned upside down: each such chain reversed.
func movable(oc *configs.OpenClaw) []remediate.ChainPlan {
	var plan []remediate.ChainPlan
	for _, c := range oc.Chains {
		pref := configs.Dedupe(c.Order())
		if c.Fixed || len(pref.Distinct()) < 2 {
			continue
		}
		rev := pref.Distinct()
		slices.Reverse(rev)
		plan = append(plan, remediate.ChainPlan{Name: c.Name, Path: c.Path, Preferred: pref, Effective: configs.OrderOf(rev)})
	}
	return plan
}

func rewriteCase(t *testing.T, cli *openclawtest.CLI, name string, row *rewriteRow) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	src := filepath.Join(corpusDir, name)
	env, err := openclawtest.ReadEnv(src)
	if err != nil {
		t.Fatal(err)
	}
	cli = cli.WithEnv(env...)
	getenv := openclawtest.Getenv(env)

	work := t.TempDir()
	if err := copyCase(src, work); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(work, "openclaw.json")
	before := snapshot(t, work)

	// What OpenClaw makes of the file as the corpus has it.
	v0 := judge(ctx, t, cli, cfg, false)
	if !v0.Valid {
		row.Notes = append(row.Notes, "OpenClaw "+cli.Version+" rejects the original: "+strings.Join(v0.Issues, "; "))
	}

	// provwatch's reading, the plan, and the write.
	doc, err := configs.ReadDoc(ctx, configs.Source{Path: cfg, Getenv: getenv})
	if err != nil {
		t.Fatalf("provwatch cannot read a config OpenClaw 2026.9.6 accepts: %v", err)
	}
	oc, err := doc.Resolve()
	if err != nil {
		t.Fatalf("provwatch cannot resolve a config OpenClaw 2026.9.6 accepts: %v", err)
	}
	plan := movable(oc)
	target := remediate.OpenClawFile(cfg, remediate.WithGetenv(getenv))
	held, err := target.Read(ctx)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	for _, c := range plan {
		if !held.Orders[c.Name].Equal(c.Preferred) {
			t.Errorf("Read says %s holds %s; the resolver says %s", c.Name, held.Orders[c.Name].Text(), c.Preferred.Text())
		}
	}
	if len(plan) == 0 {
		row.Wrote = []string{"nothing to move"}
	}
	applied, err := target.Apply(ctx, plan)
	if errors.Is(err, configs.ErrNotWritable) {
		// An honest refusal: the value cannot be edited in one place.
		row.Wrote = []string{"refused: " + shortErr(err, work)}
		if after := snapshot(t, work); !sameFiles(before, after) {
			t.Errorf("Apply refused (%v) but changed files: %s", err, fileDiff(before, after))
		}
		j := judge(ctx, t, cli, cfg, true)
		row.Valid, row.Seen = verdict(j), seen(ctx, t, cli, cfg, j)
		return
	}
	if err != nil {
		t.Errorf("Apply of %s: %v", planText(plan), err)
		row.Wrote = []string{"Apply failed: " + shortErr(err, work)}
		if after := snapshot(t, work); !sameFiles(before, after) {
			t.Errorf("Apply failed but changed files: %s", fileDiff(before, after))
		}
		return
	}
	for _, c := range plan {
		switch why, skipped := applied.Skipped[c.Name]; {
		case skipped:
			row.Wrote = append(row.Wrote, c.Name+": skipped ("+why+")")
		case slices.Contains(applied.Written, c.Name):
			row.Wrote = append(row.Wrote, c.Name+": "+c.Effective.Text())
		default:
			t.Errorf("chain %s (%s) was neither written nor skipped: %+v", c.Name, c.Effective.Text(), applied)
		}
	}

	// The bytes provwatch wrote, before OpenClaw reads them.
	written := snapshot(t, work)
	checkBytes(t, before, written, false)
	for f, old := range before {
		for _, c := range droppedComments(old, written[f]) {
			row.Notes = append(row.Notes, fmt.Sprintf("%s: comment inside a rewritten value dropped: %s", f, c))
		}
	}
	again, err := target.Apply(ctx, plan)
	if err != nil || len(again.Written) != 0 {
		t.Errorf("a second Apply of the same plan: wrote %v, %v; want nothing", again.Written, err)
	}
	if after := snapshot(t, work); !sameFiles(written, after) {
		t.Errorf("a second Apply of the same plan changed files: %s", fileDiff(written, after))
	}

	// What OpenClaw makes of the rewritten file.
	v1 := judge(ctx, t, cli, cfg, true)
	row.Valid = verdict(v1)
	checkNoNewProblem(t, cli, v0, v1)
	want := expectedChains(oc, plan)
	row.Seen, row.Diffs = compareChains(ctx, t, cli, cfg, v1, want)
	if after := snapshot(t, work); !sameFiles(written, after) {
		t.Errorf("OpenClaw changed the files while reading them: %s", fileDiff(written, after))
	}

	if hasAllowlist(t, src) && len(plan) > 0 {
		row.Notes = append(row.Notes, allowlistCase(ctx, t, cli, src, env, plan))
	}
}

// rewriteFindings are the cases in which this test shows provwatch wrong
// against OpenClaw 2026.9.6, and what is wrong. They fail until provwatch
// is fixed; then the entry goes.
var rewriteFindings = map[string]string{}

// finding marks a case of rewriteFindings: why it fails, or that it no
// longer does.
func finding(t *testing.T, cli *openclawtest.CLI, name string) {
	note, ok := rewriteFindings[name]
	switch {
	case !ok || legacy(cli):
	case t.Failed():
		t.Log("a known provwatch bug, left for its fix: " + note)
	default:
		t.Errorf("%s is listed in rewriteFindings but passes now: remove it", name)
	}
}

// checkBytes compares the files before and after a write: each changed
// file differs only in its chain values (and agents.defaults.models with
// allowlist), its .bak holds the old bytes, nothing else appeared.
func checkBytes(t *testing.T, before, after map[string][]byte, allowlist bool) {
	t.Helper()
	for f, old := range before {
		now, ok := after[f]
		if !ok {
			t.Errorf("%s disappeared", f)
			continue
		}
		bak, hasBak := after[f+".bak"]
		if string(now) == string(old) {
			if hasBak {
				t.Errorf("%s is unchanged but has a .bak", f)
			}
			continue
		}
		if why := outsideChanges(old, now, allowlist); why != "" {
			t.Errorf("%s: more than the chain values changed: %s\n--- before\n%s\n--- after\n%s", f, why, old, now)
		}
		if !hasBak || string(bak) != string(old) {
			t.Errorf("%s.bak does not hold the previous file (present: %v)", f, hasBak)
		}
	}
	for f := range after {
		if _, ok := before[f]; !ok && !isBakOf(before, f) {
			t.Errorf("the write left a new file %s", f)
		}
	}
}

// isBakOf reports whether f is the .bak of a file in files.
func isBakOf(files map[string][]byte, f string) bool {
	_, ok := files[strings.TrimSuffix(f, ".bak")]
	return strings.HasSuffix(f, ".bak") && ok
}

// judgement is what one OpenClaw CLI version says of a config: valid or
// not, the problems and warnings (as "path: message"), and the status
// without --agent when it printed one.
type judgement struct {
	Valid            bool
	Issues, Warnings []string
	Status           *openclawtest.ModelsStatus
	Agents           []string // ids, as `agents list --json` gives them
}

// legacy reports a CLI without `config validate --json` (2026.2.x).
func legacy(cli *openclawtest.CLI) bool { return strings.HasPrefix(cli.Version, "2026.2.") }

// judge asks the CLI about cfg: `config validate --json` where it exists,
// else whether `models status --json` can load the file at all. With
// chains it also asks for the status without --agent and the agents.
func judge(ctx context.Context, t *testing.T, cli *openclawtest.CLI, cfg string, chains bool) judgement {
	t.Helper()
	j := judgement{Status: &openclawtest.ModelsStatus{}}
	if legacy(cli) {
		st, err := cli.ModelsStatus(ctx, cfg, "")
		if err != nil {
			j.Issues = legacyIssues(st.Result.Stderr)
		}
		j.Valid = err == nil
		j.Status = st
	} else {
		v, err := cli.ConfigValidate(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		j.Valid = v.Valid
		for _, is := range v.Issues {
			j.Issues = append(j.Issues, is.Path+": "+is.Message)
		}
		if v.Error != nil && len(v.Issues) == 0 {
			j.Issues = append(j.Issues, v.Error.Message)
		}
		for _, w := range v.Warnings {
			j.Warnings = append(j.Warnings, w.Path+": "+w.Message)
		}
		if j.Valid && chains {
			// Without --agent it fails on a multi-agent config: then only
			// the agents are asked.
			if st, err := cli.ModelsStatus(ctx, cfg, ""); err == nil {
				j.Status = st
			}
		}
	}
	if j.Valid && chains {
		ids, res, err := agentIDs(ctx, cli, cfg)
		if err != nil {
			t.Fatalf("agents list: %v\n%s", err, res.Stderr)
		}
		j.Agents = ids
	}
	return j
}

// legacyIssues reads the problems 2026.2.x prints when it cannot load a
// config: "Problem:" then "- path: message" lines, or one "Failed to read
// config at PATH Error: message".
func legacyIssues(stderr string) []string {
	var out []string
	lines := strings.Split(stderr, "\n")
	for i, l := range lines {
		l = strings.TrimSpace(l)
		switch {
		case l == "Problem:":
			for _, p := range lines[i+1:] {
				p = strings.TrimSpace(p)
				if !strings.HasPrefix(p, "- ") {
					break
				}
				if s := strings.TrimPrefix(p, "- "); !slices.Contains(out, s) {
					out = append(out, s)
				}
			}
		case strings.HasPrefix(l, "Failed to read config at "):
			if _, msg, ok := strings.Cut(l, "Error: "); ok && !slices.Contains(out, msg) {
				out = append(out, msg)
			}
		}
	}
	if len(out) == 0 && strings.TrimSpace(stderr) != "" {
		out = append(out, firstLine(stderr))
	}
	return out
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return l
}

func verdict(j judgement) string {
	switch {
	case j.Valid && len(j.Warnings) == 1:
		return "valid (1 warning)"
	case j.Valid && len(j.Warnings) > 1:
		return fmt.Sprintf("valid (%d warnings)", len(j.Warnings))
	case j.Valid:
		return "valid"
	}
	return "INVALID: " + strings.Join(j.Issues, "; ")
}

// checkNoNewProblem: a rewrite may move a problem (a missing variable's
// path follows its ref) but never add one.
func checkNoNewProblem(t *testing.T, cli *openclawtest.CLI, v0, v1 judgement) {
	t.Helper()
	if v0.Valid && !v1.Valid {
		t.Errorf("OpenClaw %s accepted the original but rejects the rewrite: %s", cli.Version, strings.Join(v1.Issues, "; "))
	}
	for _, p := range [][2][]string{{v0.Issues, v1.Issues}, {v0.Warnings, v1.Warnings}} {
		old := problemKinds(p[0], legacy(cli))
		for _, s := range p[1] {
			if !old[problemKind(s, legacy(cli))] {
				t.Errorf("OpenClaw %s reports a new problem after the rewrite: %s (before: %q)", cli.Version, s, p[0])
			}
		}
	}
}

// problemKind is a problem without where it is: its message without the
// config path, so a missing ${VAR} that moved with its ref is the same.
// 2026.2.x stops at the first missing variable, which the order decides:
// there the names go too.
func problemKind(s string, legacy bool) string {
	if i := strings.Index(s, ": "); i > 0 && !strings.Contains(s[:i], " ") {
		s = s[i+2:]
	}
	s, _, _ = strings.Cut(s, " referenced at config path")
	if legacy {
		s = quoted.ReplaceAllString(s, `"…"`)
	}
	return s
}

var quoted = regexp.MustCompile(`"[^"]*"`)

func problemKinds(ps []string, legacy bool) map[string]bool {
	m := map[string]bool{}
	for _, p := range ps {
		m[problemKind(p, legacy)] = true
	}
	return m
}

// expectedChains is what each chain should run after the plan, by chain
// name: the plan's order for a planned chain, the chain as it was for any
// other.
func expectedChains(oc *configs.OpenClaw, plan []remediate.ChainPlan) map[string]configs.Order {
	want := map[string]configs.Order{}
	for _, c := range oc.Chains {
		want[c.Name] = configs.Dedupe(c.Order())
	}
	for _, p := range plan {
		want[p.Name] = p.Effective
	}
	return want
}

// seen lists each chain as OpenClaw shows it (for the table).
func seen(ctx context.Context, t *testing.T, cli *openclawtest.CLI, cfg string, j judgement) []string {
	if !j.Valid {
		return nil
	}
	var out []string
	if j.Status.ResolvedDefault != "" {
		out = append(out, "defaults: "+statusText(j.Status))
	}
	for _, id := range j.Agents {
		st, err := cli.ModelsStatus(ctx, cfg, id)
		if err != nil {
			t.Errorf("models status --agent %s: %v", id, err)
			continue
		}
		out = append(out, id+": "+statusText(st))
	}
	return out
}

func statusText(st *openclawtest.ModelsStatus) string {
	return configs.Order{Primary: st.ResolvedDefault, Fallbacks: st.Fallbacks}.Text()
}

// compareChains asks `models status` for the defaults (when OpenClaw
// answers without --agent) and for every agent, and compares what each
// runs with want. An agent without a chain of its own in provwatch runs on
// the defaults'. On 2026.2.x a difference is a note, not a failure.
func compareChains(ctx context.Context, t *testing.T, cli *openclawtest.CLI, cfg string, j judgement, want map[string]configs.Order) (seenChains, diffs []string) {
	t.Helper()
	if !j.Valid {
		return nil, nil
	}
	check := func(who string, st *openclawtest.ModelsStatus, w configs.Order) {
		seenChains = append(seenChains, who+": "+statusText(st))
		got := runs(st)
		if served(got).Equal(served(w)) {
			return
		}
		d := fmt.Sprintf("%s: OpenClaw runs %s, the plan says %s", who, got.Text(), w.Text())
		diffs = append(diffs, d)
		if legacy(cli) {
			t.Logf("OpenClaw %s reads %s", cli.Version, d)
		} else {
			t.Errorf("%s (models status: primary %q resolved %q, fallbacks %q)", d, st.DefaultModel, st.ResolvedDefault, st.Fallbacks)
		}
	}
	if j.Status.ResolvedDefault != "" {
		check("defaults", j.Status, want[configs.DefaultsChain])
	}
	for _, id := range j.Agents {
		w, own := chainFor(want, id)
		if !own && len(j.Agents) == 1 && j.Status.ResolvedDefault != "" {
			break // the one agent runs on the defaults, just checked
		}
		st, err := cli.ModelsStatus(ctx, cfg, id)
		if err != nil {
			t.Errorf("models status --agent %s: %v", id, err)
			continue
		}
		if !own {
			w = want[configs.DefaultsChain]
		}
		check(id, st, w)
	}
	return seenChains, diffs
}

// chainFor finds an agent's own chain; OpenClaw lower-cases agent ids.
func chainFor(want map[string]configs.Order, id string) (configs.Order, bool) {
	for name, o := range want {
		if name != configs.DefaultsChain && strings.EqualFold(name, id) {
			return o, true
		}
	}
	return configs.Order{}, false
}

// runs is the chain a status describes as the gateway runs it. `models
// status` resolves the primary but lists fallbacks as written; on a turn
// OpenClaw 2026.9.x reads each fallback as an alias (any case), else as
// provider/alias for an alias of that provider's model, else as a ref, a
// bare id taking the primary's provider (docs/openclaw-compat.md).
func runs(st *openclawtest.ModelsStatus) configs.Order {
	prov, _, _ := strings.Cut(st.ResolvedDefault, "/")
	o := configs.Order{Primary: st.ResolvedDefault, Fallbacks: make([]string, len(st.Fallbacks))}
	for i, f := range st.Fallbacks {
		f = strings.TrimSpace(f)
		o.Fallbacks[i] = f
		if ref, ok := aliasOf(st.Aliases, "", f); ok {
			o.Fallbacks[i] = ref
		} else if p, m, ok := strings.Cut(f, "/"); !ok {
			o.Fallbacks[i] = prov + "/" + f
		} else if ref, ok := aliasOf(st.Aliases, p, m); ok {
			o.Fallbacks[i] = ref
		}
	}
	return configs.Dedupe(o)
}

// aliasOf finds the ref an alias names (any case), of provider's models
// only when provider is not "".
func aliasOf(aliases map[string]string, provider, alias string) (string, bool) {
	for a, ref := range aliases {
		p, _, _ := strings.Cut(ref, "/")
		if strings.EqualFold(a, alias) && (provider == "" || strings.EqualFold(p, provider)) {
			return ref, true
		}
	}
	return "", false
}

// served is an order with each ref as the model OpenClaw asks its
// provider for, so provwatch's spelling and OpenClaw's resolution compare.
func served(o configs.Order) configs.Order {
	refs := o.Refs()
	for i, s := range refs {
		if r, err := configs.ParseRef(s); err == nil {
			refs[i] = r.Provider + "/" + configs.ServedModel(r.Provider, r.Model)
		}
	}
	return configs.Dedupe(configs.OrderOf(refs))
}

// hasAllowlist: OpenClaw 2026.9.6 listed allowed models for the case (a
// non-empty agents.defaults.models).
func hasAllowlist(t *testing.T, dir string) bool {
	exp, err := openclawtest.ReadExpected(dir)
	if err != nil {
		t.Fatal(err)
	}
	return len(exp.Allowed) > 0
}

// allowlistCase writes the same plan into a fresh copy through a target
// with the allowlist option and checks OpenClaw lists every ref it wrote
// as allowed.
func allowlistCase(ctx context.Context, t *testing.T, cli *openclawtest.CLI, src string, env []string, plan []remediate.ChainPlan) string {
	t.Helper()
	work := t.TempDir()
	if err := copyCase(src, work); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(work, "openclaw.json")
	before := snapshot(t, work)
	target := remediate.OpenClawFile(cfg, remediate.WithGetenv(openclawtest.Getenv(env)), remediate.WithAllowlist())
	if _, err := target.Read(ctx); err != nil {
		t.Fatalf("allowlist: Read: %v", err)
	}
	if _, err := target.Apply(ctx, plan); err != nil {
		t.Fatalf("allowlist: Apply: %v", err)
	}
	checkBytes(t, before, snapshot(t, work), true)
	j := judge(ctx, t, cli, cfg, true)
	if !j.Valid {
		t.Errorf("allowlist: OpenClaw %s rejects the rewrite: %s", cli.Version, strings.Join(j.Issues, "; "))
		return "allowlist write: INVALID"
	}
	statuses := map[string]*openclawtest.ModelsStatus{configs.DefaultsChain: j.Status}
	for _, p := range plan {
		if p.Name != configs.DefaultsChain || j.Status.ResolvedDefault == "" {
			st, err := cli.ModelsStatus(ctx, cfg, agentOf(p.Name))
			if err != nil {
				t.Fatalf("allowlist: models status for %s: %v", p.Name, err)
			}
			statuses[p.Name] = st
		}
	}
	// On 2026.2.x a ref that release reads differently from 2026.9.x
	// (provider/alias, a 9.x form, is a model of its own there) is not
	// one provwatch planned, so it is not on the list provwatch adds: that
	// is logged like the other 2.x readings, not failed.
	planned := map[string]bool{}
	for _, p := range plan {
		for _, r := range served(p.Effective).Refs() {
			planned[r] = true
		}
	}
	var missing, readOtherwise []string
	for _, p := range plan {
		st := statuses[p.Name]
		allowed := map[string]bool{}
		for _, a := range st.Allowed {
			allowed[served(configs.OrderOf([]string{a})).Primary] = true
		}
		for _, r := range served(runs(st)).Refs() {
			switch {
			case allowed[r]:
			case legacy(cli) && !planned[r]:
				readOtherwise = append(readOtherwise, r)
			case !slices.Contains(missing, r):
				missing = append(missing, r)
			}
		}
	}
	if len(readOtherwise) > 0 {
		t.Logf("allowlist: OpenClaw %s runs %v, which it reads otherwise than 2026.9.x, so provwatch did not list it", cli.Version, readOtherwise)
	}
	if len(missing) > 0 {
		t.Errorf("allowlist: OpenClaw does not list %v as allowed after a write with the allowlist option (allowed %v)", missing, j.Status.Allowed)
	}
	if j.Status.ResolvedDefault == "" {
		j.Status = statuses[plan[0].Name]
	}
	return "allowlist write: allowed " + strings.Join(j.Status.Allowed, ", ")
}

// agentOf is the --agent a chain is asked with: "" for the defaults.
func agentOf(chain string) string {
	if chain == configs.DefaultsChain {
		return ""
	}
	return strings.ToLower(chain)
}

// snapshot reads every file under dir, by path relative to it.
func snapshot(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[rel] = b
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func sameFiles(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for f, x := range a {
		if y, ok := b[f]; !ok || string(x) != string(y) {
			return false
		}
	}
	return true
}

func fileDiff(a, b map[string][]byte) string {
	var out []string
	for f, x := range a {
		if y, ok := b[f]; !ok {
			out = append(out, f+" removed")
		} else if string(x) != string(y) {
			out = append(out, f+" changed")
		}
	}
	for f := range b {
		if _, ok := a[f]; !ok {
			out = append(out, f+" added")
		}
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

func planText(plan []remediate.ChainPlan) string {
	var out []string
	for _, p := range plan {
		out = append(out, p.Name+": "+p.Effective.Text())
	}
	return strings.Join(out, "; ")
}

func shortErr(err error, dir string) string {
	return strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), "")
}

func cell(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// logTable logs the results, one case a line, sorted.
func logTable(t *testing.T, version string, rows []rewriteRow) {
	if len(rows) == 0 {
		return
	}
	slices.SortFunc(rows, func(a, b rewriteRow) int { return strings.Compare(a.Case, b.Case) })
	var b strings.Builder
	fmt.Fprintf(&b, "rewrites against OpenClaw %s:\n", version)
	fmt.Fprintln(&b, "| case | provwatch wrote | valid after | OpenClaw runs | differences |")
	fmt.Fprintln(&b, "|---|---|---|---|---|")
	for _, r := range rows {
		diffs := strings.Join(append(append([]string{}, r.Diffs...), r.Notes...), "; ")
		if diffs == "" {
			diffs = "none"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", r.Case, cell(strings.Join(r.Wrote, "; ")), cell(r.Valid), cell(strings.Join(r.Seen, "; ")), diffs)
	}
	t.Log(b.String())
}

func TestLegacyIssues(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, stderr string
		want         []string
	}{
		{"unknown keys", "Invalid config at /x/openclaw.json:\\n- agents: Unrecognized keys: \"ownership\", \"entries\"\n│\n◇  Doctor\nConfig invalid\nFile: /x/openclaw.json\nProblem:\n  - agents: Unrecognized keys: \"ownership\", \"entries\"\n\nRun: openclaw doctor --fix\n",
			[]string{`agents: Unrecognized keys: "ownership", "entries"`}},
		{"missing variable", "Failed to read config at /x/openclaw.json MissingEnvVarError: Missing env var \"PRIMARY_NOT_SET\" referenced at config path: agents.defaults.model.primary\n    at substituteString (file:///x.js:547:56)\n  varName: 'PRIMARY_NOT_SET',\n}\nConfig invalid\nFile: /x/openclaw.json\nProblem:\n  - <root>: Missing env var \"PRIMARY_NOT_SET\" referenced at config path: agents.defaults.model.primary\n\nRun: openclaw doctor --fix\n",
			[]string{`Missing env var "PRIMARY_NOT_SET" referenced at config path: agents.defaults.model.primary`, `<root>: Missing env var "PRIMARY_NOT_SET" referenced at config path: agents.defaults.model.primary`}},
		{"something else", "\nError: Multiple agents\n  more\n", []string{"Error: Multiple agents"}},
	}
	for _, tc := range cases {
		if got := legacyIssues(tc.stderr); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestProblemKind(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in     string
		legacy bool
		want   string
	}{
		{`agents.defaults.model.fallbacks[1]: Missing env var "X" - feature using this value will be unavailable`, false, `Missing env var "X" - feature using this value will be unavailable`},
		{`agents.entries: Moved agents.list to keyed agents.entries.`, false, `Moved agents.list to keyed agents.entries.`},
		{`<root>: Missing env var "EMPTY_MODEL" referenced at config path: agents.defaults.model.fallbacks[0]`, true, `Missing env var "…"`},
		{`Missing env var "PRIMARY_NOT_SET" referenced at config path: agents.defaults.model.primary`, true, `Missing env var "…"`},
		{`Model "gpt-4.1" specified without provider. Falling back to "openai/gpt-4.1".`, false, `Model "gpt-4.1" specified without provider. Falling back to "openai/gpt-4.1".`},
	}
	for _, tc := range cases {
		if got := problemKind(tc.in, tc.legacy); got != tc.want {
			t.Errorf("problemKind(%q, %v) = %q, want %q", tc.in, tc.legacy, got, tc.want)
		}
	}
}

func TestRuns(t *testing.T) {
	t.Parallel()
	aliases := map[string]string{"local": "ollama/qwen3", "fast": "openai/gpt-4.1-mini", "smart": "openai/gpt-4.1"}
	cases := []struct {
		primary   string
		fallbacks []string
		want      string
	}{
		{"ollama/qwen3", []string{"gpt-4o", " openai/gpt-4.1 "}, "ollama/qwen3 -> ollama/gpt-4o -> openai/gpt-4.1"},
		{"openai/gpt-4.1", []string{"FAST", "local", "openai/smart", "anthropic/smart"}, "openai/gpt-4.1 -> openai/gpt-4.1-mini -> ollama/qwen3 -> anthropic/smart"},
		{"openai/gpt-4.1", []string{"${EMPTY_MODEL}"}, "openai/gpt-4.1 -> openai/${EMPTY_MODEL}"},
	}
	for _, tc := range cases {
		st := &openclawtest.ModelsStatus{ResolvedDefault: tc.primary, Fallbacks: tc.fallbacks, Aliases: aliases}
		if got := runs(st).Text(); got != tc.want {
			t.Errorf("runs(%s, %q) = %s, want %s", tc.primary, tc.fallbacks, got, tc.want)
		}
	}
}
