package lifecycle

import (
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/graceful-rollout/graceful-rollout/fn/plan"
	"github.com/graceful-rollout/graceful-rollout/internal/edit"
)

const (
	appHook   = "spec.template.spec.containers[name=app].lifecycle.preStop"
	gracePath = "spec.template.spec.terminationGracePeriodSeconds"
)

func sleepHook(i int, name string, s int) plan.Hook {
	return plan.Hook{Index: i, Name: name, Mechanism: plan.MechSleep, Seconds: s}
}

func TestFilter(t *testing.T) {
	testCases := map[string]struct {
		input, expectedOutput string
		plan                  plan.Plan
		changes               []edit.Change
	}{
		"sleep hook and grace period on a bare Deployment": {
			input: `
# the web tier
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web # public
spec:
  replicas: 3
  template:
    metadata:
      labels: {app: web}
    spec:
      # the app
      containers:
      - name: app
        image: nginx # pinned
        ports:
        - containerPort: 80
      dnsPolicy: ClusterFirst
`,
			expectedOutput: `
# the web tier
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web # public
spec:
  replicas: 3
  template:
    metadata:
      labels: {app: web}
    spec:
      # the app
      containers:
      - name: app
        image: nginx # pinned
        ports:
        - containerPort: 80
        lifecycle:
          preStop:
            sleep:
              seconds: 20
      dnsPolicy: ClusterFirst
      terminationGracePeriodSeconds: 30
`,
			plan: plan.Plan{Hooks: []plan.Hook{sleepHook(0, "app", 20)}, Grace: 30, SetGrace: true},
			changes: []edit.Change{
				{Field: appHook, To: "{sleep: {seconds: 20}}"},
				{Field: gracePath, To: "30"},
			},
		},
		"exec hook below 1.30": {
			input: `
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  template:
    spec:
      containers:
      - name: app
        image: postgres
`,
			expectedOutput: `
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  template:
    spec:
      containers:
      - name: app
        image: postgres
        lifecycle:
          preStop:
            exec:
              command:
              - /bin/sh
              - -c
              - sleep 15
`,
			plan:    plan.Plan{Hooks: []plan.Hook{{Index: 0, Name: "app", Mechanism: plan.MechExec, Seconds: 15}}},
			changes: []edit.Change{{Field: appHook, To: "{exec: {command: [/bin/sh, -c, sleep 15]}}"}},
		},
		"httpGet hooks, numeric and named port": {
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
        image: gcr.io/distroless/static
      - name: api
        image: gcr.io/distroless/base
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
        image: gcr.io/distroless/static
        lifecycle:
          preStop:
            httpGet:
              path: /sleep?s=20
              port: 8080
      - name: api
        image: gcr.io/distroless/base
        lifecycle:
          preStop:
            httpGet:
              path: /sleep?s=20
              port: http
`,
			plan: plan.Plan{Hooks: []plan.Hook{
				{Index: 0, Name: "app", Mechanism: plan.MechHTTPGet, Seconds: 20, HTTPPath: "/sleep?s=20", HTTPPort: "8080"},
				{Index: 1, Name: "api", Mechanism: plan.MechHTTPGet, Seconds: 20, HTTPPath: "/sleep?s=20", HTTPPort: "http"},
			}},
			changes: []edit.Change{
				{Field: appHook, To: "{httpGet: {path: /sleep?s=20, port: 8080}}"},
				{Field: "spec.template.spec.containers[name=api].lifecycle.preStop", To: "{httpGet: {path: /sleep?s=20, port: http}}"},
			},
		},
		"hook by index; other containers untouched": {
			input: `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: istio-proxy # injected
        image: istio/proxyv2
      - name: app
        image: nginx
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
      - name: istio-proxy # injected
        image: istio/proxyv2
      - name: app
        image: nginx
        lifecycle:
          preStop:
            sleep:
              seconds: 10
`,
			plan:    plan.Plan{Hooks: []plan.Hook{sleepHook(1, "app", 10)}},
			changes: []edit.Change{{Field: appHook, To: "{sleep: {seconds: 10}}"}},
		},
		"replaces a preStop, keeps postStart and the rest": {
			input: `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      terminationGracePeriodSeconds: 120
      containers:
      - name: app
        lifecycle:
          # runs on start
          postStart: {exec: {command: [touch, /ready]}}
          preStop:
            exec:
              command: ["sleep", "5"]
        image: nginx
`,
			expectedOutput: `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      terminationGracePeriodSeconds: 30
      containers:
      - name: app
        lifecycle:
          # runs on start
          postStart: {exec: {command: [touch, /ready]}}
          preStop:
            sleep:
              seconds: 10
        image: nginx
`,
			plan: plan.Plan{Hooks: []plan.Hook{sleepHook(0, "app", 10)}, Grace: 30, SetGrace: true},
			changes: []edit.Change{
				{Field: appHook, From: "{exec: {command: [sleep, 5]}}", To: "{sleep: {seconds: 10}}"},
				{Field: gracePath, From: "120", To: "30"},
			},
		},
		"SetGrace false leaves the grace period alone": {
			input: `
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  template:
    spec:
      terminationGracePeriodSeconds: 5
      containers:
      - name: app
`,
			expectedOutput: `
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  template:
    spec:
      terminationGracePeriodSeconds: 5
      containers:
      - name: app
`,
			plan: plan.Plan{Grace: 90},
		},
		"already in place, flow style: no change": {
			input: `
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: r
spec:
  template:
    spec:
      terminationGracePeriodSeconds: 30
      containers:
      - name: app
        lifecycle: {preStop: {sleep: {seconds: 20}}}
`,
			expectedOutput: `
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: r
spec:
  template:
    spec:
      terminationGracePeriodSeconds: 30
      containers:
      - name: app
        lifecycle: {preStop: {sleep: {seconds: 20}}}
`,
			plan: plan.Plan{Hooks: []plan.Hook{sleepHook(0, "app", 20)}, Grace: 30, SetGrace: true},
		},
		"exec already in place with quoted strings: no change": {
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
        lifecycle:
          preStop:
            exec:
              command: ["/bin/sh", "-c", "sleep 15"]
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
        lifecycle:
          preStop:
            exec:
              command: ["/bin/sh", "-c", "sleep 15"]
`,
			plan: plan.Plan{Hooks: []plan.Hook{{Index: 0, Name: "app", Mechanism: plan.MechExec, Seconds: 15}}},
		},
		"lifecycle and grace period null": {
			input: `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      terminationGracePeriodSeconds: null
      containers:
      - name: app
        lifecycle:
        image: nginx
`,
			expectedOutput: `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      terminationGracePeriodSeconds: 30
      containers:
      - name: app
        lifecycle:
          preStop:
            sleep:
              seconds: 10
        image: nginx
`,
			plan: plan.Plan{Hooks: []plan.Hook{sleepHook(0, "app", 10)}, Grace: 30, SetGrace: true},
			changes: []edit.Change{
				{Field: appHook, To: "{sleep: {seconds: 10}}"},
				{Field: gracePath, From: "", To: "30"},
			},
		},
		"empty plan": {
			input: `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
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
  template:
    spec:
      containers: [{name: app}]
`,
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
		"no pod template": {
			input: "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: r}\nspec: {workloadRef: {name: web}}\n",
			plan:  plan.Plan{Grace: 30, SetGrace: true},
			msg:   "spec.template.spec: not found",
		},
		"containers not a list": {
			input: "kind: Deployment\nspec: {template: {spec: {containers: {name: app}}}}\n",
			plan:  plan.Plan{Hooks: []plan.Hook{sleepHook(0, "app", 5)}},
			msg:   "spec.template.spec.containers: expected a list",
		},
		"no containers": {
			input: "kind: Deployment\nspec: {template: {spec: {}}}\n",
			plan:  plan.Plan{Hooks: []plan.Hook{sleepHook(0, "app", 5)}},
			msg:   "expected a list",
		},
		"index out of range": {
			input: "kind: Deployment\nspec: {template: {spec: {containers: [{name: app}]}}}\n",
			plan:  plan.Plan{Hooks: []plan.Hook{sleepHook(1, "side", 5)}},
			msg:   "containers[1]: not found",
		},
		"lifecycle not a map": {
			input: "kind: Deployment\nspec: {template: {spec: {containers: [{name: app, lifecycle: [x]}]}}}\n",
			plan:  plan.Plan{Hooks: []plan.Hook{sleepHook(0, "app", 5)}},
			msg:   "containers[name=app]",
		},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			w := yaml.MustParse(tc.input)
			p := tc.plan
			_, err := Filter{Plan: &p}.Apply(w)
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("err = %v, want it to contain %q", err, tc.msg)
			}
		})
	}
}

