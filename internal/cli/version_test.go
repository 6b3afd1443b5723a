package cli

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// TestBuildVersion: the linker's values win, then the module's version and
// VCS stamp, then "dev" and "unknown".
func TestBuildVersion(t *testing.T) {
	t.Parallel()
	stamped := func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{Main: debug.Module{Version: "v0.9.1"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "4f1c2e9"}, {Key: "vcs.modified", Value: "true"},
		}}, true
	}
	devel := func() (*debug.BuildInfo, bool) { return &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, true }
	none := func() (*debug.BuildInfo, bool) { return nil, false }
	for _, tc := range []struct {
		name             string
		ver, rev         string
		info             func() (*debug.BuildInfo, bool)
		wantVer, wantRev string
	}{
		{"linker values", "1.4.0", "abc123", stamped, "1.4.0", "abc123-dirty"},
		{"build info", "", "", stamped, "v0.9.1", "4f1c2e9-dirty"},
		{"a devel build without VCS", "", "", devel, "dev", "unknown"},
		{"no build info", "", "", none, "dev", "unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if v, r := buildVersion(tc.ver, tc.rev, tc.info); v != tc.wantVer || r != tc.wantRev {
				t.Errorf("buildVersion = %q, %q; want %q, %q", v, r, tc.wantVer, tc.wantRev)
			}
		})
	}
	if got, want := VersionLine("provwatch-follow", "1.4.0", "abc123"), "provwatch-follow 1.4.0 (commit abc123"; !strings.HasPrefix(got, want) ||
		!strings.HasSuffix(got, ", "+runtime.Version()+", "+runtime.GOOS+"/"+runtime.GOARCH+")\n") {
		t.Errorf("VersionLine = %q", got)
	}
}
