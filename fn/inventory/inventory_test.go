package inventory

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/graceful-rollout/graceful-rollout/fn/plan"
)

// items parses a multi-document YAML stream into items.
func items(t *testing.T, text string) []*yaml.RNode {
	t.Helper()
	var out []*yaml.RNode
	for _, doc := range strings.Split(text, "\n---\n") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		n, err := yaml.Parse(doc)
		if err != nil {
			t.Fatalf("bad test input: %v\n%s", err, doc)
		}
		out = append(out, n)
	}
	return out
}

func workload(ix *Index, name string) *Workload {
	for _, w := range ix.Workloads {
		if w.Name == name {
			return w
		}
	}
	return nil
}

func deployment(ns, name, labels string) string {
	return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ` + name + `
  namespace: ` + ns + `
spec:
  template:
    metadata:
      labels: ` + labels + `
    spec:
      containers:
      - name: app
        image: app
`
}

func svcYAML(ns, name, selector string) string {
	return `apiVersion: v1
kind: Service
metadata:
  name: ` + name + `
  namespace: ` + ns + `
spec:
  selector: ` + selector + `
  ports: [{port: 80}]
`
}

func TestNew_ServiceSelection(t *testing.T) {
	testCases := map[string]struct {
		input string
		// services[workload] is the Services expected to select it.
		services map[string][]string
	}{
		"exact match": {
			input:    deployment("shop", "web", "{app: web}") + "---\n" + svcYAML("shop", "web", "{app: web}"),
			services: map[string][]string{"web": {"web"}},
		},
		"selector is a subset of the pod labels": {
			input:    deployment("shop", "web", "{app: web, tier: front, version: v2}") + "---\n" + svcYAML("shop", "web", "{app: web, tier: front}"),
			services: map[string][]string{"web": {"web"}},
		},
		"selector with a label the pods lack": {
			input:    deployment("shop", "web", "{app: web}") + "---\n" + svcYAML("shop", "web", "{app: web, tier: front}"),
			services: map[string][]string{"web": nil},
		},
		"selector with a different value": {
			input:    deployment("shop", "web", "{app: web, tier: front}") + "---\n" + svcYAML("shop", "web", "{app: web, tier: back}"),
			services: map[string][]string{"web": nil},
		},
		// The index keys a Service by its smallest label key ("a"); the pod
		// must still be found through any of its labels.
		"index key is not the first pod label": {
			input:    deployment("shop", "web", "{z: 1, a: x}") + "---\n" + svcYAML("shop", "s", "{z: '1', a: x}"),
			services: map[string][]string{"web": {"s"}},
		},
		"other namespace does not match": {
			input:    deployment("shop", "web", "{app: web}") + "---\n" + svcYAML("other", "web", "{app: web}"),
			services: map[string][]string{"web": nil},
		},
		"empty selector selects nothing": {
			input:    deployment("shop", "web", "{app: web}") + "---\n" + svcYAML("shop", "manual", "{}"),
			services: map[string][]string{"web": nil},
		},
		"no selector selects nothing": {
			input: deployment("shop", "web", "{app: web}") + "---\n" + `apiVersion: v1
kind: Service
metadata: {name: ext, namespace: shop}
spec: {type: ExternalName, externalName: example.com}
`,
			services: map[string][]string{"web": nil},
		},
		"several Services, sorted, each once": {
			input: deployment("shop", "web", "{app: web, tier: front}") + "---\n" +
				svcYAML("shop", "web-b", "{app: web}") + "---\n" +
				svcYAML("shop", "web-a", "{tier: front, app: web}") + "---\n" +
				svcYAML("shop", "api", "{app: api}"),
			services: map[string][]string{"web": {"web-a", "web-b"}},
		},
		"one Service selects two workloads": {
			input: deployment("shop", "web", "{app: web, track: stable}") + "---\n" +
				deployment("shop", "canary", "{app: web, track: canary}") + "---\n" +
				svcYAML("shop", "web", "{app: web}"),
			services: map[string][]string{"web": {"web"}, "canary": {"web"}},
		},
		"pod without labels": {
			input:    deployment("shop", "web", "{}") + "---\n" + svcYAML("shop", "web", "{app: web}"),
			services: map[string][]string{"web": nil},
		},
		"a Service of another apiVersion is not a Service": {
			input:    deployment("shop", "web", "{app: web}") + "---\n" + strings.Replace(svcYAML("shop", "web", "{app: web}"), "apiVersion: v1", "apiVersion: example.com/v1", 1),
			services: map[string][]string{"web": nil},
		},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			ix := New(items(t, tc.input))
			if len(ix.Problems) > 0 {
				t.Fatalf("Problems: %+v", ix.Problems)
			}
			for wl, want := range tc.services {
				w := workload(ix, wl)
				if w == nil {
					t.Fatalf("workload %s not indexed", wl)
				}
				if !reflect.DeepEqual(w.Facts.Services, want) {
					t.Errorf("%s: Services = %q, want %q", wl, w.Facts.Services, want)
				}
			}
		})
	}
}

func TestNew_Linking(t *testing.T) {
	input := deployment("shop", "web", "{app: web}") + "---\n" +
		deployment("shop", "api", "{app: api}") + "---\n" +
		deployment("other", "web", "{app: web}") + "---\n" +
		svcYAML("shop", "web", "{app: web}") + "---\n" +
		svcYAML("other", "web", "{app: web}") + "---\n" + `
apiVersion: elbv2.k8s.aws/v1beta1
kind: TargetGroupBinding
metadata: {name: web-tg-b, namespace: shop}
spec:
  serviceRef: {name: web, port: 80}
---
apiVersion: elbv2.k8s.aws/v1beta1
kind: TargetGroupBinding
metadata: {name: web-tg-a, namespace: shop}
spec:
  serviceRef: {name: web, port: 80}
  targetType: ip
---
apiVersion: elbv2.k8s.aws/v1beta1
kind: TargetGroupBinding
metadata: {name: api-tg, namespace: shop}
spec:
  serviceRef: {name: api, port: 80}
---
apiVersion: elbv2.k8s.aws/v1beta1
kind: TargetGroupBinding
metadata: {name: no-ref, namespace: shop}
spec: {targetGroupARN: arn}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 3
  maxReplicas: 10
---
apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: other}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  maxReplicas: 10
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: api, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: StatefulSet, name: api}
  minReplicas: 2
