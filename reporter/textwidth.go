package reporter

import (
	"strings"
	"unicode"

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

// termWidth is the number of terminal cells s takes.
func termWidth(s string) int {
	n := 0
	for _, r := range s {
		n += termRuneWidth(r)
	}
	return n
}

// termRuneWidth is a rune's width in terminal cells: 0 for combining and format
// characters, 2 for East Asian wide and fullwidth characters and emoji, else 1.
func termRuneWidth(r rune) int {
	switch {
	case r < 0x20 || (r >= 0x7F && r < 0xA0):
		return 0
	case r < 0x300: // fast path: Latin
		return 1
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf):
		return 0
	case termIsWide(r):
		return 2
	}
	return 1
}

// termWideRanges are the East Asian Wide (W) and Fullwidth (F) blocks that
// matter in model names and provider messages, plus the emoji blocks.
var termWideRanges = [][2]rune{
	{0x1100, 0x115F},   // Hangul Jamo initials
	{0x231A, 0x231B},   // watch, hourglass
	{0x2329, 0x232A},   // angle brackets
	{0x23E9, 0x23EC},   // media controls
	{0x25FD, 0x25FE},   // small squares
	{0x2614, 0x2615},   // umbrella, hot beverage
	{0x26A1, 0x26A1},   // high voltage
	{0x26D4, 0x26D4},   // no entry
	{0x2705, 0x2705},   // check mark button
	{0x274C, 0x274C},   // cross mark
	{0x2753, 0x2755},   // question marks
	{0x2E80, 0x303E},   // CJK radicals, punctuation
	{0x3041, 0x33FF},   // kana, CJK compatibility
	{0x3400, 0x4DBF},   // CJK extension A
	{0x4E00, 0x9FFF},   // CJK unified ideographs
	{0xA000, 0xA4CF},   // Yi
	{0xA960, 0xA97F},   // Hangul Jamo extended A
	{0xAC00, 0xD7A3},   // Hangul syllables
	{0xF900, 0xFAFF},   // CJK compatibility ideographs
	{0xFE10, 0xFE19},   // vertical forms
	{0xFE30, 0xFE6F},   // CJK compatibility forms, small forms
	{0xFF00, 0xFF60},   // fullwidth forms
	{0xFFE0, 0xFFE6},   // fullwidth signs
	{0x1F300, 0x1F64F}, // pictographs, emoticons
	{0x1F680, 0x1F6FF}, // transport and map
	{0x1F900, 0x1F9FF}, // supplemental pictographs
	{0x1FA70, 0x1FAFF}, // pictographs extended A
	{0x20000, 0x3FFFD}, // CJK extensions B and later
}

func termIsWide(r rune) bool {
	for _, rg := range termWideRanges {
		if r < rg[0] {
			return false
		}
		if r <= rg[1] {
			return true
		}
	}
	return false
}

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
