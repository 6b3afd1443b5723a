package main

import (
	"context"
	"flag"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/rs/zerolog"

	"github.com/provwatch/provwatch/internal/cli"
	"github.com/provwatch/provwatch/internal/daemon"
	"github.com/provwatch/provwatch/internal/engine"
	"github.com/provwatch/provwatch/remediate"
	"github.com/provwatch/provwatch/reporter"
)

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c commonFlags
	var dryRun bool
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	c.Register(fs)
	fs.BoolVar(&dryRun, "dry-run", false, "compute and report the new order, write nothing")
	if err := cli.ParseFlags(fs, args, stderr); err != nil {
		return err
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	hangup := make(chan struct{}, 1)
	go func() {
		for range hup {
			select {
			case hangup <- struct{}{}:
			default:
			}
		}
	}()
	return runDaemon(ctx, &c, dryRun, stdout, stderr, hangup, nil, nil)
}

// runDaemon builds the engine and serves until ctx ends. onListen and
// onEvent let the demo print the address and each change.
func runDaemon(ctx context.Context, c *commonFlags, dryRun bool, stdout, stderr io.Writer,
	hangup <-chan struct{}, onListen func(string), onEvent func(remediate.Event)) error {
	prom := reporter.NewPrometheus()
	history := reporter.NewHistory(0, 0)
	build := func(ctx context.Context) (*engine.Engine, zerolog.Logger, error) {
		e, err := c.load(ctx, stderr, false)
		if err != nil {
			return nil, zerolog.Logger{}, err
		}
		opt, closeSinks, err := e.engineOptions(ctx, "run", stdout, dryRun)
		if err != nil {
			return nil, zerolog.Logger{}, err
		}
		opt.Close = closeSinks
		opt.Sinks = append(opt.Sinks, prom)
		opt.OnEvent = func(ev remediate.Event) {
			history.AddEvent(ev)
			if onEvent != nil {
				onEvent(ev)
			}
		}
		return engine.New(opt), e.log, nil
	}
	eng, log, err := build(ctx)
	if err != nil {
		return err
	}
	// A reload's logger would be this one again: it comes from the flags
	// and the process's environment, which do not change.
	reload := func(ctx context.Context) (*engine.Engine, error) {
		e, _, err := build(ctx)
		return e, err
	}
	d := daemon.New(daemon.Options{
		Engine: eng, Listen: eng.Settings().HTTP.Listen, Log: log,
		Metrics: prom.Handler(), History: history,
		Reload: reload, Hangup: hangup, OnListen: onListen,
	})
	return d.Run(ctx)
}
