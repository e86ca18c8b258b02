package mesh

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/graceful-rollout/graceful-rollout/fn/companion"
	"github.com/graceful-rollout/graceful-rollout/fn/config"
	"github.com/graceful-rollout/graceful-rollout/fn/inventory"
	"github.com/graceful-rollout/graceful-rollout/fn/plan"
	"github.com/graceful-rollout/graceful-rollout/transformers/edit"
)

// Companion generates or completes the Istio DestinationRule and
// VirtualService of every Service in the input that selects a planned
// workload meshed with Istio.
type Companion struct{}

const (
	whyOutlier = "outlierDetection ejects a pod whose connections fail while its app is not ready (503 UR,URX at startup, DESIGN story 2)"
	whyRetries = "retries resend a request that a starting or stopping pod failed to another pod"
)

// Apply implements companion.Companion.
func (Companion) Apply(c *companion.Context) error {
	if c.Config.Mesh == config.MeshNone {
		return nil
	}
	// The workloads each Service selects, to name the objects in their
	// plan lines.
	workloads := map[*inventory.MeshService][]*inventory.Object{}
	var services []*inventory.MeshService
	for _, p := range c.Planned {
		if p.Plan.Mesh.Name != config.MeshIstio {
			continue
		}
		for _, name := range p.Workload.Facts.Services {
			if s := c.Index.MeshService(p.Workload.Namespace, name); s != nil {
				if _, ok := workloads[s]; !ok {
					services = append(services, s)
				}
				workloads[s] = append(workloads[s], &p.Workload.Object)
			}
		}
	}
	if len(services) == 0 {
		return nil
	}
	sort.Slice(services, func(i, j int) bool { return services[i].Item < services[j].Item })
	r := &run{Context: c, apiVersion: APIVersion(c.Config.MeshVersion), done: map[*inventory.MeshObject]bool{}, workloads: workloads}
	if !c.Config.MeshVersion.IsSet() {
		c.Report(plan.Info, nil, "", "meshVersion is not set: generated Istio objects use %s, which every Istio release serves; set meshVersion (1.22 or later) for networking.istio.io/v1", r.apiVersion)
	}
	for _, s := range services {
		r.service(s)
	}
	if len(r.unsafeRetryOn) > 0 {
		safe := append([]string(nil), config.SafeRetryOn...)
		if c.Config.MeshVersion.AtLeast(1, 23) {
			safe = append(safe, "reset-before-request")
		}
		c.Report(plan.Info, nil, "", "retryOn includes %s, which can repeat a non-idempotent request that reached the app (a POST may run twice); %s retries only requests that never reached it: set it with istio.retries.retryOn, or per Service with the annotation %sretry-on",
			strings.Join(r.unsafeRetryOn, " and "), strings.Join(safe, ","), config.ServiceAnnotationPrefix)
	}
	return nil
}

type run struct {
	*companion.Context
	apiVersion string
	// done: objects already handled for another Service of their hosts.
	done          map[*inventory.MeshObject]bool
	unsafeRetryOn []string
	workloads     map[*inventory.MeshService][]*inventory.Object
	current       *inventory.MeshService
}

// serves names an object in the plan lines of the current Service's
// workloads.
func (r *run) serves(kind, name string) {
	for _, w := range r.workloads[r.current] {
		r.Serve(w, kind+" "+name)
	}
}

// place puts a new object in the file of its Service, after the file's
// objects, so that kpt writes it there and a diff of the package shows it
// (companion.Context.Place keeps the indices of every companion apart).
func (r *run) place(n *yaml.RNode, s *inventory.MeshService) {
	r.Place(n, s.Object)
}

