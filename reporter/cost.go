package reporter

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/provwatch/provwatch/configs"
)

// CloudWatch list prices (us-east-1, standard tier) used for the estimate.
// A custom metric is billed per metric-month, prorated by the hour, and
// only for hours in which it receives data.
const (
	costPerMetricMonthFirst10k = 0.30
	costPerMetricMonthNext240k = 0.10
	costPerMetricMonthNext750k = 0.05
	costPerMetricMonthOver1M   = 0.02
	costPer1000Requests        = 0.01
	costHoursPerMonth          = 730 // AWS's billing month
)

// Per-entity metric counts (docs/reference.md §7).
const (
	fullPerProvider  = 3 // ProbeSuccess, ProbeLatency, RateLimitHeadroom
	fullPerModel     = 3 // ModelAvailable, ContextWindow, HealthState
	fullGlobal       = 2 // FailoverActive, OrderChanges
	basicPerProvider = 2 // ProbeSuccess, ProbeLatency
	basicPerModel    = 1 // HealthState
	basicGlobal      = 1 // FailoverActive
)

// CostEstimate is what EstimateCost works out for a config.
type CostEstimate struct {
	Sink          string  // cloudwatch, emf or none, as the estimate assumed
	Detail        string  // full or basic
	Providers     int     // providers probed
	Models        int     // model refs watched
	Metrics       int     // distinct custom metrics (name + dimensions), an upper bound
	DataPerCycle  int     // data one cycle publishes at most
	CyclesPerMon  float64 // schedule runs per 730-hour month
	RequestsPerMo float64 // PutMetricData requests per month (0 for emf)
	MetricsUSD    float64
	RequestsUSD   float64
}

// USD is the monthly total.
func (c CostEstimate) USD() float64 { return c.MetricsUSD + c.RequestsUSD }

// EstimateMetrics returns how many distinct CloudWatch custom metrics the
// configuration creates and roughly what they cost per month, requests
// included. The count is an upper bound: RateLimitHeadroom and
// ContextWindow are only sent for providers and models that report them.
func EstimateMetrics(oc *configs.OpenClaw, s configs.Settings) (count int, usdPerMonth float64) {
	e := EstimateCost(oc, s)
	return e.Metrics, e.USD()
}

// EstimateCost is EstimateMetrics with the workings shown.
func EstimateCost(oc *configs.OpenClaw, s configs.Settings) CostEstimate {
	e := CostEstimate{Sink: strings.ToLower(strings.TrimSpace(s.Metrics.Sink)), Detail: "full"}
	if isBasic(s.Metrics) {
		e.Detail = "basic"
	}
	switch e.Sink {
	case "none", "emf", "cloudwatch":
	default:
		// auto publishes to CloudWatch whenever a region is configured,
		// which validate cannot know; assume the costly case.
		e.Sink = "cloudwatch"
	}
	if e.Sink == "none" {
		return e
	}

	providers, models := costWatchedCounts(oc, s)
	e.Providers, e.Models = providers, models
	perProvider, perModel, global := fullPerProvider, fullPerModel, fullGlobal
	if e.Detail == "basic" {
		perProvider, perModel, global = basicPerProvider, basicPerModel, basicGlobal
	}
	e.Metrics = providers*perProvider + models*perModel + global
	e.DataPerCycle = e.Metrics // one datum per metric per cycle
	e.MetricsUSD = costMetricMonths(e.Metrics)

	e.CyclesPerMon = costCyclesPerMonth(s.Schedule)
	if e.Sink == "cloudwatch" {
		putsPerCycle := math.Ceil(float64(e.DataPerCycle) / cwMaxDataPerPut)
		e.RequestsPerMo = putsPerCycle * e.CyclesPerMon
		e.RequestsUSD = e.RequestsPerMo / 1000 * costPer1000Requests
	}
	return e
}

