package cli

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"strings"
	"testing"

	"github.com/provwatch/provwatch/configs"
)

// TestLogger: the flags win over the variables, read through the getenv
// given; a bad flag is a usage error, a bad variable a configuration
// error naming it.
func TestLogger(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		level, form string
		env         map[string]string
		status      int
		want        string // in the error, or in the line logged at warn
	}{
		{"defaults", "", "", nil, ExitOK, `"level":"warn"`},
		{"variables", "", "", map[string]string{"PROVWATCH_LOG_LEVEL": "warn", "PROVWATCH_LOG_FORMAT": "json"}, ExitOK, `"message":"seen"`},
		{"variable level too high", "", "", map[string]string{"PROVWATCH_LOG_LEVEL": "error"}, ExitOK, ""},
		{"flag wins over a bad variable", "warn", "", map[string]string{"PROVWATCH_LOG_LEVEL": "loud"}, ExitOK, `"level":"warn"`},
		{"console", "", "console", nil, ExitOK, "WRN seen"},
		{"bad level variable", "", "", map[string]string{"PROVWATCH_LOG_LEVEL": "loud"}, ExitConfig, `PROVWATCH_LOG_LEVEL: "loud" is not a valid value`},
		{"bad format variable", "", "", map[string]string{"PROVWATCH_LOG_FORMAT": "xml"}, ExitConfig, `PROVWATCH_LOG_FORMAT: "xml" is not a valid value`},
		{"bad level flag", "loud", "", nil, ExitUsage, `--log-level "loud": want debug, info, warn or error`},
		{"bad format flag", "", "xml", nil, ExitUsage, `--log-format "xml": want json or console`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := CommonFlags{LogLevel: tc.level, LogFormat: tc.form}
			var out bytes.Buffer
			log, err := c.Logger(&out, func(k string) string { return tc.env[k] })
			if got := Status(err); got != tc.status {
				t.Fatalf("Logger = %v: status %d, want %d", err, got, tc.status)
			}
			if err != nil {
				if !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("Logger = %v, want %q", err, tc.want)
				}
				return
			}
			log.Warn().Msg("seen")
			if tc.want == "" && out.Len() != 0 || !strings.Contains(out.String(), tc.want) {
				t.Fatalf("logged %q, want %q", out.String(), tc.want)
			}
		})
	}
}

// TestExitCode: what main prints and returns for each kind of error.
func TestExitCode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err    error
		status int
		stderr string
	}{
		{nil, ExitOK, ""},
		{StatusErr(ExitNone), ExitNone, ""},
		{StatusErr(ExitOK), ExitOK, ""},
		{UsageErr("follow: --from: %s", "missing"), ExitUsage, "provwatch: follow: --from: missing\n"},
		{fmt.Errorf("wrapped: %w", &ExitError{Code: ExitSome, Err: errors.New("source unreadable")}), ExitSome, "provwatch: source unreadable\n"},
		{&configs.Error{File: "PROVWATCH_FOLLOW_EVERY", Msg: `"soon" is not a positive duration`}, ExitConfig, "provwatch: PROVWATCH_FOLLOW_EVERY: \"soon\" is not a positive duration\n"},
		{errors.New("boom"), ExitSoftware, "provwatch: boom\n"},
	} {
		var stderr bytes.Buffer
		if got := ExitCode(tc.err, &stderr); got != tc.status || stderr.String() != tc.stderr {
			t.Errorf("ExitCode(%v) = %d, %q; want %d, %q", tc.err, got, stderr.String(), tc.status, tc.stderr)
		}
	}
}

// TestParseFlags: --help is 0, a bad flag or an argument 64.
func TestParseFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args   []string
		status int
	}{
		{[]string{"--once"}, ExitOK},
		{[]string{"--help"}, ExitOK},
		{[]string{"--twice"}, ExitUsage},
		{[]string{"--once", "extra"}, ExitUsage},
	} {
		fs := flag.NewFlagSet("follow", flag.ContinueOnError)
		fs.Bool("once", false, "")
		var stderr bytes.Buffer
		if got := Status(ParseFlags(fs, tc.args, &stderr)); got != tc.status {
			t.Errorf("ParseFlags(%q) = status %d, want %d (stderr %q)", tc.args, got, tc.status, stderr.String())
		}
	}
}

// TestLogLevelUsage: the help names the variable and its default only
// when the flag has no preset; a command that presets the level (demo)
// shows its own default, and no variable it does not read.
func TestLogLevelUsage(t *testing.T) {
	for _, tc := range []struct{ preset, want, not string }{
		{"", "(env PROVWATCH_LOG_LEVEL; default info)", ""},
		{"warn", "", "PROVWATCH_LOG_LEVEL"},
	} {
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		c := CommonFlags{LogLevel: tc.preset}
		c.Register(fs)
		f := fs.Lookup("log-level")
		if f.DefValue != tc.preset || !strings.Contains(f.Usage, tc.want) || (tc.not != "" && strings.Contains(f.Usage, tc.not)) {
			t.Errorf("preset %q: default %q, usage %q; want the preset, %q and not %q", tc.preset, f.DefValue, f.Usage, tc.want, tc.not)
		}
	}
}
