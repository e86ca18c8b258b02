package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// pluginCommand reads a command (and its args) from the CMP plugin.yaml.
func pluginCommand(t *testing.T, path ...string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "examples", "argocd", "plugin.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var plugin map[string]any
	if err := yaml.Unmarshal(b, &plugin); err != nil {
		t.Fatal(err)
	}
	var cur any = plugin
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			t.Fatalf("plugin.yaml: no %v", path)
		}
		cur = m[p]
	}
	m, ok := cur.(map[string]any)
	if !ok {
		t.Fatalf("plugin.yaml: %v is not a command", path)
	}
	var argv []string
	for _, key := range []string{"command", "args"} {
		list, _ := m[key].([]any)
		for _, a := range list {
			argv = append(argv, a.(string))
		}
	}
	if len(argv) == 0 {
		t.Fatalf("plugin.yaml: %v has no command", path)
	}
	return argv
}

// sidecarRun runs a plugin command as the CMP sidecar does: in the
// application's folder, with a bare environment of PATH, HOME and the
// ARGOCD_* variables.
func sidecarRun(t *testing.T, dir string, argv []string, env ...string) result {
	t.Helper()
	_, kustomize := tools(t)
	bin, err := exec.LookPath("graceful-rollout")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append([]string{
		"PATH=" + filepath.Dir(bin) + ":" + filepath.Dir(kustomize) + ":/usr/bin:/bin",
		"HOME=" + t.TempDir(),
		"ARGOCD_APP_NAME=shop",
		"ARGOCD_APP_NAMESPACE=shop",
		"ARGOCD_APP_REVISION=0123456789abcdef",
		"ARGOCD_APP_SOURCE_PATH=examples/argocd/app",
	}, env...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{out.String(), errb.String(), code}
}

func TestArgoCDPlugin(t *testing.T) {
	tools(t)
	app := filepath.Join("..", "examples", "argocd", "app")
	discover := pluginCommand(t, "spec", "discover", "find")
	generate := pluginCommand(t, "spec", "generate")
	if !strings.Contains(strings.Join(generate, " "), "set -euo pipefail") {
		t.Errorf("the generate command must fail on any failing stage: %v", generate)
	}

	t.Run("discover", func(t *testing.T) {
		if r := sidecarRun(t, app, discover); strings.TrimSpace(r.stdout) == "" {
			t.Errorf("the plugin does not claim the overlay that lists the function (%d): %s", r.code, r.stderr)
		}
		plain := filepath.Join("..", "testdata", "corpus", "microservices-demo", "kustomize-base")
		if r := sidecarRun(t, plain, discover); strings.TrimSpace(r.stdout) != "" {
			t.Errorf("the plugin claims a plain kustomization: %q", r.stdout)
		}
	})
	t.Run("readme", func(t *testing.T) {
		// The README shows the generate command the sidecar runs (its
		// script without comments).
		b, err := os.ReadFile(filepath.Join("..", "examples", "argocd", "README.md"))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(generate[len(generate)-1], "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") && !strings.Contains(string(b), line) {
				t.Errorf("examples/argocd/README.md does not show the generate command's line %q", line)
			}
		}
	})
	t.Run("generate", func(t *testing.T) {
		r := sidecarRun(t, app, generate)
		if r.code != 0 {
			t.Fatalf("generate failed (%d): %s", r.code, r.stderr)
		}
		expect(t, filepath.Join("..", "examples", "argocd", ".expected", "output.yaml"), r.stdout)
		// The frontend's only entry is a plain LoadBalancer Service: the
		// GKE L4 row (a 15 s preStop, no minReadySeconds).
		if !strings.Contains(r.stdout, "seconds: 15") {
			t.Errorf("the frontend was not planned for gke-neg's L4 row")
		}
		writeRendered(t, "example-argocd", parseDocs(t, r.stdout))
	})
	t.Run("generate-error", func(t *testing.T) {
		r := sidecarRun(t, app, generate, "ARGOCD_ENV_KUSTOMIZE_PATH=../../kustomize-error")
		if r.code == 0 {
			t.Fatalf("generate succeeded on a bad functionConfig")
		}
		if !strings.Contains(r.stderr, `spec.kubernetesVersion: "1.3" reads as 1.3`) {
			t.Errorf("stderr does not carry the function's message:\n%s", r.stderr)
		}
		if strings.TrimSpace(r.stdout) != "" {
			t.Errorf("a failed generate wrote manifests:\n%s", clip(r.stdout))
		}
	})
}
