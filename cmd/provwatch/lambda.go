package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/provwatch/provwatch/internal/cli"
	"github.com/provwatch/provwatch/internal/engine"
	"github.com/provwatch/provwatch/reporter"
)

// lambdaMain serves as the Lambda handler (docs/reference.md §1): configured
// through PROVWATCH_* variables, each invocation one `once` cycle, any
// JSON payload accepted, the JSON report returned.
func lambdaMain(stderr io.Writer) int {
	var c commonFlags
	c.LogFormat = "json" // PROVWATCH_LOG_LEVEL still applies, read by the logger
	ctx := context.Background()
	e, err := c.load(ctx, stderr, false)
	if err != nil {
		return cli.ExitCode(err, stderr)
	}
	handler := func(ctx context.Context, _ json.RawMessage) (*reporter.Report, error) {
		// A fresh engine per invocation: state comes from the store, so
		// concurrent or recycled execution environments agree on it.
		opt, closeSinks, err := e.engineOptions(ctx, "once", os.Stdout, false)
		if err != nil {
			return nil, err
		}
		defer closeSinks()
		rep, err := engine.New(opt).Once(ctx)
		if err != nil {
			return nil, fmt.Errorf("provwatch cycle: %w", err)
		}
		return rep, nil
	}
	lambda.Start(handler)
	return cli.ExitOK // not reached: lambda.Start serves until the runtime stops the process
}
