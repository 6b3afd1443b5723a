package probes

import "testing"

func TestInert(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"plain text, ünïcödé and 中文 stay", "plain text, ünïcödé and 中文 stay"},
		{"\x1b[31mred\x1b[0m", "\ufffd[31mred\ufffd[0m"},
		{"bell\a", "bell\ufffd"},
		{"a\tb\nc\r\nd\u2028e", "a b c  d e"},
		{"\u202egnp.exe", "\ufffdgnp.exe"},
		{"x\u2066y\u2069z\u200f", "x\ufffdy\ufffdz\ufffd"},
		{"del\x7f c1\u009b", "del\ufffd c1\ufffd"},
		{"bad \xff\xfe utf8", "bad \ufffd\ufffd utf8"},
	} {
		if got := Inert(tc.in); got != tc.want {
			t.Errorf("Inert(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
