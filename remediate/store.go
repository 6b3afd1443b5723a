package remediate

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/internal/ssmparam"
)

// OpenStore opens the `state` setting: memory, file:PATH, ssm:NAME or
// auto. cmd is the command being run (run, once, …) and target the
// remediation.target, both used only by auto:
//   - run (and every command but once): memory, the daemon keeps it;
//   - once: beside the target — ssm:/p → ssm:/p-state, file:/x →
//     file:/x.state, openclaw:/x → file:/x.provwatch-state — or, with no
//     target, a file in the user cache dir (provwatch/state.json; the
//     temp dir when there is no cache dir, as under Lambda).
//
// ssm is needed only for ssm: stores.
func OpenStore(state configs.Location, cmd string, target configs.Location, ssm ssmparam.Client) (Store, error) {
	if state.Is(configs.SchemeAuto, "") {
		state = AutoState(cmd, target)
	}
	switch state.Scheme {
	case configs.SchemeMemory:
		return &memoryStore{}, nil
	case configs.SchemeFile:
		return &fileStore{path: state.Path}, nil
	case configs.SchemeSSM:
		if ssm == nil {
			return nil, fmt.Errorf("state %s: no SSM client (configure an AWS region)", state)
		}
		return &ssmStore{name: state.Path, client: ssm}, nil
	}
	return nil, fmt.Errorf("state %q: not one of memory, file:PATH, ssm:NAME, auto", state)
}

// AutoState is where `state: auto` keeps the state for a command.
func AutoState(cmd string, target configs.Location) configs.Location {
	if cmd != "once" {
		return configs.Location{Scheme: configs.SchemeMemory}
	}
	switch target.Scheme {
	case configs.SchemeSSM:
		return configs.Location{Scheme: configs.SchemeSSM, Path: target.Path + "-state"}
	case configs.SchemeFile:
		return configs.Location{Scheme: configs.SchemeFile, Path: target.Path + ".state"}
	case configs.SchemeOpenClaw:
		return configs.Location{Scheme: configs.SchemeFile, Path: target.Path + ".provwatch-state"}
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return configs.Location{Scheme: configs.SchemeFile, Path: filepath.Join(dir, "provwatch", "state.json")}
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