---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
`
	ix := New(items(t, input))
	if len(ix.Problems) > 0 {
		t.Fatalf("Problems: %+v", ix.Problems)
	}
	var web, api, otherWeb *Workload
	for _, w := range ix.Workloads {
		switch w.Namespace + "/" + w.Name {
		case "shop/web":
			web = w
		case "shop/api":
			api = w
		case "other/web":
			otherWeb = w
		}
	}
	if web == nil || api == nil || otherWeb == nil {
		t.Fatalf("workloads not indexed: %+v", ix.Workloads)
	}
	testCases := []struct {
		name    string
		w       *Workload
		tgbs    []string
		hpaMin  *int
		service []string
	}{
		// TGBs link through the Service, sorted; the api TGB names a
		// Service that is not in the input and links nothing. Only ip
		// targets count for gates (web-tg-b has no targetType: checked
		// below).
		{"shop/web", web, []string{"web-tg-a"}, intp(3), []string{"web"}},
		{"shop/api", api, nil, nil, nil},
		// the TGBs are in another namespace; the HPA there has no
		// minReplicas, which defaults to 1.
		{"other/web", otherWeb, nil, intp(1), []string{"web"}},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.w.Facts
			if !reflect.DeepEqual(f.TargetGroupBindings, tc.tgbs) {
				t.Errorf("TargetGroupBindings = %q, want %q", f.TargetGroupBindings, tc.tgbs)
			}
			if !reflect.DeepEqual(f.Services, tc.service) {
				t.Errorf("Services = %q, want %q", f.Services, tc.service)
			}
			if tc.name == "shop/web" && !reflect.DeepEqual(f.InstanceTargetGroups, []string{"web-tg-b"}) {
				t.Errorf("InstanceTargetGroups = %q, want [web-tg-b]", f.InstanceTargetGroups)
			}
			switch {
			case tc.hpaMin == nil && f.HPAMinReplicas != nil:
				t.Errorf("HPAMinReplicas = %d, want none", *f.HPAMinReplicas)
			case tc.hpaMin != nil && (f.HPAMinReplicas == nil || *f.HPAMinReplicas != *tc.hpaMin):
				t.Errorf("HPAMinReplicas = %v, want %d", f.HPAMinReplicas, *tc.hpaMin)
			}
		})
	}
	if ns := ix.Namespaces["shop"]; ns == nil || ns.Kind != "Namespace" {
		t.Errorf("Namespace shop not indexed: %+v", ix.Namespaces)
	}
	if len(ix.Namespaces) != 1 {
		t.Errorf("Namespaces = %v, want only shop", ix.Namespaces)
	}
	if len(ix.Objects) != 13 {
		t.Errorf("len(Objects) = %d, want every item (13)", len(ix.Objects))
	}
	for i, o := range ix.Objects {
		if o.Item != i {
			t.Errorf("Objects[%d].Item = %d", i, o.Item)
		}
	}
}

func TestIsWorkload(t *testing.T) {
	testCases := []struct {
		apiVersion, kind string
		want             bool
	}{
		{"apps/v1", "Deployment", true},
		{"apps/v1", "StatefulSet", true},
		{"apps/v1", "DaemonSet", true},
		{"apps/v1", "ReplicaSet", true},
		{"argoproj.io/v1alpha1", "Rollout", true},
		{"extensions/v1beta1", "Deployment", false},
		{"apps/v1", "Rollout", false},
		{"batch/v1", "Job", false},
		{"v1", "Pod", false},
	}
	for _, tc := range testCases {
		if got := IsWorkload(tc.apiVersion, tc.kind); got != tc.want {
			t.Errorf("IsWorkload(%q, %q) = %v", tc.apiVersion, tc.kind, got)
		}
	}
}

func intp(v int) *int { return &v }

func TestNew_WorkloadFacts(t *testing.T) {
	testCases := map[string]struct {
		input string
		check func(t *testing.T, f plan.Workload, w *Workload)
	}{
		"Deployment": {
			input: `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  annotations:
    graceful-rollout.dev/pre-stop-seconds: "30"
