// Package lifecycle writes the shutdown half of a plan: each container's
// preStop hook and the pod's terminationGracePeriodSeconds.
package lifecycle

import (
	"fmt"
	"strconv"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/graceful-rollout/graceful-rollout/fn/plan"
	"github.com/graceful-rollout/graceful-rollout/internal/edit"
)

// Filter applies the preStop and grace-period part of a Plan to a workload.
type Filter struct {
	Plan *plan.Plan
}

// Apply edits the workload in place and returns what it changed.
func (f Filter) Apply(w *yaml.RNode) ([]edit.Change, error) {
	var changes []edit.Change
	podSpec, err := w.Pipe(yaml.Lookup("spec", "template", "spec"))
	if err != nil || podSpec == nil {
		return nil, fmt.Errorf("%s: not found", plan.PodSpecPath)
	}
	if len(f.Plan.Hooks) > 0 {
		containers, err := podSpec.Pipe(yaml.Lookup("containers"))
		if err != nil || containers == nil || containers.YNode().Kind != yaml.SequenceNode {
			return nil, fmt.Errorf("%s.containers: expected a list", plan.PodSpecPath)
		}
		items := containers.YNode().Content
		for _, h := range f.Plan.Hooks {
			if h.Index >= len(items) {
				return nil, fmt.Errorf("%s.containers[%d]: not found", plan.PodSpecPath, h.Index)
			}
			c, err := setHook(yaml.NewRNode(items[h.Index]), h)
			if err != nil {
				return nil, err
			}
			if c != nil {
				changes = append(changes, *c)
			}
		}
	}
	if f.Plan.SetGrace {
		c, err := edit.Set(podSpec, plan.PodSpecPath, edit.Int(f.Plan.Grace), "terminationGracePeriodSeconds")
		if err != nil {
			return nil, err
		}
		if c != nil {
			changes = append(changes, *c)
		}
	}
	return changes, nil
}

// Handler builds the preStop handler of a hook.
func Handler(h plan.Hook) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode}
	add := func(n *yaml.Node, k string, v *yaml.Node) {
		n.Content = append(n.Content, edit.Str(k), v)
	}
	inner := &yaml.Node{Kind: yaml.MappingNode}
	switch h.Mechanism {
	case plan.MechSleep:
		add(inner, "seconds", edit.Int(h.Seconds))
		add(m, "sleep", inner)
	case plan.MechExec:
		cmd := &yaml.Node{Kind: yaml.SequenceNode}
		for _, s := range []string{"/bin/sh", "-c", "sleep " + strconv.Itoa(h.Seconds)} {
			cmd.Content = append(cmd.Content, edit.Str(s))
		}
		add(inner, "command", cmd)
		add(m, "exec", inner)
	case plan.MechHTTPGet:
		add(inner, "path", edit.Str(h.HTTPPath))
		add(inner, "port", edit.IntOrString(h.HTTPPort))
		add(m, "httpGet", inner)
	}
	return m
}

func setHook(c *yaml.RNode, h plan.Hook) (*edit.Change, error) {
	prefix := fmt.Sprintf("%s.containers[name=%s]", plan.PodSpecPath, h.Name)
	want := Handler(h)
	if cur, _ := c.Pipe(yaml.Lookup("lifecycle", "preStop")); cur != nil && edit.Same(cur.YNode(), want) {
		return nil, nil
	}
	return edit.Set(c, prefix, want, "lifecycle", "preStop")
}
