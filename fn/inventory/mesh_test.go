package inventory

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/graceful-rollout/graceful-rollout/fn/plan"
)

func meshNames(objs []*MeshObject) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.Namespace+"/"+o.Name)
	}
	return out
}

func TestMesh_HostKey(t *testing.T) {
	for _, tc := range []struct {
		host, ns, want string
		ok             bool
	}{
		{"reviews", "shop", "shop/reviews", true},
		{"reviews", "", "/reviews", true},
		{"reviews.shop", "x", "shop/reviews", true},
		{"reviews.shop.svc", "x", "shop/reviews", true},
		{"reviews.shop.svc.cluster.local", "x", "shop/reviews", true},
		{"reviews.shop.svc.corp.example", "x", "shop/reviews", true},
		{"*.shop.svc.cluster.local", "x", "", false},
		{"*", "x", "", false},
		{"api.example.com", "x", "", false},
		{"ns/reviews", "x", "", false},
		{"", "x", "", false},
	} {
		got, ok := hostKey(tc.host, tc.ns)
		if got != tc.want || ok != tc.ok {
			t.Errorf("hostKey(%q, %q) = %q, %v; want %q, %v", tc.host, tc.ns, got, ok, tc.want, tc.ok)
		}
	}
}

const meshObjects = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: by-short-name, namespace: shop}
spec:
  hosts: [reviews]
  http: [{route: [{destination: {host: reviews}}]}]
---
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: by-fqdn, namespace: other}
spec:
  hosts: [reviews.shop.svc.cluster.local, ratings.shop]
  gateways: [mesh, other/gw]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: gateway-only, namespace: shop}
spec:
  hosts: [reviews.shop.svc.cluster.local]
  gateways: [istio-system/public]
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: wildcard, namespace: shop}
spec:
  hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: shop}
spec: {host: reviews}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews-generated
  namespace: shop
  labels: {app.kubernetes.io/managed-by: graceful-rollout}
spec: {host: reviews.shop.svc.cluster.local}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: some-clients, namespace: shop}
spec:
  host: reviews
  workloadSelector: {matchLabels: {app: canary}}
---
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: shop, annotations: {a: b}}
spec:
  selector: {app: reviews}
  ports:
  - {name: http-web, port: 9080}
  - {name: tcp, port: 9000}
`

// A mesh object the function cannot read fails the run, naming the field,
// rather than being overlooked and duplicated.
func TestMesh_MalformedIsAProblem(t *testing.T) {
	ix := New(items(t, `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: malformed, namespace: shop}
spec: {host: [reviews]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: malformed, namespace: shop}
spec: {hosts: reviews}
`))
	var fields []string
	for _, p := range ix.Problems {
		fields = append(fields, p.Field)
	}
	if want := []string{"spec.host", "spec.hosts"}; !reflect.DeepEqual(fields, want) {
		t.Errorf("problems at %v, want %v", fields, want)
	}
}

func TestMesh_Index(t *testing.T) {
	ix := New(items(t, meshObjects))
	if len(ix.Problems) != 0 {
		t.Fatalf("problems: %v", ix.Problems)
	}
	if got, want := meshNames(ix.VirtualServices("shop", "reviews")), []string{"shop/by-short-name", "other/by-fqdn"}; !reflect.DeepEqual(got, want) {
		t.Errorf("VirtualServices = %v, want %v", got, want)
	}
	if got, want := meshNames(ix.VirtualServices("shop", "ratings")), []string{"other/by-fqdn"}; !reflect.DeepEqual(got, want) {
		t.Errorf("VirtualServices(ratings) = %v, want %v", got, want)
	}
	if got, want := meshNames(ix.GatewayVirtualServices("shop", "reviews")), []string{"shop/gateway-only"}; !reflect.DeepEqual(got, want) {
		t.Errorf("GatewayVirtualServices = %v, want %v", got, want)
	}
	drs := ix.DestinationRules("shop", "reviews")
	if got, want := meshNames(drs), []string{"shop/reviews", "shop/reviews-generated"}; !reflect.DeepEqual(got, want) {
		t.Errorf("DestinationRules = %v, want %v (no workloadSelector, none malformed)", got, want)
	}
	if drs[0].Managed || !drs[1].Managed {
		t.Errorf("managed-by not read: %v %v", drs[0].Managed, drs[1].Managed)
	}
	if len(ix.VirtualServices("other", "reviews")) != 0 {
		t.Error("a short host matched another namespace")
	}
	if ix.MeshObjectNamed("DestinationRule", "shop", "some-clients") == nil {
		t.Error("a DestinationRule with a workloadSelector is not known by name")
	}
	s := ix.MeshService("shop", "reviews")
	if s == nil || !s.HTTP() || len(s.Ports) != 2 || s.Annotations["a"] != "b" {
		t.Fatalf("MeshService = %+v", s)
	}
}

// Objects without a namespace are in "default" for an FQDN naming it.
func TestMesh_NoNamespace(t *testing.T) {
	ix := New(items(t, `apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: frontend}
