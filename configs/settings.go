package configs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"go.yaml.in/yaml/v3"
)

// setting is one settings key: its dotted path and how to store a value.
// Files and environment variables both go through set, so a value means the
// same wherever it comes from.
type setting struct {
	path string
	set  func(s *Settings, n *yaml.Node) error
}

// settingsKeys lists every key of docs/reference.md §2b. A key whose path is a prefix of
// others ("health") is a section; probes and metrics.dimensions are maps
// taken whole.
var settingsKeys = []setting{
	{"schedule", strSetter(func(s *Settings) *string { return &s.Schedule })},
	{"timeout", durSetter(func(s *Settings) *time.Duration { return &s.Timeout })},
	{"concurrency", intSetter(func(s *Settings) *int { return &s.Concurrency })},
	{"thresholds.latency", durSetter(func(s *Settings) *time.Duration { return &s.Thresholds.Latency })},
	{"thresholds.min_context_window", intSetter(func(s *Settings) *int { return &s.Thresholds.MinContextWindow })},
	{"thresholds.min_rate_limit_headroom", floatSetter(func(s *Settings) *float64 { return &s.Thresholds.MinRateLimitHeadroom })},
	{"health.fail_after", intSetter(func(s *Settings) *int { return &s.Health.FailAfter })},
	{"health.recover_after", intSetter(func(s *Settings) *int { return &s.Health.RecoverAfter })},
	{"health.recheck_interval", durSetter(func(s *Settings) *time.Duration { return &s.Health.RecheckInterval })},
	{"health.min_hold", durSetter(func(s *Settings) *time.Duration { return &s.Health.MinHold })},
	{"health.max_hold", durSetter(func(s *Settings) *time.Duration { return &s.Health.MaxHold })},
	{"liveness.every", durSetter(func(s *Settings) *time.Duration { return &s.Liveness.Every })},
	{"liveness.timeout", durSetter(func(s *Settings) *time.Duration { return &s.Liveness.Timeout })},
	{"probes", setProbes},
	{"metrics.sink", strSetter(func(s *Settings) *string { return &s.Metrics.Sink })},
	{"metrics.namespace", strSetter(func(s *Settings) *string { return &s.Metrics.Namespace })},
	{"metrics.dimensions", setDimensions},
	{"metrics.detail", strSetter(func(s *Settings) *string { return &s.Metrics.Detail })},
	{"metrics.cloudwatch.protocol", strSetter(func(s *Settings) *string { return &s.Metrics.CloudWatch.Protocol })},
	{"remediation.target", locSetter(func(s *Settings) *Location { return &s.Remediation.Target }, TargetSchemes)},
	{"remediation.drop_down", boolSetter(func(s *Settings) *bool { return &s.Remediation.DropDown })},
	{"state", locSetter(func(s *Settings) *Location { return &s.State }, StateSchemes)},
	{"http.listen", strSetter(func(s *Settings) *string { return &s.HTTP.Listen })},
	{"notify", setNotify},
}

// EnvName returns the environment variable that overrides a settings key:
// PROVWATCH_ + the upper-cased path joined by '_'.
func EnvName(path string) string {
	return "PROVWATCH_" + strings.ToUpper(strings.ReplaceAll(path, ".", "_"))
}

// SettingsKeys lists every settings key path, in documentation order.
func SettingsKeys() []string {
	out := make([]string, len(settingsKeys))
	for i, k := range settingsKeys {
		out[i] = k.path
	}
	return out
}

// origin says where a key's value came from, for validation messages.
type origin struct {
	file      string
	line, col int
}

type settingsLoader struct {
	s       Settings
	origins map[string]origin
	getenv  func(string) string // for ${VAR} in notify: values
}

func loadSettings(path string, getenv func(string) string) (Settings, error) {
	if getenv == nil {
		getenv = defaultGetenv
	}
	l := &settingsLoader{s: DefaultSettings(), origins: map[string]origin{}, getenv: getenv}
	if path != "" {
		data, err := readConfigFile(context.Background(), path, true)
		if err != nil {
			msg := readErrorMsg("the settings file", err)
			if errors.Is(err, fs.ErrNotExist) {
				msg = "the settings file does not exist"
			}
			return Settings{}, &Error{File: path, Msg: msg, Hint: "check --config or PROVWATCH_CONFIG", Err: err}
		}
		if err := l.file(path, data); err != nil {
			return Settings{}, err
		}
		l.s.Path = path
	}
	if err := l.env(getenv); err != nil {
		return Settings{}, err
	}
	if err := l.validate(); err != nil {
		return Settings{}, err
	}
	return l.s, nil
}

