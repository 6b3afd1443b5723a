package awsclient

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/provwatch/provwatch/internal/ssmparam"
)

// DefaultMaxAttempts bounds one SSM call (first try included) under
// throttling: PutParameter allows only a few calls per second per account,
// and a cycle must end.
const DefaultMaxAttempts = 5

// ParamsOption adjusts the client NewParams builds.
type ParamsOption func(*paramsOptions)

type paramsOptions struct {
	maxAttempts int
	deadline    time.Duration
}

// WithMaxAttempts bounds the attempts of one call (first try included)
// under throttling and TooManyUpdates; the default is DefaultMaxAttempts.
func WithMaxAttempts(n int) ParamsOption {
	return func(o *paramsOptions) {
		if n > 0 {
			o.maxAttempts = n
		}
	}
}

// NewParams is Parameter Store for everything that reads or writes
// parameters (the OpenClaw config from ssm:, the ssm: target, the ssm:
// state, follow's ssm: source), over the SDK's SSM client: each call
// bounded by CallDeadline, throttling and TooManyUpdates retried with the
// SDK's backoff, ParameterNotFound and ParameterAlreadyExists mapped to
// ssmparam's errors. Other errors are the SDK's, whose messages name the
// operation, status and request id but never a credential.
func NewParams(cfg aws.Config, opts ...ParamsOption) ssmparam.Client {
	o := paramsOptions{maxAttempts: DefaultMaxAttempts, deadline: CallDeadline}
	for _, fn := range opts {
		fn(&o)
	}
	return &params{ssm: newSSM(cfg, o.deadline), retry: ssmRetry(o.maxAttempts)}
}

type params struct {
	ssm   *ssm.Client
	retry func(*ssm.Options)
}

// ssmRetry makes the client's retryer (its backoff and retry quota) also
// retry TooManyUpdates, which SSM answers when one parameter is written
// concurrently and the SDK does not retry by itself; ThrottlingException
// is already retried by the SDK. It is a per-call option, so the bound
// holds whatever the shared configuration (AWS_MAX_ATTEMPTS) says.
func ssmRetry(maxAttempts int) func(*ssm.Options) {
	return func(o *ssm.Options) {
		r := o.Retryer
		if r == nil {
			r = retry.NewStandard()
		}
		o.Retryer = retry.AddWithMaxAttempts(retry.AddWithErrorCodes(r, "TooManyUpdates"), maxAttempts)
	}
}

// Get is GetParameter with decryption. A parameter SSM answers without a
// value (it never should: values are at least one character) comes back
// with an empty Value, for the caller to say so in its own terms.
func (p *params) Get(ctx context.Context, name string) (ssmparam.Parameter, error) {
	out, err := p.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)}, p.retry)
	if err != nil {
		return ssmparam.Parameter{}, mapError(err)
	}
	if out.Parameter == nil {
		return ssmparam.Parameter{}, nil
	}
	return ssmparam.Parameter{
		Value:   aws.ToString(out.Parameter.Value),
		Version: out.Parameter.Version,
		Type:    string(out.Parameter.Type),
	}, nil
}

// Put is PutParameter, Standard tier.
func (p *params) Put(ctx context.Context, in ssmparam.Put) (int64, error) {
	typ := types.ParameterTypeString
	switch in.Type {
	case "", ssmparam.TypeString:
	case ssmparam.TypeSecureString:
		typ = types.ParameterTypeSecureString
	default:
		return 0, fmt.Errorf("putting %s: type %q is not %s or %s", in.Name, in.Type, ssmparam.TypeString, ssmparam.TypeSecureString)
	}
	put := &ssm.PutParameterInput{
		Name:      aws.String(in.Name),
		Value:     aws.String(in.Value),
		Type:      typ,
		Tier:      types.ParameterTierStandard,
		Overwrite: aws.Bool(in.Overwrite),
	}
	if in.Description != "" {
		put.Description = aws.String(in.Description)
	}
	out, err := p.ssm.PutParameter(ctx, put, p.retry)
	if err != nil {
		return 0, mapError(err)
	}
	return out.Version, nil
}

// mapError makes the SDK's ParameterNotFound and ParameterAlreadyExists
// match ssmparam's errors, keeping the SDK's message and error (so
// errors.As still finds the SDK's type).
func mapError(err error) error {
	var nf *types.ParameterNotFound
	if errors.As(err, &nf) {
		return &mappedError{kind: ssmparam.ErrNotFound, err: err}
	}
	var exists *types.ParameterAlreadyExists
	if errors.As(err, &exists) {
		return &mappedError{kind: ssmparam.ErrAlreadyExists, err: err}
	}
	return err
}

type mappedError struct{ kind, err error }

func (e *mappedError) Error() string   { return e.err.Error() }
func (e *mappedError) Unwrap() []error { return []error{e.kind, e.err} }
