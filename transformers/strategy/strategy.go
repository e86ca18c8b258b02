// Package strategy writes the rollout-strategy part of a plan: RollingUpdate
// with maxUnavailable 0 and a surge, at the path each kind keeps it.
package strategy

import (
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/graceful-rollout/graceful-rollout/fn/plan"
	"github.com/graceful-rollout/graceful-rollout/internal/edit"
)

// Filter applies the strategy of a Plan to a workload of Kind.
type Filter struct {
	Kind string
	Plan *plan.Plan
}

// base is where a kind keeps its strategy type and its rolling parameters.
func base(kind string) (typePath, paramsPath []string) {
	switch kind {
	case "Deployment":
		return []string{"spec", "strategy"}, []string{"spec", "strategy", "rollingUpdate"}
	case "DaemonSet", "StatefulSet":
		return []string{"spec", "updateStrategy"}, []string{"spec", "updateStrategy", "rollingUpdate"}
	case "Rollout":
		return nil, []string{"spec", "strategy", "canary"}
	}
	return nil, nil
}

// Apply edits the workload in place and returns what it changed.
func (f Filter) Apply(w *yaml.RNode) ([]edit.Change, error) {
	s := f.Plan.Strategy
	if s == (plan.Rollout{}) {
		return nil, nil
	}
	typePath, params := base(f.Kind)
	var changes []edit.Change
	set := func(value *yaml.Node, path ...string) error {
		c, err := edit.Set(w, "", value, path...)
		if c != nil {
			changes = append(changes, *c)
		}
		return err
	}
	if s.Type != "" && typePath != nil {
		if err := set(edit.Str(s.Type), append(typePath, "type")...); err != nil {
			return nil, err
		}
	}
	if s.MaxSurge != "" {
		if err := set(edit.IntOrString(s.MaxSurge), append(params, "maxSurge")...); err != nil {
			return nil, err
		}
	}
	if s.MaxUnavailable != "" {
		if err := set(edit.IntOrString(s.MaxUnavailable), append(params, "maxUnavailable")...); err != nil {
			return nil, err
		}
	}
	return changes, nil
}
