package configs

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/provwatch/provwatch/configs/json5"
)

// Resolve reads the providers and the chains to watch from the merged
// config, as OpenClaw reads them. It is the one place that knows
// OpenClaw's rules for model refs, aliases and agent chains: the loader,
// the openclaw: target and `follow` all go through it.
func (d *Doc) Resolve() (*OpenClaw, error) { return d.resolve(false) }

// resolve is Resolve; withoutDefaults reads the config as if
// agents.defaults.model were not there, for Rewrite to repair a malformed
// one.
func (d *Doc) resolve(withoutDefaults bool) (*OpenClaw, error) {
	r := &resolver{d: d, withoutDefaults: withoutDefaults, providers: map[string]*Provider{}}
	return r.resolve(d.root)
}

// resolver turns the merged tree into providers and chains.
type resolver struct {
	d               *Doc
	withoutDefaults bool // agents.defaults.model is passed over
	providers       map[string]*Provider
	aliases         map[string]string // agents.defaults.models alias (lower-cased) -> ref
	allowlist       []Ref             // the keys of agents.defaults.models
	warnings        []Warning
}

// fileOf is the file n is written in (the root config for a value a
// merge made).
func (r *resolver) fileOf(n *json5.Node) string { return r.d.fileOf(n, r.d.Path) }

func (r *resolver) errAt(n *json5.Node, path, msg, hint string) *Error {
	e := &Error{File: r.fileOf(n), Path: path, Msg: msg, Hint: hint}
	if n != nil {
		e.Line, e.Col = n.Line, n.Col
	}
	return e
}

// warn records what OpenClaw accepts with a warning of its own, or what
// makes one provider unusable without making the file invalid.
func (r *resolver) warn(n *json5.Node, path, msg, hint string) {
	r.warnings = append(r.warnings, Warning(*r.errAt(n, path, msg, hint)))
}

// missingVar is a ${VAR} that is not set: OpenClaw 2026.9.x warns and goes
// on, so the file stays valid and only what uses the value is affected.
type missingVar struct {
	name string
	err  *Error
}

func (m *missingVar) Error() string { return m.err.Error() }

// str reads a string value with ${VAR} substituted; nil node gives "".
// A variable that is not set is a *missingVar.
func (r *resolver) str(n *json5.Node, path string) (string, error) {
	if n == nil {
		return "", nil
	}
	if n.Kind != json5.KindString {
		return "", r.errAt(n, path, "must be a string, got a "+n.Kind.String(), "")
	}
	s, name, err := substitute(n.Str, r.d.getenv)
	if err != nil {
		return "", &missingVar{name: name, err: r.errAt(n, path, fmt.Sprintf("${%s} is not set or empty", name), "export "+name+" where provwatch runs")}
	}
	return s, nil
}

// strict is str where a missing variable is a configuration error: a
// value provwatch cannot do without.
func (r *resolver) strict(n *json5.Node, path string) (string, error) {
	v, err := r.str(n, path)
	if mv, ok := err.(*missingVar); ok {
		return "", mv.err
	}
	return v, err
}

func (r *resolver) object(n *json5.Node, path string) error {
	if n != nil && n.Kind != json5.KindObject {
		return r.errAt(n, path, "must be an object, got a "+n.Kind.String(), "")
	}
	return nil
}

func (r *resolver) resolve(root *json5.Node) (*OpenClaw, error) {
	if err := r.object(root, ""); err != nil {
		err.(*Error).Msg = "the config must be an object, got a " + root.Kind.String()
		return nil, err
	}
	if err := r.readProviders(root); err != nil {
		return nil, err
	}
	oc := &OpenClaw{Path: r.d.Path}
	chains, err := r.readChains(root)
	if err != nil {
		return nil, err
	}
	oc.Chains = chains
	for _, p := range r.providers {
		oc.Providers = append(oc.Providers, p)
	}
	sort.Slice(oc.Providers, func(i, j int) bool { return oc.Providers[i].ID < oc.Providers[j].ID })
	oc.Warnings = r.warnings
	return oc, nil
}

