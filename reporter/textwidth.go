package reporter

import (
	"strings"

	"github.com/rivo/uniseg"

	"github.com/provwatch/provwatch/probes"
)

// Terminal text helpers for the table: provider details are foreign text,
// so they are made safe to print and measured in terminal cells, not bytes.

// termClean makes s safe for one terminal line: line breaks and tabs become
// spaces, and control characters (an ESC could recolour or clear the
// operator's terminal) and bidirectional overrides (which reorder what is
// shown) become U+FFFD. Provider text already arrives so (probes.Inert);
// the table applies the same rule to everything it prints.
func termClean(s string) string { return probes.Inert(s) }

// termWidth is the number of terminal cells s takes, measured per grapheme
// cluster by uniseg from the Unicode tables: East Asian wide and fullwidth
// characters and emoji take 2 cells, combining marks and zero-width joiners
// none, and an emoji sequence (a ZWJ family, a flag, a heart with U+FE0F)
// takes the 2 cells a terminal draws it in. Ambiguous-width characters count
// as 1 whatever the locale, so the same report prints the same everywhere.
func termWidth(s string) int { return uniseg.StringWidth(s) }

// termPadRight pads s with spaces to width cells (measured, not counted in bytes).
func termPadRight(s string, width int) string {
	if n := width - termWidth(s); n > 0 {
		return s + strings.Repeat(" ", n)
	}
	return s
}

// termPadLeft right-aligns s in width cells.
func termPadLeft(s string, width int) string {
	if n := width - termWidth(s); n > 0 {
		return strings.Repeat(" ", n) + s
	}
	return s
}
