package main

import (
	"io"
	"os"
	"strings"
	"testing"
)

// The version a build without -ldflags reports is the repository's VERSION,
// so the default --probe-image names the probe image of that release.
func TestVersionIsTheRepositorys(t *testing.T) {
	b, err := os.ReadFile("../../VERSION")
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimSpace(string(b)); version != want {
		t.Errorf("main.version is %q, the VERSION file says %q: update main.go", version, want)
	}
	o, _, err := parseOptions([]string{"--namespace", "cal", "--entry", "in-cluster"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if want := "ghcr.io/graceful-rollout/calibrate-probe:v" + version; o.probeImage != want {
		t.Errorf("default --probe-image %q, want %q", o.probeImage, want)
	}
	if o, _, err := parseOptions([]string{"--version"}, io.Discard); err != nil || !o.version {
		t.Errorf("--version alone: %v, version %v", err, o.version)
	}
}
