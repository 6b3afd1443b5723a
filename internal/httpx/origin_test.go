package httpx

import (
	"errors"
	"net/http"
	"net/url"
	"testing"
)

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestOrigin(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"http://h/x", "http://h:80/y", true},
		{"https://H/x", "https://h:443/", true},
		{"http://h/x", "https://h/x", false},
		{"http://h:8080/", "http://h:8081/", false},
		{"http://h/", "http://h.evil/", false},
		{"http://u:p@h/", "http://h/", true},
	} {
		a, b := mustURL(t, tc.a), mustURL(t, tc.b)
		if got := Origin(a) == Origin(b); got != tc.same {
			t.Errorf("Origin(%s) == Origin(%s): %v, want %v", tc.a, tc.b, got, tc.same)
		}
	}
}

func TestSameOrigin(t *testing.T) {
	t.Parallel()
	check := SameOrigin(3)
	first := &http.Request{URL: mustURL(t, "http://a/hook")}
	err := check(&http.Request{URL: mustURL(t, "http://b/")}, []*http.Request{first})
	var re *RedirectError
	if !errors.As(err, &re) || re.To != "http://b:80" {
		t.Errorf("redirect to another host: %v, want a *RedirectError to http://b:80", err)
	}
	if err := check(&http.Request{URL: mustURL(t, "http://a:80/moved")}, []*http.Request{first}); err != nil {
		t.Errorf("redirect within the origin refused: %v", err)
	}
	three := []*http.Request{first, first, first}
	if err := check(&http.Request{URL: mustURL(t, "http://a/again")}, three); err == nil || errors.As(err, &re) {
		t.Errorf("a fourth redirect: %v, want stopped after 3", err)
	}
}
