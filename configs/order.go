package configs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Order is exactly the shape of OpenClaw's agents.defaults.model.
type Order struct {
	Primary   string   `json:"primary"`
	Fallbacks []string `json:"fallbacks"`
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
	return Order{}, fmt.Errorf("value starts with %q, expected an object or a string", QuoteSnippet(t))
}

// QuoteSnippet shortens a foreign value for an error message.
func QuoteSnippet(b []byte) string {
	const max = 40
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}

// Order returns the chain's order: primary then fallbacks.
func (c Chain) Order() Order {
	return Order{Primary: c.Primary, Fallbacks: append([]string{}, c.Fallbacks...)}
}

// Distinct lists the order's refs once each, first place kept, empty refs
// left out.
func (o Order) Distinct() []string {
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

// OrderOf makes an order of refs: the first is the primary.
func OrderOf(refs []string) Order {
	if len(refs) == 0 {
		return Order{Fallbacks: []string{}}
	}
	return Order{Primary: refs[0], Fallbacks: append([]string{}, refs[1:]...)}
}

// Text is the order as people read it, in the sequence OpenClaw tries it:
// "a -> b -> c" ("(empty)" for an order with no ref). The table, the
// status page, the demo and logs all show orders this way.
func (o Order) Text() string {
	refs := slices.DeleteFunc(o.Refs(), func(r string) bool { return r == "" })
	if len(refs) == 0 {
		return "(empty)"
	}
	return strings.Join(refs, " -> ")
}
