package reporter

import (
	"bytes"
	"cmp"
	"embed"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/internal/redact"
	"github.com/provwatch/provwatch/probes"
	"github.com/provwatch/provwatch/remediate"
)

//go:embed statuspage.html.tmpl
var statusPageFS embed.FS

// statusPageTemplate is parsed once; a broken template fails every test,
// not a page view in production.
var statusPageTemplate = template.Must(template.New("statuspage.html.tmpl").ParseFS(statusPageFS, "statuspage.html.tmpl"))

// StatusPageRefresh is how often the page reloads itself, in seconds.
const StatusPageRefresh = 5

// statusPageCSP allows the inline style and nothing else: the page has no
// script, no external asset and no form, so an injected tag could do nothing.
const statusPageCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// StatusPage serves GET / : a page for people showing the last cycle's
// states, reasons and hints, latency history, configured versus effective
// order and recent changes. last returns the latest finished cycle's
// report, or nil before the first; h may be nil. The page shows only what
// the Report and History carry, HTML-escaped.
func StatusPage(h *History, last func() *Report) http.Handler {
	return &statusPageHandler{history: h, last: last, now: time.Now}
}

type statusPageHandler struct {
	history *History
	last    func() *Report
	now     func() time.Time // injected so tests render ages without the wall clock
}

func (s *statusPageHandler) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.URL.Path != "/" {
		http.NotFound(w, req)
		return
	}
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "status page: only GET and HEAD are served", http.StatusMethodNotAllowed)
		return
	}
	var r *Report
	if s.last != nil {
		r = s.last()
	}
	var snap HistorySnapshot
	if s.history != nil {
		snap = s.history.Snapshot()
	}
	var buf bytes.Buffer
	if err := statusPageTemplate.Execute(&buf, buildPageView(r, snap, s.now())); err != nil {
		http.Error(w, "status page: rendering failed; the JSON report at /status still works", http.StatusInternalServerError)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Content-Security-Policy", statusPageCSP)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("Content-Length", strconv.Itoa(buf.Len()))
	if req.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(buf.Bytes())
}

// pageView is everything the template shows, already formatted.
type pageView struct {
	Refresh   int
	HasReport bool
	Title     string
	Updated   string
	Age       string
	Overall   string // worst state word, for the banner colour
	Headline  string
	Healthy   int
	Degraded  int
	Down      int
	Failover  string // "" or a sentence naming the demoted and the acting primary

	Configured     []pageChainItem
	Effective      []pageChainItem
	EffectiveLabel string
	OrderNote      string
	OrderChanged   bool

	Agents []pageAgent

	Providers []pageProvider
	Events    []pageEvent
	Cycles    int
}

// pageAgent is one per-agent chain, compactly: the chain OpenClaw tries
// now, and the configured one only when health moved it.
type pageAgent struct {
	Name       string
	Path       string
	Effective  string
	Configured string // "" when the effective chain is the configured one
	Primary    string // state word of the effective primary
	Written    bool
}

type pageChainItem struct {
	Pos     int
	Ref     string
	State   string // state word, "unknown" when no provider reported the ref
	Primary bool
	Demoted bool // the configured primary is not the effective primary
	Moved   string
}

type pageProvider struct {
	ID        string
	API       string
	BaseURL   string
	Worst     string
	ProbeOK   bool
	Probe     string
	Error     string
	RateLimit string
	Spark     *pageSparkline
	Models    []pageModel
}

type pageModel struct {
	Ref      string
	State    string
	Reason   string
	Detail   string
	Hint     string
	Served   string
	Trained  string
	Declared string
	Short    bool // served context below what the config declares
	Since    string
	Pending  string // what the latest probe saw, when it awaits confirmation
}

type pageEvent struct {
	Time   string
	Kind   string
	Ref    string
	From   string
	To     string
	Reason string
	Detail string
}

// newPageEvent shows an event: a state change with its reason and detail,
// an order with the chains before and after and its one-line why (an
// agent's chain names its config path).
func newPageEvent(e remediate.Event) pageEvent {
	pe := pageEvent{Time: e.Time.UTC().Format("Jan 02 15:04:05"), Kind: string(e.Kind)}
	switch e.Kind {
	case remediate.EventState:
		pe.Ref, pe.From, pe.To, pe.Reason, pe.Detail = e.Ref, e.From.String(), e.To.String(), string(e.Reason), e.Detail
	default:
		pe.From, pe.To, pe.Reason = e.Before.Text(), e.After.Text(), e.Why
		if e.Chain != configs.DefaultsChain {
			pe.Ref = e.Path
		}
	}
	return pe
}