func (r *run) service(s *inventory.MeshService) {
	r.current = s
	if s.Annotations[plan.AnnotationSkip] == "true" {
		r.Report(plan.Info, s.Object, "", "left alone: opted out with %s: \"true\"; no Istio objects for it", plan.AnnotationSkip)
		return
	}
	set, errs, unknown := r.Config.IstioFor(s.Annotations)
	for _, k := range unknown {
		r.Report(plan.Warning, s.Object, "metadata.annotations."+k, "unknown annotation (known: %s); it has no effect", strings.Join(config.ServiceAnnotations(), ", "))
	}
	for _, e := range errs {
		r.Report(plan.Error, s.Object, e.Path, "%s", e.Msg)
	}
	if len(errs) > 0 {
		return
	}
	svc := Service{Namespace: s.Namespace, Name: s.Name}
	r.destinationRules(s, svc, set)
	switch {
	case !s.HTTP():
		r.Report(plan.Info, s.Object, "spec.ports", "TCP only (no port named, or with appProtocol, http, http2, grpc or grpc-web): a DestinationRule only; retries need HTTP routing")
	case set.Retries.Attempts == 0:
		r.Report(plan.Info, s.Object, "", "retries.attempts is 0: no VirtualService")
	default:
		r.checkTimeouts(s, set)
		r.virtualServices(s, svc, set)
	}
	for _, gw := range r.Index.GatewayVirtualServices(s.Namespace, s.Name) {
		if r.done[gw] {
			continue
		}
		r.done[gw] = true
		r.Report(plan.Info, gw.Object, "spec.gateways", "left alone: bound only to gateways (%s), so sidecars calling %s do not use it", strings.Join(gw.Gateways, ", "), s.Name)
	}
}

// checkTimeouts warns when a route timeout cannot cover every attempt.
func (r *run) checkTimeouts(s *inventory.MeshService, set config.Istio) {
	if set.Retries.PerTryTimeout == "" || set.Timeout == "" {
		return
	}
	per, _ := config.ParseIstioDuration(set.Retries.PerTryTimeout)
	total, _ := config.ParseIstioDuration(set.Timeout)
	tries := set.Retries.Attempts + 1
	if total < per*time.Duration(tries) {
		r.Report(plan.Warning, s.Object, "", "route timeout %s does not cover the first try and %d retries of perTryTimeout %s (%s): the last retries are cut", set.Timeout, set.Retries.Attempts, set.Retries.PerTryTimeout, per*time.Duration(tries))
	}
}

func (r *run) destinationRules(s *inventory.MeshService, svc Service, set config.Istio) {
	drs := r.Index.DestinationRules(s.Namespace, s.Name)
	if len(drs) == 0 {
		n := DestinationRule(r.apiVersion, svc, set.Outlier)
		if r.nameTaken("DestinationRule", s) {
			return
		}
		o := set.Outlier
		r.serves("DestinationRule", Name(s.Name))
		r.place(n, s)
		r.Add(n, fmt.Sprintf("for Service %s: outlierDetection ejects a pod for %s after %d consecutive local-origin failures (connections refused or reset while its app is not ready: 503 UR,URX of DESIGN story 2) or %d gateway errors, checked every %s, at most %d%% of the pods and only while %d%% are healthy",
			s.Name, o.BaseEjectionTime, o.ConsecutiveLocalOriginFailures, o.ConsecutiveGatewayErrors, o.Interval, o.MaxEjectionPercent, o.MinHealthPercent))
		return
	}
	if len(drs) > 1 {
		names := make([]string, len(drs))
		for i, d := range drs {
			names[i] = d.Namespace + "/" + d.Name
		}
		r.Report(plan.Warning, s.Object, "", "%d DestinationRules name host %s (%s): Istio merges them, the first one winning each field", len(drs), s.Name, strings.Join(names, ", "))
	}
	for _, dr := range drs {
		r.serves("DestinationRule", dr.Name)
		if r.done[dr] {
			continue
		}
		r.done[dr] = true
		if dr.Managed {
			r.sync(dr, DestinationRule(r.apiVersion, svc, set.Outlier), "generated by graceful-rollout; updated to the current settings")
			continue
		}
		r.checkServed(dr)
		changes, err := r.Update(dr.Object, func(n *yaml.RNode) ([]edit.Change, error) {
			return CompleteDestinationRule(n, OutlierDetection(set.Outlier))
		})
		switch {
		case err != nil:
			r.Report(plan.Error, dr.Object, "", "cannot complete: %v", err)
		case len(changes) == 0:
			r.Report(plan.Info, dr.Object, "spec.trafficPolicy.outlierDetection", "kept: it has its own outlierDetection")
		default:
			r.Changed(dr.Object, changes, whyOutlier+"; the rest of the DestinationRule is kept")
		}
	}
}

