package inventory

import (
	"sort"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// ManagedBy is the value of app.kubernetes.io/managed-by on the objects the
// function adds; an input object carrying it was added by an earlier run.
const (
	ManagedByLabel = "app.kubernetes.io/managed-by"
	ManagedBy      = "graceful-rollout"
)

// LB indexes what the load-balancer and disruption-budget companions read,
// in one pass and in maps keyed by namespace/name: Services, the Ingresses
// and HTTPRoutes that send to each Service, GKE policies and BackendConfigs,
// IngressClasses, Gateways, TargetGroupBindings and PodDisruptionBudgets.
//
// It reads leniently: a field of an unexpected shape reads as absent. These
// objects pass through unless a companion edits them, and the companion that
// edits one reports what it cannot edit.
type LB struct {
	// Services by Key(namespace, name).
	Services map[string]*Service
	// Ingresses, HTTPRoutes and GRPCRoutes in input order; L4Routes the
	// TCPRoutes, TLSRoutes and UDPRoutes (an NLB Gateway's).
	Ingresses, HTTPRoutes, GRPCRoutes, L4Routes []*Route
	// ImportedBy lists, by the key of an exported Service, the Gateway API
	// routes with a backend on its ServiceImport (GKE multi-cluster
	// Gateways).
	ImportedBy map[string][]*Route
	// MultiClusterIngresses (networking.gke.io) in input order; their
	// backends are MultiClusterServices.
	MultiClusterIngresses []*Route
	// MultiClusterServices by Key(namespace, name).
	MultiClusterServices map[string]*MultiClusterService
	// RoutesTo lists, by Service key, the Ingresses, HTTPRoutes and
	// GRPCRoutes with a backend on that Service.
	RoutesTo map[string][]*Route
	// GCPBackendPolicies and HealthCheckPolicies by the key of the Service
	// their targetRef names.
	GCPBackendPolicies, HealthCheckPolicies map[string][]*Object
	// BackendConfigs by Key(namespace, name).
	BackendConfigs map[string]*Object
	// IngressClasses: name -> spec.controller; DefaultIngressClass is the
	// one annotated as the cluster default ("" when none in the input).
	IngressClasses      map[string]string
	DefaultIngressClass string
	// Gateways: Key(namespace, name) -> spec.gatewayClassName;
	// GatewayClasses: name -> spec.controllerName.
	Gateways       map[string]string
	GatewayClasses map[string]string
	// TargetGroupBindings by the key of their serviceRef.
	TargetGroupBindings map[string][]*TargetGroupBinding
	// TargetGroupConfigs (gateway.k8s.aws TargetGroupConfiguration: the
	// AWS controller's per-Service target group settings for Gateway API
	// routes) by the key of the Service they name.
	TargetGroupConfigs map[string][]*TargetGroupConfig
	pdbs               map[string]*namespacePDBs
	// byName: every object by kind/namespace/name, to avoid name clashes.
	byName map[string]*Object
}

// Key is how the indexes name an object of a namespace. An object without
// metadata.namespace is matched with those in default (Namespace).
func Key(namespace, name string) string { return Namespace(namespace) + "/" + name }

// Namespace is the namespace an object is matched in: default when it has
// none. kubectl applies an object without a namespace to the namespace of
// its context, most often default, and input that mixes both forms (a Helm
// chart's templates with and without {{ .Release.Namespace }}) means one
// namespace; when the objects are meant for another namespace, kustomize's
// namespace field or kpt set-namespace sets it on all of them.
func Namespace(ns string) string {
	if ns == "" {
		return "default"
	}
	return ns
}

// Service is a v1 Service as the companions need it.
type Service struct {
	*Object
	Type              string
	ClusterIP         string
	LoadBalancerClass string
	Annotations       map[string]string
	Labels            map[string]string
	Ports             []ServicePort
}

// ServicePort is one entry of spec.ports.
type ServicePort struct {
	Name string
	Port int
	// TargetPort as written: a number, a container port name, or "" (the
	// port number).
	TargetPort string
}

// Target is the container port (number or name) a Service port sends to.
func (p ServicePort) Target() string {
	if p.TargetPort == "" {
		return strconv.Itoa(p.Port)
	}
	return p.TargetPort
}

// Port finds the Service port a route names by number or name.
func (s *Service) Port(ref string) (ServicePort, bool) {
	for _, p := range s.Ports {
		if ref == strconv.Itoa(p.Port) || (p.Name != "" && ref == p.Name) {
			return p, true
		}
	}
	return ServicePort{}, false
}

// Route is an Ingress or an HTTPRoute.
type Route struct {
	*Object
	Annotations map[string]string
	// Class is an Ingress's spec.ingressClassName, or its
	// kubernetes.io/ingress.class annotation.
	Class string
	// Backends are the Services it sends to.
	Backends []Backend
	// Gateways are the Keys of the Gateways a route attaches to; Mesh is
	// true when it also names a Service as a parent (GAMMA), MeshServices
	// lists those Services' keys.
	Gateways     []string
	Mesh         bool
	MeshServices []string
	// Imports are a route's backends on ServiceImports, keyed by the name
	// of the Service each imports.
	Imports []Backend
}

// Backend is one Service a route sends to, on a port (number or name; ""
// when the route does not say).
type Backend struct {
	Service string
	Port    string
}

// ServicePorts lists the ports (number or name) the route sends to on the
// Service with the key, without duplicates, in route order.
func (r *Route) ServicePorts(key string) []string {
	var out []string
	seen := map[string]bool{}
	for _, b := range r.Backends {
		if b.Service == key && !seen[b.Port] {
			seen[b.Port] = true
			out = append(out, b.Port)
		}
	}
	return out
}

// TargetGroupBinding is an AWS Load Balancer Controller binding of a target
// group created outside the cluster to a Service.
type TargetGroupBinding struct {
	*Object
	TargetType, TargetGroupARN string
}

// TargetGroupConfig is a TargetGroupConfiguration; TargetType its
// spec.defaultConfiguration.targetType as written.
type TargetGroupConfig struct {
	*Object
	TargetType string
}

// PDB is a PodDisruptionBudget.
type PDB struct {
	*Object
	Labels map[string]string
	// Selector is nil when spec.selector is absent or null (policy/v1: it
	// selects no pod) or cannot be read.
	Selector labels.Selector
	// MinAvailable / MaxUnavailable as written ("" when absent).
	MinAvailable, MaxUnavailable string
}

// Managed reports whether the object was added by an earlier run.
func Managed(labels map[string]string) bool { return labels[ManagedByLabel] == ManagedBy }

type namespacePDBs struct {
	// byPair: budgets with matchLabels, under their smallest pair (as
	// Services are indexed); others: budgets with only expressions or an
	// empty selector.
	byPair map[string][]*PDB
	others []*PDB
}

// LB returns the load-balancer index (empty when the input has none of its
// kinds).
func (ix *Index) LB() *LB {
	if ix.lb == nil {
		ix.lb = newLB()
	}
	return ix.lb
}

func newLB() *LB {
	return &LB{
		Services:            map[string]*Service{},
		RoutesTo:            map[string][]*Route{},
		ImportedBy:          map[string][]*Route{},
		GCPBackendPolicies:  map[string][]*Object{},
		HealthCheckPolicies: map[string][]*Object{},
		BackendConfigs:      map[string]*Object{},
		IngressClasses:      map[string]string{},
		Gateways:            map[string]string{},
		GatewayClasses:      map[string]string{},
		TargetGroupBindings: map[string][]*TargetGroupBinding{},
		TargetGroupConfigs:  map[string][]*TargetGroupConfig{},
		pdbs:                map[string]*namespacePDBs{},
		byName:              map[string]*Object{},
	}
}

// indexLB adds one input object to the load-balancer index.
func (ix *Index) indexLB(o *Object) {
	lb := ix.LB()
	lb.byName[o.Kind+"/"+Key(o.Namespace, o.Name)] = o
	y := o.Node.YNode()
	switch group := o.Group(); {
	case o.APIVersion == "v1" && o.Kind == "Service":
		s := &Service{
			Object:            o,
			Type:              scalar(y, "spec", "type"),
			ClusterIP:         scalar(y, "spec", "clusterIP"),
			LoadBalancerClass: scalar(y, "spec", "loadBalancerClass"),
			Annotations:       lenientMap(y, "metadata", "annotations"),
			Labels:            lenientMap(y, "metadata", "labels"),
		}
		for _, p := range lenientSeq(y, "spec", "ports") {
			n, _ := strconv.Atoi(scalar(p, "port"))
			s.Ports = append(s.Ports, ServicePort{Name: scalar(p, "name"), Port: n, TargetPort: scalar(p, "targetPort")})
		}
		lb.Services[Key(o.Namespace, o.Name)] = s
	case o.Kind == "Ingress" && (group == "networking.k8s.io" || group == "extensions"):
		r := &Route{Object: o, Annotations: lenientMap(y, "metadata", "annotations")}
		r.Class = scalar(y, "spec", "ingressClassName")
		if r.Class == "" {
			r.Class = r.Annotations["kubernetes.io/ingress.class"]
		}
		addIngressBackend := func(b *yaml.Node) {
			if b == nil {
				return
			}
			if name := scalar(b, "service", "name"); name != "" { // v1
				port := scalar(b, "service", "port", "number")
				if port == "" {
					port = scalar(b, "service", "port", "name")
				}
				r.Backends = append(r.Backends, Backend{Service: Key(o.Namespace, name), Port: port})
			} else if name := scalar(b, "serviceName"); name != "" { // v1beta1
				r.Backends = append(r.Backends, Backend{Service: Key(o.Namespace, name), Port: scalar(b, "servicePort")})
			}
		}
		addIngressBackend(walk(y, "spec", "defaultBackend"))
		addIngressBackend(walk(y, "spec", "backend"))
		for _, rule := range lenientSeq(y, "spec", "rules") {
			for _, p := range lenientSeq(rule, "http", "paths") {
				addIngressBackend(lookup(p, "backend"))
			}
		}
		lb.Ingresses = append(lb.Ingresses, r)
		lb.addRoute(r)
	case group == "gateway.networking.k8s.io" && (o.Kind == "HTTPRoute" || o.Kind == "GRPCRoute" || o.Kind == "TCPRoute" || o.Kind == "TLSRoute" || o.Kind == "UDPRoute"):
		// Every route kind has an HTTPRoute's parentRefs and backendRefs.
		r := readRoute(o)
		switch o.Kind {
		case "HTTPRoute":
			lb.HTTPRoutes = append(lb.HTTPRoutes, r)
		case "GRPCRoute":
			lb.GRPCRoutes = append(lb.GRPCRoutes, r)
		default:
			lb.L4Routes = append(lb.L4Routes, r)
		}
		lb.addRoute(r)
		for _, b := range r.Imports {
			lb.ImportedBy[b.Service] = append(lb.ImportedBy[b.Service], r)
		}
	case group == "networking.gke.io" && (o.Kind == "GCPBackendPolicy" || o.Kind == "HealthCheckPolicy"):
		if scalar(y, "spec", "targetRef", "group") != "" || scalar(y, "spec", "targetRef", "kind") != "Service" {
			return // ServiceImport (multi-cluster) or a Gateway
		}
		ns := scalar(y, "spec", "targetRef", "namespace")
		if ns == "" {
			ns = o.Namespace
		}
		key := Key(ns, scalar(y, "spec", "targetRef", "name"))
		if o.Kind == "GCPBackendPolicy" {
			lb.GCPBackendPolicies[key] = append(lb.GCPBackendPolicies[key], o)
		} else {
			lb.HealthCheckPolicies[key] = append(lb.HealthCheckPolicies[key], o)
		}
	case group == "cloud.google.com" && o.Kind == "BackendConfig":
		lb.BackendConfigs[Key(o.Namespace, o.Name)] = o
	case group == "networking.k8s.io" && o.Kind == "IngressClass":
		lb.IngressClasses[o.Name] = scalar(y, "spec", "controller")
		if scalar(y, "metadata", "annotations", "ingressclass.kubernetes.io/is-default-class") == "true" {
			lb.DefaultIngressClass = o.Name
		}
	case group == "gateway.networking.k8s.io" && o.Kind == "Gateway":
		lb.Gateways[Key(o.Namespace, o.Name)] = scalar(y, "spec", "gatewayClassName")
	case group == "gateway.networking.k8s.io" && o.Kind == "GatewayClass":
		lb.GatewayClasses[o.Name] = scalar(y, "spec", "controllerName")
	case group == "elbv2.k8s.aws" && o.Kind == "TargetGroupBinding":
		if svc := scalar(y, "spec", "serviceRef", "name"); svc != "" {
			key := Key(o.Namespace, svc)
			lb.TargetGroupBindings[key] = append(lb.TargetGroupBindings[key], &TargetGroupBinding{
				Object: o, TargetType: scalar(y, "spec", "targetType"), TargetGroupARN: scalar(y, "spec", "targetGroupARN"),
			})
		}
	case group == "gateway.k8s.aws" && o.Kind == "TargetGroupConfiguration":
		if k := scalar(y, "spec", "targetReference", "kind"); k != "" && k != "Service" {
			return
		}
		if svc := scalar(y, "spec", "targetReference", "name"); svc != "" {
			key := Key(o.Namespace, svc)
			lb.TargetGroupConfigs[key] = append(lb.TargetGroupConfigs[key], &TargetGroupConfig{Object: o, TargetType: scalar(y, "spec", "defaultConfiguration", "targetType")})
		}
	case group == "policy" && o.Kind == "PodDisruptionBudget":
		lb.addPDB(o)
	}
}

func (lb *LB) addRoute(r *Route) {
	seen := map[string]bool{}
	for _, b := range r.Backends {
		if !seen[b.Service] {
			seen[b.Service] = true
			lb.RoutesTo[b.Service] = append(lb.RoutesTo[b.Service], r)
		}
	}
}

func (lb *LB) addPDB(o *Object) {
	y := o.Node.YNode()
	p := &PDB{
		Object:         o,
		Labels:         lenientMap(y, "metadata", "labels"),
		MinAvailable:   scalar(y, "spec", "minAvailable"),
		MaxUnavailable: scalar(y, "spec", "maxUnavailable"),
	}
	sel := walk(y, "spec", "selector")
	matchLabels := lenientMap(y, "spec", "selector", "matchLabels")
	if sel != nil && sel.Kind == yaml.MappingNode {
		p.Selector = readSelector(sel, matchLabels)
	}
	ns := lb.pdbs[Namespace(o.Namespace)]
	if ns == nil {
		ns = &namespacePDBs{byPair: map[string][]*PDB{}}
		lb.pdbs[Namespace(o.Namespace)] = ns
	}
	if len(matchLabels) == 0 {
		ns.others = append(ns.others, p)
		return
	}
	keys := make([]string, 0, len(matchLabels))
	for k := range matchLabels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	pair := keys[0] + "=" + matchLabels[keys[0]]
	ns.byPair[pair] = append(ns.byPair[pair], p)
}

// readSelector reads a metav1.LabelSelector; nil when it cannot be read.
func readSelector(sel *yaml.Node, matchLabels map[string]string) labels.Selector {
	s := labels.NewSelector()
	for k, v := range matchLabels {
		r, err := labels.NewRequirement(k, selection.Equals, []string{v})
		if err != nil {
			return nil
		}
		s = s.Add(*r)
	}
	ops := map[string]selection.Operator{"In": selection.In, "NotIn": selection.NotIn, "Exists": selection.Exists, "DoesNotExist": selection.DoesNotExist}
	for _, e := range lenientSeq(sel, "matchExpressions") {
		op, ok := ops[scalar(e, "operator")]
		if !ok {
			return nil
		}
		var values []string
		for _, v := range lenientSeq(e, "values") {
			values = append(values, v.Value)
		}
		r, err := labels.NewRequirement(scalar(e, "key"), op, values)
		if err != nil {
			return nil
		}
		s = s.Add(*r)
	}
	return s
}

// PDBsSelecting lists the budgets of a namespace that select pods with
// these labels, by name.
func (lb *LB) PDBsSelecting(namespace string, podLabels map[string]string) []*PDB {
	ns := lb.pdbs[Namespace(namespace)]
	if ns == nil {
		return nil
	}
	var out []*PDB
	seen := map[*PDB]bool{}
	consider := func(p *PDB) {
		if !seen[p] && p.Selector != nil && p.Selector.Matches(labels.Set(podLabels)) {
			seen[p] = true
			out = append(out, p)
		}
	}
	for k, v := range podLabels {
		for _, p := range ns.byPair[k+"="+v] {
			consider(p)
		}
	}
	for _, p := range ns.others {
		consider(p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// GatewayRoutes lists the Gateway API routes of the input in kind order:
// HTTPRoutes, GRPCRoutes and, with l4, TCP, TLS and UDP routes.
func (lb *LB) GatewayRoutes(l4 bool) []*Route {
	out := append(append([]*Route(nil), lb.HTTPRoutes...), lb.GRPCRoutes...)
	if l4 {
		out = append(out, lb.L4Routes...)
	}
	return out
}

// MeshRoutes lists the Gateway API routes that name the Service as a
// parent (GAMMA: they route the mesh's traffic to its host).
func (lb *LB) MeshRoutes(namespace, name string) []*Route {
	key := Key(namespace, name)
	var out []*Route
	for _, r := range lb.GatewayRoutes(false) {
		for _, s := range r.MeshServices {
			if s == key {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

// Named returns the input object of a kind with that namespace and name.
func (lb *LB) Named(kind, namespace, name string) *Object {
	return lb.byName[kind+"/"+Key(namespace, name)]
}

// Container is what a load-balancer companion needs to know about one
// container of a workload: its ports and its readinessProbe's httpGet.
type Container struct {
	Name  string
	Ports []ContainerPort
	// Probe is the readinessProbe's httpGet (nil when the probe is absent
	// or another kind); GRPCProbe its grpc handler.
	Probe     *HTTPGet
	GRPCProbe *GRPCAction
}

// GRPCAction is a grpc probe handler as written: its port number and the
// service it asks about ("" for the server's overall health).
type GRPCAction struct {
	Port    int
	Service string
}

// ContainerPort is one declared container port.
type ContainerPort struct {
	Name   string
	Number int
}

// HTTPGet is an httpGet probe handler as written; Host is its Host header
// (httpHeaders), "" when it sends none.
type HTTPGet struct {
	Path, Port, Scheme, Host string
}

// PortNumber resolves a port (number or name) of the container; 0 when it
// cannot.
func (c Container) PortNumber(ref string) int {
	if n, err := strconv.Atoi(ref); err == nil {
		return n
	}
	for _, p := range c.Ports {
		if p.Name != "" && p.Name == ref {
			return p.Number
		}
	}
	return 0
}

// Serves reports whether the container declares the target port (number or
// name) of a Service port.
func (c Container) Serves(target string) bool {
	for _, p := range c.Ports {
		if target == strconv.Itoa(p.Number) || (p.Name != "" && target == p.Name) {
			return true
		}
	}
	return false
}

// Containers reads the workload's containers (not init containers) for the
// load-balancer companions.
func (w *Workload) Containers() []Container {
	var out []Container
	for _, c := range lenientSeq(w.Node.YNode(), "spec", "template", "spec", "containers") {
		ct := Container{Name: scalar(c, "name")}
		for _, p := range lenientSeq(c, "ports") {
			n, _ := strconv.Atoi(scalar(p, "containerPort"))
			ct.Ports = append(ct.Ports, ContainerPort{Name: scalar(p, "name"), Number: n})
		}
		if g := walk(c, "readinessProbe", "httpGet"); g != nil && g.Kind == yaml.MappingNode {
			ct.Probe = &HTTPGet{Path: scalar(g, "path"), Port: scalar(g, "port"), Scheme: strings.ToUpper(scalar(g, "scheme"))}
			for _, h := range lenientSeq(g, "httpHeaders") {
				if strings.EqualFold(scalar(h, "name"), "Host") {
					ct.Probe.Host = scalar(h, "value")
				}
			}
		}
		if g := walk(c, "readinessProbe", "grpc"); g != nil && g.Kind == yaml.MappingNode {
			port, _ := strconv.Atoi(scalar(g, "port"))
			ct.GRPCProbe = &GRPCAction{Port: port, Service: scalar(g, "service")}
		}
		out = append(out, ct)
	}
	return out
}

// ObjectLabels reads an object's labels leniently.
func ObjectLabels(o *Object) map[string]string {
	return lenientMap(o.Node.YNode(), "metadata", "labels")
}