func buildPageView(r *Report, snap HistorySnapshot, now time.Time) pageView {
	v := pageView{Refresh: StatusPageRefresh, Cycles: snap.Cycles, Title: "provwatch", Overall: "unknown"}
	for i := len(snap.Events) - 1; i >= 0; i-- { // newest first
		v.Events = append(v.Events, newPageEvent(snap.Events[i]))
	}
	if r == nil {
		v.Headline = "No cycle has finished yet"
		return v
	}
	v.HasReport = true
	v.Updated = r.Time.UTC().Format("2006-01-02 15:04:05 UTC")
	v.Age = pageAge(now.Sub(r.Time))
	v.Healthy, v.Degraded, v.Down = r.Healthy, r.Degraded, r.Down

	states := map[string]probes.State{}
	worst := probes.Healthy
	for _, p := range r.Providers {
		for _, m := range p.Models {
			states[m.Ref] = m.State
			if m.State != probes.Unknown {
				worst = max(worst, m.State)
			}
		}
	}
	if len(states) > 0 {
		v.Overall = worst.String()
	}
	v.Headline = pageHeadline(r)
	v.Title = v.Headline + " · provwatch"

	v.Configured, v.Effective = pageChains(r.Order, states)
	o := r.Order
	if o.Effective.Primary != "" && o.Configured.Primary != "" && o.Effective.Primary != o.Configured.Primary {
		v.Failover = fmt.Sprintf("Failover active: %s is primary instead of %s.", o.Effective.Primary, o.Configured.Primary)
	}
	v.OrderChanged = o.Changed
	v.EffectiveLabel = "Effective now"
	switch {
	case !o.Changed:
		v.OrderNote = "same as the target holds"
	case o.Written:
		v.OrderNote = "rewritten this cycle"
	default:
		v.OrderNote = "differs from the target, not written (dry run or no target)"
	}

	for _, a := range r.Agents {
		pa := pageAgent{Name: a.Name, Path: a.Path, Effective: pageChainString(a.Effective),
			Primary: "unknown", Written: a.Written}
		if st, ok := states[a.Effective.Primary]; ok {
			pa.Primary = st.String()
		}
		if !a.Effective.Equal(a.Configured) {
			pa.Configured = pageChainString(a.Configured)
		}
		v.Agents = append(v.Agents, pa)
	}

	series := map[string][]LatencyPoint{}
	for _, s := range snap.Providers {
		series[s.ID] = s.Points
	}
	for _, p := range r.Providers {
		v.Providers = append(v.Providers, pageProviderOf(p, series[p.ID], now))
	}
	// Worst first: what is down is what the operator came for.
	slices.SortStableFunc(v.Providers, func(a, b pageProvider) int {
		return cmp.Compare(pageStateRank(b.Worst), pageStateRank(a.Worst))
	})
	return v
}

func pageHeadline(r *Report) string {
	total := r.Healthy + r.Degraded + r.Down
	switch {
	case total == 0:
		return "No model refs watched"
	case r.Healthy == 0:
		return fmt.Sprintf("No model healthy (%d down, %d degraded)", r.Down, r.Degraded)
	case r.Down > 0 && r.Degraded > 0:
		return fmt.Sprintf("%d down, %d degraded", r.Down, r.Degraded)
	case r.Down > 0:
		return fmt.Sprintf("%d down", r.Down)
	case r.Degraded > 0:
		return fmt.Sprintf("%d degraded", r.Degraded)
	}
	return fmt.Sprintf("All %d healthy", total)
}

func pageStateRank(word string) int {
	switch word {
	case "healthy":
		return 0
	case "degraded":
		return 1
	case "down":
		return 2
	}
	return -1
}

func pageChains(o OrderReport, states map[string]probes.State) (configured, effective []pageChainItem) {
	stateOf := func(ref string) string {
		if s, ok := states[ref]; ok {
			return s.String()
		}
		return "unknown"
	}
	refs := func(ord configs.Order) []string {
		out := []string{}
		if ord.Primary != "" {
			out = append(out, ord.Primary)
		}
		return append(out, ord.Fallbacks...)
	}
	conf, eff := refs(o.Configured), refs(o.Effective)
	confPos := map[string]int{}
	for i, ref := range conf {
		confPos[ref] = i
		configured = append(configured, pageChainItem{
			Pos: i + 1, Ref: ref, State: stateOf(ref), Primary: i == 0,
			Demoted: i == 0 && len(eff) > 0 && eff[0] != ref,
		})
	}
	for i, ref := range eff {
		item := pageChainItem{Pos: i + 1, Ref: ref, State: stateOf(ref), Primary: i == 0}
		// Only what was pushed down is tagged: the rest moved up as a
		// consequence, and tagging it too would bury the cause.
		if was, ok := confPos[ref]; ok && was < i {
			item.Moved = fmt.Sprintf("down from #%d", was+1)
		}
		effective = append(effective, item)
	}
	return configured, effective
}

