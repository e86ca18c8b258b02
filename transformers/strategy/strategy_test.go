package strategy

import (
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/graceful-rollout/graceful-rollout/fn/plan"
	"github.com/graceful-rollout/graceful-rollout/internal/edit"
)

func TestFilter(t *testing.T) {
	testCases := map[string]struct {
		kind                  string
		input, expectedOutput string
		strategy              plan.Rollout
		changes               []edit.Change
	}{
		"Deployment without strategy": {
			kind: "Deployment",
			input: `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3 # HA
  template: {}
`,
			expectedOutput: `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3 # HA
  template: {}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: 0
`,
			strategy: plan.Rollout{Type: "RollingUpdate", MaxUnavailable: "0", MaxSurge: "25%"},
			changes: []edit.Change{
				{Field: "spec.strategy.type", To: "RollingUpdate"},
				{Field: "spec.strategy.rollingUpdate.maxSurge", To: "25%"},
				{Field: "spec.strategy.rollingUpdate.maxUnavailable", To: "0"},
			},
		},
		"Deployment maxUnavailable set in place": {
			kind: "Deployment",
			input: `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 25% # the default
      maxSurge: 1
`,
			expectedOutput: `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 1
`,
			strategy: plan.Rollout{MaxUnavailable: "0"},
			changes:  []edit.Change{{Field: "spec.strategy.rollingUpdate.maxUnavailable", From: "25%", To: "0"}},
		},
		"Deployment Recreate converted": {
			kind: "Deployment",
			input: `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  strategy:
    type: Recreate
`,
			expectedOutput: `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: 0
`,
			strategy: plan.Rollout{Type: "RollingUpdate", MaxUnavailable: "0", MaxSurge: "1"},
			changes: []edit.Change{
				{Field: "spec.strategy.type", From: "Recreate", To: "RollingUpdate"},
				{Field: "spec.strategy.rollingUpdate.maxSurge", To: "1"},
				{Field: "spec.strategy.rollingUpdate.maxUnavailable", To: "0"},
			},
		},
		"Deployment values already there, quoted: no change": {
			kind: "Deployment",
			input: `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxUnavailable: "0", maxSurge: 25%}
`,
			expectedOutput: `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxUnavailable: "0", maxSurge: 25%}
`,
			strategy: plan.Rollout{Type: "RollingUpdate", MaxUnavailable: "0", MaxSurge: "25%"},
		},
		"Deployment strategy and rollingUpdate null": {
			kind: "Deployment",
			input: `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  strategy:
  replicas: 2
`,
			expectedOutput: `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: 0
  replicas: 2
`,
			strategy: plan.Rollout{Type: "RollingUpdate", MaxUnavailable: "0", MaxSurge: "25%"},
			changes: []edit.Change{
				{Field: "spec.strategy.type", To: "RollingUpdate"},
				{Field: "spec.strategy.rollingUpdate.maxSurge", To: "25%"},
				{Field: "spec.strategy.rollingUpdate.maxUnavailable", To: "0"},
			},
		},
		"DaemonSet under updateStrategy": {
			kind: "DaemonSet",
			input: `
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  updateStrategy:
    type: RollingUpdate # default
`,
			expectedOutput: `
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  updateStrategy:
    type: RollingUpdate # default
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: 0
`,
			strategy: plan.Rollout{MaxUnavailable: "0", MaxSurge: "1"},
			changes: []edit.Change{
				{Field: "spec.updateStrategy.rollingUpdate.maxSurge", To: "1"},
				{Field: "spec.updateStrategy.rollingUpdate.maxUnavailable", To: "0"},
			},
		},
		"Rollout canary parameters directly under canary, no type": {
			kind: "Rollout",
			input: `
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: r
spec:
  strategy:
    canary:
      steps:
      - setWeight: 20
`,
			expectedOutput: `
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: r
spec:
  strategy:
    canary:
      steps:
      - setWeight: 20
      maxSurge: 25%
      maxUnavailable: 0
`,
			strategy: plan.Rollout{Type: "RollingUpdate", MaxUnavailable: "0", MaxSurge: "25%"},
			changes: []edit.Change{
				{Field: "spec.strategy.canary.maxSurge", To: "25%"},
				{Field: "spec.strategy.canary.maxUnavailable", To: "0"},
			},
		},
		"empty strategy: nothing": {
			kind: "StatefulSet",
			input: `
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  updateStrategy: {type: OnDelete}
`,
			expectedOutput: `
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  updateStrategy: {type: OnDelete}
`,
		},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			w := yaml.MustParse(tc.input)
			p := &plan.Plan{Strategy: tc.strategy}
			changes, err := Filter{Kind: tc.kind, Plan: p}.Apply(w)
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if !reflect.DeepEqual(changes, tc.changes) {
				t.Errorf("changes =\n%#v\nwant\n%#v", changes, tc.changes)
			}
			got := w.MustString()
			if strings.TrimSpace(got) != strings.TrimSpace(tc.expectedOutput) {
				t.Errorf("output:\n%s\nwant:\n%s", got, tc.expectedOutput)
			}
			// maxUnavailable 0 must be an int, not the string "0".
			if tc.strategy.MaxUnavailable == "0" && len(tc.changes) > 0 {
				mu, _ := w.Pipe(yaml.Lookup(strings.Split(changes[len(changes)-1].Field, ".")...))
				if mu == nil || mu.YNode().Tag != yaml.NodeTagInt {
					t.Errorf("maxUnavailable is not an int: %v", mu)
				}
			}
			again, err := Filter{Kind: tc.kind, Plan: p}.Apply(w)
			if err != nil || len(again) != 0 {
				t.Errorf("second Apply: %v, %v; want no changes", again, err)
			}
			if w.MustString() != got {
				t.Errorf("second Apply changed the output:\n%s", w.MustString())
			}
		})
	}
}

func TestFilter_Errors(t *testing.T) {
	w := yaml.MustParse("kind: Deployment\nspec: {strategy: [Recreate]}\n")
	_, err := Filter{Kind: "Deployment", Plan: &plan.Plan{Strategy: plan.Rollout{MaxUnavailable: "0"}}}.Apply(w)
	if err == nil || !strings.Contains(err.Error(), "spec.strategy") {
		t.Errorf("err = %v, want one naming spec.strategy", err)
	}
}
