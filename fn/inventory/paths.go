package inventory

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/graceful-rollout/graceful-rollout/fn/plan"
	"github.com/graceful-rollout/graceful-rollout/fn/profile"
)

// pathIndex holds what the load-balancer index does not need: the
// ServiceExports of the input (GKE multi-cluster Services), by Key.
type pathIndex struct {
	exports map[string]bool
}

// Annotations read as facts about a path.
const (
	// AGIC: "request-timeout" in seconds on the Ingress (Application
	// Gateway's backend request timeout, 30 s when unset: AGIC annotations
	// reference).
	agicRequestTimeout = "appgw.ingress.kubernetes.io/request-timeout"
	// An ALB's idle_timeout.timeout_seconds (load-balancer-attributes) is
	// how long an idle connection stays open, not how long a request runs:
	// a websocket service sets 4000 s, which must not become a 4070 s grace
	// period. It is not read.
	// GKE: the cloud.google.com/neg annotation on a Service; exposed_ports
	// makes standalone NEGs that a load balancer outside the input uses
	// (kubernetes/ingress-gce pkg/annotations/service.go).
	negAnnotation = "cloud.google.com/neg"
)

// metricsPortNames are port names that serve only metrics scrapes: a port of
// these names does not make a workload serving by itself.
var metricsPortNames = map[string]bool{"metrics": true, "http-metrics": true, "prometheus": true}

// IsMetricsPort reports whether a port name says it serves only metrics.
func IsMetricsPort(name string) bool { return metricsPortNames[strings.ToLower(name)] }

func (ix *Index) indexPaths(o *Object) {
	if o.Kind != "ServiceExport" || (o.Group() != "net.gke.io" && o.Group() != "multicluster.x-k8s.io") {
		return
	}
	if ix.paths == nil {
		ix.paths = &pathIndex{exports: map[string]bool{}}
	}
	ix.paths.exports[Key(o.Namespace, o.Name)] = true
}

// noteNamespace records whether the input has namespaced objects both
// without a namespace and in default.
func (ix *Index) noteNamespace(o *Object) {
	switch o.Kind {
	case "Namespace", "IngressClass", "GatewayClass", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "PriorityClass", "StorageClass":
		return
	}
	switch o.Namespace {
	case "":
		ix.namespaces[0] = true
	case "default":
		ix.namespaces[1] = true
	}
	ix.MixedDefault = ix.namespaces[0] && ix.namespaces[1]
}

// hasEntries reports whether the input declares any load-balancer entry:
// an Ingress, a route attached to a Gateway, a TargetGroupBinding, a
// LoadBalancer Service or a standalone NEG.
func (lb *LB) hasEntries() bool {
	if len(lb.Ingresses) > 0 || len(lb.TargetGroupBindings) > 0 || len(lb.MultiClusterIngresses) > 0 {
		return true
	}
	for _, r := range lb.GatewayRoutes(true) {
		if len(r.Gateways) > 0 {
			return true
		}
	}
	for _, s := range lb.Services {
		if s.Type == "LoadBalancer" || standaloneNEG(s) {
			return true
		}
	}
	return false
}

// standaloneNEG reports a Service whose NEG annotation exposes ports.
func standaloneNEG(s *Service) bool {
	v, ok := s.Annotations[negAnnotation]
	if !ok {
		return false
	}
	var neg struct {
		ExposedPorts map[string]json.RawMessage `json:"exposed_ports"`
	}
	return json.Unmarshal([]byte(v), &neg) == nil && len(neg.ExposedPorts) > 0
}

// metricsOnly reports a Service that serves only metrics: every port named
// for metrics, or headless and named for metrics.
func metricsOnly(s *Service) bool {
	if s.ClusterIP == "None" && strings.Contains(strings.ToLower(s.Name), "metrics") {
		return true
	}
	if len(s.Ports) == 0 {
		return false
	}
	for _, p := range s.Ports {
		if !IsMetricsPort(p.Name) {
			return false
		}
	}
	return true
}

