package remediate

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"

	"github.com/provwatch/provwatch/internal/ssmparam"
)

// maxStandardValue is the largest value of a Standard-tier parameter.
const maxStandardValue = 4096

// ssmStore keeps the state in an SSM String parameter (Standard tier), for
// `once` under Lambda where no disk survives.
type ssmStore struct {
	name   string
	client ssmparam.Client
	// last is what the parameter holds as far as this process knows: every
	// put makes a new parameter version, so an unchanged state is not put.
	last []byte
}

func (s *ssmStore) Load(ctx context.Context) ([]byte, error) {
	p, err := s.client.Get(ctx, s.name)
	if errors.Is(err, ssmparam.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("state %s: reading the parameter: %w", s, err)
	}
	if p.Value == "" {
		return nil, nil
	}
	s.last = []byte(p.Value)
	return unpackState(s.last)
}

// packedPrefix marks a state value stored gzipped and base64-encoded.
const packedPrefix = "gz:"

// packState keeps a state that is too large for a Standard parameter as
// gzip+base64: the JSON repeats its keys per model, so this holds several
// times more models before the 4 KB limit.
func packState(data []byte) []byte {
	if len(data) <= maxStandardValue {
		return data
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = zw.Write(data)
	_ = zw.Close()
	return []byte(packedPrefix + base64.StdEncoding.EncodeToString(buf.Bytes()))
}

func unpackState(v []byte) ([]byte, error) {
	if !bytes.HasPrefix(v, []byte(packedPrefix)) {
		return append([]byte(nil), v...), nil
	}
	raw, err := base64.StdEncoding.DecodeString(string(v[len(packedPrefix):]))
	if err != nil {
		return nil, fmt.Errorf("packed state is not base64: %w", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("packed state is not gzip: %w", err)
	}
	out, err := io.ReadAll(io.LimitReader(zr, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("packed state is corrupt: %w", err)
	}
	return out, nil
}

func (s *ssmStore) Save(ctx context.Context, data []byte) error {
	data = packState(data)
	if len(data) > maxStandardValue {
		return fmt.Errorf("state %s: %d bytes is over the %d-byte limit of a Standard SSM parameter (watch fewer models, or use state: file:PATH)", s, len(data), maxStandardValue)
	}
	if s.last != nil && string(s.last) == string(data) {
		return nil
	}
	_, err := s.client.Put(ctx, ssmparam.Put{
		Name:        s.name,
		Value:       string(data),
		Type:        ssmparam.TypeString,
		Overwrite:   true,
		Description: "provwatch health state (written by provwatch every cycle; do not edit)",
	})
	if err != nil {
		return fmt.Errorf("state %s: writing the parameter: %w", s, err)
	}
	s.last = append([]byte(nil), data...)
	return nil
}

func (s *ssmStore) String() string { return "ssm:" + s.name }
