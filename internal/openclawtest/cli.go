package openclawtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Result is what one CLI command did.
type Result struct {
	Stdout, Stderr string
	// ExitCode is the process's exit status (-1 when it was killed).
	ExitCode int
	// Home is the isolated directory the command ran in (HOME, state,
	// TMPDIR); it is removed when Run returns, so only its name is useful,
	// e.g. to take it out of output that quotes it.
	Home string
}

// Run executes `openclaw args...` against configPath, isolated from the
// machine: HOME, OPENCLAW_STATE_DIR and TMPDIR under a fresh temporary
// directory (or WithHome's), OPENCLAW_CONFIG_PATH=configPath, stdin /dev/null, no update
// check, and an environment holding nothing but those, PATH and WithEnv's
// pairs (no provider keys leak in from the test's environment). A non-zero
// exit is not an error: it is in Result.
func (c *CLI) Run(ctx context.Context, configPath string, args ...string) (Result, error) {
	home := c.home
	if home == "" {
		var err error
		if home, err = os.MkdirTemp("", "openclaw-home-"); err != nil {
			return Result{}, fmt.Errorf("openclaw %s: temp home: %w", strings.Join(args, " "), err)
		}
		defer os.RemoveAll(home)
	}
	abs, err := filepath.Abs(configPath)
	if err != nil {
		return Result{}, err
	}
	cmd := exec.CommandContext(ctx, c.bin(), args...)
	cmd.Env = c.environ(home, abs)
	cmd.Dir = home
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	res := Result{Stdout: stdout.String(), Stderr: stderr.String(), Home: home}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		res.ExitCode = exitErr.ExitCode()
	default:
		return res, fmt.Errorf("openclaw %s: %w", strings.Join(args, " "), err)
	}
	if ctx.Err() != nil {
		return res, fmt.Errorf("openclaw %s: %w", strings.Join(args, " "), ctx.Err())
	}
	return res, nil
}

// environ is the whole environment of a command run in home.
func (c *CLI) environ(home, configPath string) []string {
	env := []string{
		"PATH=" + c.nodeBin() + string(os.PathListSeparator) + "/usr/local/bin:/usr/bin:/bin",
		"HOME=" + home,
		"OPENCLAW_STATE_DIR=" + filepath.Join(home, "state"),
		"OPENCLAW_CONFIG_PATH=" + configPath,
		"TMPDIR=" + home,
		"OPENCLAW_NO_UPDATE_CHECK=1",
		"NO_COLOR=1",
		"LANG=C.UTF-8",
	}
	return append(env, c.env...)
}

// ModelsStatus is `openclaw models status --json`: the model resolution
// provwatch must match.
type ModelsStatus struct {
	ConfigPath      string            `json:"configPath"`
	AgentID         string            `json:"agentId,omitempty"`
	DefaultModel    string            `json:"defaultModel"`
	ResolvedDefault string            `json:"resolvedDefault"`
	Fallbacks       []string          `json:"fallbacks"`
	Aliases         map[string]string `json:"aliases"`
	Allowed         []string          `json:"allowed"`
	ModelConfig     *struct {
		DefaultSource   string `json:"defaultSource"`
		FallbacksSource string `json:"fallbacksSource"`
	} `json:"modelConfig,omitempty"`
	Auth struct {
		ModelRouteIssues []struct {
			Kind     string `json:"kind"`
			Provider string `json:"provider"`
			Model    string `json:"model"`
		} `json:"modelRouteIssues"`
	} `json:"auth"`
	// Raw is the whole document, Result the command that printed it.
	Raw    json.RawMessage `json:"-"`
	Result Result          `json:"-"`
}

// ModelsStatus runs `openclaw models status --json [--agent agentID]`.
// The error says why when the command printed no status (an invalid
// config, an unknown agent); Result is filled either way.
func (c *CLI) ModelsStatus(ctx context.Context, configPath, agentID string) (*ModelsStatus, error) {
	args := []string{"models", "status", "--json"}
	if agentID != "" {
		args = append(args, "--agent", agentID)
	}
	res, err := c.Run(ctx, configPath, args...)
	st := &ModelsStatus{Result: res}
	if err != nil {
		return st, err
	}
	raw, err := firstJSON(res.Stdout)
	if err != nil || res.ExitCode != 0 {
		return st, fmt.Errorf("openclaw %s exited %d: %s", strings.Join(args, " "), res.ExitCode, firstLines(res.Stderr, 6))
	}
	if err := json.Unmarshal(raw, st); err != nil {
		return st, fmt.Errorf("openclaw %s: decode: %w", strings.Join(args, " "), err)
	}
	st.Raw = raw
	return st, nil
}

// Issue is one config problem or warning at a config path.
type Issue struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

// Validation is `openclaw config validate --json`.
type Validation struct {
	Valid    bool    `json:"valid"`
	Path     string  `json:"path"`
	Warnings []Issue `json:"warnings"`
	Issues   []Issue `json:"issues"`
	Error    *struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
	Raw    json.RawMessage `json:"-"`
	Result Result          `json:"-"`
}

// ConfigValidate runs `openclaw config validate --json`. An invalid config
// is a Validation with Valid false, not an error.
func (c *CLI) ConfigValidate(ctx context.Context, configPath string) (*Validation, error) {
	res, err := c.Run(ctx, configPath, "config", "validate", "--json")
	v := &Validation{Result: res}
	if err != nil {
		return v, err
	}
	raw, err := firstJSON(res.Stdout)
	if err != nil {
		return v, fmt.Errorf("openclaw config validate exited %d without JSON: %s", res.ExitCode, firstLines(res.Stderr, 6))
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return v, fmt.Errorf("openclaw config validate: decode: %w", err)
	}
	v.Raw = raw
	return v, nil
}

// firstJSON returns the first JSON value on stdout (the CLI prints one).
func firstJSON(stdout string) (json.RawMessage, error) {
	i := strings.IndexAny(stdout, "{[")
	if i < 0 {
		return nil, errNoJSON
	}
	var raw json.RawMessage
	if err := json.NewDecoder(strings.NewReader(stdout[i:])).Decode(&raw); err != nil {
		return nil, err
	}
	return raw, nil
}

func firstLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = append(lines[:n], "…")
	}
	return strings.Join(lines, "\n")
}
