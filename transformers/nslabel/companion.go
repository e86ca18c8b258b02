package nslabel

import (
	"sort"
	"strings"

	"github.com/graceful-rollout/graceful-rollout/fn/companion"
	"github.com/graceful-rollout/graceful-rollout/fn/config"
	"github.com/graceful-rollout/graceful-rollout/fn/inventory"
	"github.com/graceful-rollout/graceful-rollout/fn/plan"
	"github.com/graceful-rollout/graceful-rollout/fn/profile"
	"github.com/graceful-rollout/graceful-rollout/internal/edit"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Companion labels, on profiles whose gates the AWS Load Balancer
// Controller injects, every Namespace object in the input that holds a
// planned workload an AWS load balancer reaches as IP targets, and warns
// about such namespaces the input does not declare. kube-system is never
// labelled, nor advised to be: the controller's webhook would have to admit
// pods of its own namespace, and a controller that cannot start deadlocks
// (aws-load-balancer-controller docs/deploy/pod_readiness_gate.md).
type Companion struct{}

const why = "the AWS Load Balancer Controller injects target-health readiness gates into pods of labelled namespaces"

// Apply implements companion.Companion.
func (Companion) Apply(c *companion.Context) error {
	if c.Config.Profile.Gate != profile.GateAWSTargetHealth {
		return nil
	}
	first := map[string]*inventory.Workload{}
	var names []string
	var system []string
	for _, p := range c.Planned {
		if !p.Plan.AWSIPTargets {
			continue
		}
		ns := p.Workload.Namespace
		if ns == "kube-system" {
			system = append(system, p.Workload.Kind+" "+p.Workload.Name)
			continue
		}
		if _, ok := first[ns]; !ok {
			first[ns] = p.Workload
			names = append(names, ns)
		}
	}
	sort.Strings(names)
	if len(system) > 0 {
		c.Report(plan.Info, nil, "", "namespace kube-system is not labelled %s for %s: a readiness-gate webhook in the namespace of the controllers that must admit it can keep them from starting; without the gate, minReadySeconds and the preStop carry the rollout", AWSGateInject, strings.Join(system, ", "))
	}
	f := Filter{Label: AWSGateInject, Value: "enabled", Overwrite: c.Config.Mode == config.ModeEnforce}
	for _, ns := range names {
		obj, ok := c.Index.Namespaces[ns]
		if !ok {
			where := "namespace " + ns
			if ns == "" {
				where = "the namespace these workloads are deployed to"
			}
			c.Report(plan.Warning, nil, "", "%s is not in the input: label it %s=enabled so that the AWS Load Balancer Controller injects target-health readiness gates into its pods", where, AWSGateInject)
			continue
		}
		var kept string
		changes, err := c.Update(obj, func(n *yaml.RNode) (cs []edit.Change, err error) {
			cs, kept, err = f.Apply(n)
			return cs, err
		})
		switch {
		case err != nil:
			c.Report(plan.Error, obj, "metadata.labels", "cannot label: %v", err)
		case kept != "":
			c.Report(plan.Warning, obj, "metadata.labels."+AWSGateInject, "is %q: the AWS Load Balancer Controller will not inject target-health readiness gates into its pods (kept in mode default)", kept)
		case len(changes) > 0:
			c.Changed(obj, changes, why)
		}
	}
	return nil
}
