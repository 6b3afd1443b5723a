// Package follow is `provwatch follow`: it applies the order that `run` or
// `once` publish (an SSM parameter or a file) to a running gateway's own
// OpenClaw config, and keeps following it. It writes through the openclaw:
// target, the one writer of OpenClaw configs (docs/follow.md).
package follow

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/rs/zerolog"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/internal/clock"
	"github.com/provwatch/provwatch/internal/ssmparam"
	"github.com/provwatch/provwatch/remediate"
)

// DefaultEvery is how often a follower reads its source.
const DefaultEvery = configs.DefaultFollowEvery

// maxBackoff bounds the wait after the source failed many times in a row.
const maxBackoff = 5 * time.Minute

// maxValue is the largest source value read: an SSM Advanced parameter
// holds 8 KB, and an order is a few hundred bytes.
const maxValue = 8 << 10

// The ways a step can fail. Run logs each once and goes on; --once maps
// them to its exit status.
var (
	// ErrSource: the source could not be read (unreachable, throttled,
	// absent, denied). The file is left as it is; the follower backs off.
	ErrSource = errors.New("the source cannot be read")
	// ErrValue: the source holds no usable order. Nothing is written.
	ErrValue = errors.New("the source does not hold a usable order")
	// ErrTarget: the gateway's file cannot be read or written.
	ErrTarget = errors.New("the gateway's config cannot be read or written")
)

// Options wire a Follower.
type Options struct {
	From  configs.Location // ssm: or file:
	Into  string           // the gateway's OpenClaw config
	Every time.Duration    // 0: DefaultEvery
	SSM   ssmparam.Getter  // for an ssm: source
	Log   zerolog.Logger
	Clock clock.Clock // nil: the wall clock
	// Getenv resolves ${VAR} in the gateway's file; nil: os.Getenv.
	Getenv func(string) string
	// OnApply, when set, is called by Run after each write of an order to
	// the gateway's file (not for an order the file already held), e.g. so
	// `provwatch demo` can print it.
	OnApply func(Outcome)
}

// Follower applies its source's order to the gateway's file.
type Follower struct {
	opt    Options
	target remediate.Target
	// problem is the last failure logged, so each situation is one line,
	// not one per period.
	problem string
	fails   int
	// applied is what the last step found in place: the source's value
	// and the gateway's files holding its order, byte for byte. While
	// both read the same, a step is a no-op without parsing anything, so
	// a follower at rest costs a read of each and allocates next to
	// nothing (docs/follow.md, "Footprint").
	applied *inPlace
}

// inPlace is a source value whose order the gateway's files held.
type inPlace struct {
	raw   []byte
	order configs.Order
	files map[string][]byte
}

// New returns a Follower.
func New(opt Options) *Follower {
	if opt.Every <= 0 {
		opt.Every = DefaultEvery
	}
	if opt.Clock == nil {
		opt.Clock = clock.Real{}
	}
	return &Follower{opt: opt, target: remediate.OpenClawFile(opt.Into, remediate.WithAllowlist(), remediate.WithGetenv(opt.Getenv), remediate.WithLogger(opt.Log))}
}

// Outcome is what one Step did.
type Outcome struct {
	Order   configs.Order
	Written bool // the file changed (false: it already held the order)
}

// Step reads the source once and applies its order. Every error wraps one
// of ErrSource, ErrValue or ErrTarget.
func (f *Follower) Step(ctx context.Context) (Outcome, error) {
	raw, err := f.read(ctx)
	if err != nil {
		return Outcome{}, fmt.Errorf("%w: %s: %w", ErrSource, f.opt.From, err)
	}
	if f.applied.still(raw) {
		return Outcome{Order: f.applied.order}, nil
	}
	f.applied = nil
	o, err := parseOrder(raw)
	if err != nil {
		return Outcome{}, f.badValue(raw, err)
	}
	d, err := configs.ReadDoc(ctx, configs.Source{Path: f.opt.Into, Getenv: f.opt.Getenv})
	if err != nil {
		return Outcome{}, fmt.Errorf("%w: %w; the gateway keeps its chain until its file reads again", ErrTarget, err)
	}
	// A malformed agents.defaults.model is no reason to stop: the write
	// below replaces it whole, as the openclaw: target repairs one.
	oc, malformed, err := d.ResolveRepairable()
	if err != nil {
		return Outcome{}, fmt.Errorf("%w: %w; the gateway keeps its chain until its file reads again", ErrTarget, err)
	}
	if err := f.runnable(o, oc); err != nil {
		return Outcome{}, f.badValue(raw, err)
	}
	// The order OpenClaw runs: each ref once.
	if c, ok := oc.Defaults(); ok && !malformed && configs.Dedupe(c.Order()).Equal(o) {
		f.applied = &inPlace{raw: raw, order: o, files: d.Files}
		return Outcome{Order: o}, nil
	}
	held, err := f.target.Read(ctx)
	if err != nil {
		return Outcome{}, fmt.Errorf("%w: %w", ErrTarget, err)
	}
	if h, ok := held.Orders[configs.DefaultsChain]; ok && h.Equal(o) {
		return Outcome{Order: o}, nil // it changed under us to hold it; the next step remembers
	}
	a, err := f.target.Apply(ctx, []remediate.ChainPlan{{Name: configs.DefaultsChain, Path: "agents.defaults.model", Preferred: o, Effective: o}})
	if err != nil {
		return Outcome{}, fmt.Errorf("%w: %w", ErrTarget, err)
	}
	return Outcome{Order: o, Written: len(a.Written) > 0}, nil
}

