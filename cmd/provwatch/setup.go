package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/rs/zerolog"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/internal/awsclient"
	"github.com/provwatch/provwatch/internal/cli"
	"github.com/provwatch/provwatch/internal/ssmparam"
	"github.com/provwatch/provwatch/probes"
)

// commonFlags are accepted by every command; load is what most do with
// them.
type commonFlags struct{ cli.CommonFlags }

// providerList is the repeatable --provider flag.
type providerList []string

func (p *providerList) String() string { return strings.Join(*p, ",") }
func (p *providerList) Set(v string) error {
	for _, id := range strings.Split(v, ",") {
		if id = strings.ToLower(strings.TrimSpace(id)); id != "" {
			*p = append(*p, id)
		}
	}
	return nil
}

// env is everything a command needs once configuration is loaded.
type env struct {
	oc       *configs.OpenClaw
	settings configs.Settings
	log      zerolog.Logger
	// envWarnings are the PROVWATCH_* variables provwatch does not read;
	// validate lists them beside the config's own warnings.
	envWarnings []string

	awsOnce   sync.Once
	awsCfg    aws.Config
	awsErr    error
	paramsCli ssmparam.Client
}

// load reads both configuration inputs with the precedence flags > env >
// files. discover: with no OpenClaw config, watch what can be found.
func (c *commonFlags) load(ctx context.Context, stderr io.Writer, discover bool) (*env, error) {
	log, err := c.Logger(stderr, os.Getenv)
	if err != nil {
		return nil, err
	}
	e := &env{log: log}
	for _, w := range configs.UnknownEnv(os.Environ()) {
		log.Warn().Msg(w)
		e.envWarnings = append(e.envWarnings, w)
	}

	settingsPath := firstNonEmpty(c.Config, os.Getenv("PROVWATCH_CONFIG"))
	e.settings, err = configs.LoadSettings(settingsPath, os.Getenv)
	if err != nil {
		return nil, err
	}

	// Precedence: flag, PROVWATCH_OPENCLAW_CONFIG, OPENCLAW_CONFIG_PATH; any
	// of them may name an ssm: parameter.
	src := configs.Source{Path: firstNonEmpty(c.OpenClawConfig, os.Getenv("PROVWATCH_OPENCLAW_CONFIG"), os.Getenv("OPENCLAW_CONFIG_PATH")), Getenv: os.Getenv}
	if strings.HasPrefix(src.Path, "ssm:") {
		ps, err := e.params(ctx)
		if err != nil {
			return nil, &configs.Error{File: src.Path, Msg: "cannot reach SSM to read the OpenClaw config: " + err.Error(),
				Hint: "set AWS_REGION and credentials, or pass a file path", Err: err}
		}
		src.SSM = ps
	}
	e.oc, err = configs.LoadOpenClaw(ctx, src)
	if err != nil {
		return nil, err
	}
	for _, w := range e.oc.Warnings {
		log.Warn().Msg(w.String())
	}
	if e.oc.Path == "" && discover {
		e.oc.Providers = configs.Discover(os.Getenv)
		if p := localOllama(ctx); p != nil {
			e.oc.Providers = append(e.oc.Providers, p)
		}
		if len(e.oc.Providers) == 0 {
			return nil, &configs.Error{File: "(none)", Msg: "no OpenClaw config was found and no provider was discovered",
				Hint: "pass --openclaw-config PATH, set OPENCLAW_CONFIG_PATH, set a provider key such as OPENAI_API_KEY, or start Ollama"}
		}
		log.Info().Int("providers", len(e.oc.Providers)).Msg("no OpenClaw config found; watching the providers discovered from the environment")
	}
	return e, nil
}

// localOllama returns the built-in Ollama provider when one answers on its
// default address, for check without a config.
func localOllama(ctx context.Context) *configs.Provider {
	const base = "http://127.0.0.1:11434"
	ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/version", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil
	}
	return &configs.Provider{ID: "ollama", BaseURL: base, Flavour: configs.FlavourOllama, Builtin: true, Source: "discovered"}
}

// checkProviderFilter rejects --provider ids that are not watched.
func (e *env) checkProviderFilter(ids []string) error {
	var known []string
	for _, p := range e.oc.Providers {
		known = append(known, p.ID)
	}
	for _, id := range ids {
		if !slices.Contains(known, id) {
			return cli.UsageErr("--provider %s: no such provider in the configuration (known: %s)", id, strings.Join(known, ", "))
		}
	}
	return nil
}

func (e *env) prober() *probes.Prober {
	return probes.New(probes.Options{Timeout: e.settings.Timeout, Thresholds: e.settings.Thresholds})
}

// aws loads the AWS SDK configuration once, only when something needs it:
// keeping it off the path of commands that do not talk to AWS keeps start-up fast.
func (e *env) aws(ctx context.Context) (aws.Config, error) {
	e.awsOnce.Do(func() {
		// Every AWS client gets the HTTP client with attempt timeouts: an
		// endpoint that accepts and never answers must not hang a cycle.
		e.awsCfg, e.awsErr = awsconfig.LoadDefaultConfig(ctx, awsconfig.WithHTTPClient(awsclient.HTTPClient()))
		if e.awsErr == nil && e.awsCfg.Region == "" {
			e.awsErr = errors.New("no AWS region is configured")
		}
	})
	return e.awsCfg, e.awsErr
}

// params is the process's one Parameter Store client, each call bounded
// and retried (awsclient.NewParams).
func (e *env) params(ctx context.Context) (ssmparam.Client, error) {
	if e.paramsCli != nil {
		return e.paramsCli, nil
	}
	cfg, err := e.aws(ctx)
	if err != nil {
		return nil, err
	}
	e.paramsCli = awsclient.NewParams(cfg)
	return e.paramsCli, nil
}

// awsRegionSet says whether an AWS region is configured in the environment,
// which is what metrics.sink auto keys on.
func awsRegionSet() bool {
	return os.Getenv("AWS_REGION") != "" || os.Getenv("AWS_DEFAULT_REGION") != ""
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}
