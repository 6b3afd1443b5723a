package ssmlite_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/provwatch/provwatch/internal/clock"
	"github.com/provwatch/provwatch/internal/ssmparam"
)

// The credentials the environment gives in these tests.
const (
	envKeyID  = "AKIAENVKEY0000000001"
	envSecret = "env/Secret+Access+Key/00000000000000000001"
	envToken  = "IQoJenv-session-token/with+slash=0001"
)

var t0 = time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)

// envFunc is a getenv over a map; HOME is a fresh directory, so no real
// shared config file is seen.
func envFunc(t *testing.T, m map[string]string) func(string) string {
	t.Helper()
	if _, ok := m["HOME"]; !ok {
		m["HOME"] = t.TempDir()
	}
	return func(k string) string { return m[k] }
}

// key is one set of credentials the fake SSM accepts.
type key struct {
	secret, token string
	expired       bool
}

// seen is one request the fake SSM accepted.
type seen struct{ KeyID, Token, Name string }

// fakeSSM answers GetParameter on loopback, as SSM does, after checking
// the request's signature with the SDK's signer against the keys it
// knows: a request signed wrongly is refused with the error AWS gives,
// whose message echoes the canonical request (the session token in it).
type fakeSSM struct {
	URL string

	mu      sync.Mutex
	keys    map[string]key
	params  map[string]ssmparam.Parameter
	secrets []string // every credential value handed out, for assertions
	seen    []seen
	n       int
	// script, when set, may answer request n (from 1) itself: it returns
	// true when it did.
	script func(n int, w http.ResponseWriter, r *http.Request) bool
}

func newFakeSSM(t *testing.T) *fakeSSM {
	t.Helper()
	f := &fakeSSM{keys: map[string]key{}, params: map[string]ssmparam.Parameter{}}
	f.addKey(envKeyID, envSecret, envToken)
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

func (f *fakeSSM) addKey(id, secret, token string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys[id] = key{secret: secret, token: token}
	f.secrets = append(f.secrets, id, secret)
	if token != "" {
		f.secrets = append(f.secrets, token)
	}
}

func (f *fakeSSM) expire(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := f.keys[id]
	k.expired = true
	f.keys[id] = k
}

func (f *fakeSSM) put(name string, p ssmparam.Parameter) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.params[name] = p
}

func (f *fakeSSM) requests() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.seen...)
}

func (f *fakeSSM) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

// noSecrets fails the test when err's text holds any credential handed out.
func (f *fakeSSM) noSecrets(t *testing.T, err error, more ...string) {
	t.Helper()
	if err == nil {
		return
	}
	f.mu.Lock()
	list := append(append([]string(nil), f.secrets...), more...)
	f.mu.Unlock()
	for _, s := range list {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("the error shows a credential (%.6s…): %v", s, err)
		}
	}
}

func awsError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Errortype", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}

func (f *fakeSSM) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.n++
	n, script := f.n, f.script
	f.mu.Unlock()
	if script != nil && script(n, w, r) {
		return
	}
	if r.Method != http.MethodPost || r.Header.Get("X-Amz-Target") != "AmazonSSM.GetParameter" ||
		r.Header.Get("Content-Type") != "application/x-amz-json-1.1" {
		awsError(w, 400, "UnknownOperationException", "")
		return
	}
	id, code, msg := f.verify(r, body)
	if code != "" {
		awsError(w, 400, code, msg)
		return
	}
	var in struct {
		Name           string
		WithDecryption bool
	}
	if err := json.Unmarshal(body, &in); err != nil || !in.WithDecryption {
		awsError(w, 400, "SerializationException", "")
		return
	}
	f.mu.Lock()
	f.seen = append(f.seen, seen{KeyID: id, Token: r.Header.Get("X-Amz-Security-Token"), Name: in.Name})
	p, ok := f.params[in.Name]
	f.mu.Unlock()
	if !ok {
		awsError(w, 400, "ParameterNotFound", "")
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(map[string]any{"Parameter": map[string]any{
		"ARN": "arn:aws:ssm:us-east-1:123456789012:parameter" + in.Name, "DataType": "text",
		"LastModifiedDate": 1.7739e9, "Name": in.Name, "Type": p.Type, "Value": p.Value, "Version": p.Version,
	}})
}

// verify checks the signature as AWS does and returns the access key id,
// or the error code and message AWS would answer.
func (f *fakeSSM) verify(r *http.Request, body []byte) (id, code, msg string) {
	auth := r.Header.Get("Authorization")
	cred := between(auth, "Credential=", ",")
	signedHeaders := between(auth, "SignedHeaders=", ",")
	scope := strings.Split(cred, "/")
	if len(scope) != 5 || scope[3] != "ssm" || scope[4] != "aws4_request" {
		return "", "IncompleteSignatureException", "Authorization header requires 'Credential' parameter."
	}
	id = scope[0]
	f.mu.Lock()
	k, ok := f.keys[id]
	f.mu.Unlock()
	token := r.Header.Get("X-Amz-Security-Token")
	if !ok || k.token != token {
		return "", "UnrecognizedClientException", "The security token included in the request is invalid."
	}
	if k.expired {
		return "", "ExpiredTokenException", "The security token included in the request is expired"
	}
	at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return "", "IncompleteSignatureException", "missing X-Amz-Date"
	}
	re, _ := http.NewRequest(r.Method, "http://"+r.Host+r.URL.Path, strings.NewReader(string(body)))
	re.Host = r.Host
	re.ContentLength = r.ContentLength
	for _, h := range strings.Split(signedHeaders, ";") {
		if h == "host" || h == "content-length" {
			continue
		}
		re.Header[textproto.CanonicalMIMEHeaderKey(h)] = r.Header.Values(h)
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: id, SecretAccessKey: k.secret, SessionToken: token},
		re, hex.EncodeToString(sum[:]), "ssm", scope[2], at); err != nil {
		return "", "InternalFailure", err.Error()
	}
	if re.Header.Get("Authorization") != auth {
		return "", "InvalidSignatureException", "The request signature we calculated does not match the signature you provided. " +
			"Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\n" +
			"The Canonical String for this request should have been\n'POST\n/\n\ncontent-type:application/x-amz-json-1.1\nhost:" + r.Host +
			"\nx-amz-date:" + r.Header.Get("X-Amz-Date") + "\nx-amz-security-token:" + token + "\n'"
	}
	return id, "", ""
}

func between(s, from, to string) string {
	_, rest, ok := strings.Cut(s, from)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, to)
	return strings.TrimSpace(v)
}

// minter hands out temporary credentials, a new set on each fetch, each
// registered with the fake SSM and expiring ttl after the fake clock's now.
type minter struct {
	ssm   *fakeSSM
	clock *clock.Fake
	ttl   time.Duration

	mu sync.Mutex
	n  int
}

type minted struct {
	KeyID, Secret, Token string
	Expires              time.Time
}

func (m *minter) mint() minted {
	m.mu.Lock()
	m.n++
	n := m.n
	m.mu.Unlock()
	c := minted{
		KeyID:   fmt.Sprintf("ASIAMINTED%010d", n),
		Secret:  fmt.Sprintf("minted/secret+%04d/xxxxxxxxxxxxxxxxxxxxxxxx", n),
		Token:   fmt.Sprintf("IQoJminted-token-%04d/yyyyyyyyyyyyyyyyyyyy==", n),
		Expires: m.clock.Now().Add(m.ttl),
	}
	m.ssm.addKey(c.KeyID, c.Secret, c.Token)
	return c
}

func (m *minter) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.n
}
