package configs

// Kind is a JSON5 value's type.
type Kind int

// JSON5 kinds.
const (
	KindNull Kind = iota
	KindBool
	KindNumber
	KindString
	KindArray
	KindObject
)

// Node is one parsed JSON5 value with its position in the source, so errors
// can name line and column and the openclaw: target can rewrite one value in
// place, leaving every other byte alone.
type Node struct {
	Kind   Kind
	Str    string  // KindString
	Num    float64 // KindNumber
	Bool   bool    // KindBool
	Items  []*Node // KindArray
	Fields []Field // KindObject, in source order
	Start  int     // byte offset of the value's first byte
	End    int     // byte offset just past the value's last byte
	Line   int     // 1-based line of Start
	Col    int     // 1-based column (in bytes) of Start
}

// Field is one member of an object.
type Field struct {
	Key   string
	Value *Node
	Line  int // position of the key
	Col   int
}

// Get returns the value of the last field named key (later keys win, as in
// OpenClaw), or nil.
func (n *Node) Get(key string) *Node {
	if n == nil || n.Kind != KindObject {
		return nil
	}
	var v *Node
	for _, f := range n.Fields {
		if f.Key == key {
			v = f.Value
		}
	}
	return v
}

// SyntaxError is a JSON5 syntax error at a position.
type SyntaxError struct {
	Offset    int
	Line, Col int
	Msg       string
}

func (e *SyntaxError) Error() string { return e.Msg }

// ParseJSON5 parses a JSON5 document (comments, trailing commas, unquoted
// keys, single quotes, hex, +/-Infinity, NaN, multi-line strings).
func ParseJSON5(data []byte) (*Node, error) {
	return nil, &SyntaxError{Msg: "not implemented"}
}
