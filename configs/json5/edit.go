package json5

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"
)

// Edit replaces src[Start:End] with Text. An insertion has Start == End.
type Edit struct {
	Start, End int
	Text       string
}

// Apply returns a copy of src with the edits made. Edits must not overlap;
// their order does not matter.
func Apply(src []byte, edits []Edit) []byte {
	es := append([]Edit(nil), edits...)
	sort.Slice(es, func(i, j int) bool { return es[i].Start > es[j].Start })
	out := append([]byte(nil), src...)
	for _, e := range es {
		out = append(out[:e.Start], append([]byte(e.Text), out[e.End:]...)...)
	}
	return out
}

// Style is how a document writes what an edit adds: the quote of its
// strings and whether it quotes object keys, so that new text looks like
// the person's own.
type Style struct {
	Quote     byte // '"' or '\''
	QuoteKeys bool // false when the document writes keys bare (JSON5 identifiers)
}

// DetectStyle reads a document's style from its own keys and strings: the
// quote most of its strings use (double on a tie or when it has none), and
// bare keys when most of its keys are written bare.
func DetectStyle(src []byte, root *Node) Style {
	var single, double, bare, quoted int
	var walk func(n *Node)
	walk = func(n *Node) {
		switch n.Kind {
		case KindString:
			if n.Start < len(src) && src[n.Start] == '\'' {
				single++
			} else {
				double++
			}
		case KindArray:
			for _, it := range n.Items {
				walk(it)
			}
		case KindObject:
			for _, f := range n.Fields {
				if f.KeyStart < len(src) && (src[f.KeyStart] == '"' || src[f.KeyStart] == '\'') {
					quoted++
				} else {
					bare++
				}
				walk(f.Value)
			}
		}
	}
	if root != nil {
		walk(root)
	}
	st := Style{Quote: '"', QuoteKeys: bare <= quoted}
	if single > double {
		st.Quote = '\''
	}
	return st
}

// String writes s as a JSON5 string literal in the style's quote.
func (st Style) String(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	out := strings.TrimSuffix(b.String(), "\n")
	if st.Quote != '\'' {
		return out
	}
	inner := out[1 : len(out)-1]
	inner = strings.ReplaceAll(inner, `\"`, `"`)
	inner = strings.ReplaceAll(inner, `'`, `\'`)
	return "'" + inner + "'"
}

// Key writes an object key: bare when the style writes keys bare and the key
// is a plain identifier, else quoted.
func (st Style) Key(k string) string {
	if !st.QuoteKeys && isPlainIdent(k) {
		return k
	}
	return st.String(k)
}