func (r *resolver) readProviders(root *json5.Node) error {
	models := root.Get("models")
	if err := r.object(models, "models"); err != nil {
		return err
	}
	provs := models.Get("providers")
	if err := r.object(provs, "models.providers"); err != nil {
		return err
	}
	if provs == nil {
		return nil
	}
	firstKey := map[string]json5.Field{}
	for _, f := range dedupe(provs.Fields) {
		p, err := r.readProvider(f.Key, f.Value, "models.providers."+f.Key)
		if err != nil {
			return err
		}
		if prev, dup := firstKey[p.ID]; dup {
			// "Lab" and "lab" are one provider to OpenClaw, which accepts
			// the file: warn, naming both, and keep the later, as it does.
			r.warnings = append(r.warnings, Warning{File: r.fileOf(f.Value), Path: "models.providers." + f.Key, Line: f.Line, Col: f.Col,
				Msg:  fmt.Sprintf("the same provider as models.providers.%s (%s): OpenClaw lower-cases provider ids, so only this later entry is used", prev.Key, r.where(prev)),
				Hint: "remove or rename one of them"})
		}
		firstKey[p.ID] = f
		r.providers[p.ID] = p
	}
	return nil
}

// where is "line N", or "file:N" when f is in another file than the root.
func (r *resolver) where(f json5.Field) string {
	if file := r.fileOf(f.Value); file != r.d.Path {
		return fmt.Sprintf("%s:%d", file, f.Line)
	}
	return fmt.Sprintf("line %d", f.Line)
}

// unusable marks a provider the config leaves without a value it needs (a
// ${VAR} that is not set): its models are down with reason config, and the
// rest of the file is read as usual.
func (r *resolver) unusable(p *Provider, mv *missingVar) {
	if p.ConfigError == "" {
		p.ConfigError, p.Hint = mv.err.Error(), mv.err.Hint
	}
	r.warnings = append(r.warnings, Warning(*mv.err))
}

// soft is str for a provider's own values: a missing variable makes the
// provider unusable instead of the file invalid.
func (r *resolver) soft(p *Provider, n *json5.Node, path string) (string, error) {
	v, err := r.str(n, path)
	if mv, ok := err.(*missingVar); ok {
		r.unusable(p, mv)
		return "", nil
	}
	return v, err
}

func (r *resolver) readProvider(key string, n *json5.Node, path string) (*Provider, error) {
	if err := r.object(n, path); err != nil {
		return nil, err
	}
	id := strings.ToLower(key)
	p := &Provider{ID: id, Source: "file:" + r.fileOf(n)}
	var err error
	if p.BaseURL, err = r.soft(p, n.Get("baseUrl"), path+".baseUrl"); err != nil {
		return nil, err
	}
	p.BaseURL = strings.TrimRight(strings.TrimSpace(p.BaseURL), "/")
	b, isBuiltin := builtins[id]
	if p.BaseURL == "" && isBuiltin && p.ConfigError == "" {
		p.BaseURL = b.BaseURL
	}
	if err := r.readKey(p, n.Get("apiKey"), path+".apiKey"); err != nil {
		return nil, err
	}
	if p.APIKey == "" && p.KeyEnv == "" && isBuiltin {
		p.APIKey, p.KeyEnv = keyFromEnv(b.KeyEnvs, r.d.getenv)
	}
	apiNode := n.Get("api")
	if p.API, err = r.soft(p, apiNode, path+".api"); err != nil {
		return nil, err
	}
	if p.API != "" && !slices.Contains(knownAPIs, p.API) {
		return nil, r.errAt(apiNode, path+".api", fmt.Sprintf("unknown api %q", p.API), "use one of: "+strings.Join(knownAPIs, ", "))
	}
	if h := n.Get("headers"); h != nil {
		if err := r.object(h, path+".headers"); err != nil {
			return nil, err
		}
		for _, hf := range dedupe(h.Fields) {
			if hf.Value.Kind != json5.KindString {
				continue // a secret reference object: OpenClaw resolves it, provwatch cannot
			}
			v, err := r.soft(p, hf.Value, path+".headers."+hf.Key)
			if err != nil {
				return nil, err
			}
			if p.Headers == nil {
				p.Headers = map[string]string{}
			}
			p.Headers[hf.Key] = v
		}
	}
	if ah := n.Get("authHeader"); ah != nil {
		if ah.Kind != json5.KindBool {
			return nil, r.errAt(ah, path+".authHeader", "must be true or false, got a "+ah.Kind.String(), "")
		}
		p.AuthHeader = ah.Bool
	}
	if err := r.readModels(p, n.Get("models"), path+".models"); err != nil {
		return nil, err
	}
	p.Flavour = DecideFlavour(p.ID, p.BaseURL, p.API)
	if p.BaseURL == "" && p.ConfigError == "" {
		p.Unprobed = fmt.Sprintf("%s has no baseUrl in the config and provwatch knows no default address for it", id)
		p.Hint = "set models.providers." + id + ".baseUrl to have it probed"
	}
	return p, nil
}

