package remediate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// OpenStore resolves the `state` setting. spec is memory, file:PATH,
// ssm:NAME or auto (""); cmd is the command being run (run, once, …) and
// target the remediation.target setting, both used only by auto:
//   - run (and every command but once): memory, the daemon keeps it;
//   - once: beside the target — ssm:/p → ssm:/p-state, file:/x →
//     file:/x.state, openclaw:/x → file:/x.provwatch-state — or, with no
//     target, a file in the user cache dir (provwatch/state.json; the
//     temp dir when there is no cache dir, as under Lambda).
//
// ssm is needed only for ssm: stores.
func OpenStore(spec string, cmd string, target string, ssm SSMAPI) (Store, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" || spec == "auto" {
		spec = autoStore(cmd, strings.TrimSpace(target))
	}
	switch {
	case spec == "memory":
		return &memoryStore{}, nil
	case strings.HasPrefix(spec, "file:"):
		p := strings.TrimPrefix(spec, "file:")
		if p == "" {
			return nil, errors.New("state: file: needs a path, e.g. file:/var/lib/provwatch/state.json")
		}
		return &fileStore{path: p}, nil
	case strings.HasPrefix(spec, "ssm:"):
		name := strings.TrimPrefix(spec, "ssm:")
		if name == "" {
			return nil, errors.New("state: ssm: needs a parameter name, e.g. ssm:/openclaw/provwatch-state")
		}
		if ssm == nil {
			return nil, fmt.Errorf("state %s: no SSM client (configure an AWS region)", spec)
		}
		return &ssmStore{name: name, client: ssm}, nil
	}
	return nil, fmt.Errorf("state %q: not one of memory, file:PATH, ssm:NAME, auto", spec)
}

func autoStore(cmd, target string) string {
	if cmd != "once" {
		return "memory"
	}
	switch {
	case strings.HasPrefix(target, "ssm:") && len(target) > len("ssm:"):
		return target + "-state"
	case strings.HasPrefix(target, "file:") && len(target) > len("file:"):
		return target + ".state"
	case strings.HasPrefix(target, "openclaw:") && len(target) > len("openclaw:"):
		return "file:" + strings.TrimPrefix(target, "openclaw:") + ".provwatch-state"
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return "file:" + filepath.Join(dir, "provwatch", "state.json")
}

// memoryStore keeps the state for the life of the process (run).
type memoryStore struct {
	mu   sync.Mutex
	data []byte
}

func (m *memoryStore) Load(context.Context) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]byte(nil), m.data...), nil
}

func (m *memoryStore) Save(_ context.Context, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.data = append([]byte(nil), data...)
	return nil
}

func (m *memoryStore) String() string { return "memory" }
