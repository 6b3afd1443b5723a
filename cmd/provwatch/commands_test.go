package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/provwatch/provwatch/internal/sim"
)

func TestCheckJSONAgainstSimulator(t *testing.T) {
	t.Parallel()
	f, cfg := fleetConfig(t)
	if err := f.Members()[0].SetFault(sim.MissingModel, sim.FaultParams{}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, nil, "check", "--json", "--openclaw-config", cfg)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (primary not pulled, fallbacks healthy); stderr:\n%s", code, errOut)
	}
	rep := decodeReport(t, out)
	if rep["healthy"] != 2.0 || rep["down"] != 1.0 {
		t.Fatalf("counts healthy=%v down=%v, want 2 and 1", rep["healthy"], rep["down"])
	}
	if strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Fatalf("check --json printed more than one line:\n%s", out)
	}
	order := rep["order"].(map[string]any)
	eff := order["effective"].(map[string]any)
	if eff["primary"] == f.Chain().Primary || order["changed"] != true || order["written"] != false {
		t.Fatalf("order %v: want the missing primary moved, changed, not written", order)
	}
	var model map[string]any
	for _, p := range rep["providers"].([]any) {
		for _, m := range p.(map[string]any)["models"].([]any) {
			if m.(map[string]any)["ref"] == f.Chain().Primary {
				model = m.(map[string]any)
			}
		}
	}
	if model["reason"] != "no_model" || model["state"] != "down" {
		t.Fatalf("primary model %v, want down/no_model", model)
	}
	for _, m := range f.Members() {
		if key := m.APIKey(); key != "" && strings.Contains(out+errOut, key) {
			t.Fatalf("API key of %s leaked into the output", m.ID)
		}
	}
}

func TestCheckTableAndProviderFilter(t *testing.T) {
	t.Parallel()
	f, cfg := fleetConfig(t)
	code, out, errOut := run(t, nil, "check", "--openclaw-config", cfg, "--provider", f.Members()[2].ID)
	if code != 0 {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, errOut)
	}
	if !strings.Contains(out, f.Members()[2].Ref()) || strings.Contains(out, f.Members()[0].Server.Addr()) {
		t.Fatalf("table should list only %s:\n%s", f.Members()[2].ID, out)
	}
	if f.Members()[0].Requests() != 0 {
		t.Fatal("--provider probed a provider it was not asked for")
	}
	code, _, errOut = run(t, nil, "check", "--openclaw-config", cfg, "--provider", "nosuch")
	if code != 64 || !strings.Contains(errOut, "nosuch") {
		t.Fatalf("unknown --provider: exit %d, stderr %q; want 64 naming it", code, errOut)
	}
}

