// Package e2e runs graceful-rollout the way users do: through kpt and
// standalone kustomize, as a binary on $PATH. `make e2e` sets it up; run
// alone, these tests skip and say so.
package e2e

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

var update = flag.Bool("update", false, "rewrite the examples' .expected files (read the diff before committing)")

func tools(t *testing.T) (kpt, kustomize string) {
	t.Helper()
	if _, err := exec.LookPath("graceful-rollout"); err != nil {
		t.Skip("graceful-rollout is not on $PATH: run make e2e")
	}
	kustomize = os.Getenv("GR_KUSTOMIZE")
	if kustomize == "" {
		t.Skip("GR_KUSTOMIZE is not set: run make e2e")
	}
	kpt, err := exec.LookPath("kpt")
	if err != nil {
		t.Fatalf("kpt not found: %v", err)
	}
	return kpt, kustomize
}

type result struct {
	stdout, stderr string
	code           int
}

func run(t *testing.T, dir, name string, args ...string) result {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s %v: %v", name, args, err)
	}
	return result{out.String(), errb.String(), code}
}

// copyTree copies src to dst, leaving out .expected.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if info.IsDir() && info.Name() == ".expected" {
			return filepath.SkipDir
		}
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// gitSnapshot makes dir a git repository with everything committed, so that
// `git diff` shows what a client changed.
func gitSnapshot(t *testing.T, dir string) {
	t.Helper()
	for _, args := range [][]string{
		{"init", "-q"},
		{"add", "-A"},
		{"-c", "user.email=e2e@graceful-rollout.dev", "-c", "user.name=e2e", "commit", "-qm", "before"},
	} {
		if r := run(t, dir, "git", args...); r.code != 0 {
			t.Fatalf("git %v: %s", args, r.stderr)
		}
	}
}

func gitDiff(t *testing.T, dir string) string {
	t.Helper()
	r := run(t, dir, "git", "diff", "--no-color", "--no-prefix")
	if r.code != 0 {
		t.Fatalf("git diff: %s", r.stderr)
	}
	return r.stdout
}

// expect compares got with the file, or rewrites it with -update.
func expect(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the e2e tests with -update, then read the diff)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from what the client produced:\n--- want\n%s\n--- got\n%s", path, clip(string(want)), clip(got))
	}
}

func clip(s string) string {
	if len(s) > 4000 {
		return s[:4000] + "\n..."
	}
	return s
}

// objects parses multi-document YAML (or a kpt package folder) into plain
// values keyed by kind/namespace/name, without the client's bookkeeping
// annotations: the form two clients' outputs can be compared in.
func objects(t *testing.T, nodes []*yaml.RNode) map[string]any {
	t.Helper()
	out := map[string]any{}
	for _, n := range nodes {
		m, err := n.Map()
		if err != nil {
			t.Fatal(err)
		}
		if meta, ok := m["metadata"].(map[string]any); ok {
			if ann, ok := meta["annotations"].(map[string]any); ok {
				for k := range ann {
					if strings.HasPrefix(k, "config.kubernetes.io/") || strings.HasPrefix(k, "internal.config.kubernetes.io/") || k == "config.k8s.io/id" {
						delete(ann, k)
					}
				}
				if len(ann) == 0 {
					delete(meta, "annotations")
				}
			}
		}
		out[n.GetKind()+"/"+n.GetNamespace()+"/"+n.GetName()] = m
	}
	return out
}

func readDir(t *testing.T, dir string) []*yaml.RNode {
	t.Helper()
	nodes, err := kio.LocalPackageReader{PackagePath: dir, MatchFilesGlob: []string{"*.yaml"}}.Read()
	if err != nil {
		t.Fatal(err)
	}
	return nodes
}

func parseDocs(t *testing.T, s string) []*yaml.RNode {
	t.Helper()
	nodes, err := kio.FromBytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return nodes
}

func sameObjects(t *testing.T, want, got map[string]any) {
	t.Helper()
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected object %s", k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if g, ok := got[k]; !ok {
			t.Errorf("missing object %s", k)
		} else if !reflect.DeepEqual(want[k], g) {
			a, _ := yaml.Marshal(want[k])
			b, _ := yaml.Marshal(g)
			t.Errorf("object %s differs:\n--- want\n%s--- got\n%s", k, a, b)
		}
	}
}

// goldenNodes reads the items of a golden case's expected output.
func goldenNodes(t *testing.T, dir string) []*yaml.RNode {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "expected.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rl, err := yaml.Parse(string(b))
	if err != nil {
		t.Fatal(err)
	}
	items, err := rl.Pipe(yaml.Lookup("items"))
	if err != nil || items == nil {
		t.Fatalf("%s has no items", dir)
	}
	nodes, err := items.Elements()
	if err != nil {
		t.Fatal(err)
	}
	return nodes
}

