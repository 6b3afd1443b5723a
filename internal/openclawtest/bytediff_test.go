package openclawtest_test

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/provwatch/provwatch/configs/json5"
)

// valueChange is one value that differs between two versions of a file:
// its key path in the file (an $include's own path when the file is
// included) and the node in each version.
type valueChange struct {
	path     string
	old, new *json5.Node
}

// changedValues lists the smallest values that differ between old and new,
// walking both trees together: an object with the same keys in the same
// order, or an array of the same length, is compared member by member;
// anything else that is not byte for byte the same is one change.
func changedValues(old, new []byte) ([]valueChange, error) {
	a, err := json5.Parse(old)
	if err != nil {
		return nil, fmt.Errorf("the old file does not parse: %w", err)
	}
	b, err := json5.Parse(new)
	if err != nil {
		return nil, fmt.Errorf("the new file does not parse: %w", err)
	}
	var out []valueChange
	var walk func(path string, a, b *json5.Node)
	walk = func(path string, a, b *json5.Node) {
		switch {
		case chainValue.MatchString(path) && a.Kind == json5.KindArray:
			// A fallbacks array is rewritten whole: one change.
			if !bytes.Equal(old[a.Start:a.End], new[b.Start:b.End]) {
				out = append(out, valueChange{path, a, b})
			}
		case a.Kind == json5.KindObject && b.Kind == json5.KindObject && sameKeys(a, b):
			for i := range a.Fields {
				walk(joinPath(path, a.Fields[i].Key), a.Fields[i].Value, b.Fields[i].Value)
			}
		case a.Kind == json5.KindArray && b.Kind == json5.KindArray && len(a.Items) == len(b.Items):
			for i := range a.Items {
				walk(fmt.Sprintf("%s[%d]", path, i), a.Items[i], b.Items[i])
			}
		case !bytes.Equal(old[a.Start:a.End], new[b.Start:b.End]):
			out = append(out, valueChange{path, a, b})
		}
	}
	walk("", a, b)
	return out, nil
}

