package lbpolicy

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/graceful-rollout/graceful-rollout/fn/companion"
	"github.com/graceful-rollout/graceful-rollout/fn/inventory"
	"github.com/graceful-rollout/graceful-rollout/fn/plan"
	"github.com/graceful-rollout/graceful-rollout/internal/edit"
)

// gkeBackend is a Service a GKE load balancer sends to.
type gkeBackend struct {
	gateway, ingress bool
	// ports the routes name (number or name).
	ports []string
	// via is the first route, for results about a missing Service.
	via *inventory.Route
}

// gcp configures GKE container-native load balancing: per Service behind a
// GKE Gateway (HTTPRoute backendRefs) a GCPBackendPolicy and a
// HealthCheckPolicy; per Service behind a GKE Ingress a BackendConfig; and
// the NEG annotation on both.
func gcp(r *run) {
	backends := map[string]*gkeBackend{}
	note := func(rt *inventory.Route, gateway bool) {
		for _, b := range rt.Backends {
			be := backends[b.Service]
			if be == nil {
				be = &gkeBackend{via: rt}
				backends[b.Service] = be
			}
			be.gateway = be.gateway || gateway
			be.ingress = be.ingress || !gateway
			if !contains(be.ports, b.Port) {
				be.ports = append(be.ports, b.Port)
			}
		}
	}
	// A GRPCRoute's backends get the same policies as an HTTPRoute's.
	for _, rt := range r.lb.GatewayRoutes(false) {
		if r.servesHTTPRoute(rt) && !r.skipped(rt.Object, rt.Annotations) {
			note(rt, true)
		}
	}
	for _, rt := range r.servedIngresses() {
		note(rt, false)
	}
	for _, key := range sortedKeys(backends) {
		be := backends[key]
		svc := r.lb.Services[key]
		if svc == nil {
			r.c.Report(plan.Info, be.via.Object, "", "Service %s is not in the input: its load balancer settings are left to where it is declared", key)
			continue
		}
		planned := r.planned(key)
		if len(planned) == 0 || r.skipped(svc.Object, svc.Annotations) {
			continue
		}
		d, ok := r.drain(svc.Object, svc.Annotations, planned)
		if !ok {
			continue
		}
		sort.Strings(be.ports)
		hc := r.healthCheck(svc, be.ports, planned)
		r.negAnnotation(svc, planned)
		if be.gateway {
			r.gcpBackendPolicy(svc, d, planned)
			if hc != nil {
				r.healthCheckPolicy(svc, *hc, planned)
			}
		}
		if be.ingress {
			r.backendConfig(svc, be.ports, d, hc, planned)
		}
	}
	r.multiCluster()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// healthCheck copies the readinessProbe of the container serving the
// routed port of a Service; nil (with an info result) when there is none to
// copy.
func (r *run) healthCheck(svc *inventory.Service, ports []string, planned []companion.Planned) *HealthCheck {
	if r.c.Config.LoadBalancer.NoHealthCheck {
		return nil
	}
	sp, ok := inventory.ServicePort{}, false
	for _, ref := range ports {
		if sp, ok = svc.Port(ref); ok {
			break
		}
	}
	if !ok && len(svc.Ports) > 0 && (len(ports) == 0 || ports[0] == "") {
		sp, ok = svc.Ports[0], true
	}
	if !ok {
		r.c.Report(plan.Info, svc.Object, "spec.ports", "no health check written: the routes name no port of this Service")
		return nil
	}
	var found *HealthCheck
	var from string
	for _, p := range planned {
		h, why := probeCheck(p.Workload, sp.Target())
		if h == nil {
			r.c.Report(plan.Info, svc.Object, "", "no health check written for %s %s: %s", p.Workload.Kind, p.Workload.Name, why)
			return nil
		}
		if found == nil {
			found, from = h, p.Workload.Kind+" "+p.Workload.Name
		} else if *found != *h {
			r.c.Report(plan.Warning, svc.Object, "", "the workloads behind this Service probe readiness differently (%s: %s; %s %s: %s); the load balancer's health check follows %s", from, found, p.Workload.Kind, p.Workload.Name, h, from)
		}
	}
	return found
}

// probeCheck reads the readinessProbe of the container serving a target
// port (number or name).
func probeCheck(w *inventory.Workload, target string) (*HealthCheck, string) {
	cs := w.Containers()
	var c *inventory.Container
	for i := range cs {
		if cs[i].Serves(target) {
			c = &cs[i]
			break
		}
	}
	if c == nil {
		// A numeric targetPort need not be declared: take the one container
		// whose readinessProbe uses it.
		if _, err := strconv.Atoi(target); err == nil {
			for i := range cs {
				if cs[i].Probe != nil && strconv.Itoa(cs[i].PortNumber(cs[i].Probe.Port)) == target {
					c = &cs[i]
				}
			}
		}
	}
	if c == nil {
		return nil, fmt.Sprintf("no container declares the Service's target port %s", target)
	}
	if c.Probe == nil && c.GRPCProbe != nil {
		// A gRPC readinessProbe: the load balancer checks the same gRPC
		// health service (HealthCheckPolicy type GRPC).
		if c.GRPCProbe.Port < 1 || c.GRPCProbe.Port > 65535 {
			return nil, fmt.Sprintf("the gRPC readinessProbe port of container %s is not a port", c.Name)
		}
		return &HealthCheck{Type: "GRPC", Port: c.GRPCProbe.Port, Service: c.GRPCProbe.Service, ServingPort: c.PortNumber(target)}, ""
	}
	if c.Probe == nil {
		return nil, fmt.Sprintf("container %s has no httpGet or grpc readinessProbe", c.Name)
	}
	port := c.PortNumber(c.Probe.Port)
	if port < 1 || port > 65535 {
		return nil, fmt.Sprintf("the readinessProbe port %q of container %s is not one of its ports", c.Probe.Port, c.Name)
	}
	path := c.Probe.Path
	if path == "" {
		path = "/"
	}
	if !ValidPath(path) {
		return nil, fmt.Sprintf("the readinessProbe path %q of container %s is not a path the load balancer accepts", path, c.Name)
	}
	typ := "HTTP"
	if c.Probe.Scheme == "HTTPS" {
		typ = "HTTPS"
	}
	return &HealthCheck{Type: typ, Path: path, Port: port, ServingPort: c.PortNumber(target), Host: c.Probe.Host}, ""
}

// negAnnotation turns container-native load balancing on for the Service.
func (r *run) negAnnotation(svc *inventory.Service, planned []companion.Planned) {
	why := "container-native load balancing (NEG): the load balancer sends to pod IPs, gated by the NEG readiness gate; serves " + workloads(planned)
	kept, ok := r.update(svc.Object, why, func(n *yaml.RNode) ([]edit.Change, []Kept, error) {
		return JSONKey{Annotation: NEGAnnotation, Key: "ingress", Value: true, Overwrite: r.enforce}.Apply(n)
	})
	if ok && len(kept) > 0 {
		r.c.Report(plan.Warning, svc.Object, kept[0].Field, "is %s: Ingress backends use instance groups, not NEGs, so the NEG readiness gate and the timeline of the plan do not hold for them (kept in mode default)", kept[0].Value)
	}
}

// existing picks the policy to complete among those targeting a Service.
func (r *run) existing(svc *inventory.Service, kind string, objs []*inventory.Object) *inventory.Object {
	if len(objs) == 0 {
		return nil
	}
	sorted := append([]*inventory.Object(nil), objs...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	if len(sorted) > 1 {
		names := make([]string, len(sorted))
		for i, o := range sorted {
			names[i] = o.Name
		}
		r.c.Report(plan.Warning, svc.Object, "", "%d %ss target this Service (%v); GKE attaches only the oldest one: completed %s", len(sorted), kind, names, sorted[0].Name)
	}
	return sorted[0]
}

func managed(o *inventory.Object) bool {
	return inventory.Managed(inventory.ObjectLabels(o))
}

func (r *run) gcpBackendPolicy(svc *inventory.Service, d Drain, planned []companion.Planned) {
	why := fmt.Sprintf("connection draining of Service %s: %s; serves %s", svc.Name, d, workloads(planned))
	if o := r.existing(svc, "GCPBackendPolicy", r.lb.GCPBackendPolicies[inventory.Key(svc.Namespace, svc.Name)]); o != nil {
		kept, ok := r.update(o, why, func(n *yaml.RNode) ([]edit.Change, []Kept, error) {
			return GCPBackendPolicyDrain(d.Seconds, r.enforce || managed(o)).Apply(n)
		})
		if ok {
			r.checkKept(o, kept, d, why)
			r.serve(planned, fmt.Sprintf("GCPBackendPolicy %s (drain %ss)", o.Name, keptValue(kept, "spec.default.connectionDraining.drainingTimeoutSec", strconv.Itoa(d.Seconds))))
		}
		return
	}
	name := companion.ObjectName(svc.Name)
	if r.add(NewGCPBackendPolicy(svc.Namespace, svc.Name, name, d.Seconds), why, svc.Object) {
		r.serve(planned, fmt.Sprintf("GCPBackendPolicy %s (drain %ds)", name, d.Seconds))
	}
}

func (r *run) healthCheckPolicy(svc *inventory.Service, h HealthCheck, planned []companion.Planned) {
	why := fmt.Sprintf("health check of Service %s from the readinessProbe (%s) instead of the Gateway's default GET / on the serving port; serves %s", svc.Name, h, workloads(planned))
	if o := r.existing(svc, "HealthCheckPolicy", r.lb.HealthCheckPolicies[inventory.Key(svc.Namespace, svc.Name)]); o != nil {
		kept, ok := r.update(o, why, func(n *yaml.RNode) ([]edit.Change, []Kept, error) {
			return HealthCheckPolicyConfig{Check: h, Overwrite: r.enforce || managed(o)}.Apply(n)
		})
		if ok {
			for _, k := range kept {
				r.c.Report(plan.Info, o, k.Field, "kept %s (mode default); the readinessProbe is %s", k.Value, h)
			}
			r.serve(planned, "HealthCheckPolicy "+o.Name)
		}
		return
	}
	name := companion.ObjectName(svc.Name)
	if r.add(NewHealthCheckPolicy(svc.Namespace, svc.Name, name, h), why, svc.Object) {
		r.serve(planned, fmt.Sprintf("HealthCheckPolicy %s (%s)", name, h))
	}
}

// backendConfigs is the value of the backend-config annotation.
type backendConfigs struct {
	Default string            `json:"default,omitempty"`
	Ports   map[string]string `json:"ports,omitempty"`
}

// backendConfig makes sure a BackendConfig with the drain (and the health
// check) serves every routed port of a Service behind a GKE Ingress: the one
// the Service's annotation names for the port, completed, or a new one
// referenced as the annotation's default.
func (r *run) backendConfig(svc *inventory.Service, ports []string, d Drain, h *HealthCheck, planned []companion.Planned) {
	key := BackendConfigAnnotation
	raw, has := svc.Annotations[key]
	if !has {
		if beta, ok := svc.Annotations[BetaBackendConfigAnnotation]; ok {
			key, raw, has = BetaBackendConfigAnnotation, beta, true
		}
	}
	var cfgs backendConfigs
	if has {
		if err := json.Unmarshal([]byte(raw), &cfgs); err != nil {
			r.c.Report(plan.Warning, svc.Object, "metadata.annotations."+key, "is not the JSON the GKE Ingress controller reads ({\"default\": \"name\"} or {\"ports\": {\"80\": \"name\"}}): left alone; the load balancer keeps its default draining (%d s)", r.prof.DefaultDrainSeconds)
			return
		}
	}
	ours := companion.ObjectName(svc.Name)
	var names []string
	needDefault := false
	for _, ref := range ports {
		sp, ok := svc.Port(ref)
		name := ""
		if ok {
			if sp.Name != "" {
				name = cfgs.Ports[sp.Name]
			}
			if name == "" {
				name = cfgs.Ports[strconv.Itoa(sp.Port)]
			}
		}
		if name == "" {
			name = cfgs.Default
		}
		if name == "" {
			needDefault, name = true, ours
		}
		if !contains(names, name) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	why := fmt.Sprintf("connection draining of Service %s behind a GKE Ingress: %s", svc.Name, d)
	if h != nil {
		why += fmt.Sprintf("; health check from the readinessProbe (%s)", h)
	}
	why += "; serves " + workloads(planned)
	if h != nil && h.Type == "GRPC" {
		// BackendConfig's healthCheck types are HTTP, HTTPS and HTTP2
		// (kubernetes/ingress-gce pkg/apis/backendconfig/v1/types.go).
		r.c.Report(plan.Info, svc.Object, "", "the readinessProbe is gRPC (%s), which a BackendConfig health check cannot express: no health check written for the Ingress backend", h)
		h = nil
	}
	if h != nil && h.Host != "" {
		// BackendConfig's healthCheck has no host field (kubernetes/ingress-gce
		// pkg/apis/backendconfig/v1/types.go HealthCheckConfig).
		r.c.Report(plan.Warning, svc.Object, "", "the readinessProbe sends Host %s, which a BackendConfig health check cannot: the load balancer checks without it; an app that routes by Host may fail the check (a Gateway's HealthCheckPolicy can set it)", h.Host)
	}
	if needDefault {
		r.update(svc.Object, "references BackendConfig "+ours+" for the ports without one; "+why, func(n *yaml.RNode) ([]edit.Change, []Kept, error) {
			return JSONKey{Annotation: key, Key: "default", Value: ours, Overwrite: true}.Apply(n)
		})
	}
	for _, name := range names {
		bc := r.lb.BackendConfigs[inventory.Key(svc.Namespace, name)]
		if bc == nil {
			if name == ours {
				if r.add(NewBackendConfig(svc.Namespace, name, d.Seconds, h), why, svc.Object) {
					r.serve(planned, fmt.Sprintf("BackendConfig %s (drain %ds)", name, d.Seconds))
				}
				continue
			}
			r.c.Report(plan.Warning, svc.Object, "metadata.annotations."+key, "names BackendConfig %s, which is not in the input: set spec.connectionDraining.drainingTimeoutSec: %d there (%s)", name, d.Seconds, d)
			continue
		}
		kept, ok := r.update(bc, why, func(n *yaml.RNode) ([]edit.Change, []Kept, error) {
			return BackendConfigFields{Drain: d.Seconds, Check: h, Overwrite: r.enforce || managed(bc)}.Apply(n)
		})
		if !ok {
			continue
		}
		var drains []Kept
		for _, k := range kept {
			if k.Field == joinPath(bcDrainPath) {
				drains = append(drains, k)
			} else {
				r.c.Report(plan.Info, bc, k.Field, "kept %s (mode default); the readinessProbe is %s", k.Value, h)
			}
		}
		r.checkKept(bc, drains, d, why)
		r.serve(planned, fmt.Sprintf("BackendConfig %s (drain %ss)", name, keptValue(kept, joinPath(bcDrainPath), strconv.Itoa(d.Seconds))))
	}
}

// multiCluster says what the function does not write for GKE multi-cluster
// entries, with the numbers to write: a ServiceImport's GCPBackendPolicy
// lives in the config cluster beside the multi-cluster Gateway, and a
// MultiClusterService's BackendConfig is derived into every member cluster.
func (r *run) multiCluster() {
	for _, key := range sortedKeys(r.lb.ImportedBy) {
		planned := r.planned(key)
		routes := r.lb.ImportedBy[key]
		if len(planned) == 0 || !r.servesHTTPRoute(routes[0]) {
			continue
		}
		svc := r.lb.Services[key]
		if svc == nil {
			continue
		}
		d, ok := r.drain(svc.Object, svc.Annotations, planned)
		if !ok {
			continue
		}
		r.c.Report(plan.Warning, routes[0].Object, "", "the multi-cluster backend ServiceImport %s gets no connection draining from this function: attach a GCPBackendPolicy with targetRef {group: net.gke.io, kind: ServiceImport, name: %s} and spec.default.connectionDraining.drainingTimeoutSec: %d (%s) in the config cluster; the load balancer's default is %d s",
			svc.Name, svc.Name, d.Seconds, d, r.prof.DefaultDrainSeconds)
	}
	for _, mci := range r.lb.MultiClusterIngresses {
		for _, b := range mci.Backends {
			mcs := r.lb.MultiClusterServices[b.Service]
			if mcs == nil {
				continue
			}
			var planned []companion.Planned
			for _, p := range r.c.Planned {
				if inventory.Namespace(p.Workload.Namespace) == inventory.Namespace(mcs.Namespace) && inventory.Selects(mcs.Selector, p.Workload.PodLabels) {
					planned = append(planned, p)
				}
			}
			if len(planned) == 0 {
				continue
			}
			d, ok := r.drain(mcs.Object, mcs.Annotations, planned)
			if !ok {
				continue
			}
			bc := mcs.Annotations[BackendConfigAnnotation]
			if bc == "" {
				bc = "none (annotation " + BackendConfigAnnotation + " unset)"
			}
			r.c.Report(plan.Warning, mcs.Object, "", "MultiClusterIngress %s: connection draining of this MultiClusterService is not written by this function: set spec.connectionDraining.drainingTimeoutSec: %d (%s) in the BackendConfig its %s annotation names (%s); the load balancer's default is %d s",
				mci.Name, d.Seconds, d, BackendConfigAnnotation, bc, r.prof.DefaultDrainSeconds)
		}
	}
}
