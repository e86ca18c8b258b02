package profile

import "strings"

// Platform is the cloud whose load balancers a profile or a controller
// belongs to ("" for in-cluster proxies and the generic profile).
type Platform string

const (
	PlatformNone  Platform = ""
	PlatformGCP   Platform = "GKE"
	PlatformAWS   Platform = "EKS"
	PlatformAzure Platform = "AKS"
)

// Controller is one row of the entry-point table: a controller that serves
// Ingresses, Gateways or LoadBalancer Services, the names it is known by,
// and whose timeline applies to the pods behind it. An Ingress is matched by
// its IngressClass's spec.controller when the IngressClass is in the input,
// else by its class name; a Gateway by its GatewayClass's
// spec.controllerName, else by its gatewayClassName; a Service by its
// spec.loadBalancerClass.
type Controller struct {
	// Name as results show it.
	Name string
	// Platform of a cloud load balancer; "" for an in-cluster proxy (it
	// follows EndpointSlices like kube-proxy, with its own sync delay).
	Platform Platform
	// Product tells the load balancers of one platform apart: a profile
	// whose LB.Product is the same uses its own numbers for this entry
	// (eks-fargate-alb for an ALB Ingress), any other profile those of
	// Profile.
	Product string
	// Profile names the row (of the profile table or the proxy table)
	// whose L, preStop and minReadySeconds apply.
	Profile string
	// IngressControllers are IngressClass spec.controller values,
	// IngressClasses well-known class names.
	IngressControllers, IngressClasses []string
	// GatewayControllers are GatewayClass spec.controllerName values;
	// GatewayClasses well-known class names and GatewayClassPrefixes
	// prefixes of them.
	GatewayControllers, GatewayClasses, GatewayClassPrefixes []string
	// LoadBalancerClasses are Service spec.loadBalancerClass values.
	LoadBalancerClasses []string
	Sources             []string
}

// InCluster reports an in-cluster proxy.
func (c Controller) InCluster() bool { return c.Platform == PlatformNone }

