package configs

import (
	"context"
	"os"

	"github.com/provwatch/provwatch/internal/ssmparam"
)

// Source says where to read the OpenClaw config from.
type Source struct {
	// Path is a file path or ssm:/parameter/name; "" means the default
	// lookup (OPENCLAW_CONFIG_PATH, then ~/.openclaw/openclaw.json).
	Path   string
	Getenv func(string) string // nil means os.Getenv; used for ${VAR} and built-in key variables
	SSM    ssmparam.Getter     // needed only for ssm: paths
}

// LoadOpenClaw reads, parses and resolves the OpenClaw config. Every error
// is an *Error (errors.Is(err, ErrConfig)). When no config exists at all it
// returns an OpenClaw with Path "" and no chains, and the caller decides
// what to discover.
func LoadOpenClaw(ctx context.Context, src Source) (*OpenClaw, error) {
	d, err := ReadDoc(ctx, src)
	if err != nil {
		return nil, err
	}
	if d.Path == "" {
		return &OpenClaw{}, nil
	}
	return d.Resolve()
}

// LoadSettings reads provwatch's YAML settings from path ("" = defaults
// only), applies PROVWATCH_* environment overrides from getenv (nil means
// os.Getenv), and validates. Every error is an *Error.
func LoadSettings(path string, getenv func(string) string) (Settings, error) {
	return loadSettings(path, getenv)
}

func defaultGetenv(k string) string { return os.Getenv(k) }