func TestCheckNoneHealthyExits2(t *testing.T) {
	t.Parallel()
	f, cfg := fleetConfig(t)
	for _, m := range f.Members() {
		if err := m.SetFault(sim.Refused, sim.FaultParams{}); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errOut := run(t, nil, "check", "--openclaw-config", cfg)
	if code != 2 {
		t.Fatalf("exit %d, want 2; stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

func TestUsageAndConfigErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	missingVar := writeFile(t, dir, "missing-var.json5", `{
  models: { providers: { ollama: { baseUrl: "${OLLAMA_HOST_FOR_TEST}", models: [{ id: "qwen3" }] } } },
  agents: { defaults: { model: "ollama/qwen3" } },
}`)
	broken := writeFile(t, dir, "broken.json5", "{\n  agents: { defaults: { model: 'x/y' } \n")
	badSettings := writeFile(t, dir, "bad.yaml", "health:\n  fail_aftr: 3\n")
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		code int
		want []string
	}{
		{"no command", nil, nil, 64, []string{"Usage"}},
		{"unknown command", nil, []string{"frobnicate"}, 64, []string{"frobnicate"}},
		{"bad flag", nil, []string{"check", "--no-such-flag"}, 64, []string{"no-such-flag"}},
		{"stray argument", nil, []string{"validate", "extra"}, 64, []string{"extra"}},
		// A ${VAR} that is not set leaves its provider down (reason config),
		// not the file invalid: OpenClaw 2026.9.x accepts it with a warning.
		{"missing variable", nil, []string{"check", "--openclaw-config", missingVar}, 2, []string{"config", "OLLAMA_HOST_FOR_TEST", "models.providers.ollama.baseUrl", "missing-var.json5"}},
		{"syntax error", nil, []string{"validate", "--openclaw-config", broken}, 78, []string{"broken.json5:"}},
		{"unknown settings key", nil, []string{"validate", "--config", badSettings}, 78, []string{"fail_aftr", "bad.yaml"}},
		{"missing file", nil, []string{"validate", "--openclaw-config", filepath.Join(dir, "nope.json")}, 78, []string{"nope.json"}},
		// A bad PROVWATCH_LOG_LEVEL is a configuration error naming the
		// variable (the flag's is a usage error), and a misspelt PROVWATCH_*
		// variable is warned about instead of silently ignored.
		{"bad level variable", []string{"PROVWATCH_LOG_LEVEL=loud"}, []string{"validate"}, 78, []string{"PROVWATCH_LOG_LEVEL", `"loud"`}},
		{"bad format variable", []string{"PROVWATCH_LOG_FORMAT=xml"}, []string{"validate"}, 78, []string{"PROVWATCH_LOG_FORMAT", `"xml"`}},
		{"flag wins over a bad variable", []string{"PROVWATCH_LOG_LEVEL=loud"}, []string{"validate", "--log-level", "warn"}, 0, nil},
		{"bad log level flag", nil, []string{"validate", "--log-level", "loud"}, 64, []string{"--log-level", `"loud"`}},
		{"misspelt variable", []string{"PROVWATCH_SHEDULE=@every 5m"}, []string{"validate"}, 0, []string{"PROVWATCH_SHEDULE", "did you mean PROVWATCH_SCHEDULE?"}},
		{"demo with a config of its own", nil, []string{"demo", "--config", badSettings}, 64, []string{"not used"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := run(t, tc.env, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:%s\nstderr:%s", code, tc.code, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out+errOut, w) {
					t.Errorf("output does not mention %q:\n%s%s", w, out, errOut)
				}
			}
		})
	}
}

func TestValidatePrintsResolvedConfig(t *testing.T) {
	t.Parallel()
	f, cfg := fleetConfig(t)
	code, out, errOut := run(t, nil, "validate", "--openclaw-config", cfg)
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
	for _, m := range f.Members() {
		if !strings.Contains(out, m.Ref()) {
			t.Errorf("validate does not list %s:\n%s", m.Ref(), out)
		}
		if k := m.APIKey(); k != "" && strings.Contains(out, k) {
			t.Errorf("validate printed %s's key", m.ID)
		}
	}
	if !strings.Contains(out, "configuration is valid") {
		t.Errorf("no verdict line:\n%s", out)
	}
	if f.Members()[0].Requests() != 0 {
		t.Error("validate probed a provider")
	}
}

// TestValidateJSON: one JSON document for scripts, valid or not; an
// openclaw: target that could never be written makes validate exit 78,
// naming the file and what to do.
func TestValidateJSON(t *testing.T) {
	t.Parallel()
	f, cfg := fleetConfig(t)
	code, out, errOut := run(t, []string{"PROVWATCH_REMEDIATION_TARGET=openclaw:" + cfg}, "validate", "--json", "--openclaw-config", cfg)
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
	var doc struct {
		Valid     bool `json:"valid"`
		Providers []struct {
			ID, Key string
			Probed  bool
		} `json:"providers"`
		Chains []struct {
			Name, Primary string
			Fallbacks     []string
			Movable       bool
		} `json:"chains"`
		Warnings []any `json:"warnings"`
		Target   *struct {
			Location string
			Checked  bool
		} `json:"target"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, out)
	}
	chain := f.Chain()
	if !doc.Valid || len(doc.Providers) != 3 || len(doc.Chains) != 1 || doc.Chains[0].Primary != chain.Primary || !doc.Chains[0].Movable ||
		doc.Warnings == nil || doc.Target == nil || !doc.Target.Checked || doc.Target.Location != "openclaw:"+cfg {
		t.Fatalf("validate --json:\n%s", out)
	}
	for _, m := range f.Members() {
		if k := m.APIKey(); k != "" && strings.Contains(out, k) {
			t.Errorf("validate --json printed %s's key", m.ID)
		}
	}

	// The chain merged from an $include and a sibling cannot be rewritten
	// in place: exit 78, in both forms, naming the file.
	dir := t.TempDir()
	writeFile(t, dir, "base.json5", `{agents: {defaults: {model: {primary: "ollama/qwen3", fallbacks: ["openai/gpt-4o"]}}}}`)
	merged := writeFile(t, dir, "openclaw.json", `{$include: "./base.json5", agents: {defaults: {model: {fallbacks: ["groq/llama-3.3-70b-versatile"]}}}}`)
	env := []string{"PROVWATCH_REMEDIATION_TARGET=openclaw:" + merged}
	code, out, errOut = run(t, env, "validate", "--openclaw-config", merged)
	if code != 78 || !strings.Contains(errOut, "remediation.target") || !strings.Contains(errOut, "base.json5") || !strings.Contains(errOut, "write it out in one file") {
		t.Fatalf("validate of an unwritable target: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	code, out, _ = run(t, env, "validate", "--json", "--openclaw-config", merged)
	var bad struct {
		Valid bool `json:"valid"`
		Error struct {
			Path, Message string
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(out), &bad); err != nil || code != 78 || bad.Valid || bad.Error.Path != "remediation.target" || !strings.Contains(bad.Error.Message, "base.json5") {
		t.Fatalf("validate --json of an unwritable target: exit %d, %v\n%s", code, err, out)
	}
	// A broken config is still one JSON document, with the position.
	broken := writeFile(t, dir, "broken.json5", "{\n  agents: {\n}\n")
	code, out, _ = run(t, nil, "validate", "--json", "--openclaw-config", broken)
	var syn struct {
		Valid bool `json:"valid"`
		Error struct {
			File string
			Line int
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(out), &syn); err != nil || code != 78 || syn.Valid || syn.Error.File != broken || syn.Error.Line == 0 {
		t.Fatalf("validate --json of a broken file: exit %d, %v\n%s", code, err, out)
	}
}

func TestOnceWritesFileTargetAndKeepsState(t *testing.T) {
	t.Parallel()
	f, cfg := fleetConfig(t)
	dir := t.TempDir()
	order := filepath.Join(dir, "order.json")
	env := []string{"PROVWATCH_REMEDIATION_TARGET=file:" + order, "PROVWATCH_HEALTH_RECHECK_INTERVAL=10ms", "PROVWATCH_HEALTH_FAIL_AFTER=2"}
	code, out, errOut := run(t, env, "once", "--json", "--openclaw-config", cfg)
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
	if rep := decodeReport(t, out); rep["order"].(map[string]any)["written"] != true {
		t.Fatalf("first once did not write the missing target: %v", rep["order"])
	}
	if _, err := os.Stat(order + ".state"); err != nil {
		t.Fatalf("auto state for once should live beside the file target: %v", err)
	}
	if err := f.Members()[0].SetFault(sim.Refused, sim.FaultParams{}); err != nil {
		t.Fatal(err)
	}
	// --dry-run: computes, writes nothing, not even state.
	before, _ := os.ReadFile(order)
	stateBefore, _ := os.ReadFile(order + ".state")
	code, out, _ = run(t, env, "once", "--json", "--dry-run", "--openclaw-config", cfg)
	if code != 1 {
		t.Fatalf("dry-run exit %d, want 1", code)
	}
	if after, _ := os.ReadFile(order); string(after) != string(before) {
		t.Fatal("--dry-run changed the target")
	}
	if after, _ := os.ReadFile(order + ".state"); string(after) != string(stateBefore) {
		t.Fatal("--dry-run changed the saved state")
	}
	if o := decodeReport(t, out)["order"].(map[string]any); o["written"] != false || o["changed"] != true {
		t.Fatalf("dry-run order %v: want changed, not written", o)
	}
	code, out, errOut = run(t, env, "once", "--json", "--openclaw-config", cfg)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, errOut)
	}
	b, _ := os.ReadFile(order)
	if !strings.Contains(string(b), `"fallbacks"`) || strings.HasPrefix(strings.TrimPrefix(string(b), `{"primary":"`), f.Chain().Primary) {
		t.Fatalf("target after demotion: %s", b)
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"version"},
		// every command takes the common flags (docs/reference.md §1)
		{"version", "--openclaw-config", "x.json", "--config", "y.yaml", "--log-level", "debug", "--log-format", "json"},
	} {
		code, out, _ := run(t, nil, args...)
		if code != 0 || !strings.HasPrefix(out, "provwatch ") || !strings.Contains(out, "go1.") {
			t.Fatalf("%v: exit %d, %q", args, code, out)
		}
	}
	if code, _, _ := run(t, nil, "version", "--log-level", "loud"); code != 64 {
		t.Errorf("version --log-level loud: exit %d, want 64", code)
	}
}

func TestOnceEMFLinesComeBeforeTheReport(t *testing.T) {
	t.Parallel()
	_, cfg := fleetConfig(t)
	code, out, errOut := run(t, []string{"PROVWATCH_METRICS_SINK=emf", "PROVWATCH_STATE=memory"}, "once", "--json", "--openclaw-config", cfg)
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 4 {
		t.Fatalf("want EMF lines and a report, got:\n%s", out)
	}
	for _, l := range lines[:len(lines)-1] {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil || m["_aws"] == nil {
			t.Fatalf("line before the report is not an EMF object: %s", l)
		}
	}
	if rep := decodeReport(t, out); rep["_aws"] != nil || rep["order"] == nil {
		t.Fatalf("last line is not the report: %s", lines[len(lines)-1])
	}
}

func TestOnceWithProviderFilterReportsButNeverWritesTheOrder(t *testing.T) {
	t.Parallel()
	f, cfg := fleetConfig(t)
	if err := f.Members()[0].SetFault(sim.Refused, sim.FaultParams{}); err != nil {
		t.Fatal(err)
	}
	order := filepath.Join(t.TempDir(), "order.json")
	code, out, errOut := run(t, []string{"PROVWATCH_REMEDIATION_TARGET=file:" + order, "PROVWATCH_HEALTH_RECHECK_INTERVAL=10ms"},
		"once", "--json", "--provider", f.Members()[0].ID, "--openclaw-config", cfg)
	if code != 2 {
		t.Fatalf("exit %d, want 2 (the one probed model is down); stderr:\n%s", code, errOut)
	}
	if o := decodeReport(t, out)["order"].(map[string]any); o["written"] != false {
		t.Fatalf("order %v: a filtered once must not write", o)
	}
	if _, err := os.Stat(order); !os.IsNotExist(err) {
		t.Fatalf("a filtered once wrote the target (stat: %v)", err)
	}
	if f.Members()[1].Requests()+f.Members()[2].Requests() != 0 {
		t.Fatal("--provider probed other providers")
	}
}

func TestCheckWithNothingToWatchIsAConfigError(t *testing.T) {
	t.Parallel()
	// No config anywhere, no provider key set: nothing can be watched. (A
	// local Ollama on its default port would be discovered; skip if one runs.)
	if p := localOllama(context.Background()); p != nil {
		t.Skip("an Ollama answers on 127.0.0.1:11434; discovery would watch it")
	}
	code, out, errOut := run(t, nil, "check")
	if code != 78 || !strings.Contains(errOut, "no OpenClaw config was found") || !strings.Contains(errOut, "--openclaw-config") {
		t.Fatalf("exit %d, stderr %q, stdout %q; want 78 saying what to do", code, errOut, out)
	}
}

// TestURLCredentialsReachNoOutput: a baseUrl with user:password@ and
// ?key=, against a provider that echoes everything it was sent, leaks into
// none of what once and validate write: report, logs, target, state.
func TestURLCredentialsReachNoOutput(t *testing.T) {
	t.Parallel()
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, _ := r.BasicAuth()
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, `{"error":{"message":"user %s pw %s auth %s url %s"}}`, user, pass, r.Header.Get("Authorization"), r.URL)
	}))
	t.Cleanup(echo.Close)
	const pass, query = "s3cretPassw0rd", "QUERYSECRET123"
	basic := base64.StdEncoding.EncodeToString([]byte("alice:" + pass))
	dir := t.TempDir()
	cfg := writeFile(t, dir, "openclaw.json", `{
  models: { providers: { lab: { baseUrl: "http://alice:`+pass+`@`+echo.Listener.Addr().String()+`/v1?key=`+query+`", api: "openai-completions", models: [{ id: "coder" }] } } },
  agents: { defaults: { model: { primary: "lab/coder", fallbacks: [] } } },
}`)
	order := filepath.Join(dir, "order.json")
	env := []string{"PROVWATCH_REMEDIATION_TARGET=file:" + order, "PROVWATCH_HEALTH_RECHECK_INTERVAL=10ms", "PROVWATCH_LOG_LEVEL=debug"}
	var all strings.Builder
	for _, args := range [][]string{{"once", "--json"}, {"once"}, {"validate"}, {"check"}} {
		_, out, errOut := run(t, env, append(args, "--openclaw-config", cfg)...)
		all.WriteString(out + errOut)
	}
	for _, f := range []string{order, order + ".state"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	if !strings.Contains(all.String(), "server error") {
		t.Fatalf("the echoing provider was not probed:\n%s", all.String())
	}
	for _, secret := range []string{pass, basic, query} {
		if strings.Contains(all.String(), secret) {
			t.Errorf("%q reached an output:\n%s", secret, all.String())
		}
	}
}

