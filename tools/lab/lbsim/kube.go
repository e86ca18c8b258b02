package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"

	"github.com/graceful-rollout/graceful-rollout/tools/lab/platform"
)

// cluster watches one Service's EndpointSlices and pods (and nodes, for
// instance targets) through shared informers.
type cluster struct {
	cs        kubernetes.Interface
	dyn       dynamic.Interface
	ns, svc   string
	port      string // Service port name or number
	targets   string // platform.Platform.Targets
	gate      string
	services  corelisters.ServiceLister
	slices    discoverylisters.EndpointSliceLister
	pods      corelisters.PodLister
	nodes     corelisters.NodeLister
	changed   chan struct{}
	factories []informers.SharedInformerFactory
}

func newCluster(cs kubernetes.Interface, dyn dynamic.Interface, ns, svc, port, targets, gate string) *cluster {
	c := &cluster{cs: cs, dyn: dyn, ns: ns, svc: svc, port: port, targets: targets, gate: gate, changed: make(chan struct{}, 1)}
	f := informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithNamespace(ns))
	poke := func(any) {
		select {
		case c.changed <- struct{}{}:
		default:
		}
	}
	h := cacheHandler(poke)
	c.services = f.Core().V1().Services().Lister()
	f.Core().V1().Services().Informer().AddEventHandler(h)
	c.slices = f.Discovery().V1().EndpointSlices().Lister()
	f.Discovery().V1().EndpointSlices().Informer().AddEventHandler(h)
	c.pods = f.Core().V1().Pods().Lister()
	f.Core().V1().Pods().Informer().AddEventHandler(h)
	c.factories = append(c.factories, f)
	if targets == "instance" {
		nf := informers.NewSharedInformerFactory(cs, 0)
		c.nodes = nf.Core().V1().Nodes().Lister()
		nf.Core().V1().Nodes().Informer().AddEventHandler(h)
		c.factories = append(c.factories, nf)
	}
	return c
}

func (c *cluster) start(ctx context.Context) error {
	for _, f := range c.factories {
		f.Start(ctx.Done())
	}
	for _, f := range c.factories {
		for typ, ok := range f.WaitForCacheSync(ctx.Done()) {
			if !ok {
				return fmt.Errorf("cache of %v did not sync", typ)
			}
		}
	}
	return nil
}

// servicePort finds the Service port named or numbered c.port.
func (c *cluster) servicePort() (*corev1.ServicePort, error) {
	s, err := c.services.Services(c.ns).Get(c.svc)
	if err != nil {
		return nil, err
	}
	if c.port == "" && len(s.Spec.Ports) == 1 {
		return &s.Spec.Ports[0], nil
	}
	for i, p := range s.Spec.Ports {
		if p.Name == c.port || strconv.Itoa(int(p.Port)) == c.port {
			return &s.Spec.Ports[i], nil
		}
	}
	return nil, fmt.Errorf("service %s/%s has no port %q", c.ns, c.svc, c.port)
}

// endpoints lists the backends as the platform's controller sees them.
func (c *cluster) endpoints() ([]Endpoint, error) {
	sp, err := c.servicePort()
	if err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil // not created yet
		}
		return nil, err
	}
	if c.targets == "instance" {
		return c.nodeEndpoints(sp)
	}
	sel := labels.SelectorFromSet(labels.Set{discoveryv1.LabelServiceName: c.svc})
	slices, err := c.slices.EndpointSlices(c.ns).List(sel)
	if err != nil {
		return nil, err
	}
	var eps []Endpoint
	for _, s := range slices {
		if s.AddressType != discoveryv1.AddressTypeIPv4 {
			continue
		}
		port := -1
		for _, p := range s.Ports {
			if p.Port != nil && p.Name != nil && *p.Name == sp.Name {
				port = int(*p.Port)
			}
		}
		if port < 0 {
			continue
		}
		for _, e := range s.Endpoints {
			if len(e.Addresses) == 0 {
				continue
			}
			ep := Endpoint{IP: e.Addresses[0], Port: port}
			var pod *corev1.Pod
			if e.TargetRef != nil && e.TargetRef.Kind == "Pod" {
				ep.Pod = e.TargetRef.Name
				pod, _ = c.pods.Pods(c.ns).Get(ep.Pod)
			}
			ready := e.Conditions.Ready != nil && *e.Conditions.Ready
			terminating := e.Conditions.Terminating != nil && *e.Conditions.Terminating
			ep.HasGate = pod != nil && c.gate != "" && hasGate(pod, c.gate)
			ep.Routable = ready || (!terminating && ep.HasGate && waitsOnlyFor(pod, c.gate))
			eps = append(eps, ep)
		}
	}
	return eps, nil
}

