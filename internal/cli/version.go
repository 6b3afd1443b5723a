package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// VersionLine is what a binary's `version` prints: its name, its version
// and commit (the linker's -X values, else the module's build info, else
// "dev" and "unknown"), the Go version and the platform.
func VersionLine(name, version, commit string) string {
	ver, rev := buildVersion(version, commit, debug.ReadBuildInfo)
	return fmt.Sprintf("%s %s (commit %s, %s, %s/%s)\n", name, ver, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// buildVersion prefers the linker-set values, then the build info.
func buildVersion(ver, rev string, info func() (*debug.BuildInfo, bool)) (string, string) {
	if bi, ok := info(); ok {
		if ver == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			ver = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && rev == "" {
				rev = s.Value
			}
			if s.Key == "vcs.modified" && s.Value == "true" && rev != "" && !strings.HasSuffix(rev, "-dirty") {
				rev += "-dirty"
			}
		}
	}
	if ver == "" {
		ver = "dev"
	}
	if rev == "" {
		rev = "unknown"
	}
	return ver, rev
}