// readKey reads apiKey: a string (with ${VAR}), or OpenClaw's secret
// reference {source: "env", id: "VAR"}. Other secret sources cannot be
// resolved outside the gateway and leave the key empty (KeySource says
// which). An env id that is not a variable name is refused, as OpenClaw
// refuses it, and never quoted: it may be the key itself, pasted there.
func (r *resolver) readKey(p *Provider, n *json5.Node, path string) error {
	if n == nil {
		return nil
	}
	if n.Kind == json5.KindObject {
		src := n.Get("source")
		id := n.Get("id")
		if src == nil || src.Kind != json5.KindString {
			return nil
		}
		if src.Str != "env" {
			p.KeySource = src.Str
			return nil
		}
		if id == nil || id.Kind != json5.KindString || !envSecretID(id.Str) {
			return r.errAt(n, path+".id", "an env secret's id must be the name of an environment variable (A-Z, 0-9, _; not shown here in case it is the key itself)",
				"put the variable's name in id, e.g. {source: \"env\", id: \"LAB_API_KEY\"}, and the key in that variable")
		}
		p.KeyEnv = id.Str
		p.APIKey = r.d.getenv(id.Str)
		return nil
	}
	if n.Kind == json5.KindString {
		// A key that is exactly ${VAR} names its variable, for hints.
		if strings.HasPrefix(n.Str, "${") {
			if name, end, ok := envToken(n.Str, 2); ok && end == len(n.Str)-1 {
				p.KeyEnv = name
			}
		}
	}
	v, err := r.soft(p, n, path)
	if err != nil {
		return err
	}
	p.APIKey = v
	return nil
}

func (r *resolver) readModels(p *Provider, n *json5.Node, path string) error {
	if n == nil {
		return nil
	}
	if n.Kind != json5.KindArray {
		return r.errAt(n, path, "must be an array, got a "+n.Kind.String(), "")
	}
	seen := map[string]*json5.Node{}
	for i, it := range n.Items {
		ip := fmt.Sprintf("%s[%d]", path, i)
		if err := r.object(it, ip); err != nil {
			return err
		}
		idNode := it.Get("id")
		id, err := r.strict(idNode, ip+".id")
		if err != nil {
			return err
		}
		if id == "" {
			return r.errAt(it, ip+".id", "model has no id", "")
		}
		if first, dup := seen[id]; dup {
			return r.errAt(idNode, ip+".id", fmt.Sprintf("duplicate model id %q in provider %s (first at %d:%d)", id, p.ID, first.Line, first.Col), "remove one of them")
		}
		seen[id] = idNode
		m := Model{ID: id}
		if m.Name, err = r.soft(p, it.Get("name"), ip+".name"); err != nil {
			return err
		}
		if m.ContextWindow, err = r.intField(it.Get("contextWindow"), ip+".contextWindow"); err != nil {
			return err
		}
		if m.MaxTokens, err = r.intField(it.Get("maxTokens"), ip+".maxTokens"); err != nil {
			return err
		}
		p.Models = append(p.Models, m)
	}
	return nil
}