func TestHandler(t *testing.T) {
	testCases := []struct {
		hook plan.Hook
		want string
	}{
		{sleepHook(0, "a", 7), "{sleep: {seconds: 7}}"},
		{plan.Hook{Mechanism: plan.MechExec, Seconds: 30}, "{exec: {command: [/bin/sh, -c, sleep 30]}}"},
		{plan.Hook{Mechanism: plan.MechHTTPGet, HTTPPath: "/x", HTTPPort: "9000"}, "{httpGet: {path: /x, port: 9000}}"},
	}
	for _, tc := range testCases {
		n := Handler(tc.hook)
		if got := edit.Short(n); got != tc.want {
			t.Errorf("Handler(%+v) = %s, want %s", tc.hook, got, tc.want)
		}
	}
	// The port is an int when numeric (IntOrString), the seconds an int.
	port := Handler(plan.Hook{Mechanism: plan.MechHTTPGet, HTTPPath: "/x", HTTPPort: "9000"}).Content[1].Content[3]
	if port.Tag != yaml.NodeTagInt {
		t.Errorf("numeric port tagged %s", port.Tag)
	}
	secs := Handler(sleepHook(0, "a", 7)).Content[1].Content[1]
	if secs.Tag != yaml.NodeTagInt {
		t.Errorf("seconds tagged %s", secs.Tag)
	}
}
