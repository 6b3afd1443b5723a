package configs

import (
	"errors"
	"fmt"
	"strings"
)

// ErrConfig marks every configuration error; commands exit 78 on it.
var ErrConfig = errors.New("configuration error")

// Error is a configuration error that says where and what to do.
type Error struct {
	File string // file path or ssm:/name
	Path string // key path inside it, e.g. models.providers.ollama.baseUrl
	Line int    // 1-based, 0 when unknown
	Col  int    // 1-based, 0 when unknown
	Msg  string // what is wrong
	Hint string // what to do, "" when obvious
	Err  error  // underlying cause, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		// Some parsers (YAML) know only the line.
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Col > 0 {
			fmt.Fprintf(&b, ":%d", e.Col)
		}
	}
	if e.Path != "" {
		b.WriteString(": ")
		b.WriteString(e.Path)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.Hint != "" {
		b.WriteString(" (")
		b.WriteString(e.Hint)
		b.WriteString(")")
	}
	return b.String()
}

// Is makes errors.Is(err, ErrConfig) true for every *Error.
func (e *Error) Is(target error) bool { return target == ErrConfig }

func (e *Error) Unwrap() error { return e.Err }
