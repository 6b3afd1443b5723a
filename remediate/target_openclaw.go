package remediate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/provwatch/provwatch/configs"
)

// openclawTarget rewrites agents.defaults.model inside an OpenClaw JSON5
// config, in place: only the bytes of that value change (or, when the key
// is missing, one member is inserted), so comments, layout, key quoting,
// line endings and $include directives stay as the person wrote them.
// OpenClaw hot-applies agents changes, so the gateway follows.
type openclawTarget struct {
	path string

	mu sync.Mutex
	// hash is the content the latest Read (or Write) saw: a Write refuses to
	// replace a file someone edited since, rather than lose their change.
	hash [sha256.Size]byte
	read bool
}

func (t *openclawTarget) String() string { return "openclaw:" + t.path }

// modelPath is where the order lives in an OpenClaw config.
var modelPath = []string{"agents", "defaults", "model"}

// located is what a config says about agents.defaults.model.
type located struct {
	root  *configs.Node
	model *configs.Node // nil when the key is missing
	// deepest is the deepest existing object of agents.defaults and depth
	// how many keys of modelPath it stands for (0 root, 1 agents, 2 defaults).
	deepest *configs.Node
	depth   int
	// includes are the $include values found on the way, with the depth
	// of the object holding each.
	includes []include
}

type include struct {
	depth int
	file  string
}

func (t *openclawTarget) Read(ctx context.Context) (Order, bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	data, err := t.readFile()
	if err != nil {
		return Order{}, false, err
	}
	// Remember what was read even when the value is malformed: a Write
	// that replaces it must still notice a concurrent edit.
	t.hash, t.read = sha256.Sum256(data), true
	return t.parse(data)
}

func (t *openclawTarget) readFile() ([]byte, error) {
	data, err := os.ReadFile(t.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("target %s: the file does not exist (point remediation.target at the OpenClaw config the gateway reads)", t)
	}
	if err != nil {
		return nil, fmt.Errorf("target %s: %w", t, err)
	}
	return data, nil
}

// parse returns the order the file holds and whether it holds one.
func (t *openclawTarget) parse(data []byte) (Order, bool, error) {
	loc, err := t.locate(data)
	if err != nil {
		return Order{}, false, err
	}
	if loc.model == nil {
		return Order{}, false, t.includeConflict(loc)
	}
	o, err := orderOfNode(loc.model)
	if err != nil {
		return Order{}, true, &malformedError{fmt.Errorf("target %s:%d:%d: agents.defaults.model %v (provwatch overwrites it on the next change)", t, loc.model.Line, loc.model.Col, err)}
	}
	return o, true, nil
}

func (t *openclawTarget) locate(data []byte) (*located, error) {
	root, err := configs.ParseJSON5(data)
	if err != nil {
		var se *configs.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("target %s:%d:%d: %s (fix the file; provwatch changes nothing until it parses)", t, se.Line, se.Col, se.Msg)
		}
		return nil, fmt.Errorf("target %s: %w", t, err)
	}
	if root.Kind != configs.KindObject {
		return nil, fmt.Errorf("target %s: the document is %s, expected an object", t, kindName(root.Kind))
	}
	loc := &located{root: root, deepest: root}
	obj := root
	for depth, key := range modelPath {
		for _, f := range includesOf(obj) {
			loc.includes = append(loc.includes, include{depth, f})
		}
		v := obj.Get(key)
		if v == nil {
			return loc, nil
		}
		if depth == len(modelPath)-1 {
			loc.model = v
			if v.Kind == configs.KindObject && v.Get("$include") != nil {
				return nil, fmt.Errorf("target %s:%d:%d: agents.defaults.model is an $include of %s; provwatch rewrites the value only where it is written out: replace the $include with the value",
					t, v.Line, v.Col, strings.Join(includesOf(v), ", "))
			}
			return loc, nil
		}
		if v.Kind != configs.KindObject {
			return nil, fmt.Errorf("target %s:%d:%d: %s is %s, expected an object", t, v.Line, v.Col, strings.Join(modelPath[:depth+1], "."), kindName(v.Kind))
		}
		obj = v
		loc.deepest, loc.depth = v, depth+1
	}
	return loc, nil
}

