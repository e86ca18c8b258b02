package lbpolicy

import (
	"fmt"
	"strconv"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/graceful-rollout/graceful-rollout/fn/inventory"
	"github.com/graceful-rollout/graceful-rollout/fn/plan"
	"github.com/graceful-rollout/graceful-rollout/internal/edit"
)

// tgcAttributes is where a TargetGroupConfiguration keeps its target group
// attributes: a list of {key, value} (aws-load-balancer-controller
// config/crd/gateway/gateway.k8s.aws_targetgroupconfigurations.yaml,
// spec.defaultConfiguration.targetGroupAttributes).
var tgcAttributes = []string{"spec", "defaultConfiguration", "targetGroupAttributes"}

// AttributeList sets one key of a {key, value} list (a
// TargetGroupConfiguration's targetGroupAttributes): the entry of that key
// is filled in, or overwritten with Overwrite (a different value is kept
// and returned otherwise); a missing entry is appended, after the others.
type AttributeList struct {
	Path       []string
	Key, Value string
	Overwrite  bool
}

// Apply edits n in place.
func (f AttributeList) Apply(n *yaml.RNode) ([]edit.Change, []Kept, error) {
	field := joinPath(f.Path) + "[key=" + f.Key + "].value"
	list := at(n.YNode(), f.Path...)
	if list == nil || edit.IsNull(list) {
		seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: yaml.NodeTagSeq}
		if _, err := edit.Set(n, "", seq, f.Path...); err != nil {
			return nil, nil, err
		}
		list = seq
	}
	if list.Kind != yaml.SequenceNode {
		return nil, nil, fmt.Errorf("%s is not a list", joinPath(f.Path))
	}
	for _, item := range list.Content {
		if item.Kind != yaml.MappingNode || scalarAt(item, "key") != f.Key {
			continue
		}
		have := scalarAt(item, "value")
		if have == f.Value {
			return nil, nil, nil
		}
		if have != "" && !f.Overwrite {
			return nil, []Kept{{Field: field, Value: have, Want: f.Value}}, nil
		}
		c, err := edit.Set(yaml.NewRNode(item), "", edit.Str(f.Value), "value")
		if err != nil || c == nil {
			return nil, nil, err
		}
		return []edit.Change{{Field: field, From: have, To: f.Value}}, nil, nil
	}
	entry := &yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap}
	entry.Content = append(entry.Content, edit.Str("key"), edit.Str(f.Key), edit.Str("value"), edit.Str(f.Value))
	list.Content = append(list.Content, entry)
	return []edit.Change{{Field: field, To: f.Value}}, nil, nil
}

// awsGateways writes the deregistration delay of the target groups behind
// the AWS Load Balancer Controller's Gateways (ALB and NLB GatewayClasses):
// in the TargetGroupConfiguration of each Service, the controller's
// per-Service target group settings for Gateway API routes. A Service
// without one in the input gets a warning with the value to write (a new
// TargetGroupConfiguration would clash with one kept elsewhere: the
// controller takes one per Service).
func (r *run) awsGateways() {
	seen := map[string]bool{}
	for _, rt := range r.lb.GatewayRoutes(true) {
		if !r.servesAWSGateway(rt) || r.skipped(rt.Object, rt.Annotations) {
			continue
		}
		for _, b := range rt.Backends {
			svc := r.lb.Services[b.Service]
			planned := r.planned(b.Service)
			if seen[b.Service] || svc == nil || len(planned) == 0 || r.skipped(svc.Object, svc.Annotations) {
				continue
			}
			seen[b.Service] = true
			d, ok := r.drain(svc.Object, svc.Annotations, planned)
			if !ok {
				continue
			}
			tgcs := r.lb.TargetGroupConfigs[b.Service]
			if len(tgcs) == 0 {
				r.c.Report(plan.Warning, svc.Object, "", "reached through %s %s of an AWS Gateway, but no TargetGroupConfiguration in the input names this Service: its target group keeps the ELB default deregistration delay (%d s) and the controller's default target type (instance, through node ports); add a TargetGroupConfiguration with spec.targetReference.name: %s, spec.defaultConfiguration.targetType: ip and targetGroupAttributes [{key: %s, value: \"%d\"}] (%s)",
					rt.Kind, rt.Name, r.prof.DefaultDrainSeconds, svc.Name, DeregistrationDelay, d.Seconds, d)
				continue
			}
			tgc := tgcs[0]
			if tgc.TargetType != "ip" {
				r.targetTypeWarning(tgc.Object, "spec.defaultConfiguration.targetType", tgc.TargetType, "Service "+svc.Name+" through "+rt.Kind+" "+rt.Name, "spec.defaultConfiguration.targetType")
			}
			why := fmt.Sprintf("target group deregistration delay (ELB default %d s): %s; serves %s", r.prof.DefaultDrainSeconds, d, workloads(planned))
			kept, ok := r.update(tgc.Object, why, func(n *yaml.RNode) ([]edit.Change, []Kept, error) {
				return AttributeList{Path: tgcAttributes, Key: DeregistrationDelay, Value: strconv.Itoa(d.Seconds), Overwrite: r.enforce}.Apply(n)
			})
			if !ok {
				continue
			}
			r.checkKept(tgc.Object, kept, d, why)
			r.serve(planned, fmt.Sprintf("TargetGroupConfiguration %s (deregistration delay %ss)", tgc.Name, keptValue(kept, joinPath(tgcAttributes)+"[key="+DeregistrationDelay+"].value", strconv.Itoa(d.Seconds))))
		}
	}
}

// servesAWSGateway reports a route attached to a Gateway the AWS Load
// Balancer Controller serves (its GatewayClass's controllerName, or a
// known class name).
func (r *run) servesAWSGateway(rt *inventory.Route) bool {
	for _, g := range rt.Gateways {
		class, ok := r.lb.Gateways[g]
		if ok && r.prof.ServesGateway(class, r.lb.GatewayClasses[class], true) {
			return true
		}
	}
	return false
}