spec:
  replicas: 3
  minReadySeconds: 10
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxUnavailable: 25%, maxSurge: 1}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 45
      readinessGates:
      - conditionType: example.com/ready
      volumes:
      - name: data
        persistentVolumeClaim: {claimName: data}
      containers:
      - name: app
        image: gcr.io/distroless/static
        ports: [{containerPort: 8080}, {containerPort: 9090}]
        readinessProbe: {httpGet: {path: /, port: 8080}}
        lifecycle:
          preStop:
            sleep: {seconds: 12}
      - name: istio-proxy
        image: istio/proxyv2
        ports: [{containerPort: 15090}]
`,
			check: func(t *testing.T, f plan.Workload, w *Workload) {
				want := plan.Workload{
					Kind: "Deployment", Namespace: "shop", Name: "web",
					Annotations:    map[string]string{"graceful-rollout.dev/pre-stop-seconds": "30"},
					Replicas:       intp(3),
					MinReady:       intp(10),
					Grace:          intp(45),
					ReadinessGates: []string{"example.com/ready"},
					HasPVC:         true, Claims: []string{"data"}, UnknownClaims: []string{"data"},
					Strategy: plan.Strategy{Type: "RollingUpdate", MaxUnavailable: "25%", MaxSurge: "1"},
					Containers: []plan.Container{
						{Name: "app", Index: 0, Image: "gcr.io/distroless/static", Ports: 2, Readiness: true, Hook: plan.HookSleep, HookSeconds: 12},
						{Name: "istio-proxy", Index: 1, Image: "istio/proxyv2", Ports: 1, MeshProxy: true, HookSeconds: -1},
					},
				}
				if !reflect.DeepEqual(f, want) {
					t.Errorf("Facts =\n%+v\nwant\n%+v", f, want)
				}
				if !reflect.DeepEqual(w.PodLabels, map[string]string{"app": "web"}) {
					t.Errorf("PodLabels = %v", w.PodLabels)
				}
			},
		},
		"DaemonSet with a hostPort": {
			input: `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  updateStrategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 1}}
  template:
    spec:
      containers:
      - name: agent
        ports: [{containerPort: 9100, hostPort: 9100}]
