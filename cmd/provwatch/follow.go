package main

import (
	"context"
	"io"
	"os"

	"github.com/provwatch/provwatch/internal/follow"
	"github.com/provwatch/provwatch/internal/ssmparam"
)

// followEnv is what `provwatch follow` gives internal/follow's Main, which
// holds the whole command (docs/follow.md) so the follow-only binary runs
// the same: for an ssm: source, the SDK's Parameter Store client, with the
// same AWS configuration every other command loads.
func followEnv(stdout, stderr io.Writer) follow.Env {
	return follow.Env{
		Stdout: stdout, Stderr: stderr, Getenv: os.Getenv,
		NewGetter: func(ctx context.Context) (ssmparam.Getter, error) {
			return (&env{}).params(ctx)
		},
	}
}
