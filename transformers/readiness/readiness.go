// Package readiness writes the startup half of a plan: minReadySeconds and
// the readiness gates the input itself justifies.
package readiness

import (
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/graceful-rollout/graceful-rollout/fn/plan"
	"github.com/graceful-rollout/graceful-rollout/internal/edit"
)

// Filter applies minReadySeconds (and the progressDeadlineSeconds that must
// stay above it) and readiness gates of a Plan.
type Filter struct {
	Plan *plan.Plan
}

// Apply edits the workload in place and returns what it changed.
func (f Filter) Apply(w *yaml.RNode) ([]edit.Change, error) {
	var changes []edit.Change
	if f.Plan.SetMinReady {
		c, err := edit.Set(w, "", edit.Int(f.Plan.MinReady), "spec", "minReadySeconds")
		if err != nil {
			return nil, err
		}
		if c != nil {
			changes = append(changes, *c)
		}
	}
	if f.Plan.SetProgressDeadline {
		// after minReadySeconds: the API server requires it to be greater
		c, err := edit.Set(w, "", edit.Int(f.Plan.ProgressDeadline), "spec", "progressDeadlineSeconds")
		if err != nil {
			return nil, err
		}
		if c != nil {
			changes = append(changes, *c)
		}
	}
	if len(f.Plan.Gates) == 0 {
		return changes, nil
	}
	if g, _ := w.Pipe(yaml.Lookup("spec", "template", "spec", "readinessGates")); g != nil && edit.IsNull(g.YNode()) {
		// readinessGates: null is unset; make it an empty list in place.
		g.YNode().Kind, g.YNode().Tag, g.YNode().Value = yaml.SequenceNode, yaml.NodeTagSeq, ""
	}
	gates, err := w.Pipe(yaml.LookupCreate(yaml.SequenceNode, "spec", "template", "spec", "readinessGates"))
	if err != nil || gates == nil || gates.YNode().Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%s.readinessGates: expected a list", plan.PodSpecPath)
	}
	for _, g := range f.Plan.Gates {
		if has(gates.YNode(), g) {
			continue
		}
		gates.YNode().Content = append(gates.YNode().Content, &yaml.Node{
			Kind:    yaml.MappingNode,
			Content: []*yaml.Node{edit.Str("conditionType"), edit.Str(g)},
		})
		changes = append(changes, edit.Change{Field: plan.PodSpecPath + ".readinessGates", To: "+" + g})
	}
	return changes, nil
}

func has(seq *yaml.Node, conditionType string) bool {
	for _, e := range seq.Content {
		for i := 0; i+1 < len(e.Content); i += 2 {
			if e.Content[i].Value == "conditionType" && e.Content[i+1].Value == conditionType {
				return true
			}
		}
	}
	return false
}