// badValue is the ErrValue of a source value that holds no usable order.
func (f *Follower) badValue(raw []byte, err error) error {
	return fmt.Errorf("%w: %s holds %s: %w; the gateway keeps its chain", ErrValue, f.opt.From, shown(raw), err)
}

// still reports whether the source still holds raw and every file of the
// gateway's config still holds what it held when p was taken.
func (p *inPlace) still(raw []byte) bool {
	if p == nil || !bytes.Equal(p.raw, raw) {
		return false
	}
	for path, was := range p.files {
		now, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(now, was) {
			return false
		}
	}
	return true
}

// shown is a source value as a log line shows it: trimmed, cut, and
// quoted with escapes only when it holds something unprintable.
func shown(raw []byte) string {
	s := configs.QuoteSnippet(bytes.TrimSpace(raw))
	if strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return strconv.Quote(s)
	}
	return s
}

// read returns the source's value.
func (f *Follower) read(ctx context.Context) ([]byte, error) {
	switch f.opt.From.Scheme {
	case configs.SchemeSSM:
		if f.opt.SSM == nil {
			return nil, errors.New("no SSM client (configure an AWS region)")
		}
		p, err := f.opt.SSM.Get(ctx, f.opt.From.Path)
		if errors.Is(err, ssmparam.ErrNotFound) {
			return nil, errors.New("the parameter does not exist (has run or once written an order yet?)")
		}
		if err != nil {
			return nil, err
		}
		if p.Value == "" {
			return nil, errors.New("GetParameter answered without a value")
		}
		return []byte(p.Value), nil
	case configs.SchemeFile:
		fh, err := os.Open(f.opt.From.Path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errors.New("the file does not exist (has run or once written an order yet?)")
		}
		if err != nil {
			return nil, err
		}
		defer fh.Close()
		return io.ReadAll(io.LimitReader(fh, maxValue+1))
	}
	return nil, fmt.Errorf("%s is not an ssm: or file: source", f.opt.From)
}

// parseOrder parses a source value as an agents.defaults.model value of
// provider/model refs, each once.
func parseOrder(raw []byte) (configs.Order, error) {
	if len(raw) > maxValue {
		return configs.Order{}, fmt.Errorf("%d bytes or more, not an order", maxValue)
	}
	o, err := configs.ParseOrder(raw)
	if err != nil {
		return configs.Order{}, err
	}
	for _, s := range o.Refs() {
		if _, err := configs.ParseRef(s); err != nil {
			return configs.Order{}, fmt.Errorf("%q is not a provider/model ref", s)
		}
	}
	return configs.Dedupe(o), nil
}

// runnable checks that the gateway can run every provider of o: defined in
// its file, or served by OpenClaw without an entry.
func (f *Follower) runnable(o configs.Order, oc *configs.OpenClaw) error {
	for _, s := range o.Refs() {
		r, _ := configs.ParseRef(s) // parseOrder checked it
		p := oc.Provider(r.Provider)
		defined := p != nil && !p.Builtin
		if !defined && !configs.KnownToOpenClaw(r.Provider) {
			return fmt.Errorf("provider %q of %q is not defined in %s and OpenClaw knows no provider of that name", r.Provider, s, f.opt.Into)
		}
	}
	return nil
}

// Run applies the order at once, then every period (with jitter, and
// backing off while the source cannot be read) until ctx ends.
func (f *Follower) Run(ctx context.Context) error {
	for {
		out, err := f.Step(ctx)
		if ctx.Err() != nil {
			return nil
		}
		f.note(out, err)
		if err == nil && out.Written && f.opt.OnApply != nil {
			f.opt.OnApply(out)
		}
		if err := f.opt.Clock.Sleep(ctx, f.wait(err)); err != nil {
			return nil
		}
	}
}

// note logs what changed: a write, a new problem, or a problem gone.
func (f *Follower) note(out Outcome, err error) {
	log := f.opt.Log
	if err != nil {
		if errors.Is(err, ErrSource) {
			f.fails++
		}
		if msg := err.Error(); msg != f.problem {
			f.problem = msg
			ev := log.Warn()
			if errors.Is(err, ErrValue) || errors.Is(err, ErrTarget) {
				ev = log.Error()
			}
			ev.Err(err).Str("from", f.opt.From.String()).Str("into", f.opt.Into).Msg("follow: not applying an order; retrying")
		}
		return
	}
	f.fails = 0
	if f.problem != "" {
		log.Info().Str("from", f.opt.From.String()).Msg("follow: the source is readable and its order usable again")
		f.problem = ""
	}
	if out.Written {
		log.Info().Str("into", f.opt.Into).Str("primary", out.Order.Primary).Strs("fallbacks", out.Order.Fallbacks).
			Msg("follow: applied the order to the gateway's config")
	}
}

// wait is the time until the next step: the period with up to 20% jitter
// either way (so many followers do not read in step), doubled per failed
// read of the source in a row, up to maxBackoff.
func (f *Follower) wait(err error) time.Duration {
	d := f.opt.Every
	if errors.Is(err, ErrSource) {
		for i := 1; i < f.fails && d < maxBackoff; i++ {
			d *= 2
		}
		d = min(d, maxBackoff)
	}
	j := time.Duration(rand.Int64N(int64(d)/5*2+1)) - d/5
	return d + j
}