func (r *resolver) intField(n *json5.Node, path string) (*int, error) {
	if n == nil || n.Kind == json5.KindNull {
		return nil, nil
	}
	if n.Kind != json5.KindNumber || n.Num != math.Trunc(n.Num) || n.Num <= 0 || n.Num > math.MaxInt32 {
		return nil, r.errAt(n, path, "must be a positive whole number", "")
	}
	v := int(n.Num)
	return &v, nil
}

// readChains collects agents.defaults.model and every per-agent model, as
// OpenClaw 2026.9.x resolves them (docs/configuration.md, "How provwatch
// reads OpenClaw's config"): an agent's model replaces the defaults' whole
// chain; a string or an object without fallbacks has no fallbacks, so such a
// chain is watched but never moved; an agent without a model runs on the
// defaults' chain and has none of its own.
func (r *resolver) readChains(root *json5.Node) ([]Chain, error) {
	agents := root.Get("agents")
	if err := r.object(agents, "agents"); err != nil {
		return nil, err
	}
	defaults := agents.Get("defaults")
	if err := r.object(defaults, "agents.defaults"); err != nil {
		return nil, err
	}
	if err := r.readAliases(defaults.Get("models")); err != nil {
		return nil, err
	}
	var chains []Chain
	// defPrimary is what an agent's object without a primary runs.
	defPrimary := ""
	if m := defaults.Get("model"); m != nil && !r.withoutDefaults {
		c, err := r.readChain(m, defaultsPath, DefaultsChain, "")
		if err != nil {
			return nil, err
		}
		if c.Primary != "" {
			chains = append(chains, c)
			defPrimary = c.Primary
		}
	}
	// agent reads one agent's model; a model that names none gives the
	// agent no chain of its own.
	agent := func(m *json5.Node, path, name string) error {
		c, err := r.readChain(m, path, name, defPrimary)
		if err == nil && c.Primary != "" {
			chains = append(chains, c)
		}
		return err
	}
	list, entries := agents.Get("list"), agents.Get("entries")
	switch {
	case list != nil && entries != nil:
		// Two rosters: 2026.9.x rejects the file (agents.list is not a key
		// of its schema beside agents.entries), 2026.2.x rejects
		// agents.entries. provwatch reads the 2026.9.x roster alone.
		r.warn(list, "agents.list", "agents.list beside agents.entries: OpenClaw 2026.9.x rejects the file (Unrecognized key \"list\") and 2026.2.x rejects agents.entries; provwatch reads agents.entries alone",
			"move what agents.list holds into agents.entries and delete agents.list")
		list = nil
	case list != nil:
		r.warn(list, "agents.list", "agents.list is OpenClaw 2026.2.x's roster: 2026.9.x moves it to agents.entries with a warning, and rejects the file when an id is not lower-case",
			"run openclaw doctor --fix to move it to agents.entries")
	}
	if list != nil {
		if list.Kind != json5.KindArray {
			return nil, r.errAt(list, "agents.list", "must be an array, got a "+list.Kind.String(), "")
		}
		for i, a := range list.Items {
			ap := fmt.Sprintf("agents.list[%d]", i)
			if err := r.object(a, ap); err != nil {
				return nil, err
			}
			m := a.Get("model")
			if m == nil {
				continue
			}
			name, err := r.strict(a.Get("id"), ap+".id")
			if err != nil {
				return nil, err
			}
			name = strings.ToLower(strings.TrimSpace(name))
			if name == "" {
				name = fmt.Sprintf("agent %d", i)
			}
			if err := agent(m, ap+".model", name); err != nil {
				return nil, err
			}
		}
	}
	if err := r.object(entries, "agents.entries"); err != nil {
		return nil, err
	}
	if entries != nil {
		roster := dedupe(entries.Fields)
		for _, f := range roster {
			ap := "agents.entries." + f.Key
			if err := r.object(f.Value, ap); err != nil {
				return nil, err
			}
			if m := f.Value.Get("model"); m != nil {
				if err := agent(m, ap+".model", strings.ToLower(f.Key)); err != nil {
					return nil, err
				}
			}
		}
		r.checkOwnership(agents, entries, roster)
	}
	return chains, nil
}

