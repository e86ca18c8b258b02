package lbpolicy

import (
	"fmt"
	"strconv"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/graceful-rollout/graceful-rollout/fn/companion"
	"github.com/graceful-rollout/graceful-rollout/fn/inventory"
	"github.com/graceful-rollout/graceful-rollout/fn/plan"
	"github.com/graceful-rollout/graceful-rollout/internal/edit"
)

// AWS Load Balancer Controller annotations. Sources:
// aws-load-balancer-controller docs/guide/ingress/annotations.md
// (target-group-attributes and target-type on Ingress or Service, "Annotations
// applied to Service have higher priority over annotations applied to
// Ingress", target-type default instance) and docs/guide/service/annotations.md
// (aws-load-balancer-target-group-attributes, e.g.
// "deregistration_delay.timeout_seconds=120", range 0-3600;
// aws-load-balancer-type: the controller reconciles Services with
// "external" or "nlb-ip", the legacy cloud provider every other value;
// aws-load-balancer-nlb-target-type instance|ip, default instance).
// Since v2.5 the controller's webhook sets spec.loadBalancerClass
// service.k8s.aws/nlb on new LoadBalancer Services (docs/deploy/installation).
const (
	ALBAttributes       = "alb.ingress.kubernetes.io/target-group-attributes"
	ALBTargetType       = "alb.ingress.kubernetes.io/target-type"
	NLBAttributes       = "service.beta.kubernetes.io/aws-load-balancer-target-group-attributes"
	NLBTargetType       = "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type"
	NLBType             = "service.beta.kubernetes.io/aws-load-balancer-type"
	NLBClass            = "service.k8s.aws/nlb"
	DeregistrationDelay = "deregistration_delay.timeout_seconds"
)

// aws sets the target groups' deregistration delay from the plans: on the
// Ingresses the controller serves (and on their Services that carry their
// own target-group-attributes, which win), on LoadBalancer Services it
// reconciles, and says what to set on target groups bound by
// TargetGroupBindings.
func aws(r *run) {
	for _, ing := range r.servedIngresses() {
		// keys: the Services behind the Ingress; shared: those without
		// target-group attributes of their own, which take the Ingress's.
		var keys, shared []string
		for _, b := range ing.Backends {
			svc := r.lb.Services[b.Service]
			if svc != nil && len(r.behind[b.Service]) > 0 && !contains(keys, b.Service) {
				keys = append(keys, b.Service)
				if _, own := svc.Annotations[ALBAttributes]; !own {
					shared = append(shared, b.Service)
				}
			}
		}
		if len(keys) == 0 {
			continue
		}
		if split := r.splitDrains(ing, shared); split {
			// The Services behind the Ingress need different drains: each
			// gets its own target-group-attributes (the controller reads
			// them from the Service, and the Service's win), instead of
			// the shortest for all.
			for _, key := range shared {
				svc := r.lb.Services[key]
				if r.skipped(svc.Object, svc.Annotations) {
					continue
				}
				if d, ok := r.drain(svc.Object, svc.Annotations, r.planned(key)); ok {
					r.attributes(svc.Object, ALBAttributes, d, r.planned(key))
				}
			}
		} else if planned := r.planned(shared...); len(planned) > 0 {
			if d, ok := r.drain(ing.Object, ing.Annotations, planned); ok {
				r.attributes(ing.Object, ALBAttributes, d, planned)
			}
		}
		for _, key := range keys {
			svc := r.lb.Services[key]
			tt, where, field := svc.Annotations[ALBTargetType], svc.Object, "metadata.annotations."+ALBTargetType
			if tt == "" {
				tt, where = ing.Annotations[ALBTargetType], ing.Object
			}
			if tt != "ip" {
				r.targetTypeWarning(where, field, tt, "Service "+svc.Name+" through Ingress "+ing.Name, ALBTargetType)
			}
			if _, own := svc.Annotations[ALBAttributes]; own && !r.skipped(svc.Object, svc.Annotations) {
				// The Service's attributes replace the Ingress's for its
				// target group.
				if sd, ok := r.drain(svc.Object, svc.Annotations, r.planned(key)); ok {
					r.attributes(svc.Object, ALBAttributes, sd, r.planned(key))
				}
			}
		}
	}
	for _, key := range sortedKeys(r.lb.Services) {
		svc := r.lb.Services[key]
		if svc.Type != "LoadBalancer" || len(r.behind[key]) == 0 {
			continue
		}
		lbType := svc.Annotations[NLBType]
		if (svc.LoadBalancerClass != "" && svc.LoadBalancerClass != NLBClass) || (lbType != "" && lbType != "external" && lbType != "nlb-ip") {
			r.c.Report(plan.Info, svc.Object, "", "not reconciled by the AWS Load Balancer Controller (loadBalancerClass %q, %s %q): its target groups' deregistration delay cannot be set by annotation", svc.LoadBalancerClass, NLBType, lbType)
			continue
		}
		if r.skipped(svc.Object, svc.Annotations) {
			continue
		}
		planned := r.planned(key)
		d, ok := r.drain(svc.Object, svc.Annotations, planned)
		if !ok {
			continue
		}
		r.attributes(svc.Object, NLBAttributes, d, planned)
		tt := svc.Annotations[NLBTargetType]
		if lbType == "nlb-ip" {
			tt = "ip"
		}
		if tt != "ip" {
			r.targetTypeWarning(svc.Object, "metadata.annotations."+NLBTargetType, tt, "LoadBalancer Service "+svc.Name, NLBTargetType)
		}
	}
	r.awsGateways()
	for _, key := range sortedKeys(r.lb.TargetGroupBindings) {
		planned := r.planned(key)
		svc := r.lb.Services[key]
		if len(planned) == 0 || svc == nil {
			continue
		}
		d, ok := r.drain(svc.Object, svc.Annotations, planned)
		if !ok {
			continue
		}
		for _, tgb := range r.lb.TargetGroupBindings[key] {
			if tgb.TargetType == "instance" {
				r.targetTypeWarning(tgb.Object, "spec.targetType", tgb.TargetType, "Service "+svc.Name, "spec.targetType")
			}
			r.c.Report(plan.Info, tgb.Object, "", "the target group %s is created outside the cluster: set its %s to %d (%s; the ELB default is %d s)", tgb.TargetGroupARN, DeregistrationDelay, d.Seconds, d, r.prof.DefaultDrainSeconds)
		}
	}
}

