package openclawtest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The compatibility corpus (configs/testdata/openclaw-compat) holds one
// directory per case: openclaw.json, any files it includes, an optional env
// file, and expected.json (with raw/ beside it), which TestCaptureCompatCorpus
// writes from the real CLI and the configs tests read. See
// docs/openclaw-compat.md.

// Expected is a case's expected.json: what the real OpenClaw made of the
// config, normalised.
type Expected struct {
	OpenClaw string   `json:"openclaw"`
	Valid    bool     `json:"valid"`
	Warnings []string `json:"warnings"`
	Errors   []string `json:"errors,omitempty"`
	// Defaults is the chain `models status` reports without --agent
	// (absent when OpenClaw needs an agent named, or the config is invalid).
	Defaults *Chain           `json:"defaults,omitempty"`
	Agents   map[string]Chain `json:"agents,omitempty"`
	Allowed  []string         `json:"allowed"`
}

// Chain is one resolved chain: primary as OpenClaw resolved it, fallbacks
// as `models status` lists them (after load-time normalisation, not
// resolved: a bare fallback stays bare).
type Chain struct {
	Primary   string   `json:"primary"`
	Fallbacks []string `json:"fallbacks"`
	// Source says where an agent's primary and fallbacks come from
	// ("agent" or "defaults"), as OpenClaw reports it.
	PrimaryFrom   string `json:"primaryFrom,omitempty"`
	FallbacksFrom string `json:"fallbacksFrom,omitempty"`
}

// ReadExpected reads the expected.json of the case in dir.
func ReadExpected(dir string) (Expected, error) {
	var exp Expected
	b, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err == nil {
		err = json.Unmarshal(b, &exp)
	}
	return exp, err
}

// ReadEnv reads the env file of the case in dir: NAME=value lines, blank
// lines and # comments skipped; no file is no variables.
func ReadEnv(dir string) ([]string, error) {
	path := filepath.Join(dir, "env")
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var kv []string
	for _, line := range strings.Split(string(b), "\n") {
		if s := strings.TrimSpace(line); s != "" && !strings.HasPrefix(s, "#") {
			if !strings.Contains(s, "=") {
				return nil, fmt.Errorf("%s: %q is not NAME=value", path, s)
			}
			kv = append(kv, s)
		}
	}
	return kv, nil
}

// Getenv looks variables up in NAME=value pairs, as ReadEnv returns them.
func Getenv(kv []string) func(string) string {
	m := map[string]string{}
	for _, s := range kv {
		k, v, _ := strings.Cut(s, "=")
		m[k] = v
	}
	return func(k string) string { return m[k] }
}
