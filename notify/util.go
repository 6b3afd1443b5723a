package notify

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

func itoa(n int) string { return strconv.Itoa(n) }

func runeLen(s string) int { return utf8.RuneCountInString(s) }

// marshal encodes v as JSON without Go's HTML escaping of <, > and &,
// so bodies read as the services document them.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
