package inventory

import (
	"slices"
	"strconv"

	"github.com/graceful-rollout/graceful-rollout/fn/plan"
	"github.com/graceful-rollout/graceful-rollout/fn/profile"
)

// Flagger (flagger.app/v1beta1 Canary): the Canary's target Deployment is
// a template. Flagger copies it into <name>-primary, whose pods serve, with
// the values of its selector labels (app, name, app.kubernetes.io/name by
// default: the controller's -selector-labels) suffixed "-primary"; it scales
// the target to 0 between analyses, and generates the Services
// <service>, <service>-primary and <service>-canary, and the routes of its
// provider (Istio VirtualService on spec.service.gateways, an Ingress copy
// of spec.ingressRef, Gateway API HTTPRoutes on spec.service.gatewayRefs).
// Flagger docs: "How it works", "Deployment strategies"; flagger
// pkg/canary/deployment_controller.go, pkg/router.

// canary is one Canary of the input.
type canary struct {
	obj                      *Object
	target, service          string
	progressDeadline         int
	gateways, gatewayRefs    []string
	ingressRef               string
	deadlineField, namespace string
}

// flaggerSelectorLabels are Flagger's default -selector-labels.
var flaggerSelectorLabels = []string{"app", "name", "app.kubernetes.io/name"}

// FlaggerPrimaryLabels returns the labels of a Canary target's primary
// pods: the selector labels' values with "-primary".
func FlaggerPrimaryLabels(labels map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range labels {
		out[k] = v
	}
	for _, k := range flaggerSelectorLabels {
		if v, ok := out[k]; ok {
			out[k] = v + "-primary"
		}
	}
	return out
}

func (ix *Index) indexFlagger(o *Object) {
	if o.Kind != "Canary" || o.Group() != "flagger.app" {
		return
	}
	y := o.Node.YNode()
	if k := scalar(y, "spec", "targetRef", "kind"); k != "" && k != "Deployment" {
		return
	}
	c := &canary{obj: o, namespace: o.Namespace, target: scalar(y, "spec", "targetRef", "name"), progressDeadline: 600, deadlineField: "spec.progressDeadlineSeconds"}
	if v := scalar(y, "spec", "progressDeadlineSeconds"); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			c.progressDeadline = n
		}
	}
	c.service = scalar(y, "spec", "service", "name")
	if c.service == "" {
		c.service = c.target
	}
	c.gateways = lenientStrings(y, "spec", "service", "gateways")
	for _, g := range lenientSeq(y, "spec", "service", "gatewayRefs") {
		ns := scalar(g, "namespace")
		if ns == "" {
			ns = o.Namespace
		}
		c.gatewayRefs = append(c.gatewayRefs, Key(ns, scalar(g, "name")))
	}
	c.ingressRef = scalar(y, "spec", "ingressRef", "name")
	ix.canaries = append(ix.canaries, c)
}

// linkFlagger fills the facts of a Canary's target Deployment.
func (ix *Index) linkFlagger(w *Workload) {
	if w.Kind != "Deployment" {
		return
	}
	for _, c := range ix.canaries {
		if c.target != w.Name || Namespace(c.namespace) != Namespace(w.Namespace) {
			continue
		}
		f := &w.Facts
		f.Canary = &plan.CanaryFacts{Name: c.obj.Name, Primary: w.Name + "-primary", ProgressDeadline: c.progressDeadline}
		// The Services Flagger generates select the primary pods (and the
		// canary's during an analysis).
		for _, s := range []string{c.service, c.service + "-primary"} {
			if !slices.Contains(f.Services, s) {
				f.Services = append(f.Services, s)
			}
		}
		via := "Canary " + shown(c.obj.Namespace, c.obj.Name)
		lb := ix.LB()
		for _, g := range c.gateways {
			if g == "mesh" {
				continue
			}
			// An Istio Gateway: served by an Istio ingress gateway.
			f.Paths = append(f.Paths, plan.Path{Kind: profile.PathGateway, Via: via + " (Istio Gateway " + g + ")", Class: "istio", Controller: "istio.io/gateway-controller", ClassKnown: true, ClassWhat: "an Istio Gateway"})
		}
		for _, g := range c.gatewayRefs {
			class, known := lb.Gateways[g]
			f.Paths = append(f.Paths, plan.Path{Kind: profile.PathGateway, Via: via + " (Gateway " + g + ")", Class: class, Controller: lb.GatewayClasses[class], ClassKnown: known})
		}
		if c.ingressRef != "" {
			for _, ing := range lb.Ingresses {
				if ing.Name == c.ingressRef && Namespace(ing.Namespace) == Namespace(c.namespace) {
					for _, p := range routePaths(lb, ing) {
						p.Via = via + " (a copy of " + p.Via + ")"
						f.Paths = append(f.Paths, p)
					}
				}
			}
		}
		// Routes of the input to the generated Services.
		for _, s := range []string{c.service, c.service + "-primary"} {
			if lb.Services[Key(w.Namespace, s)] != nil {
				continue // linkPaths reads those
			}
			for _, r := range lb.RoutesTo[Key(w.Namespace, s)] {
				f.Paths = append(f.Paths, routePaths(lb, r)...)
			}
		}
		return
	}
}
