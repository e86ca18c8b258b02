package plan

import (
	"strings"
	"testing"

	"github.com/graceful-rollout/graceful-rollout/fn/config"
	"github.com/graceful-rollout/graceful-rollout/fn/profile"
)

// The timeline follows the paths that reach the workload: the profile's
// numbers behind its load balancer, generic's in-cluster, the slowest of
// several, and exposure (setting or annotation) when the input shows none.
func TestMake_Paths(t *testing.T) {
	ingress := func(class string) Path {
		return Path{Kind: profile.PathIngress, Via: "Ingress shop/web", Class: class, ClassKnown: true}
	}
	gateway := func(class string, known bool) Path {
		return Path{Kind: profile.PathGateway, Via: "HTTPRoute shop/web", Class: class, ClassKnown: known}
	}
	nlb := Path{Kind: profile.PathServiceLB, Via: "Service shop/web-nlb"}
	exposure := func(e config.Exposure) func(*config.Config) { return func(c *config.Config) { c.Exposure = e } }
	for name, tc := range map[string]struct {
		profile string
		cfg     []func(*config.Config)
		paths   []Path
		entries bool
		ann     string
		// L, P and minReadySeconds planned, and a part of the path line
		l, p, minReady int
		path           string
	}{
		"GKE Gateway":                      {profile: "gke-neg", paths: []Path{gateway("gke-l7-global-external-managed", true)}, entries: true, l: 20, p: 40, minReady: 60, path: "behind HTTPRoute shop/web → gke-neg"},
		"Gateway not in the input":         {profile: "gke-neg", paths: []Path{gateway("", false)}, entries: true, l: 20, p: 40, minReady: 60},
		"Istio gateway: in-cluster proxy":  {profile: "gke-neg", paths: []Path{gateway("istio", true)}, entries: true, l: 10, p: 15, minReady: 0, path: "Istio gateway, an in-cluster proxy) → istio-gateway"},
		"nginx Ingress under gke-neg":      {profile: "gke-neg", paths: []Path{ingress("nginx")}, entries: true, l: 3, p: 5, minReady: 0, path: "→ ingress-nginx"},
		"gce Ingress":                      {profile: "gke-neg", paths: []Path{ingress("gce")}, entries: true, l: 20, p: 40, minReady: 60},
		"in-cluster when the input routes": {profile: "gke-neg", entries: true, l: 5, p: 10, minReady: 0, path: "in-cluster only → generic"},
		"auto without entries: behind":     {profile: "gke-neg", l: 20, p: 40, minReady: 60, path: "exposure auto"},
		"routed without entries":           {profile: "gke-neg", cfg: fns(exposure(config.ExposureRouted)), l: 5, p: 10, minReady: 0},
		"all with entries":                 {profile: "gke-neg", cfg: fns(exposure(config.ExposureAll)), entries: true, l: 20, p: 40, minReady: 60, path: "exposure all"},
		"annotation true":                  {profile: "gke-neg", entries: true, ann: "true", l: 20, p: 40, minReady: 60, path: "exposed: \"true\""},
		"annotation false beats a route":   {profile: "gke-neg", paths: []Path{gateway("gke-l7-rilb", true)}, entries: true, ann: "false", l: 5, p: 10, minReady: 0},
		"NLB beside an ALB: slowest wins":  {profile: "eks-alb", paths: []Path{ingress("alb"), nlb}, entries: true, l: 120, p: 120, minReady: 0, path: "the slowest, eks-nlb, applies"},
		"ALB alone":                        {profile: "eks-alb", paths: []Path{ingress("alb")}, entries: true, l: 70, p: 120},
	} {
		t.Run(name, func(t *testing.T) {
			w := web(func(w *Workload) {
				w.Paths, w.InputHasEntries = tc.paths, tc.entries
				if tc.ann != "" {
					w.Annotations = map[string]string{AnnotationExposed: tc.ann}
				}
			})
			p := Make(w, cfg(t, tc.profile, tc.cfg...))
			if p.HasErrors() || p.Skip != "" {
				t.Fatalf("not planned: %s", dump(p))
			}
			if p.LBStop != tc.l || p.PreStop != tc.p || p.MinReady != tc.minReady {
				t.Errorf("L, P, minReady = %d, %d, %d; want %d, %d, %d\n%s", p.LBStop, p.PreStop, p.MinReady, tc.l, tc.p, tc.minReady, p.Path)
			}
			if !strings.Contains(p.Path, tc.path) {
				t.Errorf("path %q does not say %q", p.Path, tc.path)
			}
		})
	}
	t.Run("a bad annotation is an error", func(t *testing.T) {
		p := Make(web(func(w *Workload) { w.Annotations = map[string]string{AnnotationExposed: "yes"} }), cfg(t, "gke-neg"))
		if len(find(p, Error, "metadata.annotations."+AnnotationExposed)) != 1 {
			t.Errorf("want an error: %s", dump(p))
		}
	})
}

