package sidecar

import (
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/graceful-rollout/graceful-rollout/fn/config"
	"github.com/graceful-rollout/graceful-rollout/fn/plan"
)

var drainAndHold = []Set{
	{Path: []string{"terminationDrainDuration"}, Value: "30s", Same: sameDuration},
	{Path: []string{"holdApplicationUntilProxyStarts"}, Value: "true", Bool: true, Same: sameFold},
}

func TestMerge(t *testing.T) {
	exit := []Set{
		{Path: []string{"proxyMetadata", "EXIT_ON_ZERO_ACTIVE_CONNECTIONS"}, Value: "true", String: true, Same: sameFold},
		{Path: []string{"proxyMetadata", "MINIMUM_DRAIN_DURATION"}, Value: "20s", String: true, Same: sameDuration},
	}
	testCases := map[string]struct {
		in      string
		sets    []Set
		want    string
		changes int
	}{
		"empty": {
			in: "", sets: drainAndHold,
			want:    "terminationDrainDuration: 30s\nholdApplicationUntilProxyStarts: true\n",
			changes: 2,
		},
		"user keys and comments stay": {
			in:      "# tuned for the batch\nconcurrency: 2 # two workers\nterminationDrainDuration: 5s\n",
			sets:    drainAndHold,
			want:    "# tuned for the batch\nconcurrency: 2 # two workers\nterminationDrainDuration: 30s\nholdApplicationUntilProxyStarts: true\n",
			changes: 2,
		},
		"the same duration written otherwise is kept": {
			in: "terminationDrainDuration: 30000ms\nholdApplicationUntilProxyStarts: true\n", sets: drainAndHold,
			want: "terminationDrainDuration: 30000ms\nholdApplicationUntilProxyStarts: true\n",
		},
		"JSON stays JSON": {
			in:      `{ "concurrency": 2 }`,
			sets:    drainAndHold,
			want:    `{"concurrency": 2, "terminationDrainDuration": "30s", "holdApplicationUntilProxyStarts": true}`,
			changes: 2,
		},
		"metadata map created, strings quoted": {
			in: "proxyMetadata:\n  ISTIO_META_DNS_CAPTURE: \"true\"\n", sets: exit,
			want:    "proxyMetadata:\n  ISTIO_META_DNS_CAPTURE: \"true\"\n  EXIT_ON_ZERO_ACTIVE_CONNECTIONS: \"true\"\n  MINIMUM_DRAIN_DURATION: \"20s\"\n",
			changes: 2,
		},
		"null metadata": {
			in: "proxyMetadata:\n", sets: exit[:1],
			want:    "proxyMetadata:\n  EXIT_ON_ZERO_ACTIVE_CONNECTIONS: \"true\"\n",
			changes: 1,
		},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			got, changes, err := Merge(tc.in, tc.sets)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want || len(changes) != tc.changes {
				t.Errorf("Merge =\n%q (%d changes)\nwant\n%q (%d)", got, len(changes), tc.want, tc.changes)
			}
			again, changes, err := Merge(got, tc.sets)
			if err != nil || again != got || len(changes) != 0 {
				t.Errorf("a second merge changed %q to %q (%v)", got, again, changes)
			}
		})
	}
}

func TestMerge_Errors(t *testing.T) {
	for in, want := range map[string]string{
		"[a, b]":                   "expected a map",
		"a: [":                     "cannot read",
		"proxyMetadata: 3":         "proxyMetadata: expected a map",
		"proxyMetadata: [a]":       "proxyMetadata: expected a map",
		"concurrency: &n 2\nx: *n": "anchors and aliases",
		"0: !%21":                  `the YAML tag "!!" is not supported`,
		"x: !custom 1":             `the YAML tag "!custom" is not supported`,
	} {
		_, _, err := Merge(in, []Set{{Path: []string{"proxyMetadata", "X"}, Value: "1", Same: sameFold}})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Merge(%q) error %v, want ...%s...", in, err, want)
		}
	}
	// Nothing to change: an anchored document is left as it is.
	if out, c, err := Merge("a: &n 2\nb: *n\nx: 1\n", []Set{{Path: []string{"x"}, Value: "1", Same: sameFold}}); err != nil || len(c) != 0 || out != "a: &n 2\nb: *n\nx: 1\n" {
		t.Errorf("anchored, unchanged: %q %v %v", out, c, err)
	}
	// YAML's own tags written out are kept.
	if out, _, err := Merge("concurrency: !!int 2\n", drainAndHold); err != nil || !strings.Contains(out, "!!int 2") {
		t.Errorf("!!int: %q %v", out, err)
	}
	// Empty nulls inside JSON stay null.
	if out, _, err := Merge(`{"a": {"b": }}`, drainAndHold); err != nil || !strings.Contains(out, `"b": null`) {
		t.Errorf("null in JSON: %q %v", out, err)
	}
}

