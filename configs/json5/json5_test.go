package json5

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"reflect"
	"testing"
)

func TestParseJSON5Values(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want any
	}{
		{"null", `null`, nil},
		{"true", ` true `, true},
		{"false", "false", false},
		{"int", "42", 42.0},
		{"negative", "-7", -7.0},
		{"plus", "+7", 7.0},
		{"leading dot", ".5", 0.5},
		{"trailing dot", "5.", 5.0},
		{"exponent", "1.5e3", 1500.0},
		{"signed exponent", "-2E-2", -0.02},
		{"hex", "0xFF", 255.0},
		{"negative hex", "-0x10", -16.0},
		{"upper hex prefix", "0XaB", 171.0},
		{"infinity", "Infinity", math.Inf(1)},
		{"neg infinity", "-Infinity", math.Inf(-1)},
		{"plus infinity", "+Infinity", math.Inf(1)},
		{"huge", "1e400", math.Inf(1)},
		{"double quoted", `"a b"`, "a b"},
		{"single quoted", `'a "b"'`, `a "b"`},
		{"escapes", `"\b\f\n\r\t\v\0\/\\\"\'"`, "\b\f\n\r\t\v\x00/\\\"'"},
		{"hex escape", `'\x41\x7e'`, "A~"},
		{"unicode escape", `"\u00e9\u4e2d"`, "é中"},
		{"surrogate pair", `"\ud83d\ude00"`, "😀"},
		{"lone surrogate", `"\ud83d!"`, "\uFFFD!"},
		{"non-escape char", `'\a\q'`, "aq"},
		{"line continuation LF", "'ab\\\ncd'", "abcd"},
		{"line continuation CRLF", "'ab\\\r\ncd'", "abcd"},
		{"line continuation CR", "'ab\\\rcd'", "abcd"},
		{"line continuation LS", "'ab\\\u2028cd'", "abcd"},
		{"raw LS in string", "'a\u2028b'", "a\u2028b"},
		{"tab in string", "'a\tb'", "a\tb"},
		{"invalid utf8", "\"a\xffb\"", "a\uFFFDb"},
		{"empty object", `{}`, map[string]any{}},
		{"empty array", `[ ]`, []any{}},
		{"unquoted keys", `{a: 1, $b: 2, _c3: 3, ünï: 4}`, map[string]any{"a": 1.0, "$b": 2.0, "_c3": 3.0, "ünï": 4.0}},
		{"escaped key", `{\u0061b: 1}`, map[string]any{"ab": 1.0}},
		{"reserved word keys", `{true: 1, null: 2, Infinity: 3}`, map[string]any{"true": 1.0, "null": 2.0, "Infinity": 3.0}},
		{"trailing commas", `{a: [1, 2,], b: 'x',}`, map[string]any{"a": []any{1.0, 2.0}, "b": "x"}},
		{"comments", "// head\n{/* a */a: /* b */ 1 // c\n, /* d */}\n// tail", map[string]any{"a": 1.0}},
		{"bom and nbsp", "\uFEFF{\u00A0a:\u20031}", map[string]any{"a": 1.0}},
		{"duplicate keys last wins", `{a: 1, a: 2}`, map[string]any{"a": 2.0}},
		{"nested", `{models: {providers: {ollama: {baseUrl: 'http://h:11434', models: [{id: 'q'}]}}}}`,
			map[string]any{"models": map[string]any{"providers": map[string]any{"ollama": map[string]any{
				"baseUrl": "http://h:11434", "models": []any{map[string]any{"id": "q"}}}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if got := n.Value(); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Parse(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseJSON5NaN(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"NaN", "-NaN", "+NaN"} {
		n, err := Parse([]byte(in))
		if err != nil || n.Kind != KindNumber || !math.IsNaN(n.Num) {
			t.Errorf("Parse(%q) = %+v, %v; want NaN", in, n, err)
		}
	}
	n, err := Parse([]byte("-0"))
	if err != nil || !math.Signbit(n.Num) {
		t.Errorf("Parse(-0) = %v, %v; want negative zero", n.Num, err)
	}
}

func TestParseJSON5Positions(t *testing.T) {
	t.Parallel()
	src := "// OpenClaw\n{\n  agents: {\n    defaults: {\n      model: { primary: 'ollama/q', fallbacks: [\"a/b\", -0x1F] },\n    },\n  },\r\n  'k\\\nx': .5e1,\n}\n"
	root, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	model := root.Find("agents", "defaults", "model")
	primary := model.Get("primary")
	fb := model.Get("fallbacks")
	kx := root.Get("kx")
	tests := []struct {
		name       string
		n          *Node
		text       string
		line, col  int
		start, end int
	}{
		{"root", root, "", 2, 1, 12, len(src) - 1},
		{"model", model, "{ primary: 'ollama/q', fallbacks: [\"a/b\", -0x1F] }", 5, 14, -1, -1},
		{"primary", primary, "'ollama/q'", 5, 25, -1, -1},
		{"fallbacks", fb, "[\"a/b\", -0x1F]", 5, 48, -1, -1},
		{"fallback 0", fb.Items[0], "\"a/b\"", 5, 49, -1, -1},
		{"fallback 1", fb.Items[1], "-0x1F", 5, 56, -1, -1},
		{"continued key value", kx, ".5e1", 9, 5, -1, -1},
	}
	for _, tt := range tests {
		if tt.n == nil {
			t.Fatalf("%s: missing node", tt.name)
		}
		if tt.text != "" {
			if got := src[tt.n.Start:tt.n.End]; got != tt.text {
				t.Errorf("%s: span %q, want %q", tt.name, got, tt.text)
			}
		}
		if tt.start >= 0 && (tt.n.Start != tt.start || tt.n.End != tt.end) {
			t.Errorf("%s: span [%d,%d), want [%d,%d)", tt.name, tt.n.Start, tt.n.End, tt.start, tt.end)
		}
		if tt.n.Line != tt.line || tt.n.Col != tt.col {
			t.Errorf("%s: at %d:%d, want %d:%d", tt.name, tt.n.Line, tt.n.Col, tt.line, tt.col)
		}
	}
	if fb.Items[1].Num != -31 {
		t.Errorf("fallback 1 = %v, want -31", fb.Items[1].Num)
	}
	// Field positions point at the key.
	f := root.Fields[1]
	if f.Key != "kx" || f.Line != 8 || f.Col != 3 || src[f.KeyStart:f.KeyEnd] != "'k\\\nx'" {
		t.Errorf("field = %q at %d:%d span %q", f.Key, f.Line, f.Col, src[f.KeyStart:f.KeyEnd])
	}
}

func TestParseJSON5DuplicateKeysKept(t *testing.T) {
	t.Parallel()
	n, err := Parse([]byte(`{a: 1, b: 2, a: 3}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(n.Fields) != 3 || n.Fields[0].Key != "a" || n.Fields[2].Key != "a" {
		t.Fatalf("fields = %+v, want all three in order", n.Fields)
	}
	if got := n.Get("a").Num; got != 3 {
		t.Errorf("Get(a) = %v, want 3 (the last)", got)
	}
	if n.Get("zz") != nil || (*Node)(nil).Get("a") != nil || n.Get("a").Get("x") != nil {
		t.Error("Get on a missing key, nil or a non-object must return nil")
	}
}

func TestParseJSON5Errors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		in        string
		line, col int
		msg       string
	}{
		{"empty", "", 1, 1, "empty document, expected a value"},
		{"only comment", "// nothing\n", 2, 1, "empty document, expected a value"},
		{"brace for value", "{a: }", 1, 5, "unexpected '}', expected a value"},
		{"missing comma", "{a: 1\n b: 2}", 2, 2, `unexpected word "b", expected ',' or '}'`},
		{"missing colon", "{a 1}", 1, 4, `unexpected '1', expected ':' after key "a"`},
		{"unquoted value", "{a: ollama}", 1, 5, `unexpected word "ollama", expected a value (put strings in quotes)`},
		{"double comma", "[1,,2]", 1, 4, "unexpected ',', expected a value"},
		{"leading comma in object", "{,}", 1, 2, "unexpected ',', expected a key or '}'"},
		{"unclosed object", "{\n  a: 1,\n", 3, 1, "unexpected end of input, the object opened at 1:1 is not closed"},
		{"unclosed array", "[1", 1, 3, "unexpected end of input, the array opened at 1:1 is not closed"},
		{"array wrong close", "[1}", 1, 3, "unexpected '}', expected ',' or ']'"},
		{"unclosed string", "{a: 'abc", 1, 9, "unexpected end of input, the string opened at 1:5 is not closed"},
		{"newline in string", "'ab\ncd'", 1, 4, "unexpected newline in string (close the quote, or end the line with \\ to continue the string)"},
		{"unclosed comment", "{} /* x", 1, 4, "unterminated /* comment (add the closing */)"},
		{"trailing garbage", "{} x", 1, 4, `unexpected word "x" after the end of the document`},
		{"two values", "1 2", 1, 3, "unexpected '2' after the end of the document"},
		{"leading zero", "012", 1, 1, `invalid number "012" (leading zeros are not allowed)`},
		{"bad hex", "0xZ", 1, 1, `invalid hex number "0x" (want hex digits after 0x)`},
		{"bare sign", "[-]", 1, 3, "unexpected ']' after '-', expected a number"},
		{"bare dot", "[.]", 1, 2, `invalid number "." (want digits)`},
		{"bad exponent", "1e+", 1, 1, `invalid number "1e+" (the exponent needs digits)`},
		{"letter after number", "12px", 1, 3, `unexpected word "px" right after the number 12`},
		{"octal escape", `'\01'`, 1, 2, "octal escapes are not allowed in JSON5 strings"},
		{"digit escape", `'\7'`, 1, 2, `invalid escape \7 in string (octal escapes are not allowed)`},
		{"bad x escape", `'\xZ1'`, 1, 2, `invalid \x escape (want two hex digits)`},
		{"bad u escape", `'\u12'`, 1, 2, `invalid \u escape (want four hex digits)`},
		{"bad key escape", `{a\x: 1}`, 1, 3, `invalid escape in key "a" (only \uXXXX is allowed in unquoted keys)`},
		{"tru", "tru", 1, 1, `unexpected word "tru", expected a value (put strings in quotes)`},
		{"undefined", "undefined", 1, 1, `unexpected word "undefined", expected a value (put strings in quotes)`},
		{"control char", "\x01", 1, 1, "unexpected control character U+0001, expected a value"},
		{"invalid utf8 outside string", "\xff", 1, 1, "unexpected invalid UTF-8 byte 0xFF, expected a value"},
		{"crlf lines", "{\r\n\r\n  a: ]}", 3, 6, "unexpected ']', expected a value"},
		{"column in bytes after multibyte", "{'é': x}", 1, 8, `unexpected word "x", expected a value (put strings in quotes)`},
		// An unquoted key must not be quoted back whole into a message or a log.
		{"unquoted key", "{apiKey: gsk_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789}", 1, 10, `unexpected word "gsk_…", expected a value (put strings in quotes)`},
		{"twelve characters are shown", "{a: abcdefghijkl}", 1, 5, `unexpected word "abcdefghijkl", expected a value (put strings in quotes)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tt.in))
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error = %v, want *SyntaxError", tt.in, err)
			}
			if se.Msg != tt.msg || se.Line != tt.line || se.Col != tt.col {
				t.Errorf("Parse(%q) = %d:%d %q, want %d:%d %q", tt.in, se.Line, se.Col, se.Msg, tt.line, tt.col, tt.msg)
			}
		})
	}
}

func TestParseJSON5DepthLimit(t *testing.T) {
	t.Parallel()
	deep := make([]byte, 0, 2*maxDepth+2)
	for i := 0; i <= maxDepth; i++ {
		deep = append(deep, '[')
	}
	_, err := Parse(deep)
	var se *SyntaxError
	if !errors.As(err, &se) || se.Msg != "nesting deeper than 10000 levels" {
		t.Fatalf("err = %v, want nesting error", err)
	}
}

// checkSpans asserts every node's span lies inside its parent's, in source
// order, and that re-parsing a value's own bytes gives the same value.
func checkSpans(t *testing.T, src []byte, n *Node, budget *int) {
	t.Helper()
	if n.Start < 0 || n.End > len(src) || n.Start >= n.End {
		t.Fatalf("node %v has bad span [%d,%d) in %d bytes", n.Kind, n.Start, n.End, len(src))
	}
	if *budget > 0 {
		*budget--
		sub, err := Parse(src[n.Start:n.End])
		if err != nil {
			t.Fatalf("re-parsing span %q: %v", src[n.Start:n.End], err)
		}
		if sub.Kind != n.Kind {
			t.Fatalf("span %q re-parses as %v, want %v", src[n.Start:n.End], sub.Kind, n.Kind)
		}
	}
	prev := n.Start
	var kids []*Node
	kids = append(kids, n.Items...)
	for _, f := range n.Fields {
		if f.KeyStart < prev || f.KeyEnd > f.Value.Start {
			t.Fatalf("key %q span [%d,%d) out of order", f.Key, f.KeyStart, f.KeyEnd)
		}
		kids = append(kids, f.Value)
	}
	for _, k := range kids {
		if k.Start < prev || k.End > n.End {
			t.Fatalf("child span [%d,%d) outside parent [%d,%d) or out of order", k.Start, k.End, n.Start, n.End)
		}
		prev = k.End
		checkSpans(t, src, k, budget)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"a":1}`, `[1,2,3]`, `'x'`, `{a: [1, 2,], /* c */ b: 'x\n',}`, "0x1F", "-Infinity", "NaN",
		`{"a":{"b":[true,false,null,"\u00e9"]}}`, "'line\\\ncont'", `{"dup":1,"dup":2}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := Parse(data)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %T is not *SyntaxError", err)
			}
			if se.Offset < 0 || se.Offset > len(data) || se.Line < 1 || se.Col < 1 || se.Msg == "" {
				t.Fatalf("bad error position %+v for %d bytes", se, len(data))
			}
		} else {
			budget := 50
			checkSpans(t, data, n, &budget)
		}
		if !json.Valid(data) {
			return
		}
		if err != nil {
			t.Fatalf("valid JSON %q rejected: %v", data, err)
		}
		var want any
		if json.Unmarshal(data, &want) != nil {
			return // e.g. 1e400: valid syntax, out of float64 range for encoding/json
		}
		if got := n.Value(); !reflect.DeepEqual(got, want) {
			t.Fatalf("JSON %q: got %#v, encoding/json %#v", data, got, want)
		}
	})
}

func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile("testdata/bench/openclaw.json5")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}
