package configs

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/provwatch/provwatch/configs/json5"
)

// ChainOrder is the order one chain should hold.
type ChainOrder struct {
	Name  string // DefaultsChain or an agent's id
	Order Order
}

// RewriteOptions change what Rewrite adds besides the orders.
type RewriteOptions struct {
	// Allowlist adds every ref of a written order to agents.defaults.models
	// when that list is not empty: OpenClaw 2026.2.x silently drops a
	// fallback missing from it. `follow` sets it, since its order comes from
	// elsewhere.
	Allowlist bool
}

// Rewritten is what a Rewrite changes.
type Rewritten struct {
	// Files holds the new content of every file that changes, keyed as
	// Doc.Files; a file not here keeps its bytes.
	Files map[string][]byte
	// Written lists the chains whose value changes, in the order asked.
	Written []string
	// Skipped says, by chain name, why a chain asked for was left alone.
	Skipped map[string]string
	// Repaired is set when agents.defaults.model held a value OpenClaw
	// cannot read and is replaced whole.
	Repaired bool
}

// ErrNotWritable marks a chain that cannot be rewritten in place: the
// caller should say what to point the target at, not retry.
var ErrNotWritable = errors.New("cannot be rewritten in place")

// Rewrite edits the files so that each chain holds its order, changing
// only the bytes of those values (and, with Allowlist, the allowlist):
// comments, layout, key quoting, line endings and $include directives stay.
// A value is edited in the file it is written in, an $include's included.
//
// agents.defaults.model is written as asked (inserted when missing). An
// agent's chain is rewritten only when it may be moved (it lists its own
// fallbacks) and the order names exactly the refs it already has: only
// refs already in a chain are reordered within it; otherwise the chain is
// Skipped. Nothing changes for a chain that already holds its order.
//
// The result is checked before it is returned: the new files must parse
// and resolve, each written chain to its order and every other chain as
// before.
func (d *Doc) Rewrite(want []ChainOrder, opt RewriteOptions) (*Rewritten, error) {
	if d.root == nil {
		return nil, errors.New("no OpenClaw config was read")
	}
	for _, w := range want {
		if err := w.Order.Validate(); err != nil {
			return nil, fmt.Errorf("%s: refusing to write: %w", chainLabel(w.Name), err)
		}
	}
	oc, repair, err := d.ResolveRepairable()
	if err != nil {
		return nil, err
	}
	res := &Rewritten{Skipped: map[string]string{}, Repaired: repair}
	edits := map[string][]json5.Edit{}
	var wrote []Order
	for _, w := range want {
		c, ok := oc.chain(w.Name)
		var es map[string][]json5.Edit
		switch {
		case w.Name == DefaultsChain && res.Repaired:
			es, err = d.replaceValue(d.root.Find("agents", "defaults", "model"), w.Order, nil)
		case w.Name == DefaultsChain && !ok:
			es, err = d.insertDefaults(w.Order)
		case !ok:
			res.Skipped[w.Name] = "it has no model of its own in " + d.Path
			continue
		case c.Fixed:
			res.Skipped[w.Name] = "its model has no fallbacks of its own, so it is never moved"
			continue
		case w.Name != DefaultsChain && !sameRefs(c.Order(), w.Order):
			res.Skipped[w.Name] = fmt.Sprintf("%s holds %s, not the refs of %s", c.Path, c.Order(), w.Order)
			continue
		case Dedupe(c.Order()).Equal(w.Order):
			continue
		default:
			es, err = d.replaceValue(c.model, w.Order, c.spelled)
		}
		if errors.Is(err, ErrNotWritable) && w.Name != DefaultsChain {
			res.Skipped[w.Name] = err.Error()
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", chainLabel(w.Name), err)
		}
		for f, e := range es {
			edits[f] = append(edits[f], e...)
		}
		res.Written = append(res.Written, w.Name)
		wrote = append(wrote, w.Order)
	}
	if opt.Allowlist && len(wrote) > 0 {
		es, err := d.allowlistEdits(wrote)
		if err != nil {
			return nil, err
		}
		for f, e := range es {
			edits[f] = append(edits[f], e...)
		}
	}
	if len(edits) == 0 {
		res.Written = nil
		return res, nil
	}
	res.Files = map[string][]byte{}
	for f, es := range edits {
		res.Files[f] = json5.Apply(d.Files[f], es)
	}
	if err := d.verify(oc, want, res, opt); err != nil {
		return nil, err
	}
	return res, nil
}

// defaultsPath is where agents.defaults.model's chain is written.
const defaultsPath = "agents.defaults.model"

