package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/graceful-rollout/graceful-rollout/fn/profile"
)

func parse(t *testing.T, text string) (*Config, error) {
	t.Helper()
	node, err := yaml.Parse(text)
	if err != nil {
		t.Fatalf("bad test input: %v", err)
	}
	return Parse(node)
}

func intp(v int) *int { return &v }

// checks is what a test case expects of a parsed Config; nil fields are not
// checked.
type checks struct {
	profile    string
	spot       *bool
	mode       Mode
	mesh       Mesh
	k8s        *Version
	meshV      *Version
	preStop    *int
	shutdown   *int
	minReady   *int
	maxSurge   string
	sleepPath  string
	sleepPort  string
	shellless  []string
	kinds      []string
	namespaces []string
	names      []string
	// labels: a label set the selector must match, and one it must not.
	labelsMatch, labelsMiss map[string]string
	source                  string
}

func (want checks) verify(t *testing.T, c *Config) {
	t.Helper()
	if want.source != "" && c.Source != want.source {
		t.Errorf("Source = %q, want %q", c.Source, want.source)
	}
	if want.profile != "" && c.Profile.Name != want.profile {
		t.Errorf("Profile = %q, want %q", c.Profile.Name, want.profile)
	}
	if want.spot != nil && c.Spot != *want.spot {
		t.Errorf("Spot = %v, want %v", c.Spot, *want.spot)
	}
	if want.mode != "" && c.Mode != want.mode {
		t.Errorf("Mode = %q, want %q", c.Mode, want.mode)
	}
	if want.mesh != "" && c.Mesh != want.mesh {
		t.Errorf("Mesh = %q, want %q", c.Mesh, want.mesh)
	}
	if want.k8s != nil && c.KubernetesVersion != *want.k8s {
		t.Errorf("KubernetesVersion = %+v, want %+v", c.KubernetesVersion, *want.k8s)
	}
	if want.meshV != nil && c.MeshVersion != *want.meshV {
		t.Errorf("MeshVersion = %+v, want %+v", c.MeshVersion, *want.meshV)
	}
	eqInt := func(name string, got, want *int) {
		if want == nil {
			return
		}
		if got == nil || *got != *want {
			t.Errorf("%s = %v, want %d", name, deref(got), *want)
		}
	}
	eqInt("PreStopSeconds", c.PreStopSeconds, want.preStop)
	eqInt("ShutdownSeconds", c.ShutdownSeconds, want.shutdown)
	eqInt("MinReadySeconds", c.MinReadySeconds, want.minReady)
	if want.maxSurge != "" && c.MaxSurge != want.maxSurge {
		t.Errorf("MaxSurge = %q, want %q", c.MaxSurge, want.maxSurge)
	}
	if want.sleepPath != "" && c.SleepEndpointPath != want.sleepPath {
		t.Errorf("SleepEndpointPath = %q, want %q", c.SleepEndpointPath, want.sleepPath)
	}
	if want.sleepPort != "" && c.SleepEndpointPort != want.sleepPort {
		t.Errorf("SleepEndpointPort = %q, want %q", c.SleepEndpointPort, want.sleepPort)
	}
	eqList := func(name string, got, want []string) {
		if want != nil && !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	eqList("ShelllessImages", c.ShelllessImages, want.shellless)
	eqList("Selector.Kinds", c.Selector.Kinds, want.kinds)
	eqList("Selector.Namespaces", c.Selector.Namespaces, want.namespaces)
	eqList("Selector.Names", c.Selector.Names, want.names)
	if want.labelsMatch != nil || want.labelsMiss != nil {
		if c.Selector.Labels == nil {
			t.Fatalf("Selector.Labels is nil")
		}
		if want.labelsMatch != nil && !c.Selector.Labels.Matches(labels.Set(want.labelsMatch)) {
			t.Errorf("selector %q does not match %v", c.Selector.Labels, want.labelsMatch)
		}
		if want.labelsMiss != nil && c.Selector.Labels.Matches(labels.Set(want.labelsMiss)) {
			t.Errorf("selector %q matches %v", c.Selector.Labels, want.labelsMiss)
		}
	}
}

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func boolp(b bool) *bool { return &b }

func TestParse_ConfigMap(t *testing.T) {
	testCases := map[string]struct {
		input string
		want  checks
	}{
		"every flat key, quoted": {
			input: `
apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
data:
  profile: gke-autopilot
  spot: "true"
  mode: enforce
  mesh: istio
  meshVersion: "1.20"
  kubernetesVersion: "1.29"
  preStopSeconds: "15"
  shutdownSeconds: "5"
  minReadySeconds: "30"
  maxSurge: "50%"
  sleepEndpointPath: /sleep?s={seconds}
  sleepEndpointPort: http
  shelllessImages: "my-scratch, ko.local"
  kinds: Deployment,Rollout
  namespaces: shop, web
  names: frontend
  labelSelector: tier=web,env!=dev
`,
			want: checks{
				source: "ConfigMap", profile: "gke-autopilot", spot: boolp(true), mode: ModeEnforce, mesh: MeshIstio,
				meshV: &Version{1, 20}, k8s: &Version{1, 29},
				preStop: intp(15), shutdown: intp(5), minReady: intp(30), maxSurge: "50%",
				sleepPath: "/sleep?s={seconds}", sleepPort: "http",
				shellless:  []string{"my-scratch", "ko.local"},
				kinds:      []string{"Deployment", "Rollout"},
				namespaces: []string{"shop", "web"}, names: []string{"frontend"},
				labelsMatch: map[string]string{"tier": "web", "env": "prod"},
				labelsMiss:  map[string]string{"tier": "web", "env": "dev"},
			},
		},
		// YAML would read 1.30 as the float 1.3; the version must be read
		// as written.
		"unquoted versions are read as written": {
			input: `
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data:
  kubernetesVersion: 1.30
  meshVersion: 1.20
`,
			want: checks{k8s: &Version{1, 30}, meshV: &Version{1, 20}},
		},
		"unquoted numbers and booleans": {
			input: `
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data:
  spot: true
  preStopSeconds: 7
  shutdownSeconds: 0
  maxSurge: 2
`,
			want: checks{spot: boolp(true), preStop: intp(7), shutdown: intp(0), maxSurge: "2"},
		},
		"no data: defaults": {
			input: `
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
`,
			want: checks{source: "ConfigMap", profile: "generic", mode: ModeDefault, mesh: MeshNone, maxSurge: "25%", spot: boolp(false)},
		},
		"apiVersion may be omitted": {
			input: `
kind: ConfigMap
data: {profile: eks-alb}
`,
			want: checks{profile: "eks-alb"},
		},
		"values are trimmed": {
			input: `
apiVersion: v1
kind: ConfigMap
data:
  profile: " aks-agic "
  mode: "audit "
`,
			want: checks{profile: "aks-agic", mode: ModeAudit},
		},
		"spot false": {
			input: `
kind: ConfigMap
data: {profile: gke-autopilot, spot: "False", preStopSeconds: "40"}
`,
			want: checks{spot: boolp(false), preStop: intp(40)},
		},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			c, err := parse(t, tc.input)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			tc.want.verify(t, c)
		})
	}
}

