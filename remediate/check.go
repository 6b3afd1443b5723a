package remediate

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/provwatch/provwatch/configs"
)

// TargetCheck is what `validate` says of the remediation target.
type TargetCheck struct {
	Location string   `json:"location"`
	Checked  bool     `json:"checked"` // false: validate does not talk to the service (ssm:)
	Notes    []string `json:"notes,omitempty"`
}

// CheckTarget tells, without writing anything, whether every write the
// target will be asked for can happen: an openclaw: file that exists, can
// be read as OpenClaw reads it, can be written, and holds each movable
// chain where it can be rewritten in place (a rewrite of each is computed
// and checked, not written); a file: target whose directory can be written.
// The error says what to change (validate exits 78 on it). chains are the
// chains provwatch watches; getenv resolves the file's ${VAR}.
func CheckTarget(ctx context.Context, loc configs.Location, chains []configs.Chain, getenv func(string) string) (TargetCheck, error) {
	c := TargetCheck{Location: loc.String(), Checked: true}
	switch loc.Scheme {
	case configs.SchemeNone, "":
		return c, nil
	case configs.SchemeSSM:
		c.Checked = false
		c.Notes = append(c.Notes, "not checked: validate talks to no AWS service (the first once or run reads it)")
		return c, nil
	case configs.SchemeFile:
		return c, checkDir(loc, filepath.Dir(loc.Path))
	}
	path := loc.Path
	d, err := configs.ReadDoc(ctx, configs.Source{Path: path, Getenv: getenv})
	if err != nil {
		return c, fmt.Errorf("%s: %w", loc, err)
	}
	for f := range d.Files {
		if err := checkWritable(f); err != nil {
			return c, fmt.Errorf("%s: %w", loc, err)
		}
	}
	var want []configs.ChainOrder
	for _, ch := range chains {
		o := configs.Dedupe(ch.Order())
		if ch.Fixed || len(o.Fallbacks) == 0 {
			continue
		}
		refs := o.Refs()
		slices.Reverse(refs)
		want = append(want, configs.ChainOrder{Name: ch.Name, Order: configs.OrderOf(refs)})
	}
	res, err := d.Rewrite(want, configs.RewriteOptions{})
	if err != nil {
		return c, fmt.Errorf("%s cannot hold the order: %w", loc, err)
	}
	if res.Repaired {
		c.Notes = append(c.Notes, "agents.defaults.model there is malformed: the first write replaces it whole")
	}
	for _, name := range sortedKeys(res.Skipped) {
		c.Notes = append(c.Notes, fmt.Sprintf("agent %s is never rewritten there: %s", name, res.Skipped[name]))
	}
	if held, err := d.Resolve(); err == nil {
		for _, ch := range held.Chains {
			if _, skipped := res.Skipped[ch.Name]; ch.File != "" && ch.File != path && !ch.Fixed && !skipped {
				c.Notes = append(c.Notes, fmt.Sprintf("%s is written in %s: provwatch edits it there", ch.Path, ch.File))
			}
		}
	}
	return c, nil
}

// checkWritable refuses a file the target would refuse to replace.
func checkWritable(path string) error {
	real, _, err := writableFile(path)
	if err != nil {
		return err
	}
	return checkDir(configs.Location{Scheme: configs.SchemeOpenClaw, Path: path}, filepath.Dir(real))
}

// checkDir refuses a directory a new file (the atomic write's temporary
// file, a backup) cannot be created in.
func checkDir(loc configs.Location, dir string) error {
	st, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) && loc.Scheme == configs.SchemeFile {
		return checkDir(loc, filepath.Dir(dir)) // created on the first write
	}
	if err != nil {
		return fmt.Errorf("%s: %w", loc, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("%s: %s is not a directory", loc, dir)
	}
	if err := accessWrite(dir); err != nil {
		return fmt.Errorf("%s: cannot create files in %s (%v): provwatch writes atomically, through a temporary file beside the target", loc, dir, err)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
