// Package nslabel labels Namespace objects so that a platform webhook injects
// readiness gates into their pods (AWS Load Balancer Controller).
package nslabel

import (
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/graceful-rollout/graceful-rollout/internal/edit"
)

// AWSGateInject is the label the AWS Load Balancer Controller's pod webhook
// looks for on a namespace before it injects target-health gates.
const AWSGateInject = "elbv2.k8s.aws/pod-readiness-gate-inject"

// Filter sets Label to Value on a Namespace. Overwrite replaces a different
// value the user wrote; without it such a value is kept and reported.
type Filter struct {
	Label, Value string
	Overwrite    bool
}

// Apply edits the Namespace in place. kept is the user's value when it
// differs and was not overwritten.
func (f Filter) Apply(ns *yaml.RNode) (changes []edit.Change, kept string, err error) {
	// GetLabels panics on labels that are not a map; check the shape first.
	if l, err := ns.Pipe(yaml.Lookup("metadata", "labels")); err != nil || (l != nil && l.YNode().Kind != yaml.MappingNode && !edit.IsNull(l.YNode())) {
		return nil, "", fmt.Errorf("metadata.labels: expected a map")
	}
	labels := ns.GetLabels()
	if v, ok := labels[f.Label]; ok && v != f.Value && !f.Overwrite {
		return nil, v, nil
	}
	c, err := edit.Set(ns, "", edit.Str(f.Value), "metadata", "labels", f.Label)
	if err != nil || c == nil {
		return nil, "", err
	}
	return []edit.Change{*c}, "", nil
}
