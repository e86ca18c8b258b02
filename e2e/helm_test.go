package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// graceful-rollout as a Helm post-renderer, through the real helm: Helm 3
// runs the executable named by --post-renderer; Helm 4 runs a postrenderer/v1
// plugin (helm/graceful-rollout/plugin.yaml), installed with helm plugin
// install. `make e2e` installs both (hack/install-helm.sh) and sets
// GR_HELM3 and GR_HELM4.

type helmCLI struct {
	name, bin string
	env       []string // isolated HELM_*_HOME; Helm 4: the plugin installed
}

func helms(t *testing.T) []helmCLI {
	t.Helper()
	tools(t)
	var out []helmCLI
	for _, v := range []string{"3", "4"} {
		bin := os.Getenv("GR_HELM" + v)
		if bin == "" {
			t.Skip("GR_HELM" + v + " is not set: run make e2e")
		}
		home := t.TempDir()
		h := helmCLI{name: "helm" + v, bin: bin, env: []string{
			"HELM_CONFIG_HOME=" + filepath.Join(home, "config"),
			"HELM_DATA_HOME=" + filepath.Join(home, "data"),
			"HELM_CACHE_HOME=" + filepath.Join(home, "cache"),
		}}
		if v == "4" {
			plugin, _ := filepath.Abs(filepath.Join("..", "helm", "graceful-rollout"))
			if r := h.run(t, nil, "plugin", "install", plugin); r.code != 0 {
				t.Fatalf("helm4 plugin install %s: %s%s", plugin, r.stdout, r.stderr)
			}
			if r := h.run(t, nil, "plugin", "list"); !strings.Contains(r.stdout, "graceful-rollout") || !strings.Contains(r.stdout, "postrenderer/v1") {
				t.Fatalf("helm4 plugin list does not show the postrenderer plugin:\n%s%s", r.stdout, r.stderr)
			}
		}
		out = append(out, h)
	}
	return out
}

func (h helmCLI) run(t *testing.T, stdin []byte, args ...string) result {
	t.Helper()
	return pipe(t, h.env, stdin, h.bin, args...)
}

// template runs helm template with graceful-rollout as the post-renderer:
// the same command line for Helm 3 (an executable on $PATH) and Helm 4 (the
// plugin of that name).
func (h helmCLI) template(t *testing.T, chart string, set []string, prArgs ...string) result {
	t.Helper()
	args := []string{"template", "shop", chart}
	for _, s := range set {
		args = append(args, "--set", s)
	}
	args = append(args, "--post-renderer", "graceful-rollout")
	for _, a := range prArgs {
		args = append(args, "--post-renderer-args", a)
	}
	return h.run(t, nil, args...)
}

