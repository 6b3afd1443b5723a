package configs

import (
	"fmt"
	"strings"
)

// Scheme says what kind of place a Location names.
type Scheme string

// The schemes of the settings and flags that name a place: the remediation
// target (none, ssm:, file:, openclaw:), the state (auto, memory, ssm:,
// file:), the OpenClaw config (a path or ssm:) and follow's --from/--into.
const (
	SchemeNone     Scheme = "none"
	SchemeAuto     Scheme = "auto"
	SchemeMemory   Scheme = "memory"
	SchemeSSM      Scheme = "ssm"
	SchemeFile     Scheme = "file"
	SchemeOpenClaw Scheme = "openclaw"
)

// Location is a parsed place: a word (none, auto, memory) or a scheme with
// a parameter name or file path. It is parsed once, here; everything else
// switches on Scheme.
type Location struct {
	Scheme Scheme
	Path   string // the SSM parameter name or the file path; "" for words
}

// String writes the location as it is written in settings and flags.
func (l Location) String() string {
	switch l.Scheme {
	case "":
		return ""
	case SchemeNone, SchemeAuto, SchemeMemory:
		return string(l.Scheme)
	}
	return string(l.Scheme) + ":" + l.Path
}

// Is reports whether the location has one of these schemes.
func (l Location) Is(schemes ...Scheme) bool {
	for _, s := range schemes {
		if l.Scheme == s {
			return true
		}
	}
	return false
}

// ParseLocation reads s as one of the allowed schemes. A word scheme
// (none, auto, memory) is the bare word; the others are "scheme:name". The
// error says what is wrong and lists what is allowed, without naming a
// setting: the caller knows which one it parsed.
func ParseLocation(s string, allowed ...Scheme) (Location, error) {
	s = strings.TrimSpace(s)
	for _, sc := range allowed {
		switch sc {
		case SchemeNone, SchemeAuto, SchemeMemory:
			if s == string(sc) {
				return Location{Scheme: sc}, nil
			}
			continue
		}
		rest, ok := strings.CutPrefix(s, string(sc)+":")
		if !ok {
			continue
		}
		rest = strings.TrimSpace(rest)
		if rest == "" {
			if sc == SchemeSSM {
				return Location{}, fmt.Errorf("%q names no parameter (write ssm:/parameter/name)", s)
			}
			return Location{}, fmt.Errorf("%q names no file (write %s:/path)", s, sc)
		}
		if sc == SchemeSSM {
			for _, c := range rest {
				if !(c == '/' || c == '_' || c == '.' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
					return Location{}, fmt.Errorf("%q is not a valid SSM parameter name (letters, digits, _ . - /)", s)
				}
			}
		}
		return Location{Scheme: sc, Path: rest}, nil
	}
	var forms []string
	for _, sc := range allowed {
		switch sc {
		case SchemeNone, SchemeAuto, SchemeMemory:
			forms = append(forms, string(sc))
		case SchemeSSM:
			forms = append(forms, "ssm:/parameter/name")
		default:
			forms = append(forms, string(sc)+":/path")
		}
	}
	return Location{}, fmt.Errorf("%q is not one of %s", s, strings.Join(forms, ", "))
}

// Target schemes and state schemes, as the settings accept them.
var (
	TargetSchemes = []Scheme{SchemeNone, SchemeSSM, SchemeFile, SchemeOpenClaw}
	StateSchemes  = []Scheme{SchemeAuto, SchemeMemory, SchemeFile, SchemeSSM}
)