func goldenItems(t *testing.T, name string) map[string]any {
	t.Helper()
	return objects(t, goldenNodes(t, filepath.Join("..", "testdata", "golden", name)))
}

// corpusCopy copies a folder of testdata/corpus/microservices-demo.
func corpusCopy(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "pkg")
	copyTree(t, filepath.Join("..", "testdata", "corpus", "microservices-demo", name), dir)
	return dir
}

func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err == nil {
			files[e.Name()] = string(b)
		}
	}
	return files
}

// kpt fn eval with key=value arguments gives what the golden test of the
// same config pins, item for item.
func TestKptEvalKeyValue(t *testing.T) {
	kpt, _ := tools(t)
	dir := corpusCopy(t, "kustomize-base")
	r := run(t, ".", kpt, "fn", "eval", "--exec", "graceful-rollout", dir, "--", "profile=gke-neg")
	if r.code != 0 {
		t.Fatalf("kpt fn eval failed (%d): %s", r.code, r.stderr)
	}
	got := objects(t, readDir(t, dir))
	delete(got, "Kustomization//")
	sameObjects(t, goldenItems(t, "md-gke-neg"), got)
	// kpt prints the results itself; the function's summary on stderr
	// (for kustomize and Argo CD) would say it twice.
	if !strings.Contains(r.stderr, "Results:") || strings.Contains(r.stderr, "Stderr:") || strings.Contains(r.stderr, "workload(s) planned") {
		t.Errorf("kpt should show the results and no summary on stderr:\n%s", r.stderr)
	}

	// A second run changes no file.
	before := snapshot(t, dir)
	if r := run(t, ".", kpt, "fn", "eval", "--exec", "graceful-rollout", dir, "--", "profile=gke-neg"); r.code != 0 {
		t.Fatalf("second run failed: %s", r.stderr)
	}
	if after := snapshot(t, dir); !reflect.DeepEqual(before, after) {
		t.Errorf("a second kpt fn eval changed files")
	}
}

// --fn-config with the typed functionConfig, and an unquoted version that
// kpt keeps as written.
func TestKptEvalFnConfig(t *testing.T) {
	kpt, _ := tools(t)
	dir := corpusCopy(t, "kubernetes-manifests")
	cfg := filepath.Join(t.TempDir(), "fn-config.yaml")
	if err := os.WriteFile(cfg, []byte(`apiVersion: graceful-rollout.dev/v1alpha1
kind: GracefulRollout
metadata:
  name: graceful-rollout
spec:
  profile: generic
  kubernetesVersion: 1.29 # below 1.30: exec sleep
`), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, ".", kpt, "fn", "eval", "--exec", "graceful-rollout", "--fn-config", cfg, dir)
	if r.code != 0 {
		t.Fatalf("kpt fn eval failed (%d): %s", r.code, r.stderr)
	}
	got := objects(t, readDir(t, dir))
	delete(got, "Kustomization//")
	sameObjects(t, goldenItems(t, "md-k8s-1.29"), got)
}

// A bad config fails the run with the field named on stderr, and no file
// changes.
func TestKptEvalErrors(t *testing.T) {
	kpt, _ := tools(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"profile=gke-gateway"}, `data.profile: unknown profile "gke-gateway"`},
		{[]string{"preStopSeconds=ten"}, `data.preStopSeconds: "ten" is not a whole number of seconds`},
		{[]string{"profile=gke-neg", "mode=audit"}, "spec.template.spec.terminationGracePeriodSeconds: audit: would change 5 -> 15"},
	} {
		t.Run(strings.Join(tc.args, ","), func(t *testing.T) {
			dir := corpusCopy(t, "kustomize-base")
			before := snapshot(t, dir)
			r := run(t, ".", kpt, append([]string{"fn", "eval", "--exec", "graceful-rollout", dir, "--"}, tc.args...)...)
			if r.code == 0 {
				t.Fatalf("kpt fn eval succeeded; want a failure")
			}
			if !strings.Contains(r.stderr, tc.want) {
				t.Errorf("stderr does not say %q:\n%s", tc.want, r.stderr)
			}
			if after := snapshot(t, dir); !reflect.DeepEqual(before, after) {
				t.Errorf("a failed run changed files")
			}
		})
	}
}

// Every example runs through its client and matches its .expected output;
// kpt packages are rendered twice and the second render changes nothing.
func TestExamples(t *testing.T) {
	kpt, kustomize := tools(t)
	dirs, _ := filepath.Glob(filepath.Join("..", "examples", "*"))
	if len(dirs) == 0 {
		t.Fatal("no examples")
	}
	for _, ex := range dirs {
		if _, err := os.Stat(filepath.Join(ex, "Kptfile")); err == nil {
			t.Run(filepath.Base(ex), func(t *testing.T) { kptExample(t, kpt, ex) })
			continue
		}
		if _, err := os.Stat(filepath.Join(ex, "kustomization.yaml")); err == nil {
			t.Run(filepath.Base(ex), func(t *testing.T) { kustomizeExample(t, kustomize, ex) })
		}
	}
}