// ResolveRepairable is Resolve, except that a malformed
// agents.defaults.model (MalformedDefaults: a value Rewrite replaces whole)
// is passed over: the config is resolved without it and malformed is true.
// Any other error is the file author's to fix, and returned.
func (d *Doc) ResolveRepairable() (oc *OpenClaw, malformed bool, err error) {
	oc, err = d.Resolve()
	if err == nil || !MalformedDefaults(err) {
		return oc, false, err
	}
	if oc, err = d.resolve(true); err != nil {
		return nil, false, err
	}
	return oc, true, nil
}

// MalformedDefaults reports whether err is Resolve refusing the value of
// agents.defaults.model itself (neither a ref nor {primary, fallbacks}, a
// fallbacks that is no array, a ref that is no ref): a value Rewrite
// replaces whole (Rewritten.Repaired). Any other error is the file
// author's to fix.
func MalformedDefaults(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.Path == defaultsPath || strings.HasPrefix(e.Path, defaultsPath+"."))
}

func chainLabel(name string) string {
	if name == DefaultsChain {
		return defaultsPath
	}
	return "agent " + name
}

// chain returns the chain with this name.
func (o *OpenClaw) chain(name string) (Chain, bool) {
	for _, c := range o.Chains {
		if c.Name == name {
			return c, true
		}
	}
	return Chain{}, false
}

// Dedupe returns o with each ref once, first place kept: the order
// OpenClaw tries.
func Dedupe(o Order) Order { return OrderOf(o.Distinct()) }

func sameRefs(a, b Order) bool {
	ra, rb := a.Distinct(), b.Distinct()
	slices.Sort(ra)
	slices.Sort(rb)
	return slices.Equal(ra, rb)
}

// style is how file writes keys and strings, read from the parse ReadDoc
// made of it.
func (d *Doc) style(file string) json5.Style {
	return json5.DetectStyle(d.Files[file], d.trees[file])
}

// spell writes a ref as the file wrote it (an alias, a provider's case).
func spell(ref string, spelled map[string]string) string {
	if s, ok := spelled[ref]; ok && s != "" {
		return s
	}
	return ref
}

// replaceValue returns the edits that make the model value m hold o,
// changing as few bytes as it can: in an object with a string primary only
// the primary and the fallbacks array (fallbacks is added after primary
// when missing); a string stays a string when o has no fallbacks; anything
// else is replaced whole. Every span edited must stand in its file as
// written.
func (d *Doc) replaceValue(m *json5.Node, o Order, spelled map[string]string) (map[string][]json5.Edit, error) {
	if m == nil {
		return nil, errors.New("no value to replace")
	}
	edits := map[string][]json5.Edit{}
	add := func(n *json5.Node, e json5.Edit) error {
		if !d.written(n) {
			return fmt.Errorf("%w: its value at %s:%d:%d is merged from several places ($include); write it out in one file", ErrNotWritable, d.fileOf(n, d.Path), n.Line, n.Col)
		}
		f := d.fileOf(n, d.Path)
		edits[f] = append(edits[f], e)
		return nil
	}
	file := d.fileOf(m, d.Path)
	st := d.style(file)
	src := d.Files[file]
	if m.Kind == json5.KindString && len(o.Fallbacks) == 0 {
		return edits, add(m, json5.Edit{Start: m.Start, End: m.End, Text: st.StringIn(src, m).String(spell(o.Primary, spelled))})
	}
	p := m.Get("primary")
	if m.Kind != json5.KindObject || p == nil || p.Kind != json5.KindString {
		return edits, add(m, json5.Edit{Start: m.Start, End: m.End, Text: orderObject(st, o, spelled)})
	}
	pfile := d.fileOf(p, d.Path)
	pst := d.style(pfile).StringIn(d.Files[pfile], p)
	if err := add(p, json5.Edit{Start: p.Start, End: p.End, Text: pst.String(spell(o.Primary, spelled))}); err != nil {
		return nil, err
	}
	if fb := m.Get("fallbacks"); fb != nil {
		ffile := d.fileOf(fb, d.Path)
		fst := pst
		if ffile != pfile {
			fst = d.style(ffile)
		}
		return edits, add(fb, json5.Edit{Start: fb.Start, End: fb.End, Text: json5.Array(d.Files[ffile], fb, quoted(fst, o.Fallbacks, spelled))})
	}
	return edits, add(p, json5.Edit{Start: p.End, End: p.End, Text: ", " + d.style(pfile).Key("fallbacks") + ": " + json5.Array(nil, nil, quoted(pst, o.Fallbacks, spelled))})
}

// orderObject writes o as a new {primary, fallbacks} value in st, each
// ref as spelled says the file writes it.
func orderObject(st json5.Style, o Order, spelled map[string]string) string {
	return "{" + st.Key("primary") + ": " + st.String(spell(o.Primary, spelled)) + ", " +
		st.Key("fallbacks") + ": " + json5.Array(nil, nil, quoted(st, o.Fallbacks, spelled)) + "}"
}

