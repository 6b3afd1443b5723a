// Package text holds the small string helpers more than one stage needs,
// so each exists once.
package text

import "unicode/utf8"

// Truncate cuts s to at most n characters (runes), marking the cut with
// "…". Callers that must not leak a secret redact before they truncate:
// a cut can split a secret so that no redaction finds it any more.
func Truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
