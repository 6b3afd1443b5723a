package remediate

import (
	"context"
	"errors"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/provwatch/provwatch/configs"
)

// ErrRaced marks a write that collided with another writer of the same
// target; the value there is not the one provwatch computed, and the next
// cycle compares and writes again.
var ErrRaced = errors.New("raced another writer")

// TargetOption adjusts a target opened by OpenTarget.
type TargetOption func(*targetOptions)

type targetOptions struct {
	log         zerolog.Logger
	maxAttempts int
}

// WithLogger sets where a target reports what is worth a person's look
// but is no error, such as an SSM write that raced another writer.
func WithLogger(l zerolog.Logger) TargetOption {
	return func(o *targetOptions) { o.log = l }
}

// WithMaxAttempts bounds the attempts of one SSM call (first try
// included) under throttling and TooManyUpdates; the default is 5.
func WithMaxAttempts(n int) TargetOption {
	return func(o *targetOptions) {
		if n > 0 {
			o.maxAttempts = n
		}
	}
}

// OpenTarget opens the remediation.target setting: none, file:PATH,
// ssm:NAME or openclaw:PATH. ssm is needed only for ssm: targets.
func OpenTarget(loc configs.Location, ssm SSMAPI, opts ...TargetOption) (Target, error) {
	o := targetOptions{log: zerolog.Nop(), maxAttempts: defaultMaxAttempts}
	for _, fn := range opts {
		fn(&o)
	}
	switch loc.Scheme {
	case configs.SchemeNone, "":
		return noneTarget{}, nil
	case configs.SchemeFile:
		return &fileTarget{path: loc.Path}, nil
	case configs.SchemeOpenClaw:
		return &openclawTarget{path: loc.Path}, nil
	case configs.SchemeSSM:
		if ssm == nil {
			return nil, fmt.Errorf("remediation.target %s: no SSM client (configure an AWS region)", loc)
		}
		return &ssmTarget{name: loc.Path, client: ssm, log: o.log, maxAttempts: o.maxAttempts}, nil
	}
	return nil, fmt.Errorf("remediation.target %q: not one of none, ssm:/param/name, file:/path/order.json, openclaw:/path/openclaw.json", loc)
}

// noneTarget holds nothing: provwatch only reports. The engine never
// writes to it; a Write is ignored rather than failing a cycle.
type noneTarget struct{}

func (noneTarget) Read(context.Context) (configs.Order, bool, error) {
	return configs.Order{}, false, nil
}
func (noneTarget) Write(context.Context, configs.Order, string) error { return nil }
func (noneTarget) String() string                                     { return "none" }

// IsNone reports whether t is the none target, which is never written.
func IsNone(t Target) bool {
	_, ok := t.(noneTarget)
	return ok
}