spec: {hosts: [frontend.default.svc.cluster.local]}
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: cart, namespace: default}
spec: {host: cart}
`))
	if len(ix.VirtualServices("", "frontend")) != 1 || len(ix.VirtualServices("default", "frontend")) != 1 {
		t.Error("FQDN in default not matched to a Service without a namespace")
	}
	if len(ix.DestinationRules("", "cart")) != 1 {
		t.Error("a DestinationRule in default not matched to a Service without a namespace")
	}
	if len(ix.VirtualServices("shop", "frontend")) != 0 {
		t.Error("matched another namespace")
	}
}

func TestMesh_PortProtocols(t *testing.T) {
	for _, tc := range []struct {
		p    MeshPort
		http bool
	}{
		{MeshPort{Name: "http"}, true},
		{MeshPort{Name: "http-web"}, true},
		{MeshPort{Name: "http2"}, true},
		{MeshPort{Name: "grpc"}, true},
		{MeshPort{Name: "grpc-web"}, true},
		{MeshPort{Name: "grpc-web-ui"}, true},
		{MeshPort{Name: "HTTP"}, true},
		{MeshPort{Name: "tcp-redis"}, false},
		{MeshPort{Name: "https"}, false},
		{MeshPort{Name: "httpx"}, false},
		{MeshPort{Name: ""}, false},
		{MeshPort{Name: "web", AppProtocol: "http"}, true},
		{MeshPort{Name: "http", AppProtocol: "tcp"}, false},
		{MeshPort{AppProtocol: "kubernetes.io/h2c"}, true},
		{MeshPort{AppProtocol: "grpc"}, true},
	} {
		if got := tc.p.HTTP(); got != tc.http {
			t.Errorf("%+v.HTTP() = %v, want %v", tc.p, got, tc.http)
		}
	}
}

func TestMesh_WorkloadFacts(t *testing.T) {
	ix := New(items(t, `apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {istio-injection: enabled, istio.io/rev: canary}
  annotations: {linkerd.io/inject: disabled}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata:
      labels: {app: web, sidecar.istio.io/inject: "false", istio.io/rev: stable}
      annotations:
        sidecar.istio.io/inject: "true"
        sidecar.istio.io/nativeSidecar: "true"
        linkerd.io/inject: enabled
        config.alpha.linkerd.io/proxy-enable-native-sidecar: "true"
        config.alpha.linkerd.io/proxy-wait-before-exit-seconds: "40"
        proxy.istio.io/config: |
          terminationDrainDuration: 45500ms
          holdApplicationUntilProxyStarts: false
          proxyMetadata:
            EXIT_ON_ZERO_ACTIVE_CONNECTIONS: "true"
            MINIMUM_DRAIN_DURATION: 1m
    spec:
      containers: [{name: app, image: app}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: other, namespace: elsewhere}
spec:
  template:
    spec:
      containers: [{name: app, image: app}]
`))
	w := workload(ix, "web").Facts.Mesh
	want := plan.MeshFacts{
		IstioInject: "false", IstioRev: "stable", IstioNative: "true", LinkerdInject: "enabled", LinkerdNative: "true",
		Namespace:  &plan.NamespaceMesh{IstioInjection: "enabled", IstioRev: "canary", LinkerdInject: "disabled"},
		IstioDrain: intp(46), IstioHold: meshBoolp(false), IstioExitOnZero: true, IstioMinDrain: intp(60),
		LinkerdWait: intp(40),
	}
	if !reflect.DeepEqual(w, want) {
		t.Errorf("Mesh facts =\n%s\nwant\n%s", showMeshFacts(w), showMeshFacts(want))
	}
	if o := workload(ix, "other").Facts.Mesh; !reflect.DeepEqual(o, plan.MeshFacts{}) {
		t.Errorf("facts of a plain workload = %s, want none", showMeshFacts(o))
	}
}

func TestMesh_ProxyConfigErrors(t *testing.T) {
	for text, want := range map[string]string{
		"terminationDrainDuration: [30s":             "cannot read the ProxyConfig YAML",
		"- a list":                                   "expected a ProxyConfig map",
		"terminationDrainDuration: soon":             `terminationDrainDuration: "soon" is not a duration`,
		"terminationDrainDuration: -5s":              "is not a duration",
		"proxyMetadata: {MINIMUM_DRAIN_DURATION: x}": "proxyMetadata.MINIMUM_DRAIN_DURATION",
	} {
		var f plan.MeshFacts
		readProxyConfig(text, &f)
		if !strings.Contains(f.IstioConfigError, want) {
			t.Errorf("readProxyConfig(%q): error %q, want ...%s...", text, f.IstioConfigError, want)
		}
	}
	var f plan.MeshFacts
	readProxyConfig("{ \"terminationDrainDuration\": \"1m\" }", &f)
	if f.IstioConfigError != "" || f.IstioDrain == nil || *f.IstioDrain != 60 {
		t.Errorf("JSON ProxyConfig: %s", showMeshFacts(f))
	}
	// Not a string at all.
	ix := New(items(t, `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    metadata:
      annotations:
        proxy.istio.io/config: {terminationDrainDuration: 30s}
    spec:
      containers: [{name: app, image: app}]
