package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// web is a chart-rendered Deployment (Helm's "# Source:" comment) whose
// native sleep preStop cannot run below Kubernetes 1.30, and its Service.
const web = `# Source: shop/templates/web.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports:
        - containerPort: 8080
        readinessProbe:
          httpGet: {path: /ready, port: 8080}
        lifecycle:
          preStop:
            sleep: {seconds: 5}
---
# Source: shop/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 8080
`

var emptyInputs = map[string]string{"empty": "", "comments": "# nothing\n# rendered\n", "separator": "---\n", "separators": "---\n# Source: x\n---\n"}

func binaryVersion(t *testing.T) string {
	t.Helper()
	r := run(t, ".", "graceful-rollout", "--version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "graceful-rollout ") {
		t.Fatalf("graceful-rollout --version: exit %d, %q", r.code, r.stdout)
	}
	return strings.TrimSpace(strings.TrimPrefix(r.stdout, "graceful-rollout "))
}

// sarifLog is the part of a SARIF 2.1.0 log the tests read.
type sarifLog struct {
	Version string `json:"version"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name, Version string
				Rules         []struct{ ID string }
			}
		}
		Results []struct {
			RuleID    string `json:"ruleId"`
			Level     string
			Message   struct{ Text string }
			Locations []struct {
				PhysicalLocation struct {
					ArtifactLocation struct{ URI string }
				}
				LogicalLocations []struct{ FullyQualifiedName string }
			}
		}
	}
}

// checkAuditSARIF reads a report of an audit of web on 1.29: one result per
// finding, the hook that cannot run among them with its file and field.
func checkAuditSARIF(t *testing.T, path, file, version string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no report: %v", err)
	}
	var log sarifLog
	if err := json.Unmarshal(b, &log); err != nil {
		t.Fatalf("report is not JSON: %v", err)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 || log.Runs[0].Tool.Driver.Name != "graceful-rollout" || log.Runs[0].Tool.Driver.Version != version {
		t.Fatalf("SARIF header: version %q, %d runs, driver %+v", log.Version, len(log.Runs), log.Runs[0].Tool.Driver)
	}
	found, audits := false, 0
	for _, r := range log.Runs[0].Results {
		if r.RuleID == "audit-change" {
			audits++
		}
		if r.RuleID != "hook-version" {
			continue
		}
		found = true
		if r.Level != "error" || !strings.Contains(r.Message.Text, "cannot run on Kubernetes 1.29") || len(r.Locations) != 1 {
			t.Errorf("hook-version result: %+v", r)
			continue
		}
		loc := r.Locations[0]
		if loc.PhysicalLocation.ArtifactLocation.URI != file {
			t.Errorf("hook-version result's file %q, want %q", loc.PhysicalLocation.ArtifactLocation.URI, file)
		}
		var names []string
		for _, l := range loc.LogicalLocations {
			names = append(names, l.FullyQualifiedName)
		}
		if want := "Deployment/shop/web:spec.template.spec.containers[name=web].lifecycle.preStop.sleep"; !strings.Contains(strings.Join(names, " "), want) {
			t.Errorf("hook-version result's logical locations %v, want %s", names, want)
		}
	}
	if !found || audits == 0 {
		t.Errorf("report has no hook-version result (%v) or no audit-change result (%d):\n%s", found, audits, b)
	}
}

// The binary: --help, --version, empty input, typos, audit on 1.29 with a
// SARIF report, and the exit codes.
func TestCLIBinary(t *testing.T) {
	tools(t)
	version := binaryVersion(t)
	for _, arg := range []string{"--help", "-h"} {
		r := run(t, ".", "graceful-rollout", arg)
		if r.code != 0 || !strings.Contains(r.stdout, "Usage:") || !strings.Contains(r.stdout, "kpt fn eval --exec graceful-rollout") {
			t.Errorf("%s: exit %d\n%s%s", arg, r.code, r.stdout, r.stderr)
		}
	}
	if r := run(t, ".", "graceful-rollout", "version"); r.code != 0 || r.stdout != "graceful-rollout "+version+"\n" {
		t.Errorf("version: exit %d, %q", r.code, r.stdout)
	}
	for name, in := range emptyInputs {
		// Nothing for kpt and kustomize; a comment and no object for a
		// stream (Helm 4 refuses empty output).
		for args, want := range map[string]string{"": "", "profile=gke-neg": "# graceful-rollout: no objects in the input\n"} {
			r := pipe(t, nil, []byte(in), "graceful-rollout", strings.Fields(args)...)
			if r.code != 0 || r.stdout != want || r.stderr != "" {
				t.Errorf("%s %v: exit %d, stdout %q, stderr %q", name, args, r.code, r.stdout, r.stderr)
			}
		}
	}
	for _, tc := range []struct{ arg, want string }{
		{"profle=gke-neg", `data.profle: unknown setting; did you mean "profile"?`},
		{"profile=gke-nge", `unknown profile "gke-nge" (known: generic, ingress-nginx, gke-neg, gke-autopilot, eks-alb, eks-nlb, eks-fargate-alb, aks-agic); did you mean "gke-neg"?`},
	} {
		r := pipe(t, nil, []byte(web), "graceful-rollout", tc.arg)
		if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%s: exit %d, stdout %q, stderr:\n%s", tc.arg, r.code, clip(r.stdout), r.stderr)
		}
	}
	report := filepath.Join(t.TempDir(), "audit.sarif")
	r := pipe(t, nil, []byte(web), "graceful-rollout", "profile=generic", "mode=audit", "kubernetesVersion=1.29", "report="+report, "reportFormat=sarif")
	if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, "cannot run on Kubernetes 1.29") {
		t.Fatalf("audit on 1.29: exit %d (want 2), stdout %q, stderr:\n%s", r.code, clip(r.stdout), r.stderr)
	}
	checkAuditSARIF(t, report, "shop/templates/web.yaml", version)
	// On a terminal with nothing piped in: the usage, not a wait (script
	// gives the binary a terminal; the timeout catches a wait).
	if scr, err := exec.LookPath("script"); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, scr, "-qec", "graceful-rollout", "/dev/null").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Usage:") || !strings.Contains(string(out), "nothing on stdin") {
			t.Errorf("on a terminal: %v\n%s", err, out)
		}
	}
	// quiet keeps stderr to warnings and errors; a clean run says nothing.
	r = pipe(t, nil, []byte(web), "graceful-rollout", "profile=generic", "kubernetesVersion=1.31", "quiet=true")
	if r.code != 0 || strings.Contains(r.stderr, "[info]") {
		t.Errorf("quiet: exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

// kpt: the typo named with a guess, the audit's report with kpt's file
// names, written although the run fails.
func TestCLIKpt(t *testing.T) {
	kpt, _ := tools(t)
	version := binaryVersion(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "web.yaml"), []byte(web), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, ".", kpt, "fn", "eval", "--exec", "graceful-rollout", dir, "--", "profle=generic")
	if r.code == 0 || !strings.Contains(r.stderr, `did you mean "profile"?`) {
		t.Errorf("kpt typo: exit %d\n%s", r.code, r.stderr)
	}
	report := filepath.Join(t.TempDir(), "audit.sarif")
	before := snapshot(t, dir)
	r = run(t, ".", kpt, "fn", "eval", "--exec", "graceful-rollout", dir, "--", "mode=audit", "kubernetesVersion=1.29", "report="+report, "reportFormat=sarif")
	if r.code == 0 || !strings.Contains(r.stderr, "cannot run on Kubernetes 1.29") {
		t.Fatalf("kpt audit on 1.29: exit %d\n%s", r.code, r.stderr)
	}
	if after := snapshot(t, dir); len(after) != len(before) || after["web.yaml"] != before["web.yaml"] {
		t.Errorf("audit changed files")
	}
	checkAuditSARIF(t, report, "web.yaml", version)
}

// The image: --help (what kpt fn doc shows), --version, empty input,
// a typo, audit on 1.29 with its exit code.
func TestCLIImage(t *testing.T) {
	img, podman := image(t)
	kpt, _ := tools(t)
	version := binaryVersion(t)
	r := run(t, ".", podman, "run", "--rm", "--network", "none", img, "--help")
	if r.code != 0 || !strings.Contains(r.stdout, "Usage:") {
		t.Errorf("image --help: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	cmd := exec.Command(kpt, "fn", "doc", "--image", img)
	cmd.Env = append(os.Environ(), "KPT_FN_RUNTIME=podman")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Usage:") || !strings.Contains(string(out), "graceful-rollout "+version) {
		t.Errorf("kpt fn doc --image: %v\n%s", err, out)
	}
	if r := run(t, ".", podman, "run", "--rm", "--network", "none", img, "--version"); r.code != 0 || r.stdout != "graceful-rollout "+version+"\n" {
		t.Errorf("image --version: exit %d, %q", r.code, r.stdout)
	}
	locked := []string{"run", "--rm", "-i", "--network", "none", "--read-only", img}
	for name, in := range emptyInputs {
		if r := pipe(t, nil, []byte(in), podman, locked...); r.code != 0 || r.stdout != "" {
			t.Errorf("image, %s input: exit %d, stdout %q, stderr %q", name, r.code, r.stdout, r.stderr)
		}
	}
	if r := pipe(t, nil, []byte(web), podman, append(locked, "profle=generic")...); r.code != 1 || !strings.Contains(r.stderr, `did you mean "profile"?`) {
		t.Errorf("image typo: exit %d\n%s", r.code, r.stderr)
	}
	if r := pipe(t, nil, []byte(web), podman, append(locked, "mode=audit", "kubernetesVersion=1.29")...); r.code != 2 || !strings.Contains(r.stderr, "cannot run on Kubernetes 1.29") {
		t.Errorf("image audit on 1.29: exit %d (want 2)\n%s", r.code, r.stderr)
	}
}

// Helm 3 and 4: a chart that renders nothing installs; a typo and an audit
// on 1.29 fail helm with nothing rendered, and the report is written.
func TestCLIHelm(t *testing.T) {
	chart := t.TempDir()
	files := map[string]string{
		"Chart.yaml":             "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
		"values.yaml":            "enabled: false\n",
		"templates/web.yaml":     "{{- if .Values.enabled }}\n" + strings.SplitN(web, "---\n", 2)[0] + "{{- end }}\n",
		"templates/service.yaml": "{{- if .Values.enabled }}\n" + strings.SplitN(web, "---\n", 2)[1] + "{{- end }}\n",
		"templates/nothing.yaml": "# rendered as a comment only\n",
		"templates/_helpers.tpl": "",
		"templates/NOTES.txt":    "shop\n",
	}
	for name, text := range files {
		p := filepath.Join(chart, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, h := range helms(t) {
		t.Run(h.name, func(t *testing.T) {
			if h.name == "helm4" {
				if r := h.run(t, nil, "plugin", "list"); !strings.Contains(r.stdout, "0.1.0") {
					t.Errorf("helm plugin list does not show the plugin's version:\n%s", r.stdout)
				}
			}
			r := h.template(t, chart, nil, "profile=gke-neg")
			if r.code != 0 || strings.Contains(r.stdout, "kind:") {
				t.Errorf("a chart that renders nothing: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			r = h.template(t, chart, []string{"enabled=true"}, "profle=gke-neg")
			if r.code == 0 || strings.TrimSpace(r.stdout) != "" {
				t.Errorf("typo: exit %d, stdout:\n%s", r.code, clip(r.stdout))
			}
			if h.name == "helm3" && !strings.Contains(r.stderr, `did you mean "profile"?`) {
				t.Errorf("helm3 does not show the guess:\n%s", r.stderr)
			}
			report := filepath.Join(t.TempDir(), "audit.sarif")
			r = h.template(t, chart, []string{"enabled=true"}, "mode=audit", "kubernetesVersion=1.29", "report="+report, "reportFormat=sarif")
			if r.code == 0 || strings.TrimSpace(r.stdout) != "" {
				t.Errorf("audit on 1.29: exit %d, stdout:\n%s", r.code, clip(r.stdout))
			}
			if h.name == "helm3" && !strings.Contains(r.stderr, "cannot run on Kubernetes 1.29") {
				t.Errorf("helm3 does not show the finding:\n%s", r.stderr)
			}
			checkAuditSARIF(t, report, "shop/templates/web.yaml", binaryVersion(t))
		})
	}
}
