// Package json5 reads JSON5 (what OpenClaw's config is written in) into a
// tree whose every value knows its exact byte span, and edits a document in
// place: replace a few spans, keep every other byte (comments, layout, key
// quoting, line endings) as the person wrote it.
package json5

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Kind is a JSON5 value's type.
type Kind int

// JSON5 kinds.
const (
	KindNull Kind = iota
	KindBool
	KindNumber
	KindString
	KindArray
	KindObject
)

func (k Kind) String() string {
	switch k {
	case KindNull:
		return "null"
	case KindBool:
		return "boolean"
	case KindNumber:
		return "number"
	case KindString:
		return "string"
	case KindArray:
		return "array"
	case KindObject:
		return "object"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Node is one parsed JSON5 value with its position in the source, so errors
// can name line and column and the openclaw: target can rewrite one value in
// place, leaving every other byte alone.
type Node struct {
	Kind   Kind
	Str    string  // KindString
	Num    float64 // KindNumber
	Bool   bool    // KindBool
	Items  []*Node // KindArray
	Fields []Field // KindObject, in source order
	Start  int     // byte offset of the value's first byte
	End    int     // byte offset just past the value's last byte
	Line   int     // 1-based line of Start
	Col    int     // 1-based column (in bytes) of Start
}

// Field is one member of an object.
type Field struct {
	Key   string
	Value *Node
	Line  int // position of the key
	Col   int
	// KeyStart and KeyEnd are the byte offsets of the key as written
	// (quotes included), for in-place edits next to a key.
	KeyStart int
	KeyEnd   int
}

// Get returns the value of the last field named key (later keys win, as in
// OpenClaw), or nil.
func (n *Node) Get(key string) *Node {
	if n == nil || n.Kind != KindObject {
		return nil
	}
	var v *Node
	for _, f := range n.Fields {
		if f.Key == key {
			v = f.Value
		}
	}
	return v
}

// Find follows a path of object keys (Get at each step) and returns the
// value at its end, or nil when any step is missing or not an object.
func (n *Node) Find(path ...string) *Node {
	for _, k := range path {
		n = n.Get(k)
		if n == nil {
			return nil
		}
	}
	return n
}

// Value converts the node to plain Go values as encoding/json would decode
// into an interface{}: nil, bool, float64, string, []any, map[string]any
// (the last of duplicate keys wins).
func (n *Node) Value() any {
	if n == nil {
		return nil
	}
	switch n.Kind {
	case KindBool:
		return n.Bool
	case KindNumber:
		return n.Num
	case KindString:
		return n.Str
	case KindArray:
		out := make([]any, len(n.Items))
		for i, it := range n.Items {
			out[i] = it.Value()
		}
		return out
	case KindObject:
		out := make(map[string]any, len(n.Fields))
		for _, f := range n.Fields {
			out[f.Key] = f.Value.Value()
		}
		return out
	}
	return nil
}

// SyntaxError is a JSON5 syntax error at a position.
type SyntaxError struct {
	Offset    int
	Line, Col int
	Msg       string
}

func (e *SyntaxError) Error() string { return e.Msg }

// maxDepth bounds nesting as encoding/json does, so hostile input cannot
// exhaust the stack.
const maxDepth = 10000

// Parse parses a JSON5 document (comments, trailing commas, unquoted
// keys, single quotes, hex, +/-Infinity, NaN, multi-line strings).
//
// Every node records its exact byte span, so a caller can replace one value
// and keep every other byte (comments, layout) as it was. Invalid UTF-8 in
// strings becomes U+FFFD, as encoding/json and JavaScript do.
func Parse(data []byte) (*Node, error) {
	p := &parser{src: string(data)}
	p.indexLines()
	if err := p.skipSpace(); err != nil {
		return nil, err
	}
	if p.pos >= len(p.src) {
		return nil, p.errf(p.pos, "empty document, expected a value")
	}
	n, err := p.value()
	if err != nil {
		return nil, err
	}
	if err := p.skipSpace(); err != nil {
		return nil, err
	}
	if p.pos < len(p.src) {
		return nil, p.errf(p.pos, "unexpected %s after the end of the document", p.describe(p.pos))
	}
	return n, nil
}

type parser struct {
	src      string
	pos      int
	lines    []int // byte offset where each line starts
	lineHint int
	slab     []Node
	depth    int
	// Scratch stacks for members of the objects and arrays being parsed:
	// each container copies its members out once, at its exact size, instead
	// of growing its own slice by doubling.
	fields []Field
	items  []*Node
}

// indexLines records line starts once, so positions cost a lookup instead
// of bookkeeping in every scanning loop. Line terminators are JSON5's:
// LF, CR, CRLF, U+2028, U+2029.
func (p *parser) indexLines() {
	s := p.src
	p.lines = make([]int, 1, 1+len(s)/32)
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\n':
			p.lines = append(p.lines, i+1)
		case '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			p.lines = append(p.lines, i+1)
		case 0xE2:
			if isLSPS(s, i) {
				i += 2
				p.lines = append(p.lines, i+1)
			}
		}
	}
}