`,
			check: func(t *testing.T, f plan.Workload, _ *Workload) {
				if len(f.Containers) != 1 || !f.Containers[0].HostPort {
					t.Errorf("HostPort not read: %+v", f.Containers)
				}
				if f.Strategy != (plan.Strategy{Type: "RollingUpdate", MaxUnavailable: "1"}) {
					t.Errorf("Strategy = %+v", f.Strategy)
				}
				if f.Replicas != nil || f.Grace != nil || f.MinReady != nil {
					t.Errorf("absent numbers read as set: %+v", f)
				}
			},
		},
		"hostPort 0 is no hostPort": {
			input: `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  template:
    spec:
      containers:
      - name: agent
        ports: [{containerPort: 9100, hostPort: 0}]
`,
			check: func(t *testing.T, f plan.Workload, _ *Workload) {
				if f.Containers[0].HostPort {
					t.Errorf("hostPort 0 read as a host port")
				}
			},
		},
		"StatefulSet volumeClaimTemplates": {
			input: `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  updateStrategy: {type: OnDelete}
  volumeClaimTemplates: [{metadata: {name: data}}]
  template:
    spec:
      containers: [{name: db}]
`,
			check: func(t *testing.T, f plan.Workload, _ *Workload) {
				if !f.HasPVC || f.Strategy.Type != "OnDelete" {
					t.Errorf("HasPVC = %v, Strategy = %+v", f.HasPVC, f.Strategy)
				}
			},
		},
		"Rollout canary": {
			input: `
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: r}
spec:
  strategy:
    canary: {maxSurge: 20%, maxUnavailable: 0}
  template:
    spec:
      containers: [{name: app}]
`,
			check: func(t *testing.T, f plan.Workload, _ *Workload) {
				if f.Strategy != (plan.Strategy{Canary: true, MaxSurge: "20%", MaxUnavailable: "0"}) {
					t.Errorf("Strategy = %+v", f.Strategy)
				}
			},
		},
		"Rollout blueGreen": {
			input: `
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: r}
spec:
  strategy:
    blueGreen: {activeService: r}
  template:
    spec:
      containers: [{name: app}]
`,
			check: func(t *testing.T, f plan.Workload, _ *Workload) {
				if f.Strategy != (plan.Strategy{BlueGreen: true}) {
					t.Errorf("Strategy = %+v", f.Strategy)
				}
			},
		},
		"Rollout with workloadRef": {
			input: `
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: r}
spec:
  workloadRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  strategy: {canary: {}}
`,
			check: func(t *testing.T, f plan.Workload, _ *Workload) {
				if !f.NoTemplate {
					t.Errorf("NoTemplate = false")
				}
			},
		},
		"readinessProbe null is no probe": {
			input: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
      - name: app
        readinessProbe: null
        lifecycle: {preStop: {httpGet: {path: /drain, port: 80}}}
      - name: side
        lifecycle: {preStop: {tcpSocket: {port: 80}}}
`,
			check: func(t *testing.T, f plan.Workload, _ *Workload) {
				if f.Containers[0].Readiness {
					t.Errorf("Readiness = true for a null probe")
				}
				if f.Containers[0].Hook != plan.HookHTTPGet || f.Containers[0].HookSeconds != -1 {
					t.Errorf("httpGet hook read as %+v", f.Containers[0])
				}
				if f.Containers[1].Hook != plan.HookOther {
					t.Errorf("tcpSocket hook read as %q", f.Containers[1].Hook)
				}
			},
		},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			ix := New(items(t, tc.input))
			if len(ix.Problems) > 0 {
				t.Fatalf("Problems: %+v", ix.Problems)
			}
			if len(ix.Workloads) != 1 {
				t.Fatalf("%d workloads, want 1", len(ix.Workloads))
			}
			tc.check(t, ix.Workloads[0].Facts, ix.Workloads[0])
		})
	}
}