// Metrics-only Services and ports do not make a workload serving.
func TestMake_MetricsOnly(t *testing.T) {
	p := Make(web(func(w *Workload) {
		w.MetricsServices = w.Services
		w.Containers[0].Ports = 0
	}), cfg(t, "generic"))
	if p.Skip == "" || !strings.Contains(p.Skip, "but for metrics (web)") {
		t.Errorf("want it left alone as not serving: %s", dump(p))
	}
}

// Spot caps apply to pods that select Spot capacity, not to the others.
func TestMake_SpotBySelection(t *testing.T) {
	on := Make(web(grace(60), func(w *Workload) { w.Spot = true }), cfg(t, "gke-autopilot"))
	off := Make(web(grace(60)), cfg(t, "gke-autopilot"))
	if on.Grace != 25 || off.Grace != 100 {
		t.Errorf("T = %d on Spot, %d off; want 25 (the cap) and 100 (P 40 + the user's 60)", on.Grace, off.Grace)
	}
	if len(find(on, Warning, "*", "which the pods select")) == 0 {
		t.Errorf("no warning on the Spot pods: %s", dump(on))
	}
}

// A helper the app needs while it drains outlives it: P + D, inside T.
func TestMake_DrainHelpers(t *testing.T) {
	p := Make(web(func(w *Workload) {
		w.Containers = append(w.Containers, Container{Name: "cloud-sql-proxy", Index: 1, Image: "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2", HookSeconds: -1, Helper: true})
	}), cfg(t, "gke-neg"))
	var helper *Hook
	for i := range p.Hooks {
		if p.Hooks[i].Name == "cloud-sql-proxy" {
			helper = &p.Hooks[i]
		}
	}
	if helper == nil || helper.Seconds != p.PreStop+p.Shutdown || helper.Seconds >= p.Grace {
		t.Errorf("helper hook %+v; want P + D = %d < T %d", helper, p.PreStop+p.Shutdown, p.Grace)
	}
}

// A shutdown budget that leaves the app less time after SIGTERM than the
// user's grace period gave it is said.
func TestMake_ShrunkShutdownWarns(t *testing.T) {
	p := Make(web(grace(60)), cfg(t, "generic", enforce, shutdown(5)))
	if len(find(p, Warning, PodSpecPath+".terminationGracePeriodSeconds", "the app gets 20 s after SIGTERM instead of 60 s")) != 1 {
		t.Errorf("no warning: %s", dump(p))
	}
	if q := Make(web(grace(60)), cfg(t, "generic", enforce)); len(find(q, Warning, "*", "after SIGTERM instead")) != 0 || q.Grace != 70 {
		t.Errorf("the user's 60 s is D: want T 70 and no warning: %s", dump(q))
	}
}

