package inventory

import (
	"github.com/graceful-rollout/graceful-rollout/fn/plan"
	"github.com/graceful-rollout/graceful-rollout/fn/profile"
)

// An Istio VirtualService bound to an Istio Gateway (spec.gateways other
// than "mesh") is an entry: the Istio ingress gateway, an in-cluster proxy,
// sends to the Services its routes name (spec.http/tcp/tls[].route[].
// destination.host; Istio docs, "Ingress Gateways").

// istioEntry is one gateway-bound VirtualService route to a Service.
type istioEntry struct {
	vs       *Object
	gateways []string
}

func (ix *Index) indexIstioEntries(o *Object) {
	if o.Kind != "VirtualService" || o.Group() != "networking.istio.io" {
		return
	}
	y := o.Node.YNode()
	var gws []string
	for _, g := range lenientStrings(y, "spec", "gateways") {
		if g != "mesh" {
			gws = append(gws, g)
		}
	}
	if len(gws) == 0 {
		return
	}
	if ix.istioEntries == nil {
		ix.istioEntries = map[string][]istioEntry{}
	}
	seen := map[string]bool{}
	for _, kind := range []string{"http", "tcp", "tls"} {
		for _, r := range lenientSeq(y, "spec", kind) {
			for _, d := range lenientSeq(r, "route") {
				k, ok := hostKey(scalar(d, "destination", "host"), o.Namespace)
				if !ok || seen[k] {
					continue
				}
				seen[k] = true
				ix.istioEntries[k] = append(ix.istioEntries[k], istioEntry{vs: o, gateways: gws})
			}
		}
	}
}

// istioPaths are the paths of gateway-bound VirtualServices to a Service.
func (ix *Index) istioPaths(namespace, service string) []plan.Path {
	var out []plan.Path
	seen := map[*Object]bool{}
	for _, k := range serviceKeys(namespace, service) {
		for _, e := range ix.istioEntries[k] {
			if seen[e.vs] {
				continue
			}
			seen[e.vs] = true
			out = append(out, plan.Path{
				Kind: profile.PathGateway, Class: "istio", Controller: "istio.io/gateway-controller", ClassKnown: true, ClassWhat: "an Istio Gateway",
				Via: "VirtualService " + shown(e.vs.Namespace, e.vs.Name) + " (Istio Gateway " + e.gateways[0] + ")",
			})
		}
	}
	return out
}