func TestParse_Typed(t *testing.T) {
	testCases := map[string]struct {
		input string
		want  checks
	}{
		"every setting": {
			input: `
apiVersion: graceful-rollout.dev/v1alpha1
kind: GracefulRollout
metadata:
  name: cfg
spec:
  profile: eks-fargate-alb
  spot: true
  mode: audit
  mesh: linkerd
  meshVersion: 1.20
  kubernetesVersion: 1.30
  preStopSeconds: 45
  shutdownSeconds: 15
  minReadySeconds: 10
  maxSurge: 1
  sleepEndpoint:
    path: /drain
    port: 8080
  shelllessImages: [gcr.io/distroless, ko://]
  selector:
    kinds: [StatefulSet, DaemonSet]
    namespaces: [a, b]
    names: [x]
    labelSelector: app in (web, api)
`,
			want: checks{
				source: Kind, profile: "eks-fargate-alb", spot: boolp(true), mode: ModeAudit, mesh: MeshLinkerd,
				meshV: &Version{1, 20}, k8s: &Version{1, 30},
				preStop: intp(45), shutdown: intp(15), minReady: intp(10), maxSurge: "1",
				sleepPath: "/drain", sleepPort: "8080",
				shellless:  []string{"gcr.io/distroless", "ko://"},
				kinds:      []string{"StatefulSet", "DaemonSet"},
				namespaces: []string{"a", "b"}, names: []string{"x"},
				labelsMatch: map[string]string{"app": "api"},
				labelsMiss:  map[string]string{"app": "db"},
			},
		},
		"lists as comma strings": {
			input: `
apiVersion: graceful-rollout.dev/v1alpha1
kind: GracefulRollout
spec:
  shelllessImages: "a, b,,c"
  selector:
    kinds: Deployment, ReplicaSet
    namespaces: shop
`,
			want: checks{
				shellless:  []string{"a", "b", "c"},
				kinds:      []string{"Deployment", "ReplicaSet"},
				namespaces: []string{"shop"},
			},
		},
		"flow-style lists": {
			input: `
apiVersion: graceful-rollout.dev/v1alpha1
kind: GracefulRollout
spec: {selector: {names: [a, b]}}
`,
			want: checks{names: []string{"a", "b"}},
		},
		"empty spec: defaults": {
			input: `
apiVersion: graceful-rollout.dev/v1alpha1
kind: GracefulRollout
metadata: {name: cfg}
spec: {}
`,
			want: checks{source: Kind, profile: "generic", mode: ModeDefault, mesh: MeshNone, maxSurge: "25%"},
		},
		"no spec: defaults": {
			input: `
apiVersion: graceful-rollout.dev/v1alpha1
kind: GracefulRollout
`,
			want: checks{source: Kind, profile: "generic"},
		},
		"spot cap: preStop one below the cap fits": {
			input: `
apiVersion: graceful-rollout.dev/v1alpha1
kind: GracefulRollout
spec: {profile: gke-autopilot, spot: true, preStopSeconds: 24}
`,
			want: checks{profile: "gke-autopilot", spot: boolp(true), preStop: intp(24)},
		},
		"no cap without spot": {
			input: `
apiVersion: graceful-rollout.dev/v1alpha1
kind: GracefulRollout
spec: {profile: gke-autopilot, preStopSeconds: 90}
`,
			want: checks{preStop: intp(90)},
		},
		// GKE Standard Spot's 15 s is graceful node shutdown at a
		// preemption, not a cap the platform enforces on the spec: a long
		// preStop is accepted (the plan warns what a preemption cuts).
		"gke-neg spot has no spec cap": {
			input: `
apiVersion: graceful-rollout.dev/v1alpha1
kind: GracefulRollout
spec: {profile: gke-neg, spot: true, preStopSeconds: 15}
`,
			want: checks{preStop: intp(15), spot: boolp(true)},
		},
		"generic has no spot cap": {
			input: `
apiVersion: graceful-rollout.dev/v1alpha1
kind: GracefulRollout
spec: {profile: generic, spot: true, preStopSeconds: 600}
`,
			want: checks{preStop: intp(600), spot: boolp(true)},
		},
		"largest allowed seconds": {
			input: `
apiVersion: graceful-rollout.dev/v1alpha1
kind: GracefulRollout
spec: {shutdownSeconds: 86400}
`,
			want: checks{shutdown: intp(MaxSeconds)},
		},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			c, err := parse(t, tc.input)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			tc.want.verify(t, c)
		})
	}
}

