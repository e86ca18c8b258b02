package pdb

import (
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

func TestBlocks(t *testing.T) {
	testCases := []struct {
		minAvailable, maxUnavailable string
		replicas                     int
		want                         string
	}{
		{maxUnavailable: "1", replicas: 3},
		{maxUnavailable: "0", replicas: 3, want: "maxUnavailable 0"},
		{maxUnavailable: "0%", replicas: 3, want: "maxUnavailable 0%"},
		{maxUnavailable: "10%", replicas: 3}, // rounds up to 1
		{minAvailable: "2", replicas: 3},
		{minAvailable: "3", replicas: 3, want: "minAvailable 3 with 3 replicas"},
		{minAvailable: "5", replicas: 3, want: "minAvailable 5 with 3 replicas"},
		{minAvailable: "100%", replicas: 3, want: "minAvailable 100%"},
		{minAvailable: "90%", replicas: 3, want: "minAvailable 90% of 3 replicas"}, // 2.7 rounds up to 3
		{minAvailable: "50%", replicas: 3},
		{minAvailable: "50%", replicas: 1, want: "minAvailable 50% of 1 replicas"},
		{replicas: 3},                       // neither: the API rejects it, nothing to say here
		{minAvailable: "x", replicas: 3},    // unreadable: not ours to judge
		{maxUnavailable: "-1", replicas: 3}, // idem
	}
	for _, tc := range testCases {
		if got := Blocks(tc.minAvailable, tc.maxUnavailable, tc.replicas); got != tc.want {
			t.Errorf("Blocks(%q, %q, %d) = %q, want %q", tc.minAvailable, tc.maxUnavailable, tc.replicas, got, tc.want)
		}
	}
}

func TestNew(t *testing.T) {
	sel := yaml.MustParse("matchLabels: # the pods\n  app: web # front\nmatchExpressions:\n- {key: tier, operator: In, values: [front]}\n")
	got := New("shop", "web-graceful-rollout", sel.YNode(), "25%").MustString()
	want := `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web-graceful-rollout
  namespace: shop
  labels:
    app.kubernetes.io/managed-by: graceful-rollout
spec:
  maxUnavailable: 25%
  unhealthyPodEvictionPolicy: AlwaysAllow
  selector:
    matchLabels:
      app: web
    matchExpressions:
    - {key: tier, operator: In, values: [front]}
`
	if got != want {
		t.Errorf("New:\n%s\nwant:\n%s", got, want)
	}
	if !strings.Contains(sel.MustString(), "# front") {
		t.Errorf("New changed the workload's selector: %s", sel.MustString())
	}
}

func TestMaxUnavailable(t *testing.T) {
	n := yaml.MustParse("apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web}\nspec:\n  maxUnavailable: 1\n")
	// maxUnavailable and the unhealthyPodEvictionPolicy budgets added by
	// earlier versions lack; then nothing
	for i, want := range []int{2, 0} {
		cs, err := MaxUnavailable{Value: "2"}.Apply(n)
		if err != nil || len(cs) != want {
			t.Fatalf("apply %d: %v, %v; want %d changes", i, cs, err, want)
		}
	}
	if !strings.Contains(n.MustString(), "maxUnavailable: 2") || !strings.Contains(n.MustString(), "unhealthyPodEvictionPolicy: AlwaysAllow") {
		t.Errorf("got %s", n.MustString())
	}
}
