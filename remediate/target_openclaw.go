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
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/configs/json5"
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
	root  *json5.Node
	model *json5.Node // nil when the key is missing
	// deepest is the deepest existing object of agents.defaults and depth
	// how many keys of modelPath it stands for (0 root, 1 agents, 2 defaults).
	deepest *json5.Node
	depth   int
	// includes are the $include values found on the way, with the depth
	// of the object holding each.
	includes []include
	// defUnknown marks a located whose agents.defaults.model could not be
	// read (an $include in its place): agents inheriting from it are left alone.
	defUnknown bool
}

type include struct {
	depth int
	file  string
}

func (t *openclawTarget) Read(ctx context.Context) (configs.Order, bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	data, err := t.readFile()
	if err != nil {
		return configs.Order{}, false, err
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
func (t *openclawTarget) parse(data []byte) (configs.Order, bool, error) {
	loc, err := t.locate(data)
	if err != nil {
		return configs.Order{}, false, err
	}
	if loc.model == nil {
		return configs.Order{}, false, t.includeConflict(loc)
	}
	o, err := orderOfNode(loc.model)
	if err != nil {
		return configs.Order{}, true, &malformedError{fmt.Errorf("target %s:%d:%d: agents.defaults.model %v (provwatch overwrites it on the next change)", t, loc.model.Line, loc.model.Col, err)}
	}
	return o, true, nil
}

func (t *openclawTarget) locate(data []byte) (*located, error) {
	root, err := json5.Parse(data)
	if err != nil {
		var se *json5.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("target %s:%d:%d: %s (fix the file; provwatch changes nothing until it parses)", t, se.Line, se.Col, se.Msg)
		}
		return nil, fmt.Errorf("target %s: %w", t, err)
	}
	if root.Kind != json5.KindObject {
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
			if v.Kind == json5.KindObject && v.Get("$include") != nil {
				return nil, fmt.Errorf("target %s:%d:%d: agents.defaults.model is an $include of %s; provwatch rewrites the value only where it is written out: replace the $include with the value",
					t, v.Line, v.Col, strings.Join(includesOf(v), ", "))
			}
			return loc, nil
		}
		if v.Kind != json5.KindObject {
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
		n, err := json5.Parse(data)
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
func includesOf(obj *json5.Node) []string {
	v := obj.Get("$include")
	if v == nil {
		return nil
	}
	if v.Kind == json5.KindString {
		return []string{v.Str}
	}
	var out []string
	for _, it := range v.Items {
		if it.Kind == json5.KindString {
			out = append(out, it.Str)
		}
	}
	return out
}

func orderOfNode(n *json5.Node) (configs.Order, error) {
	switch n.Kind {
	case json5.KindString:
		o := configs.Order{Primary: n.Str, Fallbacks: []string{}}
		return o, o.Validate()
	case json5.KindObject:
		p := n.Get("primary")
		if p == nil || p.Kind != json5.KindString {
			return configs.Order{}, errors.New("has no string \"primary\"")
		}
		o := configs.Order{Primary: p.Str, Fallbacks: []string{}}
		if fb := n.Get("fallbacks"); fb != nil {
			if fb.Kind != json5.KindArray {
				return configs.Order{}, fmt.Errorf("has \"fallbacks\" as %s, expected an array of model refs", kindName(fb.Kind))
			}
			for _, it := range fb.Items {
				if it.Kind != json5.KindString {
					return configs.Order{}, fmt.Errorf("has a fallback that is %s at line %d, expected a model ref", kindName(it.Kind), it.Line)
				}
				o.Fallbacks = append(o.Fallbacks, it.Str)
			}
		}
		return o, o.Validate()
	}
	return configs.Order{}, fmt.Errorf("is %s, expected {primary, fallbacks} or a model ref string", kindName(n.Kind))
}

func kindName(k json5.Kind) string {
	switch k {
	case json5.KindNull:
		return "null"
	case json5.KindBool:
		return "a boolean"
	case json5.KindNumber:
		return "a number"
	case json5.KindString:
		return "a string"
	case json5.KindArray:
		return "an array"
	case json5.KindObject:
		return "an object"
	}
	return "an unknown value"
}

// Write rewrites agents.defaults.model, keeping the previous content as
// PATH.bak. It refuses when the file changed since the latest Read.
func (t *openclawTarget) Write(ctx context.Context, o configs.Order, why string) error {
	_, err := t.WriteAgents(ctx, &o, nil, why)
	return err
}

// WriteAgents rewrites agents.defaults.model (when defaults is non-nil) and
// every agent's own model value that does not already resolve to its
// order, in one atomic write with a PATH.bak. It refuses when the file
// changed since the latest Read, and writes nothing when nothing differs.
func (t *openclawTarget) WriteAgents(ctx context.Context, defaults *configs.Order, agents []AgentOrder, _ string) ([]string, error) {
	if defaults != nil {
		if err := defaults.Validate(); err != nil {
			return nil, fmt.Errorf("target %s: refusing to write: %w", t, err)
		}
	}
	for _, a := range agents {
		if err := a.Order.Validate(); err != nil {
			return nil, fmt.Errorf("target %s: refusing to write %s: %w", t, a.Chain.Path, err)
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	data, err := t.readFile()
	if err != nil {
		return nil, err
	}
	if t.read && sha256.Sum256(data) != t.hash {
		t.read = false
		return nil, fmt.Errorf("target %s: the file changed since provwatch read it (someone edited it); not overwriting their change, the next cycle reads it again", t)
	}
	var edits []edit
	var loc *located
	if defaults != nil {
		var malformed *malformedError
		if _, _, err := t.parse(data); err != nil && !errors.As(err, &malformed) {
			return nil, err
		}
		if loc, err = t.locate(data); err != nil {
			return nil, err
		}
		edits = modelEdits(data, loc, *defaults)
	} else if loc, err = t.locateForAgents(data); err != nil {
		return nil, err
	}
	// Agents inherit from the defaults as they will stand after this write.
	def, defKnown := t.defaultsOf(loc)
	if defaults != nil {
		def, defKnown = *defaults, true
	}
	al := aliasesOf(loc.root)
	var written []string
	for _, a := range agents {
		m := t.agentNode(loc.root, a.Chain)
		if m == nil {
			continue
		}
		held, ok := resolveAgent(m, def, defKnown, al)
		if !ok || held.Equal(a.Order) {
			continue // unchanged, or what it inherits is unknown here: leave it alone
		}
		edits = append(edits, agentEdits(data, m, a.Order, def, defKnown, al)...)
		written = append(written, a.Chain.Path)
	}
	if defaults == nil && len(written) == 0 {
		return nil, nil
	}
	out := applyEdits(data, edits)
	// Never hand OpenClaw a file it cannot read: the result must parse and
	// hold exactly these orders.
	if err := t.verify(out, defaults, agents, written); err != nil {
		return nil, err
	}
	st, err := os.Stat(t.path)
	if err != nil {
		return nil, fmt.Errorf("target %s: %w", t, err)
	}
	if err := writeFileAtomic(t.path+".bak", data, st.Mode().Perm()); err != nil {
		return nil, fmt.Errorf("target %s: saving the previous content: %w", t, err)
	}
	if err := writeFileAtomic(t.path, out, st.Mode().Perm()); err != nil {
		return nil, fmt.Errorf("target %s: %w", t, err)
	}
	t.hash, t.read = sha256.Sum256(out), true
	return written, nil
}

// verify checks that out parses and holds defaults (when given) and that
// every agent rewritten resolves to its order.
func (t *openclawTarget) verify(out []byte, defaults *configs.Order, agents []AgentOrder, written []string) error {
	fail := func(what string, got configs.Order, err error) error {
		return fmt.Errorf("target %s: internal error: the rewritten file would hold %v at %s (%v); nothing written, please report this", t, got, what, err)
	}
	if defaults != nil {
		if got, exists, err := t.parse(out); err != nil || !exists || !got.Equal(*defaults) {
			return fail("agents.defaults.model", got, err)
		}
	}
	if len(written) == 0 {
		return nil
	}
	loc, err := t.locateForAgents(out)
	if err != nil {
		return fail("the root", configs.Order{}, err)
	}
	def, known := t.defaultsOf(loc)
	al := aliasesOf(loc.root)
	for _, a := range agents {
		if !slices.Contains(written, a.Chain.Path) {
			continue
		}
		m := t.agentNode(loc.root, a.Chain)
		if m == nil {
			return fail(a.Chain.Path, configs.Order{}, errors.New("the value is gone"))
		}
		if got, ok := resolveAgent(m, def, known, al); !ok || !got.Equal(a.Order) {
			return fail(a.Chain.Path, got, nil)
		}
	}
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
func rewriteModel(data []byte, loc *located, o configs.Order) ([]byte, error) {
	return applyEdits(data, modelEdits(data, loc, o)), nil
}

// modelEdits are rewriteModel's edits, so several values can change in one write.
func modelEdits(data []byte, loc *located, o configs.Order) []edit {
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
		return []edit{{at, at, text}}
	}
	if m.Kind == json5.KindString && len(o.Fallbacks) == 0 {
		return []edit{{m.Start, m.End, quote(o.Primary, q)}}
	}
	return valueEdits(data, m, o, q)
}

// valueEdits rewrite an existing model value to {primary, fallbacks}: in an
// object with a string primary only the primary and the fallbacks array
// change (fallbacks is added after primary when missing); any other value
// is replaced whole.
func valueEdits(data []byte, m *json5.Node, o configs.Order, q byte) []edit {
	if m.Kind == json5.KindObject {
		if p := m.Get("primary"); p != nil && p.Kind == json5.KindString {
			edits := []edit{{p.Start, p.End, quote(o.Primary, q)}}
			if fb := m.Get("fallbacks"); fb != nil {
				edits = append(edits, edit{fb.Start, fb.End, renderArray(data, fb, o.Fallbacks, q)})
			} else {
				edits = append(edits, edit{p.End, p.End, ", " + quote("fallbacks", q) + ": " + renderArray(data, nil, o.Fallbacks, q)})
			}
			return edits
		}
	}
	return []edit{{m.Start, m.End, renderOrder(o, q)}}
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
func quoteStyle(data []byte, m *json5.Node) byte {
	if m != nil {
		s := m
		if m.Kind == json5.KindObject {
			s = m.Get("primary")
		}
		if s != nil && s.Kind == json5.KindString && s.Start < len(data) && data[s.Start] == '\'' {
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

func renderOrder(o configs.Order, q byte) string {
	return "{" + quote("primary", q) + ": " + quote(o.Primary, q) + ", " + quote("fallbacks", q) + ": " + renderArray(nil, nil, o.Fallbacks, q) + "}"
}

// renderArray writes items in the layout of the array it replaces: one per
// line with the same indentation and trailing comma when the old one was
// multi-line, else on one line.
func renderArray(data []byte, old *json5.Node, items []string, q byte) string {
	if len(items) == 0 {
		return "[]"
	}
	quoted := make([]string, len(items))
	for i, it := range items {
		quoted[i] = quote(it, q)
	}
	if old == nil || old.Kind != json5.KindArray || len(old.Items) == 0 || !bytes.ContainsAny(data[old.Start:old.End], "\n\r") {
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

// AgentOrder is the order one per-agent chain should hold. Chain names the
// agent: its Name (the agent's id) and Path (where its model value stands,
// agents.list[N].model or agents.entries.ID.model).
type AgentOrder struct {
	Chain configs.Chain
	Order configs.Order
}

// AgentTarget is a Target that also holds per-agent chains. The openclaw:
// target implements it: each agent's own model value stands in the same
// file as agents.defaults.model. ssm: and file: targets hold
// agents.defaults.model only and do not.
type AgentTarget interface {
	Target
	// ReadAgents returns the order each chain holds in the target now, as
	// OpenClaw resolves it (what an agent's value leaves out is taken from
	// agents.defaults.model; a repeated ref counts once), keyed by
	// Chain.Path. A chain whose value is not written out in the target (an
	// $include, another file, an unreadable inheritance) is left out and
	// never rewritten.
	ReadAgents(ctx context.Context, chains []configs.Chain) (map[string]configs.Order, error)
	// WriteAgents writes defaults (when non-nil) and every agent order that
	// the target does not already hold, in one write, and returns the Paths
	// of the agents it rewrote. It writes nothing when nothing differs.
	WriteAgents(ctx context.Context, defaults *configs.Order, agents []AgentOrder, why string) ([]string, error)
}

var _ AgentTarget = (*openclawTarget)(nil)

// ReadAgents implements AgentTarget. It does not renew what a Write
// compares against (only Read does), so an edit made between the two reads
// still stops the next write.
func (t *openclawTarget) ReadAgents(_ context.Context, chains []configs.Chain) (map[string]configs.Order, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	data, err := t.readFile()
	if err != nil {
		return nil, err
	}
	loc, err := t.locateForAgents(data)
	if err != nil {
		return nil, err
	}
	def, known := t.defaultsOf(loc)
	al := aliasesOf(loc.root)
	out := map[string]configs.Order{}
	for _, c := range chains {
		m := t.agentNode(loc.root, c)
		if m == nil {
			continue
		}
		if o, ok := resolveAgent(m, def, known, al); ok {
			out[c.Path] = o
		}
	}
	return out, nil
}

// locateForAgents is locate, except that an agents.defaults.model it
// cannot use (an $include in its place) only marks the defaults unknown:
// agents that spell out their whole chain can still be rewritten.
func (t *openclawTarget) locateForAgents(data []byte) (*located, error) {
	loc, err := t.locate(data)
	if err == nil {
		return loc, nil
	}
	root, perr := json5.Parse(data)
	if perr != nil || root.Kind != json5.KindObject {
		return nil, err
	}
	return &located{root: root, deepest: root, defUnknown: true}, nil
}

// defaultsOf is the agents.defaults.model agents inherit from, as this
// file alone says it; false when the file cannot tell (an $include may set
// it, or it is malformed).
func (t *openclawTarget) defaultsOf(loc *located) (configs.Order, bool) {
	switch {
	case loc.defUnknown:
		return configs.Order{}, false
	case loc.model == nil:
		return configs.Order{}, len(loc.includes) == 0
	}
	o, err := orderOfNode(loc.model)
	return o, err == nil
}

// aliasesOf reads agents.defaults.models, whose values may give a ref an
// alias that model settings use instead (lower-cased, as the loader does).
func aliasesOf(root *json5.Node) map[string]string {
	out := map[string]string{}
	models := root.Find("agents", "defaults", "models")
	if models == nil || models.Kind != json5.KindObject {
		return out
	}
	for _, f := range models.Fields {
		if a := f.Value.Get("alias"); a != nil && a.Kind == json5.KindString && a.Str != "" {
			out[strings.ToLower(a.Str)] = f.Key
		}
	}
	return out
}

// normRef spells a ref as the loader does: alias resolved, provider lower-cased.
func normRef(s string, aliases map[string]string) string {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "/") {
		if full, ok := aliases[strings.ToLower(s)]; ok {
			s = full
		}
	}
	if r, err := configs.ParseRef(s); err == nil {
		return r.String()
	}
	return s
}

// resolveAgent is the order an agent's model value stands for, as the
// loader resolves it: a string is the primary, an object gives primary and
// fallbacks, and what is left out comes from the defaults. False when it
// needs the defaults and they are unknown, or the value is malformed.
func resolveAgent(m *json5.Node, def configs.Order, defKnown bool, aliases map[string]string) (configs.Order, bool) {
	var o configs.Order
	switch m.Kind {
	case json5.KindString:
		if !defKnown {
			return configs.Order{}, false
		}
		o = configs.Order{Primary: m.Str, Fallbacks: def.Fallbacks}
	case json5.KindObject:
		p, fb := m.Get("primary"), m.Get("fallbacks")
		if m.Get("$include") != nil || (p == nil || fb == nil) && !defKnown {
			return configs.Order{}, false
		}
		o = configs.Order{Primary: def.Primary, Fallbacks: def.Fallbacks}
		if p != nil {
			if p.Kind != json5.KindString {
				return configs.Order{}, false
			}
			o.Primary = p.Str
		}
		if fb != nil {
			if fb.Kind != json5.KindArray {
				return configs.Order{}, false
			}
			o.Fallbacks = nil
			for _, it := range fb.Items {
				if it.Kind != json5.KindString {
					return configs.Order{}, false
				}
				o.Fallbacks = append(o.Fallbacks, it.Str)
			}
		}
	default:
		return configs.Order{}, false
	}
	refs := []string{normRef(o.Primary, aliases)}
	for _, f := range o.Fallbacks {
		refs = append(refs, normRef(f, aliases))
	}
	o = orderFrom(dedupe(configs.Order{Primary: refs[0], Fallbacks: refs[1:]}))
	if o.Primary == "" {
		return configs.Order{}, false
	}
	return o, true
}

// agentEdits rewrite one agent's model value to o, keeping its form: a
// string stays a string when the string alone resolves to o (no fallbacks
// configured, or exactly the defaults' own), else it becomes {primary,
// fallbacks}; an object keeps its layout as agents.defaults.model's does.
func agentEdits(data []byte, m *json5.Node, o, def configs.Order, defKnown bool, aliases map[string]string) []edit {
	q := quoteStyle(data, m)
	if m.Kind == json5.KindString {
		s := &json5.Node{Kind: json5.KindString, Str: o.Primary}
		if got, ok := resolveAgent(s, def, defKnown, aliases); ok && got.Equal(o) {
			return []edit{{m.Start, m.End, quote(o.Primary, q)}}
		}
	}
	return valueEdits(data, m, o, q)
}

// agentNode finds an agent chain's model value in this file, or nil when it
// is not written out here: the path is missing, an agents.list entry's id is
// not the chain's agent (the list was merged from several files), or an
// $include on the way could set the value too (includes deep-merge, so an
// in-place edit would not be what OpenClaw reads).
func (t *openclawTarget) agentNode(root *json5.Node, c configs.Chain) *json5.Node {
	agents := root.Get("agents")
	if agents == nil || agents.Kind != json5.KindObject {
		return nil
	}
	type check struct {
		obj  *json5.Node
		rest []string
	}
	var holder *json5.Node
	var checks []check
	switch {
	case strings.HasPrefix(c.Path, "agents.list[") && strings.HasSuffix(c.Path, "].model"):
		i, err := strconv.Atoi(c.Path[len("agents.list[") : len(c.Path)-len("].model")])
		list := agents.Get("list")
		if err != nil || list == nil || list.Kind != json5.KindArray || i < 0 || i >= len(list.Items) {
			return nil
		}
		holder = list.Items[i]
		if holder.Kind != json5.KindObject || agentID(holder, i) != c.Name {
			return nil
		}
		checks = []check{{root, []string{"agents", "list"}}, {agents, []string{"list"}}}
	case strings.HasPrefix(c.Path, "agents.entries.") && strings.HasSuffix(c.Path, ".model"):
		key := c.Path[len("agents.entries.") : len(c.Path)-len(".model")]
		entries := agents.Get("entries")
		holder = entries.Get(key)
		if holder == nil || holder.Kind != json5.KindObject {
			return nil
		}
		checks = []check{{root, []string{"agents", "entries", key, "model"}},
			{agents, []string{"entries", key, "model"}}, {entries, []string{key, "model"}}}
	default:
		return nil
	}
	checks = append(checks, check{holder, []string{"model"}})
	m := holder.Get("model")
	if m == nil || m.Kind == json5.KindObject && m.Get("$include") != nil {
		return nil
	}
	for _, ck := range checks {
		for _, f := range includesOf(ck.obj) {
			if t.includeSets(f, ck.rest) {
				return nil
			}
		}
	}
	return m
}

// agentID is an agents.list entry's id as the loader names its chain.
func agentID(entry *json5.Node, i int) string {
	if id := entry.Get("id"); id != nil && id.Kind == json5.KindString && id.Str != "" {
		return id.Str
	}
	return fmt.Sprintf("agent %d", i)
}

// includeSets reports whether an $include file sets the value at rest, or
// cannot be read to tell.
func (t *openclawTarget) includeSets(file string, rest []string) bool {
	data, err := os.ReadFile(t.resolve(file))
	if err != nil {
		return true
	}
	n, err := json5.Parse(data)
	if err != nil {
		return true
	}
	return n.Find(rest...) != nil
}
