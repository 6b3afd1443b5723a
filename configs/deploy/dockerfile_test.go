package deploy

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	Cmd  string // upper-cased: FROM, RUN, …
	Args string // the rest of the line
	Line int
}

// parseDockerfile splits a Dockerfile into instructions: comments and
// parser directives dropped, `\` continuations joined (comment lines inside
// a continuation are skipped, as BuildKit does). A continuation still open
// at the end of the file is an error.
func parseDockerfile(src string) ([]instruction, error) {
	var out []instruction
	var cur strings.Builder
	start := 0
	for i, raw := range strings.Split(src, "\n") {
		line := strings.TrimSpace(raw)
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		if cur.Len() == 0 {
			start = i + 1
		}
		cont := strings.HasSuffix(line, `\`)
		cur.WriteString(strings.TrimSuffix(line, `\`))
		if cont {
			cur.WriteString(" ")
			continue
		}
		cmd, args, _ := strings.Cut(strings.TrimSpace(cur.String()), " ")
		cur.Reset()
		if cmd == "" {
			continue
		}
		if !regexp.MustCompile(`^[A-Za-z]+$`).MatchString(cmd) {
			return nil, fmt.Errorf("line %d: %q is not an instruction", start, cmd)
		}
		out = append(out, instruction{Cmd: strings.ToUpper(cmd), Args: strings.TrimSpace(args), Line: start})
	}
	if cur.Len() > 0 {
		return nil, fmt.Errorf("line %d: continuation runs past the end of the file", start)
	}
	return out, nil
}

// execForm decodes a JSON-array (exec form) argument; ok is false for the
// shell form, which needs /bin/sh — absent from distroless.
func execForm(args string) ([]string, bool) {
	var v []string
	if err := json.Unmarshal([]byte(args), &v); err != nil {
		return nil, false
	}
	return v, true
}

// stage is one FROM and the instructions under it.
type stage struct {
	Image, Name string
	Body        []instruction
}

func stagesOf(ins []instruction) []stage {
	var out []stage
	for _, in := range ins {
		if in.Cmd == "FROM" {
			var f []string
			for _, w := range strings.Fields(in.Args) {
				if !strings.HasPrefix(w, "--") { // --platform=…
					f = append(f, w)
				}
			}
			s := stage{}
			if len(f) > 0 {
				s.Image = f[0]
			}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				s.Name = f[2]
			}
			out = append(out, s)
			continue
		}
		if len(out) > 0 {
			out[len(out)-1].Body = append(out[len(out)-1].Body, in)
		}
	}
	return out
}

// imageTag returns the tag of an image reference ("" when unpinned).
func imageTag(ref string) string {
	ref, _, _ = strings.Cut(ref, "@")
	slash := strings.LastIndex(ref, "/")
	if i := strings.LastIndex(ref, ":"); i > slash {
		return ref[i+1:]
	}
	return ""
}

// checkDockerfile returns every way the Dockerfile misses docs/deploy.md's
// container contract.
func checkDockerfile(src string) []string {
	var problems []string
	add := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	ins, err := parseDockerfile(src)
	if err != nil {
		return []string{err.Error()}
	}
	stages := stagesOf(ins)
	if len(stages) < 2 {
		return []string{fmt.Sprintf("%d stages, want a build stage and a runtime stage", len(stages))}
	}
	names := map[string]bool{}
	for _, s := range stages {
		if names[s.Image] {
			continue // FROM an earlier stage
		}
		switch tag := imageTag(s.Image); {
		case tag == "" && !strings.Contains(s.Image, "@sha256:"):
			add("base image %q is not pinned by tag", s.Image)
		case tag == "latest":
			add("base image %q uses :latest", s.Image)
		}
		if s.Name != "" {
			names[s.Name] = true
		}
	}

	build := stages[0]
	if !strings.HasPrefix(build.Image, "golang:1.26") {
		add("build stage FROM %s, want golang:1.26", build.Image)
	}
	// Each binary (provwatch, and provwatch-follow for gateway images) is
	// built static, stripped and stamped.
	built := map[string]bool{}
	for _, in := range build.Body {
		if in.Cmd != "RUN" || !strings.Contains(in.Args, "go build") {
			continue
		}
		fields := strings.Fields(in.Args)
		target := fields[len(fields)-1]
		built[target] = true
		for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-s -w", "-X main.version=${VERSION}", "-X main.commit=${COMMIT}"} {
			if !strings.Contains(in.Args, want) {
				add("the go build RUN of %s lacks %q", target, want)
			}
		}
	}
	for _, target := range []string{"./cmd/provwatch", "./cmd/provwatch-follow"} {
		if !built[target] {
			add("no RUN builds %s", target)
		}
	}

	final := stages[len(stages)-1]
	if final.Image != "gcr.io/distroless/static-debian12:nonroot" {
		add("runtime stage FROM %s, want gcr.io/distroless/static-debian12:nonroot", final.Image)
	}
	last := map[string]instruction{}
	var copied bool
	for _, in := range final.Body {
		last[in.Cmd] = in
		if in.Cmd == "COPY" && strings.HasPrefix(in.Args, "--from="+build.Name+" ") && strings.HasSuffix(in.Args, " /provwatch") {
			copied = true
		}
	}
	if !copied {
		add("the runtime stage does not COPY --from=%s … /provwatch", build.Name)
	}
	if u, ok := last["USER"]; !ok || strings.HasPrefix(u.Args, "root") || strings.HasPrefix(u.Args, "0") {
		add("USER %q: the runtime stage must run as the non-root user", u.Args)
	}
	if e, ok := last["EXPOSE"]; !ok || !slices.Contains(strings.Fields(e.Args), "9464") {
		add("EXPOSE 9464 missing")
	}
	hc := last["HEALTHCHECK"].Args
	i := strings.Index(hc, "CMD ")
	if i < 0 {
		add("HEALTHCHECK CMD missing")
	} else if argv, ok := execForm(hc[i+4:]); !ok || !slices.Equal(argv, []string{"/provwatch", "healthcheck"}) {
		add("HEALTHCHECK runs %q, want exec form [\"/provwatch\",\"healthcheck\"] (no shell in distroless)", hc[i+4:])
	}
	for cmd, want := range map[string][]string{"ENTRYPOINT": {"/provwatch"}, "CMD": {"run"}} {
		argv, ok := execForm(last[cmd].Args)
		if !ok || !slices.Equal(argv, want) {
			add("%s %q, want exec form %q", cmd, last[cmd].Args, want)
		}
	}
	return problems
}

func readDockerfile(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDockerfile(t *testing.T) {
	t.Parallel()
	for _, p := range checkDockerfile(readDockerfile(t)) {
		t.Error(p)
	}
}

// TestCheckDockerfileCatchesMistakes mutates the real Dockerfile one way at a
// time: each mutation must be reported.
func TestCheckDockerfileCatchesMistakes(t *testing.T) {
	t.Parallel()
	good := readDockerfile(t)
	cases := []struct{ name, old, new, want string }{
		{"unpinned builder", "golang:1.26-bookworm", "golang", "not pinned"},
		{"latest runtime", "static-debian12:nonroot", "static-debian12:latest", "runtime stage FROM"},
		{"root user", "USER nonroot:nonroot", "USER root", "non-root"},
		{"shell-form healthcheck", `CMD ["/provwatch", "healthcheck"]`, "CMD /provwatch healthcheck", "HEALTHCHECK runs"},
		{"shell-form entrypoint", `ENTRYPOINT ["/provwatch"]`, "ENTRYPOINT /provwatch", "ENTRYPOINT"},
		{"cgo on", "CGO_ENABLED=0", "CGO_ENABLED=1", "CGO_ENABLED=0"},
		{"no follow binary", "./cmd/provwatch-follow", "./cmd/provwatch", "no RUN builds ./cmd/provwatch-follow"},
		{"no version stamp", "-X main.version=${VERSION}", "", "main.version"},
		{"no expose", "EXPOSE 9464", "EXPOSE 8080", "EXPOSE 9464"},
		{"default CMD", `CMD ["run"]`, `CMD ["once"]`, "CMD"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if !strings.Contains(good, c.old) {
				t.Fatalf("the Dockerfile no longer contains %q; update this case", c.old)
			}
			problems := checkDockerfile(strings.Replace(good, c.old, c.new, 1))
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, c.want) }) {
				t.Errorf("not reported (want %q); got %q", c.want, problems)
			}
		})
	}
}

func TestParseDockerfile(t *testing.T) {
	t.Parallel()
	src := "# syntax=docker/dockerfile:1\nFROM a:1 AS b\nRUN x \\\n  # note\n  y\n\nhealthcheck CMD [\"z\"]\n"
	got, err := parseDockerfile(src)
	if err != nil {
		t.Fatal(err)
	}
	want := []instruction{{"FROM", "a:1 AS b", 2}, {"RUN", "x  y", 3}, {"HEALTHCHECK", `CMD ["z"]`, 7}}
	if !slices.Equal(got, want) {
		t.Errorf("parseDockerfile = %+v, want %+v", got, want)
	}
	if _, err := parseDockerfile("FROM a:1\nRUN x \\\n"); err == nil {
		t.Error("a dangling continuation was accepted")
	}
}