// isPlainIdent reports whether k can stand unquoted as a key: an ASCII
// identifier (JSON5 allows more, but a person reading the file expects this).
func isPlainIdent(k string) bool {
	if k == "" {
		return false
	}
	for i, c := range k {
		letter := c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// StringIn is the style a single string keeps when it is replaced: its own
// quote, so an edit of one value changes nothing else about it.
func (st Style) StringIn(src []byte, n *Node) Style {
	if n != nil && n.Kind == KindString && n.Start < len(src) {
		st.Quote = src[n.Start]
	}
	return st
}

// LeadingSpace is the run of whitespace at the start of b.
func LeadingSpace(b []byte) string {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return string(b[:i])
}

// IndentBefore is the whitespace between the start of off's line and off,
// or "" when something else stands there.
func IndentBefore(src []byte, off int) string {
	i := off
	for i > 0 && (src[i-1] == ' ' || src[i-1] == '\t') {
		i--
	}
	if i > 0 && src[i-1] != '\n' && src[i-1] != '\r' {
		return ""
	}
	return string(src[i:off])
}

// Array writes items (already rendered values) in the layout of the array
// it replaces: one per line with the old indentation, line ending and
// trailing comma when the old array was written over several lines, else
// on one line. old may be nil.
func Array(src []byte, old *Node, items []string) string {
	if len(items) == 0 {
		return "[]"
	}
	if old == nil || old.Kind != KindArray || len(old.Items) == 0 || !bytes.ContainsAny(src[old.Start:old.End], "\n\r") {
		return "[" + strings.Join(items, ", ") + "]"
	}
	nl := "\n"
	if bytes.Contains(src[old.Start:old.End], []byte("\r\n")) {
		nl = "\r\n"
	}
	itemIndent := IndentBefore(src, old.Items[0].Start)
	closeIndent := IndentBefore(src, old.End-1)
	last := old.Items[len(old.Items)-1]
	trailing := bytes.IndexByte(stripComments(src[last.End:old.End-1]), ',') >= 0
	var b strings.Builder
	b.WriteString("[")
	for i, s := range items {
		b.WriteString(nl + itemIndent + s)
		if i < len(items)-1 || trailing {
			b.WriteString(",")
		}
	}
	b.WriteString(nl + closeIndent + "]")
	return b.String()
}

// InsertMember returns the edit that adds "key: value" as the first member
// of obj, taking the whitespace that precedes the object's current first
// member (or comment) as its separator, so the new member has its
// neighbours' indentation and line ending. value is already rendered.
func InsertMember(src []byte, obj *Node, st Style, key, value string) Edit {
	return insertFirst(src, obj, st.Key(key)+": "+value)
}

func insertFirst(src []byte, obj *Node, member string) Edit {
	ws := LeadingSpace(src[obj.Start+1 : obj.End])
	at := obj.Start + 1 + len(ws)
	text := member
	if len(obj.Fields) > 0 {
		if ws == "" {
			text += ", "
		} else {
			text += "," + ws
		}
	}
	return Edit{Start: at, End: at, Text: text}
}

// AppendMembers returns the edit that adds each "keys[i]: values[i]" after
// obj's last member: on lines of their own with the last member's
// indentation when that member stands on its own line, else on the same
// line; keeping a trailing comma style (a comma after the new members when
// the old last one had one). values are already rendered.
func AppendMembers(src []byte, obj *Node, st Style, keys, values []string) Edit {
	members := make([]string, len(keys))
	for i := range keys {
		members[i] = st.Key(keys[i]) + ": " + values[i]
	}
	if len(obj.Fields) == 0 {
		return insertFirst(src, obj, strings.Join(members, ", "))
	}
	last := obj.Fields[len(obj.Fields)-1]
	ind := IndentBefore(src, last.KeyStart)
	ownLine := ind != "" || last.KeyStart == 0 || src[last.KeyStart-1] == '\n' || src[last.KeyStart-1] == '\r'
	nl := "\n"
	if bytes.Contains(src[obj.Start:obj.End], []byte("\r\n")) {
		nl = "\r\n"
	}
	sep := ", "
	if ownLine {
		sep = "," + nl + ind
	}
	rest := src[last.Value.End : obj.End-1]
	c := commaOffset(rest)
	if c == len(rest) { // no trailing comma: add one, then the members
		lead := ", "
		if ownLine {
			lead = "," + nl + ind
		}
		return Edit{Start: last.Value.End, End: last.Value.End, Text: lead + strings.Join(members, sep)}
	}
	at := last.Value.End + c + 1
	if !ownLine {
		return Edit{Start: at, End: at, Text: " " + strings.Join(members, sep) + ","}
	}
	// After the comma, keep a comment on the same line with its member.
	for at < obj.End-1 && (src[at] == ' ' || src[at] == '\t') {
		at++
	}
	if at+1 < obj.End-1 && src[at] == '/' && src[at+1] == '/' {
		for at < obj.End-1 && src[at] != '\n' && src[at] != '\r' {
			at++
		}
	} else {
		at = last.Value.End + c + 1
	}
	return Edit{Start: at, End: at, Text: nl + ind + strings.Join(members, sep) + ","}
}

// commentEnd is, when a comment starts at b[i], the offset just past it
// (len(b) for an unterminated one); otherwise i.
func commentEnd(b []byte, i int) int {
	if i+1 >= len(b) || b[i] != '/' {
		return i
	}
	switch b[i+1] {
	case '/':
		if j := bytes.IndexByte(b[i:], '\n'); j >= 0 {
			return i + j
		}
		return len(b)
	case '*':
		if j := bytes.Index(b[i+2:], []byte("*/")); j >= 0 {
			return i + 2 + j + 2
		}
		return len(b)
	}
	return i
}

// commaOffset is the offset of the first comma in b outside comments, or
// len(b) when there is none.
func commaOffset(b []byte) int {
	for i := 0; i < len(b); {
		if j := commentEnd(b, i); j > i {
			i = j
			continue
		}
		if b[i] == ',' {
			return i
		}
		i++
	}
	return len(b)
}

// stripComments drops // and /* */ comments from a short span between
// values, where no strings can stand.
func stripComments(b []byte) []byte {
	var out []byte
	for i := 0; i < len(b); {
		if j := commentEnd(b, i); j > i {
			i = j
			continue
		}
		out = append(out, b[i])
		i++
	}
	return out
}
