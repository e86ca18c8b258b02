package inventory

import (
	"reflect"
	"testing"
)

func TestLB_Routes(t *testing.T) {
	ix := New(items(t, `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop
  namespace: a
  annotations: {kubernetes.io/ingress.class: gce}
spec:
  defaultBackend: {service: {name: web, port: {name: http}}}
  rules:
  - http:
      paths:
      - backend: {service: {name: api, port: {number: 8080}}}
      - backend: {resource: {apiGroup: k8s.example.com, kind: Bucket, name: static}}
      - backend: {service: {name: web, port: {name: http}}}
---
apiVersion: extensions/v1beta1
kind: Ingress
metadata: {name: old, namespace: a}
spec:
  backend: {serviceName: legacy, servicePort: 80}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: classed, namespace: a}
spec:
  ingressClassName: alb
  rules: "not a list"
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: a}
spec:
  parentRefs:
  - {name: gw, namespace: infra}
  - {group: "", kind: Service, name: mesh-svc}
  rules:
  - backendRefs:
    - {name: web, port: 80}
    - {name: other, namespace: b, port: 9000}
    - {group: net.gke.io, kind: ServiceImport, name: global, port: 80}
`))
	lb := ix.LB()
	if len(lb.Ingresses) != 3 || len(lb.HTTPRoutes) != 1 {
		t.Fatalf("ingresses %d, routes %d", len(lb.Ingresses), len(lb.HTTPRoutes))
	}
	shop := lb.Ingresses[0]
	if shop.Class != "gce" || !reflect.DeepEqual(shop.Backends, []Backend{{"a/web", "http"}, {"a/api", "8080"}, {"a/web", "http"}}) {
		t.Errorf("shop = %q %+v", shop.Class, shop.Backends)
	}
	if got := shop.ServicePorts("a/web"); !reflect.DeepEqual(got, []string{"http"}) {
		t.Errorf("ServicePorts = %v", got)
	}
	if got := lb.Ingresses[1].Backends; !reflect.DeepEqual(got, []Backend{{"a/legacy", "80"}}) {
		t.Errorf("v1beta1 backends = %v", got)
	}
	if c := lb.Ingresses[2]; c.Class != "alb" || len(c.Backends) != 0 {
		t.Errorf("malformed Ingress read as %+v", c)
	}
	r := lb.HTTPRoutes[0]
	if !reflect.DeepEqual(r.Gateways, []string{"infra/gw"}) || !r.Mesh {
		t.Errorf("parents: %v mesh %v", r.Gateways, r.Mesh)
	}
	if !reflect.DeepEqual(r.Backends, []Backend{{"a/web", "80"}, {"b/other", "9000"}}) {
		t.Errorf("route backends = %v", r.Backends)
	}
	if got := len(lb.RoutesTo["a/web"]); got != 2 {
		t.Errorf("routes to a/web: %d, want 2 (Ingress and HTTPRoute, once each)", got)
	}
	if len(ix.Problems) != 0 {
		t.Errorf("lenient reads made problems: %v", ix.Problems)
	}
}

func TestLB_ServicesAndPolicies(t *testing.T) {
	ix := New(items(t, `apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: a
  annotations: {cloud.google.com/neg: '{"ingress": true}'}
spec:
  type: LoadBalancer
  loadBalancerClass: service.k8s.aws/nlb
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: http}
  - {port: 9090}
---
apiVersion: networking.gke.io/v1
kind: GCPBackendPolicy
metadata: {name: p, namespace: a}
spec:
  targetRef: {group: "", kind: Service, name: web}
---
apiVersion: networking.gke.io/v1
kind: HealthCheckPolicy
metadata: {name: h, namespace: a}
spec:
  targetRef: {group: net.gke.io, kind: ServiceImport, name: web}
---
apiVersion: cloud.google.com/v1
kind: BackendConfig
metadata: {name: bc, namespace: a}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: internal-alb
  annotations: {ingressclass.kubernetes.io/is-default-class: "true"}
spec: {controller: ingress.k8s.aws/alb}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec: {gatewayClassName: gke-l7-rilb}
---
apiVersion: elbv2.k8s.aws/v1beta1
kind: TargetGroupBinding
metadata: {name: tgb, namespace: a}
spec: {serviceRef: {name: web, port: 80}, targetType: instance, targetGroupARN: arn:x}
`))
	lb := ix.LB()
	s := lb.Services["a/web"]
	if s == nil || s.Type != "LoadBalancer" || s.LoadBalancerClass != "service.k8s.aws/nlb" || s.Annotations["cloud.google.com/neg"] == "" {
		t.Fatalf("service = %+v", s)
	}
	if p, ok := s.Port("http"); !ok || p.Target() != "http" {
		t.Errorf("Port(http) = %+v %v", p, ok)
	}
	if p, ok := s.Port("9090"); !ok || p.Target() != "9090" {
		t.Errorf("Port(9090) = %+v %v", p, ok)
	}
	if _, ok := s.Port("8080"); ok {
		t.Errorf("Port(8080) found")
	}
	if len(lb.GCPBackendPolicies["a/web"]) != 1 || len(lb.HealthCheckPolicies["a/web"]) != 0 {
		t.Errorf("policies: %v %v", lb.GCPBackendPolicies, lb.HealthCheckPolicies)
	}
	if lb.BackendConfigs["a/bc"] == nil || lb.Named("BackendConfig", "a", "bc") == nil || lb.Named("BackendConfig", "b", "bc") != nil {
		t.Errorf("backend configs: %v", lb.BackendConfigs)
	}
	if lb.IngressClasses["internal-alb"] != "ingress.k8s.aws/alb" || lb.DefaultIngressClass != "internal-alb" {
		t.Errorf("classes %v default %q", lb.IngressClasses, lb.DefaultIngressClass)
	}
	if lb.Gateways["infra/gw"] != "gke-l7-rilb" {
		t.Errorf("gateways %v", lb.Gateways)
	}
	if tg := lb.TargetGroupBindings["a/web"]; len(tg) != 1 || tg[0].TargetType != "instance" || tg[0].TargetGroupARN != "arn:x" {
		t.Errorf("tgbs %v", tg)
	}
}