`))
	if e := workload(ix, "web").Facts.Mesh.IstioConfigError; !strings.Contains(e, "expected a string") {
		t.Errorf("error = %q", e)
	}
}

func showMeshFacts(f plan.MeshFacts) string {
	s := fmt.Sprintf("%+v", f)
	for _, p := range []struct {
		name string
		v    *int
	}{{"drain", f.IstioDrain}, {"minDrain", f.IstioMinDrain}, {"wait", f.LinkerdWait}} {
		if p.v != nil {
			s += fmt.Sprintf(" %s=%d", p.name, *p.v)
		}
	}
	if f.IstioHold != nil {
		s += fmt.Sprintf(" hold=%v", *f.IstioHold)
	}
	if f.Namespace != nil {
		s += fmt.Sprintf(" ns=%+v", *f.Namespace)
	}
	return s
}

func meshBoolp(b bool) *bool { return &b }

// The rules that cover a Service's host when it has none of its own, in
// the order istiod picks them: the Service's namespace first (longest
// wildcard first, any exportTo), then the root namespace's rules exported
// to the Service's namespace.
func TestMesh_CoveringDestinationRules(t *testing.T) {
	dr := func(ns, name, host, extra string) string {
		return fmt.Sprintf("apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: %s, namespace: %s}\nspec:\n  host: %q\n%s", name, ns, host, extra)
	}
	ix := New(items(t, strings.Join([]string{
		dr("shop", "star", "*", ""),
		dr("shop", "ns-wide", "*.shop.svc.cluster.local", "  exportTo: [\".\"]\n"),
		dr("shop", "other-ns", "*.web.svc.cluster.local", ""),
		dr("shop", "exact", "pay", ""),
		dr("shop", "selected", "*", "  workloadSelector: {matchLabels: {app: x}}\n"),
		dr("shop", "mine", "*.local", "  exportTo: []\n") + "---\n",
		dr("istio-system", "mesh", "*.local", ""),
		dr("istio-system", "private", "*", "  exportTo: [\".\"]\n"),
		dr("istio-system", "to-shop", "*.cluster.local", "  exportTo: [shop]\n"),
		dr("mesh-root", "custom", "*", "  exportTo: [\"*\"]\n"),
		dr("web", "web-all", "*", ""),
	}, "\n---\n")))
	if len(ix.Problems) > 0 {
		t.Fatal(ix.Problems)
	}
	for _, tc := range []struct {
		ns, name, root string
		want           []string
	}{
		{"shop", "pay", "istio-system", []string{"shop/ns-wide", "shop/mine", "shop/star", "istio-system/to-shop", "istio-system/mesh"}},
		{"web", "search", "istio-system", []string{"web/web-all", "istio-system/mesh"}},
		{"billing", "invoice", "istio-system", []string{"istio-system/mesh"}},
		{"billing", "invoice", "mesh-root", []string{"mesh-root/custom"}},
		{"istio-system", "istiod", "istio-system", []string{"istio-system/to-shop", "istio-system/mesh", "istio-system/private"}},
	} {
		got := meshNames(ix.CoveringDestinationRules(tc.ns, tc.name, tc.root))
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s/%s (root %s): %v, want %v", tc.ns, tc.name, tc.root, got, tc.want)
		}
	}
}

// An Argo Rollout's Istio traffic routing and a hostNetwork pod are facts of
// the workload.
func TestMesh_RolloutRoutingAndHostNetwork(t *testing.T) {
	ix := New(items(t, `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: pay, namespace: shop}
spec:
  template:
    metadata: {labels: {app: pay}}
    spec:
      hostNetwork: true
      containers: [{name: app, image: app}]
  strategy:
    canary:
      trafficRouting:
        istio:
          virtualService: {name: pay-vsvc}
          virtualServices: [{name: pay-public.edge}, {name: pay-extra.routing.svc}]
          destinationRule: {name: pay-dr, canarySubsetName: canary, stableSubsetName: stable}
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: plain, namespace: shop}
spec:
  template:
    metadata: {labels: {app: plain}}
    spec:
      containers: [{name: app, image: app}]
  strategy:
    canary: {steps: [{setWeight: 50}]}
`))
	if len(ix.Problems) > 0 {
		t.Fatal(ix.Problems)
	}
	pay, plain := ix.Workloads[0].Facts.Mesh, ix.Workloads[1].Facts.Mesh
	want := &plan.IstioRouting{
		VirtualServices: []string{"shop/pay-vsvc", "edge/pay-public", "routing/pay-extra"},
		DestinationRule: "shop/pay-dr", CanarySubset: "canary", StableSubset: "stable",
	}
	if !reflect.DeepEqual(pay.Routing, want) {
		t.Errorf("routing = %+v, want %+v", pay.Routing, want)
	}
	if !pay.HostNetwork || plain.HostNetwork {
		t.Errorf("hostNetwork = %v, %v; want true, false", pay.HostNetwork, plain.HostNetwork)
	}
	if plain.Routing != nil {
		t.Errorf("a canary without traffic routing has routing %+v", plain.Routing)
	}
}