// linkPaths fills the facts about the load-balancer entries that send to a
// workload, through each Service that selects it.
func (ix *Index) linkPaths(w *Workload) {
	lb := ix.LB()
	f := &w.Facts
	f.InputHasEntries = ix.InputHasEntries
	for _, name := range f.Services {
		key := Key(w.Namespace, name)
		f.Paths = append(f.Paths, ix.istioPaths(w.Namespace, name)...)
		s := lb.Services[key]
		if s == nil {
			continue
		}
		if metricsOnly(s) {
			f.MetricsServices = append(f.MetricsServices, name)
		}
		if s.Type == "LoadBalancer" {
			f.Paths = append(f.Paths, plan.Path{Kind: profile.PathServiceLB, Via: "LoadBalancer Service " + shown(w.Namespace, name), Class: s.LoadBalancerClass, TargetType: nlbTargetType(s)})
		}
		if standaloneNEG(s) {
			f.Paths = append(f.Paths, plan.Path{Kind: profile.PathNEG, Via: "Service " + shown(w.Namespace, name) + " (standalone NEG)"})
		}
		for _, r := range lb.RoutesTo[key] {
			for _, p := range routePaths(lb, r) {
				p.TargetType = awsTargetType(lb, s, r, key)
				f.Paths = append(f.Paths, p)
			}
		}
		for _, r := range lb.ImportedBy[key] {
			// A multi-cluster Gateway's route to the ServiceImport of this
			// (exported) Service reaches its pods from every cluster.
			for _, p := range routePaths(lb, r) {
				p.Via += " via ServiceImport " + name
				if ix.paths == nil || !ix.paths.exports[key] {
					p.Via += " (no ServiceExport in the input)"
				}
				f.Paths = append(f.Paths, p)
			}
		}
		for _, t := range lb.TargetGroupBindings[key] {
			f.Paths = append(f.Paths, plan.Path{Kind: profile.PathTargetGroup, Via: "TargetGroupBinding " + shown(t.Namespace, t.Name), Class: t.TargetType, TargetType: t.TargetType})
			if t.TargetType == "ip" {
				f.TargetGroupBindings = append(f.TargetGroupBindings, t.Name)
			} else {
				f.InstanceTargetGroups = append(f.InstanceTargetGroups, t.Name)
			}
		}
	}
	f.Paths = append(f.Paths, lb.multiClusterPaths(w)...)
	// One entry that sends to several Services of the pods (a canary's
	// stable and canary Services) is one path.
	seen := map[string]bool{}
	paths := f.Paths[:0]
	for _, p := range f.Paths {
		if k := string(p.Kind) + "\x00" + p.Via; !seen[k] {
			seen[k] = true
			paths = append(paths, p)
		}
	}
	f.Paths = paths
	sort.Strings(f.TargetGroupBindings)
	sort.Strings(f.InstanceTargetGroups)
}

// AWS Load Balancer Controller target types: alb.ingress.kubernetes.io/
// target-type on the Service or the Ingress (the Service's wins; default
// instance), the TargetGroupConfiguration of a Gateway route's Service
// (spec.defaultConfiguration.targetType, default instance), an NLB
// Service's aws-load-balancer-nlb-target-type (default instance; type
// nlb-ip means ip). aws-load-balancer-controller docs/guide/ingress/
// annotations.md, docs/guide/service/annotations.md, config/crd/gateway/
// gateway.k8s.aws_targetgroupconfigurations.yaml.
const (
	albTargetType = "alb.ingress.kubernetes.io/target-type"
	nlbTargetAnn  = "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type"
	nlbTypeAnn    = "service.beta.kubernetes.io/aws-load-balancer-type"
)

func awsTargetType(lb *LB, s *Service, r *Route, key string) string {
	switch r.Kind {
	case "Ingress":
		if tt := s.Annotations[albTargetType]; tt != "" {
			return tt
		}
		if tt := r.Annotations[albTargetType]; tt != "" {
			return tt
		}
		return "instance"
	case "HTTPRoute", "GRPCRoute", "TCPRoute", "TLSRoute", "UDPRoute":
		for _, t := range lb.TargetGroupConfigs[key] {
			if t.TargetType != "" {
				return t.TargetType
			}
		}
		return "instance"
	}
	return ""
}

func nlbTargetType(s *Service) string {
	if s.Annotations[nlbTypeAnn] == "nlb-ip" {
		return "ip"
	}
	if tt := s.Annotations[nlbTargetAnn]; tt != "" {
		return tt
	}
	return "instance"
}

// routePaths are the paths of an Ingress (one) or a Gateway API route (one
// per Gateway it attaches to; none when it attaches only to a mesh).
func routePaths(lb *LB, r *Route) []plan.Path {
	via := r.Kind + " " + shown(r.Namespace, r.Name)
	if r.Kind == "Ingress" {
		p := plan.Path{Kind: profile.PathIngress, Via: via, Class: r.Class, ClassKnown: true}
		if p.Class == "" {
			p.Class = lb.DefaultIngressClass
		}
		p.Controller = lb.IngressClasses[p.Class]
		if v, ok := r.Annotations[agicRequestTimeout]; ok {
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n > 0 {
				p.RequestTimeout, p.RequestTimeoutField = n, "metadata.annotations."+agicRequestTimeout
			}
		}
		return []plan.Path{p}
	}
	var out []plan.Path
	for _, g := range r.Gateways {
		class, known := lb.Gateways[g]
		out = append(out, plan.Path{Kind: profile.PathGateway, Via: via + " (Gateway " + strings.TrimPrefix(g, "default/") + ")", Class: class, Controller: lb.GatewayClasses[class], ClassKnown: known})
	}
	return out
}