func TestNew_ExecSleep(t *testing.T) {
	testCases := []struct {
		command string
		hook    plan.HookKind
		seconds int
	}{
		{`["sleep", "5"]`, plan.HookExec, 5},
		{`["/bin/sleep", "30"]`, plan.HookExec, 30},
		{`["/bin/sh", "-c", "sleep 5"]`, plan.HookExec, 5},
		{`["sh", "-c", "sleep 20"]`, plan.HookExec, 20},
		{`["/bin/bash", "-c", "sleep 15"]`, plan.HookExec, 15},
		{`["/usr/bin/sh", "-c", " sleep 7 "]`, plan.HookExec, 7},
		{`["/bin/sh", "-c", "sleep 5 && nginx -s quit"]`, plan.HookExec, -1},
		{`["/bin/sh", "-c", "/app/drain.sh"]`, plan.HookExec, -1},
		{`["nginx", "-s", "quit"]`, plan.HookExec, -1},
		{`["sleep", "5s"]`, plan.HookExec, -1},
		{`["sleep", "infinity"]`, plan.HookExec, -1},
		{`[]`, plan.HookExec, -1},
	}
	for _, tc := range testCases {
		t.Run(tc.command, func(t *testing.T) {
			input := `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
      - name: app
        lifecycle:
          preStop:
            exec:
              command: ` + tc.command + `
`
			ix := New(items(t, input))
			if len(ix.Problems) > 0 {
				t.Fatalf("Problems: %+v", ix.Problems)
			}
			ct := ix.Workloads[0].Facts.Containers[0]
			if ct.Hook != tc.hook || ct.HookSeconds != tc.seconds {
				t.Errorf("Hook = %q %d, want %q %d", ct.Hook, ct.HookSeconds, tc.hook, tc.seconds)
			}
		})
	}
	// A sleep action's seconds are read; without seconds the length is unknown.
	for text, want := range map[string]int{"{seconds: 40}": 40, "{}": -1} {
		ix := New(items(t, `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
      - name: app
        lifecycle: {preStop: {sleep: `+text+`}}
`))
		ct := ix.Workloads[0].Facts.Containers[0]
		if ct.Hook != plan.HookSleep || ct.HookSeconds != want {
			t.Errorf("sleep %s: Hook = %q %d, want sleep %d", text, ct.Hook, ct.HookSeconds, want)
		}
	}
}

