package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/internal/cli"
	"github.com/provwatch/provwatch/internal/engine"
	"github.com/provwatch/provwatch/remediate"
	"github.com/provwatch/provwatch/reporter"
)

func cmdCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c commonFlags
	var asJSON bool
	var only providerList
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	c.Register(fs)
	fs.BoolVar(&asJSON, "json", false, "print the JSON report instead of the table")
	fs.Var(&only, "provider", "probe only this provider id (repeatable)")
	if err := cli.ParseFlags(fs, args, stderr); err != nil {
		return err
	}
	e, err := c.load(ctx, stderr, true)
	if err != nil {
		return err
	}
	if err := e.checkProviderFilter(only); err != nil {
		return err
	}
	rep := engine.Check(ctx, engine.Options{
		OpenClaw: e.oc, Settings: e.settings, Prober: e.prober(), Log: e.log, Providers: only,
	})
	if err := writeReport(stdout, rep, asJSON, true); err != nil {
		return err
	}
	return cli.StatusErr(engine.ExitCode(rep))
}

func writeReport(w io.Writer, rep *reporter.Report, asJSON, check bool) error {
	if asJSON {
		return reporter.WriteJSON(w, rep)
	}
	f, _ := w.(*os.File)
	return reporter.WriteTable(w, rep, reporter.TableOptions{Color: f != nil && reporter.AutoColor(f), Check: check})
}

func cmdOnce(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c commonFlags
	var asJSON, dryRun bool
	var only providerList
	fs := flag.NewFlagSet("once", flag.ContinueOnError)
	c.Register(fs)
	fs.BoolVar(&asJSON, "json", false, "print the JSON report instead of the table")
	fs.Var(&only, "provider", "probe only this provider id (repeatable)")
	fs.BoolVar(&dryRun, "dry-run", false, "compute and report the new order, write nothing")
	if err := cli.ParseFlags(fs, args, stderr); err != nil {
		return err
	}
	e, err := c.load(ctx, stderr, false)
	if err != nil {
		return err
	}
	if err := e.checkProviderFilter(only); err != nil {
		return err
	}
	opt, closeSinks, err := e.engineOptions(ctx, "once", stdout, dryRun)
	if err != nil {
		return err
	}
	opt.Providers = only
	rep, err := engine.New(opt).Once(ctx)
	closeSinks()
	if err != nil {
		return err
	}
	if err := writeReport(stdout, rep, asJSON, false); err != nil {
		return err
	}
	return cli.StatusErr(engine.ExitCode(rep))
}

func cmdValidate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c commonFlags
	var asJSON bool
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	c.Register(fs)
	fs.BoolVar(&asJSON, "json", false, "print what was resolved as one JSON document (docs/output.md)")
	if err := cli.ParseFlags(fs, args, stderr); err != nil {
		return err
	}
	e, err := c.load(ctx, stderr, false)
	var check remediate.TargetCheck
	if err == nil {
		check, err = remediate.CheckTarget(ctx, e.settings.Remediation.Target, e.oc.Chains, os.Getenv)
		if err != nil {
			err = &configs.Error{File: firstNonEmpty(e.settings.Path, configs.EnvName("remediation.target")), Path: "remediation.target", Msg: err.Error(), Err: err}
		}
	}
	if asJSON {
		return writeValidateJSON(stdout, e, check, err)
	}
	if err != nil {
		return err
	}
	if e.oc.Path == "" {
		fmt.Fprintln(stdout, "No OpenClaw config found (pass --openclaw-config, or set OPENCLAW_CONFIG_PATH); settings only.")
	}
	if err := configsWriteSummary(stdout, e); err != nil {
		return err
	}
	if check.Location != "none" {
		fmt.Fprintf(stdout, "\nRemediation target %s: ", check.Location)
		if check.Checked {
			fmt.Fprintln(stdout, "can be written")
		} else {
			fmt.Fprintln(stdout, "not checked")
		}
		for _, n := range check.Notes {
			fmt.Fprintf(stdout, "  %s\n", n)
		}
	}
	fmt.Fprintln(stdout, "configuration is valid")
	return nil
}

// validateJSON is validate --json's document: the summary of what was
// resolved, and the remediation target's check.
type validateJSON struct {
	configs.Summary
	Target *remediate.TargetCheck `json:"target,omitempty"`
}

// writeValidateJSON prints one JSON document, valid or not, and returns
// the status: a configuration error still exits 78.
func writeValidateJSON(w io.Writer, e *env, check remediate.TargetCheck, loadErr error) error {
	var doc validateJSON
	if e != nil {
		doc.Summary = configs.Summarize(e.oc, e.settings)
		for _, msg := range e.envWarnings {
			doc.Warnings = append(doc.Warnings, configs.SummaryProblem{Message: msg})
		}
		if check.Location != "" {
			doc.Target = &check
		}
	} else {
		doc.Summary = configs.Summarize(nil, configs.Settings{})
	}
	if loadErr != nil {
		p := configs.ProblemOf(loadErr)
		doc.Valid, doc.Error = false, &p
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	if loadErr != nil {
		return &cli.ExitError{Code: cli.Status(loadErr), Err: loadErr} // stderr says it too
	}
	return nil
}

func cmdVersion(args []string, stdout, stderr io.Writer) error {
	// Every command takes the common flags (docs/reference.md §1); version
	// only checks the logging ones, as a bad value is an error everywhere.
	var c commonFlags
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	c.Register(fs)
	if err := cli.ParseFlags(fs, args, stderr); err != nil {
		return err
	}
	if _, err := c.Logger(stderr, nil); err != nil {
		return err
	}
	fmt.Fprint(stdout, cli.VersionLine("provwatch", version, commit))
	return nil
}

func cmdHealthcheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c commonFlags
	var url string
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	c.Register(fs)
	fs.StringVar(&url, "url", "", "health URL (default: /healthz on the http.listen address)")
	if err := cli.ParseFlags(fs, args, stderr); err != nil {
		return err
	}
	if url == "" {
		// Only the settings are needed; a broken OpenClaw config must not
		// make the container look unhealthy by itself.
		s, err := loadSettingsOnly(&c)
		if err != nil {
			return err
		}
		url = "http://" + dialAddr(s.HTTP.Listen) + "/healthz"
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return cli.UsageErr("--url %q: %v", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return &cli.ExitError{Code: 1, Err: fmt.Errorf("healthcheck: %v", err)}
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Reason string `json:"reason"`
	}
	// Healthy is a 200 whose whole body arrived in time and says "ok": a
	// body that stalls or is cut short is a daemon that is not answering.
	raw, readErr := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	decodeErr := json.Unmarshal(raw, &body)
	if resp.StatusCode != http.StatusOK {
		return &cli.ExitError{Code: 1, Err: fmt.Errorf("healthcheck: %s answered %d %s", url, resp.StatusCode, body.Reason)}
	}
	switch {
	case readErr != nil:
		return &cli.ExitError{Code: 1, Err: fmt.Errorf("healthcheck: %s answered 200 but its body did not arrive: %v", url, readErr)}
	case decodeErr != nil:
		return &cli.ExitError{Code: 1, Err: fmt.Errorf("healthcheck: %s answered 200 with a body that is not the health JSON (is something else listening there?)", url)}
	case body.Status != "ok":
		return &cli.ExitError{Code: 1, Err: fmt.Errorf("healthcheck: %s answered 200 but status %q, not \"ok\"", url, body.Status)}
	}
	fmt.Fprintln(stdout, "healthy")
	return nil
}

// dialAddr turns a listen address into one to dial on this host.
func dialAddr(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