// A chart whose Service is behind an Ingress, post-rendered for AWS (ALB)
// and GKE (Ingress with NEGs), with the functionConfig from k=v arguments
// and from a file. Helm 3 prints the post-renderer's stream as it is; Helm 4
// parses it and writes it again (its own order, list indentation and
// "# Source:" comments for the new objects), so each Helm has its expected
// files, and both must hold the same objects.
func TestHelmPostRenderer(t *testing.T) {
	chart, _ := filepath.Abs(filepath.Join("..", "testdata", "helm", "shop"))
	expected := filepath.Join("..", "testdata", "helm", "expected")
	typed := filepath.Join(t.TempDir(), "graceful-rollout.yaml")
	if err := os.WriteFile(typed, []byte("apiVersion: graceful-rollout.dev/v1alpha1\nkind: GracefulRollout\nmetadata:\n  name: graceful-rollout\nspec:\n  profile: eks-alb\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	outputs := map[string]map[string]string{} // by case, by helm
	for _, h := range helms(t) {
		for _, tc := range []struct {
			name   string
			set    []string
			args   []string
			expect string
		}{
			{"eks-alb", []string{"ingress.className=alb"}, []string{"profile=eks-alb"}, "shop-eks-alb.yaml"},
			{"eks-alb-file", []string{"ingress.className=alb"}, []string{typed}, "shop-eks-alb.yaml"},
			{"gke-neg", []string{"ingress.className=gce"}, []string{"profile=gke-neg", "kubernetesVersion=1.32"}, "shop-gke-neg.yaml"},
		} {
			t.Run(h.name+"/"+tc.name, func(t *testing.T) {
				r := h.template(t, chart, tc.set, tc.args...)
				if r.code != 0 {
					t.Fatalf("helm template failed (%d): %s", r.code, r.stderr)
				}
				expect(t, filepath.Join(expected, h.name, tc.expect), r.stdout)
				if outputs[tc.name] == nil {
					outputs[tc.name] = map[string]string{}
				}
				outputs[tc.name][h.name] = r.stdout
			})
		}
	}
	for name, by := range outputs {
		t.Run("same-objects/"+name, func(t *testing.T) {
			sameObjects(t, objects(t, parseDocs(t, by["helm3"])), objects(t, parseDocs(t, by["helm4"])))
		})
	}
	// What the expected files say, in the terms of the stories (the
	// preStops of the unmeasured cover: 4 × the typical detach).
	alb := docsByKind(t, filepath.Join(expected, "helm3", "shop-eks-alb.yaml"))
	if got := alb["Deployment"].MustString(); !strings.Contains(got, "seconds: 120") || !strings.Contains(got, "terminationGracePeriodSeconds: 140") {
		t.Errorf("eks-alb: the Deployment lacks preStop 120 s and grace 140 s:\n%s", got)
	}
	if got := alb["Ingress"].GetAnnotations()["alb.ingress.kubernetes.io/target-group-attributes"]; !strings.HasPrefix(got, "deregistration_delay.timeout_seconds=") {
		t.Errorf("eks-alb: the Ingress has no deregistration delay: %q", got)
	}
	gke := docsByKind(t, filepath.Join(expected, "helm3", "shop-gke-neg.yaml"))
	if got := gke["Deployment"].MustString(); !strings.Contains(got, "minReadySeconds: 60") || !strings.Contains(got, "seconds: 40") {
		t.Errorf("gke-neg: the Deployment lacks minReadySeconds 60 and preStop 40 s:\n%s", got)
	}
	if got := gke["Service"].GetAnnotations()["cloud.google.com/backend-config"]; got == "" {
		t.Errorf("gke-neg: the Service names no BackendConfig")
	}
	if gke["BackendConfig"] == nil || gke["PodDisruptionBudget"] == nil {
		t.Errorf("gke-neg: no BackendConfig or PodDisruptionBudget added")
	}
}

func docsByKind(t *testing.T, path string) map[string]*yaml.RNode {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*yaml.RNode{}
	for _, n := range parseDocs(t, string(b)) {
		out[n.GetKind()] = n
	}
	return out
}

// The chart of `helm create`, post-rendered by each Helm, is what the
// binary writes when it filters that Helm's plain `helm template` output
// (byte for byte with Helm 3; the same objects with Helm 4, which writes the
// stream again), and its Deployment got the gke-neg plan.
func TestHelmCreateChart(t *testing.T) {
	for _, h := range helms(t) {
		t.Run(h.name, func(t *testing.T) {
			dir := t.TempDir()
			if r := h.run(t, nil, "create", filepath.Join(dir, "web")); r.code != 0 {
				t.Fatalf("helm create: %s", r.stderr)
			}
			chart := filepath.Join(dir, "web")
			plain := h.run(t, nil, "template", "shop", chart)
			if plain.code != 0 {
				t.Fatalf("helm template: %s", plain.stderr)
			}
			direct := pipe(t, nil, []byte(plain.stdout), "graceful-rollout", "profile=gke-neg")
			if direct.code != 0 {
				t.Fatalf("graceful-rollout profile=gke-neg on helm template's output: %s", direct.stderr)
			}
			if !strings.Contains(direct.stderr, "[info] apps/v1/Deployment/shop-web: ") || !strings.Contains(direct.stderr, "LB stops sending by 20s") {
				t.Errorf("the filter's stderr has no plan line for the Deployment:\n%s", direct.stderr)
			}
			r := h.template(t, chart, nil, "profile=gke-neg")
			if r.code != 0 {
				t.Fatalf("helm template --post-renderer failed (%d): %s", r.code, r.stderr)
			}
			if h.name == "helm3" && r.stdout != direct.stdout {
				t.Errorf("helm's post-rendered output differs from the filter's:\n--- filter\n%s\n--- helm\n%s", clip(direct.stdout), clip(r.stdout))
			}
			sameObjects(t, objects(t, parseDocs(t, direct.stdout)), objects(t, parseDocs(t, r.stdout)))
			var found bool
			for _, n := range parseDocs(t, r.stdout) {
				if n.GetKind() != "Deployment" {
					continue
				}
				found = true
				s := n.MustString()
				for _, want := range []string{"minReadySeconds: 60", "preStop:", "seconds: 40", "maxUnavailable: 0"} {
					if !strings.Contains(s, want) {
						t.Errorf("the Deployment lacks %q:\n%s", want, s)
					}
				}
			}
			if !found {
				t.Errorf("no Deployment in helm's output")
			}
			// The objects the function does not change come out as helm
			// wrote them, comments ("# Source: ...") included.
			if !strings.Contains(r.stdout, "# Source: web/templates/service.yaml\napiVersion: v1\nkind: Service\n") || !strings.Contains(direct.stdout, plainService(t, plain.stdout)) {
				t.Errorf("the Service lost its # Source comment or changed:\n%s", clip(r.stdout))
			}
		})
	}
}

// A bad functionConfig fails the helm run: non-zero exit, no manifest on
// stdout. Helm 3 shows the function's message; Helm 4 drops a post-renderer
// plugin's stderr (internal/plugin/runtime_subprocess.go collects it into a
// buffer it never reads) and says only that the plugin exited with an error.
func TestHelmPostRendererErrors(t *testing.T) {
	chart, _ := filepath.Abs(filepath.Join("..", "testdata", "helm", "shop"))
	for _, h := range helms(t) {
		for _, tc := range []struct {
			name string
			args []string
			want map[string]string // by helm
		}{
			{"unknown-profile", []string{"profile=gke-gateway"}, map[string]string{
				"helm3": `data.profile: unknown profile "gke-gateway"`,
				"helm4": `plugin "graceful-rollout" exited with error`,
			}},
			{"bad-seconds", []string{"profile=eks-alb", "preStopSeconds=ten"}, map[string]string{
				"helm3": `data.preStopSeconds: "ten" is not a whole number of seconds`,
				"helm4": `plugin "graceful-rollout" exited with error`,
			}},
			{"missing-file", []string{"no-such-config.yaml"}, map[string]string{
				"helm3": "functionConfig file: open no-such-config.yaml: no such file or directory",
				"helm4": `plugin "graceful-rollout" exited with error`,
			}},
		} {
			t.Run(h.name+"/"+tc.name, func(t *testing.T) {
				r := h.template(t, chart, nil, tc.args...)
				if r.code == 0 {
					t.Fatalf("helm template succeeded; want a failure:\n%s", clip(r.stdout))
				}
				if strings.TrimSpace(r.stdout) != "" {
					t.Errorf("a failed run wrote to stdout:\n%s", clip(r.stdout))
				}
				if !strings.Contains(r.stderr, tc.want[h.name]) {
					t.Errorf("stderr does not say %q:\n%s", tc.want[h.name], r.stderr)
				}
			})
		}
	}
}

// Without helm: the same filter by hand, its errors on stderr, and the
// ResourceList path unchanged when arguments come with a ResourceList.
func TestStreamFilter(t *testing.T) {
	tools(t)
	in, err := os.ReadFile(filepath.Join("..", "testdata", "helm", "expected", "helm3", "shop-eks-alb.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// The output of a run is a fixed point.
	r := pipe(t, nil, in, "graceful-rollout", "profile=eks-alb")
	if r.code != 0 || r.stdout != string(in) {
		t.Errorf("a second run changed the output (exit %d): %s\n%s", r.code, r.stderr, clip(r.stdout))
	}
	for _, tc := range []struct {
		name, input string
		args        []string
		want        string
	}{
		{"flag", string(in), []string{"--profile=eks-alb"}, `unknown flag "--profile=eks-alb"`},
		{"file-and-pairs", string(in), []string{"a.yaml", "profile=eks-alb"}, "give one or the other"},
		{"not-an-object", "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\n- a\n- b\n", []string{"profile=generic"}, "input: document 2: a list: expected an object"},
		{"no-kind", "apiVersion: v1\nmetadata: {name: a}\n", []string{"profile=generic"}, "input: document 1: kind: missing"},
		{"bad-yaml", "apiVersion: v1\nkind: [\n", []string{"profile=generic"}, "input: not valid YAML"},
		{"unknown-key", string(in), []string{"profil=eks-alb"}, "data.profil"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := pipe(t, nil, []byte(tc.input), "graceful-rollout", tc.args...)
			if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d (want 1), stdout %q (want none), stderr does not say %q:\n%s", r.code, clip(r.stdout), tc.want, r.stderr)
			}
		})
	}
	// A ResourceList with arguments: the ResourceList's functionConfig
	// applies, the arguments are ignored and a line says so.
	rl := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig: {apiVersion: v1, kind: ConfigMap, metadata: {name: x}, data: {profile: eks-alb}}\n"
	plain := pipe(t, nil, []byte(rl), "graceful-rollout")
	withArgs := pipe(t, nil, []byte(rl), "graceful-rollout", "profile=nope")
	if plain.code != 0 || withArgs.code != 0 || plain.stdout != withArgs.stdout || !strings.Contains(withArgs.stderr, "ignored") {
		t.Errorf("a ResourceList with arguments: exit %d/%d, same output %v, stderr %q", plain.code, withArgs.code, plain.stdout == withArgs.stdout, withArgs.stderr)
	}
	// Without arguments, manifests are not a ResourceList: the message says
	// how to run the filter.
	r = pipe(t, nil, in, "graceful-rollout")
	if r.code != 1 || !strings.Contains(r.stderr, "profile=") {
		t.Errorf("manifests without arguments: exit %d, stderr %q", r.code, r.stderr)
	}
}

// plainService is the Service document of helm template's output, as helm
// wrote it.
func plainService(t *testing.T, out string) string {
	t.Helper()
	for _, doc := range strings.Split(out, "---\n") {
		if strings.Contains(doc, "\nkind: Service\n") {
			return strings.TrimSpace(doc)
		}
	}
	t.Fatalf("no Service in helm template's output:\n%s", clip(out))
	return ""
}

// TestHelmOutputs hands the expected post-rendered charts to the API-server
// stage (hack/test-apiserver.sh sets GR_RENDERED_DIR).
func TestHelmOutputs(t *testing.T) {
	if os.Getenv("GR_RENDERED_DIR") == "" {
		t.Skip("GR_RENDERED_DIR is not set: run make apiserver-test")
	}
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "helm", "expected", "*", "*.yaml"))
	if len(files) == 0 {
		t.Fatal("no expected Helm outputs")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		writeRendered(t, "helm-"+filepath.Base(filepath.Dir(f))+"-"+strings.TrimSuffix(filepath.Base(f), ".yaml"), parseDocs(t, string(b)))
	}
}