// isLSPS reports whether s[i:] starts with U+2028 or U+2029.
func isLSPS(s string, i int) bool {
	return i+2 < len(s) && s[i] == 0xE2 && s[i+1] == 0x80 && (s[i+2] == 0xA8 || s[i+2] == 0xA9)
}

func (p *parser) lineCol(off int) (int, int) {
	ls := p.lines
	h := p.lineHint
	// Nodes are created in source order, so walking forward from the last
	// answer is almost always one or two steps.
	if h >= len(ls) || ls[h] > off {
		h = 0
	}
	for h+1 < len(ls) && ls[h+1] <= off {
		h++
	}
	p.lineHint = h
	return h + 1, off - ls[h] + 1
}

func (p *parser) errf(off int, format string, args ...any) *SyntaxError {
	line, col := p.lineCol(off)
	return &SyntaxError{Offset: off, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

// describe names the character at off the way a person reads it.
func (p *parser) describe(off int) string {
	if off >= len(p.src) {
		return "end of input"
	}
	c := p.src[off]
	switch {
	case c == '\n' || c == '\r':
		return "newline"
	case c == '\'':
		return `"'"`
	case c < 0x20 || c == 0x7f:
		return fmt.Sprintf("control character U+%04X", c)
	case c < 0x80:
		if isIdentStart(rune(c)) {
			return fmt.Sprintf("word %q", p.word(off))
		}
		return fmt.Sprintf("'%c'", c)
	}
	r, size := utf8.DecodeRuneInString(p.src[off:])
	if r == utf8.RuneError && size == 1 {
		return fmt.Sprintf("invalid UTF-8 byte 0x%02X", c)
	}
	if isIdentStart(r) {
		return fmt.Sprintf("word %q", p.word(off))
	}
	if unicode.IsPrint(r) {
		return fmt.Sprintf("'%c' (U+%04X)", r, r)
	}
	return fmt.Sprintf("U+%04X", r)
}

// maxQuotedWord is the longest word a message quotes whole. A longer one
// is shown by its first four characters: an unquoted value that long is
// likely a key (apiKey: gsk_…), and messages reach logs.
const maxQuotedWord = 12

// word returns the run of identifier characters at off, for messages.
func (p *parser) word(off int) string {
	end, n := off, 0
	for end < len(p.src) {
		r, size := utf8.DecodeRuneInString(p.src[end:])
		if !isIdentPart(r) {
			break
		}
		if n++; n > maxQuotedWord {
			return string([]rune(p.src[off:end])[:4]) + "…"
		}
		end += size
	}
	return p.src[off:end]
}

func (p *parser) node(k Kind, start int) *Node {
	if len(p.slab) == cap(p.slab) {
		// Nodes are allocated in chunks: one allocation per chunk instead of
		// one per value. A chunk stays alive as long as any node in it.
		// About one value per 32 bytes of a typical config.
		size := len(p.src) / 32
		if size < 8 {
			size = 8
		} else if size > 512 {
			size = 512
		}
		p.slab = make([]Node, 0, size)
	}
	p.slab = p.slab[:len(p.slab)+1]
	n := &p.slab[len(p.slab)-1]
	n.Kind = k
	n.Start = start
	n.Line, n.Col = p.lineCol(start)
	return n
}

func (p *parser) skipSpace() error {
	s := p.src
	for p.pos < len(s) {
		c := s[p.pos]
		switch c {
		case ' ', '\t', '\n', '\r', '\v', '\f':
			p.pos++
		case '/':
			if p.pos+1 >= len(s) {
				return nil
			}
			switch s[p.pos+1] {
			case '/':
				p.pos += 2
				for p.pos < len(s) && s[p.pos] != '\n' && s[p.pos] != '\r' && !isLSPS(s, p.pos) {
					p.pos++
				}
			case '*':
				end := strings.Index(s[p.pos+2:], "*/")
				if end < 0 {
					return p.errf(p.pos, "unterminated /* comment (add the closing */)")
				}
				p.pos += 2 + end + 2
			default:
				return nil
			}
		default:
			if c < 0x80 {
				return nil
			}
			r, size := utf8.DecodeRuneInString(s[p.pos:])
			if r == 0xFEFF || r == 0x2028 || r == 0x2029 || unicode.Is(unicode.Zs, r) {
				p.pos += size
				continue
			}
			return nil
		}
	}
	return nil
}

func (p *parser) value() (*Node, error) {
	if p.pos >= len(p.src) {
		return nil, p.errf(p.pos, "unexpected end of input, expected a value")
	}
	start := p.pos
	switch c := p.src[p.pos]; c {
	case '{':
		return p.object()
	case '[':
		return p.array()
	case '"', '\'':
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		n := p.node(KindString, start)
		n.Str = s
		n.End = p.pos
		return n, nil
	case '-', '+', '.', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return p.number()
	case 'I', 'N':
		return p.number()
	case 't', 'f', 'n':
		w := p.word(start)
		var n *Node
		switch w {
		case "true", "false":
			n = p.node(KindBool, start)
			n.Bool = w == "true"
		case "null":
			n = p.node(KindNull, start)
		default:
			return nil, p.badValue(start)
		}
		p.pos += len(w)
		n.End = p.pos
		return n, nil
	}
	return nil, p.badValue(start)
}

func (p *parser) badValue(off int) error {
	d := p.describe(off)
	if strings.HasPrefix(d, "word ") {
		return p.errf(off, "unexpected %s, expected a value (put strings in quotes)", d)
	}
	return p.errf(off, "unexpected %s, expected a value", d)
}

func (p *parser) enter(off int) error {
	p.depth++
	if p.depth > maxDepth {
		return p.errf(off, "nesting deeper than %d levels", maxDepth)
	}
	return nil
}

func (p *parser) object() (*Node, error) {
	start := p.pos
	if err := p.enter(start); err != nil {
		return nil, err
	}
	p.pos++
	n := p.node(KindObject, start)
	mark := len(p.fields)
	for {
		if err := p.skipSpace(); err != nil {
			return nil, err
		}
		if p.pos >= len(p.src) {
			return nil, p.errf(p.pos, "unexpected end of input, the object opened at %d:%d is not closed", n.Line, n.Col)
		}
		if p.src[p.pos] == '}' {
			break
		}
		keyStart := p.pos
		key, err := p.key()
		if err != nil {
			return nil, err
		}
		f := Field{Key: key, KeyStart: keyStart, KeyEnd: p.pos}
		f.Line, f.Col = p.lineCol(keyStart)
		if err := p.skipSpace(); err != nil {
			return nil, err
		}
		if p.pos >= len(p.src) || p.src[p.pos] != ':' {
			return nil, p.errf(p.pos, "unexpected %s, expected ':' after key %q", p.describe(p.pos), key)
		}
		p.pos++
		if err := p.skipSpace(); err != nil {
			return nil, err
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		f.Value = v
		p.fields = append(p.fields, f)
		if err := p.skipSpace(); err != nil {
			return nil, err
		}
		if p.pos < len(p.src) && p.src[p.pos] == ',' {
			p.pos++
			continue
		}
		if p.pos < len(p.src) && p.src[p.pos] == '}' {
			break
		}
		if p.pos >= len(p.src) {
			return nil, p.errf(p.pos, "unexpected end of input, the object opened at %d:%d is not closed", n.Line, n.Col)
		}
		return nil, p.errf(p.pos, "unexpected %s, expected ',' or '}'", p.describe(p.pos))
	}
	p.pos++ // '}'
	if len(p.fields) > mark {
		n.Fields = append([]Field(nil), p.fields[mark:]...)
		p.fields = p.fields[:mark]
	}
	n.End = p.pos
	p.depth--
	return n, nil
}

func (p *parser) array() (*Node, error) {
	start := p.pos
	if err := p.enter(start); err != nil {
		return nil, err
	}
	p.pos++
	n := p.node(KindArray, start)
	mark := len(p.items)
	for {
		if err := p.skipSpace(); err != nil {
			return nil, err
		}
		if p.pos >= len(p.src) {
			return nil, p.errf(p.pos, "unexpected end of input, the array opened at %d:%d is not closed", n.Line, n.Col)
		}
		if p.src[p.pos] == ']' {
			break
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		p.items = append(p.items, v)
		if err := p.skipSpace(); err != nil {
			return nil, err
		}
		if p.pos < len(p.src) && p.src[p.pos] == ',' {
			p.pos++
			continue
		}
		if p.pos < len(p.src) && p.src[p.pos] == ']' {
			break
		}
		if p.pos >= len(p.src) {
			return nil, p.errf(p.pos, "unexpected end of input, the array opened at %d:%d is not closed", n.Line, n.Col)
		}
		return nil, p.errf(p.pos, "unexpected %s, expected ',' or ']'", p.describe(p.pos))
	}
	p.pos++ // ']'
	if len(p.items) > mark {
		n.Items = append([]*Node(nil), p.items[mark:]...)
		p.items = p.items[:mark]
	}
	n.End = p.pos
	p.depth--
	return n, nil
}

// key reads an object key: a quoted string or an ECMAScript 5 IdentifierName
// (which may contain \uXXXX escapes).
func (p *parser) key() (string, error) {
	if c := p.src[p.pos]; c == '"' || c == '\'' {
		return p.str()
	}
	s := p.src
	start := p.pos
	var b []byte
	escaped := false
	for p.pos < len(s) {
		first := p.pos == start
		if s[p.pos] == '\\' {
			if p.pos+1 >= len(s) || s[p.pos+1] != 'u' {
				return "", p.errf(p.pos, "invalid escape in key %q (only \\uXXXX is allowed in unquoted keys)", s[start:p.pos])
			}
			r, ok := hex4(s, p.pos+2)
			if !ok || !(first && isIdentStart(r) || !first && isIdentPart(r)) {
				return "", p.errf(p.pos, "invalid \\u escape in unquoted key")
			}
			if !escaped {
				b = append(b, s[start:p.pos]...)
				escaped = true
			}
			b = utf8.AppendRune(b, r)
			p.pos += 6
			continue
		}
		r, size := rune(s[p.pos]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[p.pos:])
		}
		if first && !isIdentStart(r) || !first && !isIdentPart(r) {
			break
		}
		if escaped {
			b = append(b, s[p.pos:p.pos+size]...)
		}
		p.pos += size
	}
	if p.pos == start {
		return "", p.errf(p.pos, "unexpected %s, expected a key or '}'", p.describe(p.pos))
	}
	if escaped {
		return string(b), nil
	}
	return s[start:p.pos], nil
}

func isIdentStart(r rune) bool {
	if r < utf8.RuneSelf {
		return r == '$' || r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z'
	}
	return unicode.IsLetter(r) || unicode.Is(unicode.Nl, r)
}

func isIdentPart(r rune) bool {
	if r < utf8.RuneSelf {
		return isIdentStart(r) || '0' <= r && r <= '9'
	}
	return isIdentStart(r) || unicode.In(r, unicode.Mn, unicode.Mc, unicode.Nd, unicode.Pc) || r == 0x200C || r == 0x200D
}

// hex4 decodes four hex digits at s[i:].
func hex4(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		d, ok := hexVal(c)
		if !ok {
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}

func hexVal(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// str reads a single- or double-quoted string starting at p.pos. Strings
// without escapes are substrings of the source: no copy.
func (p *parser) str() (string, error) {
	s := p.src
	q := s[p.pos]
	open := p.pos
	p.pos++
	seg := p.pos
	var b []byte
	built := false
	flush := func() {
		if !built {
			b = make([]byte, 0, p.pos-seg+16)
			built = true
		}
		b = append(b, s[seg:p.pos]...)
	}
	for {
		if p.pos >= len(s) {
			line, col := p.lineCol(open)
			return "", p.errf(p.pos, "unexpected end of input, the string opened at %d:%d is not closed", line, col)
		}
		c := s[p.pos]
		switch {
		case c == q:
			var out string
			if built {
				b = append(b, s[seg:p.pos]...)
				out = string(b)
			} else {
				out = s[seg:p.pos]
			}
			p.pos++
			return out, nil
		case c == '\\':
			flush()
			if err := p.escape(&b); err != nil {
				return "", err
			}
			seg = p.pos
		case c == '\n' || c == '\r':
			return "", p.errf(p.pos, "unexpected newline in string (close the quote, or end the line with \\ to continue the string)")
		case c < utf8.RuneSelf:
			p.pos++
		default:
			r, size := utf8.DecodeRuneInString(s[p.pos:])
			if r == utf8.RuneError && size == 1 {
				flush()
				b = utf8.AppendRune(b, utf8.RuneError)
				p.pos++
				seg = p.pos
				continue
			}
			p.pos += size
		}
	}
}

// escape decodes the escape sequence at p.pos (the backslash) into b.
func (p *parser) escape(b *[]byte) error {
	s := p.src
	at := p.pos
	p.pos++
	if p.pos >= len(s) {
		return p.errf(p.pos, "unexpected end of input in an escape sequence")
	}
	c := s[p.pos]
	p.pos++
	switch c {
	case 'b':
		*b = append(*b, '\b')
	case 'f':
		*b = append(*b, '\f')
	case 'n':
		*b = append(*b, '\n')
	case 'r':
		*b = append(*b, '\r')
	case 't':
		*b = append(*b, '\t')
	case 'v':
		*b = append(*b, '\v')
	case '0':
		if p.pos < len(s) && '0' <= s[p.pos] && s[p.pos] <= '9' {
			return p.errf(at, "octal escapes are not allowed in JSON5 strings")
		}
		*b = append(*b, 0)
	case '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return p.errf(at, "invalid escape \\%c in string (octal escapes are not allowed)", c)
	case 'x':
		if p.pos+2 > len(s) {
			return p.errf(at, "invalid \\x escape (want two hex digits)")
		}
		h, ok1 := hexVal(s[p.pos])
		l, ok2 := hexVal(s[p.pos+1])
		if !ok1 || !ok2 {
			return p.errf(at, "invalid \\x escape (want two hex digits)")
		}
		*b = utf8.AppendRune(*b, rune(h<<4|l))
		p.pos += 2
	case 'u':
		r, ok := hex4(s, p.pos)
		if !ok {
			return p.errf(at, "invalid \\u escape (want four hex digits)")
		}
		p.pos += 4
		if utf16IsHigh(r) {
			// A surrogate pair spelled as two escapes; a lone half becomes
			// U+FFFD, as in encoding/json.
			if p.pos+6 <= len(s) && s[p.pos] == '\\' && s[p.pos+1] == 'u' {
				if lo, ok := hex4(s, p.pos+2); ok && 0xDC00 <= lo && lo <= 0xDFFF {
					r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
					p.pos += 6
				}
			}
		}
		if 0xD800 <= r && r <= 0xDFFF {
			r = utf8.RuneError
		}
		*b = utf8.AppendRune(*b, r)
	case '\n':
		// Line continuation: the backslash and the line break vanish.
	case '\r':
		if p.pos < len(s) && s[p.pos] == '\n' {
			p.pos++
		}
	default:
		if c < utf8.RuneSelf {
			*b = append(*b, c)
			return nil
		}
		p.pos--
		r, size := utf8.DecodeRuneInString(s[p.pos:])
		p.pos += size
		if r == 0x2028 || r == 0x2029 {
			return nil // line continuation
		}
		*b = utf8.AppendRune(*b, r) // invalid UTF-8 becomes U+FFFD here too
	}
	return nil
}

func utf16IsHigh(r rune) bool { return 0xD800 <= r && r <= 0xDBFF }

func (p *parser) number() (*Node, error) {
	s := p.src
	start := p.pos
	neg := false
	if c := s[p.pos]; c == '+' || c == '-' {
		neg = c == '-'
		p.pos++
	}
	n := p.node(KindNumber, start)
	sign := 1.0
	if neg {
		sign = -1
	}
	rest := s[p.pos:]
	switch {
	case strings.HasPrefix(rest, "Infinity"):
		p.pos += len("Infinity")
		n.Num = math.Inf(int(sign))
	case strings.HasPrefix(rest, "NaN"):
		p.pos += len("NaN")
		n.Num = math.NaN()
	case len(rest) >= 2 && rest[0] == '0' && (rest[1] == 'x' || rest[1] == 'X'):
		p.pos += 2
		digits := p.pos
		v := 0.0
		for p.pos < len(s) {
			d, ok := hexVal(s[p.pos])
			if !ok {
				break
			}
			v = v*16 + float64(d)
			p.pos++
		}
		if p.pos == digits {
			return nil, p.errf(start, "invalid hex number %q (want hex digits after 0x)", s[start:p.pos])
		}
		n.Num = sign * v
	default:
		numStart := p.pos
		intDigits := p.digits()
		if intDigits > 1 && s[numStart] == '0' {
			return nil, p.errf(start, "invalid number %q (leading zeros are not allowed)", s[start:p.pos])
		}
		fracDigits := 0
		if p.pos < len(s) && s[p.pos] == '.' {
			p.pos++
			fracDigits = p.digits()
		}
		if intDigits == 0 && fracDigits == 0 {
			if p.pos == start || (p.pos == start+1 && (s[start] == '+' || s[start] == '-')) {
				if p.pos == start {
					return nil, p.badValue(start)
				}
				return nil, p.errf(p.pos, "unexpected %s after '%c', expected a number", p.describe(p.pos), s[start])
			}
			return nil, p.errf(start, "invalid number %q (want digits)", s[start:p.pos])
		}
		if p.pos < len(s) && (s[p.pos] == 'e' || s[p.pos] == 'E') {
			p.pos++
			if p.pos < len(s) && (s[p.pos] == '+' || s[p.pos] == '-') {
				p.pos++
			}
			if p.digits() == 0 {
				return nil, p.errf(start, "invalid number %q (the exponent needs digits)", s[start:p.pos])
			}
		}
		v, err := strconv.ParseFloat(s[numStart:p.pos], 64)
		if err != nil && !isRangeErr(err) {
			return nil, p.errf(start, "invalid number %q", s[start:p.pos])
		}
		// Out-of-range values become ±Inf or 0, as in JavaScript.
		n.Num = sign * v
	}
	if p.pos < len(s) {
		r, _ := utf8.DecodeRuneInString(s[p.pos:])
		if isIdentPart(r) {
			return nil, p.errf(p.pos, "unexpected %s right after the number %s", p.describe(p.pos), s[start:p.pos])
		}
	}
	n.End = p.pos
	return n, nil
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

func (p *parser) digits() int {
	start := p.pos
	for p.pos < len(p.src) && '0' <= p.src[p.pos] && p.src[p.pos] <= '9' {
		p.pos++
	}
	return p.pos - start
}
