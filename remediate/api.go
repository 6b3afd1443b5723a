// Package remediate turns observations into health with hysteresis, orders
// the fallback chain by health, and writes the order to its target.
package remediate

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/probes"
)

// Order is exactly the shape of OpenClaw's agents.defaults.model.
type Order struct {
	Primary   string   `json:"primary"`
	Fallbacks []string `json:"fallbacks"`
}

// OrderOf returns a chain's configured order.
func OrderOf(c configs.Chain) Order {
	return Order{Primary: c.Primary, Fallbacks: append([]string{}, c.Fallbacks...)}
}

// Effective orders a configured chain by health: healthy first, then
// degraded, then down (left out when dropDown), each group in configured
// order. It is never empty, and is the configured order when nothing is healthy.
func Effective(configured Order, state func(ref string) probes.State, dropDown bool) Order {
	return configured
}

// ModelHealth is a model ref's evaluated health.
type ModelHealth struct {
	Ref    string        `json:"ref"`
	State  probes.State  `json:"state"`
	Reason probes.Reason `json:"reason"`
	Detail string        `json:"detail"`
	Since  time.Time     `json:"since"`
}

// Transition is a confirmed change of a model's state.
type Transition struct {
	Ref      string
	From, To probes.State
	Reason   probes.Reason
	Detail   string
	At       time.Time
}

// Tracker applies SPEC section 3's hysteresis to observations.
type Tracker struct{ cfg configs.Health }

// NewTracker returns an empty tracker.
func NewTracker(cfg configs.Health) *Tracker { return &Tracker{cfg: cfg} }

// Observe records one observation of a model and returns the confirmed
// transition it caused, or nil.
func (t *Tracker) Observe(now time.Time, obs probes.ModelResult) *Transition { return nil }

// Get returns a model's evaluated health.
func (t *Tracker) Get(ref string) (ModelHealth, bool) { return ModelHealth{}, false }

// Unconfirmed reports whether any of these refs has a latest observation
// that differs from its state, so it should be re-probed at recheck_interval.
func (t *Tracker) Unconfirmed(refs []string) bool { return false }

// MarshalJSON / UnmarshalJSON persist the tracker through a Store.
func (t *Tracker) MarshalJSON() ([]byte, error) { return []byte("{}"), nil }

// UnmarshalJSON restores a tracker saved by MarshalJSON.
func (t *Tracker) UnmarshalJSON([]byte) error { return nil }

// SSMAPI is the part of the SSM client targets and stores use.
type SSMAPI interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
	PutParameter(ctx context.Context, in *ssm.PutParameterInput, optFns ...func(*ssm.Options)) (*ssm.PutParameterOutput, error)
}

// Store keeps provwatch's state between cycles and processes.
type Store interface {
	// Load returns the saved bytes, or nil and no error when nothing was saved.
	Load(ctx context.Context) ([]byte, error)
	Save(ctx context.Context, data []byte) error
	String() string
}

// Target holds the effective order OpenClaw reads.
type Target interface {
	// Read returns the order the target holds now; exists is false when the
	// target does not exist yet (no parameter, no file).
	Read(ctx context.Context) (o Order, exists bool, err error)
	// Write stores the order; why is one human line (the SSM Description).
	Write(ctx context.Context, o Order, why string) error
	String() string
}