func pageProviderOf(p ProviderReport, points []LatencyPoint, now time.Time) pageProvider {
	pp := pageProvider{
		ID: p.ID, API: p.API, BaseURL: redact.URL(p.BaseURL),
		ProbeOK: p.Probe.OK, Error: p.Probe.Error,
		RateLimit: formatRateLimit(p.RateLimit), Worst: "unknown",
		Spark: newPageSparkline(points),
	}
	var parts []string
	if p.Probe.StatusCode != 0 {
		parts = append(parts, "HTTP "+strconv.Itoa(p.Probe.StatusCode))
	}
	if l := formatLatency(p.Probe.LatencyMS); l != "-" {
		parts = append(parts, l)
	}
	pp.Probe = strings.Join(parts, " · ")
	worst := -1
	for _, m := range p.Models {
		worst = max(worst, pageStateRank(m.State.String()))
		pm := pageModel{
			Ref: m.Ref, State: m.State.String(), Reason: string(m.Reason), Detail: m.Detail, Hint: m.Hint,
			Served: pageTokens(m.ContextWindow), Trained: pageTokens(m.TrainedContextWindow),
			Declared: pageTokens(m.ConfiguredContextWindow),
			Short:    m.ContextWindow != nil && m.ConfiguredContextWindow != nil && *m.ContextWindow < *m.ConfiguredContextWindow,
		}
		if m.Since != nil {
			pm.Since = pageAge(now.Sub(*m.Since))
		}
		if m.Pending {
			pm.Pending = pagePendingNote(m)
		}
		pp.Models = append(pp.Models, pm)
	}
	if worst >= 0 {
		pp.Worst = probes.State(worst).String()
	}
	return pp
}

// pagePendingNote is the note beside a state the latest probe disagrees
// with: the state shown stays the confirmed one until hysteresis agrees.
func pagePendingNote(m ModelReport) string {
	if m.HeldUntil != nil {
		return "observed " + m.Observed.String() + ", restore held until " + m.HeldUntil.UTC().Format("15:04 UTC")
	}
	return "observed " + m.Observed.String() + ", confirming"
}

// pageChainString shows an order as the sequence OpenClaw tries it in.
func pageChainString(o configs.Order) string {
	return strings.ReplaceAll(o.Text(), " -> ", " → ")
}

// pageTokens formats a token count with thousands separators, "—" when unknown.
func pageTokens(n *int) string {
	if n == nil {
		return "—"
	}
	s := strconv.Itoa(*n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// pageAge says how long ago, coarsely: the page refreshes every few seconds.
func pageAge(d time.Duration) string {
	switch {
	case d < 0:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		if m := int(d.Minutes()) % 60; m != 0 {
			return fmt.Sprintf("%dh %dm", int(d.Hours()), m)
		}
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// pageSparkline is a provider's latency history laid out for inline SVG.
type pageSparkline struct {
	W, H        int    // plot area
	Points      string // polyline "x,y x,y"
	Area        string // polygon closing the line to the baseline
	Max, Min    string // axis labels
	From, To    string // time labels
	Fails       []pageXY
	Last        pageXY
	LastOK      bool
	N           int
	Single      bool
	Summary     string // text alternative
	LabelX      int    // where the min/max labels start
	BaseY, TopY int    // the plot's bottom and top lines
	TimeY       int    // baseline of the time labels
	SVGW, SVGH  int    // the whole drawing, labels included
}

type pageXY struct{ X, Y string }

// newPageSparkline scales points into a W×H box; nil when there are none.
func newPageSparkline(points []LatencyPoint) *pageSparkline {
	if len(points) == 0 {
		return nil
	}
	const w, h, top = 280, 56, 8
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range points {
		lo, hi = min(lo, p.LatencyMS), max(hi, p.LatencyMS)
	}
	s := &pageSparkline{
		W: w, H: h, N: len(points), Single: len(points) == 1,
		Max: formatLatency(hi), Min: formatLatency(lo),
		From: points[0].Time.UTC().Format("15:04"), To: points[len(points)-1].Time.UTC().Format("15:04"),
		LabelX: w + 8, TopY: top, BaseY: top + h, TimeY: top + h + 18,
		SVGW: w + 112, SVGH: top + h + 22,
	}
	xy := func(i int, ms float64) pageXY {
		x := float64(w) / 2
		if len(points) > 1 {
			x = float64(i) * float64(w) / float64(len(points)-1)
		}
		y := float64(top) + float64(h)/2
		if hi > lo {
			y = float64(top) + (hi-ms)/(hi-lo)*float64(h)
		}
		return pageXY{strconv.FormatFloat(x, 'f', 1, 64), strconv.FormatFloat(y, 'f', 1, 64)}
	}
	var line []string
	for i, p := range points {
		pt := xy(i, p.LatencyMS)
		line = append(line, pt.X+","+pt.Y)
		if !p.OK {
			s.Fails = append(s.Fails, pt)
		}
	}
	s.Points = strings.Join(line, " ")
	first, last := xy(0, points[0].LatencyMS), xy(len(points)-1, points[len(points)-1].LatencyMS)
	base := strconv.Itoa(top + h)
	s.Area = first.X + "," + base + " " + s.Points + " " + last.X + "," + base
	s.Last, s.LastOK = last, points[len(points)-1].OK
	s.Summary = fmt.Sprintf("Probe latency, %d probes from %s to %s UTC: min %s, max %s, last %s; %d failed.",
		len(points), s.From, s.To, s.Min, s.Max, formatLatency(points[len(points)-1].LatencyMS), len(s.Fails))
	return s
}