// TestParse_BothFormsAgree checks that every setting reads the same way
// through the ConfigMap and the typed form.
func TestParse_BothFormsAgree(t *testing.T) {
	cm, err := parse(t, `
kind: ConfigMap
data:
  profile: eks-alb
  spot: "true"
  kubernetesVersion: "1.29"
  preStopSeconds: "80"
  sleepEndpointPath: /s
  sleepEndpointPort: "9000"
  kinds: Deployment,StatefulSet
`)
	if err != nil {
		t.Fatal(err)
	}
	typed, err := parse(t, `
apiVersion: graceful-rollout.dev/v1alpha1
kind: GracefulRollout
spec:
  profile: eks-alb
  spot: true
  kubernetesVersion: "1.29"
  preStopSeconds: 80
  sleepEndpoint: {path: /s, port: 9000}
  selector: {kinds: [Deployment, StatefulSet]}
`)
	if err != nil {
		t.Fatal(err)
	}
	cm.Source, typed.Source = "", ""
	if !reflect.DeepEqual(cm, typed) {
		t.Errorf("ConfigMap and typed forms differ:\n%+v\n%+v", cm, typed)
	}
}

func TestParse_Empty(t *testing.T) {
	empty, err := yaml.Parse("{}")
	if err != nil {
		t.Fatal(err)
	}
	for name, node := range map[string]*yaml.RNode{
		"nil":        nil,
		"empty map":  empty,
		"nil RNode":  yaml.NewRNode(nil),
		"null value": yaml.MustParse("null"),
	} {
		t.Run(name, func(t *testing.T) {
			c, err := Parse(node)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(c, Default()) {
				t.Errorf("got %+v, want Default() %+v", c, Default())
			}
		})
	}
	d := Default()
	if d.Source != "none" || d.Profile.Name != "generic" || d.Mode != ModeDefault || d.Mesh != MeshNone || d.MaxSurge != "25%" ||
		d.Spot || d.PreStopSeconds != nil || d.KubernetesVersion.IsSet() {
		t.Errorf("Default() = %+v", d)
	}
}

