package companion

import (
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/graceful-rollout/graceful-rollout/fn/config"
	"github.com/graceful-rollout/graceful-rollout/fn/inventory"
	"github.com/graceful-rollout/graceful-rollout/fn/plan"
)

func TestObjectName(t *testing.T) {
	if got := ObjectName("web"); got != "web-graceful-rollout" {
		t.Errorf("ObjectName(web) = %q", got)
	}
	if got := ObjectName(strings.Repeat("a", 250)); len(got) != 253 || !strings.HasSuffix(got, NameSuffix) {
		t.Errorf("long name: %d %q", len(got), got)
	}
}

func TestServeNamesInPlanLine(t *testing.T) {
	c := New(config.Default(), inventory.New(nil))
	w := &inventory.Object{Kind: "Deployment", Name: "web"}
	other := &inventory.Object{Kind: "Deployment", Name: "api"}
	c.Report(plan.Info, w, "", "LB stops sending by 5s")
	c.MarkPlan(w)
	c.Report(plan.Info, other, "", "LB stops sending by 5s")
	c.MarkPlan(other)
	c.Serve(w, "PodDisruptionBudget web-graceful-rollout")
	c.Serve(w, "GCPBackendPolicy web-graceful-rollout")
	c.Serve(w, "GCPBackendPolicy web-graceful-rollout")
	c.NameServers()
	if got := c.Results[0].Message; got != "LB stops sending by 5s; served by GCPBackendPolicy web-graceful-rollout, PodDisruptionBudget web-graceful-rollout" {
		t.Errorf("plan line = %q", got)
	}
	if got := c.Results[1].Message; got != "LB stops sending by 5s" {
		t.Errorf("a workload nothing serves: %q", got)
	}
}

func TestPlace(t *testing.T) {
	nodes, err := (&kio.ByteReader{Reader: strings.NewReader("apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: b}\n"),
		SetAnnotations: map[string]string{"internal.config.kubernetes.io/path": "svc.yaml"}}).Read()
	if err != nil {
		t.Fatal(err)
	}
	ix := inventory.New(nodes)
	c := New(config.Default(), ix)
	for i, want := range []string{"2", "3"} {
		n := NewObject("policy/v1", "PodDisruptionBudget", "ns", "x")
		c.Place(n, ix.Objects[i])
		ann := n.GetAnnotations()
		if ann["internal.config.kubernetes.io/path"] != "svc.yaml" || ann["internal.config.kubernetes.io/index"] != want {
			t.Errorf("placed %d: %v", i, ann)
		}
	}
	n := NewObject("policy/v1", "PodDisruptionBudget", "ns", "x")
	c.Place(n, &inventory.Object{Node: yaml.MustParse("kind: X")})
	if len(n.GetAnnotations()) != 0 {
		t.Errorf("an object without a path placed: %v", n.GetAnnotations())
	}
}