// Entries are planned from the controller that serves them: the IngressClass
// or GatewayClass controller when the class object is in the input, else
// the class name, else the profile's load balancer with a warning.
// Controllers and classes from: aws-samples/eks-workshop-v2 (GatewayClass
// aws-alb, controllerName gateway.k8s.aws/alb; EKS Auto Mode IngressClass
// with controller eks.amazonaws.com/alb), Azure App Gateway for Containers
// samples (azure-alb-external), envoyproxy/gateway quickstart (eg).
func TestMake_Controllers(t *testing.T) {
	ing := func(class, controller string) Path {
		return Path{Kind: profile.PathIngress, Via: "Ingress shop/web", Class: class, Controller: controller, ClassKnown: true}
	}
	gw := func(class, controller string) Path {
		return Path{Kind: profile.PathGateway, Via: "HTTPRoute shop/web", Class: class, Controller: controller, ClassKnown: true}
	}
	svc := func(class string) Path {
		return Path{Kind: profile.PathServiceLB, Via: "LoadBalancer Service shop/web", Class: class}
	}
	for name, tc := range map[string]struct {
		profile string
		path    Path
		l, p    int
		// row in the path line, and a warning's text ("" for none)
		row, warn string
	}{
		"ALB Gateway by controllerName":          {profile: "eks-alb", path: gw("aws-alb", "gateway.k8s.aws/alb"), l: 70, p: 120, row: "→ eks-alb"},
		"ALB Gateway by a renamed class":         {profile: "eks-alb", path: gw("my-lb", "gateway.k8s.aws/alb"), l: 70, p: 120, row: "→ eks-alb"},
		"NLB Gateway under eks-alb":              {profile: "eks-alb", path: gw("x", "gateway.k8s.aws/nlb"), l: 120, p: 120, row: "AWS Load Balancer Controller (NLB)) → eks-nlb"},
		"EKS Auto Mode Ingress":                  {profile: "eks-alb", path: ing("eks-auto-alb", "eks.amazonaws.com/alb"), l: 70, p: 120, row: "→ eks-alb"},
		"EKS Auto Mode NLB Service":              {profile: "eks-alb", path: svc("eks.amazonaws.com/nlb"), l: 120, p: 120, row: "EKS Auto Mode (NLB)) → eks-nlb"},
		"Fargate keeps its own ALB numbers":      {profile: "eks-fargate-alb", path: ing("alb", ""), l: 60, p: 120, row: "→ eks-fargate-alb"},
		"unknown class: the profile's LB":        {profile: "eks-alb", path: ing("internal-lb", ""), l: 70, p: 120, warn: `Ingress class "internal-lb": not a load balancer or proxy this function knows`},
		"unknown controller: the profile's LB":   {profile: "gke-neg", path: gw("corp", "example.com/gateway"), l: 20, p: 40, warn: `GatewayClass "corp" (controller "example.com/gateway"): not a load balancer`},
		"unknown Service class":                  {profile: "gke-neg", path: svc("example.com/lb"), l: 20, p: 40, warn: `loadBalancerClass "example.com/lb": not a load balancer`},
		"ALB Ingress under gke-neg: a warning":   {profile: "gke-neg", path: ing("alb", ""), l: 70, p: 120, warn: "another platform than profile gke-neg (GKE)"},
		"GKE Gateway under eks-alb: slower wins": {profile: "eks-alb", path: gw("gke-l7-rilb", ""), l: 70, p: 120, warn: "another platform than profile eks-alb"},
		"App Gateway for Containers":             {profile: "aks-agic", path: gw("azure-alb-external", "alb.networking.azure.io/alb-controller"), l: 90, p: 120, row: "Application Gateway for Containers) → aks-agic"},
		"Envoy Gateway: its own row":             {profile: "eks-alb", path: gw("eg", "gateway.envoyproxy.io/gatewayclass-controller"), l: 5, p: 10, row: "Envoy Gateway, an in-cluster proxy) → envoy-gateway"},
		"Kong Ingress: its own row":              {profile: "aks-agic", path: ing("kong", ""), l: 5, p: 10, row: "→ kong"},
		"HAProxy by controller":                  {profile: "generic", path: ing("lb", "haproxy.org/ingress-controller"), l: 7, p: 12, row: "→ haproxy"},
		"Traefik Gateway":                        {profile: "gke-neg", path: gw("traefik", ""), l: 5, p: 10, row: "→ traefik"},
		"Contour":                                {profile: "gke-neg", path: ing("contour", ""), l: 5, p: 10, row: "→ contour"},
		"Cilium Gateway":                         {profile: "gke-neg", path: gw("cilium", "io.cilium/gateway-controller"), l: 5, p: 10, row: "→ cilium"},
		"AKS application routing":                {profile: "aks-agic", path: ing("webapprouting.kubernetes.azure.com", ""), l: 3, p: 5, row: "→ ingress-nginx"},
		"plain LoadBalancer Service on GKE: L4":  {profile: "gke-neg", path: svc(""), l: 10, p: 15, row: "→ gke-l4"},
		"plain LoadBalancer Service on AKS: L4":  {profile: "aks-agic", path: svc(""), l: 10, p: 15, row: "→ aks-l4"},
	} {
		t.Run(name, func(t *testing.T) {
			p := Make(web(func(w *Workload) { w.Paths, w.InputHasEntries = []Path{tc.path}, true }), cfg(t, tc.profile))
			if p.HasErrors() || p.Skip != "" {
				t.Fatalf("not planned: %s", dump(p))
			}
			if p.LBStop != tc.l || p.PreStop != tc.p {
				t.Errorf("L, P = %d, %d; want %d, %d\n%s", p.LBStop, p.PreStop, tc.l, tc.p, p.Path)
			}
			if !strings.Contains(p.Path, tc.row) {
				t.Errorf("path %q does not say %q", p.Path, tc.row)
			}
			warned := find(p, Warning, "", "")
			if tc.warn == "" && len(warned) > 0 {
				t.Errorf("unexpected warning: %s", dump(p))
			}
			if tc.warn != "" && len(find(p, Warning, "", tc.warn)) != 1 {
				t.Errorf("no warning %q: %s", tc.warn, dump(p))
			}
		})
	}
	t.Run("each unknown class is named once", func(t *testing.T) {
		p := Make(web(func(w *Workload) {
			w.Paths = []Path{ing("internal-lb", ""), {Kind: profile.PathIngress, Via: "Ingress shop/other", Class: "internal-lb", ClassKnown: true}}
		}), cfg(t, "eks-alb"))
		ws := find(p, Warning, "", "not a load balancer or proxy")
		if len(ws) != 1 || strings.Count(ws[0].Message, "internal-lb") != 1 {
			t.Errorf("want one warning naming the class once: %s", dump(p))
		}
	})
}

// A Flagger Canary's target (fluxcd/flagger kustomize/podinfo with
// artifacts/examples/istio-canary.yaml): its minReadySeconds must stay
// below the Canary's progressDeadlineSeconds, or every analysis fails.
func TestMake_FlaggerDeadline(t *testing.T) {
	canary := func(deadline int) func(*Workload) {
		return func(w *Workload) {
			w.Canary = &CanaryFacts{Name: "podinfo", Primary: "podinfo-primary", ProgressDeadline: deadline}
		}
	}
	p := Make(web(canary(60)), cfg(t, "gke-neg"))
	if len(find(p, Warning, "spec.minReadySeconds", "progressDeadlineSeconds (60) of Canary podinfo", "at least 660")) != 1 {
		t.Errorf("no deadline warning: %s", dump(p))
	}
	if q := Make(web(canary(600)), cfg(t, "gke-neg")); len(find(q, Warning, "spec.minReadySeconds")) != 0 {
		t.Errorf("a warning under the default deadline: %s", dump(q))
	}
}