// quoted writes refs as string literals in st, each as spelled says.
func quoted(st json5.Style, refs []string, spelled map[string]string) []string {
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = st.String(spell(r, spelled))
	}
	return out
}

// insertDefaults adds agents.defaults.model where the config has none, as
// the first member of the deepest of agents and agents.defaults that
// exists, in the file that writes that object.
func (d *Doc) insertDefaults(o Order) (map[string][]json5.Edit, error) {
	path := []string{"agents", "defaults", "model"}
	obj, depth := d.root, 0
	for depth < 2 {
		next := obj.Get(path[depth])
		if next == nil {
			break
		}
		if next.Kind != json5.KindObject {
			return nil, fmt.Errorf("%s is a %s, not an object", strings.Join(path[:depth+1], "."), next.Kind)
		}
		obj, depth = next, depth+1
	}
	if !d.written(obj) {
		return nil, fmt.Errorf("%w: %s is merged from several places ($include); add agents.defaults.model to the file that should hold it", ErrNotWritable, strings.Join(path[:depth], "."))
	}
	file := d.fileOf(obj, d.Path)
	st := d.style(file)
	value := orderObject(st, o, nil)
	for i := len(path) - 1; i > depth; i-- {
		value = "{" + st.Key(path[i]) + ": " + value + "}"
	}
	return map[string][]json5.Edit{file: {json5.InsertMember(d.Files[file], obj, st, path[depth], value)}}, nil
}

// allowlistEdits add to a non-empty agents.defaults.models every ref of
// these orders it does not list.
func (d *Doc) allowlistEdits(orders []Order) (map[string][]json5.Edit, error) {
	models := d.root.Find("agents", "defaults", "models")
	if models == nil || models.Kind != json5.KindObject || len(models.Fields) == 0 {
		return nil, nil
	}
	listed := allowlisted(models)
	var keys, values []string
	for _, o := range orders {
		for _, r := range o.Refs() {
			if !listed[r] {
				listed[r] = true
				keys, values = append(keys, r), append(values, "{}")
			}
		}
	}
	if len(keys) == 0 {
		return nil, nil
	}
	if !d.written(models) {
		return nil, fmt.Errorf("%w: agents.defaults.models is merged from several places ($include), so the order's refs cannot be added to it", ErrNotWritable)
	}
	file := d.fileOf(models, d.Path)
	return map[string][]json5.Edit{file: {json5.AppendMembers(d.Files[file], models, d.style(file), keys, values)}}, nil
}

// allowlisted is the set of refs agents.defaults.models lists, as written,
// as ParseRef spells them, and with an alias provider id (x-ai) read as its
// provider.
func allowlisted(models *json5.Node) map[string]bool {
	listed := map[string]bool{}
	for _, f := range models.Fields {
		listed[f.Key] = true
		if r, err := ParseRef(f.Key); err == nil {
			listed[r.String()] = true
			listed[canonicalProvider(r.Provider)+"/"+r.Model] = true
		}
	}
	return listed
}

// verify re-reads the rewritten files as OpenClaw would and checks that
// each written chain holds its order and every other chain is unchanged:
// OpenClaw is never handed a file it cannot read, or a chain nobody asked for.
func (d *Doc) verify(before *OpenClaw, want []ChainOrder, res *Rewritten, opt RewriteOptions) error {
	files := maps.Clone(d.Files)
	maps.Copy(files, res.Files)
	nd, err := ParseDoc(d.Path, files, d.getenv)
	var after *OpenClaw
	if err == nil {
		after, err = nd.Resolve()
	}
	fail := func(what string) error {
		return fmt.Errorf("internal error: the rewritten config would %s; nothing written, please report this", what)
	}
	if err != nil {
		return fail("not read: " + err.Error())
	}
	wanted := map[string]Order{}
	for _, w := range want {
		wanted[w.Name] = w.Order
	}
	for _, name := range res.Written {
		c, ok := after.chain(name)
		if !ok || !Dedupe(c.Order()).Equal(wanted[name]) {
			return fail(fmt.Sprintf("hold %s at %s, not %s", c.Order(), chainLabel(name), wanted[name]))
		}
	}
	for _, c := range before.Chains {
		if slices.Contains(res.Written, c.Name) {
			continue
		}
		if a, ok := after.chain(c.Name); !ok || !a.Order().Equal(c.Order()) {
			return fail(fmt.Sprintf("change %s, which was not asked for", chainLabel(c.Name)))
		}
	}
	if opt.Allowlist {
		if models := nd.root.Find("agents", "defaults", "models"); models != nil && len(models.Fields) > 0 {
			listed := allowlisted(models)
			for _, name := range res.Written {
				for _, r := range wanted[name].Refs() {
					if !listed[r] {
						return fail("leave " + r + " out of agents.defaults.models")
					}
				}
			}
		}
	}
	return nil
}
