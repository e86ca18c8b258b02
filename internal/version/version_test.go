package version

import (
	"runtime/debug"
	"testing"
)

func TestGet(t *testing.T) {
	info := func(v string, settings ...debug.BuildSetting) func() (*debug.BuildInfo, bool) {
		return func() (*debug.BuildInfo, bool) {
			return &debug.BuildInfo{Main: debug.Module{Version: v}, Settings: settings}, true
		}
	}
	none := func() (*debug.BuildInfo, bool) { return nil, false }
	rev := debug.BuildSetting{Key: "vcs.revision", Value: "3a5b1c2d4e5f60718293"}
	dirty := debug.BuildSetting{Key: "vcs.modified", Value: "true"}
	for _, tc := range []struct {
		name, linked string
		read         func() (*debug.BuildInfo, bool)
		want         string
	}{
		{"ldflags win", "v1.2.3", info("v0.9.0"), "1.2.3"},
		{"go install @version", "", info("v0.4.1"), "0.4.1"},
		{"local build with vcs", "", info("(devel)", rev), "devel+3a5b1c2d4e5f"},
		{"dirty tree", "", info("(devel)", rev, dirty), "devel+3a5b1c2d4e5f-dirty"},
		{"no vcs", "", info("(devel)"), "devel"},
		{"no build info", "", none, "devel"},
	} {
		if got := get(tc.linked, tc.read); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}