func (l *settingsLoader) file(path string, data []byte) error {
	var docNode yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&docNode); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // an empty file: defaults
		}
		return yamlSyntaxErr(path, err)
	}
	// A second document would be ignored: say so rather than drop its keys.
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		line, col := next.Line, next.Column
		if len(next.Content) > 0 {
			line, col = next.Content[0].Line, next.Content[0].Column
		}
		return &Error{File: path, Line: line, Col: col, Msg: "a second YAML document (after ---): provwatch reads one", Hint: "merge the documents into one"}
	} else if !errors.Is(err, io.EOF) {
		return yamlSyntaxErr(path, err)
	}
	if err := duplicateKeys(path, &docNode, ""); err != nil {
		return err
	}
	if len(docNode.Content) == 0 {
		return nil
	}
	root := docNode.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil
	}
	if root.Kind != yaml.MappingNode {
		return &Error{File: path, Line: root.Line, Col: root.Column, Msg: "the settings must be a mapping of keys (schedule: ..., health: ...)"}
	}
	return l.mapping(path, root, "")
}

// yamlSyntaxErr turns yaml's "yaml: line N: msg" into a positioned *Error.
func yamlSyntaxErr(path string, err error) *Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if i := strings.Index(rest, ": "); i > 0 {
			if n, convErr := strconv.Atoi(rest[:i]); convErr == nil {
				line, msg = n, rest[i+2:]
			}
		}
	}
	return &Error{File: path, Line: line, Msg: "invalid YAML: " + msg, Err: err}
}

func (l *settingsLoader) mapping(file string, m *yaml.Node, prefix string) error {
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		full := joinPath(prefix, k.Value)
		if k.Kind != yaml.ScalarNode {
			return &Error{File: file, Path: prefix, Line: k.Line, Col: k.Column, Msg: "keys must be plain names"}
		}
		if key := findSetting(full); key != nil {
			if err := key.set(&l.s, v); err != nil {
				var ke *keyError
				if errors.As(err, &ke) {
					return &Error{File: file, Path: ke.path, Line: ke.line, Col: ke.col, Msg: ke.msg, Hint: ke.hint}
				}
				return &Error{File: file, Path: full, Line: v.Line, Col: v.Column, Msg: err.Error()}
			}
			l.origins[full] = origin{file: file, line: v.Line, col: v.Column}
			continue
		}
		if isSection(full) {
			if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
				continue // "health:" with nothing under it
			}
			if v.Kind != yaml.MappingNode {
				return &Error{File: file, Path: full, Line: v.Line, Col: v.Column, Msg: "must be a mapping (" + strings.Join(childKeys(full), ", ") + ")"}
			}
			if err := l.mapping(file, v, full); err != nil {
				return err
			}
			continue
		}
		return &Error{File: file, Path: full, Line: k.Line, Col: k.Column, Msg: fmt.Sprintf("unknown key %q", k.Value), Hint: suggest(k.Value, childKeys(prefix))}
	}
	return nil
}

// duplicateKeys refuses a key written twice in one mapping, anywhere in
// the document: YAML keeps one of them silently, so a setting would be lost
// without a word (Prometheus refuses duplicates the same way).
func duplicateKeys(file string, n *yaml.Node, prefix string) error {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			if err := duplicateKeys(file, c, prefix); err != nil {
				return err
			}
		}
	case yaml.MappingNode:
		seen := map[string]*yaml.Node{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			full := joinPath(prefix, k.Value)
			if first, dup := seen[k.Value]; dup {
				return &Error{File: file, Path: full, Line: k.Line, Col: k.Column,
					Msg:  fmt.Sprintf("duplicate key %q (first at line %d)", k.Value, first.Line),
					Hint: "remove one of them: YAML keeps only one"}
			}
			seen[k.Value] = k
			if err := duplicateKeys(file, v, full); err != nil {
				return err
			}
		}
	}
	return nil
}

func findSetting(path string) *setting {
	for i := range settingsKeys {
		if settingsKeys[i].path == path {
			return &settingsKeys[i]
		}
	}
	return nil
}