// nodeEndpoints: instance targets are the nodes' NodePorts; kube-proxy on
// the node forwards to the pods.
func (c *cluster) nodeEndpoints(sp *corev1.ServicePort) ([]Endpoint, error) {
	if sp.NodePort == 0 {
		return nil, fmt.Errorf("service %s/%s port %q has no nodePort (instance targets need type NodePort or LoadBalancer)", c.ns, c.svc, c.port)
	}
	nodes, err := c.nodes.List(labels.Everything())
	if err != nil {
		return nil, err
	}
	var eps []Endpoint
	for _, n := range nodes {
		ip := ""
		for _, a := range n.Status.Addresses {
			if a.Type == corev1.NodeInternalIP {
				ip = a.Address
				break
			}
		}
		if ip == "" {
			continue
		}
		ready := false
		for _, cond := range n.Status.Conditions {
			if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue {
				ready = true
			}
		}
		eps = append(eps, Endpoint{IP: ip, Port: int(sp.NodePort), Pod: "node/" + n.Name, Routable: ready && n.DeletionTimestamp == nil})
	}
	return eps, nil
}

func hasGate(p *corev1.Pod, gate string) bool {
	for _, g := range p.Spec.ReadinessGates {
		if string(g.ConditionType) == gate {
			return true
		}
	}
	return false
}

// waitsOnlyFor: containers are ready and every other readiness gate is True,
// so the pod is not Ready only because of this LB's gate (the NEG and AWS
// controllers register such pods, or the gate could never turn True).
func waitsOnlyFor(p *corev1.Pod, gate string) bool {
	if p == nil || p.DeletionTimestamp != nil {
		return false
	}
	cond := map[string]corev1.ConditionStatus{}
	for _, c := range p.Status.Conditions {
		cond[string(c.Type)] = c.Status
	}
	if cond[string(corev1.ContainersReady)] != corev1.ConditionTrue {
		return false
	}
	for _, g := range p.Spec.ReadinessGates {
		if string(g.ConditionType) != gate && cond[string(g.ConditionType)] != corev1.ConditionTrue {
			return false
		}
	}
	return true
}