// controllers is the entry-point table. Class names are the ones the
// controllers' own manifests, charts or docs create; a cluster may name its
// classes otherwise, which is why the controller fields are read first.
var controllers = []Controller{
	{
		Name: "AWS Load Balancer Controller (ALB)", Platform: PlatformAWS, Product: "alb", Profile: "eks-alb",
		IngressControllers: []string{"ingress.k8s.aws/alb"}, IngressClasses: []string{"alb"},
		GatewayControllers: []string{"gateway.k8s.aws/alb"}, GatewayClasses: []string{"aws-alb", "amazon-alb"},
		Sources: []string{"aws-load-balancer-controller docs/guide/ingress/ingress_class.md (controller ingress.k8s.aws/alb)", "aws-load-balancer-controller docs/guide/gateway (GatewayClass controllerName gateway.k8s.aws/alb)"},
	},
	{
		Name: "AWS Load Balancer Controller (NLB)", Platform: PlatformAWS, Product: "nlb", Profile: "eks-nlb",
		GatewayControllers: []string{"gateway.k8s.aws/nlb"}, GatewayClasses: []string{"aws-nlb", "amazon-nlb"},
		LoadBalancerClasses: []string{"service.k8s.aws/nlb"},
		Sources:             []string{"aws-load-balancer-controller docs/deploy/installation.md (loadBalancerClass service.k8s.aws/nlb)", "aws-load-balancer-controller docs/guide/gateway (controllerName gateway.k8s.aws/nlb)"},
	},
	{
		Name: "EKS Auto Mode (ALB)", Platform: PlatformAWS, Product: "alb", Profile: "eks-alb",
		IngressControllers: []string{"eks.amazonaws.com/alb"},
		Sources:            []string{"EKS docs: Auto Mode, create an IngressClass (controller eks.amazonaws.com/alb)"},
	},
	{
		Name: "EKS Auto Mode (NLB)", Platform: PlatformAWS, Product: "nlb", Profile: "eks-nlb",
		LoadBalancerClasses: []string{"eks.amazonaws.com/nlb"},
		Sources:             []string{"EKS docs: Auto Mode, use Service annotations to configure Network Load Balancers (loadBalancerClass eks.amazonaws.com/nlb)"},
	},
	{
		Name: "GKE Ingress", Platform: PlatformGCP, Product: "gke-l7", Profile: "gke-neg",
		IngressClasses: []string{"gce", "gce-internal", "gce-regional-external"},
		Sources:        []string{"GKE docs: Ingress for external / internal Application Load Balancers (kubernetes.io/ingress.class gce, gce-internal)"},
	},
	{
		Name: "GKE Gateway controller", Platform: PlatformGCP, Product: "gke-l7", Profile: "gke-neg",
		GatewayControllers:   []string{"networking.gke.io/gateway"},
		GatewayClassPrefixes: []string{"gke-l7-"},
		Sources:              []string{"GKE docs: GatewayClass capabilities (gke-l7-* single- and multi-cluster classes, controller networking.gke.io/gateway)"},
	},
	{
		Name: "Application Gateway Ingress Controller", Platform: PlatformAzure, Product: "agic", Profile: "aks-agic",
		IngressControllers: []string{"azure/application-gateway"},
		IngressClasses:     []string{"azure/application-gateway", "azure-application-gateway"},
		Sources:            []string{"AGIC docs: ingress class azure/application-gateway; AKS add-on IngressClass azure-application-gateway"},
	},
	{
		// No vendor figure for how fast AGC stops sending to a removed pod:
		// planned with AGIC's numbers, the slower Azure gateway (safe side).
		Name: "Application Gateway for Containers", Platform: PlatformAzure, Product: "agc", Profile: "aks-agic",
		IngressControllers: []string{"alb.networking.azure.io/alb-controller"},
		GatewayControllers: []string{"alb.networking.azure.io/alb-controller"},
		IngressClasses:     []string{"azure-alb-external"}, GatewayClasses: []string{"azure-alb-external"},
		Sources: []string{"Application Gateway for Containers docs: ALB Controller (class azure-alb-external, controller alb.networking.azure.io/alb-controller); no drain figure: AGIC's numbers"},
	},
	{
		Name: "ingress-nginx", Profile: "ingress-nginx", Product: "ingress-nginx",
		IngressControllers: []string{"k8s.io/ingress-nginx"}, IngressClasses: []string{"nginx"},
		Sources: []string{"ingress-nginx docs: IngressClass controller k8s.io/ingress-nginx"},
	},
	{
		// AKS application routing add-on: a managed ingress-nginx.
		Name: "AKS application routing (managed ingress-nginx)", Profile: "ingress-nginx", Product: "ingress-nginx",
		IngressControllers: []string{"webapprouting.kubernetes.azure.com/nginx"},
		IngressClasses:     []string{"webapprouting.kubernetes.azure.com"},
		Sources:            []string{"AKS docs: managed NGINX ingress with the application routing add-on (IngressClass webapprouting.kubernetes.azure.com)"},
	},
	{
		Name: "NGINX Ingress Controller (F5)", Profile: "nginx-inc",
		IngressControllers: []string{"nginx.org/ingress-controller"},
		GatewayControllers: []string{"gateway.nginx.org/nginx-gateway-controller"},
		Sources:            []string{"nginx/kubernetes-ingress docs (controller nginx.org/ingress-controller)", "nginx/nginx-gateway-fabric (controllerName gateway.nginx.org/nginx-gateway-controller)"},
	},
	{
		Name: "Istio gateway", Profile: "istio-gateway",
		IngressControllers: []string{"istio.io/ingress-controller"}, IngressClasses: []string{"istio"},
		GatewayControllers: []string{"istio.io/gateway-controller"}, GatewayClasses: []string{"istio"},
		Sources: []string{"Istio docs: Kubernetes Ingress (class istio) and Gateway API (controllerName istio.io/gateway-controller)"},
	},
	{
		Name: "Envoy Gateway", Profile: "envoy-gateway",
		GatewayControllers: []string{"gateway.envoyproxy.io/gatewayclass-controller"}, GatewayClasses: []string{"eg", "envoy-gateway"},
		Sources: []string{"Envoy Gateway quickstart (GatewayClass eg, controllerName gateway.envoyproxy.io/gatewayclass-controller)"},
	},
	{
		Name: "Contour", Profile: "contour",
		IngressControllers: []string{"projectcontour.io/ingress-controller", "projectcontour.io/contour"}, IngressClasses: []string{"contour"},
		GatewayControllers: []string{"projectcontour.io/gateway-controller"}, GatewayClasses: []string{"contour"},
		Sources: []string{"Contour docs: ingress class contour, Gateway API controllerName projectcontour.io/gateway-controller"},
	},
	{
		Name: "Traefik", Profile: "traefik",
		IngressControllers: []string{"traefik.io/ingress-controller"}, IngressClasses: []string{"traefik"},
		GatewayControllers: []string{"traefik.io/gateway-controller"}, GatewayClasses: []string{"traefik"},
		Sources: []string{"Traefik docs: Kubernetes Ingress provider (controller traefik.io/ingress-controller), Gateway API provider (traefik.io/gateway-controller)"},
	},
	{
		Name: "Kong Ingress Controller", Profile: "kong",
		IngressControllers: []string{"ingress-controllers.konghq.com/kong"}, IngressClasses: []string{"kong"},
		GatewayControllers: []string{"konghq.com/kic-gateway-controller", "konghq.com/gateway-operator"}, GatewayClasses: []string{"kong"},
		Sources: []string{"Kong Ingress Controller docs (IngressClass controller ingress-controllers.konghq.com/kong, GatewayClass konghq.com/kic-gateway-controller)"},
	},
	{
		Name: "HAProxy Ingress", Profile: "haproxy",
		IngressControllers: []string{"haproxy.org/ingress-controller", "haproxy.org/ingress-controller/haproxy", "haproxy-ingress.github.io/controller"},
		IngressClasses:     []string{"haproxy"},
		Sources:            []string{"haproxytech/kubernetes-ingress docs (controller haproxy.org/ingress-controller)", "jcmoraisjr/haproxy-ingress docs (controller haproxy-ingress.github.io/controller)"},
	},
	{
		Name: "Cilium", Profile: "cilium",
		IngressControllers: []string{"cilium.io/ingress-controller"}, IngressClasses: []string{"cilium"},
		GatewayControllers: []string{"io.cilium/gateway-controller"}, GatewayClasses: []string{"cilium"},
		Sources: []string{"Cilium docs: Ingress (class cilium, controller cilium.io/ingress-controller), Gateway API (controllerName io.cilium/gateway-controller)"},
	},
}

