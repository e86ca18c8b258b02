package inventory

import (
	"reflect"
	"testing"

	"github.com/graceful-rollout/graceful-rollout/fn/profile"
)

// Each workload's paths are read through the Services that select it:
// Ingress (with the default IngressClass), HTTPRoute and GRPCRoute per
// Gateway, LoadBalancer Service, standalone NEG, TargetGroupBinding; a
// route attached only to a mesh is none.
func TestNew_Paths(t *testing.T) {
	input := deployment("shop", "web", "{app: web}") + "---\n" +
		deployment("shop", "api", "{app: api}") + "---\n" +
		deployment("shop", "mesh", "{app: mesh}") + "---\n" +
		svcYAML("shop", "web", "{app: web}") + "---\n" +
		svcYAML("shop", "mesh", "{app: mesh}") + "---\n" + `
apiVersion: v1
kind: Service
metadata:
  name: api
  namespace: shop
  annotations:
    cloud.google.com/neg: '{"exposed_ports": {"80": {}}}'
spec:
  type: LoadBalancer
  selector: {app: api}
  ports: [{port: 80}]
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: public
  annotations: {ingressclass.kubernetes.io/is-default-class: "true"}
spec: {controller: k8s.io/ingress-nginx}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations: {appgw.ingress.kubernetes.io/request-timeout: "45"}
spec:
  defaultBackend: {service: {name: web, port: {number: 80}}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: web, namespace: shop}
spec:
  parentRefs: [{name: gw}]
  rules: [{backendRefs: [{name: web, port: 80}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: mesh, namespace: shop}
spec:
  parentRefs: [{group: "", kind: Service, name: mesh}]
  rules: [{backendRefs: [{name: mesh, port: 80}]}]
---
apiVersion: elbv2.k8s.aws/v1beta1
kind: TargetGroupBinding
metadata: {name: api-tg, namespace: shop}
spec:
  serviceRef: {name: api, port: 80}
  targetType: instance
`
	ix := New(items(t, input))
	if len(ix.Problems) > 0 || !ix.InputHasEntries {
		t.Fatalf("problems %v, entries %v", ix.Problems, ix.InputHasEntries)
	}
	kinds := func(name string) []profile.PathKind {
		var out []profile.PathKind
		for _, p := range workload(ix, name).Facts.Paths {
			out = append(out, p.Kind)
		}
		return out
	}
	if got, want := kinds("web"), []profile.PathKind{profile.PathIngress, profile.PathGateway}; !reflect.DeepEqual(got, want) {
		t.Errorf("web paths %v, want %v", got, want)
	}
	ing := workload(ix, "web").Facts.Paths[0]
	if ing.Class != "public" || ing.Controller != "k8s.io/ingress-nginx" || ing.RequestTimeout != 45 {
		t.Errorf("Ingress path %+v: want the default class public, its controller and a 45 s request timeout", ing)
	}
	if gw := workload(ix, "web").Facts.Paths[1]; gw.ClassKnown || gw.Via != "GRPCRoute shop/web (Gateway shop/gw)" {
		t.Errorf("GRPCRoute path %+v: want a Gateway not in the input", gw)
	}
	if got, want := kinds("api"), []profile.PathKind{profile.PathServiceLB, profile.PathNEG, profile.PathTargetGroup}; !reflect.DeepEqual(got, want) {
		t.Errorf("api paths %v, want %v", got, want)
	}
	if f := workload(ix, "api").Facts; len(f.TargetGroupBindings) != 0 || !reflect.DeepEqual(f.InstanceTargetGroups, []string{"api-tg"}) {
		t.Errorf("instance targets: gates %v, instance %v", f.TargetGroupBindings, f.InstanceTargetGroups)
	}
	if got := kinds("mesh"); len(got) != 0 {
		t.Errorf("a mesh-only route is no load-balancer path: %v", got)
	}
}

// Pod facts about how a workload rolls and where it runs.
func TestNew_PodPlacement(t *testing.T) {
	input := `apiVersion: apps/v1
kind: Deployment
metadata: {name: spot, namespace: shop}
spec:
  template:
    metadata: {labels: {app: spot}}
    spec:
      tolerations: [{key: kubernetes.azure.com/scalesetpriority, operator: Equal, value: spot, effect: NoSchedule}]
      containers: [{name: app, image: app, ports: [{name: metrics, containerPort: 9090}]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: karpenter, namespace: shop}
spec:
  template:
    metadata: {labels: {app: karpenter}}
    spec:
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
            - matchExpressions: [{key: karpenter.sh/capacity-type, operator: In, values: [spot]}]
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - topologyKey: kubernetes.io/hostname
            labelSelector: {matchLabels: {app: karpenter}}
      hostNetwork: true
      containers: [{name: app, image: gcr.io/cloud-sql-connectors/cloud-sql-proxy:2}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: plain}
spec:
  progressDeadlineSeconds: 120
  template:
    metadata: {labels: {app: plain}}
    spec:
      nodeSelector: {eks.amazonaws.com/capacityType: ON_DEMAND}
      containers: [{name: app, image: app, ports: [{containerPort: 80}]}]
---
` + svcYAML("default", "plain", "{app: plain}")
	ix := New(items(t, input))
	spot, karp, plain := workload(ix, "spot").Facts, workload(ix, "karpenter").Facts, workload(ix, "plain").Facts
	if !spot.Spot || !karp.Spot || plain.Spot {
		t.Errorf("Spot = %v, %v, %v; want true, true, false", spot.Spot, karp.Spot, plain.Spot)
	}
	if spot.Containers[0].Ports != 0 {
		t.Errorf("a metrics port counts as serving: %d", spot.Containers[0].Ports)
	}
	if !karp.RequiredAntiAffinity || !karp.HostNetwork || !karp.Containers[0].Helper {
		t.Errorf("karpenter facts %+v", karp)
	}
	if plain.ProgressDeadline == nil || *plain.ProgressDeadline != 120 {
		t.Errorf("ProgressDeadline = %v", plain.ProgressDeadline)
	}
	// No namespace and default are matched, and said once by the run.
	if !reflect.DeepEqual(plain.Services, []string{"plain"}) || !ix.MixedDefault {
		t.Errorf("Services %v, MixedDefault %v", plain.Services, ix.MixedDefault)
	}
}
