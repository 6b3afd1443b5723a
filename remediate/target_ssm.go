package remediate

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/rs/zerolog"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/internal/text"
)

// defaultMaxAttempts bounds one SSM call under throttling: PutParameter
// allows only a few calls per second per account, and a cycle must end.
const defaultMaxAttempts = 5

// ssmRetry makes the client's retryer (its backoff and retry quota) also
// retry TooManyUpdates, which SSM answers when one parameter is written
// concurrently and the SDK does not retry by itself; ThrottlingException
// is already retried by the SDK.
func ssmRetry(maxAttempts int) func(*ssm.Options) {
	return func(o *ssm.Options) {
		r := o.Retryer
		if r == nil {
			r = retry.NewStandard()
		}
		o.Retryer = retry.AddWithMaxAttempts(retry.AddWithErrorCodes(r, "TooManyUpdates"), maxAttempts)
	}
}

// ssmTarget holds the order in an SSM String parameter, Standard tier.
type ssmTarget struct {
	name        string
	client      SSMAPI
	log         zerolog.Logger
	maxAttempts int

	mu sync.Mutex
	// What the latest Read (or Write) saw: SSM has no compare-and-set, so a
	// race is detected after the fact from the version a put returns.
	read    bool
	exists  bool
	version int64
	// secure is set when the parameter is a SecureString: it stays one (an
	// operator who encrypted it never finds it downgraded to plain text).
	secure bool
}

func (s *ssmTarget) String() string { return "ssm:" + s.name }

// Read returns the order the parameter holds. A value that is not an
// order (hand-written junk, a StringList) is Malformed: the next Apply
// replaces it.
func (s *ssmTarget) Read(ctx context.Context) (Held, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, exists, err := s.readLocked(ctx)
	var bad *malformedValue
	if errors.As(err, &bad) {
		return heldOne(o, true, err), nil
	}
	if err != nil {
		return Held{}, err
	}
	return heldOne(o, exists, nil), nil
}

// malformedValue is a parameter that exists but does not hold an order.
type malformedValue struct{ err error }

func (m *malformedValue) Error() string { return m.err.Error() }
func (m *malformedValue) Unwrap() error { return m.err }

func (s *ssmTarget) readLocked(ctx context.Context) (configs.Order, bool, error) {
	out, err := s.client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(s.name), WithDecryption: aws.Bool(true)}, ssmRetry(s.maxAttempts))
	var nf *types.ParameterNotFound
	if errors.As(err, &nf) {
		s.read, s.exists, s.version, s.secure = true, false, 0, false
		return configs.Order{}, false, nil
	}
	if err != nil {
		return configs.Order{}, false, fmt.Errorf("target %s: reading the parameter: %w (check ssm:GetParameter permission and the region)", s, err)
	}
	p := out.Parameter
	if p == nil || p.Value == nil {
		return configs.Order{}, false, fmt.Errorf("target %s: GetParameter answered without a value", s)
	}
	s.read, s.exists, s.version = true, true, p.Version
	s.secure = p.Type == types.ParameterTypeSecureString
	if p.Type == types.ParameterTypeStringList {
		return configs.Order{}, true, &malformedValue{fmt.Errorf("target %s (version %d) is a StringList, not a String holding an agents.defaults.model value", s, p.Version)}
	}
	o, err := configs.ParseOrder([]byte(*p.Value))
	if err != nil {
		return configs.Order{}, true, &malformedValue{fmt.Errorf("target %s (version %d) holds %q, which is not an agents.defaults.model value: %w", s, p.Version, configs.QuoteSnippet([]byte(*p.Value)), err)}
	}
	return o, true, nil
}

// Apply puts agents.defaults.model's order: created without Overwrite
// when the last read found no parameter (so a concurrent creator is
// noticed), overwritten otherwise. The Description is the plan's why, cut
// to SSM's 1024 characters.
func (s *ssmTarget) Apply(ctx context.Context, chains []ChainPlan) (Applied, error) {
	def, a := single(chains)
	if def == nil {
		return a, nil
	}
	if err := s.write(ctx, def.Effective, def.Why); err != nil {
		return a, err
	}
	a.Written = []string{def.Name}
	return a, nil
}

// paramType is String, or SecureString for a parameter that is one. A
// SecureString is re-encrypted with the account's default SSM key
// (aws/ssm): PutParameter cannot say "the key it has", and provwatch asks
// for no kms:DescribeKey permission to find it (docs/remediation.md).
func (s *ssmTarget) paramType() types.ParameterType {
	if s.secure {
		return types.ParameterTypeSecureString
	}
	return types.ParameterTypeString
}

func (s *ssmTarget) write(ctx context.Context, o configs.Order, why string) error {
	if err := o.Validate(); err != nil {
		return fmt.Errorf("target %s: refusing to write: %w", s, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.read {
		if _, _, err := s.readLocked(ctx); err != nil && !s.read {
			return err
		}
	}
	value, _ := o.MarshalJSON()
	in := &ssm.PutParameterInput{
		Name:      aws.String(s.name),
		Value:     aws.String(string(value)),
		Type:      s.paramType(),
		Tier:      types.ParameterTierStandard,
		Overwrite: aws.Bool(s.exists),
	}
	if why != "" {
		in.Description = aws.String(text.Truncate(why, MaxDescription))
	}
	readVersion := s.version
	out, err := s.client.PutParameter(ctx, in, ssmRetry(s.maxAttempts))
	var exists *types.ParameterAlreadyExists
	if errors.As(err, &exists) {
		// Someone created it between our read and this put.
		now, _, rerr := s.readLocked(ctx)
		if rerr != nil {
			return fmt.Errorf("target %s: another writer created the parameter between read and write, and re-reading it failed: %w", s, rerr)
		}
		s.log.Warn().Str("target", s.String()).Int64("read_version", 0).Int64("found_version", s.version).
			Str("found", now.String()).Str("wanted", o.String()).
			Msg("remediation target raced another writer: the parameter was created between read and write")
		if now.Equal(o) {
			return nil
		}
		return fmt.Errorf("target %s: another writer created the parameter between read and write (it holds %s at version %d); the next cycle compares and writes again: %w", s, now, s.version, ErrRaced)
	}
	if err != nil {
		s.read = false // unknown now: read again before the next write
		return fmt.Errorf("target %s: writing the parameter: %w (check ssm:PutParameter permission; throttling was retried %d times)", s, err, s.maxAttempts-1)
	}
	if out.Version != readVersion+1 {
		s.log.Warn().Str("target", s.String()).Int64("read_version", readVersion).Int64("written_version", out.Version).
			Str("wrote", o.String()).
			Msg("remediation target raced another writer: the parameter changed between read and write; provwatch's value is now current, check who else writes it")
	}
	s.exists, s.version = true, out.Version
	return nil
}
