package remediate

import (
	"context"
	"errors"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/internal/ssmparam"
)

// ErrRaced marks a write that collided with another writer of the same
// target; the value there is not the one provwatch computed, and the next
// cycle compares and writes again.
var ErrRaced = errors.New("raced another writer")

// Target holds the effective orders OpenClaw reads.
type Target interface {
	// Read returns what the target holds now. An error means it could not
	// be read at all (unreachable, a file that does not parse): nothing is
	// written then. A missing or malformed value is no error: Held says so,
	// and the next Apply writes it.
	Read(ctx context.Context) (Held, error)
	// Apply writes the chains' effective orders, all in one write where the
	// target allows, and says which it wrote. Chains the target does not
	// hold are Skipped, with why.
	Apply(ctx context.Context, chains []ChainPlan) (Applied, error)
	String() string
}

// Held is what a target holds now.
type Held struct {
	// Orders holds the order of each chain the target holds, by chain name
	// (configs.DefaultsChain for ssm: and file: targets, which hold
	// agents.defaults.model only).
	Orders map[string]configs.Order
	// Malformed says, by chain name, why a value there could not be read as
	// an order: the next Apply replaces it (logged), so a bad value never
	// leaves remediation stuck.
	Malformed map[string]string
	// Config is true when the target is an OpenClaw config: its chains are
	// the operator's own, and an edit there changes what they prefer.
	Config bool
}

// Applied is what an Apply wrote.
type Applied struct {
	Written []string          // chain names written
	Skipped map[string]string // chain name → why it was left alone
	// Repaired names the chains whose malformed value was replaced.
	Repaired []string
}

// TargetOption adjusts a target opened by OpenTarget.
type TargetOption func(*targetOptions)

type targetOptions struct {
	log       zerolog.Logger
	getenv    func(string) string
	allowlist bool
}

// WithLogger sets where a target reports what is worth a person's look
// but is no error, such as an SSM write that raced another writer.
func WithLogger(l zerolog.Logger) TargetOption {
	return func(o *targetOptions) { o.log = l }
}

// WithGetenv sets how an openclaw: target reads ${VAR} while it resolves
// the file; the default is os.Getenv.
func WithGetenv(getenv func(string) string) TargetOption {
	return func(o *targetOptions) { o.getenv = getenv }
}

// WithAllowlist makes an openclaw: target add the refs it writes to a
// non-empty agents.defaults.models, as `follow` does.
func WithAllowlist() TargetOption {
	return func(o *targetOptions) { o.allowlist = true }
}

// OpenTarget opens the remediation.target setting: none, file:PATH,
// ssm:NAME or openclaw:PATH. ssm is needed only for ssm: targets; it
// bounds and retries its calls itself (internal/awsclient.NewParams).
func OpenTarget(loc configs.Location, ssm ssmparam.Client, opts ...TargetOption) (Target, error) {
	o := targetOptions{log: zerolog.Nop()}
	for _, fn := range opts {
		fn(&o)
	}
	switch loc.Scheme {
	case configs.SchemeNone, "":
		return noneTarget{}, nil
	case configs.SchemeFile:
		return &fileTarget{path: loc.Path, log: o.log}, nil
	case configs.SchemeOpenClaw:
		return &openclawTarget{path: loc.Path, getenv: o.getenv, allowlist: o.allowlist}, nil
	case configs.SchemeSSM:
		if ssm == nil {
			return nil, fmt.Errorf("remediation.target %s: no SSM client (configure an AWS region)", loc)
		}
		return &ssmTarget{name: loc.Path, client: ssm, log: o.log}, nil
	}
	return nil, fmt.Errorf("remediation.target %q: not one of none, ssm:/param/name, file:/path/order.json, openclaw:/path/openclaw.json", loc)
}

// noneTarget holds nothing: provwatch only reports. The engine never
// writes to it; an Apply is ignored rather than failing a cycle.
type noneTarget struct{}

func (noneTarget) Read(context.Context) (Held, error) { return Held{}, nil }
func (noneTarget) Apply(context.Context, []ChainPlan) (Applied, error) {
	return Applied{}, nil
}
func (noneTarget) String() string { return "none" }

// IsNone reports whether t is the none target, which is never written.
func IsNone(t Target) bool {
	_, ok := t.(noneTarget)
	return ok
}

// single is what the ssm: and file: targets share: they hold one value,
// agents.defaults.model's order, and skip every other chain.
func single(chains []ChainPlan) (*ChainPlan, Applied) {
	var a Applied
	var def *ChainPlan
	for i := range chains {
		if chains[i].Name == configs.DefaultsChain {
			def = &chains[i]
			continue
		}
		if a.Skipped == nil {
			a.Skipped = map[string]string{}
		}
		a.Skipped[chains[i].Name] = "this target holds agents.defaults.model only"
	}
	return def, a
}

// heldOne is the Held of a single-value target.
func heldOne(o configs.Order, exists bool, malformed error) Held {
	h := Held{Orders: map[string]configs.Order{}}
	switch {
	case malformed != nil:
		h.Malformed = map[string]string{configs.DefaultsChain: malformed.Error()}
	case exists:
		h.Orders[configs.DefaultsChain] = o
	}
	return h
}

// None is the none target: report only, never write.
func None() Target { return noneTarget{} }
