package follow

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/internal/cli"
	"github.com/provwatch/provwatch/internal/ssmparam"
)

// Env is what Main takes from the process that runs it.
type Env struct {
	Stdout, Stderr io.Writer
	// Getenv reads PROVWATCH_FOLLOW_*, PROVWATCH_LOG_* and the gateway
	// file's ${VAR}s; nil: os.Getenv.
	Getenv func(string) string
	// NewGetter builds the Parameter Store client for an ssm: source; it
	// is called only for one. Each binary brings its own: provwatch the
	// SDK's, the follow-only binary a client that signs GetParameter
	// itself.
	NewGetter func(ctx context.Context) (ssmparam.Getter, error)
}

// Main is the follow command: args are its flags (what follows the word
// `follow`). It returns the exit status (docs/reference.md §8): 0 after a
// clean shutdown on SIGTERM or SIGINT or when --once applied the order or
// found it applied, 1 when --once could not read the source or found no
// usable order in it, 64 for a usage error, 78 for a bad configuration.
// `provwatch follow` and the follow-only binary both run it, so they take
// the same flags and variables and log the same lines.
func Main(ctx context.Context, args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	return cli.ExitCode(command(ctx, args, env), env.Stderr)
}

func command(ctx context.Context, args []string, env Env) error {
	var c cli.CommonFlags
	var from, into string
	var every time.Duration
	var once bool
	fs := flag.NewFlagSet("follow", flag.ContinueOnError)
	c.Register(fs)
	fs.StringVar(&from, "from", env.Getenv("PROVWATCH_FOLLOW_FROM"), "where run/once publish the order: ssm:/parameter/name or file:/path (env PROVWATCH_FOLLOW_FROM)")
	fs.StringVar(&into, "into", env.Getenv("PROVWATCH_FOLLOW_INTO"), "the gateway's config: openclaw:/path/openclaw.json (env PROVWATCH_FOLLOW_INTO)")
	fs.DurationVar(&every, "every", DefaultEvery, "how often to read the source, with jitter (env PROVWATCH_FOLLOW_EVERY)")
	fs.BoolVar(&once, "once", false, "apply the order once and exit: 0 applied or nothing to do, 1 source unreadable or not an order, 78 bad config")
	if err := cli.ParseFlags(fs, args, env.Stderr); err != nil {
		return err
	}
	// The variable is read only without the flag, so that the flag wins
	// even over a bad value, as it does for the other variables.
	if v := env.Getenv("PROVWATCH_FOLLOW_EVERY"); v != "" && !isSet(fs, "every") {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return &configs.Error{File: "PROVWATCH_FOLLOW_EVERY", Msg: fmt.Sprintf("%q is not a positive duration", v), Hint: "e.g. 5s"}
		}
		every = d
	}
	if every <= 0 {
		return cli.UsageErr("follow: --every %s: must be a positive duration", every)
	}
	src, err := configs.ParseLocation(from, configs.SchemeSSM, configs.SchemeFile)
	if err != nil {
		return cli.UsageErr("follow: --from: %v", err)
	}
	dst, err := configs.ParseLocation(into, configs.SchemeOpenClaw)
	if err != nil {
		return cli.UsageErr("follow: --into: %v", err)
	}
	log, err := c.Logger(env.Stderr, env.Getenv)
	if err != nil {
		return err
	}
	if _, err := os.Stat(dst.Path); err != nil {
		return &configs.Error{File: dst.Path, Msg: "the gateway's config cannot be read: " + err.Error(),
			Hint: "point --into at the openclaw.json the gateway reads, and start follow after whatever writes it"}
	}
	opt := Options{From: src, Into: dst.Path, Every: every, Log: log, Getenv: env.Getenv}
	if src.Scheme == configs.SchemeSSM {
		getter, err := newGetter(ctx, env)
		if err != nil {
			return &configs.Error{File: src.String(), Msg: "cannot reach SSM: " + err.Error(), Hint: "set AWS_REGION and credentials"}
		}
		opt.SSM = getter
	}
	f := New(opt)
	if !once {
		log.Info().Str("from", src.String()).Str("into", dst.Path).Dur("every", every).Msg("provwatch follow running")
		return f.Run(ctx)
	}
	out, err := f.Step(ctx)
	switch {
	case errors.Is(err, ErrTarget):
		return &cli.ExitError{Code: cli.ExitConfig, Err: err}
	case err != nil:
		return &cli.ExitError{Code: cli.ExitSome, Err: err}
	case out.Written:
		fmt.Fprintf(env.Stdout, "applied %s to %s\n", out.Order.Text(), dst.Path)
	default:
		fmt.Fprintf(env.Stdout, "%s already holds %s\n", dst.Path, out.Order.Text())
	}
	return nil
}

// isSet reports whether the command line set the flag.
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func newGetter(ctx context.Context, env Env) (ssmparam.Getter, error) {
	if env.NewGetter == nil {
		return nil, errors.New("this build has no SSM client")
	}
	return env.NewGetter(ctx)
}
