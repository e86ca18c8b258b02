package profile

import "strings"

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

// pathProfiles names, per profile, the profile whose timeline applies to a
// path of that kind when it is not the profile itself. Behind an NLB the
// AWS Load Balancer Controller deregisters targets as slowly under eks-alb
// and eks-fargate-alb as under eks-nlb (aws-load-balancer-controller#2366):
// a LoadBalancer Service there uses eks-nlb's numbers.
//
// Under ingress-nginx the profile's numbers are the controller's endpoint
// sync; a LoadBalancer Service there is a cloud load balancer in front of
// node ports, which kube-proxy forwards: the in-cluster numbers.
var pathProfiles = map[string]map[PathKind]string{
	"eks-alb":         {PathServiceLB: "eks-nlb"},
	"eks-fargate-alb": {PathServiceLB: "eks-nlb"},
	"ingress-nginx":   {PathServiceLB: InCluster},
}

// proxyProfiles names the profile of an in-cluster proxy by its Ingress
// class or IngressClass controller; any other proxy is InCluster.
var proxyProfiles = map[string]string{
	"nginx":                "ingress-nginx",
	"k8s.io/ingress-nginx": "ingress-nginx",
}

// ForPath is the profile whose L, preStop and minReadySeconds apply to a path
// of kind k under profile p. class is the Ingress class or IngressClass
// controller of a PathProxy ("" otherwise).
func (p Profile) ForPath(k PathKind, class string) Profile {
	name := p.Name
	switch k {
	case PathInCluster:
		name = InCluster
	case PathProxy:
		name = InCluster
		if n, ok := proxyProfiles[strings.ToLower(class)]; ok {
			name = n
		}
	default:
		if n, ok := pathProfiles[p.Name][k]; ok {
			name = n
		}
	}
	if name == p.Name {
		return p
	}
	q, err := Lookup(name)
	if err != nil {
		return p
	}
	return q
}

// ServesLB reports whether a path of kind k is behind the load balancer of
// the platform (not in-cluster).
func (k PathKind) ServesLB() bool { return k != PathInCluster && k != PathProxy }

// ServesIngress reports whether the load balancer serves an Ingress of a
// class (resolved to the input's default IngressClass; "" when none) whose
// IngressClass names controller ("" when not in the input). An Ingress
// without any class counts as served: the profile says what routes traffic.
func (lb LoadBalancer) ServesIngress(class, controller string) bool {
	if class == "" {
		return true
	}
	for _, c := range lb.IngressClasses {
		if c == class {
			return true
		}
	}
	for _, c := range lb.IngressControllers {
		if controller != "" && c == controller {
			return true
		}
	}
	return false
}

// ServesGateway reports whether the load balancer serves a Gateway of a
// class; a Gateway not in the input (known false) is assumed to be.
func (lb LoadBalancer) ServesGateway(class string, known bool) bool {
	if !known {
		return true
	}
	for _, p := range lb.GatewayClassPrefixes {
		if strings.HasPrefix(class, p) {
			return true
		}
	}
	return false
}