// checkOwnership warns about a roster OpenClaw 2026.9.x rejects: more than
// one agent needs agents.ownership "explicit", or exactly one agent marked
// default: true. roster is agents.entries' members, each key once.
func (r *resolver) checkOwnership(agents, entries *json5.Node, roster []json5.Field) {
	if len(roster) < 2 {
		return
	}
	if o := agents.Get("ownership"); o != nil && o.Kind == json5.KindString && o.Str == "explicit" {
		return
	}
	marked := 0
	for _, f := range roster {
		if d := f.Value.Get("default"); d != nil && d.Kind == json5.KindBool && d.Bool {
			marked++
		}
	}
	if marked != 1 {
		r.warn(entries, "agents.ownership", "more than one agent, and neither agents.ownership: \"explicit\" nor one agent with default: true: OpenClaw 2026.9.x rejects the file",
			`add agents.ownership: "explicit", or run openclaw doctor`)
	}
}

// didYouMean is " (did you mean X?)" when key is a near miss of one of
// the names, else "".
func didYouMean(key string, names ...string) string {
	for _, n := range names {
		if key != n && (strings.HasPrefix(n, key) || strings.HasPrefix(key, n) || strings.EqualFold(key, n)) {
			return " (did you mean " + n + "?)"
		}
	}
	return ""
}

// readAliases reads agents.defaults.models, whose keys are refs and whose
// values may carry an alias that model settings can use instead.
func (r *resolver) readAliases(n *json5.Node) error {
	if n == nil || n.Kind != json5.KindObject {
		return nil
	}
	for _, f := range n.Fields {
		if ref, err := ParseRef(f.Key); err == nil {
			r.allowlist = append(r.allowlist, ref)
		}
		if a := f.Value.Get("alias"); a != nil && a.Kind == json5.KindString && a.Str != "" {
			if r.aliases == nil {
				r.aliases = map[string]string{}
			}
			r.aliases[strings.ToLower(a.Str)] = f.Key
		}
	}
	return nil
}

// readChain reads one model value. defPrimary is the defaults' primary,
// which an agent's object without a primary takes ("" for the defaults).
// A value that names no model (an empty string, an object with neither a
// primary nor fallbacks) gives a chain with no Primary: the agent runs on
// the defaults' chain and has none of its own.
func (r *resolver) readChain(m *json5.Node, path, name, defPrimary string) (Chain, error) {
	// An agent's chain is Fixed until its model lists its own fallbacks.
	c := Chain{Name: name, Path: path, Fallbacks: []string{}, Fixed: name != DefaultsChain, File: r.fileOf(m), Line: m.Line, Col: m.Col, model: m, spelled: map[string]string{}}
	switch m.Kind {
	case json5.KindString:
		if strings.TrimSpace(m.Str) == "" {
			return c, nil
		}
		ref, err := r.ref(m, path, "", c.spelled)
		if err != nil {
			return c, err
		}
		c.Primary = ref
	case json5.KindObject:
		pn := m.Get("primary")
		if pn != nil && !(pn.Kind == json5.KindString && strings.TrimSpace(pn.Str) == "") {
			ref, err := r.ref(pn, path+".primary", "", c.spelled)
			if err != nil {
				return c, err
			}
			c.Primary = ref
		}
		fn := m.Get("fallbacks")
		if fn != nil && fn.Kind != json5.KindArray {
			return c, r.errAt(fn, path+".fallbacks", "must be an array of model refs, got a "+fn.Kind.String(), "")
		}
		if c.Primary == "" && fn == nil {
			return c, nil // nothing of its own
		}
		if c.Primary == "" {
			c.Primary = defPrimary
		}
		if fn != nil {
			// A bare fallback takes the primary's provider, as OpenClaw runs it
			// (OpenAI's when the primary has none).
			primaryProvider := "openai"
			if ref, err := ParseRef(c.Primary); err == nil {
				primaryProvider = ref.Provider
			}
			for i, it := range fn.Items {
				ref, err := r.ref(it, fmt.Sprintf("%s.fallbacks[%d]", path, i), primaryProvider, c.spelled)
				if err != nil {
					return c, err
				}
				c.Fallbacks = append(c.Fallbacks, ref)
			}
			c.Fixed = name != DefaultsChain && len(c.Fallbacks) == 0
		}
		for _, f := range m.Fields {
			if f.Key != "primary" && f.Key != "fallbacks" {
				r.warn(f.Value, path+"."+f.Key, fmt.Sprintf("unknown key %q: OpenClaw 2026.9.x rejects the file%s", f.Key, didYouMean(f.Key, "primary", "fallbacks")),
					"the model value takes primary and fallbacks only")
			}
		}
	default:
		return c, r.errAt(m, path, "must be a model ref string or {primary, fallbacks}, got a "+m.Kind.String(), "")
	}
	if c.Primary == "" && len(c.Fallbacks) > 0 {
		return c, r.errAt(m, path, "has fallbacks but no primary", "add primary: \"provider/model\"")
	}
	return c, nil
}

