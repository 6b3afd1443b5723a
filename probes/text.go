package probes

import (
	"strings"
	"unicode/utf8"
)

// Inert makes text a provider sent safe to show anywhere: a terminal, a
// log line, the status page, the table. Control characters (escape
// sequences that repaint or retitle a terminal, BEL) and the bidirectional
// controls behind "Trojan Source" spoofing are shown as U+FFFD, as git
// masks control characters in a remote's messages; tabs and line breaks
// become spaces, and invalid UTF-8 becomes U+FFFD.
func Inert(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || unsafeRune(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s { // ranging over a string turns invalid bytes into U+FFFD
		switch {
		case r == '\t' || r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029':
			b.WriteByte(' ')
		case unsafeRune(r):
			b.WriteRune(utf8.RuneError)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// unsafeRune reports C0 and C1 controls, DEL, the line and paragraph
// separators, and the bidirectional formatting characters.
func unsafeRune(r rune) bool {
	switch {
	case r < 0x20, r >= 0x7f && r <= 0x9f:
		return true
	case r == '\u061c', r == '\u200e', r == '\u200f', r == '\u2028', r == '\u2029':
		return true
	case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069':
		return true
	}
	return false
}
