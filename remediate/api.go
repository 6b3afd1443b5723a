// Package remediate orders the fallback chains by health and writes the
// order to its target: the stage after health tracking (package health).
//
// The pieces, one file each: plan.go (the ordering policy and the SSM
// Description line), event.go (the changes a round tells people),
// store_*.go (where the state survives between cycles), target_*.go (where
// the effective order goes).
package remediate

import (
	"context"
)

// Store keeps provwatch's state between cycles and processes.
type Store interface {
	// Load returns the saved bytes, or nil and no error when nothing was saved.
	Load(ctx context.Context) ([]byte, error)
	Save(ctx context.Context, data []byte) error
	String() string
}