func (r *run) virtualServices(s *inventory.MeshService, svc Service, set config.Istio) {
	vss := r.Index.VirtualServices(s.Namespace, s.Name)
	if len(vss) == 0 {
		if r.nameTaken("VirtualService", s) {
			return
		}
		r.noteRetryOn(set.Retries.RetryOn)
		timeouts := "no per-try or route timeout: a timeout cuts slow requests too (opt in with istio.retries.perTryTimeout and istio.timeout)"
		if set.Retries.PerTryTimeout != "" || set.Timeout != "" {
			timeouts = fmt.Sprintf("perTryTimeout %s, route timeout %s", orNone(set.Retries.PerTryTimeout), orNone(set.Timeout))
		}
		r.serves("VirtualService", Name(s.Name))
		n := VirtualService(r.apiVersion, svc, set)
		r.place(n, s)
		r.Add(n, fmt.Sprintf("for Service %s: %s: up to %d retries on %s; %s",
			s.Name, whyRetries, set.Retries.Attempts, strings.Join(set.Retries.RetryOn, ","), timeouts))
		return
	}
	if n := countMine(vss); len(vss)-n > 0 && n > 0 {
		r.Report(plan.Warning, s.Object, "", "a VirtualService graceful-rollout generated and one of yours both route host %s: Istio uses one of them for sidecars; delete %s", s.Name, Name(s.Name))
	} else if len(vss) > 1 {
		r.Report(plan.Warning, s.Object, "", "%d VirtualServices route host %s for sidecars: Istio uses one of them and drops the others", len(vss), s.Name)
	}
	for _, vs := range vss {
		r.serves("VirtualService", vs.Name)
		if r.done[vs] {
			continue
		}
		r.done[vs] = true
		if vs.Managed {
			r.noteRetryOn(set.Retries.RetryOn)
			r.sync(vs, VirtualService(r.apiVersion, svc, set), "generated by graceful-rollout; updated to the current settings")
			continue
		}
		r.checkServed(vs)
		changes, err := r.Update(vs.Object, func(n *yaml.RNode) ([]edit.Change, error) {
			return CompleteVirtualService(n, Retries(set.Retries, false))
		})
		switch {
		case err != nil:
			r.Report(plan.Error, vs.Object, "", "cannot complete: %v", err)
		case len(changes) == 0:
			r.Report(plan.Info, vs.Object, "spec.http", "kept: every HTTP route that sends to destinations has its own retries")
		default:
			r.noteRetryOn(set.Retries.RetryOn)
			note := ""
			if set.Retries.PerTryTimeout != "" || set.Timeout != "" {
				note = "; no timeout added: routes you wrote keep their timing"
			}
			r.Changed(vs.Object, changes, whyRetries+" (routes that had retries are kept)"+note)
		}
	}
}

func countMine(objs []*inventory.MeshObject) int {
	n := 0
	for _, o := range objs {
		if o.Managed {
			n++
		}
	}
	return n
}

// sync updates an object an earlier run generated.
func (r *run) sync(o *inventory.MeshObject, want *yaml.RNode, why string) {
	changes, err := r.Update(o.Object, func(n *yaml.RNode) ([]edit.Change, error) { return Sync(n, want) })
	if err != nil {
		r.Report(plan.Error, o.Object, "", "cannot update: %v", err)
		return
	}
	if len(changes) > 0 {
		r.Changed(o.Object, changes, why)
	}
}

// nameTaken reports (as an error) an object of the generated name that is
// not for the Service's host.
func (r *run) nameTaken(kind string, s *inventory.MeshService) bool {
	o := r.Index.MeshObjectNamed(kind, s.Namespace, Name(s.Name))
	if o == nil {
		return false
	}
	r.Report(plan.Error, s.Object, "", "cannot add %s %s: the input has one of that name for host %s; rename it or give Service %s its own", kind, Name(s.Name), strings.Join(o.Hosts, ", "), s.Name)
	return true
}

// checkServed warns about an object of the user whose apiVersion the
// configured Istio version does not serve.
func (r *run) checkServed(o *inventory.MeshObject) {
	if !Served(o.APIVersion, r.Config.MeshVersion) {
		r.Report(plan.Warning, o.Object, "apiVersion", "Istio %s does not serve %s (networking.istio.io/v1 exists from 1.22): kept as written; use %s", r.Config.MeshVersion, o.APIVersion, r.apiVersion)
	}
}

func (r *run) noteRetryOn(tokens []string) {
	for _, t := range tokens {
		if (t == "gateway-error" || t == "reset") && !contains(r.unsafeRetryOn, t) {
			r.unsafeRetryOn = append(r.unsafeRetryOn, t)
			sort.Strings(r.unsafeRetryOn)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