// readRoute reads a Gateway API route's parents and Service backends.
func readRoute(o *Object) *Route {
	y := o.Node.YNode()
	r := &Route{Object: o, Annotations: lenientMap(y, "metadata", "annotations")}
	for _, p := range lenientSeq(y, "spec", "parentRefs") {
		g, k := scalar(p, "group"), scalar(p, "kind")
		ns := scalar(p, "namespace")
		if ns == "" {
			ns = o.Namespace
		}
		switch {
		case (k == "" || k == "Gateway") && (g == "" && lookup(p, "group") == nil || g == "gateway.networking.k8s.io"):
			r.Gateways = append(r.Gateways, Key(ns, scalar(p, "name")))
		case k == "Service" && (g == "" || g == "core"):
			r.Mesh = true
			r.MeshServices = append(r.MeshServices, Key(ns, scalar(p, "name")))
		}
	}
	for _, rule := range lenientSeq(y, "spec", "rules") {
		for _, b := range lenientSeq(rule, "backendRefs") {
			g, k := scalar(b, "group"), scalar(b, "kind")
			ns := scalar(b, "namespace")
			if ns == "" {
				ns = o.Namespace
			}
			if k == "ServiceImport" && (g == "net.gke.io" || g == "multicluster.x-k8s.io") {
				// A ServiceImport is named after the Service it imports
				// (Multi-Cluster Services API, KEP-1645).
				r.Imports = append(r.Imports, Backend{Service: Key(ns, scalar(b, "name")), Port: scalar(b, "port")})
				continue
			}
			if g != "" || (k != "" && k != "Service") {
				continue // other backends
			}
			r.Backends = append(r.Backends, Backend{Service: Key(ns, scalar(b, "name")), Port: scalar(b, "port")})
		}
	}
	return r
}

// Spot capacity: node labels (and the taints of the same keys) that put a
// pod on Spot or preemptible nodes. GKE: cloud.google.com/gke-spot=true
// (GKE docs, Spot VMs / Autopilot Spot Pods); EKS managed node groups:
// eks.amazonaws.com/capacityType=SPOT; Karpenter: karpenter.sh/capacity-type
// =spot; AKS: kubernetes.azure.com/scalesetpriority=spot (AKS docs, Spot
// node pools).
var spotLabels = map[string]string{
	"cloud.google.com/gke-spot":             "true",
	"cloud.google.com/gke-preemptible":      "true",
	"eks.amazonaws.com/capacityType":        "SPOT",
	"karpenter.sh/capacity-type":            "spot",
	"kubernetes.azure.com/scalesetpriority": "spot",
}

// selectsSpot reports whether a pod spec selects Spot capacity by node
// selector, required or preferred node affinity, or a toleration.
func selectsSpot(pod *yaml.Node) bool {
	for k, v := range lenientMap(pod, "nodeSelector") {
		if want, ok := spotLabels[k]; ok && strings.EqualFold(v, want) {
			return true
		}
	}
	for _, t := range lenientSeq(pod, "tolerations") {
		if _, ok := spotLabels[scalar(t, "key")]; ok {
			return true
		}
	}
	var terms []*yaml.Node
	terms = append(terms, lenientSeq(pod, "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms")...)
	for _, pref := range lenientSeq(pod, "affinity", "nodeAffinity", "preferredDuringSchedulingIgnoredDuringExecution") {
		if t := lookup(pref, "preference"); t != nil {
			terms = append(terms, t)
		}
	}
	for _, term := range terms {
		for _, e := range lenientSeq(term, "matchExpressions") {
			want, ok := spotLabels[scalar(e, "key")]
			if !ok {
				continue
			}
			switch scalar(e, "operator") {
			case "In":
				for _, v := range lenientStrings(e, "values") {
					if strings.EqualFold(v, want) {
						return true
					}
				}
			case "Exists":
				return true
			}
		}
	}
	return false
}

// hostnameAntiAffinity reports a required pod anti-affinity on
// kubernetes.io/hostname that selects the pod's own labels: one pod per
// node, so a surge pod finds no node where the old pod still runs.
func hostnameAntiAffinity(pod *yaml.Node, podLabels map[string]string) bool {
	for _, t := range lenientSeq(pod, "affinity", "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution") {
		if scalar(t, "topologyKey") != "kubernetes.io/hostname" {
			continue
		}
		ml := lenientMap(t, "labelSelector", "matchLabels")
		if len(ml) == 0 && len(lenientSeq(t, "labelSelector", "matchExpressions")) > 0 {
			return true // expressions: assume they select the pod
		}
		if len(ml) > 0 && selects(ml, podLabels) {
			return true
		}
	}
	return false
}

// helperImages are image-name parts of proxies an app needs while it
// drains: its database connections go through them, and they exit at
// SIGTERM (GoogleCloudPlatform/cloud-sql-proxy README: the proxy shuts down
// on SIGTERM unless --max-sigterm-delay is set; alloydb-auth-proxy alike).
var helperImages = []string{"cloud-sql-proxy", "cloudsql-proxy", "cloudsql-docker/gce-proxy", "alloydb-auth-proxy"}

func isHelperImage(image string) bool {
	img := strings.ToLower(image)
	for _, h := range helperImages {
		if strings.Contains(img, h) {
			return true
		}
	}
	return false
}

// Shown names an object as written: namespace/name, or name alone (an
// object without a namespace goes where its client applies it, which need
// not be default).
func Shown(namespace, name string) string { return shown(namespace, name) }

// shown names an object as written: namespace/name, or name alone.
func shown(namespace, name string) string {
	if namespace == "" {
		return name
	}
	return namespace + "/" + name
}
