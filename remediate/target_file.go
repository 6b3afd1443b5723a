package remediate

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/provwatch/provwatch/configs"
)

// fileTarget holds the order as a JSON file: exactly agents.defaults.model.
type fileTarget struct {
	mu   sync.Mutex
	path string
}

func (f *fileTarget) Read(context.Context) (configs.Order, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return configs.Order{}, false, nil
	}
	if err != nil {
		return configs.Order{}, false, fmt.Errorf("target %s: %w", f, err)
	}
	o, err := configs.ParseOrder(b)
	if err != nil {
		return configs.Order{}, true, fmt.Errorf("target %s holds %q, which is not an agents.defaults.model value: %w (fix or delete the file; provwatch rewrites it)", f, configs.QuoteSnippet(b), err)
	}
	return o, true, nil
}

func (f *fileTarget) Write(_ context.Context, o configs.Order, _ string) error {
	if err := o.Validate(); err != nil {
		return fmt.Errorf("target %s: refusing to write: %w", f, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	b, _ := o.MarshalJSON()
	if err := os.MkdirAll(filepath.Dir(f.path), 0o755); err != nil {
		return fmt.Errorf("target %s: creating its directory: %w", f, err)
	}
	if err := writeFileAtomic(f.path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("target %s: %w", f, err)
	}
	return nil
}

func (f *fileTarget) String() string { return "file:" + f.path }