func TestParse_Errors(t *testing.T) {
	const typed = "apiVersion: graceful-rollout.dev/v1alpha1\nkind: GracefulRollout\n"
	testCases := map[string]struct {
		input string
		// paths of the FieldErrors, in order.
		paths []string
		// msg is a substring of the whole error text.
		msg string
	}{
		"typed: unknown spec field": {
			input: typed + "spec: {foo: 1}",
			paths: []string{"spec.foo"}, msg: "unknown field",
		},
		"typed: unknown selector field": {
			input: typed + "spec: {selector: {bar: x}}",
			paths: []string{"spec.selector.bar"},
		},
		"typed: unknown sleepEndpoint field": {
			input: typed + "spec: {sleepEndpoint: {path: /s, host: x}}",
			paths: []string{"spec.sleepEndpoint.host"},
		},
		"typed: flat ConfigMap key is not a typed path": {
			input: typed + "spec: {sleepEndpointPath: /s}",
			paths: []string{"spec.sleepEndpointPath"},
		},
		"typed: unknown top-level field": {
			input: typed + "data: {profile: generic}",
			paths: []string{"data"},
		},
		"typed: every unknown field is reported": {
			input: typed + "extra: 1\nspec: {foo: 1, selector: {bar: 2}}",
			paths: []string{"extra", "spec.foo", "spec.selector.bar"},
		},
		"typed: spec is not a map": {
			input: typed + "spec: [a]",
			paths: []string{"spec"}, msg: "must be a map",
		},
		"typed: selector is not a map": {
			input: typed + "spec: {selector: all}",
			paths: []string{"spec.selector"}, msg: "must be a map",
		},
		"typed: a list where a value goes": {
			input: typed + "spec: {profile: [generic]}",
			paths: []string{"spec.profile"}, msg: "single value",
		},
		"typed: a map in a list": {
			input: typed + "spec: {selector: {kinds: [{a: b}]}}",
			paths: []string{"spec.selector.kinds"}, msg: "list of strings",
		},
		"typed: wrong apiVersion": {
			input: "apiVersion: graceful-rollout.dev/v1\nkind: GracefulRollout\nspec: {profile: generic}",
			paths: []string{"apiVersion"}, msg: "graceful-rollout.dev/v1alpha1",
		},
		"typed: no apiVersion": {
			input: "kind: GracefulRollout\nspec: {}",
			paths: []string{"apiVersion"},
		},
		"unsupported kind": {
			input: "apiVersion: v1\nkind: Secret\ndata: {profile: generic}",
			paths: []string{"kind"}, msg: `"Secret"`,
		},
		"ConfigMap with another apiVersion": {
			input: "apiVersion: example.com/v1\nkind: ConfigMap\ndata: {}",
			paths: []string{"kind"},
		},
		"no kind": {
			input: "spec: {profile: generic}",
			paths: []string{"kind"},
		},
		"ConfigMap: unknown key": {
			input: "kind: ConfigMap\ndata: {foo: bar}",
			paths: []string{"data.foo"}, msg: "known: ",
		},
		"ConfigMap: typed path is not a key": {
			input: "kind: ConfigMap\ndata: {selector.kinds: Deployment}",
			paths: []string{"data.selector.kinds"},
		},
		"ConfigMap: unknown top-level field": {
			input: "kind: ConfigMap\nspec: {profile: generic}",
			paths: []string{"spec"}, msg: "under data",
		},
		"ConfigMap: data not a map": {
			input: "kind: ConfigMap\ndata: [profile]",
			paths: []string{"data"},
		},
		"ConfigMap: value not a string": {
			input: "kind: ConfigMap\ndata: {kinds: [Deployment]}",
			paths: []string{"data.kinds"}, msg: "must be a string",
		},
		"unknown profile": {
			input: typed + "spec: {profile: gke}",
			paths: []string{"spec.profile"}, msg: `unknown profile "gke"`,
		},
		"unknown profile in ConfigMap": {
			input: "kind: ConfigMap\ndata: {profile: eks}",
			paths: []string{"data.profile"}, msg: "known: generic",
		},
		"bad mode": {
			input: typed + "spec: {mode: strict}",
			paths: []string{"spec.mode"}, msg: `unknown mode "strict"`,
		},
		"bad mesh": {
			input: typed + "spec: {mesh: consul}",
			paths: []string{"spec.mesh"},
		},
		"bad spot": {
			input: typed + "spec: {spot: yes please}",
			paths: []string{"spec.spot"},
		},
		"negative seconds": {
			input: typed + "spec: {preStopSeconds: -1}",
			paths: []string{"spec.preStopSeconds"}, msg: "out of range",
		},
		"non-numeric seconds": {
			input: "kind: ConfigMap\ndata: {shutdownSeconds: 10s}",
			paths: []string{"data.shutdownSeconds"}, msg: `"10s"`,
		},
		"fractional seconds": {
			input: typed + "spec: {minReadySeconds: 1.5}",
			paths: []string{"spec.minReadySeconds"},
		},
		"overflowing seconds": {
			input: typed + "spec: {preStopSeconds: 99999999999999999999}",
			paths: []string{"spec.preStopSeconds"},
		},
		"seconds above a day": {
			input: typed + "spec: {shutdownSeconds: 86401}",
			paths: []string{"spec.shutdownSeconds"}, msg: "out of range",
		},
		"maxSurge 0": {
			input: typed + "spec: {maxSurge: 0}",
			paths: []string{"spec.maxSurge"}, msg: "above 0",
		},
		"maxSurge 0%": {
			input: "kind: ConfigMap\ndata: {maxSurge: 0%}",
			paths: []string{"data.maxSurge"},
		},
		"maxSurge above 100%": {
			input: typed + "spec: {maxSurge: 101%}",
			paths: []string{"spec.maxSurge"},
		},
		"maxSurge negative": {
			input: typed + "spec: {maxSurge: -1}",
			paths: []string{"spec.maxSurge"},
		},
		"maxSurge word": {
			input: typed + "spec: {maxSurge: lots}",
			paths: []string{"spec.maxSurge"},
		},
		"bad label selector": {
			input: typed + "spec: {selector: {labelSelector: 'app in (a'}}",
			paths: []string{"spec.selector.labelSelector"}, msg: "invalid label selector",
		},
		"unsupported selector kind": {
			input: typed + "spec: {selector: {kinds: [Deployment, Job]}}",
			paths: []string{"spec.selector.kinds"}, msg: `"Job"`,
		},
		"port out of range": {
			input: typed + "spec: {sleepEndpoint: {path: /s, port: 70000}}",
			paths: []string{"spec.sleepEndpoint.port"}, msg: "65535",
		},
		"port 0": {
			input: "kind: ConfigMap\ndata: {sleepEndpointPath: /s, sleepEndpointPort: '0'}",
			paths: []string{"data.sleepEndpointPort"},
		},
		"port name with capitals": {
			input: typed + "spec: {sleepEndpoint: {path: /s, port: Http}}",
			paths: []string{"spec.sleepEndpoint.port"}, msg: "port name",
		},
		"port name too long": {
			input: typed + "spec: {sleepEndpoint: {path: /s, port: a-very-long-port-name}}",
			paths: []string{"spec.sleepEndpoint.port"},
		},
		"relative sleep path": {
			input: typed + "spec: {sleepEndpoint: {path: sleep}}",
			paths: []string{"spec.sleepEndpoint.path"}, msg: "starting with /",
		},
		"port without path": {
			input: typed + "spec: {sleepEndpoint: {port: 8080}}",
			paths: []string{"spec.sleepEndpoint.port"}, msg: "sleepEndpointPath",
		},
		"port without path in ConfigMap": {
			input: "kind: ConfigMap\ndata: {sleepEndpointPort: http}",
			paths: []string{"data.sleepEndpointPort"},
		},
		"bad kubernetesVersion": {
			input: typed + "spec: {kubernetesVersion: latest}",
			paths: []string{"spec.kubernetesVersion"}, msg: "version like 1.30",
		},
		// what 1.30 becomes when a YAML tool (kustomize) read it as a number
		"kubernetesVersion 1.3": {
			input: "kind: ConfigMap\ndata: {kubernetesVersion: '1.3'}",
			paths: []string{"data.kubernetesVersion"}, msg: `"1.30"`,
		},
		"meshVersion 1.2": {
			input: typed + "spec: {meshVersion: 1.2}",
			paths: []string{"spec.meshVersion"}, msg: "quote it",
		},
		"bad meshVersion in ConfigMap": {
			input: "kind: ConfigMap\ndata: {meshVersion: '1'}",
			paths: []string{"data.meshVersion"},
		},
		// Autopilot spot caps the grace period at 25 s and a sleep must end
		// before the grace period does.
		"spot cap: preStop equal to the cap": {
			input: typed + "spec: {profile: gke-autopilot, spot: true, preStopSeconds: 25}",
			paths: []string{"spec.preStopSeconds"}, msg: "at most 24 s",
		},
		"spot cap in ConfigMap, spot set after preStop": {
			input: "kind: ConfigMap\ndata: {preStopSeconds: '30', profile: gke-autopilot, spot: 'true'}",
			paths: []string{"data.preStopSeconds"}, msg: "25 s grace-period cap",
		},
		"several bad values are all reported": {
			input: "kind: ConfigMap\ndata: {profile: x, mode: y, preStopSeconds: z}",
			paths: []string{"data.profile", "data.mode", "data.preStopSeconds"},
		},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			c, err := parse(t, tc.input)
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", c)
			}
			if c != nil {
				t.Errorf("Parse returned a config with an error: %+v", c)
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error %v is a %T, want Errors", err, err)
			}
			var paths []string
			for _, e := range errs {
				paths = append(paths, e.Path)
				if !strings.HasPrefix(e.Error(), e.Path+": ") {
					t.Errorf("error %q does not start with its path", e.Error())
				}
			}
			if !reflect.DeepEqual(paths, tc.paths) {
				t.Errorf("error paths = %q, want %q (%v)", paths, tc.paths, err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not contain %q", err, tc.msg)
			}
		})
	}
}

