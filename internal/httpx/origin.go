// Package httpx holds the HTTP rules every client of provwatch that
// carries a credential keeps — the probes and the notification
// destinations — so that each rule exists once.
package httpx

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// RedirectError is a redirect refused because it leaves the origin the
// request was sent to: following it would carry the request's credential
// (a key header, a webhook URL's token) to another host.
type RedirectError struct {
	To string // the origin it pointed at, scheme://host:port
}

func (e *RedirectError) Error() string { return "redirected to another host " + e.To }

// SameOrigin returns an http.Client CheckRedirect that follows at most max
// redirects, each within the origin of the first request; any other is a
// *RedirectError.
func SameOrigin(max int) func(req *http.Request, via []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) >= max {
			return fmt.Errorf("stopped after %d redirects", len(via))
		}
		if Origin(req.URL) != Origin(via[0].URL) {
			return &RedirectError{To: Origin(req.URL)}
		}
		return nil
	}
}

// Origin is scheme://host:port with the default port made explicit, so that
// http://h and http://h:80 compare equal and http://h and https://h do not.
func Origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		switch scheme {
		case "http":
			port = "80"
		case "https":
			port = "443"
		}
	}
	return scheme + "://" + strings.ToLower(u.Hostname()) + ":" + port
}
