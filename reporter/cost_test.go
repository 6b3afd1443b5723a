package reporter

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/provwatch/provwatch/configs"
)

// costConfig watches 4 refs on ollama, openrouter and anthropic.
func costConfig() *configs.OpenClaw {
	return &configs.OpenClaw{
		Providers: []*configs.Provider{
			{ID: "anthropic", Flavour: configs.FlavourAnthropic},
			{ID: "ollama", Flavour: configs.FlavourOllama},
			{ID: "openrouter", Flavour: configs.FlavourOpenRouter},
		},
		Chains: []configs.Chain{
			{Name: "defaults", Primary: "ollama/qwen3-coder", Fallbacks: []string{"openrouter/google/gemini-flash-1.5", "ollama/llama3.1:8b"}},
			{Name: "coder", Primary: "anthropic/claude-3-5-sonnet", Fallbacks: []string{"ollama/qwen3-coder"}},
		},
	}
}

func costSettings(mut func(*configs.Settings)) configs.Settings {
	s := configs.DefaultSettings()
	if mut != nil {
		mut(&s)
	}
	return s
}

func TestEstimateMetrics(t *testing.T) {
	t.Parallel()
	const perMinute = 730 * 60 // cycles in a 730-hour month at @every 1m
	tests := []struct {
		name      string
		oc        *configs.OpenClaw
		s         configs.Settings
		wantCount int
		wantUSD   float64
	}{
		// 3 providers × 3 + 4 models × 3 + 2 = 23 metrics; one put per cycle.
		{"defaults", costConfig(), costSettings(nil), 23, 23*0.30 + perMinute*0.01/1000},
		// 3 × 2 + 4 × 1 + 1 = 11.
		{"basic", costConfig(), costSettings(func(s *configs.Settings) { s.Metrics.Detail = "basic" }), 11, 11*0.30 + perMinute*0.01/1000},
		{"every 5 minutes (cron)", costConfig(), costSettings(func(s *configs.Settings) { s.Schedule = "*/5 * * * *" }), 23, 23*0.30 + 730*12*0.01/1000},
		{"hourly", costConfig(), costSettings(func(s *configs.Settings) { s.Schedule = "@hourly" }), 23, 23*0.30 + 730*0.01/1000},
		{"probe off leaves a provider and its model out", costConfig(), costSettings(func(s *configs.Settings) {
			s.Probes["anthropic"] = configs.ProbeSettings{Mode: configs.ModeOff}
		}), 17, 17*0.30 + perMinute*0.01/1000},
		{"emf: no PutMetricData requests", costConfig(), costSettings(func(s *configs.Settings) { s.Metrics.Sink = "emf" }), 23, 23 * 0.30},
		{"sink none", costConfig(), costSettings(func(s *configs.Settings) { s.Metrics.Sink = "none" }), 0, 0},
		{"no config", nil, costSettings(nil), 2, 2*0.30 + perMinute*0.01/1000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n, usd := EstimateMetrics(tc.oc, tc.s)
			if n != tc.wantCount || math.Abs(usd-tc.wantUSD) > 1e-9 {
				t.Fatalf("EstimateMetrics = %d metrics, $%.4f; want %d, $%.4f", n, usd, tc.wantCount, tc.wantUSD)
			}
		})
	}
}

func TestEstimateCostBigConfig(t *testing.T) {
	t.Parallel()
	oc := &configs.OpenClaw{}
	var refs []string
	for p := range 10 {
		id := fmt.Sprintf("p%d", p)
		oc.Providers = append(oc.Providers, &configs.Provider{ID: id})
		for m := range 40 {
			refs = append(refs, fmt.Sprintf("%s/m%d", id, m))
		}
	}
	oc.Chains = []configs.Chain{{Name: "defaults", Primary: refs[0], Fallbacks: refs[1:]}}
	e := EstimateCost(oc, configs.DefaultSettings())
	// 10 × 3 + 400 × 3 + 2 = 1232 data a cycle: two puts.
	if e.Metrics != 1232 || e.RequestsPerMo != 2*730*60 {
		t.Fatalf("estimate = %+v", e)
	}
}

func TestCostMetricMonthTiers(t *testing.T) {
	t.Parallel()
	for n, want := range map[int]float64{
		0:         0,
		10:        3,
		10_000:    3000,
		10_001:    3000.10,
		250_000:   27000,
		1_000_000: 27000 + 750_000*0.05,
		1_000_010: 27000 + 750_000*0.05 + 10*0.02,
	} {
		if got := costMetricMonths(n); math.Abs(got-want) > 1e-6 {
			t.Errorf("costMetricMonths(%d) = %v, want %v", n, got, want)
		}
	}
}

func TestWriteCostSummary(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		s    configs.Settings
		want []string
	}{
		{"cloudwatch full", costSettings(nil), []string{
			"metrics: cloudwatch, up to 23 custom metrics (3 providers, 4 models, detail full) ≈ $7.34/month ($6.90 metrics + $0.44 for 43800 PutMetricData requests at @every 1m)",
			"metrics.detail: basic would make it 11 metrics ≈ $3.74/month",
		}},
		{"basic: one line", costSettings(func(s *configs.Settings) { s.Metrics.Detail = "basic" }), []string{
			"metrics: cloudwatch, up to 11 custom metrics (3 providers, 4 models, detail basic) ≈ $3.74/month",
		}},
		{"none", costSettings(func(s *configs.Settings) { s.Metrics.Sink = "none" }), []string{"metrics: sink none, no CloudWatch cost"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := WriteCostSummary(&buf, costConfig(), tc.s); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
			if len(lines) != len(tc.want) {
				t.Fatalf("%d lines, want %d:\n%s", len(lines), len(tc.want), buf.String())
			}
			for i, w := range tc.want {
				if !strings.Contains(lines[i], w) {
					t.Errorf("line %d = %q\nwant it to contain %q", i, lines[i], w)
				}
			}
		})
	}
}
