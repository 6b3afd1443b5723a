package configs

import (
	"fmt"
	"strings"
)

// substitute expands ${VAR} in s as OpenClaw's env-substitution.ts does:
// names match [A-Z_][A-Z0-9_]*, `$${VAR}` is the literal `${VAR}`, and any
// other `$` text is left alone. A missing or empty variable is an error
// naming the variable; the caller adds the file and key path.
//
// provwatch substitutes only the values it reads (providers and model
// refs), so a gateway secret it never uses (a channel token, say) need not
// be present where provwatch runs.
func substitute(s string, getenv func(string) string) (string, string, error) {
	if !strings.Contains(s, "$") {
		return s, "", nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' {
			b.WriteByte(c)
			continue
		}
		if strings.HasPrefix(s[i:], "$${") {
			if name, end, ok := envToken(s, i+3); ok {
				b.WriteString("${" + name + "}")
				i = end
				continue
			}
		}
		if strings.HasPrefix(s[i:], "${") {
			if name, end, ok := envToken(s, i+2); ok {
				v := getenv(name)
				if v == "" {
					return "", name, fmt.Errorf("environment variable %s is not set", name)
				}
				b.WriteString(v)
				i = end
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String(), "", nil
}

// envToken reads a variable name from start up to the next '}' and
// returns it with the index of that '}'.
func envToken(s string, start int) (string, int, bool) {
	if start > len(s) {
		return "", 0, false
	}
	end := strings.IndexByte(s[start:], '}')
	if end < 0 {
		return "", 0, false
	}
	name := s[start : start+end]
	if !isEnvName(name) {
		return "", 0, false
	}
	return name, start + end, true
}

func isEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_' || 'A' <= c && c <= 'Z':
		case i > 0 && '0' <= c && c <= '9':
		default:
			return false
		}
	}
	return true
}
