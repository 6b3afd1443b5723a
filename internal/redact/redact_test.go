package redact

import (
	"encoding/base64"
	"testing"
)

func TestURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"http://10.0.1.5:11434", "http://10.0.1.5:11434"},
		{"https://alice:s3cretPassw0rd@llm.example.test/v1", "https://llm.example.test/v1"},
		{"https://ghp_TOKENasUSER0123@llm.example.test/v1", "https://llm.example.test/v1"},
		{"https://llm.example.test/v1?key=AIzaQUERYKEY&api-version=2024-06-01", "https://llm.example.test/v1"},
		{"https://llm.example.test/v1#frag-s3cret", "https://llm.example.test/v1"},
		{"https://a:b@h/v1?", "https://h/v1"},
		{"http://us%zzer:pass@h/", "(URL not shown: it does not parse)"},
		{"", ""},
	} {
		if got := URL(tc.in); got != tc.want {
			t.Errorf("URL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestHasCredentials(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"http://127.0.0.1:11434", false},
		{"https://alice:pw@h/v1", true},
		{"https://TOKEN@h/v1", true},
		{"https://h/v1?api_key=abcd", true},
		{"https://h/v1?API_KEY=abcd", true},
		{"https://h/v1?X-Amz-Signature=abcd", true},
		{"https://h/v1?api-version=2024-06-01", false},
	} {
		if got := HasCredentials(tc.in); got != tc.want {
			t.Errorf("HasCredentials(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// TestSecretsFromURL: every credential-bearing part of a URL, and the
// Authorization header Go's client derives from its userinfo, is cut from
// echoed text.
func TestSecretsFromURL(t *testing.T) {
	t.Parallel()
	var s Secrets
	s.AddURL("http://alice:s3cret%2FPassw0rd@127.0.0.1:8000/v1?key=QUERYSECRET123&api-version=2024-06-01")
	basic := base64.StdEncoding.EncodeToString([]byte("alice:s3cret/Passw0rd"))
	for _, tc := range []struct{ in, want string }{
		{"pw s3cret/Passw0rd", "pw [redacted]"},
		{"escaped s3cret%2FPassw0rd", "escaped [redacted]"},
		{"json s3cret\\/Passw0rd", "json [redacted]"},
		{"auth Basic " + basic + " seen", "auth Basic [redacted] seen"},
		{"pair alice:s3cret/Passw0rd", "pair [redacted]"},
		{"url /v1/models?key=QUERYSECRET123", "url /v1/models?key=[redacted]"},
		{"version 2024-06-01 is kept, and so is alice", "version 2024-06-01 is kept, and so is alice"},
	} {
		if got := s.String(tc.in); got != tc.want {
			t.Errorf("String(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSecretsTokenAsUser(t *testing.T) {
	t.Parallel()
	var s Secrets
	s.AddURL("https://ghp_TOKENasUSER0123@h/v1")
	if got := s.String("user ghp_TOKENasUSER0123 rejected"); got != "user [redacted] rejected" {
		t.Errorf("token in the user name survived: %q", got)
	}
	basic := base64.StdEncoding.EncodeToString([]byte("ghp_TOKENasUSER0123:"))
	if got := s.String("Basic " + basic); got != "Basic [redacted]" {
		t.Errorf("Basic header of a user-only URL survived: %q", got)
	}
}

func TestSecretsFromHeaders(t *testing.T) {
	t.Parallel()
	var s Secrets
	s.AddHeader("Bearer hdr-SECRET-VALUE-42")
	s.AddHeader("Basic " + base64.StdEncoding.EncodeToString([]byte("bob:hunter2hunter2")))
	for _, tc := range []struct{ in, want string }{
		{"token hdr-SECRET-VALUE-42 rejected", "token [redacted] rejected"},
		{"Authorization: Bearer hdr-SECRET-VALUE-42", "Authorization: [redacted]"},
		{"password hunter2hunter2", "password [redacted]"},
		{"user bob:hunter2hunter2", "user [redacted]"},
	} {
		if got := s.String(tc.in); got != tc.want {
			t.Errorf("String(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSecretsIgnoreShortValues(t *testing.T) {
	t.Parallel()
	var s Secrets
	s.Add("pw")
	s.Add("")
	if !s.Empty() {
		t.Fatalf("values shorter than %d characters were recorded", MinLen)
	}
	if got := s.String("pw stays"); got != "pw stays" {
		t.Errorf("String = %q", got)
	}
}

func TestBytesReturnsTheSameSliceWhenClean(t *testing.T) {
	t.Parallel()
	var s Secrets
	s.Add("sk-test-SECRETKEY-0123456789")
	b := []byte(`{"error":"nothing secret"}`)
	if got := s.Bytes(b); &got[0] != &b[0] {
		t.Error("a clean body was copied")
	}
	if got := string(s.Bytes([]byte(`{"error":"key sk-test-SECRETKEY-0123456789"}`))); got != `{"error":"key [redacted]"}` {
		t.Errorf("Bytes = %s", got)
	}
}