// proxies are the timelines of in-cluster proxies and plain layer-4 cloud
// load balancers: rows like the profiles', not selectable as a profile.
// An in-cluster proxy stops sending to a pod once it has seen its
// EndpointSlice change and pushed its configuration: L is its sync delay
// plus the informer's, the preStop L plus the 5 s margin generic keeps.
var proxies = []Profile{
	{
		Name: "istio-gateway", Summary: "Istio gateway (Envoy, endpoints pushed by istiod)",
		// istiod debounces pushes: PILOT_DEBOUNCE_AFTER 100 ms of quiet, at
		// most PILOT_DEBOUNCE_MAX 10 s while changes keep coming (a rollout).
		LBStopSeconds: 10, PreStopSeconds: 15, ShutdownSeconds: 20,
		Sources: []string{"Istio pilot-discovery environment: PILOT_DEBOUNCE_MAX 10 s"},
	},
	{
		Name: "envoy-gateway", Summary: "Envoy Gateway (EndpointSlices pushed as EDS)",
		LBStopSeconds: 5, PreStopSeconds: 10, ShutdownSeconds: 20,
		Sources: []string{"Envoy Gateway: EndpointSlice watch, xDS push without batching; kube-proxy's order"},
	},
	{
		Name: "contour", Summary: "Contour (EndpointSlices pushed as EDS)",
		LBStopSeconds: 5, PreStopSeconds: 10, ShutdownSeconds: 20,
		Sources: []string{"Contour: EndpointSlice watch, EDS push without batching; kube-proxy's order"},
	},
	{
		Name: "traefik", Summary: "Traefik (provider updates throttled)",
		// providers.providersThrottleDuration: 2 s by default.
		LBStopSeconds: 5, PreStopSeconds: 10, ShutdownSeconds: 20,
		Sources: []string{"Traefik docs: providersThrottleDuration default 2 s"},
	},
	{
		Name: "kong", Summary: "Kong (the controller pushes configuration every few seconds)",
		// --proxy-sync-seconds: 3 by default.
		LBStopSeconds: 5, PreStopSeconds: 10, ShutdownSeconds: 20,
		Sources: []string{"Kong Ingress Controller flags: --proxy-sync-seconds default 3"},
	},
	{
		Name: "haproxy", Summary: "HAProxy Ingress (periodic sync)",
		// haproxytech --sync-period: 5 s by default.
		LBStopSeconds: 7, PreStopSeconds: 12, ShutdownSeconds: 20,
		Sources: []string{"haproxytech/kubernetes-ingress controller arguments: --sync-period default 5 s"},
	},
	{
		Name: "cilium", Summary: "Cilium Ingress / Gateway (Envoy fed by the agent)",
		LBStopSeconds: 5, PreStopSeconds: 10, ShutdownSeconds: 20,
		Sources: []string{"Cilium: the agent pushes EndpointSlice changes to its Envoy; kube-proxy's order"},
	},
	{
		Name: "nginx-inc", Summary: "NGINX Ingress Controller / NGINX Gateway Fabric (F5)",
		LBStopSeconds: 5, PreStopSeconds: 10, ShutdownSeconds: 20,
		Sources: []string{"nginx/kubernetes-ingress: EndpointSlice watch, upstreams reloaded via the API; kube-proxy's order"},
	},
	{
		// A plain LoadBalancer Service on GKE (no NEG): a passthrough
		// Network Load Balancer in front of the nodes. With
		// externalTrafficPolicy Cluster kube-proxy forwards; with Local the
		// load balancer drops a node once its health check (the node's
		// healthCheckNodePort) fails, a few probes apart.
		Name: "gke-l4", Summary: "GKE passthrough Network Load Balancer in front of nodes (kube-proxy)",
		LBStopSeconds: 10, PreStopSeconds: 15, ShutdownSeconds: 20,
		Sources: []string{"GKE docs: LoadBalancer Service concepts (passthrough NLB to nodes, externalTrafficPolicy and node health checks)", "node health-check failover: lab assumption (no vendor figure)"},
	},
	{
		// A plain LoadBalancer Service on AKS: Azure Load Balancer in front
		// of the nodes; its health probe (5 s interval, 2 probes by
		// default) drops a node with externalTrafficPolicy Local.
		Name: "aks-l4", Summary: "Azure Load Balancer in front of nodes (kube-proxy)",
		LBStopSeconds: 10, PreStopSeconds: 15, ShutdownSeconds: 20,
		Sources: []string{"AKS docs: Use a public Standard Load Balancer (health probe interval 5 s, probe threshold)"},
	},
}