// costWatchedCounts counts the providers that get probed (every configured one
// whose probe mode is not off) and the watched model refs among them.
func costWatchedCounts(oc *configs.OpenClaw, s configs.Settings) (providers, models int) {
	if oc == nil {
		return 0, 0
	}
	// probed[id] is whether the provider's probe runs (mode not off).
	probed := map[string]bool{}
	for _, p := range oc.Providers {
		probed[p.ID] = s.ProbeMode(p.ID).Mode != configs.ModeOff
	}
	for _, ref := range oc.WatchedRefs() {
		r, err := configs.ParseRef(ref)
		if err != nil {
			continue
		}
		if _, known := probed[r.Provider]; !known {
			// The loader lists every provider a ref names; be safe anyway.
			probed[r.Provider] = s.ProbeMode(r.Provider).Mode != configs.ModeOff
		}
		if probed[r.Provider] {
			models++
		}
	}
	for _, on := range probed {
		if on {
			providers++
		}
	}
	return providers, models
}

// costMetricMonths applies CloudWatch's volume tiers.
func costMetricMonths(n int) float64 {
	tiers := []struct {
		upTo  int
		price float64
	}{
		{10_000, costPerMetricMonthFirst10k},
		{250_000, costPerMetricMonthNext240k},
		{1_000_000, costPerMetricMonthNext750k},
		{math.MaxInt, costPerMetricMonthOver1M},
	}
	usd, prev := 0.0, 0
	for _, t := range tiers {
		if n <= prev {
			break
		}
		usd += float64(min(n, t.upTo)-prev) * t.price
		prev = t.upTo
	}
	return usd
}

// costCyclesPerMonth counts the schedule's runs in a 730-hour month. An
// unparsable schedule (validate reports it separately) counts as the
// default one minute.
func costCyclesPerMonth(schedule string) float64 {
	const fallback = float64(costHoursPerMonth * 60)
	if strings.TrimSpace(schedule) == "" {
		return fallback
	}
	sched, err := cron.ParseStandard(schedule)
	if err != nil {
		return fallback
	}
	if every, ok := sched.(cron.ConstantDelaySchedule); ok {
		return float64(costHoursPerMonth*time.Hour) / float64(every.Delay)
	}
	// Walk a fixed month so the answer does not depend on today.
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	end := start.Add(costHoursPerMonth * time.Hour)
	n := 0
	for t := sched.Next(start.Add(-time.Nanosecond)); !t.IsZero() && t.Before(end); t = sched.Next(t) {
		n++
		if n > 10_000_000 { // cron's finest grain is a second; a month has 2.6M
			break
		}
	}
	return float64(n)
}

// WriteCostSummary writes one or two lines for `provwatch validate`: the
// metrics the config creates and their rough monthly cost, and what
// `metrics.detail: basic` would change.
func WriteCostSummary(w io.Writer, oc *configs.OpenClaw, s configs.Settings) error {
	e := EstimateCost(oc, s)
	var b strings.Builder
	switch e.Sink {
	case "none":
		b.WriteString("metrics: sink none, no CloudWatch cost\n")
	case "emf":
		fmt.Fprintf(&b, "metrics: emf, up to %d custom metrics (%d providers, %d models, detail %s) ≈ $%.2f/month, plus CloudWatch Logs ingestion of the EMF lines\n",
			e.Metrics, e.Providers, e.Models, e.Detail, e.USD())
	default:
		fmt.Fprintf(&b, "metrics: cloudwatch, up to %d custom metrics (%d providers, %d models, detail %s) ≈ $%.2f/month ($%.2f metrics + $%.2f for %.0f PutMetricData requests at %s)\n",
			e.Metrics, e.Providers, e.Models, e.Detail, e.USD(), e.MetricsUSD, e.RequestsUSD, e.RequestsPerMo, costScheduleText(s.Schedule))
	}
	if e.Sink != "none" && e.Detail == "full" {
		bs := s
		bs.Metrics.Detail = "basic"
		be := EstimateCost(oc, bs)
		fmt.Fprintf(&b, "         metrics.detail: basic would make it %d metrics ≈ $%.2f/month\n", be.Metrics, be.USD())
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func costScheduleText(s string) string {
	if strings.TrimSpace(s) == "" {
		return "@every 1m"
	}
	return s
}