func sameKeys(a, b *json5.Node) bool {
	return slices.EqualFunc(a.Fields, b.Fields, func(x, y json5.Field) bool { return x.Key == y.Key })
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// spliceBack puts each change's old text back into new. The result is old,
// byte for byte, exactly when nothing outside the changed values differs
// (comments, layout, key spelling, line endings, a BOM).
func spliceBack(old, new []byte, changes []valueChange) []byte {
	cs := slices.Clone(changes)
	slices.SortFunc(cs, func(x, y valueChange) int { return x.new.Start - y.new.Start })
	var out []byte
	at := 0
	for _, c := range cs {
		out = append(out, new[at:c.new.Start]...)
		out = append(out, old[c.old.Start:c.old.End]...)
		at = c.new.End
	}
	return append(out, new[at:]...)
}

// chainValue matches the paths a chain rewrite may change: a model value,
// its primary or its fallbacks (in an included file the path starts inside
// it: a model value's own file has primary and fallbacks at its root).
var chainValue = regexp.MustCompile(`(^|\.)(model|primary|fallbacks)$`)

// allowlistValue matches agents.defaults.models, which a rewrite with the
// allowlist option extends (or, in an included file, its part of it).
var allowlistValue = regexp.MustCompile(`(^|\.)models$`)

// outsideChanges says what changed in a file beyond what a rewrite of
// chains (and, with allowlist, of agents.defaults.models) may change; ""
// when nothing did.
func outsideChanges(old, new []byte, allowlist bool) string {
	changes, err := changedValues(old, new)
	if err != nil {
		return err.Error()
	}
	var bad []string
	for _, c := range changes {
		if !chainValue.MatchString(c.path) && !(allowlist && allowlistValue.MatchString(c.path)) {
			bad = append(bad, fmt.Sprintf("%s: %s became %s", orRoot(c.path), old[c.old.Start:c.old.End], new[c.new.Start:c.new.End]))
		}
	}
	if back := spliceBack(old, new, changes); !bytes.Equal(back, old) {
		i := 0
		for i < len(back) && i < len(old) && back[i] == old[i] {
			i++
		}
		bad = append(bad, fmt.Sprintf("bytes outside the changed values differ from offset %d: %q, was %q", i, snippet(back, i), snippet(old, i)))
	}
	return strings.Join(bad, "; ")
}

// droppedComments lists the comments of old that new no longer has (a
// rewritten fallbacks array does not keep the comments inside it).
func droppedComments(old, new []byte) []string {
	have := map[string]int{}
	for _, c := range comments(new) {
		have[c]++
	}
	var out []string
	for _, c := range comments(old) {
		if have[c] > 0 {
			have[c]--
			continue
		}
		out = append(out, c)
	}
	return out
}

// comments lists a JSON5 document's comments, outside strings.
func comments(src []byte) []string {
	var out []string
	for i := 0; i < len(src); i++ {
		switch c := src[i]; {
		case c == '"' || c == '\'':
			for i++; i < len(src) && src[i] != c; i++ {
				if src[i] == '\\' {
					i++
				}
			}
		case c == '/' && i+1 < len(src) && src[i+1] == '/':
			end := bytes.IndexAny(src[i:], "\r\n")
			if end < 0 {
				end = len(src) - i
			}
			out = append(out, string(src[i:i+end]))
			i += end
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			end := bytes.Index(src[i+2:], []byte("*/"))
			if end < 0 {
				end = len(src) - i - 4
			}
			out = append(out, string(src[i:i+end+4]))
			i += end + 3
		}
	}
	return out
}

func orRoot(path string) string {
	if path == "" {
		return "(the whole file)"
	}
	return path
}

func snippet(b []byte, i int) []byte {
	end := min(i+40, len(b))
	return b[i:end]
}

func TestOutsideChanges(t *testing.T) {
	t.Parallel()
	const old = "\xef\xbb\xbf// keep me\r\n{\r\n  agents: { defaults: {\r\n    model: { primary: 'ollama/qwen3', fallbacks: ['openai/gpt-4.1'] }, // mine\r\n    models: { 'ollama/qwen3': {} },\r\n  } },\r\n}\r\n"
	cases := []struct {
		name      string
		new       string
		allowlist bool
		want      string
	}{
		{"unchanged", old, false, ""},
		{"chain reordered",
			strings.Replace(old, "primary: 'ollama/qwen3', fallbacks: ['openai/gpt-4.1']", "primary: 'openai/gpt-4.1', fallbacks: ['ollama/qwen3']", 1), false, ""},
		{"fallbacks array rewritten with a comment inside",
			strings.Replace(old, "['openai/gpt-4.1']", "[\r\n 'openai/gpt-4.1', // why\r\n]", 1), false, ""},
		{"comment added after the primary",
			strings.Replace(old, "'ollama/qwen3', fallbacks", "'ollama/qwen3' /* moved */, fallbacks", 1), false,
			`bytes outside the changed values differ from offset 79: " /* moved */, fallbacks: ['openai/gpt-4.", was ", fallbacks: ['openai/gpt-4.1'] }, // mi"`},
		{"string model became an object",
			strings.Replace(old, "{ primary: 'ollama/qwen3', fallbacks: ['openai/gpt-4.1'] }", "'openai/gpt-4.1'", 1), false, ""},
		{"comment dropped",
			strings.Replace(old, " // mine", "", 1), false,
			`bytes outside the changed values differ from offset 113: "\r\n    models: { 'ollama/qwen3': {} },\r\n ", was " // mine\r\n    models: { 'ollama/qwen3': "`},
		{"line endings changed",
			strings.ReplaceAll(old, "\r\n", "\n"), false,
			`bytes outside the changed values differ from offset 13: "\n{\n  agents: { defaults: {\n    model: { ", was "\r\n{\r\n  agents: { defaults: {\r\n    model:"`},
		{"key requoted",
			strings.Replace(old, "agents:", `"agents":`, 1), false,
			`bytes outside the changed values differ from offset 20: "\"agents\": { defaults: {\r\n    model: { pr", was "agents: { defaults: {\r\n    model: { prim"`},
		{"allowlist extended without the option",
			strings.Replace(old, "'ollama/qwen3': {} }", "'ollama/qwen3': {}, 'openai/gpt-4.1': {} }", 1), false,
			`agents.defaults.models: { 'ollama/qwen3': {} } became { 'ollama/qwen3': {}, 'openai/gpt-4.1': {} }`},
		{"allowlist extended with the option",
			strings.Replace(old, "'ollama/qwen3': {} }", "'ollama/qwen3': {}, 'openai/gpt-4.1': {} }", 1), true, ""},
		{"another value changed",
			strings.Replace(old, "defaults: {", "defaults: { timeoutSeconds: 5,", 1), false,
			"agents.defaults: {\r\n    model: { primary: 'ollama/qwen3', fallbacks: ['openai/gpt-4.1'] }, // mine\r\n    models: { 'ollama/qwen3': {} },\r\n  } became " +
				"{ timeoutSeconds: 5,\r\n    model: { primary: 'ollama/qwen3', fallbacks: ['openai/gpt-4.1'] }, // mine\r\n    models: { 'ollama/qwen3': {} },\r\n  }"},
		{"no longer parses", "{", false, "the new file does not parse: " + mustParseErr("{")},
	}
	for _, tc := range cases {
		if got := outsideChanges([]byte(old), []byte(tc.new), tc.allowlist); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

func TestDroppedComments(t *testing.T) {
	t.Parallel()
	cases := []struct {
		old, new string
		want     []string
	}{
		{"{a: ['x', // why x\n'y'] /* end */}", "{a: ['y', 'x'] /* end */}", []string{"// why x"}},
		{"{a: 'not // a comment', /* one */ b: 1}", "{a: 'not // a comment', /* one */ b: 2}", nil},
		{"{a: \"q\\\"// no\", b: 1} // yes", "{a: \"q\\\"// no\", b: 1}", []string{"// yes"}},
		{"// same\r\n// same\r\n{}", "// same\r\n{}", []string{"// same"}},
	}
	for _, tc := range cases {
		if got := droppedComments([]byte(tc.old), []byte(tc.new)); !slices.Equal(got, tc.want) {
			t.Errorf("droppedComments(%q, %q) = %q, want %q", tc.old, tc.new, got, tc.want)
		}
	}
}

func mustParseErr(s string) string {
	_, err := json5.Parse([]byte(s))
	return err.Error()
}
