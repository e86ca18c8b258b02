// Package lbpolicy aligns the load balancer's side of a pod's shutdown with
// the plan: how long the load balancer keeps in-flight requests to a
// backend that is going away (GCP connection draining, AWS deregistration
// delay, Application Gateway connection draining), and which health check it
// uses to admit new pods. Numbers come from drain.go (pure arithmetic),
// edits from the filters, and the Companion decides which objects to edit or
// add from the profile's load-balancer row.
package lbpolicy

import (
	"fmt"

	"github.com/graceful-rollout/graceful-rollout/fn/plan"
)

// Drain is the drain timeout of one load-balancer backend (a Service, or
// the Services behind one Ingress) and the bounds it must respect, from the
// plans of every workload behind it (docs/concepts.md, The timeline): the load balancer should
// keep in-flight requests at least as long as the app takes to finish them
// (Low = D) and never after the pod is gone (High = T − L).
type Drain struct {
	Seconds   int
	Low, High int
	// Want is what the timeline asks for: in-flight requests at the moment
	// the load balancer stops sending (L) can run until the app exits
	// (P + D), so Want = P + D − L.
	Want int
	// Source says where Seconds comes from: "plan" or the setting that
	// pinned it.
	Source string
	// FromDeregistration: the drain runs from the target's deregistration,
	// and a shorter one ends the load balancer's hold on the target before
	// the pod exits, which is safe (AWS deregistration delay: the ELB docs,
	// "Deregistration delay"): only outliving the pod is a problem.
	FromDeregistration bool
}

// Compute returns the drain of a backend served by the plans, at most limit
// (the platform's; 0: none). pinned, when set, is the user's value.
func Compute(plans []*plan.Plan, limit int, pinned *int, source string) Drain {
	d := Drain{High: -1, Source: "plan"}
	for i, p := range plans {
		want := p.PreStop + p.Shutdown - p.LBStop
		high := p.Grace - p.LBStop
		if i == 0 || want > d.Want {
			d.Want = want
		}
		if i == 0 || p.Shutdown > d.Low {
			d.Low = p.Shutdown
		}
		if i == 0 || high < d.High {
			d.High = high
		}
	}
	if pinned != nil {
		d.Seconds, d.Source = *pinned, source
		return d
	}
	// A preStop that ends before the load balancer stops (a cap shortened
	// it) gives Want < D; the drain still covers the app's shutdown.
	s := min(max(d.Want, d.Low), d.High)
	if limit > 0 {
		s = min(s, limit)
	}
	d.Seconds = max(s, 0)
	return d
}

// Problem says which bound the drain breaks ("" when none).
func (d Drain) Problem() string {
	switch {
	case d.High < 0:
		return fmt.Sprintf("the pods are killed %d s before the load balancer stops sending (T − L = %d s): no drain timeout can keep requests safe; the plan's warnings say what was given up", -d.High, d.High)
	case d.Seconds > d.High:
		return fmt.Sprintf("%d s outlives the pods: they are killed %d s after the load balancer stops sending (T − L), so it keeps requests on pods that are gone", d.Seconds, d.High)
	case d.Seconds < d.Low && !d.FromDeregistration:
		return fmt.Sprintf("%d s is shorter than the %d s the app is given to finish in-flight requests (D): the load balancer cuts them first", d.Seconds, d.Low)
	}
	return ""
}

// String explains the number in one phrase.
func (d Drain) String() string {
	bounds := fmt.Sprintf("the plan asks for at least D = %ds, at most T − L = %ds", d.Low, d.High)
	if d.Source != "plan" {
		return fmt.Sprintf("drain %ds from %s (%s)", d.Seconds, d.Source, bounds)
	}
	return fmt.Sprintf("drain %ds: in-flight requests may run until the app exits, %ds after the load balancer stops sending (%s)", d.Seconds, d.Want, bounds)
}