// setGate patches the pod's status condition, as the NEG and AWS
// controllers do.
func (c *cluster) setGate(pod string, v bool) error {
	status, reason := "False", "LoadBalancerNotReady"
	if v {
		status, reason = "True", "LoadBalancerReady"
	}
	patch, _ := json.Marshal(map[string]any{"status": map[string]any{"conditions": []map[string]any{{
		"type": c.gate, "status": status, "reason": reason,
		"lastTransitionTime": metav1.Now().UTC().Format(time.RFC3339),
	}}}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := c.cs.CoreV1().Pods(c.ns).Patch(ctx, pod, types.StrategicMergePatchType, patch, metav1.PatchOptions{FieldManager: "lbsim"}, "status")
	return err
}

var (
	gcpBackendPolicy  = schema.GroupVersionResource{Group: "networking.gke.io", Version: "v1", Resource: "gcpbackendpolicies"}
	healthCheckPolicy = schema.GroupVersionResource{Group: "networking.gke.io", Version: "v1", Resource: "healthcheckpolicies"}
	backendConfig     = schema.GroupVersionResource{Group: "cloud.google.com", Version: "v1", Resource: "backendconfigs"}
	targetGroupConfig = schema.GroupVersionResource{Group: "gateway.k8s.aws", Version: "v1beta1", Resource: "targetgroupconfigurations"}
)

// companions reads the settings the platform's controller takes from the
// manifests' companion objects and applies them to p, each with the object
// it came from as the source. Objects of kinds the cluster does not know
// (CRD not installed) are skipped.
func (c *cluster) companions(ctx context.Context, p *platform.Platform) error {
	svc, err := c.services.Services(c.ns).Get(c.svc)
	if err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	}
	set := func(kv, src string) {
		if err := p.Set(kv, src); err != nil {
			fmt.Fprintf(logOut, "lbsim: %s: %v\n", src, err)
		}
	}
	if p.Name == "aws-alb" || p.Name == "aws-nlb" {
		// Gateway API: the Service's TargetGroupConfiguration (the AWS
		// controller's per-Service target group settings).
		list, err := c.dyn.Resource(targetGroupConfig).Namespace(c.ns).List(ctx, metav1.ListOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return err
		}
		if list != nil {
			for i := range list.Items {
				u := &list.Items[i]
				if name, _, _ := unstructured.NestedString(u.Object, "spec", "targetReference", "name"); name != c.svc {
					continue
				}
				src := "TargetGroupConfiguration " + c.ns + "/" + u.GetName()
				attrs, _, _ := unstructured.NestedSlice(u.Object, "spec", "defaultConfiguration", "targetGroupAttributes")
				for _, a := range attrs {
					if m, ok := a.(map[string]any); ok && m["key"] == "deregistration_delay.timeout_seconds" {
						if v, ok := m["value"].(string); ok {
							set("drain="+v, src+" targetGroupAttributes")
						}
					}
				}
				num(u, src, set, "health-interval", "spec", "defaultConfiguration", "healthCheckConfig", "healthCheckInterval")
				num(u, src, set, "health-timeout", "spec", "defaultConfiguration", "healthCheckConfig", "healthCheckTimeout")
				num(u, src, set, "healthy-threshold", "spec", "defaultConfiguration", "healthCheckConfig", "healthyThresholdCount")
				num(u, src, set, "unhealthy-threshold", "spec", "defaultConfiguration", "healthCheckConfig", "unhealthyThresholdCount")
				if s, ok, _ := unstructured.NestedString(u.Object, "spec", "defaultConfiguration", "healthCheckConfig", "healthCheckPath"); ok {
					p.HealthPath = s
				}
			}
		}
	}
	switch p.Name {
	case "gke-neg":
		// BackendConfig named by the Service annotation (GKE Ingress).
		if ann := svc.Annotations["cloud.google.com/backend-config"]; ann != "" {
			var ref struct {
				Default string            `json:"default"`
				Ports   map[string]string `json:"ports"`
			}
			if err := json.Unmarshal([]byte(ann), &ref); err == nil {
				name := ref.Default
				if sp, err := c.servicePort(); err == nil {
					if n, ok := ref.Ports[sp.Name]; ok && sp.Name != "" {
						name = n
					} else if n, ok := ref.Ports[strconv.Itoa(int(sp.Port))]; ok {
						name = n
					}
				}
				if name != "" {
					if u, err := c.get(ctx, backendConfig, name); err != nil {
						return err
					} else if u != nil {
						src := "BackendConfig " + c.ns + "/" + name
						num(u, src, set, "drain", "spec", "connectionDraining", "drainingTimeoutSec")
						num(u, src, set, "health-interval", "spec", "healthCheck", "checkIntervalSec")
						num(u, src, set, "health-timeout", "spec", "healthCheck", "timeoutSec")
						num(u, src, set, "healthy-threshold", "spec", "healthCheck", "healthyThreshold")
						num(u, src, set, "unhealthy-threshold", "spec", "healthCheck", "unhealthyThreshold")
						if s, ok, _ := unstructured.NestedString(u.Object, "spec", "healthCheck", "requestPath"); ok {
							p.HealthPath = s
						}
					}
				}
			}
		}
		// Gateway API policies that target the Service.
		for _, gvr := range []schema.GroupVersionResource{gcpBackendPolicy, healthCheckPolicy} {
			list, err := c.dyn.Resource(gvr).Namespace(c.ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				if apierrors.IsNotFound(err) {
					continue
				}
				return err
			}
			for i := range list.Items {
				u := &list.Items[i]
				kind, _, _ := unstructured.NestedString(u.Object, "spec", "targetRef", "kind")
				name, _, _ := unstructured.NestedString(u.Object, "spec", "targetRef", "name")
				if kind != "Service" || name != c.svc {
					continue
				}
				src := u.GetKind() + " " + c.ns + "/" + u.GetName()
				num(u, src, set, "drain", "spec", "default", "connectionDraining", "drainingTimeoutSec")
				num(u, src, set, "health-interval", "spec", "default", "checkIntervalSec")
				num(u, src, set, "health-timeout", "spec", "default", "timeoutSec")
				num(u, src, set, "healthy-threshold", "spec", "default", "healthyThreshold")
				num(u, src, set, "unhealthy-threshold", "spec", "default", "unhealthyThreshold")
				if s, ok, _ := unstructured.NestedString(u.Object, "spec", "default", "config", "httpHealthCheck", "requestPath"); ok {
					p.HealthPath = s
				}
			}
		}
	case "aws-alb", "aws-alb-instance", "aws-nlb":
		// Ingress annotations first, then the Service's (which win for
		// the ALB and are the only source for the NLB).
		var anns []map[string]string
		var srcs []string
		if p.Name != "aws-nlb" {
			ings, err := c.ingressesFor(ctx)
			if err != nil {
				return err
			}
			for _, ing := range ings {
				anns = append(anns, ing.Annotations)
				srcs = append(srcs, "Ingress "+c.ns+"/"+ing.Name)
			}
		}
		anns = append(anns, svc.Annotations)
		srcs = append(srcs, "Service "+c.ns+"/"+c.svc)
		for i, a := range anns {
			prefix := "alb.ingress.kubernetes.io/"
			attrs := a[prefix+"target-group-attributes"]
			if p.Name == "aws-nlb" {
				attrs = a["service.beta.kubernetes.io/aws-load-balancer-target-group-attributes"]
			}
			for _, kv := range strings.Split(attrs, ",") {
				k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
				if k == "deregistration_delay.timeout_seconds" {
					set("drain="+v, srcs[i]+" target-group-attributes")
				}
			}
			keys := map[string]string{
				"health-interval": prefix + "healthcheck-interval-seconds", "health-timeout": prefix + "healthcheck-timeout-seconds",
				"healthy-threshold": prefix + "healthy-threshold-count", "unhealthy-threshold": prefix + "unhealthy-threshold-count",
			}
			path := prefix + "healthcheck-path"
			if p.Name == "aws-nlb" {
				nlb := "service.beta.kubernetes.io/aws-load-balancer-healthcheck-"
				keys = map[string]string{"health-interval": nlb + "interval", "health-timeout": nlb + "timeout",
					"healthy-threshold": nlb + "healthy-threshold", "unhealthy-threshold": nlb + "unhealthy-threshold"}
				path = nlb + "path"
			}
			for f, k := range keys {
				if v, ok := a[k]; ok {
					set(f+"="+v, srcs[i]+" "+k)
				}
			}
			if v, ok := a[path]; ok {
				p.HealthPath = v
			}
		}
	case "agic":
		ings, err := c.ingressesFor(ctx)
		if err != nil {
			return err
		}
		for _, ing := range ings {
			a := ing.Annotations
			src := "Ingress " + c.ns + "/" + ing.Name
			prefix := "appgw.ingress.kubernetes.io/"
			if a[prefix+"connection-draining"] == "true" {
				t := a[prefix+"connection-draining-timeout"]
				if t == "" {
					t = "30" // the annotation's default (AGIC annotations doc)
				}
				set("drain="+t, src+" connection-draining-timeout")
			}
			for f, k := range map[string]string{"health-interval": "health-probe-interval", "health-timeout": "health-probe-timeout", "unhealthy-threshold": "health-probe-unhealthy-threshold"} {
				if v, ok := a[prefix+k]; ok {
					set(f+"="+v, src+" "+k)
				}
			}
			if v, ok := a[prefix+"health-probe-path"]; ok {
				p.HealthPath = v
			}
		}
	}
	return nil
}

func (c *cluster) get(ctx context.Context, gvr schema.GroupVersionResource, name string) (*unstructured.Unstructured, error) {
	u, err := c.dyn.Resource(gvr).Namespace(c.ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	return u, err
}

// ingressesFor lists the Ingresses that route to the Service.
func (c *cluster) ingressesFor(ctx context.Context) ([]networkingv1.Ingress, error) {
	list, err := c.cs.NetworkingV1().Ingresses(c.ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	var out []networkingv1.Ingress
	for _, ing := range list.Items {
		uses := ing.Spec.DefaultBackend != nil && ing.Spec.DefaultBackend.Service != nil && ing.Spec.DefaultBackend.Service.Name == c.svc
		for _, r := range ing.Spec.Rules {
			if r.HTTP == nil {
				continue
			}
			for _, p := range r.HTTP.Paths {
				if p.Backend.Service != nil && p.Backend.Service.Name == c.svc {
					uses = true
				}
			}
		}
		if uses {
			out = append(out, ing)
		}
	}
	return out, nil
}

// num copies an integer field of u into the platform number f.
func num(u *unstructured.Unstructured, src string, set func(kv, src string), f string, path ...string) {
	v, ok, err := unstructured.NestedFieldNoCopy(u.Object, path...)
	if !ok || err != nil {
		return
	}
	set(fmt.Sprintf("%s=%v", f, v), src+" "+strings.Join(path[1:], "."))
}
