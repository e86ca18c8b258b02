package lbpolicy

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/graceful-rollout/graceful-rollout/fn/companion"
	"github.com/graceful-rollout/graceful-rollout/fn/config"
	"github.com/graceful-rollout/graceful-rollout/fn/inventory"
	"github.com/graceful-rollout/graceful-rollout/fn/plan"
	"github.com/graceful-rollout/graceful-rollout/fn/profile"
	"github.com/graceful-rollout/graceful-rollout/internal/edit"
)

// AnnotationDrain on a Service or an Ingress pins the drain timeout of the
// load balancer that object configures.
const AnnotationDrain = plan.AnnotationPrefix + "drain-seconds"

// Companion aligns the load balancer of the profile (profile.LoadBalancer)
// with the plans of the workloads behind each of its backends.
type Companion struct{}

// handlers apply one kind of load balancer.
var handlers = map[profile.LBKind]func(*run){
	profile.LBGCP:  gcp,
	profile.LBAWS:  aws,
	profile.LBAGIC: agic,
}

// Apply implements companion.Companion.
func (Companion) Apply(c *companion.Context) error {
	h := handlers[c.Config.Profile.LB.Kind]
	if h == nil || c.Config.LoadBalancer.Disabled {
		return nil
	}
	h(newRun(c))
	return nil
}

// run is one application of the companion.
type run struct {
	c       *companion.Context
	lb      *inventory.LB
	prof    profile.LoadBalancer
	enforce bool
	// behind lists, by Service key, the planned workloads it selects.
	behind map[string][]companion.Planned
}

func newRun(c *companion.Context) *run {
	r := &run{
		c:       c,
		lb:      c.Index.LB(),
		prof:    c.Config.Profile.LB,
		enforce: c.Config.Mode == config.ModeEnforce,
		behind:  map[string][]companion.Planned{},
	}
	for _, p := range c.Planned {
		for _, s := range p.Workload.Facts.Services {
			k := inventory.Key(p.Workload.Namespace, s)
			r.behind[k] = append(r.behind[k], p)
		}
	}
	return r
}

