// Package version is the function's version: set by the release build
// with -ldflags "-X github.com/graceful-rollout/graceful-rollout/internal/version.version=X.Y.Z",
// else the module version of the build info (go install ...@vX.Y.Z), else
// "devel" plus the VCS revision when the build recorded one.
package version

import (
	"runtime/debug"
	"strings"
)

// version is set at link time by release builds.
var version string

// Get returns the version, without a leading "v" (0.1.0, devel+3a5b1c2).
func Get() string {
	return get(version, debug.ReadBuildInfo)
}

func get(linked string, read func() (*debug.BuildInfo, bool)) string {
	if linked != "" {
		return strings.TrimPrefix(linked, "v")
	}
	bi, ok := read()
	if !ok {
		return "devel"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return strings.TrimPrefix(v, "v")
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "devel"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return "devel+" + rev
}