func isSection(path string) bool {
	for _, k := range settingsKeys {
		if strings.HasPrefix(k.path, path+".") {
			return true
		}
	}
	return false
}

// childKeys lists the key names directly under a section ("" = top level).
func childKeys(section string) []string {
	seen := map[string]bool{}
	var out []string
	for _, k := range settingsKeys {
		rest := k.path
		if section != "" {
			var ok bool
			if rest, ok = strings.CutPrefix(k.path, section+"."); !ok {
				continue
			}
		}
		name, _, _ := strings.Cut(rest, ".")
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out
}

// suggest names the valid key nearest to a misspelt one.
func suggest(got string, valid []string) string {
	best, bestD := "", -1
	for _, v := range valid {
		if d := editDistance(strings.ToLower(got), v); bestD < 0 || d < bestD {
			best, bestD = v, d
		}
	}
	if best != "" && bestD <= len(best)/2+1 {
		return fmt.Sprintf("did you mean %q?", best)
	}
	return "valid keys here: " + strings.Join(valid, ", ")
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// env applies PROVWATCH_* overrides. Scalars are taken as written; the map
// keys (probes, metrics.dimensions) and the notify list take inline YAML or
// JSON, which replaces the file's value whole.
func (l *settingsLoader) env(getenv func(string) string) error {
	for _, k := range settingsKeys {
		name := EnvName(k.path)
		raw := getenv(name)
		if raw == "" {
			continue
		}
		n := &yaml.Node{Kind: yaml.ScalarNode, Value: raw}
		if k.path == "probes" || k.path == "metrics.dimensions" || k.path == "notify" {
			var d yaml.Node
			if err := yaml.Unmarshal([]byte(raw), &d); err != nil {
				e := yamlSyntaxErr(name, err)
				e.Path, e.Line, e.Col = k.path, 0, 0
				e.Hint = "write inline YAML or JSON, e.g. {Deployment: prod}"
				if k.path == "notify" {
					// The value holds secrets: say where, never what.
					e.Msg, e.Err = "invalid YAML (the value is not shown: it may hold secrets)", nil
					e.Hint = `write a YAML or JSON list, e.g. [{slack: {url: "${SLACK_WEBHOOK_URL}"}}]`
				}
				return e
			}
			if len(d.Content) > 0 {
				n = d.Content[0]
			}
		}
		if err := k.set(&l.s, n); err != nil {
			var ke *keyError
			if errors.As(err, &ke) {
				return &Error{File: name, Path: ke.path, Msg: ke.msg, Hint: ke.hint}
			}
			return &Error{File: name, Path: k.path, Msg: err.Error()}
		}
		if k.path == "notify" {
			// Positions inside a variable's value would read as lines of
			// the settings file.
			for i := range l.s.Notify {
				l.s.Notify[i].line, l.s.Notify[i].col = 0, 0
			}
		}
		l.origins[k.path] = origin{file: name}
	}
	return nil
}

func scalar(n *yaml.Node, what string) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("must be %s, got a %s", what, kindName(n))
	}
	return n.Value, nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.AliasNode:
		return "alias"
	}
	return "value"
}

// locSetter parses a place (remediation.target, state) once, here, so a
// bad value is an error at its line in the file or in its variable.
func locSetter(field func(*Settings) *Location, schemes []Scheme) func(*Settings, *yaml.Node) error {
	return func(s *Settings, n *yaml.Node) error {
		v, err := scalar(n, "a string")
		if err != nil {
			return err
		}
		loc, err := ParseLocation(v, schemes...)
		if err != nil {
			return err
		}
		*field(s) = loc
		return nil
	}
}

func strSetter(field func(*Settings) *string) func(*Settings, *yaml.Node) error {
	return func(s *Settings, n *yaml.Node) error {
		v, err := scalar(n, "a string")
		if err != nil {
			return err
		}
		*field(s) = v
		return nil
	}
}

func intSetter(field func(*Settings) *int) func(*Settings, *yaml.Node) error {
	return func(s *Settings, n *yaml.Node) error {
		v, err := scalar(n, "a whole number")
		if err != nil {
			return err
		}
		i, err := strconv.Atoi(strings.ReplaceAll(v, "_", ""))
		if err != nil {
			return fmt.Errorf("must be a whole number, got %q", v)
		}
		*field(s) = i
		return nil
	}
}

