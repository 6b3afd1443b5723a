package remediate

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// ErrChanged marks a write refused because the file changed since it was
// read: someone (a person, OpenClaw itself) edited it, and their change is
// not overwritten. The next cycle reads it again.
var ErrChanged = errors.New("the file changed since provwatch read it")

// writeFileAtomic replaces path with data so that a reader (OpenClaw, the
// next provwatch) sees either the old or the new content, never a torn
// file, even across a crash: temp file in the same directory, fsync,
// rename over the old one, fsync the directory so the rename is durable.
//
// A symlink is written through: the file it points to is replaced and the
// link stays a link. An existing file keeps its permissions; a new one gets
// perm. When was is non-nil, the file must still hold exactly was when it
// is replaced, else it keeps (or gets back) what another writer saved and
// the error wraps ErrChanged (see replaceIfUnchanged).
func writeFileAtomic(path string, data []byte, perm fs.FileMode, was []byte) (err error) {
	real, err := realPath(path)
	if err != nil {
		return err
	}
	if st, statErr := os.Stat(real); statErr == nil {
		perm = st.Mode().Perm()
	}
	dir := filepath.Dir(real)
	f, err := os.CreateTemp(dir, "."+filepath.Base(real)+".tmp-*")
	if err != nil {
		return fmt.Errorf("creating a temporary file beside %s: %w", real, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", tmp, err)
	}
	if err = f.Chmod(perm); err != nil {
		return fmt.Errorf("setting permissions of %s: %w", tmp, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", tmp, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", tmp, err)
	}
	if was != nil {
		if err = replaceIfUnchanged(tmp, real, was, data); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		return syncDir(dir)
	}
	if err = os.Rename(tmp, real); err != nil {
		return fmt.Errorf("replacing %s: %w", real, err)
	}
	return syncDir(dir)
}

// replaceIfUnchanged moves tmp (holding ours) over real only if real holds
// was. Where the filesystem can swap two paths atomically, it swaps, then
// looks at what it swapped out: another writer's save that landed between
// the read and the swap is put back, so no save is lost. Elsewhere it
// checks, then renames, which leaves a window of an instant.
func replaceIfUnchanged(tmp, real string, was, ours []byte) error {
	changed := fmt.Errorf("%w (someone edited it); not overwriting their change", ErrChanged)
	swapped, err := exchange(tmp, real)
	if err != nil {
		return fmt.Errorf("replacing %s: %w", real, err)
	}
	if !swapped {
		if now, err := os.ReadFile(real); err != nil || !bytes.Equal(now, was) {
			return changed
		}
		if err := os.Rename(tmp, real); err != nil {
			return fmt.Errorf("replacing %s: %w", real, err)
		}
		return nil
	}
	if out, err := os.ReadFile(tmp); err == nil && bytes.Equal(out, was) {
		os.Remove(tmp)
		return nil
	}
	// Someone saved in between: give their file back.
	if _, err := exchange(tmp, real); err != nil {
		return fmt.Errorf("putting back a concurrent save of %s (it is in %s): %w", real, tmp, err)
	}
	if back, err := os.ReadFile(tmp); err == nil && !bytes.Equal(back, ours) {
		// An even newer save replaced ours meanwhile: the newest stays.
		os.Rename(tmp, real)
	} else {
		os.Remove(tmp)
	}
	return changed
}

// realPath follows symlinks to the file a write must replace. A path that
// does not exist yet is its own real path (its directory's links followed).
func realPath(path string) (string, error) {
	real, err := filepath.EvalSymlinks(path)
	if err == nil {
		return real, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("following %s: %w", path, err)
	}
	if _, lerr := os.Lstat(path); lerr == nil {
		// A dangling link: create the file it names.
		target, rerr := os.Readlink(path)
		if rerr != nil {
			return "", fmt.Errorf("following %s: %w", path, rerr)
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(path), target)
		}
		return target, nil
	}
	return path, nil
}

// syncDir makes a rename in dir durable. Filesystems that cannot sync a
// directory (some network and Windows filesystems) are not an error: the
// rename itself already happened.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return nil
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, fs.ErrInvalid) && !errors.Is(err, errors.ErrUnsupported) {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	return nil
}

// maxBackups is how many numbered backups OpenClaw keeps beside its
// config: PATH.bak, then PATH.bak.1 … PATH.bak.4.
const maxBackups = 4

// rotateBackups keeps prev as PATH.bak the way OpenClaw rotates its own
// backups, so neither tool loses the other's: PATH.bak.3 becomes
// PATH.bak.4 (the oldest is dropped), …, PATH.bak becomes PATH.bak.1, and
// prev is written to PATH.bak with mode 0600, as OpenClaw writes them (a
// config may hold keys). path is the real file (symlinks followed).
func rotateBackups(path string, prev []byte) error {
	bak := path + ".bak"
	for i := maxBackups - 1; i >= 0; i-- {
		from := bak
		if i > 0 {
			from = bak + "." + strconv.Itoa(i)
		}
		if err := os.Rename(from, bak+"."+strconv.Itoa(i+1)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("rotating backups of %s: %w", path, err)
		}
	}
	return writeFileAtomic(bak, prev, 0o600, nil)
}
