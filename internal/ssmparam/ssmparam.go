// Package ssmparam is the part of SSM Parameter Store provwatch uses, as an
// interface with types of its own. The packages that read or write
// parameters (configs, remediate, follow) depend on this, not on the AWS
// SDK, so a binary that needs only a GetParameter (provwatch-follow, which
// runs inside every gateway container) does not link the SDK's service
// clients. internal/awsclient implements Client with aws-sdk-go-v2;
// internal/ssmlite implements Get alone with a hand-signed request.
package ssmparam

import (
	"context"
	"errors"
)

// Parameter types, as SSM spells them.
const (
	TypeString       = "String"
	TypeStringList   = "StringList"
	TypeSecureString = "SecureString"
)

// Parameter is one parameter as GetParameter (with decryption) returns it.
type Parameter struct {
	Value   string
	Version int64
	Type    string // TypeString, TypeStringList or TypeSecureString
}

// Put is one PutParameter call. The tier is always Standard.
type Put struct {
	Name, Value string
	Type        string // TypeString or TypeSecureString
	// Description is sent when not empty.
	Description string
	// Overwrite false makes the call fail with ErrAlreadyExists when the
	// parameter exists (so a concurrent creator is noticed).
	Overwrite bool
}

// Getter reads parameters: all that reading an OpenClaw config from ssm:
// and following a published order need, so ssmlite's client (which has
// no Put) and Client both serve them.
type Getter interface {
	// Get returns the parameter, decrypted.
	Get(ctx context.Context, name string) (Parameter, error)
}

// Client reads and writes parameters. Implementations bound every call
// and retry throttling (and, for Put, TooManyUpdates) themselves; errors
// wrap ErrNotFound and ErrAlreadyExists where they apply, and otherwise
// say what failed without any credential.
type Client interface {
	Getter
	Put(ctx context.Context, p Put) (version int64, err error)
}

var (
	// ErrNotFound is a parameter that does not exist (ParameterNotFound).
	ErrNotFound = errors.New("the parameter does not exist")
	// ErrAlreadyExists is a Put without Overwrite of a parameter that
	// exists (ParameterAlreadyExists).
	ErrAlreadyExists = errors.New("the parameter already exists")
)
