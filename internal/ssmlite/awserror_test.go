package ssmlite

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/provwatch/provwatch/internal/redact"
)

// TestQuotesAreCut: an AWS message and an error body are quoted cut to
// their bound in characters, never inside one, and redacted before the
// cut, so a credential the cut would split is still gone whole.
func TestQuotesAreCut(t *testing.T) {
	t.Parallel()
	const token = "IQoJb3JpZ2luX2VjEXAMPLEsessionTOKENvalue"
	sec := &redact.Secrets{}
	sec.Add(token)
	for _, tc := range []struct {
		name  string
		quote func(string) string
		max   int
	}{
		{"AWS message", func(s string) string { return cleanMessage(s, sec) }, maxMessage},
		{"error body", func(s string) string { return strings.Trim(shortBody([]byte(s), sec), `"`) }, maxShownBody},
	} {
		t.Run(tc.name, func(t *testing.T) {
			long := strings.Repeat("Zugriff verweigert für über ", 40)
			got := tc.quote(long)
			if !utf8.ValidString(got) || !strings.HasSuffix(got, "…") || utf8.RuneCountInString(got) != tc.max {
				t.Errorf("cut to %d characters (valid UTF-8: %v): %q; want %d ending in …", utf8.RuneCountInString(got), utf8.ValidString(got), got, tc.max)
			}
			straddling := strings.Repeat("x", tc.max-10) + token
			if got := tc.quote(straddling); strings.Contains(got, token[:6]) {
				t.Errorf("a credential cut by the bound shows: %q", got)
			}
		})
	}
}
