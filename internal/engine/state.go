package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"time"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/health"
)

// persisted is what the Store keeps between processes.
type persisted struct {
	Version   int                    `json:"version"`
	Tracker   json.RawMessage        `json:"tracker"`
	Effective *configs.Order         `json:"effective,omitempty"`
	Generated map[string]time.Time   `json:"generated,omitempty"`
	Chains    map[string]*chainState `json:"chains,omitempty"`
}

func (e *Engine) stateJSON() ([]byte, error) {
	t, err := e.tracker.MarshalJSON()
	if err != nil {
		return nil, err
	}
	return json.Marshal(persisted{Version: 1, Tracker: t, Effective: e.lastEffective, Generated: e.lastGenerate, Chains: e.chains})
}

func (e *Engine) restore(data []byte) error {
	var p persisted
	if err := json.Unmarshal(data, &p); err != nil {
		return fmt.Errorf("state is not provwatch state: %w", err)
	}
	if p.Version != 1 {
		return fmt.Errorf("state has version %d, this provwatch reads version 1", p.Version)
	}
	t := health.NewTracker(e.opt.Settings.Health)
	if err := t.UnmarshalJSON(p.Tracker); err != nil {
		return err
	}
	// Models and chains no longer watched (a reload, an edited config)
	// leave the state.
	t.Forget(e.opt.OpenClaw.WatchedRefs())
	e.tracker = t
	e.lastEffective = p.Effective
	if p.Generated != nil {
		e.lastGenerate = p.Generated
	}
	e.chains = map[string]*chainState{}
	for _, c := range e.opt.OpenClaw.Chains {
		if st := p.Chains[c.Name]; st != nil {
			e.chains[c.Name] = st
		}
	}
	return nil
}

func (e *Engine) load(ctx context.Context) {
	if e.opt.Store == nil {
		return
	}
	data, err := e.opt.Store.Load(ctx)
	if err != nil {
		e.opt.Log.Warn().Err(err).Str("state", e.opt.Store.String()).Msg("cannot read saved state; starting fresh")
		return
	}
	if data == nil {
		return
	}
	if err := e.restore(data); err != nil {
		e.opt.Log.Warn().Err(err).Str("state", e.opt.Store.String()).Msg("saved state is corrupt or foreign; it will be replaced")
	}
}

func (e *Engine) save(ctx context.Context) {
	if e.opt.Store == nil {
		return
	}
	data, err := e.stateJSON()
	if err == nil {
		err = e.opt.Store.Save(ctx, data)
	}
	if err != nil {
		e.opt.Log.Error().Err(err).Str("state", e.opt.Store.String()).Msg("saving state failed; hysteresis restarts if the process does")
	}
}

// Adopt takes over another engine's state — health, preferred orders, the
// last results and report — so a configuration reload keeps hysteresis and
// keeps /status and /metrics whole until the next full cycle. An old engine
// that has not run a round yet has not loaded the Store either: then there
// is nothing to take over, and this one loads the Store on its first round.
func (e *Engine) Adopt(old *Engine) {
	if old == nil || old == e {
		return
	}
	old.mu.Lock()
	if !old.loaded {
		old.mu.Unlock()
		return
	}
	data, err := old.stateJSON()
	results := maps.Clone(old.results)
	last := old.last
	old.mu.Unlock()
	if err != nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.restore(data); err == nil {
		e.loaded = true
	}
	for id, r := range results {
		if e.opt.OpenClaw.Provider(id) != nil {
			e.results[id] = r
		}
	}
	e.last = last
}
