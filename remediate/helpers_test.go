package remediate

import (
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
