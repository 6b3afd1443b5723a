package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/internal/engine"
	"github.com/provwatch/provwatch/internal/ssmparam"
	"github.com/provwatch/provwatch/remediate"
	"github.com/provwatch/provwatch/reporter"
)

// sinkCloseTimeout bounds the final flush of notifications (up to
// notifyCloseTimeout of it) and metrics; with the daemon's 10 s cycle grace
// the whole shutdown stays within 20 s, under ECS's 30 s.
const sinkCloseTimeout = 8 * time.Second

func loadSettingsOnly(c *commonFlags) (configs.Settings, error) {
	return configs.LoadSettings(firstNonEmpty(c.Config, os.Getenv("PROVWATCH_CONFIG")), os.Getenv)
}

func configsWriteSummary(w io.Writer, e *env) error {
	if err := configs.WriteSummary(w, e.oc, e.settings); err != nil {
		return err
	}
	// The estimate is for the sink this environment would really use.
	s := e.settings
	if s.Metrics.Sink == "auto" {
		s.Metrics.Sink = "none"
		if awsRegionSet() {
			s.Metrics.Sink = "cloudwatch"
		}
	}
	if err := reporter.WriteCostSummary(w, e.oc, s); err != nil {
		return err
	}
	warnings := slices.Clone(e.envWarnings)
	for _, cw := range e.oc.Warnings {
		warnings = append(warnings, cw.String())
	}
	if len(warnings) > 0 {
		fmt.Fprintf(w, "\nWarnings (%d)\n", len(warnings))
		for _, warn := range warnings {
			fmt.Fprintf(w, "  %s\n", warn)
		}
	}
	return nil
}

// ssmFor returns an SSM client when loc needs one, else nil.
func (e *env) ssmFor(ctx context.Context, what string, loc configs.Location) (ssmparam.Client, error) {
	if loc.Scheme != configs.SchemeSSM {
		return nil, nil
	}
	ps, err := e.params(ctx)
	if err != nil {
		return nil, &configs.Error{File: e.settings.Path, Path: what, Msg: "needs AWS for " + loc.String() + ": " + err.Error(),
			Hint: "set AWS_REGION and credentials", Err: err}
	}
	return ps, nil
}

// engineOptions builds the target, state store and metric sinks of once/run.
func (e *env) engineOptions(ctx context.Context, cmd string, stdout io.Writer, dryRun bool) (engine.Options, func(), error) {
	s := e.settings
	opt := engine.Options{OpenClaw: e.oc, Settings: s, Prober: e.prober(), Log: e.log, DryRun: dryRun}

	if !s.Remediation.Target.Is(configs.SchemeNone, "") {
		ps, err := e.ssmFor(ctx, "remediation.target", s.Remediation.Target)
		if err != nil {
			return opt, nil, err
		}
		t, err := remediate.OpenTarget(s.Remediation.Target, ps, remediate.WithLogger(e.log))
		if err != nil {
			return opt, nil, err
		}
		opt.Target = t
	}
	state := s.State
	if state.Is(configs.SchemeAuto) {
		state = remediate.AutoState(cmd, s.Remediation.Target)
	}
	ps, err := e.ssmFor(ctx, "state", state)
	if err != nil {
		return opt, nil, err
	}
	store, err := remediate.OpenStore(state, cmd, s.Remediation.Target, ps)
	if err != nil {
		return opt, nil, err
	}
	opt.Store = store

	sinks, err := e.sinks(ctx, stdout)
	if err != nil {
		return opt, nil, err
	}
	opt.Sinks = sinks
	n, err := e.notifier(ctx)
	if err != nil {
		return opt, nil, err
	}
	if n != nil {
		wireNotifier(&opt, n)
	}
	closeAll := func() {
		cctx, cancel := context.WithTimeout(context.Background(), sinkCloseTimeout)
		defer cancel()
		if n != nil {
			// First, so failures it counts still reach the metrics.
			e.closeNotifier(cctx, n, opt.Sinks)
		}
		for _, sk := range opt.Sinks {
			if err := sk.Close(cctx); err != nil {
				e.log.Warn().Err(err).Msg("flushing metrics at exit failed; some data was not delivered")
			}
		}
	}
	return opt, closeAll, nil
}

// sinks returns the configured metric sink (docs/reference.md §2b metrics.sink).
func (e *env) sinks(ctx context.Context, stdout io.Writer) ([]reporter.Sink, error) {
	m := e.settings.Metrics
	sink := m.Sink
	if sink == "auto" {
		sink = "none"
		if awsRegionSet() {
			sink = "cloudwatch"
		}
	}
	switch sink {
	case "cloudwatch":
		cfg, err := e.aws(ctx)
		if err != nil {
			return nil, &configs.Error{File: e.settings.Path, Path: "metrics.sink", Msg: "cloudwatch needs AWS: " + err.Error(),
				Hint: "set AWS_REGION and credentials, or metrics.sink: emf or none", Err: err}
		}
		var opts []func(*cloudwatch.Options)
		if m.CloudWatch.Protocol == "json" || m.CloudWatch.Protocol == "query" {
			// These protocols exist for emulators, and moto gunzips twice.
			opts = append(opts, reporter.WithoutRequestCompression)
		}
		cli := reporter.NewCloudWatchClient(cfg, m.CloudWatch.Protocol, "", opts...)
		return []reporter.Sink{reporter.NewCloudWatch(cli, m, e.log)}, nil
	case "emf":
		return []reporter.Sink{reporter.NewEMF(stdout, m)}, nil
	}
	return nil, nil
}