func TestNew_Problems(t *testing.T) {
	testCases := map[string]struct {
		input string
		// want is the expected problems as "item field" pairs (each
		// distinct one once); msg a substring of the first problem's message.
		want []string
		msg  string
	}{
		"replicas as a word": {
			input: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: three
  template: {spec: {containers: [{name: app}]}}
`,
			want: []string{"0 spec.replicas"}, msg: `"three"`,
		},
		// The API server rejects these; they are refused by name.
		"no containers": {
			input: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers: []
`,
			want: []string{"0 spec.template.spec.containers"}, msg: "at least one container",
		},
		"two containers of one name": {
			input: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      initContainers: [{name: app, image: init}]
      containers: [{name: web, image: a}, {name: app, image: b}]
`,
			want: []string{"0 spec.template.spec.containers[1].name"}, msg: `"app" is also initContainers[0]`,
		},
		// retail-store-sample-app chart (src/ui/chart, pdb.yaml with both
		// values set): the API server rejects it.
		"a budget with minAvailable and maxUnavailable": {
			input: `
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: ui}
spec:
  minAvailable: 2
  maxUnavailable: 1
  selector: {matchLabels: {app: ui}}
`,
			want: []string{"0 spec"}, msg: "both minAvailable and maxUnavailable",
		},
		"a duplicate key": {
			input: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 2\n  replicas: 3\n  template:\n    spec:\n      containers: [{name: a}]\n",
			want:  []string{"0 spec.replicas"}, msg: "duplicate key",
		},
		"a YAML merge key": {
			input: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers:\n      - &base {name: a, lifecycle: {preStop: {sleep: {seconds: 80}}}}\n      - <<: *base\n        name: b\n",
			want:  []string{"0 spec.template.spec.containers[1]"}, msg: "merge key",
		},
		"replicas quoted": {
			input: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: "3"
  template: {spec: {containers: [{name: app}]}}
`,
			want: []string{"0 spec.replicas"},
		},
		"containers as a map": {
			input: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers: {name: app}
`,
			want: []string{"0 spec.template.spec.containers"}, msg: "expected a list, got a map",
		},
		"a container that is not a map": {
			input: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers: [{name: ok}, app]
`,
			want: []string{"0 spec.template.spec.containers[1]"},
		},
		"negative grace period": {
			input: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      terminationGracePeriodSeconds: -5
      containers: [{name: app}]
`,
			want: []string{"0 spec.template.spec.terminationGracePeriodSeconds"}, msg: `"-5"`,
		},
		"grace period above int32": {
			input: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      terminationGracePeriodSeconds: 3000000000
      containers: [{name: app}]
`,
			want: []string{"0 spec.template.spec.terminationGracePeriodSeconds"},
		},
		"minReadySeconds overflowing int64": {
			input: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  minReadySeconds: 99999999999999999999
  template: {spec: {containers: [{name: app}]}}
`,
			want: []string{"0 spec.minReadySeconds"},
		},
		"replicas as a fraction": {
			input: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2.5
  template: {spec: {containers: [{name: app}]}}
`,
			want: []string{"0 spec.replicas"},
		},
		"wrong types inside a container": {
			input: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
      - name: app
        ports: {http: 80}
        lifecycle: {preStop: {sleep: {seconds: soon}}}
      - name: side
        ports: [{containerPort: 1, hostPort: high}]
`,
			want: []string{
				"0 spec.template.spec.containers[0].ports",
				"0 spec.template.spec.containers[0].lifecycle.preStop.sleep.seconds",
				"0 spec.template.spec.containers[1].ports[0].hostPort",
			},
		},
		"readinessGates as a map": {
			input: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      readinessGates: {conditionType: x}
      containers: [{name: app}]
`,
			want: []string{"0 spec.template.spec.readinessGates"},
		},
		"spec as a list": {
			input: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec: [a]
`,
			want: []string{"0 spec"},
		},
		"labels as a list": {
			input: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    metadata: {labels: [app]}
    spec: {containers: [{name: app}]}
`,
			want: []string{"0 spec.template.metadata.labels"},
		},
		"annotation value a map": {
			input: `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations: {a: {b: c}}
spec:
  template: {spec: {containers: [{name: app}]}}
`,
			want: []string{"0 metadata.annotations.a"},
		},
		"maxSurge as a map": {
			input: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  strategy: {rollingUpdate: {maxSurge: {a: 1}}}
  template: {spec: {containers: [{name: app}]}}
`,
			want: []string{"0 spec.strategy.rollingUpdate.maxSurge"},
		},
		"Service selector value a list, second item": {
			input: `
apiVersion: v1
kind: ConfigMap
metadata: {name: x}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: [web]}
`,
			want: []string{"1 spec.selector.app"},
		},
		"HPA minReplicas a word": {
			input: `
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {kind: Deployment, name: web}
  minReplicas: one
`,
			want: []string{"0 spec.minReplicas"},
		},
		"name as a map": {
			input: `
apiVersion: v1
kind: ConfigMap
metadata: {name: {a: b}}
`,
			want: []string{"0 metadata.name"},
		},
		"item that is not an object": {
			input: `- a
- b
`,
			want: []string{"0 "},
		},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			ix := New(items(t, tc.input))
			var got []string
			seen := map[string]bool{}
			for _, p := range ix.Problems {
				// The same broken node is met by every read through it
				// (spec: [a] fails for replicas, template, strategy, ...);
				// count each field once.
				if k := fmt.Sprintf("%d %s", p.Item, p.Field); !seen[k] {
					seen[k] = true
					got = append(got, k)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Problems = %q, want %q (%+v)", got, tc.want, ix.Problems)
			}
			if tc.msg != "" && (len(ix.Problems) == 0 || !strings.Contains(ix.Problems[0].Msg, tc.msg)) {
				t.Errorf("first problem %+v does not mention %q", ix.Problems, tc.msg)
			}
		})
	}
}
