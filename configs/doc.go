package configs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/provwatch/provwatch/configs/json5"
	"github.com/provwatch/provwatch/internal/ssmparam"
)

const ssmPrefix = "ssm:"

// Doc is an OpenClaw config as read: the bytes of every file (the root and
// each $include), and the tree OpenClaw would see after merging them, in
// which every value remembers the file it was written in. The resolver
// reads chains and providers from it, and Rewrite edits the files' bytes
// where a value is written, so the loader, the openclaw: target and
// `follow` share one reading of the file.
type Doc struct {
	// Path is the root config: a file path or ssm:/parameter/name.
	Path string
	// Files holds every file read: the root under Path, each $include by
	// its clean path.
	Files map[string][]byte

	root *json5.Node
	// trees holds each file's own parse, keyed as Files: what a rewrite
	// reads the file's style from.
	trees map[string]*json5.Node
	// origin is the file each parsed node stands in as written, so its
	// span can be edited there.
	origin map[*json5.Node]string
	// made is the file each node a merge made is reported in: a new node,
	// whose span does not say where its content is.
	made   map[*json5.Node]string
	getenv func(string) string
}

func (d *Doc) fileOf(n *json5.Node, fallback string) string {
	if f, ok := d.origin[n]; ok {
		return f
	}
	if f, ok := d.made[n]; ok {
		return f
	}
	return fallback
}

// recordFile keeps root as file's parse and marks its nodes as written
// there.
func (d *Doc) recordFile(root *json5.Node, file string) {
	d.trees[file] = root
	d.record(root, file)
}

// record marks a freshly parsed tree as written in file.
func (d *Doc) record(n *json5.Node, file string) {
	d.origin[n] = file
	for _, it := range n.Items {
		d.record(it, file)
	}
	for _, f := range n.Fields {
		d.record(f.Value, file)
	}
}

// written reports whether n stands in its file as it is, so its span can
// be edited there.
func (d *Doc) written(n *json5.Node) bool {
	_, ok := d.origin[n]
	return ok
}

// ReadDoc reads the OpenClaw config src names (following docs/reference.md §2a's lookup
// order when src.Path is empty) with its $include files. A Doc with Path ""
// means no config exists at all. Every error is an *Error.
func ReadDoc(ctx context.Context, src Source) (*Doc, error) {
	getenv := src.Getenv
	if getenv == nil {
		getenv = defaultGetenv
	}
	path, err := resolvePath(src, getenv)
	if err != nil {
		return nil, err
	}
	if path == "" {
		return &Doc{getenv: getenv}, nil
	}
	data, err := readSource(ctx, path, src.SSM)
	if err != nil {
		return nil, err
	}
	read := func(ctx context.Context, p string) ([]byte, error) { return readConfigFile(ctx, p, true) }
	return parseDoc(ctx, path, data, read, getenv)
}

// ParseDoc builds a Doc from files held in memory (the root at path and any
// $include it names, by clean path), as ReadDoc would from disk; Rewrite
// uses it to check a rewrite before anything is written.
func ParseDoc(path string, files map[string][]byte, getenv func(string) string) (*Doc, error) {
	if getenv == nil {
		getenv = defaultGetenv
	}
	data, ok := files[path]
	if !ok {
		return nil, &Error{File: path, Msg: "the OpenClaw config file does not exist"}
	}
	read := func(_ context.Context, p string) ([]byte, error) {
		if b, ok := files[p]; ok {
			return b, nil
		}
		return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
	}
	return parseDoc(context.Background(), path, data, read, getenv)
}

