package remediate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/probes"
)

// MaxDescription is the longest SSM parameter Description, in characters.
const MaxDescription = 1024

// Order is exactly the shape of OpenClaw's agents.defaults.model.
type Order struct {
	Primary   string   `json:"primary"`
	Fallbacks []string `json:"fallbacks"`
}

// OrderOf returns a chain's configured order.
func OrderOf(c configs.Chain) Order {
	return Order{Primary: c.Primary, Fallbacks: append([]string{}, c.Fallbacks...)}
}

// MarshalJSON writes the order with "fallbacks" always an array: OpenClaw
// reads a null fallbacks as a broken config, never as "no fallbacks".
func (o Order) MarshalJSON() ([]byte, error) {
	fb := o.Fallbacks
	if fb == nil {
		fb = []string{}
	}
	return json.Marshal(struct {
		Primary   string   `json:"primary"`
		Fallbacks []string `json:"fallbacks"`
	}{o.Primary, fb})
}

// String is the order's JSON, for logs.
func (o Order) String() string {
	b, _ := o.MarshalJSON()
	return string(b)
}

// Refs lists primary then fallbacks.
func (o Order) Refs() []string {
	return append([]string{o.Primary}, o.Fallbacks...)
}

// IsZero reports whether the order names no model at all.
func (o Order) IsZero() bool { return o.Primary == "" && len(o.Fallbacks) == 0 }

// Equal reports whether two orders name the same refs in the same places
// (a nil and an empty fallbacks list are equal).
func (o Order) Equal(p Order) bool {
	if o.Primary != p.Primary || len(o.Fallbacks) != len(p.Fallbacks) {
		return false
	}
	for i := range o.Fallbacks {
		if o.Fallbacks[i] != p.Fallbacks[i] {
			return false
		}
	}
	return true
}

// Validate reports why an order cannot be written (OpenClaw would reject it).
func (o Order) Validate() error {
	if o.Primary == "" {
		return errors.New("order has no primary model")
	}
	for i, f := range o.Fallbacks {
		if f == "" {
			return fmt.Errorf("order has an empty fallback at index %d", i)
		}
	}
	return nil
}

// ParseOrder reads an agents.defaults.model value from JSON: the object
// {"primary":…, "fallbacks":[…]} or a plain string (a primary with no
// fallbacks), as OpenClaw accepts both. Keys other than primary and
// fallbacks are ignored.
func ParseOrder(data []byte) (Order, error) {
	t := bytes.TrimSpace(data)
	if len(t) == 0 {
		return Order{}, errors.New("empty value, expected {\"primary\":…,\"fallbacks\":[…]}")
	}
	switch t[0] {
	case '"':
		var s string
		if err := json.Unmarshal(t, &s); err != nil {
			return Order{}, fmt.Errorf("not a JSON string: %w", err)
		}
		o := Order{Primary: s, Fallbacks: []string{}}
		return o, o.Validate()
	case '{':
		var raw struct {
			Primary   *string  `json:"primary"`
			Fallbacks []string `json:"fallbacks"`
		}
		if err := json.Unmarshal(t, &raw); err != nil {
			return Order{}, fmt.Errorf("not an agents.defaults.model object: %w", err)
		}
		if raw.Primary == nil {
			return Order{}, errors.New("object has no \"primary\"")
		}
		o := Order{Primary: *raw.Primary, Fallbacks: raw.Fallbacks}
		if o.Fallbacks == nil {
			o.Fallbacks = []string{}
		}
		return o, o.Validate()
	}
	return Order{}, fmt.Errorf("value starts with %q, expected an object or a string", quoteSnippet(t))
}

// quoteSnippet shortens a foreign value for an error message.
func quoteSnippet(b []byte) string {
	const max = 40
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}

// dedupe returns the order's refs, first occurrence wins, empties dropped.
func dedupe(o Order) []string {
	seen := make(map[string]bool, len(o.Fallbacks)+1)
	out := make([]string, 0, len(o.Fallbacks)+1)
	for _, r := range o.Refs() {
		if r == "" || seen[r] {
			continue
		}
		seen[r] = true
		out = append(out, r)
	}
	return out
}

func orderFrom(refs []string) Order {
	if len(refs) == 0 {
		return Order{Fallbacks: []string{}}
	}
	return Order{Primary: refs[0], Fallbacks: append([]string{}, refs[1:]...)}
}

// Effective orders a configured chain by health: healthy first, then
// degraded, then down (left out when dropDown), each group in configured
// order. It is never empty, and is the configured order when nothing is
// healthy: with no working model, moving models around only churns the
// target, and OpenClaw's own retries walk the chain anyway. Duplicate refs
// keep their first place.
func Effective(configured Order, state func(ref string) probes.State, dropDown bool) Order {
	refs := dedupe(configured)
	var healthy, degraded, down []string
	for _, r := range refs {
		switch state(r) {
		case probes.Healthy:
			healthy = append(healthy, r)
		case probes.Degraded:
			degraded = append(degraded, r)
		default:
			down = append(down, r)
		}
	}
	if len(healthy) == 0 {
		return orderFrom(refs)
	}
	out := append(healthy, degraded...)
	if !dropDown {
		out = append(out, down...)
	}
	return orderFrom(out)
}

// Describe is one human line saying why the order changed, for the SSM
// Description and logs: when, what was demoted or restored and why, and the
// new primary. It names refs and reason words only (never a probe's detail,
// which may quote a provider's answer), and is at most MaxDescription
// characters.
func Describe(before, after Order, changed []Transition) string {
	var parts []string
	var at time.Time
	for _, t := range changed {
		if t.At.After(at) {
			at = t.At
		}
		reason := ""
		if t.Reason != "" {
			reason = " (" + string(t.Reason) + ")"
		}
		switch {
		case t.Initial:
			parts = append(parts, fmt.Sprintf("first seen %s %s%s", t.Ref, t.To, reason))
		case t.To > t.From:
			parts = append(parts, fmt.Sprintf("demoted %s to %s%s", t.Ref, t.To, reason))
		default:
			parts = append(parts, fmt.Sprintf("restored %s to %s%s", t.Ref, t.To, reason))
		}
	}
	switch {
	case after.Primary != before.Primary && before.Primary != "":
		parts = append(parts, fmt.Sprintf("primary now %s (was %s)", after.Primary, before.Primary))
	case after.Primary != before.Primary:
		parts = append(parts, "primary now "+after.Primary)
	default:
		parts = append(parts, "primary still "+after.Primary)
	}
	if len(after.Fallbacks) > 0 {
		parts = append(parts, "fallbacks "+strings.Join(after.Fallbacks, ", "))
	}
	line := strings.Join(parts, "; ")
	if !at.IsZero() {
		line = at.UTC().Format("2006-01-02T15:04Z") + ": " + line
	}
	return truncateChars(line, MaxDescription)
}

// truncateChars cuts s to at most n characters (runes), marking the cut.
func truncateChars(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
