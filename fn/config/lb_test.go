package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestParse_LoadBalancerAndPDB(t *testing.T) {
	cm, err := parse(t, `
kind: ConfigMap
data:
  profile: eks-alb
  loadBalancerEnabled: "true"
  loadBalancerDrainSeconds: "25"
  loadBalancerHealthCheck: "false"
  pdbEnabled: "false"
  pdbMaxUnavailable: 20%
`)
	if err != nil {
		t.Fatal(err)
	}
	typed, err := parse(t, `
apiVersion: graceful-rollout.dev/v1alpha1
kind: GracefulRollout
spec:
  profile: eks-alb
  loadBalancer: {enabled: true, drainSeconds: 25, healthCheck: false}
  pdb: {enabled: false, maxUnavailable: 20%}
`)
	if err != nil {
		t.Fatal(err)
	}
	want := LoadBalancerConfig{DrainSeconds: intp(25), NoHealthCheck: true}
	for name, c := range map[string]*Config{"ConfigMap": cm, "typed": typed} {
		if !reflect.DeepEqual(c.LoadBalancer, want) {
			t.Errorf("%s: LoadBalancer = %+v, want %+v", name, c.LoadBalancer, want)
		}
		if !c.PDB.Disabled || c.PDBMaxUnavailable() != "20%" {
			t.Errorf("%s: PDB = %+v", name, c.PDB)
		}
	}
	off, err := parse(t, "kind: ConfigMap\ndata: {loadBalancerEnabled: \"false\"}\n")
	if err != nil || !off.LoadBalancer.Disabled || off.PDB.Disabled || off.PDBMaxUnavailable() != "1" {
		t.Errorf("loadBalancerEnabled false: %+v %+v, %v", off.LoadBalancer, off.PDB, err)
	}
	d := Default()
	if d.LoadBalancer.Disabled || d.LoadBalancer.DrainSeconds != nil || d.LoadBalancer.NoHealthCheck || d.PDB.Disabled || d.PDBMaxUnavailable() != "1" {
		t.Errorf("defaults: %+v %+v", d.LoadBalancer, d.PDB)
	}
}

func TestParse_LoadBalancerAndPDBErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"kind: ConfigMap\ndata: {loadBalancerEnabled: maybe}\n", `data.loadBalancerEnabled: "maybe" is not true or false`},
		{"kind: ConfigMap\ndata: {loadBalancerDrainSeconds: 20s}\n", `data.loadBalancerDrainSeconds: "20s" is not a whole number of seconds`},
		{"kind: ConfigMap\ndata: {profile: gke-neg, loadBalancerDrainSeconds: \"4000\"}\n", "data.loadBalancerDrainSeconds: 4000 s is more than the 3600 s the load balancer of profile gke-neg accepts"},
		{"kind: ConfigMap\ndata: {pdbMaxUnavailable: \"0\"}\n", `data.pdbMaxUnavailable: "0": a budget with maxUnavailable 0 allows no eviction`},
		{"kind: ConfigMap\ndata: {pdbMaxUnavailable: 150%}\n", `data.pdbMaxUnavailable: "150%" is not a whole number or a percentage`},
		{"apiVersion: graceful-rollout.dev/v1alpha1\nkind: GracefulRollout\nspec: {pdb: {enable: false}}\n", "spec.pdb.enable: unknown field"},
		{"apiVersion: graceful-rollout.dev/v1alpha1\nkind: GracefulRollout\nspec: {loadBalancer: {drainSeconds: -1}}\n", "spec.loadBalancer.drainSeconds: -1 is out of range"},
	} {
		_, err := parse(t, tc.text)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.text, err, tc.want)
		}
	}
}