// ref reads one model ref as OpenClaw 2026.9.x does (docs/configuration.md,
// "Model refs"). primaryProvider is "" for a primary, and for a fallback
// its chain's primary's provider. A trailing "@profile" (an auth profile)
// is not part of the model. An alias from agents.defaults.models (any
// case) is its model; so is "provider/alias" when the alias names a model
// of that provider (for a primary, only when the provider does not list a
// model of that very id). Else the ref is provider/model split on the first
// '/', the provider lower-cased. A bare primary is the model of the one
// provider whose configured models list it, else OpenAI's; a bare fallback
// is always its primary's provider's (the model lists are not consulted);
// both with a warning. A ${VAR} that is not set stays as written, with a
// warning, as OpenClaw leaves it. The ref's provider is made known:
// configured, built in, or (for a provider OpenClaw ships as a plugin, or
// one provwatch does not know) unprobed. spelled records how the file
// writes the ref, so a rewrite keeps it.
func (r *resolver) ref(n *json5.Node, path, primaryProvider string, spelled map[string]string) (string, error) {
	s, err := r.str(n, path)
	if mv, ok := err.(*missingVar); ok {
		r.warnings = append(r.warnings, Warning(*mv.err))
		s, err = n.Str, nil
	}
	if err != nil {
		return "", err
	}
	// A spelling is kept for a rewrite only when it means the same model
	// wherever the ref moves in its chain; a bare id, which a primary and
	// a fallback resolve differently, is spelled with its provider (the
	// rest as written, so an escaped $${…} or a ${VAR} stays one).
	written := n.Str // as the file writes it, before ${VAR} substitution
	fallback := primaryProvider != ""
	s = withoutAuthProfile(s)
	if full, ok := r.aliases[strings.ToLower(s)]; ok {
		s = full
	} else if i := strings.IndexByte(s, '/'); i > 0 {
		if full, ok := r.providerAlias(s[:i], s[i+1:]); ok && (fallback || !r.listsModel(s[:i], s[i+1:])) {
			if r.listsModel(s[:i], s[i+1:]) {
				written = "" // a primary would read it as the listed model
			}
			s = full
		}
	} else if s != "" {
		bare := primaryProvider
		if !fallback {
			bare = r.inferProvider(s)
		}
		if bare == "" {
			bare = "openai"
			r.warn(n, path, fmt.Sprintf("model %q is specified without provider; OpenClaw falls back to %q", s, bare+"/"+s),
				fmt.Sprintf("write %q", bare+"/"+s))
		} else if fallback {
			r.warn(n, path, fmt.Sprintf("fallback %q is specified without provider; OpenClaw takes its primary's provider: %q", s, bare+"/"+s),
				fmt.Sprintf("write %q", bare+"/"+s))
		}
		s = bare + "/" + s
		written = bare + "/" + strings.TrimSpace(written)
	}
	ref, err := ParseRef(s)
	if err != nil {
		return "", r.errAt(n, path, err.Error(), "write provider/model, e.g. ollama/qwen3-coder")
	}
	ref.Provider = r.providerID(ref.Provider)
	if _, ok := r.providers[ref.Provider]; !ok {
		p := builtinProvider(ref.Provider, r.d.getenv)
		if p == nil {
			p = unprobedProvider(ref.Provider)
		}
		r.providers[ref.Provider] = p
	}
	if written != "" {
		spelled[ref.String()] = written
	}
	return ref.String(), nil
}