func TestGraceCap(t *testing.T) {
	for _, p := range profile.All() {
		for _, spot := range []bool{false, true} {
			c := &Config{Profile: p, Spot: spot}
			want := 0
			if spot {
				want = p.SpotGraceCap
			}
			if got := c.GraceCap(); got != want {
				t.Errorf("%s spot=%v: GraceCap = %d, want %d", p.Name, spot, got, want)
			}
		}
	}
	ap, _ := profile.Lookup("gke-autopilot")
	if got := (&Config{Profile: ap, Spot: true}).GraceCap(); got != 25 {
		t.Errorf("gke-autopilot spot cap = %d, want 25 (docs/reference.md, Profiles)", got)
	}
}

func TestPath(t *testing.T) {
	testCases := []struct {
		source, key, want string
	}{
		{"ConfigMap", "preStopSeconds", "data.preStopSeconds"},
		{"none", "sleepEndpointPort", "data.sleepEndpointPort"},
		{Kind, "preStopSeconds", "spec.preStopSeconds"},
		{Kind, "sleepEndpointPort", "spec.sleepEndpoint.port"},
		{Kind, "labelSelector", "spec.selector.labelSelector"},
		{Kind, "nosuch", "nosuch"},
	}
	for _, tc := range testCases {
		c := &Config{Source: tc.source}
		if got := c.Path(tc.key); got != tc.want {
			t.Errorf("%s Path(%q) = %q, want %q", tc.source, tc.key, got, tc.want)
		}
	}
}

func TestParseSeconds(t *testing.T) {
	testCases := []struct {
		in   string
		want int
		ok   bool
	}{
		{"0", 0, true},
		{"20", 20, true},
		{"86400", 86400, true},
		{"86401", 0, false},
		{"-1", 0, false},
		{"", 0, false},
		{"1.5", 0, false},
		{"20s", 0, false},
		{"99999999999999999999", 0, false},
	}
	for _, tc := range testCases {
		got, err := ParseSeconds(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseSeconds(%q) = %d, %v; want %d, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestValidateSurge(t *testing.T) {
	testCases := map[string]bool{
		"1": true, "25%": true, "100%": true, "200": true,
		"0": false, "0%": false, "101%": false, "-1": false, "": false, "x%": false, "1.5": false,
	}
	for in, ok := range testCases {
		if err := ValidateSurge(in); (err == nil) != ok {
			t.Errorf("ValidateSurge(%q) = %v, want ok=%v", in, err, ok)
		}
	}
}
