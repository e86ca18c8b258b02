package lbpolicy

import (
	"fmt"
	"strconv"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/graceful-rollout/graceful-rollout/fn/plan"
	"github.com/graceful-rollout/graceful-rollout/internal/edit"
)

// Application Gateway Ingress Controller annotations (AGIC docs,
// "Annotations for Application Gateway Ingress Controller"):
// appgw.ingress.kubernetes.io/connection-draining, bool, default false;
// appgw.ingress.kubernetes.io/connection-draining-timeout, int32 seconds,
// default 30. They apply to every backend of the Ingress.
const (
	AGICDraining        = "appgw.ingress.kubernetes.io/connection-draining"
	AGICDrainingTimeout = "appgw.ingress.kubernetes.io/connection-draining-timeout"
)

// agic turns connection draining on for the Ingresses AGIC serves, with the
// drain timeout of the plans of every workload behind them.
func agic(r *run) {
	for _, ing := range r.servedIngresses() {
		var keys []string
		for _, b := range ing.Backends {
			if r.lb.Services[b.Service] != nil && !contains(keys, b.Service) {
				keys = append(keys, b.Service)
			}
		}
		planned := r.planned(keys...)
		if len(planned) == 0 {
			continue
		}
		d, ok := r.drain(ing.Object, ing.Annotations, planned)
		if !ok {
			continue
		}
		// Draining needs a timeout of at least 1 s.
		secs := max(d.Seconds, 1)
		why := fmt.Sprintf("Application Gateway connection draining (off by default): %s; serves %s", d, workloads(planned))
		kept, ok := r.update(ing.Object, why, func(n *yaml.RNode) ([]edit.Change, []Kept, error) {
			return apply(n,
				Fill{Path: Annotation(AGICDraining), Value: edit.Str("true"), Overwrite: r.enforce},
				Fill{Path: Annotation(AGICDrainingTimeout), Value: edit.Str(strconv.Itoa(secs)), Overwrite: r.enforce})
		})
		if !ok {
			continue
		}
		var timeouts []Kept
		for _, k := range kept {
			if k.Field == joinPath(Annotation(AGICDraining)) {
				r.c.Report(plan.Warning, ing.Object, k.Field, "is %q: Application Gateway cuts in-flight requests to a pod as soon as it is removed from the backend pool (kept in mode default)", k.Value)
			} else {
				timeouts = append(timeouts, k)
			}
		}
		r.checkKept(ing.Object, timeouts, d, why)
		r.serve(planned, fmt.Sprintf("Ingress %s (connection draining %ss)", ing.Name, keptValue(kept, joinPath(Annotation(AGICDrainingTimeout)), strconv.Itoa(secs))))
	}
}
