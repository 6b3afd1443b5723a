package remediate

import (
	"context"
	"errors"
	"time"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/probes"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func defaultHealth() configs.Health { return configs.DefaultSettings().Health }

func mr(ref string, s probes.State, reason probes.Reason) probes.ModelResult {
	return probes.ModelResult{Ref: ref, State: s, Reason: reason, Detail: string(reason) + " detail"}
}

const (
	H = probes.Healthy
	D = probes.Degraded
	X = probes.Down
)

// readDefaults is what Read says of agents.defaults.model, in the shape the
// single-value tests compare: the order, whether the target holds one, and
// as an error what makes it malformed.
func readDefaults(ctx context.Context, tg Target) (configs.Order, bool, error) {
	h, err := tg.Read(ctx)
	if err != nil {
		return configs.Order{}, false, err
	}
	if why, bad := h.Malformed[configs.DefaultsChain]; bad {
		return configs.Order{}, true, errors.New(why)
	}
	o, ok := h.Orders[configs.DefaultsChain]
	return o, ok, nil
}

// writeDefaults applies o as agents.defaults.model's effective order.
func writeDefaults(ctx context.Context, tg Target, o configs.Order, why string) error {
	_, err := tg.Apply(ctx, []ChainPlan{{Name: configs.DefaultsChain, Path: "agents.defaults.model", Preferred: o, Effective: o, Why: why}})
	return err
}