func floatSetter(field func(*Settings) *float64) func(*Settings, *yaml.Node) error {
	return func(s *Settings, n *yaml.Node) error {
		v, err := scalar(n, "a number")
		if err != nil {
			return err
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Errorf("must be a number, got %q", v)
		}
		*field(s) = f
		return nil
	}
}

func boolSetter(field func(*Settings) *bool) func(*Settings, *yaml.Node) error {
	return func(s *Settings, n *yaml.Node) error {
		v, err := scalar(n, "true or false")
		if err != nil {
			return err
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("must be true or false, got %q", v)
		}
		*field(s) = b
		return nil
	}
}

func parseDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("must be a duration such as 10s, 5m or 1h, got %q", v)
	}
	return d, nil
}

func durSetter(field func(*Settings) *time.Duration) func(*Settings, *yaml.Node) error {
	return func(s *Settings, n *yaml.Node) error {
		v, err := scalar(n, "a duration")
		if err != nil {
			return err
		}
		d, err := parseDuration(v)
		if err != nil {
			return err
		}
		*field(s) = d
		return nil
	}
}

func setDimensions(s *Settings, n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && (n.Tag == "!!null" || n.Value == "") {
		s.Metrics.Dimensions = map[string]string{}
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("must be a mapping of dimension names to values, e.g. {Deployment: prod}")
	}
	dims := map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind != yaml.ScalarNode {
			return fmt.Errorf("dimension %q must have a plain value", k.Value)
		}
		dims[k.Value] = v.Value
	}
	s.Metrics.Dimensions = dims
	return nil
}

var probeKeys = []string{"mode", "generate_every"}

func setProbes(s *Settings, n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && (n.Tag == "!!null" || n.Value == "") {
		s.Probes = map[string]ProbeSettings{}
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("must be a mapping of provider ids to {mode: list|generate|off}")
	}
	probes := map[string]ProbeSettings{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		id := strings.ToLower(k.Value)
		if v.Kind != yaml.MappingNode {
			return fmt.Errorf("probes.%s must be a mapping such as {mode: generate}", id)
		}
		var ps ProbeSettings
		for j := 0; j+1 < len(v.Content); j += 2 {
			pk, pv := v.Content[j], v.Content[j+1]
			switch pk.Value {
			case "mode":
				if pv.Kind != yaml.ScalarNode {
					return fmt.Errorf("probes.%s.mode must be list, generate or off", id)
				}
				ps.Mode = pv.Value
			case "generate_every":
				if pv.Kind != yaml.ScalarNode {
					return fmt.Errorf("probes.%s.generate_every must be a duration", id)
				}
				d, err := parseDuration(pv.Value)
				if err != nil {
					return fmt.Errorf("probes.%s.generate_every %w", id, err)
				}
				ps.GenerateEvery = d
			default:
				return fmt.Errorf("probes.%s: unknown key %q (%s)", id, pk.Value, suggest(pk.Value, probeKeys))
			}
		}
		probes[id] = ps
	}
	s.Probes = probes
	return nil
}

// cronParser accepts what docs/reference.md §2b documents: 5 fields or descriptors.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// errNeverFires is a cron spec that matches no time at all (February 30th).
var errNeverFires = errors.New("never fires")

// ParseSchedule parses a schedule as the daemon will. It refuses what the
// cron library would quietly bend: an @every interval that is negative,
// zero, under a second or not whole seconds (the library runs those every
// second, or rounds them), and a cron spec that never fires (the library
// would wait forever).
func ParseSchedule(spec string) (cron.Schedule, error) {
	if rest, ok := strings.CutPrefix(strings.TrimSpace(spec), "@every "); ok {
		d, err := time.ParseDuration(strings.TrimSpace(rest))
		if err == nil && (d < time.Second || d%time.Second != 0) {
			return nil, fmt.Errorf("the interval must be a whole number of seconds, at least 1s, got %s", d)
		}
	}
	sched, err := cronParser.Parse(spec)
	if err != nil {
		return nil, err
	}
	// The library gives up after five years of candidate times.
	if sched.Next(time.Now()).IsZero() {
		return nil, errNeverFires
	}
	return sched, nil
}

func (l *settingsLoader) fail(path, msg, hint string) *Error {
	return l.failAt(path, path, msg, hint)
}

