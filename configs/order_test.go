package configs

import (
	"encoding/json"
	"testing"
)

func TestOrderJSON(t *testing.T) {
	t.Parallel()
	b, _ := json.Marshal(Order{Primary: "a/b"})
	if string(b) != `{"primary":"a/b","fallbacks":[]}` {
		t.Fatalf("marshal = %s", b)
	}
	good := map[string]Order{
		`{"primary":"a/b","fallbacks":["c/d"]}`:  {Primary: "a/b", Fallbacks: []string{"c/d"}},
		` "a/b" `:                                {Primary: "a/b", Fallbacks: []string{}},
		`{"primary":"a/b"}`:                      {Primary: "a/b", Fallbacks: []string{}},
		`{"primary":"a/b","fallbacks":[],"x":1}`: {Primary: "a/b", Fallbacks: []string{}},
	}
	for in, want := range good {
		got, err := ParseOrder([]byte(in))
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseOrder(%s) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{``, `null`, `42`, `{}`, `{"primary":""}`, `{"primary":1}`, `{"primary":"a/b","fallbacks":"c/d"}`, `{"primary":"a/b","fallbacks":[""]}`, `""`, `{"primary":"a/b"`} {
		if _, err := ParseOrder([]byte(in)); err == nil {
			t.Errorf("ParseOrder(%q) accepted", in)
		}
	}
}
