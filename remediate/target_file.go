package remediate

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/rs/zerolog"

	"github.com/provwatch/provwatch/configs"
)

// fileTarget holds the order as a JSON file: exactly agents.defaults.model.
type fileTarget struct {
	mu   sync.Mutex
	path string
	log  zerolog.Logger
}

// Read returns the order the file holds. A file that does not parse as an
// order (empty, pre-created, edited by hand) is Malformed: the next Apply
// replaces it.
func (f *fileTarget) Read(context.Context) (Held, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return heldOne(configs.Order{}, false, nil), nil
	}
	if err != nil {
		return Held{}, fmt.Errorf("target %s: %w", f, err)
	}
	o, err := configs.ParseOrder(b)
	if err != nil {
		return heldOne(o, true, fmt.Errorf("target %s holds %q, which is not an agents.defaults.model value: %w", f, configs.QuoteSnippet(b), err)), nil
	}
	return heldOne(o, true, nil), nil
}

// Apply writes agents.defaults.model's order as the file's whole content.
func (f *fileTarget) Apply(_ context.Context, chains []ChainPlan) (Applied, error) {
	def, a := single(chains)
	if def == nil {
		return a, nil
	}
	o := def.Effective
	if err := o.Validate(); err != nil {
		return a, fmt.Errorf("target %s: refusing to write: %w", f, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	b, _ := o.MarshalJSON()
	if err := os.MkdirAll(filepath.Dir(f.path), 0o755); err != nil {
		return a, fmt.Errorf("target %s: creating its directory: %w", f, err)
	}
	if err := writeFileAtomic(f.path, append(b, '\n'), 0o644, nil); err != nil {
		return a, fmt.Errorf("target %s: %w", f, err)
	}
	a.Written = []string{def.Name}
	return a, nil
}

func (f *fileTarget) String() string { return "file:" + f.path }
