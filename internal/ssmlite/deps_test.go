package ssmlite_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoAWSSDK: the package links nothing of the AWS SDK (nor smithy),
// which is the reason it exists. Its tests may: they compare with it.
func TestNoAWSSDK(t *testing.T) {
	t.Parallel()
	gotool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH")
	}
	// Each dependency as "standard-or-not path".
	out, err := exec.Command(gotool, "list", "-deps", "-f", "{{.Standard}} {{.ImportPath}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 10 {
		t.Fatalf("go list -deps listed %d packages: %q", len(lines), lines)
	}
	for _, l := range lines {
		std, p, _ := strings.Cut(l, " ")
		if strings.HasPrefix(p, "github.com/aws/") {
			t.Errorf("ssmlite depends on %s", p)
		} else if std != "true" && !strings.HasPrefix(p, "github.com/provwatch/provwatch/") {
			t.Errorf("ssmlite depends on %s, outside the standard library and provwatch", p)
		}
	}
}
