package remediate

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/internal/ssmparam"
)

func TestOpenStoreResolvesAuto(t *testing.T) {
	t.Parallel()
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	fake := fakeSSMAPI{}
	tests := []struct {
		spec, cmd, target, want string
	}{
		{"auto", "run", "ssm:/openclaw/model", "memory"},
		{"", "check", "file:/srv/order.json", "memory"},
		{"auto", "once", "ssm:/openclaw/model", "ssm:/openclaw/model-state"},
		{"auto", "once", "file:/srv/order.json", "file:/srv/order.json.state"},
		{"auto", "once", "openclaw:/home/u/.openclaw/openclaw.json", "file:/home/u/.openclaw/openclaw.json.provwatch-state"},
		{"auto", "once", "none", "file:" + filepath.Join(cache, "provwatch", "state.json")},
		{"memory", "once", "ssm:/x", "memory"},
		{"file:/var/lib/provwatch/state.json", "run", "", "file:/var/lib/provwatch/state.json"},
		{"ssm:/pw/state", "run", "", "ssm:/pw/state"},
	}
	for _, tc := range tests {
		st, err := OpenStore(loc(tc.spec), tc.cmd, loc(tc.target), fake)
		if err != nil || st.String() != tc.want {
			t.Errorf("OpenStore(%q, %q, %q) = %v, %v; want %s", tc.spec, tc.cmd, tc.target, st, err, tc.want)
		}
	}
	if _, err := OpenStore(loc("ssm:/x"), "once", loc(""), nil); err == nil {
		t.Error("ssm: store without a client accepted")
	}
}

// loc parses a target or state spec as the settings do; "" is the zero Location.
func loc(s string) configs.Location {
	if s == "" {
		return configs.Location{}
	}
	l, err := configs.ParseLocation(s, configs.SchemeNone, configs.SchemeAuto, configs.SchemeMemory, configs.SchemeSSM, configs.SchemeFile, configs.SchemeOpenClaw)
	if err != nil {
		panic(err)
	}
	return l
}

// fakeSSMAPI is only for resolution tests: it is never called.
type fakeSSMAPI struct{ ssmparam.Client }

func TestFileStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "nested", "state.json")
	st, _ := OpenStore(loc("file:"+path), "run", loc(""), nil)
	if b, err := st.Load(ctx); b != nil || err != nil {
		t.Fatalf("Load before any save = %q, %v", b, err)
	}
	for _, v := range []string{`{"version":1,"refs":{}}`, `{"version":1,"refs":{"a/b":{}}}`} {
		if err := st.Save(ctx, []byte(v)); err != nil {
			t.Fatal(err)
		}
		if b, err := st.Load(ctx); string(b) != v || err != nil {
			t.Fatalf("Load = %q, %v", b, err)
		}
	}
	// No temp files left behind.
	ents, _ := os.ReadDir(filepath.Dir(path))
	if len(ents) != 1 {
		t.Fatalf("directory holds %d entries", len(ents))
	}
	mem, _ := OpenStore(loc("memory"), "run", loc(""), nil)
	mem.Save(ctx, []byte("x"))
	if b, _ := mem.Load(ctx); string(b) != "x" {
		t.Fatalf("memory Load = %q", b)
	}
}

func TestFileTarget(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "order.json")
	tg, err := OpenTarget(loc("file:"+path), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, exists, err := readDefaults(ctx, tg); exists || err != nil {
		t.Fatalf("Read of a missing file = %v, %v", exists, err)
	}
	o := configs.Order{Primary: "openrouter/google/gemini-flash-1.5", Fallbacks: []string{"ollama/qwen3-coder"}}
	if err := writeDefaults(ctx, tg, o, "why"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if string(b) != `{"primary":"openrouter/google/gemini-flash-1.5","fallbacks":["ollama/qwen3-coder"]}`+"\n" {
		t.Fatalf("file holds %q", b)
	}
	if got, exists, err := readDefaults(ctx, tg); !exists || err != nil || !got.Equal(o) {
		t.Fatalf("Read = %v %v %v", got, exists, err)
	}
	os.Chmod(path, 0o600)
	if err := writeDefaults(ctx, tg, configs.Order{Primary: "a/b"}, ""); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Fatalf("rewrite changed permissions to %v", st.Mode())
	}
	if err := writeDefaults(ctx, tg, configs.Order{}, ""); err == nil {
		t.Fatal("an empty order was written")
	}
	os.WriteFile(path, []byte("primary: a/b\n"), 0o644)
	if _, _, err := readDefaults(ctx, tg); err == nil || !strings.Contains(err.Error(), "file:"+path) || !strings.Contains(err.Error(), "primary: a/b") {
		t.Fatalf("Read of a malformed file = %v", err)
	}
}

func TestOpenTarget(t *testing.T) {
	t.Parallel()
	for spec, want := range map[string]string{"": "none", "none": "none", "file:/x/o.json": "file:/x/o.json", "openclaw:/x/openclaw.json": "openclaw:/x/openclaw.json", "ssm:/openclaw/model": "ssm:/openclaw/model"} {
		tg, err := OpenTarget(loc(spec), fakeSSMAPI{})
		if err != nil || tg.String() != want {
			t.Errorf("OpenTarget(%q) = %v, %v", spec, tg, err)
		}
	}
	if _, err := OpenTarget(loc("ssm:/x"), nil); err == nil {
		t.Error("ssm: target without a client accepted")
	}
	none, _ := OpenTarget(loc("none"), nil)
	if _, exists, err := readDefaults(context.Background(), none); exists || err != nil || !IsNone(none) {
		t.Fatal("none target")
	}
	if err := writeDefaults(context.Background(), none, configs.Order{Primary: "a/b"}, ""); err != nil {
		t.Fatal(err)
	}
}