// includeConflict explains why a missing agents.defaults.model is not
// inserted when $include files could set it: a key written here would
// silently override theirs (siblings override includes), and the included
// file would go on claiming an order that is no longer used. Nil when no
// $include is on the way.
func (t *openclawTarget) includeConflict(loc *located) error {
	if len(loc.includes) == 0 {
		return nil
	}
	var names []string
	for _, inc := range loc.includes {
		p := t.resolve(inc.file)
		names = append(names, p)
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		n, err := configs.ParseJSON5(data)
		if err != nil {
			continue
		}
		m := n.Find(modelPath[inc.depth:]...)
		if m == nil {
			continue
		}
		if inc.depth == 0 {
			return fmt.Errorf("target %s: agents.defaults.model is set in the $include file %s (line %d); provwatch rewrites one file only: set remediation.target to openclaw:%s", t, p, m.Line, p)
		}
		return fmt.Errorf("target %s: agents.defaults.model is set in the $include file %s (line %d), included under %s; provwatch rewrites agents.defaults.model only where it stands at a config's top level: move it into this file, or $include its file at the top level",
			t, p, m.Line, strings.Join(modelPath[:inc.depth], "."))
	}
	return fmt.Errorf("target %s: agents.defaults.model is not in this file, and its $include files (%s) may set it; provwatch will not insert a key that overrides them: add agents.defaults.model to this file or point remediation.target at the file that holds it", t, strings.Join(names, ", "))
}

func (t *openclawTarget) resolve(file string) string {
	if file == "" || filepath.IsAbs(file) {
		return file
	}
	return filepath.Join(filepath.Dir(t.path), file)
}

// includesOf lists an object's $include files (a string or an array of them).
func includesOf(obj *configs.Node) []string {
	v := obj.Get("$include")
	if v == nil {
		return nil
	}
	if v.Kind == configs.KindString {
		return []string{v.Str}
	}
	var out []string
	for _, it := range v.Items {
		if it.Kind == configs.KindString {
			out = append(out, it.Str)
		}
	}
	return out
}

func orderOfNode(n *configs.Node) (Order, error) {
	switch n.Kind {
	case configs.KindString:
		o := Order{Primary: n.Str, Fallbacks: []string{}}
		return o, o.Validate()
	case configs.KindObject:
		p := n.Get("primary")
		if p == nil || p.Kind != configs.KindString {
			return Order{}, errors.New("has no string \"primary\"")
		}
		o := Order{Primary: p.Str, Fallbacks: []string{}}
		if fb := n.Get("fallbacks"); fb != nil {
			if fb.Kind != configs.KindArray {
				return Order{}, fmt.Errorf("has \"fallbacks\" as %s, expected an array of model refs", kindName(fb.Kind))
			}
			for _, it := range fb.Items {
				if it.Kind != configs.KindString {
					return Order{}, fmt.Errorf("has a fallback that is %s at line %d, expected a model ref", kindName(it.Kind), it.Line)
				}
				o.Fallbacks = append(o.Fallbacks, it.Str)
			}
		}
		return o, o.Validate()
	}
	return Order{}, fmt.Errorf("is %s, expected {primary, fallbacks} or a model ref string", kindName(n.Kind))
}

func kindName(k configs.Kind) string {
	switch k {
	case configs.KindNull:
		return "null"
	case configs.KindBool:
		return "a boolean"
	case configs.KindNumber:
		return "a number"
	case configs.KindString:
		return "a string"
	case configs.KindArray:
		return "an array"
	case configs.KindObject:
		return "an object"
	}
	return "an unknown value"
}