// failAt reports a problem at path, positioned where key (the settings key
// that carried it, e.g. probes for probes.openai.mode) was set.
func (l *settingsLoader) failAt(key, path, msg, hint string) *Error {
	o, ok := l.origins[key]
	if !ok {
		o = origin{file: "defaults"}
	}
	return &Error{File: o.file, Path: path, Line: o.line, Col: o.col, Msg: msg, Hint: hint}
}

func (l *settingsLoader) validate() error {
	s := &l.s
	if _, err := ParseSchedule(s.Schedule); errors.Is(err, errNeverFires) {
		return l.fail("schedule", fmt.Sprintf("schedule %q never fires (no matching time in the next 5 years)", s.Schedule), "check the day and month fields")
	} else if err != nil {
		return l.fail("schedule", fmt.Sprintf("invalid schedule %q: %v", s.Schedule, err), `use 5 cron fields ("*/5 * * * *") or a descriptor ("@every 1m", "@hourly")`)
	}
	for _, d := range []struct {
		path string
		v    time.Duration
	}{
		{"timeout", s.Timeout}, {"thresholds.latency", s.Thresholds.Latency}, {"health.recheck_interval", s.Health.RecheckInterval},
		{"liveness.timeout", s.Liveness.Timeout},
	} {
		if d.v <= 0 {
			return l.fail(d.path, fmt.Sprintf("must be longer than 0, got %s", d.v), "")
		}
	}
	for _, d := range []struct {
		path, zero string
		v          time.Duration
	}{
		{"health.min_hold", "no hold", s.Health.MinHold}, {"health.max_hold", "no hold", s.Health.MaxHold},
		{"liveness.every", "no liveness checks", s.Liveness.Every},
	} {
		if d.v < 0 {
			return l.fail(d.path, fmt.Sprintf("must not be negative, got %s", d.v), "0s means "+d.zero)
		}
	}
	if s.Concurrency < 1 {
		return l.fail("concurrency", fmt.Sprintf("must be at least 1, got %d", s.Concurrency), "")
	}
	if s.Thresholds.MinContextWindow < 0 {
		return l.fail("thresholds.min_context_window", fmt.Sprintf("must be 0 or more, got %d", s.Thresholds.MinContextWindow), "")
	}
	if h := s.Thresholds.MinRateLimitHeadroom; !(h >= 0 && h <= 1) {
		return l.fail("thresholds.min_rate_limit_headroom", fmt.Sprintf("must be between 0 and 1, got %v", h), "0.10 means 10% of the limit left")
	}
	if s.Health.FailAfter < 1 {
		return l.fail("health.fail_after", fmt.Sprintf("must be at least 1, got %d", s.Health.FailAfter), "")
	}
	if s.Health.RecoverAfter < 1 {
		return l.fail("health.recover_after", fmt.Sprintf("must be at least 1, got %d", s.Health.RecoverAfter), "")
	}
	if s.Health.MinHold > s.Health.MaxHold {
		return l.fail("health.min_hold", fmt.Sprintf("min_hold %s is longer than max_hold %s", s.Health.MinHold, s.Health.MaxHold), "raise health.max_hold or lower health.min_hold")
	}
	ids := make([]string, 0, len(s.Probes))
	for id := range s.Probes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		ps := s.Probes[id]
		if ps.Mode != "" && ps.Mode != ModeList && ps.Mode != ModeGenerate && ps.Mode != ModeOff {
			return l.failAt("probes", "probes."+id+".mode", fmt.Sprintf("%q is not one of list, generate, off", ps.Mode), "")
		}
		if ps.GenerateEvery < 0 {
			return l.failAt("probes", "probes."+id+".generate_every", "must not be negative", "")
		}
	}
	if err := l.enum("metrics.sink", s.Metrics.Sink, "auto", "cloudwatch", "emf", "none"); err != nil {
		return err
	}
	if strings.TrimSpace(s.Metrics.Namespace) == "" {
		return l.fail("metrics.namespace", "must not be empty", "the default is OpenClaw/ProviderHealth")
	}
	if err := l.enum("metrics.detail", s.Metrics.Detail, "full", "basic"); err != nil {
		return err
	}
	if err := l.enum("metrics.cloudwatch.protocol", s.Metrics.CloudWatch.Protocol, "cbor", "json", "query"); err != nil {
		return err
	}
	if msg := checkListen(s.HTTP.Listen); msg != "" {
		return l.fail("http.listen", msg, `e.g. ":9464" or "127.0.0.1:9464"`)
	}
	return l.validateNotify()
}

