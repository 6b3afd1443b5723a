package configs

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// summaryOf is WriteSummary's text for an openclaw.json holding config,
// read with env, and the default settings.
func summaryOf(t *testing.T, config string, env map[string]string) string {
	t.Helper()
	dir := writeFiles(t, map[string]string{"openclaw.json": config})
	oc, err := LoadOpenClaw(context.Background(), Source{Path: filepath.Join(dir, "openclaw.json"), Getenv: envOf(env)})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := WriteSummary(&b, oc, DefaultSettings()); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestWriteSummary(t *testing.T) {
	t.Parallel()
	out := summaryOf(t, `{
  models: { providers: {
    ollama: { baseUrl: 'http://127.0.0.1:11434', models: [{ id: 'qwen3-coder', contextWindow: 128000 }] },
    lab: { baseUrl: 'http://gpu:8000/v1', apiKey: '${LAB_KEY}', headers: { 'X-Secret': 'hdr-secret-value' } },
  } },
  agents: { defaults: { model: { primary: 'ollama/qwen3-coder', fallbacks: ['groq/llama-3.3-70b-versatile', 'lab/coder', 'minimax/MiniMax-M2'] } } },
}`, map[string]string{"LAB_KEY": "sk-very-secret"})
	for _, secret := range []string{"sk-very-secret", "hdr-secret-value"} {
		if strings.Contains(out, secret) {
			t.Fatalf("summary leaks a secret:\n%s", out)
		}
	}
	for _, want := range []string{
		"  groq     groq               https://api.groq.com/openai/v1  missing (set GROQ_API_KEY)  built-in\n",
		"  lab      openai-compatible  http://gpu:8000/v1              set (LAB_KEY)",
		"  ollama   ollama             http://127.0.0.1:11434          none needed",
		"  minimax  unprobed           (none)",
		"  ollama/qwen3-coder  128000          -\n",
		"  defaults (agents.defaults.model)\n    primary     ollama/qwen3-coder\n    fallback 1  groq/llama-3.3-70b-versatile\n    fallback 2  lab/coder\n    fallback 3  minimax/MiniMax-M2\n",
		"  schedule               @every 1m\n",
		"  remediation.target     none\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}

// TestWriteSummaryHidesURLCredentials: the BASE URL column never shows a
// base URL's user:password or its query; the KEY column says where the
// credentials are instead.
func TestWriteSummaryHidesURLCredentials(t *testing.T) {
	t.Parallel()
	out := summaryOf(t, `{
  models: { providers: {
    lab: { baseUrl: 'http://alice:s3cretPassw0rd@gpu:8000/v1?key=QUERYSECRET123', models: [{ id: 'coder' }] },
    vault: { baseUrl: 'https://llm.example.test/v1', apiKey: { source: 'file', provider: 'vault', id: '/providers/vault/apiKey' } },
  } },
  agents: { defaults: { model: { primary: 'lab/coder', fallbacks: ['vault/m'] } } },
}`, nil)
	for _, secret := range []string{"s3cretPassw0rd", "QUERYSECRET123", "alice"} {
		if strings.Contains(out, secret) {
			t.Errorf("summary shows %q:\n%s", secret, out)
		}
	}
	for _, want := range []string{
		"  lab    openai-compatible  http://gpu:8000/v1           in baseUrl",
		"  vault  openai-compatible  https://llm.example.test/v1  from a file secret (only the gateway can read it)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}
