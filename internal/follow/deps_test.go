package follow

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestNoAWSSDK holds the line the follow-only binary depends on: follow
// and what it links (configs, remediate, the shared command-line pieces)
// import no AWS package, so that binary stays a few MB. SSM is reached
// through internal/ssmparam; the SDK lives in internal/awsclient.
func TestNoAWSSDK(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("skipping: the go tool is not on PATH, and it is what lists the dependencies")
	}
	const mod = "github.com/provwatch/provwatch/"
	roots := []string{mod + "cmd/provwatch-follow", mod + "internal/follow", mod + "internal/ssmlite", mod + "configs", mod + "remediate", mod + "internal/cli", mod + "internal/ssmparam"}
	// Each package with its imports, so a failure names who pulls the SDK in.
	out, err := exec.Command("go", append([]string{"list", "-deps", "-f", `{{.ImportPath}} {{join .Imports " "}}`}, roots...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	var sdk int
	var importers []string
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		pkg, imports := fields[0], fields[1:]
		if strings.HasPrefix(pkg, "github.com/aws/") {
			sdk++
			continue
		}
		for _, imp := range imports {
			if strings.HasPrefix(imp, "github.com/aws/") {
				importers = append(importers, pkg+" imports "+imp)
			}
		}
	}
	for _, r := range roots {
		if !strings.Contains(string(out), r+" ") && !strings.Contains(string(out), r+"\n") {
			t.Fatalf("go list did not list %s:\n%s", r, out)
		}
	}
	if sdk > 0 {
		slices.Sort(importers)
		t.Fatalf("the follow-only binary would link %d AWS SDK packages; reach SSM through internal/ssmparam instead. The SDK comes in through:\n  %s",
			sdk, strings.Join(importers, "\n  "))
	}
}