func TestLB_PDBsSelecting(t *testing.T) {
	ix := New(items(t, `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: by-labels, namespace: a}
spec: {maxUnavailable: 1, selector: {matchLabels: {app: web}}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: by-expression, namespace: a}
spec:
  minAvailable: 100%
  selector:
    matchExpressions: [{key: tier, operator: In, values: [front, edge]}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: everything, namespace: b}
spec: {maxUnavailable: 0, selector: {}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: nothing, namespace: b}
spec: {maxUnavailable: 1}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: bad-operator, namespace: b}
spec: {maxUnavailable: 1, selector: {matchExpressions: [{key: x, operator: Near}]}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: ours
  namespace: c
  labels: {app.kubernetes.io/managed-by: graceful-rollout}
spec: {maxUnavailable: 1, selector: {matchLabels: {app: web, tier: front}}}
`))
	lb := ix.LB()
	names := func(ps []*PDB) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.Name)
		}
		return out
	}
	for _, tc := range []struct {
		ns     string
		labels map[string]string
		want   []string
	}{
		{"a", map[string]string{"app": "web", "tier": "front"}, []string{"by-expression", "by-labels"}},
		{"a", map[string]string{"app": "web"}, []string{"by-labels"}},
		{"a", map[string]string{"app": "api", "tier": "edge"}, []string{"by-expression"}},
		{"a", map[string]string{"app": "api"}, nil},
		{"b", map[string]string{"app": "web"}, []string{"everything"}},
		{"c", map[string]string{"app": "web"}, nil},
		{"c", map[string]string{"app": "web", "tier": "front", "v": "2"}, []string{"ours"}},
		{"d", map[string]string{"app": "web"}, nil},
	} {
		if got := names(lb.PDBsSelecting(tc.ns, tc.labels)); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("PDBsSelecting(%s, %v) = %v, want %v", tc.ns, tc.labels, got, tc.want)
		}
	}
	ours := lb.PDBsSelecting("c", map[string]string{"app": "web", "tier": "front"})[0]
	if !Managed(ours.Labels) || ours.MaxUnavailable != "1" {
		t.Errorf("ours = %+v", ours)
	}
}

func TestWorkload_Containers(t *testing.T) {
	ix := New(items(t, `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: a}
spec:
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        ports: [{name: http, containerPort: 8080}, {containerPort: 9090}]
        readinessProbe: {httpGet: {path: /ready, port: http, scheme: https}}
      - name: proxy
        readinessProbe: {tcpSocket: {port: 5000}}
`))
	cs := ix.Workloads[0].Containers()
	if len(cs) != 2 {
		t.Fatalf("containers %+v", cs)
	}
	web := cs[0]
	if web.Probe == nil || *web.Probe != (HTTPGet{Path: "/ready", Port: "http", Scheme: "HTTPS"}) {
		t.Errorf("probe %+v", web.Probe)
	}
	if web.PortNumber("http") != 8080 || web.PortNumber("9090") != 9090 || web.PortNumber("admin") != 0 {
		t.Errorf("PortNumber wrong")
	}
	if !web.Serves("http") || !web.Serves("9090") || web.Serves("8081") {
		t.Errorf("Serves wrong")
	}
	if cs[1].Probe != nil {
		t.Errorf("a tcpSocket probe read as httpGet")
	}
}
