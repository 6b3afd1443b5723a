package configs

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/provwatch/provwatch/internal/redact"
)

// WriteSummary prints what `provwatch validate` shows: the resolved
// providers (never a key or header value: only whether a key is set), their
// models, every chain in order, and the settings that decide what happens.
func WriteSummary(w io.Writer, oc *OpenClaw, s Settings) error {
	ew := &errWriter{w: w}
	src := "none found (watching built-in providers whose key is set, and a local Ollama)"
	if oc != nil && oc.Path != "" {
		src = oc.Path
	}
	ew.printf("OpenClaw config: %s\n", src)
	settingsSrc := "defaults and PROVWATCH_* variables"
	if s.Path != "" {
		settingsSrc = s.Path + " (+ PROVWATCH_* variables)"
	}
	ew.printf("Settings:        %s\n\n", settingsSrc)

	var provs []*Provider
	var chains []Chain
	if oc != nil {
		provs, chains = oc.Providers, oc.Chains
	}
	ew.printf("Providers (%d)\n", len(provs))
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  ID\tFLAVOUR\tBASE URL\tKEY\tDEFINED IN")
	for _, p := range provs {
		base := redact.URL(p.BaseURL)
		if base == "" {
			base = "(none)"
		}
		flavour := string(p.Flavour)
		if p.Unprobed != "" {
			flavour = "unprobed" // no probe would run: the flavour is a guess (reason in --json)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", p.ID, flavour, base, keyState(p), p.Source)
	}
	tw.Flush()

	ew.printf("\nModels\n")
	tw = tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  REF\tCONTEXT WINDOW\tMAX TOKENS")
	n := 0
	for _, p := range provs {
		for _, m := range p.Models {
			fmt.Fprintf(tw, "  %s/%s\t%s\t%s\n", p.ID, m.ID, intOrDash(m.ContextWindow), intOrDash(m.MaxTokens))
			n++
		}
	}
	if n == 0 {
		fmt.Fprintln(tw, "  (no models declared)\t\t")
	}
	tw.Flush()

	ew.printf("\nChains (%d)\n", len(chains))
	if len(chains) == 0 {
		ew.printf("  (none: agents.defaults.model is not set)\n")
	}
	for _, c := range chains {
		where := c.Path
		if oc != nil && c.File != "" && c.File != oc.Path {
			where += fmt.Sprintf(", written in %s:%d", c.File, c.Line)
		}
		ew.printf("  %s (%s)\n", c.Name, where)
		if c.Fixed {
			ew.printf("    never moved: this agent's model lists no fallbacks of its own\n")
		}
		for i, ref := range c.Refs() {
			role := "fallback " + strconv.Itoa(i)
			if i == 0 {
				role = "primary"
			}
			ew.printf("    %-11s %s\n", role, ref)
		}
	}

	ew.printf("\nSettings\n")
	tw = tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  schedule\t%s\n", s.Schedule)
	fmt.Fprintf(tw, "  timeout\t%s\n", s.Timeout)
	fmt.Fprintf(tw, "  health\tfail_after %d, recover_after %d, hold %s..%s\n", s.Health.FailAfter, s.Health.RecoverAfter, s.Health.MinHold, s.Health.MaxHold)
	fmt.Fprintf(tw, "  remediation.target\t%s\n", s.Remediation.Target)
	fmt.Fprintf(tw, "  remediation.drop_down\t%t\n", s.Remediation.DropDown)
	fmt.Fprintf(tw, "  state\t%s\n", s.State)
	fmt.Fprintf(tw, "  metrics.sink\t%s (%s, detail %s)\n", s.Metrics.Sink, s.Metrics.Namespace, s.Metrics.Detail)
	fmt.Fprintf(tw, "  notify\t%s\n", NotifySummary(s.Notify))
	tw.Flush()
	return ew.err
}

func keyState(p *Provider) string {
	if p.APIKey != "" {
		if p.KeyEnv != "" {
			return "set (" + p.KeyEnv + ")"
		}
		return "set"
	}
	if p.KeySource != "" {
		return "from a " + p.KeySource + " secret (only the gateway can read it)"
	}
	if redact.HasCredentials(p.BaseURL) {
		return "in baseUrl"
	}
	if p.KeyEnv != "" {
		return "missing (set " + p.KeyEnv + ")"
	}
	if p.Flavour == FlavourOllama || isLocal(p.BaseURL) {
		return "none needed"
	}
	return "none"
}

func isLocal(u string) bool {
	return strings.Contains(u, "://127.0.0.1") || strings.Contains(u, "://localhost") || strings.Contains(u, "://[::1]")
}

func intOrDash(v *int) string {
	if v == nil {
		return "-"
	}
	return strconv.Itoa(*v)
}

// errWriter keeps the first write error so the printing code stays flat.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) { fmt.Fprintf(e, format, args...) }

// Summary is `provwatch validate --json`: what provwatch resolved, for
// scripts. Field names are stable (docs/output.md).
type Summary struct {
	Valid          bool              `json:"valid"`
	OpenClawConfig *string           `json:"openclaw_config"`
	SettingsFile   *string           `json:"settings_file"`
	Providers      []SummaryProvider `json:"providers"`
	Chains         []SummaryChain    `json:"chains"`
	Warnings       []SummaryProblem  `json:"warnings"`
	// Error is why the configuration is invalid (with valid false).
	Error *SummaryProblem `json:"error,omitempty"`
}

// SummaryProvider is one resolved provider. Never a key: only its state.
type SummaryProvider struct {
	ID          string   `json:"id"`
	Flavour     Flavour  `json:"flavour"`
	BaseURL     string   `json:"base_url"`
	Key         string   `json:"key"`
	DefinedIn   string   `json:"defined_in"`
	SelfHosted  bool     `json:"self_hosted"`
	Probed      bool     `json:"probed"`
	Unprobed    string   `json:"unprobed,omitempty"`
	ConfigError string   `json:"config_error,omitempty"`
	Models      []string `json:"models"`
}

// SummaryChain is one watched chain.
type SummaryChain struct {
	Name      string   `json:"name"`
	Path      string   `json:"path"`
	Primary   string   `json:"primary"`
	Fallbacks []string `json:"fallbacks"`
	// Movable is false for an agent whose model lists no fallbacks of its
	// own: it is watched, never reordered.
	Movable bool   `json:"movable"`
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
}

// SummaryProblem is an error or a warning: where, what, what to do.
type SummaryProblem struct {
	File    string `json:"file,omitempty"`
	Path    string `json:"path,omitempty"`
	Line    int    `json:"line,omitempty"`
	Col     int    `json:"col,omitempty"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
}

// ProblemOf is an error as a SummaryProblem: positioned when it is a
// configuration *Error.
func ProblemOf(err error) SummaryProblem {
	var ce *Error
	if errors.As(err, &ce) {
		return SummaryProblem{File: ce.File, Path: ce.Path, Line: ce.Line, Col: ce.Col, Message: ce.Msg, Hint: ce.Hint}
	}
	return SummaryProblem{Message: err.Error()}
}

// Summarize is validate's --json view of a loaded configuration.
func Summarize(oc *OpenClaw, s Settings) Summary {
	sum := Summary{Valid: true, Providers: []SummaryProvider{}, Chains: []SummaryChain{}, Warnings: []SummaryProblem{}}
	if s.Path != "" {
		sum.SettingsFile = &s.Path
	}
	if oc == nil {
		return sum
	}
	if oc.Path != "" {
		sum.OpenClawConfig = &oc.Path
	}
	for _, p := range oc.Providers {
		sp := SummaryProvider{ID: p.ID, Flavour: p.Flavour, BaseURL: redact.URL(p.BaseURL), Key: keyState(p), DefinedIn: p.Source,
			SelfHosted: p.SelfHosted(), Probed: p.Unprobed == "" && p.ConfigError == "", Unprobed: p.Unprobed, ConfigError: p.ConfigError, Models: []string{}}
		for _, m := range p.Models {
			sp.Models = append(sp.Models, m.ID)
		}
		sum.Providers = append(sum.Providers, sp)
	}
	for _, c := range oc.Chains {
		sum.Chains = append(sum.Chains, SummaryChain{Name: c.Name, Path: c.Path, Primary: c.Primary, Fallbacks: append([]string{}, c.Fallbacks...),
			Movable: !c.Fixed, File: c.File, Line: c.Line})
	}
	for _, w := range oc.Warnings {
		sum.Warnings = append(sum.Warnings, SummaryProblem{File: w.File, Path: w.Path, Line: w.Line, Col: w.Col, Message: w.Msg, Hint: w.Hint})
	}
	return sum
}