// TestHealthcheckNeedsAWholeHealthyAnswer: a 200 is healthy only with a
// complete body that says "ok"; a body cut short or stalled, or one that
// says otherwise, is not.
func TestHealthcheckNeedsAWholeHealthyAnswer(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		code    int
	}{
		{"ok", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"status":"ok","last_cycle":null}`) }, 0},
		{"body cut short", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "100")
			fmt.Fprint(w, `{"status":"o`)
		}, 1},
		{"body stalls", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "100")
			fmt.Fprint(w, `{"status":`)
			w.(http.Flusher).Flush()
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}, 1},
		{"200 but not ok", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"status":"unhealthy"}`) }, 1},
		{"200 not JSON", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `<html>proxy</html>`) }, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(tc.handler)
			t.Cleanup(srv.Close)
			if code, out, errOut := run(t, nil, "healthcheck", "--url", srv.URL+"/healthz"); code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out, errOut)
			}
		})
	}
}

func TestValidateListsWarnings(t *testing.T) {
	t.Parallel()
	cfg := writeFile(t, t.TempDir(), "openclaw.json", `{
  models: { providers: { Lab: { baseUrl: "http://gpu-a:8000/v1" }, lab: { baseUrl: "http://gpu-b:8000/v1" } } },
  agents: { defaults: { model: "lab/coder" } },
}`)
	code, out, errOut := run(t, []string{"PROVWATCH_HEALTH_FAIL_AFTR=5"}, "validate", "--openclaw-config", cfg)
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
	for _, want := range []string{"Warnings (2)", "models.providers.lab: the same provider as models.providers.Lab (line 2)", "PROVWATCH_HEALTH_FAIL_AFTR is not a provwatch variable"} {
		if !strings.Contains(out, want) {
			t.Errorf("validate does not list %q:\n%s", want, out)
		}
	}
}
