package profile

// PathKind is how traffic reaches a workload's pods (docs/concepts.md "Traffic
// paths"). L, the preStop and minReadySeconds belong to the path: behind the
// platform's load balancer the profile's numbers apply, reached only
// in-cluster the in-cluster numbers do.
type PathKind string

const (
	// PathInCluster: only kube-proxy or a mesh sends to the pods
	// (ClusterIP and headless Services).
	PathInCluster PathKind = "in-cluster"
	// PathIngress: an Ingress whose class the profile's load balancer serves.
	PathIngress PathKind = "Ingress"
	// PathGateway: an HTTPRoute or GRPCRoute attached to a Gateway of the
	// profile's load balancer (or to one not in the input).
	PathGateway PathKind = "Gateway"
	// PathServiceLB: a Service of type LoadBalancer.
	PathServiceLB PathKind = "LoadBalancer Service"
	// PathTargetGroup: an AWS TargetGroupBinding.
	PathTargetGroup PathKind = "TargetGroupBinding"
	// PathNEG: a standalone NEG (cloud.google.com/neg exposed_ports).
	PathNEG PathKind = "NEG"
	// PathProxy: an Ingress or Gateway served by an in-cluster proxy the
	// profile's load balancer does not configure (ingress-nginx, Traefik,
	// an Istio gateway): the proxy follows endpoints like kube-proxy.
	PathProxy PathKind = "in-cluster proxy"
)

// InCluster is the profile whose numbers apply to the in-cluster paths:
// endpoint removal reaches every node's kube-proxy (and every mesh proxy)
// within a few seconds, and nothing outside the cluster admits new pods.
const InCluster = "generic"

// ForPath is the profile whose L, preStop and minReadySeconds apply to a path
// of kind k under profile p when no controller names it: the in-cluster
// numbers for in-cluster paths, the ServiceLB row for a LoadBalancer Service
// without a class, the profile's own otherwise.
func (p Profile) ForPath(k PathKind) Profile {
	name := p.Name
	switch k {
	case PathInCluster, PathProxy:
		name = InCluster
	case PathServiceLB:
		if p.ServiceLB != "" {
			name = p.ServiceLB
		}
	}
	if name == p.Name {
		return p
	}
	if q, ok := lookupRow(name); ok {
		return q
	}
	return p
}

// ServesLB reports whether a path of kind k is behind the load balancer of
// the platform (not in-cluster).
func (k PathKind) ServesLB() bool { return k != PathInCluster && k != PathProxy }

// ServesIngress reports whether the companion of the load balancer
// configures an Ingress of a class (resolved to the input's default
// IngressClass; "" when none) whose IngressClass names controller ("" when
// not in the input). An Ingress without any class counts as served: the
// profile says what routes traffic.
func (lb LoadBalancer) ServesIngress(class, controller string) bool {
	if class == "" && controller == "" {
		return true
	}
	c, ok := FindController(EntryIngress, class, controller)
	return ok && lb.configures(c)
}

// ServesGateway reports whether the companion configures a Gateway of a
// class whose GatewayClass names controller ("" when not in the input); a
// Gateway not in the input (known false) is assumed to be.
func (lb LoadBalancer) ServesGateway(class, controller string, known bool) bool {
	if !known {
		return true
	}
	c, ok := FindController(EntryGateway, class, controller)
	return ok && lb.configures(c)
}

func (lb LoadBalancer) configures(c Controller) bool {
	for _, p := range lb.Configures {
		if p == c.Product {
			return true
		}
	}
	return false
}

// Names lists, for docs and messages, the Ingress and Gateway class and
// controller names of the products the companion configures.
func (lb LoadBalancer) Names() (ingress, gateway []string) {
	for _, c := range controllers {
		if !lb.configures(c) {
			continue
		}
		ingress = append(append(ingress, c.IngressClasses...), c.IngressControllers...)
		gateway = append(append(append(gateway, c.GatewayClasses...), c.GatewayClassPrefixes...), c.GatewayControllers...)
	}
	return uniq(ingress), uniq(gateway)
}

func uniq(list []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, x := range list {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
