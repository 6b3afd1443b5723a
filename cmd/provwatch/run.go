package main

import (
	"context"
	"flag"
	"io"
	"os"
	"os/signal"
	"sync"
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
	// A reload builds beside the daemon (and may be given up), so what the
	// builds share is guarded.
	var mu sync.Mutex
	var log zerolog.Logger
	build := func(ctx context.Context) (*engine.Engine, error) {
		e, err := c.load(ctx, stderr, false)
		if err != nil {
			return nil, err
		}
		opt, closeSinks, err := e.engineOptions(ctx, "run", stdout, dryRun)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		log = e.log
		mu.Unlock()
		opt.Close = closeSinks
		opt.Sinks = append(opt.Sinks, prom)
		opt.OnEvent = func(ev remediate.Event) {
			history.AddEvent(ev)
			if onEvent != nil {
				onEvent(ev)
			}
		}
		return engine.New(opt), nil
	}
	eng, err := build(ctx)
	if err != nil {
		return err
	}
	s := eng.Settings()
	d := daemon.New(daemon.Options{
		Engine: eng, Listen: s.HTTP.Listen, Log: log,
		Metrics: prom.Handler(), History: history,
		Reload: build, Hangup: hangup, OnListen: onListen,
	})
	return d.Run(ctx)
}