// checkListen validates a listen address without touching the network:
// host:port, the port a number from 0 to 65535 (or a service name), the
// host empty, an IP address or a well-formed host name. It returns "" when
// valid.
func checkListen(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Sprintf("%q is not a host:port address", addr)
	}
	if n, err := strconv.Atoi(port); err == nil {
		if n < 0 || n > 65535 {
			return fmt.Sprintf("%q: port %s is not a number from 0 to 65535", addr, port)
		}
	} else if _, err := net.LookupPort("tcp", port); err != nil {
		return fmt.Sprintf("%q: port %q is neither a number from 0 to 65535 nor a known service", addr, port)
	}
	if host == "" || net.ParseIP(host) != nil {
		return ""
	}
	if h, _, ok := strings.Cut(host, "%"); ok && net.ParseIP(h) != nil {
		return "" // an IPv6 address with a zone
	}
	if !hostName(host) {
		return fmt.Sprintf("%q: %q is neither an IP address nor a host name", addr, host)
	}
	return ""
}

// hostName checks DNS name syntax: labels of letters, digits and inner
// hyphens, each at most 63 long, and a last label that is not all digits
// (which is what "999.1.1.1" would be).
func hostName(h string) bool {
	h = strings.TrimSuffix(h, ".")
	if h == "" || len(h) > 253 {
		return false
	}
	labels := strings.Split(h, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, c := range l {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	last := labels[len(labels)-1]
	return strings.Trim(last, "0123456789") != ""
}

func (l *settingsLoader) enum(path, v string, valid ...string) error {
	for _, ok := range valid {
		if v == ok {
			return nil
		}
	}
	return l.fail(path, fmt.Sprintf("%q is not one of %s", v, strings.Join(valid, ", ")), "")
}

// otherEnv are the PROVWATCH_* variables that are not settings keys: the
// input paths, the logging flags' stand-ins and follow's flags.
var otherEnv = []string{
	"PROVWATCH_CONFIG", "PROVWATCH_OPENCLAW_CONFIG", "PROVWATCH_LOG_LEVEL", "PROVWATCH_LOG_FORMAT",
	"PROVWATCH_FOLLOW_FROM", "PROVWATCH_FOLLOW_INTO", "PROVWATCH_FOLLOW_EVERY",
}

// UnknownEnv returns a warning for every PROVWATCH_* variable in environ
// ("NAME=value" entries) that provwatch does not read, naming the nearest
// one it does: a misspelt override would otherwise be ignored without a
// word. PROVWATCH_TEST_* is left to tests.
func UnknownEnv(environ []string) []string {
	known := map[string]bool{}
	names := append([]string(nil), otherEnv...)
	for _, k := range settingsKeys {
		names = append(names, EnvName(k.path))
	}
	for _, n := range names {
		known[n] = true
	}
	var out []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "PROVWATCH_") || known[name] || strings.HasPrefix(name, "PROVWATCH_TEST_") {
			continue
		}
		best, bestD := "", -1
		for _, n := range names {
			if d := editDistance(name, n); bestD < 0 || d < bestD {
				best, bestD = n, d
			}
		}
		hint := "a setting's variable is PROVWATCH_ and its key path, e.g. PROVWATCH_HEALTH_FAIL_AFTER"
		if bestD <= max(2, len(strings.TrimPrefix(best, "PROVWATCH_"))/4) {
			hint = "did you mean " + best + "?"
		}
		out = append(out, fmt.Sprintf("%s is not a provwatch variable and is ignored (%s)", name, hint))
	}
	return out
}

// CycleDeadline bounds the probing of one round (a cycle or a recheck):
// the schedule's interval, the gap between its next two runs after now, as
// a Prometheus scrape may not outlast its interval; never less than one
// probe's timeout. Without it, 500 hanging providers of 1000 kept a cycle
// probing for 160 s under the defaults, while the ticks it overran were
// skipped. Probes the deadline cuts short are no observation: their
// providers keep their last results.
func (s Settings) CycleDeadline(now time.Time) time.Duration {
	var interval time.Duration
	if sched, err := ParseSchedule(s.Schedule); err == nil {
		next := sched.Next(now)
		interval = sched.Next(next).Sub(next)
	}
	return max(interval, s.Timeout)
}