// splitDrains reports whether the Services behind an Ingress that take its
// target-group attributes need different drains, when nothing pins one for
// all (the Ingress's drain annotation or the config).
func (r *run) splitDrains(ing *inventory.Route, keys []string) bool {
	if len(keys) < 2 || ing.Annotations[AnnotationDrain] != "" || r.c.Config.LoadBalancer.DrainSeconds != nil {
		return false
	}
	first := -1
	for _, key := range keys {
		planned := r.planned(key)
		if len(planned) == 0 {
			continue
		}
		plans := make([]*plan.Plan, len(planned))
		for i, p := range planned {
			plans[i] = p.Plan
		}
		d := Compute(plans, r.prof.MaxDrainSeconds, nil, "")
		if first >= 0 && d.Seconds != first {
			return true
		}
		first = d.Seconds
	}
	return false
}

func (r *run) targetTypeWarning(o *inventory.Object, field, tt, what, key string) {
	shown := tt
	if shown == "" {
		shown = "unset (default instance)"
	}
	r.c.Report(plan.Warning, o, field, "target type %s for %s: the load balancer sends to node ports, so the target-health readiness gates and the deregistration timing of the plan do not apply to these pods; set %s: ip", shown, what, key)
}

// attributes merges the deregistration delay into a target-group-attributes
// annotation.
func (r *run) attributes(o *inventory.Object, annotation string, d Drain, planned []companion.Planned) {
	why := fmt.Sprintf("target group deregistration delay (ELB default %d s): %s; serves %s", r.prof.DefaultDrainSeconds, d, workloads(planned))
	kept, ok := r.update(o, why, func(n *yaml.RNode) ([]edit.Change, []Kept, error) {
		return Attributes{Annotation: annotation, Key: DeregistrationDelay, Value: strconv.Itoa(d.Seconds), Overwrite: r.enforce}.Apply(n)
	})
	if !ok {
		return
	}
	r.checkKept(o, kept, d, why)
	r.serve(planned, fmt.Sprintf("%s %s (deregistration delay %ss)", o.Kind, o.Name, keptValue(kept, joinPath(Annotation(annotation))+"["+DeregistrationDelay+"]", strconv.Itoa(d.Seconds))))
}
