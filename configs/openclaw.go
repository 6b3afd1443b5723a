package configs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

const ssmPrefix = "ssm:"

// resolvePath applies SPEC 2a's lookup order for an empty Source.Path.
// PROVWATCH_OPENCLAW_CONFIG is honoured here too, so callers that pass ""
// still get the documented precedence.
func resolvePath(src Source, getenv func(string) string) (string, error) {
	p := src.Path
	if p == "" {
		p = getenv("PROVWATCH_OPENCLAW_CONFIG")
	}
	if p == "" {
		p = getenv("OPENCLAW_CONFIG_PATH")
	}
	if p != "" {
		return expandHome(p, getenv), nil
	}
	home := getenv("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	if home == "" {
		return "", nil
	}
	def := filepath.Join(home, ".openclaw", "openclaw.json")
	if _, err := os.Stat(def); err != nil {
		return "", nil // no config at all: the caller discovers
	}
	return def, nil
}

func expandHome(p string, getenv func(string) string) string {
	if p != "~" && !strings.HasPrefix(p, "~/") {
		return p
	}
	home := getenv("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	return filepath.Join(home, strings.TrimPrefix(p, "~"))
}

func loadOpenClaw(ctx context.Context, src Source) (*OpenClaw, error) {
	getenv := src.Getenv
	if getenv == nil {
		getenv = defaultGetenv
	}
	path, err := resolvePath(src, getenv)
	if err != nil {
		return nil, err
	}
	if path == "" {
		return &OpenClaw{}, nil
	}
	data, err := readSource(ctx, path, src.SSM)
	if err != nil {
		return nil, err
	}
	root, err := ParseJSON5(data)
	if err != nil {
		return nil, syntaxErr(path, err)
	}
	d := &doc{origin: map[*Node]string{}}
	d.record(root, path)
	if strings.HasPrefix(path, ssmPrefix) {
		if n := findInclude(root); n != nil {
			return nil, &Error{File: path, Path: includeKey, Line: n.Line, Col: n.Col,
				Msg:  "$include cannot be resolved in a config read from SSM (there is no directory to resolve it against)",
				Hint: "store the merged config in the parameter"}
		}
	} else {
		in := newIncluder(ctx, d, path)
		clean := filepath.Clean(path)
		root, err = in.process(root, includeFrame{file: path, chain: []string{clean}})
		if err != nil {
			return nil, err
		}
	}
	r := &resolver{d: d, file: path, getenv: getenv, providers: map[string]*Provider{}}
	return r.resolve(root)
}

func findInclude(n *Node) *Node {
	if v := n.Get(includeKey); v != nil {
		return v
	}
	for _, it := range n.Items {
		if v := findInclude(it); v != nil {
			return v
		}
	}
	for _, f := range n.Fields {
		if v := findInclude(f.Value); v != nil {
			return v
		}
	}
	return nil
}

func readSource(ctx context.Context, path string, client SSMGetter) ([]byte, error) {
	if !strings.HasPrefix(path, ssmPrefix) {
		data, err := readConfigFile(ctx, path, false)
		if err != nil {
			hint := "check --openclaw-config, PROVWATCH_OPENCLAW_CONFIG or OPENCLAW_CONFIG_PATH"
			msg := readErrorMsg("the OpenClaw config", err)
			if errors.Is(err, fs.ErrNotExist) {
				msg = "the OpenClaw config file does not exist"
			}
			return nil, &Error{File: path, Msg: msg, Hint: hint, Err: err}
		}
		return data, nil
	}
	name := strings.TrimPrefix(path, ssmPrefix)
	if name == "" || name == "/" {
		return nil, &Error{File: path, Msg: "ssm: needs a parameter name", Hint: "write ssm:/parameter/name"}
	}
	if client == nil {
		return nil, &Error{File: path, Msg: "no SSM client is configured to read " + name, Hint: "configure AWS credentials and a region"}
	}
	out, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
	if err != nil {
		var nf *ssmtypes.ParameterNotFound
		if errors.As(err, &nf) {
			return nil, &Error{File: path, Msg: "SSM parameter " + name + " does not exist", Hint: "create it, or point --openclaw-config elsewhere", Err: err}
		}
		return nil, &Error{File: path, Msg: fmt.Sprintf("cannot read SSM parameter %s: %v", name, err),
			Hint: "check the region, credentials and ssm:GetParameter/kms:Decrypt permissions", Err: err}
	}
	if out.Parameter == nil || out.Parameter.Value == nil {
		return nil, &Error{File: path, Msg: "SSM parameter " + name + " has no value"}
	}
	return []byte(*out.Parameter.Value), nil
}

// resolver turns the merged tree into providers and chains.
type resolver struct {
	d         *doc
	file      string
	getenv    func(string) string
	providers map[string]*Provider
	aliases   map[string]string // agents.defaults.models alias -> ref
	warnings  []string
}

func (r *resolver) errAt(n *Node, path, msg, hint string) *Error {
	e := &Error{File: r.d.fileOf(n, r.file), Path: path, Msg: msg, Hint: hint}
	if n != nil {
		e.Line, e.Col = n.Line, n.Col
	}
	return e
}

// str reads a string value with ${VAR} substituted; nil node gives "".
func (r *resolver) str(n *Node, path string) (string, error) {
	if n == nil {
		return "", nil
	}
	if n.Kind != KindString {
		return "", r.errAt(n, path, "must be a string, got a "+n.Kind.String(), "")
	}
	s, name, err := substitute(n.Str, r.getenv)
	if err != nil {
		return "", r.errAt(n, path, fmt.Sprintf("${%s} is not set or empty", name), "export "+name+" where provwatch runs")
	}
	return s, nil
}

func (r *resolver) object(n *Node, path string) error {
	if n != nil && n.Kind != KindObject {
		return r.errAt(n, path, "must be an object, got a "+n.Kind.String(), "")
	}
	return nil
}

func (r *resolver) resolve(root *Node) (*OpenClaw, error) {
	if err := r.object(root, ""); err != nil {
		err.(*Error).Msg = "the config must be an object, got a " + root.Kind.String()
		return nil, err
	}
	if err := r.readProviders(root); err != nil {
		return nil, err
	}
	oc := &OpenClaw{Path: r.file, Warnings: r.warnings}
	chains, err := r.readChains(root)
	if err != nil {
		return nil, err
	}
	oc.Chains = chains
	for _, p := range r.providers {
		oc.Providers = append(oc.Providers, p)
	}
	sort.Slice(oc.Providers, func(i, j int) bool { return oc.Providers[i].ID < oc.Providers[j].ID })
	return oc, nil
}

func (r *resolver) readProviders(root *Node) error {
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
	firstKey := map[string]Field{}
	for _, f := range dedupe(provs.Fields) {
		p, err := r.readProvider(f.Key, f.Value, "models.providers."+f.Key)
		if err != nil {
			return err
		}
		if prev, dup := firstKey[p.ID]; dup {
			// "Lab" and "lab" are one provider to OpenClaw, which accepts
			// the file: warn, naming both, and keep the later, as before.
			w := &Error{File: r.d.fileOf(f.Value, r.file), Path: "models.providers." + f.Key, Line: f.Line, Col: f.Col,
				Msg:  fmt.Sprintf("the same provider as models.providers.%s (%s): OpenClaw lower-cases provider ids, so only this later entry is used", prev.Key, r.where(prev)),
				Hint: "remove or rename one of them"}
			r.warnings = append(r.warnings, w.Error())
		}
		firstKey[p.ID] = f
		r.providers[p.ID] = p
	}
	return nil
}

// where is "line N", or "file:N" when f is in another file than r.file.
func (r *resolver) where(f Field) string {
	if file := r.d.fileOf(f.Value, r.file); file != r.file {
		return fmt.Sprintf("%s:%d", file, f.Line)
	}
	return fmt.Sprintf("line %d", f.Line)
}

func (r *resolver) readProvider(key string, n *Node, path string) (*Provider, error) {
	if err := r.object(n, path); err != nil {
		return nil, err
	}
	id := strings.ToLower(key)
	p := &Provider{ID: id, Source: "file:" + r.d.fileOf(n, r.file)}
	var err error
	if p.BaseURL, err = r.str(n.Get("baseUrl"), path+".baseUrl"); err != nil {
		return nil, err
	}
	p.BaseURL = strings.TrimRight(strings.TrimSpace(p.BaseURL), "/")
	b, isBuiltin := builtins[id]
	if p.BaseURL == "" && isBuiltin {
		p.BaseURL = b.BaseURL
	}
	if err := r.readKey(p, n.Get("apiKey"), path+".apiKey"); err != nil {
		return nil, err
	}
	if p.APIKey == "" && p.KeyEnv == "" && isBuiltin {
		p.APIKey, p.KeyEnv = keyFromEnv(b.KeyEnvs, r.getenv)
	}
	apiNode := n.Get("api")
	if p.API, err = r.str(apiNode, path+".api"); err != nil {
		return nil, err
	}
	if p.API != "" && !isKnownAPI(p.API) {
		return nil, r.errAt(apiNode, path+".api", fmt.Sprintf("unknown api %q", p.API), "use one of: "+strings.Join(knownAPIs, ", "))
	}
	if h := n.Get("headers"); h != nil {
		if err := r.object(h, path+".headers"); err != nil {
			return nil, err
		}
		for _, hf := range dedupe(h.Fields) {
			if hf.Value.Kind != KindString {
				continue // a secret reference object: OpenClaw resolves it, provwatch cannot
			}
			v, err := r.str(hf.Value, path+".headers."+hf.Key)
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
		if ah.Kind != KindBool {
			return nil, r.errAt(ah, path+".authHeader", "must be true or false, got a "+ah.Kind.String(), "")
		}
		p.AuthHeader = ah.Bool
	}
	if err := r.readModels(p, n.Get("models"), path+".models"); err != nil {
		return nil, err
	}
	p.Flavour = DecideFlavour(p.ID, p.BaseURL, p.API)
	return p, nil
}

// readKey reads apiKey: a string (with ${VAR}), or OpenClaw's secret
// reference {source: "env", id: "VAR"}. Other secret sources cannot be
// resolved outside the gateway and leave the key empty (KeySource says
// which). An env id that is not a variable name is refused, as OpenClaw
// refuses it, and never quoted: it may be the key itself, pasted there.
func (r *resolver) readKey(p *Provider, n *Node, path string) error {
	if n == nil {
		return nil
	}
	if n.Kind == KindObject {
		src := n.Get("source")
		id := n.Get("id")
		if src == nil || src.Kind != KindString {
			return nil
		}
		if src.Str != "env" {
			p.KeySource = src.Str
			return nil
		}
		if id == nil || id.Kind != KindString || !envSecretID(id.Str) {
			return r.errAt(n, path+".id", "an env secret's id must be the name of an environment variable (A-Z, 0-9, _; not shown here in case it is the key itself)",
				"put the variable's name in id, e.g. {source: \"env\", id: \"LAB_API_KEY\"}, and the key in that variable")
		}
		p.KeyEnv = id.Str
		p.APIKey = r.getenv(id.Str)
		return nil
	}
	if n.Kind == KindString {
		// A key that is exactly ${VAR} names its variable, for hints.
		if strings.HasPrefix(n.Str, "${") {
			if name, end, ok := envToken(n.Str, 2); ok && end == len(n.Str)-1 {
				p.KeyEnv = name
			}
		}
	}
	v, err := r.str(n, path)
	if err != nil {
		return err
	}
	p.APIKey = v
	return nil
}

// envSecretID is OpenClaw's rule for an env secret's id: [A-Z][A-Z0-9_]{0,127}.
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

func (r *resolver) readModels(p *Provider, n *Node, path string) error {
	if n == nil {
		return nil
	}
	if n.Kind != KindArray {
		return r.errAt(n, path, "must be an array, got a "+n.Kind.String(), "")
	}
	seen := map[string]*Node{}
	for i, it := range n.Items {
		ip := fmt.Sprintf("%s[%d]", path, i)
		if err := r.object(it, ip); err != nil {
			return err
		}
		idNode := it.Get("id")
		id, err := r.str(idNode, ip+".id")
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
		if m.Name, err = r.str(it.Get("name"), ip+".name"); err != nil {
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

func (r *resolver) intField(n *Node, path string) (*int, error) {
	if n == nil || n.Kind == KindNull {
		return nil, nil
	}
	if n.Kind != KindNumber || n.Num != math.Trunc(n.Num) || n.Num <= 0 || n.Num > math.MaxInt32 {
		return nil, r.errAt(n, path, "must be a positive whole number", "")
	}
	v := int(n.Num)
	return &v, nil
}

// readChains collects agents.defaults.model and every per-agent model.
// An agent's model may be a plain string or {primary, fallbacks}; what it
// leaves out is taken from the defaults, as OpenClaw does.
func (r *resolver) readChains(root *Node) ([]Chain, error) {
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
	var def *Chain
	if m := defaults.Get("model"); m != nil {
		c, err := r.readChain(m, "agents.defaults.model", "defaults", nil)
		if err != nil {
			return nil, err
		}
		if c.Primary != "" {
			chains = append(chains, c)
			def = &chains[0]
		}
	}
	var defCopy *Chain
	if def != nil {
		cp := *def
		defCopy = &cp
	}
	if list := agents.Get("list"); list != nil {
		if list.Kind != KindArray {
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
			name, err := r.str(a.Get("id"), ap+".id")
			if err != nil {
				return nil, err
			}
			if name == "" {
				name = fmt.Sprintf("agent %d", i)
			}
			c, err := r.readChain(m, ap+".model", name, defCopy)
			if err != nil {
				return nil, err
			}
			if c.Primary != "" {
				chains = append(chains, c)
			}
		}
	}
	if entries := agents.Get("entries"); entries != nil {
		if err := r.object(entries, "agents.entries"); err != nil {
			return nil, err
		}
		for _, f := range dedupe(entries.Fields) {
			ap := "agents.entries." + f.Key
			if err := r.object(f.Value, ap); err != nil {
				return nil, err
			}
			m := f.Value.Get("model")
			if m == nil {
				continue
			}
			c, err := r.readChain(m, ap+".model", f.Key, defCopy)
			if err != nil {
				return nil, err
			}
			if c.Primary != "" {
				chains = append(chains, c)
			}
		}
	}
	return chains, nil
}

// readAliases reads agents.defaults.models, whose keys are refs and whose
// values may carry an alias that model settings can use instead.
func (r *resolver) readAliases(n *Node) error {
	if n == nil || n.Kind != KindObject {
		return nil
	}
	for _, f := range n.Fields {
		if a := f.Value.Get("alias"); a != nil && a.Kind == KindString && a.Str != "" {
			if r.aliases == nil {
				r.aliases = map[string]string{}
			}
			r.aliases[strings.ToLower(a.Str)] = f.Key
		}
	}
	return nil
}

func (r *resolver) readChain(m *Node, path, name string, def *Chain) (Chain, error) {
	c := Chain{Name: name, Path: path}
	if def != nil {
		c.Primary = def.Primary
		c.Fallbacks = append([]string(nil), def.Fallbacks...)
	}
	switch m.Kind {
	case KindString:
		ref, err := r.ref(m, path)
		if err != nil {
			return c, err
		}
		c.Primary = ref
	case KindObject:
		if pn := m.Get("primary"); pn != nil {
			ref, err := r.ref(pn, path+".primary")
			if err != nil {
				return c, err
			}
			c.Primary = ref
		}
		if fn := m.Get("fallbacks"); fn != nil {
			if fn.Kind != KindArray {
				return c, r.errAt(fn, path+".fallbacks", "must be an array of model refs, got a "+fn.Kind.String(), "")
			}
			c.Fallbacks = nil
			for i, it := range fn.Items {
				ref, err := r.ref(it, fmt.Sprintf("%s.fallbacks[%d]", path, i))
				if err != nil {
					return c, err
				}
				c.Fallbacks = append(c.Fallbacks, ref)
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

// ref validates one model ref, resolves an alias, and makes sure its
// provider exists (configured, or built in and then added).
func (r *resolver) ref(n *Node, path string) (string, error) {
	s, err := r.str(n, path)
	if err != nil {
		return "", err
	}
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "/") {
		if full, ok := r.aliases[strings.ToLower(s)]; ok {
			s = full
		}
	}
	ref, err := ParseRef(s)
	if err != nil {
		return "", r.errAt(n, path, err.Error(), "write provider/model, e.g. ollama/qwen3-coder")
	}
	if p, ok := r.providers[ref.Provider]; ok && p.BaseURL == "" {
		return "", r.errAt(n, path, fmt.Sprintf("provider %q of %q has no baseUrl", ref.Provider, s),
			"set models.providers."+ref.Provider+".baseUrl")
	}
	if _, ok := r.providers[ref.Provider]; !ok {
		p := builtinProvider(ref.Provider, r.getenv)
		if p == nil {
			return "", r.errAt(n, path, fmt.Sprintf("provider %q of %q is not configured in models.providers and is not built in", ref.Provider, s),
				"add models.providers."+ref.Provider+" with a baseUrl")
		}
		r.providers[ref.Provider] = p
	}
	return ref.String(), nil
}
