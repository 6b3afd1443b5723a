package remediate

import (
	"context"
	"errors"
)

type openclawTarget struct{ path string }

func (t *openclawTarget) Read(context.Context) (Order, bool, error) {
	return Order{}, false, errors.New("not yet")
}
func (t *openclawTarget) Write(context.Context, Order, string) error { return errors.New("not yet") }
func (t *openclawTarget) String() string                             { return "openclaw:" + t.path }