// Write rewrites agents.defaults.model, keeping the previous content as
// PATH.bak. It refuses when the file changed since the latest Read.
func (t *openclawTarget) Write(ctx context.Context, o Order, _ string) error {
	if err := o.Validate(); err != nil {
		return fmt.Errorf("target %s: refusing to write: %w", t, err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	data, err := t.readFile()
	if err != nil {
		return err
	}
	if t.read && sha256.Sum256(data) != t.hash {
		t.read = false
		return fmt.Errorf("target %s: the file changed since provwatch read it (someone edited it); not overwriting their change, the next cycle reads it again", t)
	}
	var malformed *malformedError
	if _, _, err := t.parse(data); err != nil && !errors.As(err, &malformed) {
		return err
	}
	loc, err := t.locate(data)
	if err != nil {
		return err
	}
	out, err := rewriteModel(data, loc, o)
	if err != nil {
		return fmt.Errorf("target %s: %w", t, err)
	}
	// Never hand OpenClaw a file it cannot read: the result must parse and
	// hold exactly this order.
	if got, exists, err := t.parse(out); err != nil || !exists || !got.Equal(o) {
		return fmt.Errorf("target %s: internal error: the rewritten file would hold %v (%v); nothing written, please report this", t, got, err)
	}
	st, err := os.Stat(t.path)
	if err != nil {
		return fmt.Errorf("target %s: %w", t, err)
	}
	if err := writeFileAtomic(t.path+".bak", data, st.Mode().Perm()); err != nil {
		return fmt.Errorf("target %s: saving the previous content: %w", t, err)
	}
	if err := writeFileAtomic(t.path, out, st.Mode().Perm()); err != nil {
		return fmt.Errorf("target %s: %w", t, err)
	}
	t.hash, t.read = sha256.Sum256(out), true
	return nil
}

// malformedError is an agents.defaults.model of the wrong shape: a Read
// reports it, a Write replaces it. Other problems (syntax, $include) stop
// a Write too.
type malformedError struct{ err error }

func (e *malformedError) Error() string { return e.err.Error() }
func (e *malformedError) Unwrap() error { return e.err }

// edit replaces data[start:end] with text.
type edit struct {
	start, end int
	text       string
}

func applyEdits(data []byte, edits []edit) []byte {
	sort.Slice(edits, func(i, j int) bool { return edits[i].start > edits[j].start })
	out := append([]byte(nil), data...)
	for _, e := range edits {
		out = append(out[:e.start], append([]byte(e.text), out[e.end:]...)...)
	}
	return out
}

// rewriteModel changes as few bytes as it can: inside an existing object
// only the primary string and the fallbacks array; a string stays a string
// when there are no fallbacks; a missing key is inserted as the first
// member of the deepest existing object, reusing its indentation.
func rewriteModel(data []byte, loc *located, o Order) ([]byte, error) {
	q := quoteStyle(data, loc.model)
	m := loc.model
	if m == nil {
		value := renderOrder(o, q)
		for i := len(modelPath) - 1; i > loc.depth; i-- {
			value = "{" + quote(modelPath[i], q) + ": " + value + "}"
		}
		member := quote(modelPath[loc.depth], q) + ": " + value
		obj := loc.deepest
		// Insert where the first member (or comment) starts, and repeat the
		// whitespace that precedes it as the separator, so the new member
		// takes the indentation and line ending of its neighbours.
		ws := leadingSpace(data[obj.Start+1 : obj.End])
		at := obj.Start + 1 + len(ws)
		text := member
		if len(obj.Fields) > 0 {
			if ws == "" {
				text += ", "
			} else {
				text += "," + ws
			}
		}
		return applyEdits(data, []edit{{at, at, text}}), nil
	}
	switch {
	case m.Kind == configs.KindString && len(o.Fallbacks) == 0:
		return applyEdits(data, []edit{{m.Start, m.End, quote(o.Primary, q)}}), nil
	case m.Kind == configs.KindObject:
		p := m.Get("primary")
		if p == nil || p.Kind != configs.KindString {
			break
		}
		edits := []edit{{p.Start, p.End, quote(o.Primary, q)}}
		if fb := m.Get("fallbacks"); fb != nil {
			edits = append(edits, edit{fb.Start, fb.End, renderArray(data, fb, o.Fallbacks, q)})
		} else {
			edits = append(edits, edit{p.End, p.End, ", " + quote("fallbacks", q) + ": " + renderArray(data, nil, o.Fallbacks, q)})
		}
		return applyEdits(data, edits), nil
	}
	return applyEdits(data, []edit{{m.Start, m.End, renderOrder(o, q)}}), nil
}

// leadingSpace is the whitespace run at the start of b.
func leadingSpace(b []byte) string {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return string(b[:i])
}

// quoteStyle keeps the file's quote: the model's own primary string's, else
// double quotes.
func quoteStyle(data []byte, m *configs.Node) byte {
	if m != nil {
		s := m
		if m.Kind == configs.KindObject {
			s = m.Get("primary")
		}
		if s != nil && s.Kind == configs.KindString && s.Start < len(data) && data[s.Start] == '\'' {
			return '\''
		}
	}
	return '"'
}

// quote writes s as a JSON5 string in quote q.
func quote(s string, q byte) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	out := strings.TrimSuffix(b.String(), "\n")
	if q == '"' {
		return out
	}
	inner := out[1 : len(out)-1]
	inner = strings.ReplaceAll(inner, `\"`, `"`)
	inner = strings.ReplaceAll(inner, `'`, `\'`)
	return "'" + inner + "'"
}

func renderOrder(o Order, q byte) string {
	return "{" + quote("primary", q) + ": " + quote(o.Primary, q) + ", " + quote("fallbacks", q) + ": " + renderArray(nil, nil, o.Fallbacks, q) + "}"
}

// renderArray writes items in the layout of the array it replaces: one per
// line with the same indentation and trailing comma when the old one was
// multi-line, else on one line.
func renderArray(data []byte, old *configs.Node, items []string, q byte) string {
	if len(items) == 0 {
		return "[]"
	}
	quoted := make([]string, len(items))
	for i, it := range items {
		quoted[i] = quote(it, q)
	}
	if old == nil || old.Kind != configs.KindArray || len(old.Items) == 0 || !bytes.ContainsAny(data[old.Start:old.End], "\n\r") {
		return "[" + strings.Join(quoted, ", ") + "]"
	}
	nl := "\n"
	if bytes.Contains(data[old.Start:old.End], []byte("\r\n")) {
		nl = "\r\n"
	}
	itemIndent := indentBefore(data, old.Items[0].Start)
	closeIndent := indentBefore(data, old.End-1)
	last := old.Items[len(old.Items)-1]
	trailing := bytes.IndexByte(stripComments(data[last.End:old.End-1]), ',') >= 0
	var b strings.Builder
	b.WriteString("[")
	for i, s := range quoted {
		b.WriteString(nl + itemIndent + s)
		if i < len(quoted)-1 || trailing {
			b.WriteString(",")
		}
	}
	b.WriteString(nl + closeIndent + "]")
	return b.String()
}

// indentBefore is the whitespace between the start of off's line and off,
// or "" when something else stands there.
func indentBefore(data []byte, off int) string {
	i := off
	for i > 0 && (data[i-1] == ' ' || data[i-1] == '\t') {
		i--
	}
	if i > 0 && data[i-1] != '\n' && data[i-1] != '\r' {
		return ""
	}
	return string(data[i:off])
}

// stripComments drops // and /* */ comments from the short span between
// an array's last item and its ']', where no strings can stand.
func stripComments(b []byte) []byte {
	var out []byte
	for i := 0; i < len(b); i++ {
		switch {
		case i+1 < len(b) && b[i] == '/' && b[i+1] == '/':
			for i < len(b) && b[i] != '\n' {
				i++
			}
		case i+1 < len(b) && b[i] == '/' && b[i+1] == '*':
			j := bytes.Index(b[i+2:], []byte("*/"))
			if j < 0 {
				return out
			}
			i += j + 3
		default:
			out = append(out, b[i])
		}
	}
	return out
}
