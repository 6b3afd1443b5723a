package ssmlite

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/provwatch/provwatch/internal/redact"
	"github.com/provwatch/provwatch/internal/ssmparam"
	"github.com/provwatch/provwatch/internal/text"
)

// APIError is an error answer from SSM. Its text names the parameter, the
// AWS error code and message, and what to check; never a credential (AWS
// echoes the canonical request, session token included, in a signature
// error: the message is redacted and cut).
type APIError struct {
	Name    string // the parameter
	Status  int    // HTTP status
	Code    string // AWS error code, without its namespace: "AccessDeniedException"
	Message string // AWS's message, redacted and cut
	Region  string
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	return fmt.Sprintf("ssm GetParameter %s in %s: %s: %s%s", e.Name, e.Region, e.Code, msg, e.hint())
}

// Unwrap makes a missing parameter errors.Is ssmparam.ErrNotFound.
func (e *APIError) Unwrap() error {
	if e.Code == "ParameterNotFound" {
		return ssmparam.ErrNotFound
	}
	return nil
}

func (e *APIError) hint() string {
	switch e.Code {
	case "ParameterNotFound":
		return " (check the name and the region: " + e.Region + ")"
	case "AccessDeniedException":
		return " (check that the role or user allows ssm:GetParameter on this parameter, and kms:Decrypt on its key for a SecureString)"
	case "UnrecognizedClientException", "InvalidClientTokenId":
		return " (the access key is unknown to AWS in " + e.Region + ": check the credentials, and that the region is in their partition)"
	case "InvalidSignatureException", "SignatureDoesNotMatch":
		return " (check the secret access key, and this machine's clock)"
	case "ExpiredTokenException":
		return " (the session token expired and fresh credentials did not help: check the credential source)"
	case "ValidationException":
		return " (check the parameter name: a path like /openclaw/model-order)"
	}
	if strings.HasPrefix(e.Code, "KMS") || e.Code == "InvalidKeyId" {
		return " (check kms:Decrypt on the parameter's key)"
	}
	if e.Status >= 500 || throttlingCodes[e.Code] {
		return " (retried; AWS kept failing: try again later)"
	}
	return " (check the region, the endpoint and the credentials)"
}

// throttlingCodes and transientCodes are retried, as the SDK's standard
// retryer retries them, besides every 5xx.
var throttlingCodes = map[string]bool{
	"Throttling": true, "ThrottlingException": true, "ThrottledException": true,
	"RequestThrottledException": true, "TooManyRequestsException": true,
	"RequestLimitExceeded": true, "RequestThrottled": true, "SlowDown": true,
}

var transientCodes = map[string]bool{
	"RequestTimeout": true, "RequestTimeoutException": true,
	"InternalServerError": true, "ServiceUnavailable": true,
}

// retryable says whether another try of the call may succeed.
func (e *APIError) retryable() bool {
	return e.Status >= 500 || e.Status == http.StatusTooManyRequests || throttlingCodes[e.Code] || transientCodes[e.Code]
}

// parseAPIError reads an awsJson1.1 error answer: {"__type": "…#Code",
// "message": …}, the code also in X-Amzn-Errortype.
func parseAPIError(name, region string, status int, header http.Header, body []byte, sec *redact.Secrets) *APIError {
	var doc struct {
		Type     string `json:"__type"`
		Code     string `json:"code"`
		Message  string `json:"message"`
		MessageU string `json:"Message"`
	}
	_ = json.Unmarshal(body, &doc)
	code := doc.Type
	if code == "" {
		code = doc.Code
	}
	if code == "" {
		code = header.Get("X-Amzn-Errortype")
	}
	code = sanitizeCode(code)
	if code == "" {
		code = fmt.Sprintf("HTTP %d", status)
	}
	msg := doc.Message
	if msg == "" {
		msg = doc.MessageU
	}
	return &APIError{Name: name, Status: status, Code: code, Message: cleanMessage(msg, sec), Region: region}
}

// sanitizeCode strips the namespace ("com.amazonaws.ssm#") and the
// trailing URI ("Code:http://internal.amazon.com/…") AWS puts around codes.
func sanitizeCode(c string) string {
	if i := strings.LastIndexByte(c, '#'); i >= 0 {
		c = c[i+1:]
	}
	if i := strings.IndexByte(c, ':'); i >= 0 {
		c = c[:i]
	}
	return strings.TrimSpace(c)
}

// maxMessage bounds the part of an AWS message an error quotes, in
// characters.
const maxMessage = 300

// cleanMessage redacts the credentials in an AWS message, then keeps its
// first line, at most maxMessage characters: a signature error goes on
// with the canonical request, which is no use in a log line.
func cleanMessage(m string, sec *redact.Secrets) string {
	m = sec.String(m)
	if i := strings.IndexAny(m, "\r\n"); i >= 0 {
		m = m[:i]
	}
	if i := strings.Index(m, "The Canonical String for this request should have been"); i >= 0 {
		m = m[:i]
	}
	return text.Truncate(strings.TrimSpace(m), maxMessage)
}
