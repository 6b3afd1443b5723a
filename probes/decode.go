package probes

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
)

// jsonInt is a token count as providers write it: a number (sometimes
// 131072.0), a numeric string, or null. A value that is none of these is
// left unknown instead of failing the whole answer's decoding, and so is
// a count under one token: a context of 0 is a provider that does not
// know, never a model served with no context at all.
type jsonInt struct {
	v  int
	ok bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (j *jsonInt) UnmarshalJSON(b []byte) error {
	f, ok := jsonNumber(b)
	if !ok || f < 1 || f > 1<<40 {
		*j = jsonInt{}
		return nil
	}
	*j = jsonInt{v: int(f), ok: true}
	return nil
}

// jsonNumber reads a JSON number or numeric string; null, other strings,
// NaN and infinities are not numbers.
func jsonNumber(b []byte) (float64, bool) {
	if len(b) > 0 && b[0] == '"' {
		b = b[1 : len(b)-1]
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

func (j jsonInt) ptr() *int {
	if !j.ok {
		return nil
	}
	v := j.v
	return &v
}

// first is the first known of several fields.
func first(js ...jsonInt) *int {
	for _, j := range js {
		if j.ok {
			return j.ptr()
		}
	}
	return nil
}

// jsonFloat is a money or count value: number, numeric string or null.
type jsonFloat struct {
	v  float64
	ok bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (j *jsonFloat) UnmarshalJSON(b []byte) error {
	f, ok := jsonNumber(b)
	if !ok {
		*j = jsonFloat{}
		return nil
	}
	*j = jsonFloat{v: f, ok: true}
	return nil
}

var errNotJSONObject = errors.New("not a JSON object")

// trimJSON drops leading whitespace (DeepSeek sends blank lines while it
// holds a connection under load) and reports the first byte.
func trimJSON(b []byte) ([]byte, byte) {
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 {
		return b, 0
	}
	return b, b[0]
}

// decodeObject decodes a JSON object body into v.
func decodeObject(body []byte, v any) error {
	b, c := trimJSON(body)
	if c != '{' {
		return errNotJSONObject
	}
	return json.Unmarshal(b, v)
}

// why is a short reason a body failed to decode, for format details.
func why(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return "invalid JSON at byte " + strconv.FormatInt(se.Offset, 10)
	case errors.As(err, &te):
		return "field " + te.Field + " has a JSON " + te.Value + " where " + te.Type.String() + " is documented"
	}
	return err.Error()
}
