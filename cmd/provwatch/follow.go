package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/internal/cli"
	"github.com/provwatch/provwatch/internal/follow"
)

// cmdFollow is `provwatch follow`: apply the published order to the
// gateway's own config file, then keep following it (docs/follow.md).
func cmdFollow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c commonFlags
	var from, into string
	var every time.Duration
	var once bool
	fs := flag.NewFlagSet("follow", flag.ContinueOnError)
	c.Register(fs)
	fs.StringVar(&from, "from", os.Getenv("PROVWATCH_FOLLOW_FROM"), "where run/once publish the order: ssm:/parameter/name or file:/path (env PROVWATCH_FOLLOW_FROM)")
	fs.StringVar(&into, "into", os.Getenv("PROVWATCH_FOLLOW_INTO"), "the gateway's config: openclaw:/path/openclaw.json (env PROVWATCH_FOLLOW_INTO)")
	fs.DurationVar(&every, "every", follow.DefaultEvery, "how often to read the source, with jitter (env PROVWATCH_FOLLOW_EVERY)")
	fs.BoolVar(&once, "once", false, "apply the order once and exit: 0 applied or nothing to do, 1 source unreadable or not an order, 78 bad config")
	if v := os.Getenv("PROVWATCH_FOLLOW_EVERY"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return &configs.Error{File: "PROVWATCH_FOLLOW_EVERY", Msg: fmt.Sprintf("%q is not a positive duration", v), Hint: "e.g. 5s"}
		}
		every = d
	}
	if err := cli.ParseFlags(fs, args, stderr); err != nil {
		return err
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
	log, err := c.Logger(stderr, os.Getenv)
	if err != nil {
		return err
	}
	if _, err := os.Stat(dst.Path); err != nil {
		return &configs.Error{File: dst.Path, Msg: "the gateway's config cannot be read: " + err.Error(),
			Hint: "point --into at the openclaw.json the gateway reads, and start follow after whatever writes it"}
	}
	e := &env{log: log, getenv: os.Getenv}
	opt := follow.Options{From: src, Into: dst.Path, Every: every, Log: log, Getenv: os.Getenv}
	if src.Scheme == configs.SchemeSSM {
		cli, err := e.params(ctx)
		if err != nil {
			return &configs.Error{File: src.String(), Msg: "cannot reach SSM: " + err.Error(), Hint: "set AWS_REGION and credentials"}
		}
		opt.SSM = cli
	}
	f := follow.New(opt)
	if !once {
		log.Info().Str("from", src.String()).Str("into", dst.Path).Dur("every", every).Msg("provwatch follow running")
		return f.Run(ctx)
	}
	out, err := f.Step(ctx)
	switch {
	case errors.Is(err, follow.ErrTarget):
		return &cli.ExitError{Code: cli.ExitConfig, Err: err}
	case err != nil:
		return &cli.ExitError{Code: cli.ExitSome, Err: err}
	case out.Written:
		fmt.Fprintf(stdout, "applied %s to %s\n", out.Order.Text(), dst.Path)
	default:
		fmt.Fprintf(stdout, "%s already holds %s\n", dst.Path, out.Order.Text())
	}
	return nil
}