func deployment(t *testing.T, annotations string) *yaml.RNode {
	t.Helper()
	return yaml.MustParse(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    metadata:
      labels: {app: web}
` + annotations + `    spec:
      containers: [{name: app, image: app}]
`)
}

func annotation(t *testing.T, n *yaml.RNode, key string) string {
	t.Helper()
	v, err := n.Pipe(yaml.Lookup("spec", "template", "metadata", "annotations", key))
	if err != nil || v == nil {
		return ""
	}
	return v.YNode().Value
}

func TestFilter(t *testing.T) {
	istio := &plan.Plan{Mesh: plan.Mesh{Name: config.MeshIstio, DrainSeconds: 30, Hold: true}}
	w := deployment(t, "")
	changes, err := Filter{Plan: istio}.Apply(w)
	if err != nil {
		t.Fatal(err)
	}
	if got := annotation(t, w, plan.IstioProxyConfig); got != "terminationDrainDuration: 30s\nholdApplicationUntilProxyStarts: true\n" {
		t.Errorf("proxy config = %q", got)
	}
	if len(changes) != 2 || changes[0].Field != "spec.template.metadata.annotations.proxy.istio.io/config[terminationDrainDuration]" {
		t.Errorf("changes = %+v", changes)
	}
	if again, _ := (Filter{Plan: istio}).Apply(w); len(again) != 0 {
		t.Errorf("second apply changed %v", again)
	}
	if !strings.Contains(w.MustString(), "proxy.istio.io/config: |\n") {
		t.Errorf("a multi-line annotation is not a literal block:\n%s", w.MustString())
	}

	exit := &plan.Plan{Mesh: plan.Mesh{Name: config.MeshIstio, ExitOnZero: true, MinDrainSeconds: 70}}
	w = deployment(t, "")
	if _, err := (Filter{Plan: exit}).Apply(w); err != nil {
		t.Fatal(err)
	}
	if got := annotation(t, w, plan.IstioProxyConfig); !strings.Contains(got, "EXIT_ON_ZERO_ACTIVE_CONNECTIONS: \"true\"") || !strings.Contains(got, "MINIMUM_DRAIN_DURATION: \"70s\"") || strings.Contains(got, "terminationDrainDuration") {
		t.Errorf("proxy config = %q", got)
	}

	linkerd := &plan.Plan{Mesh: plan.Mesh{Name: config.MeshLinkerd, WaitBeforeExit: 29}}
	w = deployment(t, "      annotations: {linkerd.io/inject: enabled}\n")
	changes, err = Filter{Plan: linkerd}.Apply(w)
	if err != nil || len(changes) != 1 || annotation(t, w, plan.LinkerdWaitBeforeExit) != "29" {
		t.Errorf("linkerd: %v %v %q", changes, err, annotation(t, w, plan.LinkerdWaitBeforeExit))
	}

	for name, p := range map[string]*plan.Plan{
		"not meshed": {},
		"native":     {Mesh: plan.Mesh{Name: config.MeshIstio, Native: true}},
	} {
		w = deployment(t, "")
		before := w.MustString()
		if changes, err := (Filter{Plan: p}).Apply(w); err != nil || len(changes) != 0 || w.MustString() != before {
			t.Errorf("%s: changed the workload: %v %v", name, changes, err)
		}
	}

	w = deployment(t, "      annotations: [a]\n")
	if _, err := (Filter{Plan: istio}).Apply(w); err == nil {
		t.Error("annotations that are not a map: no error")
	}
	w = deployment(t, "      annotations: {proxy.istio.io/config: [a]}\n")
	if _, err := (Filter{Plan: istio}).Apply(w); err == nil {
		t.Error("a proxy config that is not a string: no error")
	}
}
