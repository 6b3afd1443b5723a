// Command provwatch keeps an OpenClaw deployment's model fallback chain
// pointed at models that work. See the README and docs/reference.md for the commands.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/provwatch/provwatch/internal/cli"
	"github.com/provwatch/provwatch/internal/follow"
)

// Set by the linker: -X main.version=… -X main.commit=…
var (
	version = ""
	commit  = ""
)

const usageText = `provwatch keeps an OpenClaw deployment's model fallback chain pointed at models that work.

Usage: provwatch <command> [flags]

Commands:
  check        probe every configured provider once and print a report; changes nothing
  once         one full cycle: probe, evaluate with saved state, publish metrics, remediate
  run          the daemon: cycles on a schedule, serves /healthz /metrics /status and a status page
  demo         a one-minute simulated failover and restore on loopback, with a status page
  validate     load and validate all configuration; probe nothing
  healthcheck  ask the running daemon's /healthz (for container health checks)
  follow       apply the published order to a running gateway's config, and keep following it
  notify       --test: send a sample message to every notify: destination and report each result
  version      print version, commit and Go version

Flags for every command:
  --openclaw-config PATH   OpenClaw config file or ssm:/parameter/name
  --config PATH            provwatch settings (YAML)
  --log-level LEVEL        debug, info, warn, error (default info)
  --log-format FORMAT      json or console (default: console on a terminal, else json)
check and once:  --json  --provider ID (repeatable)
once and run:    --dry-run
follow:          --from ssm:/param|file:/path  --into openclaw:/path  [--every 5s]  [--once]

Exit status: 0 all monitored models healthy, 1 some degraded or down, 2 none healthy,
64 usage error, 70 internal failure, 78 configuration error.
Run 'provwatch <command> --help' for a command's flags.
`

func main() {
	os.Exit(runMain(os.Args[1:], os.Stdout, os.Stderr))
}

func runMain(args []string, stdout, stderr io.Writer) int {
	// Under AWS Lambda the binary is started as `bootstrap` with no arguments.
	if os.Getenv("AWS_LAMBDA_RUNTIME_API") != "" && (len(args) == 0 || args[0] == "once") {
		return lambdaMain(stderr)
	}
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return cli.ExitUsage
	}
	cmd, rest := args[0], args[1:]
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var err error
	switch cmd {
	case "check":
		err = cmdCheck(ctx, rest, stdout, stderr)
	case "once":
		err = cmdOnce(ctx, rest, stdout, stderr)
	case "run":
		err = cmdRun(ctx, rest, stdout, stderr)
	case "demo":
		err = cmdDemo(ctx, rest, stdout, stderr)
	case "validate":
		err = cmdValidate(ctx, rest, stdout, stderr)
	case "follow":
		return follow.Main(ctx, rest, followEnv(stdout, stderr))
	case "healthcheck":
		err = cmdHealthcheck(ctx, rest, stdout, stderr)
	case "notify":
		err = cmdNotify(ctx, rest, stdout, stderr)
	case "version", "--version":
		err = cmdVersion(rest, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usageText)
		return cli.ExitOK
	default:
		fmt.Fprintf(stderr, "provwatch: unknown command %q\n\n%s", cmd, usageText)
		return cli.ExitUsage
	}
	return cli.ExitCode(err, stderr)
}
