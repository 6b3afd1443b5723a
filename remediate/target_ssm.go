package remediate

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/rs/zerolog"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/internal/ssmparam"
	"github.com/provwatch/provwatch/internal/text"
)

// ssmTarget holds the order in an SSM String parameter, Standard tier.
// The client bounds each call and retries throttling and TooManyUpdates.
type ssmTarget struct {
	name   string
	client ssmparam.Client
	log    zerolog.Logger

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
	p, err := s.client.Get(ctx, s.name)
	if errors.Is(err, ssmparam.ErrNotFound) {
		s.read, s.exists, s.version, s.secure = true, false, 0, false
		return configs.Order{}, false, nil
	}
	if err != nil {
		return configs.Order{}, false, fmt.Errorf("target %s: reading the parameter: %w (check ssm:GetParameter permission and the region)", s, err)
	}
	if p.Value == "" {
		return configs.Order{}, false, fmt.Errorf("target %s: GetParameter answered without a value", s)
	}
	s.read, s.exists, s.version = true, true, p.Version
	s.secure = p.Type == ssmparam.TypeSecureString
	if p.Type == ssmparam.TypeStringList {
		return configs.Order{}, true, &malformedValue{fmt.Errorf("target %s (version %d) is a StringList, not a String holding an agents.defaults.model value", s, p.Version)}
	}
	o, err := configs.ParseOrder([]byte(p.Value))
	if err != nil {
		return configs.Order{}, true, &malformedValue{fmt.Errorf("target %s (version %d) holds %q, which is not an agents.defaults.model value: %w", s, p.Version, configs.QuoteSnippet([]byte(p.Value)), err)}
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
func (s *ssmTarget) paramType() string {
	if s.secure {
		return ssmparam.TypeSecureString
	}
	return ssmparam.TypeString
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
	in := ssmparam.Put{Name: s.name, Value: string(value), Type: s.paramType(), Overwrite: s.exists}
	if why != "" {
		in.Description = text.Truncate(why, MaxDescription)
	}
	readVersion := s.version
	version, err := s.client.Put(ctx, in)
	if errors.Is(err, ssmparam.ErrAlreadyExists) {
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
		return fmt.Errorf("target %s: writing the parameter: %w (check ssm:PutParameter permission; throttling was already retried)", s, err)
	}
	if version != readVersion+1 {
		s.log.Warn().Str("target", s.String()).Int64("read_version", readVersion).Int64("written_version", version).
			Str("wrote", o.String()).
			Msg("remediation target raced another writer: the parameter changed between read and write; provwatch's value is now current, check who else writes it")
	}
	s.exists, s.version = true, version
	return nil
}
