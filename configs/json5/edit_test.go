package json5

import "testing"

func TestDetectStyle(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		src  string
		want Style
	}{
		{`{"a": "x", "b": {"c": 'y'}}`, Style{Quote: '"', QuoteKeys: true}},
		{`{a: 'x', b: {c: 'y'}, "d-e": "z"}`, Style{Quote: '\'', QuoteKeys: false}},
		{`{}`, Style{Quote: '"', QuoteKeys: true}},
		{`{agents: {defaults: {}}}`, Style{Quote: '"', QuoteKeys: false}},
	} {
		root, err := Parse([]byte(tc.src))
		if err != nil {
			t.Fatal(err)
		}
		if got := DetectStyle([]byte(tc.src), root); got != tc.want {
			t.Errorf("DetectStyle(%s) = %+v, want %+v", tc.src, got, tc.want)
		}
	}
}

func TestStyleWrites(t *testing.T) {
	t.Parallel()
	dq, sq, bare := Style{Quote: '"', QuoteKeys: true}, Style{Quote: '\''}, Style{Quote: '"'}
	for _, tc := range []struct{ got, want string }{
		{dq.String(`it's "x" <&>`), `"it's \"x\" <&>"`},
		{sq.String(`it's "x"`), `'it\'s "x"'`},
		{dq.Key("model"), `"model"`},
		{bare.Key("model"), `model`},
		{bare.Key("openai/gpt-4o"), `"openai/gpt-4o"`},
		{bare.Key("9lives"), `"9lives"`},
		{sq.Key("a-b"), `'a-b'`},
	} {
		if tc.got != tc.want {
			t.Errorf("got %s, want %s", tc.got, tc.want)
		}
	}
}

func TestMemberEdits(t *testing.T) {
	t.Parallel()
	st := Style{Quote: '"'}
	tests := []struct {
		name, src, want string
		appendIt        bool
	}{
		{"insert into empty", `{}`, `{k: 1}`, false},
		{"insert first, one line", `{a: 1}`, `{k: 1, a: 1}`, false},
		{"insert first, indented", "{\n  a: 1,\n}", "{\n  k: 1,\n  a: 1,\n}", false},
		{"append, one line", `{a: 1, b: 2}`, `{a: 1, b: 2, k: 1}`, true},
		{"append, one line, trailing comma", `{a: 1, b: 2,}`, `{a: 1, b: 2, k: 1,}`, true},
		{"append, lines, trailing comma", "{\n  a: 1,\n  b: 2,\n}", "{\n  a: 1,\n  b: 2,\n  k: 1,\n}", true},
		{"append, lines, no trailing comma", "{\n  a: 1,\n  b: 2\n}", "{\n  a: 1,\n  b: 2,\n  k: 1\n}", true},
		{"append keeps a same-line comment", "{\n  a: 1, // one\n}", "{\n  a: 1, // one\n  k: 1,\n}", true},
		{"append, CRLF", "{\r\n  a: 1\r\n}", "{\r\n  a: 1,\r\n  k: 1\r\n}", true},
		{"append, comment before the comma", "{\n  a: 1 /* x, y */,\n}", "{\n  a: 1 /* x, y */,\n  k: 1,\n}", true},
	}
	for _, tc := range tests {
		root, err := Parse([]byte(tc.src))
		if err != nil {
			t.Fatal(err)
		}
		var e Edit
		if tc.appendIt {
			e = AppendMembers([]byte(tc.src), root, st, []string{"k"}, []string{"1"})
		} else {
			e = InsertMember([]byte(tc.src), root, st, "k", "1")
		}
		got := string(Apply([]byte(tc.src), []Edit{e}))
		if got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
		if _, err := Parse([]byte(got)); err != nil {
			t.Errorf("%s: result does not parse: %v", tc.name, err)
		}
	}
}

func TestAppendSeveralMembers(t *testing.T) {
	t.Parallel()
	st := Style{Quote: '"', QuoteKeys: true}
	for _, tc := range []struct{ src, want string }{
		{"{\n  \"a/b\": {},\n}", "{\n  \"a/b\": {},\n  \"c/d\": {},\n  \"e/f\": {},\n}"},
		{`{"a/b": {}}`, `{"a/b": {}, "c/d": {}, "e/f": {}}`},
		{`{}`, `{"c/d": {}, "e/f": {}}`},
	} {
		root, _ := Parse([]byte(tc.src))
		e := AppendMembers([]byte(tc.src), root, st, []string{"c/d", "e/f"}, []string{"{}", "{}"})
		if got := string(Apply([]byte(tc.src), []Edit{e})); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

func TestArrayKeepsLayout(t *testing.T) {
	t.Parallel()
	src := "{f: [\n    \"a\",\n    \"b\", // last\n  ]}"
	root, _ := Parse([]byte(src))
	old := root.Get("f")
	got := Array([]byte(src), old, []string{`"b"`, `"a"`})
	if want := "[\n    \"b\",\n    \"a\",\n  ]"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := Array(nil, nil, []string{`"x"`, `"y"`}); got != `["x", "y"]` {
		t.Errorf("one-line array %q", got)
	}
	if got := Array(nil, nil, nil); got != "[]" {
		t.Errorf("empty array %q", got)
	}
}

func TestApplyOrdersEdits(t *testing.T) {
	t.Parallel()
	got := Apply([]byte("abcdef"), []Edit{{Start: 0, End: 1, Text: "X"}, {Start: 4, End: 6, Text: "YZW"}, {Start: 2, End: 2, Text: "-"}})
	if string(got) != "Xb-cdYZW" {
		t.Errorf("Apply = %q", got)
	}
}