func parseDoc(ctx context.Context, path string, data []byte, read func(context.Context, string) ([]byte, error), getenv func(string) string) (*Doc, error) {
	d := &Doc{Path: path, Files: map[string][]byte{path: data}, trees: map[string]*json5.Node{},
		origin: map[*json5.Node]string{}, made: map[*json5.Node]string{}, getenv: getenv}
	root, err := json5.Parse(data)
	if err != nil {
		return nil, syntaxErr(path, err)
	}
	d.recordFile(root, path)
	// Most configs include nothing: their tree is the merged tree as it is.
	inc := findInclude(root)
	if inc == nil {
		d.root = root
		return d, nil
	}
	if strings.HasPrefix(path, ssmPrefix) {
		return nil, &Error{File: path, Path: includeKey, Line: inc.Line, Col: inc.Col,
			Msg:  "$include cannot be resolved in a config read from SSM (there is no directory to resolve it against)",
			Hint: "store the merged config in the parameter"}
	}
	in := newIncluder(ctx, d, path, func(ctx context.Context, p string) ([]byte, error) {
		b, err := read(ctx, p)
		if err == nil {
			d.Files[p] = b
		}
		return b, err
	})
	clean := filepath.Clean(path)
	if d.root, err = in.process(root, includeFrame{file: path, chain: []string{clean}}); err != nil {
		return nil, err
	}
	return d, nil
}

// resolvePath applies docs/reference.md §2a's lookup order for an empty Source.Path.
// PROVWATCH_OPENCLAW_CONFIG is honoured here too, so callers that pass ""
// still get the documented precedence.
func resolvePath(src Source, getenv func(string) string) (string, error) {
	p := src.Path
	if p == "" {
		p = getenv("PROVWATCH_OPENCLAW_CONFIG")
	}
	if p == "" {
		p = getenv("OPENCLAW_CONFIG_PATH")
	}
	if p != "" {
		return expandHome(p, getenv), nil
	}
	home := getenv("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	if home == "" {
		return "", nil
	}
	def := filepath.Join(home, ".openclaw", "openclaw.json")
	if _, err := os.Stat(def); err != nil {
		return "", nil // no config at all: the caller discovers
	}
	return def, nil
}

func expandHome(p string, getenv func(string) string) string {
	if p != "~" && !strings.HasPrefix(p, "~/") {
		return p
	}
	home := getenv("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	return filepath.Join(home, strings.TrimPrefix(p, "~"))
}

func findInclude(n *json5.Node) *json5.Node {
	if v := n.Get(includeKey); v != nil {
		return v
	}
	for _, it := range n.Items {
		if v := findInclude(it); v != nil {
			return v
		}
	}
	for _, f := range n.Fields {
		if v := findInclude(f.Value); v != nil {
			return v
		}
	}
	return nil
}

func readSource(ctx context.Context, path string, client ssmparam.Getter) ([]byte, error) {
	if !strings.HasPrefix(path, ssmPrefix) {
		data, err := readConfigFile(ctx, path, false)
		if err != nil {
			hint := "check --openclaw-config, PROVWATCH_OPENCLAW_CONFIG or OPENCLAW_CONFIG_PATH"
			msg := readErrorMsg("the OpenClaw config", err)
			if errors.Is(err, fs.ErrNotExist) {
				msg = "the OpenClaw config file does not exist"
			}
			return nil, &Error{File: path, Msg: msg, Hint: hint, Err: err}
		}
		return data, nil
	}
	name := strings.TrimPrefix(path, ssmPrefix)
	if name == "" || name == "/" {
		return nil, &Error{File: path, Msg: "ssm: needs a parameter name", Hint: "write ssm:/parameter/name"}
	}
	if client == nil {
		return nil, &Error{File: path, Msg: "no SSM client is configured to read " + name, Hint: "configure AWS credentials and a region"}
	}
	p, err := client.Get(ctx, name)
	if err != nil {
		if errors.Is(err, ssmparam.ErrNotFound) {
			return nil, &Error{File: path, Msg: "SSM parameter " + name + " does not exist", Hint: "create it, or point --openclaw-config elsewhere", Err: err}
		}
		return nil, &Error{File: path, Msg: fmt.Sprintf("cannot read SSM parameter %s: %v", name, err),
			Hint: "check the region, credentials and ssm:GetParameter/kms:Decrypt permissions", Err: err}
	}
	if p.Value == "" {
		return nil, &Error{File: path, Msg: "SSM parameter " + name + " has no value"}
	}
	return []byte(p.Value), nil
}
