package remediate

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"sync"

	"github.com/provwatch/provwatch/configs"
)

// openclawTarget rewrites the chains inside an OpenClaw config in place:
// agents.defaults.model and each agent's own model that may be moved. The
// file is read and edited by configs (Doc, Rewrite), exactly as the loader
// reads it, so only the bytes of those values change: comments, layout,
// key quoting, line endings and $include directives stay as the person
// wrote them. A value is edited in the file that writes it, an $include's
// included. OpenClaw hot-applies agents changes, so the gateway follows.
//
// `follow` writes through this same target (OpenClawFile).
type openclawTarget struct {
	path      string
	getenv    func(string) string
	allowlist bool

	mu sync.Mutex
	// seen is what the latest Read saw of every file of the config, by
	// path: an Apply refuses to replace a file someone edited since, rather
	// than lose their change.
	seen map[string][sha256.Size]byte
}

// OpenClawFile opens the OpenClaw config at path as a target: what the
// openclaw: remediation target and `follow` write through.
func OpenClawFile(path string, opts ...TargetOption) Target {
	t, _ := OpenTarget(configs.Location{Scheme: configs.SchemeOpenClaw, Path: path}, nil, opts...)
	return t
}

func (t *openclawTarget) String() string { return "openclaw:" + t.path }

func (t *openclawTarget) readDoc(ctx context.Context) (*configs.Doc, error) {
	if _, err := os.Stat(t.path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("target %s: the file does not exist (point remediation.target at the OpenClaw config the gateway reads)", t)
	}
	d, err := configs.ReadDoc(ctx, configs.Source{Path: t.path, Getenv: t.getenv})
	if err != nil {
		return nil, fmt.Errorf("target %s: %w (provwatch changes nothing until OpenClaw can read it)", t, err)
	}
	return d, nil
}

func hashes(files map[string][]byte) map[string][sha256.Size]byte {
	out := make(map[string][sha256.Size]byte, len(files))
	for f, b := range files {
		out[f] = sha256.Sum256(b)
	}
	return out
}

// Read returns every chain the file holds, as OpenClaw resolves it. A
// malformed agents.defaults.model is reported in Malformed (the next Apply
// replaces it); a file that does not parse, or any other error OpenClaw
// would refuse the file for, is an error: that file is its author's to fix.
func (t *openclawTarget) Read(ctx context.Context) (Held, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	d, err := t.readDoc(ctx)
	if err != nil {
		return Held{}, err
	}
	// Remember what was read even when a value is malformed: an Apply
	// that replaces it must still notice a concurrent edit.
	t.seen = hashes(d.Files)
	h := Held{Orders: map[string]configs.Order{}, Config: true}
	oc, err := d.Resolve()
	if configs.MalformedDefaults(err) {
		h.Malformed = map[string]string{configs.DefaultsChain: err.Error()}
		return h, nil
	}
	if err != nil {
		return Held{}, fmt.Errorf("target %s: %w", t, err)
	}
	for _, c := range oc.Chains {
		h.Orders[c.Name] = c.Order()
	}
	return h, nil
}

// Apply rewrites the chains in one write per file, each with OpenClaw's
// own backup rotation beside it. It refuses when a file changed since the
// latest Read, and writes nothing when nothing differs. A read-only file is
// not replaced: its owner said it is not to be changed.
func (t *openclawTarget) Apply(ctx context.Context, chains []ChainPlan) (Applied, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	d, err := t.readDoc(ctx)
	if err != nil {
		return Applied{}, err
	}
	if t.seen != nil {
		now := hashes(d.Files)
		for f, h := range now {
			if old, ok := t.seen[f]; !ok || old != h {
				t.seen = nil
				return Applied{}, fmt.Errorf("target %s: %s: %w (someone edited it); not overwriting their change, the next cycle reads it again", t, f, ErrChanged)
			}
		}
	}
	want := make([]configs.ChainOrder, len(chains))
	for i, c := range chains {
		want[i] = configs.ChainOrder{Name: c.Name, Order: c.Effective}
	}
	res, err := d.Rewrite(want, configs.RewriteOptions{Allowlist: t.allowlist})
	if err != nil {
		return Applied{}, fmt.Errorf("target %s: %w", t, err)
	}
	a := Applied{Written: res.Written, Skipped: res.Skipped}
	if res.Repaired {
		a.Repaired = []string{configs.DefaultsChain}
	}
	if len(res.Files) == 0 {
		return a, nil
	}
	files := make([]string, 0, len(res.Files))
	for f := range res.Files {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, f := range files {
		if err := writeConfigFile(f, d.Files[f], res.Files[f]); err != nil {
			t.seen = nil
			return Applied{}, fmt.Errorf("target %s: %w", t, err)
		}
		d.Files[f] = res.Files[f]
	}
	t.seen = hashes(d.Files)
	return a, nil
}

// writeConfigFile replaces one file of an OpenClaw config: the previous
// content goes to PATH.bak (rotated as OpenClaw rotates its own), the new
// one is written atomically through any symlink, and only if the file still
// holds prev just before the rename.
func writeConfigFile(path string, prev, next []byte) error {
	real, perm, err := writableFile(path)
	if err != nil {
		return err
	}
	if err := rotateBackups(real, prev); err != nil {
		return fmt.Errorf("saving the previous content of %s: %w", path, err)
	}
	return writeFileAtomic(real, next, perm, prev)
}

// writableFile resolves path through any symlink and refuses a file whose
// owner may not write it: provwatch never replaces a read-only file (an
// operator who made it so meant it).
func writableFile(path string) (real string, perm os.FileMode, err error) {
	if real, err = realPath(path); err != nil {
		return "", 0, err
	}
	st, err := os.Stat(real)
	if err != nil {
		return "", 0, err
	}
	if perm = st.Mode().Perm(); perm&0o200 == 0 {
		return "", 0, fmt.Errorf("%s is read-only (mode %04o): provwatch never rewrites it; make it writable (chmod u+w) for provwatch to keep the chain in order", path, perm)
	}
	return real, perm, nil
}
