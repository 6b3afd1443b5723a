// Package cli is what provwatch's commands share on the command line: the
// exit statuses (docs/reference.md §1), the flags every command takes, the
// logger they configure, and how an error becomes a status and a line on
// stderr. cmd/provwatch and the follow-only binary both use it, so it
// links nothing heavier than zerolog.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"

	"github.com/provwatch/provwatch/configs"
)

// Exit statuses shared by every command.
const (
	ExitOK       = 0
	ExitSome     = 1
	ExitNone     = 2
	ExitUsage    = 64
	ExitConfig   = 78
	ExitSoftware = 70 // an unexpected internal failure
)

// ExitError carries a status to main. An empty Err prints nothing.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// UsageErr is a usage error (64) saying what is wrong with the command line.
func UsageErr(format string, a ...any) error {
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf(format, a...)}
}

// StatusErr ends a command with a status and no message.
func StatusErr(code int) error {
	if code == ExitOK {
		return nil
	}
	return &ExitError{Code: code, Err: errors.New("")}
}

// Status is the exit status of an error: its own for an ExitError, 78
// for configuration errors, 70 otherwise.
func Status(err error) int {
	var ee *ExitError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ee):
		return ee.Code
	case errors.Is(err, configs.ErrConfig):
		return ExitConfig
	}
	return ExitSoftware
}

// ExitCode prints err (if any) on stderr and maps it to a status.
func ExitCode(err error, stderr io.Writer) int {
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		if ee.Err != nil && ee.Err.Error() != "" {
			fmt.Fprintf(stderr, "provwatch: %v\n", ee.Err)
		}
		return ee.Code
	}
	fmt.Fprintf(stderr, "provwatch: %v\n", err)
	return Status(err)
}

// ParseFlags parses a command's flags; a bad flag is a usage error (64),
// --help ends the command with 0.
func ParseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return &ExitError{Code: ExitOK, Err: errors.New("")}
		}
		return &ExitError{Code: ExitUsage, Err: errors.New("")} // flag already printed why
	}
	if fs.NArg() > 0 {
		return UsageErr("%s: unexpected argument %q (flags only; see --help)", fs.Name(), fs.Arg(0))
	}
	return nil
}

// CommonFlags are accepted by every command. LogLevel and LogFormat may
// be set before Register to change their defaults.
type CommonFlags struct {
	OpenClawConfig string
	Config         string
	LogLevel       string
	LogFormat      string
}

// Register adds the flags to fs.
func (c *CommonFlags) Register(fs *flag.FlagSet) {
	fs.StringVar(&c.OpenClawConfig, "openclaw-config", "", "OpenClaw config: a file or ssm:/parameter/name")
	fs.StringVar(&c.Config, "config", "", "provwatch settings file (YAML)")
	// The variables are read in Logger, not as the flags' defaults, so
	// that a bad value is reported against the variable that holds it.
	levelUsage := "log level: debug, info, warn, error (env PROVWATCH_LOG_LEVEL; default info)"
	if c.LogLevel != "" { // a command's own preset, which the flag package shows as the default
		levelUsage = "log level: debug, info, warn, error"
	}
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, levelUsage)
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "log format: json or console (env PROVWATCH_LOG_FORMAT; default: console on a terminal)")
}

// Logger is the command's logger on stderr, from the flags or else
// PROVWATCH_LOG_LEVEL and PROVWATCH_LOG_FORMAT read through getenv (nil:
// os.Getenv).
func (c *CommonFlags) Logger(stderr io.Writer, getenv func(string) string) (zerolog.Logger, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	level, badLevel := logSetting(c.LogLevel, "log-level", "PROVWATCH_LOG_LEVEL", getenv)
	if level == "" {
		level = "info"
	}
	lvl, err := zerolog.ParseLevel(strings.ToLower(level))
	if err != nil || lvl == zerolog.NoLevel {
		return zerolog.Nop(), badLevel("debug, info, warn or error")
	}
	format, badFormat := logSetting(c.LogFormat, "log-format", "PROVWATCH_LOG_FORMAT", getenv)
	var w io.Writer = stderr
	switch format {
	case "json":
	case "console":
		w = zerolog.ConsoleWriter{Out: stderr, TimeFormat: time.TimeOnly, NoColor: !isTerminal(stderr)}
	case "":
		if isTerminal(stderr) {
			w = zerolog.ConsoleWriter{Out: stderr, TimeFormat: time.TimeOnly}
		}
	default:
		return zerolog.Nop(), badFormat("json or console")
	}
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger(), nil
}

// logSetting is a logging flag's value and where it came from: the flag
// (a bad value is a usage error, 64) or its variable (a configuration
// error, 78, naming the variable).
func logSetting(flagValue, flagName, envName string, getenv func(string) string) (value string, bad func(want string) error) {
	if flagValue != "" {
		return flagValue, func(want string) error { return UsageErr("--%s %q: want %s", flagName, flagValue, want) }
	}
	v := getenv(envName)
	return v, func(want string) error {
		return &configs.Error{File: envName, Msg: fmt.Sprintf("%q is not a valid value", v), Hint: "want " + want + ", or unset it"}
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}