// providerAlias is the model the alias names when it names one of
// provider's models ("backup/fast" with fast an alias of backup/gpt-4.1).
func (r *resolver) providerAlias(provider, alias string) (string, bool) {
	full, ok := r.aliases[strings.ToLower(strings.TrimSpace(alias))]
	if !ok {
		return "", false
	}
	ref, err := ParseRef(full)
	return full, err == nil && r.providerID(ref.Provider) == r.providerID(provider)
}

// listsModel reports whether models.providers configures provider with a
// model of exactly this id.
func (r *resolver) listsModel(provider, model string) bool {
	p, ok := r.providers[r.providerID(provider)]
	return ok && !p.Builtin && p.Model(strings.TrimSpace(model)) != nil
}

// providerID is the provider a ref's provider part names: the
// models.providers entry of that id (lower-cased) when the config has
// one, else the provider OpenClaw registers the id for (x-ai is xai). The
// 2026.9.6 gateway runs "x-ai/m" on a configured x-ai entry, and on its
// xai provider without one.
func (r *resolver) providerID(written string) string {
	id := strings.ToLower(strings.TrimSpace(written))
	if p, ok := r.providers[id]; ok && !p.Builtin {
		return id
	}
	return canonicalProvider(id)
}

// withoutAuthProfile drops a trailing "@profile" from a ref, as OpenClaw
// does before resolving it, keeping the '@' of a dated model version
// ("claude-3-5@20241022") or a quantisation ("qwen3@q4_K_M", "@8bit").
func withoutAuthProfile(raw string) string {
	t := strings.TrimSpace(raw)
	from := strings.LastIndexByte(t, '/') + 1
	at := indexByteFrom(t, '@', from)
	if at <= 0 {
		return t
	}
	if dated.MatchString(t[at+1:]) {
		if at = indexByteFrom(t, '@', at+9); at < 0 {
			return t
		}
	}
	if quantised.MatchString(t[at+1:]) {
		if at = indexByteFrom(t, '@', at+1); at < 0 {
			return t
		}
	}
	model, profile := strings.TrimSpace(t[:at]), strings.TrimSpace(t[at+1:])
	if model == "" || profile == "" {
		return t
	}
	return model
}

var (
	dated     = regexp.MustCompile(`^\d{8}(?:@|$)`)
	quantised = regexp.MustCompile(`(?i)^(?:i?q\d+(?:_[a-z0-9]+)*|\d+bit)(?:@|$)`)
)

// indexByteFrom is the index of c in s at or after from, or -1.
func indexByteFrom(s string, c byte, from int) int {
	if from > len(s) {
		return -1
	}
	if i := strings.IndexByte(s[from:], c); i >= 0 {
		return from + i
	}
	return -1
}

// inferProvider is the one provider whose configured models (in
// models.providers, or keys of agents.defaults.models) have this id, or "".
func (r *resolver) inferProvider(id string) string {
	found := map[string]bool{}
	for _, p := range r.providers {
		if p.Model(id) != nil {
			found[p.ID] = true
		}
	}
	for _, ref := range r.allowlist {
		if ref.Model == id {
			found[ref.Provider] = true
		}
	}
	if len(found) != 1 {
		return ""
	}
	for p := range found {
		return p
	}
	return ""
}

// envSecretID reports whether s can name an environment variable, as an
// {source: "env"} secret's id must.
func envSecretID(s string) bool {
	if len(s) == 0 || len(s) > 128 || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
