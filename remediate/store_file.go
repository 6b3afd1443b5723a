package remediate

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// fileStore keeps the state in a local file, replaced atomically.
type fileStore struct{ path string }

func (f *fileStore) Load(context.Context) ([]byte, error) {
	b, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("state %s: %w", f, err)
	}
	return b, nil
}

func (f *fileStore) Save(_ context.Context, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(f.path), 0o755); err != nil {
		return fmt.Errorf("state %s: creating its directory: %w", f, err)
	}
	if err := writeFileAtomic(f.path, data, 0o644, nil); err != nil {
		return fmt.Errorf("state %s: %w", f, err)
	}
	return nil
}

func (f *fileStore) String() string { return "file:" + f.path }
