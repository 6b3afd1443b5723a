package remediate

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// maxStandardValue is the largest value of a Standard-tier parameter.
const maxStandardValue = 4096

// ssmStore keeps the state in an SSM String parameter (Standard tier), for
// `once` under Lambda where no disk survives.
type ssmStore struct {
	name   string
	client SSMAPI
	// last is what the parameter holds as far as this process knows: every
	// put makes a new parameter version, so an unchanged state is not put.
	last []byte
}

func (s *ssmStore) Load(ctx context.Context) ([]byte, error) {
	out, err := s.client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(s.name), WithDecryption: aws.Bool(true)}, ssmRetry(defaultMaxAttempts))
	var nf *types.ParameterNotFound
	if errors.As(err, &nf) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("state %s: reading the parameter: %w", s, err)
	}
	if out.Parameter == nil || out.Parameter.Value == nil {
		return nil, nil
	}
	s.last = []byte(*out.Parameter.Value)
	return append([]byte(nil), s.last...), nil
}

func (s *ssmStore) Save(ctx context.Context, data []byte) error {
	if len(data) > maxStandardValue {
		return fmt.Errorf("state %s: %d bytes is over the %d-byte limit of a Standard SSM parameter (watch fewer models, or use state: file:PATH)", s, len(data), maxStandardValue)
	}
	if s.last != nil && string(s.last) == string(data) {
		return nil
	}
	_, err := s.client.PutParameter(ctx, &ssm.PutParameterInput{
		Name:        aws.String(s.name),
		Value:       aws.String(string(data)),
		Type:        types.ParameterTypeString,
		Tier:        types.ParameterTierStandard,
		Overwrite:   aws.Bool(true),
		Description: aws.String("provwatch health state (written by provwatch every cycle; do not edit)"),
	}, ssmRetry(defaultMaxAttempts))
	if err != nil {
		return fmt.Errorf("state %s: writing the parameter: %w", s, err)
	}
	s.last = append([]byte(nil), data...)
	return nil
}

func (s *ssmStore) String() string { return "ssm:" + s.name }
