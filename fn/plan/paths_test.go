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
		"GKE Gateway":                      {profile: "gke-neg", paths: []Path{gateway("gke-l7-global-external-managed", true)}, entries: true, l: 20, p: 20, minReady: 60, path: "behind HTTPRoute shop/web → gke-neg"},
		"Gateway not in the input":         {profile: "gke-neg", paths: []Path{gateway("", false)}, entries: true, l: 20, p: 20, minReady: 60},
		"Istio gateway: in-cluster proxy":  {profile: "gke-neg", paths: []Path{gateway("istio", true)}, entries: true, l: 10, p: 15, minReady: 0, path: "Istio gateway, an in-cluster proxy) → istio-gateway"},
		"nginx Ingress under gke-neg":      {profile: "gke-neg", paths: []Path{ingress("nginx")}, entries: true, l: 3, p: 5, minReady: 0, path: "→ ingress-nginx"},
		"gce Ingress":                      {profile: "gke-neg", paths: []Path{ingress("gce")}, entries: true, l: 20, p: 20, minReady: 60},
		"in-cluster when the input routes": {profile: "gke-neg", entries: true, l: 5, p: 10, minReady: 0, path: "in-cluster only → generic"},
		"auto without entries: behind":     {profile: "gke-neg", l: 20, p: 20, minReady: 60, path: "exposure auto"},
		"routed without entries":           {profile: "gke-neg", cfg: fns(exposure(config.ExposureRouted)), l: 5, p: 10, minReady: 0},
		"all with entries":                 {profile: "gke-neg", cfg: fns(exposure(config.ExposureAll)), entries: true, l: 20, p: 20, minReady: 60, path: "exposure all"},
		"annotation true":                  {profile: "gke-neg", entries: true, ann: "true", l: 20, p: 20, minReady: 60, path: "exposed: \"true\""},
		"annotation false beats a route":   {profile: "gke-neg", paths: []Path{gateway("gke-l7-rilb", true)}, entries: true, ann: "false", l: 5, p: 10, minReady: 0},
		"NLB beside an ALB: slowest wins":  {profile: "eks-alb", paths: []Path{ingress("alb"), nlb}, entries: true, l: 120, p: 120, minReady: 0, path: "the slowest, eks-nlb, applies"},
		"ALB alone":                        {profile: "eks-alb", paths: []Path{ingress("alb")}, entries: true, l: 70, p: 70},
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
	if on.Grace != 25 || off.Grace != 80 {
		t.Errorf("T = %d on Spot, %d off; want 25 (the cap) and 80 (P 20 + the user's 60)", on.Grace, off.Grace)
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
