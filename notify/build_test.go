package notify

import (
	"context"
	"reflect"
	"testing"

	"github.com/provwatch/provwatch/configs"
)

// TestBuildNames: a kind configured once is named by its kind, one
// configured twice by each entry's settings path (docs/notifications.md).
func TestBuildNames(t *testing.T) {
	t.Parallel()
	ds := []configs.NotifyDestination{
		{Kind: configs.NotifySlack, Index: 0, URL: "https://hooks.example.org/a"},
		{Kind: configs.NotifyWebhook, Index: 1, URL: "https://example.org/hook"},
		{Kind: configs.NotifySlack, Index: 2, URL: "https://hooks.example.org/b"},
	}
	dests, err := Build(context.Background(), ds, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range dests {
		names = append(names, d.Name())
	}
	if want := []string{"notify[0].slack", "webhook", "notify[2].slack"}; !reflect.DeepEqual(names, want) {
		t.Errorf("names %q, want %q", names, want)
	}
}
