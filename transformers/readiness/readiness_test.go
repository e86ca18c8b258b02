package readiness

import (
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/graceful-rollout/graceful-rollout/fn/plan"
	"github.com/graceful-rollout/graceful-rollout/internal/edit"
)

const gatesPath = "spec.template.spec.readinessGates"

func TestFilter(t *testing.T) {
	testCases := map[string]struct {
		input, expectedOutput string
		plan                  plan.Plan
		changes               []edit.Change
	}{
		"minReadySeconds added after the other spec fields": {
			input: `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3 # three zones
  selector:
    matchLabels: {app: web}
  template:
    spec:
      containers: [{name: app}]
`,
			expectedOutput: `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3 # three zones
  selector:
    matchLabels: {app: web}
  template:
    spec:
      containers: [{name: app}]
  minReadySeconds: 60
`,
			plan:    plan.Plan{MinReady: 60, SetMinReady: true},
			changes: []edit.Change{{Field: "spec.minReadySeconds", To: "60"}},
		},
		"minReadySeconds raised in place": {
			input: `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  # wait for the NEG
  minReadySeconds: 10
  replicas: 3
`,
			expectedOutput: `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  # wait for the NEG
  minReadySeconds: 60
  replicas: 3
`,
			plan:    plan.Plan{MinReady: 60, SetMinReady: true},
			changes: []edit.Change{{Field: "spec.minReadySeconds", From: "10", To: "60"}},
		},
		"SetMinReady false leaves it alone": {
			input: `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  minReadySeconds: 90
`,
			expectedOutput: `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  minReadySeconds: 90
`,
			plan: plan.Plan{MinReady: 60},
		},
		"gates added to a pod without any": {
			input: `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: app
`,
			expectedOutput: `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: app
      readinessGates:
      - conditionType: target-health.elbv2.k8s.aws/web-a
      - conditionType: target-health.elbv2.k8s.aws/web-b
`,
			plan: plan.Plan{Gates: []string{"target-health.elbv2.k8s.aws/web-a", "target-health.elbv2.k8s.aws/web-b"}},
			changes: []edit.Change{
				{Field: gatesPath, To: "+target-health.elbv2.k8s.aws/web-a"},
				{Field: gatesPath, To: "+target-health.elbv2.k8s.aws/web-b"},
			},
		},
		"gates appended after existing ones, existing ones kept": {
			input: `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      readinessGates:
      # set by us
      - conditionType: example.com/feature-ready
      - conditionType: target-health.elbv2.k8s.aws/web-a
      containers:
      - name: app
`,
			expectedOutput: `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      readinessGates:
      # set by us
      - conditionType: example.com/feature-ready
      - conditionType: target-health.elbv2.k8s.aws/web-a
      - conditionType: target-health.elbv2.k8s.aws/web-b
      containers:
      - name: app
`,
			plan:    plan.Plan{Gates: []string{"target-health.elbv2.k8s.aws/web-a", "target-health.elbv2.k8s.aws/web-b"}},
			changes: []edit.Change{{Field: gatesPath, To: "+target-health.elbv2.k8s.aws/web-b"}},
		},
		"readinessGates null": {
			input: `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      readinessGates:
      containers: [{name: app}]
`,
			expectedOutput: `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      readinessGates:
      - conditionType: target-health.elbv2.k8s.aws/tg
      containers: [{name: app}]
`,
			plan:    plan.Plan{Gates: []string{"target-health.elbv2.k8s.aws/tg"}},
			changes: []edit.Change{{Field: gatesPath, To: "+target-health.elbv2.k8s.aws/tg"}},
		},
		"both": {
			input: `
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: r
spec:
  template:
    spec:
      containers: [{name: app}]
`,
			expectedOutput: `
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: r
spec:
  template:
    spec:
      containers: [{name: app}]
      readinessGates:
      - conditionType: target-health.elbv2.k8s.aws/tg
  minReadySeconds: 5
`,
			plan: plan.Plan{MinReady: 5, SetMinReady: true, Gates: []string{"target-health.elbv2.k8s.aws/tg"}},
			changes: []edit.Change{
				{Field: "spec.minReadySeconds", To: "5"},
				{Field: gatesPath, To: "+target-health.elbv2.k8s.aws/tg"},
			},
		},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			w := yaml.MustParse(tc.input)
			p := tc.plan
			changes, err := Filter{Plan: &p}.Apply(w)
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
			again, err := Filter{Plan: &p}.Apply(w)
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
	testCases := map[string]struct {
		input string
		plan  plan.Plan
		msg   string
	}{
		"readinessGates not a list": {
			input: "kind: Deployment\nspec: {template: {spec: {readinessGates: {a: b}}}}\n",
			plan:  plan.Plan{Gates: []string{"g"}},
			msg:   "readinessGates",
		},
		"spec not a map": {
			input: "kind: Deployment\nspec: [a]\n",
			plan:  plan.Plan{MinReady: 5, SetMinReady: true},
			msg:   "spec",
		},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			w := yaml.MustParse(tc.input)
			p := tc.plan
			if _, err := (Filter{Plan: &p}).Apply(w); err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("err = %v, want it to mention %q", err, tc.msg)
			}
		})
	}
}
