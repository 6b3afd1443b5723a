package configs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/provwatch/provwatch/configs/json5"
)

// includeKey and maxIncludeDepth match OpenClaw's src/config/includes.ts.
const (
	includeKey      = "$include"
	maxIncludeDepth = 10
)

// includer resolves $include the way OpenClaw does: at any object level,
// a string or an array of strings, paths relative to the including file and
// confined to the root config's directory; several files are deep-merged in
// order (objects recursively, arrays concatenated, anything else: later
// wins); sibling keys are merged over the included content.
type includer struct {
	ctx      context.Context
	d        *Doc
	rootDir  string
	realRoot string // rootDir with symlinks resolved, which an include's real path must stay in
	loads    int    // files loaded so far, against maxIncludeLoads
	// read reads an included file: from disk, or from the files a Doc
	// holds in memory.
	read func(ctx context.Context, path string) ([]byte, error)
}

func newIncluder(ctx context.Context, d *Doc, path string, read func(ctx context.Context, path string) ([]byte, error)) *includer {
	root := filepath.Dir(filepath.Clean(path))
	real, err := filepath.EvalSymlinks(root)
	if err != nil {
		real = root
	}
	return &includer{ctx: ctx, d: d, rootDir: root, realRoot: real, read: read}
}

type includeFrame struct {
	file  string
	chain []string // files from the root config down to file
	depth int
	path  string // key path of the node being processed
}

func (in *includer) process(n *json5.Node, fr includeFrame) (*json5.Node, error) {
	switch n.Kind {
	case json5.KindArray:
		var items []*json5.Node
		for i, it := range n.Items {
			sub := fr
			sub.path = fmt.Sprintf("%s[%d]", fr.path, i)
			v, err := in.process(it, sub)
			if err != nil {
				return nil, err
			}
			if v != it && items == nil {
				items = append([]*json5.Node(nil), n.Items...)
			}
			if items != nil {
				items[i] = v
			}
		}
		if items == nil {
			return n, nil
		}
		c := *n
		c.Items = items
		in.d.made[&c] = in.d.fileOf(n, fr.file)
		return &c, nil
	case json5.KindObject:
	default:
		return n, nil
	}
	inc := n.Get(includeKey)
	var fields []json5.Field
	changed := false
	for _, f := range n.Fields {
		if f.Key == includeKey {
			changed = true
			continue
		}
		sub := fr
		sub.path = joinPath(fr.path, f.Key)
		v, err := in.process(f.Value, sub)
		if err != nil {
			return nil, err
		}
		if v != f.Value {
			changed = true
		}
		f.Value = v
		fields = append(fields, f)
	}
	if !changed {
		return n, nil
	}
	rest := *n
	rest.Fields = fields
	in.d.made[&rest] = in.d.fileOf(n, fr.file)
	if inc == nil {
		return &rest, nil
	}
	incFr := fr
	incFr.path = joinPath(fr.path, includeKey)
	included, err := in.resolve(inc, incFr)
	if err != nil {
		return nil, err
	}
	if len(fields) == 0 {
		return included, nil
	}
	if included.Kind != json5.KindObject {
		return nil, in.errAt(inc, incFr, "sibling keys need the included content to be an object, but it is a "+included.Kind.String(), "")
	}
	return in.merge(included, &rest), nil
}

func (in *includer) resolve(v *json5.Node, fr includeFrame) (*json5.Node, error) {
	switch v.Kind {
	case json5.KindString:
		return in.load(v, v.Str, fr)
	case json5.KindArray:
		var merged *json5.Node
		for i, it := range v.Items {
			if it.Kind != json5.KindString {
				sub := fr
				sub.path = fmt.Sprintf("%s[%d]", fr.path, i)
				return nil, in.errAt(it, sub, "$include array items must be strings, got a "+it.Kind.String(), "")
			}
			got, err := in.load(it, it.Str, fr)
			if err != nil {
				return nil, err
			}
			if merged == nil {
				// OpenClaw starts from {}: merging into an empty object.
				merged = &json5.Node{Kind: json5.KindObject, Start: v.Start, End: v.End, Line: v.Line, Col: v.Col}
				in.d.made[merged] = fr.file
			}
			merged = in.merge(merged, got)
		}
		if merged == nil {
			merged = &json5.Node{Kind: json5.KindObject, Start: v.Start, End: v.End, Line: v.Line, Col: v.Col}
			in.d.made[merged] = fr.file
		}
		return merged, nil
	}
	return nil, in.errAt(v, fr, "$include must be a string or an array of strings, got a "+v.Kind.String(), "")
}