// Controllers returns a copy of the entry-point table.
func Controllers() []Controller { return append([]Controller(nil), controllers...) }

// Proxies returns a copy of the in-cluster proxy and layer-4 rows.
func Proxies() []Profile { return append([]Profile(nil), proxies...) }

// EntryKind is what kind of object names a class.
type EntryKind int

const (
	EntryIngress EntryKind = iota
	EntryGateway
	EntryService
)

// FindController finds the controller of an entry: by the controller its
// class object names (IngressClass spec.controller, GatewayClass
// spec.controllerName; "" when the class object is not in the input), else
// by the class name (a Service's loadBalancerClass).
func FindController(kind EntryKind, class, controller string) (Controller, bool) {
	if controller != "" {
		for _, c := range controllers {
			var names []string
			switch kind {
			case EntryIngress:
				names = c.IngressControllers
			case EntryGateway:
				names = c.GatewayControllers
			}
			if containsFold(names, controller) {
				return c, true
			}
		}
		// The class object names a controller the table does not know:
		// its name says nothing more.
		return Controller{}, false
	}
	if class == "" {
		return Controller{}, false
	}
	for _, c := range controllers {
		switch kind {
		case EntryIngress:
			if containsFold(c.IngressClasses, class) {
				return c, true
			}
		case EntryGateway:
			if containsFold(c.GatewayClasses, class) {
				return c, true
			}
			for _, p := range c.GatewayClassPrefixes {
				if strings.HasPrefix(strings.ToLower(class), p) {
					return c, true
				}
			}
		case EntryService:
			if containsFold(c.LoadBalancerClasses, class) {
				return c, true
			}
		}
	}
	return Controller{}, false
}

// Timeline is the row whose numbers apply to the pods behind a controller
// under profile p: p itself when the controller is p's own load balancer
// (same product), else the controller's row.
func (p Profile) Timeline(c Controller) Profile {
	if c.Product != "" && c.Product == p.LB.Product {
		return p
	}
	if q, ok := lookupRow(c.Profile); ok {
		return q
	}
	return p
}

// lookupRow finds a profile or a proxy row by name.
func lookupRow(name string) (Profile, bool) {
	for _, rows := range [][]Profile{table, proxies} {
		for _, q := range rows {
			if q.Name == name {
				return q, true
			}
		}
	}
	return Profile{}, false
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
