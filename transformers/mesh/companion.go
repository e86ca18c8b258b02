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
	"github.com/graceful-rollout/graceful-rollout/internal/edit"
)

// Companion generates or completes the Istio DestinationRule and
// VirtualService of every Service in the input that selects a planned
// workload meshed with Istio.
type Companion struct{}

const (
	whyOutlier = "outlierDetection ejects a pod whose connections fail while its app is not ready (503 UR,URX at startup, story 2 of the README)"
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
	rollouts := map[*inventory.MeshService][]*inventory.Workload{}
	var services []*inventory.MeshService
	// Services whose pods are in the ambient mesh with no waypoint: L7
	// objects would have nothing to apply them (ztunnel is L4).
	noWaypoint := map[*inventory.MeshService][]string{}
	for _, p := range c.Planned {
		if p.Plan.Mesh.Name != config.MeshIstio {
			continue
		}
		for _, name := range p.Workload.Facts.Services {
			s := c.Index.MeshService(p.Workload.Namespace, name)
			if s != nil && p.Plan.Mesh.Ambient && p.Plan.Mesh.Waypoint == "" {
				if w := inventory.ObjectLabels(s.Object)[plan.IstioUseWaypoint]; w == "" || w == "none" {
					noWaypoint[s] = append(noWaypoint[s], p.Workload.Kind+" "+p.Workload.Name)
					continue
				}
			}
			if s != nil {
				if _, ok := workloads[s]; !ok {
					services = append(services, s)
				}
				workloads[s] = append(workloads[s], &p.Workload.Object)
				if p.Workload.Facts.Mesh.Routing != nil {
					rollouts[s] = append(rollouts[s], p.Workload)
				}
			}
		}
	}
	ambientOnly := make([]*inventory.MeshService, 0, len(noWaypoint))
	for s := range noWaypoint {
		ambientOnly = append(ambientOnly, s)
	}
	sort.Slice(ambientOnly, func(i, j int) bool { return ambientOnly[i].Item < ambientOnly[j].Item })
	for _, s := range ambientOnly {
		ws := noWaypoint[s]
		if _, served := workloads[s]; served {
			continue
		}
		c.Report(plan.Info, s.Object, "", "the pods of %s run in Istio's ambient mesh without a waypoint: ztunnel carries their traffic at L4, so retries and outlier detection (VirtualService, DestinationRule) do not apply and none is generated; the rollout is protected by the preStop and grace period alone. Label the Service or Namespace %s with a waypoint for L7 protection", strings.Join(ws, ", "), plan.IstioUseWaypoint)
	}
	if len(services) == 0 {
		return nil
	}
	sort.Slice(services, func(i, j int) bool { return services[i].Item < services[j].Item })
	r := &run{Context: c, apiVersion: APIVersion(c.Config.MeshVersion), done: map[*inventory.MeshObject]bool{}, workloads: workloads, rollouts: rollouts}
	if !c.Config.MeshVersion.IsSet() {
		c.Report(plan.Info, nil, "", "meshVersion is not set: generated Istio objects use %s and retryOn leaves out reset-before-request, so that every Istio release accepts them; set meshVersion (1.22 or later: networking.istio.io/v1; 1.23 or later: reset-before-request)", r.apiVersion)
	}
	for _, s := range services {
		r.service(s)
	}
	if len(r.unsafeRetryOn) > 0 {
		c.Report(plan.Info, nil, "", "retryOn includes %s, which can repeat a request that reached the app (a payment may be charged twice, a 504 timeout retried at every hop); the default %s retries only what never reached it (and the 503 a pod's sidecar answers while its app is not ready): set it with istio.retries.retryOn, or per Service with the annotation %sretry-on",
			strings.Join(r.unsafeRetryOn, ", "), strings.Join(config.DefaultRetryOn(c.Config.MeshVersion), ","), config.ServiceAnnotationPrefix)
	}
	if r.generatedDR > 0 {
		c.Report(plan.Info, nil, "", "Istio applies one DestinationRule per host, the most specific: the %d generated DestinationRule(s) take precedence over any wildcard, namespace-wide or mesh-wide rule (root namespace %s) for their hosts. Rules of the input are carried into them; a rule outside the input is not, and its trafficPolicy (TLS, connection pool, load balancer) stops applying to those hosts. Set istio.destinationRule: false (ConfigMap istioDestinationRule) to generate none, and istio.rootNamespace (istioRootNamespace) if Istio's root namespace is not %s",
			r.generatedDR, c.Config.Istio.RootNamespace, c.Config.Istio.RootNamespace)
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
	// rollouts are the Argo Rollouts with Istio traffic routing behind
	// each Service.
	rollouts map[*inventory.MeshService][]*inventory.Workload
	current  *inventory.MeshService
	// generatedDR counts the DestinationRules the run generates or
	// updates.
	generatedDR int
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
		r.Report(plan.Warning, s.Object, "metadata.annotations."+k, "%s", config.UnknownAnnotation(k, config.ServiceAnnotations()))
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
		if !set.DestinationRule {
			r.Report(plan.Info, s.Object, "", "istio.destinationRule is false: no DestinationRule generated (outlierDetection would eject a pod whose app is not ready)")
			return
		}
		if r.nameTaken("DestinationRule", s) {
			return
		}
		n, from, err := r.wantDR(s, svc, set)
		if err != nil {
			r.Report(plan.Error, s.Object, "", "cannot generate its DestinationRule: %v", err)
			return
		}
		o := set.Outlier
		r.serves("DestinationRule", Name(s.Name))
		r.place(n, s)
		r.generatedDR++
		what := fmt.Sprintf("outlierDetection ejects a pod for %s after %d consecutive local-origin failures (connections refused or reset while its app is not ready: 503 UR,URX of story 2 in the README) or %d gateway errors, checked every %s, at most %d%% of the pods and only while %d%% are healthy",
			o.BaseEjectionTime, o.ConsecutiveLocalOriginFailures, o.ConsecutiveGatewayErrors, o.Interval, o.MaxEjectionPercent, o.MinHealthPercent)
		if from.kept {
			what = "outlierDetection as the rule it inherits from sets it (kept: it has its own)"
		}
		r.Add(n, fmt.Sprintf("for Service %s: %s%s%s", s.Name, what, from.note, r.rolloutSubsets(s)))
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
			if !set.DestinationRule {
				r.Report(plan.Warning, dr.Object, "", "generated by an earlier run; istio.destinationRule is false now: left as it is, delete it if it is not wanted")
				continue
			}
			want, from, err := r.wantDR(s, svc, set)
			if err != nil {
				r.Report(plan.Error, dr.Object, "", "cannot update: %v", err)
				continue
			}
			r.generatedDR++
			r.sync(dr, want, "generated by graceful-rollout; updated to the current settings"+from.note)
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

// inherited says which rule a generated DestinationRule carries.
type inherited struct {
	// note ends the result line ("" when it carries none).
	note string
	// kept: the rule's own outlierDetection was carried.
	kept bool
}

// wantDR is the DestinationRule to generate for a Service: its own, or one
// that carries the rule of the input that covers its host.
func (r *run) wantDR(s *inventory.MeshService, svc Service, set config.Istio) (*yaml.RNode, inherited, error) {
	covering := r.Index.CoveringDestinationRules(s.Namespace, s.Name, set.RootNamespace)
	if len(covering) == 0 {
		return DestinationRule(r.apiVersion, svc, set.Outlier), inherited{}, nil
	}
	base := covering[0]
	n, kept, err := InheritedDestinationRule(r.apiVersion, svc, set.Outlier, base.Node, base.Namespace)
	if err != nil {
		return nil, inherited{}, fmt.Errorf("DestinationRule %s/%s: %v", base.Namespace, base.Name, err)
	}
	where := "its namespace"
	if base.Namespace != s.Namespace {
		where = "the root namespace " + base.Namespace
	}
	from := fmt.Sprintf("; it carries the trafficPolicy, subsets and exportTo of DestinationRule %s/%s (host %s, in %s), which Istio would apply to this host otherwise but not together with a rule for the host itself", base.Namespace, base.Name, base.Hosts[0], where)
	if len(covering) > 1 && covering[1].Namespace == base.Namespace && covering[1].Hosts[0] == base.Hosts[0] {
		r.Report(plan.Warning, s.Object, "", "DestinationRules %s/%s and %s/%s both have host %s: Istio merges them, the older winning the trafficPolicy; the generated rule carries %s only", base.Namespace, base.Name, covering[1].Namespace, covering[1].Name, base.Hosts[0], base.Name)
	}
	return n, inherited{note: from, kept: kept}, nil
}

// rolloutSubsets notes, for the DestinationRule of a Service, a Rollout
// behind it that names a DestinationRule outside the input.
func (r *run) rolloutSubsets(s *inventory.MeshService) string {
	for _, w := range r.rollouts[s] {
		rt := w.Facts.Mesh.Routing
		if rt.DestinationRule == "" {
			continue
		}
		ns, name, _ := strings.Cut(rt.DestinationRule, "/")
		if r.Index.MeshObjectNamed("DestinationRule", ns, name) != nil {
			continue
		}
		return fmt.Sprintf("; Rollout %s manages the subsets (%s, %s) of DestinationRule %s, not in the input: Istio merges DestinationRules of one host in one namespace, so its subsets stay, and its trafficPolicy, if it has one, wins over this one when it is older",
			w.Name, rt.CanarySubset, rt.StableSubset, name)
	}
	return ""
}

// rolloutOwner returns the Rollout behind a Service whose Istio traffic
// routing names a VirtualService that is not in the input, and that name.
func (r *run) rolloutOwner(s *inventory.MeshService) (*inventory.Workload, string) {
	for _, w := range r.rollouts[s] {
		for _, ref := range w.Facts.Mesh.Routing.VirtualServices {
			ns, name, _ := strings.Cut(ref, "/")
			if r.Index.MeshObjectNamed("VirtualService", ns, name) == nil {
				return w, ref
			}
		}
	}
	return nil, ""
}

func (r *run) virtualServices(s *inventory.MeshService, svc Service, set config.Istio) {
	vss := r.Index.VirtualServices(s.Namespace, s.Name)
	if gamma := r.Index.LB().MeshRoutes(s.Namespace, s.Name); len(gamma) > 0 && len(vss) == 0 {
		// Gateway API mesh routing (GAMMA): the route owns the host in
		// the mesh; a VirtualService beside it would compete for it.
		names := make([]string, len(gamma))
		for i, g := range gamma {
			names[i] = g.Kind + " " + g.Name
		}
		r.Report(plan.Info, s.Object, "", "no VirtualService generated: %s names this Service as its parent (Gateway API mesh routing), which routes host %s in the mesh; a VirtualService for the host would compete with it. Add retries to the route (HTTPRoute spec.rules[].retry, Gateway API v1.2+) if the mesh supports them", strings.Join(names, ", "), s.Name)
		return
	}
	if len(vss) == 0 {
		if w, ref := r.rolloutOwner(s); w != nil {
			// Argo Rollouts rewrites that VirtualService's weights; its
			// hosts are unknown here, and a second VirtualService for
			// the host would leave one of the two unused.
			r.Report(plan.Warning, s.Object, "", "no VirtualService generated: Rollout %s routes its traffic through VirtualService %s (spec.strategy.canary.trafficRouting.istio), which is not in the input and may route host %s; a second one for the host would break the canary weights or be ignored. Add retries (attempts %d, retryOn %s) to its routes, or put it in the input to have them added",
				w.Name, ref, s.Name, set.Retries.Attempts, strings.Join(set.Retries.RetryOn, ","))
			return
		}
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
	for _, t := range config.UnsafeRetryOn(tokens) {
		if !contains(r.unsafeRetryOn, t) {
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