func (in *includer) load(at *json5.Node, rel string, fr includeFrame) (*json5.Node, error) {
	target := rel
	if !filepath.IsAbs(target) {
		target = filepath.Join(filepath.Dir(fr.file), rel)
	}
	target = filepath.Clean(target)
	if !inside(in.rootDir, target) {
		return nil, in.errAt(at, fr, fmt.Sprintf("$include %q leaves the config directory %s", rel, in.rootDir),
			"OpenClaw refuses includes outside the main config's directory; move the file next to it")
	}
	// A symlink must not lead out either (OpenClaw checks the real path
	// too); this is decided before the file is read, so nothing of it is
	// quoted.
	if real, err := filepath.EvalSymlinks(target); err == nil && !inside(in.realRoot, real) {
		return nil, in.errAt(at, fr, fmt.Sprintf("$include %q resolves outside the config directory %s through a symlink", rel, in.rootDir),
			"OpenClaw refuses includes outside the main config's directory; copy the file next to it")
	}
	if err := in.ctx.Err(); err != nil {
		e := in.errAt(at, fr, readErrorMsg(fmt.Sprintf("$include %q", rel), err), "")
		e.Err = err
		return nil, e
	}
	if in.loads++; in.loads > maxIncludeLoads {
		return nil, in.errAt(at, fr, fmt.Sprintf("more than %d $include files loaded for one config (a file included twice counts twice)", maxIncludeLoads),
			"includes that fan out at every level multiply: include each file once")
	}
	for _, f := range fr.chain {
		if f == target {
			chain := append(append([]string(nil), fr.chain...), target)
			return nil, in.errAt(at, fr, "circular $include: "+strings.Join(chain, " -> "), "remove one of these includes")
		}
	}
	if fr.depth >= maxIncludeDepth {
		chain := append(append([]string(nil), fr.chain...), target)
		return nil, in.errAt(at, fr, fmt.Sprintf("$include nested deeper than %d files: %s", maxIncludeDepth, strings.Join(chain, " -> ")),
			"flatten the includes")
	}
	data, err := in.read(in.ctx, target)
	if err != nil {
		msg := readErrorMsg(fmt.Sprintf("$include %q (%s)", rel, target), err)
		hint := ""
		if errors.Is(err, fs.ErrNotExist) {
			msg = fmt.Sprintf("$include %q: file %s does not exist", rel, target)
			hint = "paths are relative to the including file"
		}
		e := in.errAt(at, fr, msg, hint)
		e.Err = err
		return nil, e
	}
	root, err := json5.Parse(data)
	if err != nil {
		return nil, syntaxErr(target, err)
	}
	in.d.recordFile(root, target)
	// Keys inside an included file are reported at the path where the
	// content lands, which is what OpenClaw's messages name too.
	landing := strings.TrimSuffix(strings.TrimSuffix(fr.path, includeKey), ".")
	sub := includeFrame{file: target, chain: append(append([]string(nil), fr.chain...), target), depth: fr.depth + 1, path: landing}
	return in.process(root, sub)
}

// merge is OpenClaw's deepMerge: objects merge key by key, arrays
// concatenate, and otherwise src replaces dst.
func (in *includer) merge(dst, src *json5.Node) *json5.Node {
	switch {
	case dst.Kind == json5.KindArray && src.Kind == json5.KindArray:
		c := *dst
		c.Items = append(append([]*json5.Node(nil), dst.Items...), src.Items...)
		in.d.made[&c] = in.d.fileOf(dst, "")
		return &c
	case dst.Kind == json5.KindObject && src.Kind == json5.KindObject:
		c := *dst
		c.Fields = dedupe(dst.Fields)
		for _, f := range dedupe(src.Fields) {
			found := false
			for i := range c.Fields {
				if c.Fields[i].Key == f.Key {
					c.Fields[i].Value = in.merge(c.Fields[i].Value, f.Value)
					found = true
					break
				}
			}
			if !found {
				c.Fields = append(c.Fields, f)
			}
		}
		in.d.made[&c] = in.d.fileOf(dst, "")
		return &c
	}
	return src
}

// dedupe collapses duplicate keys as JavaScript's JSON5.parse does: the
// last value, at the first key's position in the order.
func dedupe(fields []json5.Field) []json5.Field {
	out := make([]json5.Field, 0, len(fields))
	for _, f := range fields {
		dup := false
		for i := range out {
			if out[i].Key == f.Key {
				out[i].Value = f.Value
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, f)
		}
	}
	return out
}

func (in *includer) errAt(n *json5.Node, fr includeFrame, msg, hint string) *Error {
	return &Error{File: in.d.fileOf(n, fr.file), Path: fr.path, Line: n.Line, Col: n.Col, Msg: msg, Hint: hint}
}

func joinPath(base, key string) string {
	if base == "" {
		return key
	}
	return base + "." + key
}

func syntaxErr(file string, err error) *Error {
	var se *json5.SyntaxError
	if errors.As(err, &se) {
		return &Error{File: file, Line: se.Line, Col: se.Col, Msg: "invalid JSON5: " + se.Msg, Err: err}
	}
	return &Error{File: file, Msg: "invalid JSON5: " + err.Error(), Err: err}
}

// inside reports whether path is dir or below it (both cleaned).
func inside(dir, path string) bool {
	r, err := filepath.Rel(dir, path)
	return err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator))
}