func kptExample(t *testing.T, kpt, ex string) {
	root := t.TempDir()
	pkg := filepath.Join(root, filepath.Base(ex))
	copyTree(t, ex, pkg)
	gitSnapshot(t, root)
	results := filepath.Join(t.TempDir(), "results")
	// The command of the example's README, run here as it says (in the
	// package's parent), with --results-dir to keep the results.
	command := []string{"fn", "render", "--allow-exec", filepath.Base(ex)}
	readmeCommand(t, ex, "kpt "+strings.Join(command, " "))
	r := run(t, root, kpt, append(command, "--results-dir", results)...)
	if r.code != 0 {
		t.Fatalf("kpt fn render failed (%d): %s", r.code, r.stderr)
	}
	diff := gitDiff(t, root)
	expect(t, filepath.Join(ex, ".expected", "diff.patch"), diff)
	res, err := os.ReadFile(filepath.Join(results, "results.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	expect(t, filepath.Join(ex, ".expected", "results.yaml"), string(res))
	if r := run(t, root, kpt, "fn", "render", "--allow-exec", filepath.Base(ex)); r.code != 0 {
		t.Fatalf("second render failed: %s", r.stderr)
	}
	if again := gitDiff(t, root); again != diff {
		t.Errorf("a second render changed the package again")
	}
	writeRendered(t, "example-"+filepath.Base(ex), readDir(t, pkg))
}

func kustomizeExample(t *testing.T, kustomize, ex string) {
	command := []string{"build", "--enable-alpha-plugins", "--enable-exec", "."}
	readmeCommand(t, ex, "kustomize "+strings.Join(command, " "))
	r := run(t, ex, kustomize, command...)
	if _, err := os.Stat(filepath.Join(ex, ".expected", "stderr.txt")); err == nil || (*update && r.code != 0) {
		if r.code == 0 {
			t.Fatalf("kustomize build succeeded; the example expects a failure")
		}
		expect(t, filepath.Join(ex, ".expected", "stderr.txt"), r.stderr)
		return
	}
	if r.code != 0 {
		t.Fatalf("kustomize build failed (%d): %s", r.code, r.stderr)
	}
	expect(t, filepath.Join(ex, ".expected", "output.yaml"), r.stdout)
	// kustomize shows only stderr: the summary of a successful run.
	if !strings.HasPrefix(r.stderr, "graceful-rollout: ") {
		t.Errorf("no summary on stderr:\n%s", r.stderr)
	}
	// The summary names the binary's version, which differs between builds.
	expect(t, filepath.Join(ex, ".expected", "summary.txt"), versionRE.ReplaceAllString(r.stderr, "; version X"))
	writeRendered(t, "example-"+filepath.Base(ex), parseDocs(t, r.stdout))
}

var versionRE = regexp.MustCompile(`; version \S+`)

// readmeCommand checks that the example's README shows command, the one
// the test runs, in a shell block.
func readmeCommand(t *testing.T, ex, command string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(ex, "README.md"))
	if err != nil {
		t.Fatalf("%s has no README.md", ex)
	}
	if !strings.Contains(string(b), "```sh\n"+command+"\n```") {
		t.Errorf("%s/README.md does not show the command the test runs:\n%s", ex, command)
	}
}

// writeRendered keeps a client's output for the API-server stage when
// GR_RENDERED_DIR is set.
func writeRendered(t *testing.T, name string, nodes []*yaml.RNode) {
	t.Helper()
	dir := os.Getenv("GR_RENDERED_DIR")
	if dir == "" {
		return
	}
	var kept []*yaml.RNode
	for _, n := range nodes {
		if n.GetKind() != "Kptfile" && n.GetAnnotations()["config.kubernetes.io/local-config"] != "true" {
			kept = append(kept, n)
		}
	}
	s, err := kio.StringAll(kept)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".yaml"), []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestGoldenOutputs hands the items of every successful golden case to the
// API-server stage (hack/test-apiserver.sh sets GR_RENDERED_DIR).
func TestGoldenOutputs(t *testing.T) {
	if os.Getenv("GR_RENDERED_DIR") == "" {
		t.Skip("GR_RENDERED_DIR is not set: run make apiserver-test")
	}
	dirs, _ := filepath.Glob(filepath.Join("..", "testdata", "golden", "*"))
	n := 0
	for _, dir := range dirs {
		if _, err := os.Stat(filepath.Join(dir, "expected-error.txt")); err == nil {
			continue
		}
		nodes := goldenNodes(t, dir)
		writeRendered(t, "golden-"+filepath.Base(dir), nodes)
		n++
	}
	if n == 0 {
		t.Fatal("no golden outputs")
	}
}
