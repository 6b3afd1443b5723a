package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/internal/cli"
	"github.com/provwatch/provwatch/internal/engine"
	"github.com/provwatch/provwatch/notify"
	"github.com/provwatch/provwatch/remediate"
	"github.com/provwatch/provwatch/reporter"
)

// notifyCloseTimeout is the part of the sinkCloseTimeout budget given to
// delivering the last notifications at exit; the metrics flush gets the
// rest, so the whole shutdown stays within the daemon's bound.
const notifyCloseTimeout = 4 * time.Second

// notifier builds the notify: destinations' Notifier; nil when none are
// configured.
func (e *env) notifier(ctx context.Context) (*notify.Notifier, error) {
	if len(e.settings.Notify) == 0 {
		return nil, nil
	}
	dests, err := notify.Build(ctx, e.settings.Notify, notify.Deps{SNS: func(ctx context.Context) (notify.SNSAPI, error) {
		cfg, err := e.aws(ctx)
		if err != nil {
			return nil, err
		}
		return sns.NewFromConfig(cfg), nil
	}})
	if err != nil {
		return nil, err
	}
	return notify.New(dests, notify.Options{Log: e.log.With().Str("component", "notify").Logger()}), nil
}

// failureCount is a sink placed before the others: it puts the
// notifications given up since the last report into the report, for the
// CloudWatch/EMF metric and the Prometheus counter.
type failureCount struct{ n *notify.Notifier }

func (f failureCount) Publish(_ context.Context, r *reporter.Report) error {
	r.NotificationsFailed = f.n.TakeFailed()
	return nil
}

func (failureCount) Close(context.Context) error { return nil }

// wireNotifier makes opt tell n about every round, and count n's failures
// in the metrics; closeNotifier is what to run at exit before the sinks
// close.
func wireNotifier(opt *engine.Options, n *notify.Notifier) {
	opt.Sinks = append([]reporter.Sink{failureCount{n}}, opt.Sinks...)
	opt.OnRound = func(rep *reporter.Report, evs []remediate.Event) { n.Round(notify.RoundOf(rep, evs)) }
}

// closeNotifier delivers what is queued within its share of ctx, then
// publishes the failures counted since the last report to the sinks that
// take loose data.
func (e *env) closeNotifier(ctx context.Context, n *notify.Notifier, sinks []reporter.Sink) {
	nctx, cancel := context.WithTimeout(ctx, notifyCloseTimeout)
	defer cancel()
	if err := n.Close(nctx); err != nil {
		e.log.Warn().Err(err).Msg("notifications still queued at exit were not all delivered")
	}
	k := n.TakeFailed()
	if k == 0 {
		return
	}
	data := reporter.NotificationsFailedData(k, e.settings.Metrics, time.Now())
	for _, s := range sinks {
		if ds, ok := s.(reporter.DataSink); ok {
			if err := ds.PublishData(ctx, data); err != nil {
				e.log.Warn().Err(err).Msg("publishing the NotificationsFailed metric at exit failed")
			}
		}
	}
}

// cmdNotify is `provwatch notify --test`: one sample message to every
// destination, one line per result.
func cmdNotify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c commonFlags
	var test bool
	fs := flag.NewFlagSet("notify", flag.ContinueOnError)
	c.Register(fs)
	fs.BoolVar(&test, "test", false, "send one sample message to every notify: destination and report each result")
	if err := cli.ParseFlags(fs, args, stderr); err != nil {
		return err
	}
	if !test {
		return cli.UsageErr("notify: nothing to do; pass --test to send a sample message to every destination")
	}
	log, err := c.Logger(stderr, os.Getenv)
	if err != nil {
		return err
	}
	path := firstNonEmpty(c.Config, os.Getenv("PROVWATCH_CONFIG"))
	s, err := configs.LoadSettings(path, os.Getenv)
	if err != nil {
		return err
	}
	if len(s.Notify) == 0 {
		return &configs.Error{File: firstNonEmpty(path, "settings"), Path: "notify", Msg: "no destinations are configured",
			Hint: "add a notify: list to the settings or set PROVWATCH_NOTIFY (docs/notifications.md)"}
	}
	e := &env{settings: s, log: log}
	n, err := e.notifier(ctx)
	if err != nil {
		return err
	}
	results := n.Test(ctx, notify.Sample(time.Now()))
	_ = n.Close(ctx)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	failed := 0
	for _, r := range results {
		if r.Err != nil {
			failed++
			fmt.Fprintf(tw, "%s\tfailed: %v\n", r.Name, r.Err)
			continue
		}
		fmt.Fprintf(tw, "%s\tok\n", r.Name)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if failed > 0 {
		return cli.StatusErr(cli.ExitSome)
	}
	return nil
}
