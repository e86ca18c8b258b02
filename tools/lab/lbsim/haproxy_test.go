package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/graceful-rollout/graceful-rollout/tools/lab/platform"
)

// The real HAProxy accepts the configuration of every platform that uses it.
func TestHAProxyConfigValid(t *testing.T) {
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		t.Skip("haproxy not installed (apt-get install haproxy)")
	}
	dir := t.TempDir()
	for _, name := range platform.Names() {
		p, _ := platform.Get(name)
		if p.Mode == "" {
			continue
		}
		cfg := haproxyConfig(filepath.Join(dir, name+".sock"), "127.0.0.1:18999", p.Mode, p.Scaled(10))
		file := filepath.Join(dir, name+".cfg")
		if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(bin, "-c", "-f", file).CombinedOutput(); err != nil || strings.Contains(string(out), "WARNING") {
			t.Errorf("%s: haproxy -c: %v\n%s\n%s", name, err, out, cfg)
		}
		if p.Retries.V > 0 && !strings.Contains(cfg, "retries 2\n  option redispatch 1") {
			t.Errorf("%s: retries not configured:\n%s", name, cfg)
		}
		if p.Mode == "tcp" && strings.Contains(cfg, "httpchk") {
			t.Errorf("%s: HTTP checks in tcp mode:\n%s", name, cfg)
		}
	}
}