// planned lists the planned workloads behind the Services, once each.
func (r *run) planned(keys ...string) []companion.Planned {
	var out []companion.Planned
	seen := map[*inventory.Workload]bool{}
	for _, k := range keys {
		for _, p := range r.behind[k] {
			if !seen[p.Workload] {
				seen[p.Workload] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// skipped reports an object opted out with graceful-rollout.dev/skip.
func (r *run) skipped(o *inventory.Object, ann map[string]string) bool {
	if ann[plan.AnnotationSkip] != "true" {
		return false
	}
	r.c.Report(plan.Info, o, "", "load balancer settings left alone: opted out with %s: \"true\"", plan.AnnotationSkip)
	return true
}

// drain computes the drain of the backend an object configures: its
// annotation, else the config, else the plans.
func (r *run) drain(o *inventory.Object, ann map[string]string, planned []companion.Planned) (Drain, bool) {
	plans := make([]*plan.Plan, len(planned))
	for i, p := range planned {
		plans[i] = p.Plan
	}
	var pinned *int
	source := ""
	if v, ok := ann[AnnotationDrain]; ok {
		s, err := config.ParseSeconds(strings.TrimSpace(v))
		if err != nil {
			r.c.Report(plan.Error, o, "metadata.annotations."+AnnotationDrain, "%v", err)
			return Drain{}, false
		}
		pinned, source = &s, AnnotationDrain
	} else if d := r.c.Config.LoadBalancer.DrainSeconds; d != nil {
		pinned, source = d, r.c.Config.Path("loadBalancerDrainSeconds")
	}
	d := Compute(plans, r.prof.MaxDrainSeconds, pinned, source)
	d.FromDeregistration = r.prof.Kind == profile.LBAWS
	if p := d.Problem(); p != "" {
		r.c.Report(plan.Warning, o, "", "load balancer drain: %s", p)
	}
	return d, true
}

// checkKept reports a drain timeout the user wrote and mode default kept,
// when it breaks a bound of the plan.
func (r *run) checkKept(o *inventory.Object, kept []Kept, d Drain, what string) {
	for _, k := range kept {
		v, err := strconv.Atoi(strings.TrimSpace(k.Value))
		if err != nil {
			r.c.Report(plan.Warning, o, k.Field, "kept %q, which is not a number of seconds; the plan asks for %s (%s)", k.Value, k.Want, what)
			continue
		}
		user := d
		user.Seconds, user.Source = v, k.Field
		if p := user.Problem(); p != "" {
			r.c.Report(plan.Warning, o, k.Field, "kept %d s (mode default keeps the user's value; mode enforce sets %s): %s", v, k.Want, p)
		}
	}
}

// keptValue returns the value kept at a field, or the default.
func keptValue(kept []Kept, field, def string) string {
	for _, k := range kept {
		if k.Field == field {
			return k.Value
		}
	}
	return def
}

// update edits an input object through filters and reports the changes.
func (r *run) update(o *inventory.Object, why string, f func(*yaml.RNode) ([]edit.Change, []Kept, error)) ([]Kept, bool) {
	var kept []Kept
	changes, err := r.c.Update(o, func(n *yaml.RNode) ([]edit.Change, error) {
		cs, k, err := f(n)
		kept = k
		return cs, err
	})
	if err != nil {
		r.c.Report(plan.Warning, o, "", "left alone: %v", err)
		return nil, false
	}
	if len(changes) > 0 {
		r.c.Changed(o, changes, why)
	}
	return kept, true
}

// add stages a new object unless an input object of that kind and name is
// in the way.
func (r *run) add(n *yaml.RNode, why string, near *inventory.Object) bool {
	o := inventory.Identify(n)
	if clash := r.lb.Named(o.Kind, o.Namespace, o.Name); clash != nil {
		r.c.Report(plan.Warning, near, "", "would add %s %s (%s), but the input has a %s of that name that does not serve it: rename one of them", o.Kind, o.Name, why, o.Kind)
		return false
	}
	r.c.Place(n, near)
	r.c.Add(n, why)
	return true
}

// serve names an object in the plan line of each workload it serves.
func (r *run) serve(planned []companion.Planned, what string) {
	for _, p := range planned {
		r.c.Serve(&p.Workload.Object, what)
	}
}

// workloads names the workloads for a result: "Deployment web, StatefulSet db".
func workloads(planned []companion.Planned) string {
	names := make([]string, len(planned))
	for i, p := range planned {
		names[i] = p.Workload.Kind + " " + p.Workload.Name
	}
	return strings.Join(names, ", ")
}

// servesIngress reports whether the profile's load balancer serves an
// Ingress, and when not, why (for an info result).
func (r *run) servesIngress(rt *inventory.Route) (bool, string) {
	class := rt.Class
	if class == "" {
		class = r.lb.DefaultIngressClass
	}
	if r.prof.ServesIngress(class, r.lb.IngressClasses[class]) {
		return true, ""
	}
	names, _ := r.prof.Names()
	return false, fmt.Sprintf("its class %q is not one the load balancer of profile %s serves (%s); load balancer settings left alone",
		class, r.c.Config.Profile.Name, strings.Join(names, ", "))
}

// servedIngresses lists the Ingresses the profile's load balancer serves and
// the user did not opt out; each one it does not serve gets an info result.
func (r *run) servedIngresses() []*inventory.Route {
	var out []*inventory.Route
	for _, ing := range r.lb.Ingresses {
		if ok, why := r.servesIngress(ing); !ok {
			r.c.Report(plan.Info, ing.Object, "", "%s", why)
		} else if !r.skipped(ing.Object, ing.Annotations) {
			out = append(out, ing)
		}
	}
	return out
}

// servesHTTPRoute reports whether an HTTPRoute attaches to a Gateway of the
// profile's load balancer (a Gateway not in the input is assumed to be).
func (r *run) servesHTTPRoute(rt *inventory.Route) bool {
	for _, g := range rt.Gateways {
		class, ok := r.lb.Gateways[g]
		if r.prof.ServesGateway(class, r.lb.GatewayClasses[class], ok) {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
