package pdb

import (
	"fmt"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/graceful-rollout/graceful-rollout/fn/companion"
	"github.com/graceful-rollout/graceful-rollout/fn/inventory"
	"github.com/graceful-rollout/graceful-rollout/fn/plan"
	"github.com/graceful-rollout/graceful-rollout/internal/edit"
)

// Companion adds a PodDisruptionBudget (maxUnavailable from the config, 1 by
// default) for each planned workload that runs two or more pods (replicas,
// or an HPA's minReplicas) and that no budget in the input covers; updates
// the budgets it added before; and warns about budgets in the input that
// allow no eviction of a workload's pods.
type Companion struct{}

// kinds whose pods a node drain evicts (a DaemonSet's pods are not evicted
// by kubectl drain) and whose spec.selector a budget can copy.
var kinds = map[string]bool{"Deployment": true, "StatefulSet": true, "ReplicaSet": true, "Rollout": true}

// Apply implements companion.Companion.
func (Companion) Apply(c *companion.Context) error {
	if c.Config.PDB.Disabled {
		return nil
	}
	lb := c.Index.LB()
	maxUnavailable := c.Config.PDBMaxUnavailable()
	var added []string
	defer func() { runFinding(c, added) }()
	for _, p := range c.Planned {
		w := p.Workload
		if !kinds[w.Kind] {
			continue
		}
		replicas, from := 1, "spec.replicas"
		if w.Facts.Replicas != nil {
			replicas = *w.Facts.Replicas
		}
		if w.Facts.OwnerRollout != "" {
			from = "the spec.replicas of Rollout " + w.Facts.OwnerRollout + ", which runs them"
		}
		if w.Facts.HPAMinReplicas != nil {
			replicas, from = *w.Facts.HPAMinReplicas, "its HorizontalPodAutoscaler's minReplicas"
		}
		podLabels, owner := w.PodLabels, w.Name
		if cn := w.Facts.Canary; cn != nil {
			// Flagger runs the pods as <name>-primary, with primary labels;
			// the target's own pods exist only during an analysis.
			podLabels, owner = inventory.FlaggerPrimaryLabels(w.PodLabels), cn.Primary
		}
		if existing := lb.PDBsSelecting(w.Namespace, podLabels); len(existing) > 0 {
			for _, b := range existing {
				covered(c, w, b, replicas, maxUnavailable)
			}
			continue
		}
		if replicas < 2 {
			continue // a budget cannot keep a single pod serving through a drain; the plan warns
		}
		sel := selector(w)
		if sel != nil && w.Facts.Canary != nil {
			sel = primarySelector(sel)
		}
		if sel == nil {
			c.Report(plan.Warning, &w.Object, "spec.selector", "no PodDisruptionBudget added: the workload has no spec.selector to copy")
			continue
		}
		name := companion.ObjectName(owner)
		if clash := lb.Named("PodDisruptionBudget", w.Namespace, name); clash != nil {
			c.Report(plan.Warning, &w.Object, "", "would add PodDisruptionBudget %s, but the input has one of that name that does not select these pods: rename one of them", name)
			continue
		}
		n := New(w.Namespace, name, sel, maxUnavailable)
		c.Place(n, &w.Object)
		added = append(added, inventory.Shown(w.Namespace, name))
		c.Add(n, fmt.Sprintf(
			"node drains evict at most %s of the %d pods of %s %s (%s) at a time, so each evicted pod goes through its preStop while the others serve",
			maxUnavailable, replicas, w.Kind, w.Name, from))
		c.Serve(&w.Object, fmt.Sprintf("PodDisruptionBudget %s (maxUnavailable %s)", name, maxUnavailable))
	}
	return nil
}

// runFinding says once per run which budgets were added and what a second
// budget for the same pods does: the eviction API refuses to evict a pod that
// more than one budget selects (kubernetes/kubernetes
// pkg/registry/core/pod/storage/eviction.go: "This pod has more than one
// PodDisruptionBudget, which the eviction subresource does not support"),
// so every drain of those pods fails.
func runFinding(c *companion.Context, added []string) {
	if len(added) == 0 || c.Audit() {
		return
	}
	c.Report(plan.Info, nil, "", "added %d PodDisruptionBudget(s) (%s): a budget for the same pods that lives outside the input (another repo, a Helm release, a platform policy) makes every eviction of them fail, and node drains with it; set %s: false to add none, or keep your own budget in the input (it is then used instead)",
		len(added), strings.Join(added, ", "), c.Config.Path("pdbEnabled"))
}

// covered handles a budget of the input that selects the workload's pods:
// one the function added is kept at the configured maxUnavailable; any
// budget that allows no eviction is reported.
func covered(c *companion.Context, w *inventory.Workload, b *inventory.PDB, replicas int, maxUnavailable string) {
	if inventory.Managed(b.Labels) {
		changes, err := c.Update(b.Object, func(n *yaml.RNode) ([]edit.Change, error) {
			return MaxUnavailable{Value: maxUnavailable}.Apply(n)
		})
		if err != nil {
			c.Report(plan.Warning, b.Object, "spec.maxUnavailable", "left alone: %v", err)
			return
		}
		if len(changes) > 0 {
			c.Changed(b.Object, changes, "the configured maxUnavailable of the budgets graceful-rollout adds")
		}
		c.Serve(&w.Object, fmt.Sprintf("PodDisruptionBudget %s (maxUnavailable %s)", b.Name, maxUnavailable))
		return
	}
	c.Serve(&w.Object, "PodDisruptionBudget "+b.Name)
	if why := Blocks(b.MinAvailable, b.MaxUnavailable, replicas); why != "" {
		field := "spec.minAvailable"
		if b.MaxUnavailable != "" {
			field = "spec.maxUnavailable"
		}
		c.Report(plan.Warning, b.Object, field, "allows no eviction of the pods of %s %s (%s): node drains, upgrades and autoscaler scale-downs wait on it forever; allow at least one pod to go (maxUnavailable: 1)", w.Kind, w.Name, why)
	}
}

// primarySelector is a copy of a Flagger target's selector that selects
// the primary pods (matchLabels values of the selector labels suffixed
// -primary; inventory.FlaggerPrimaryLabels).
func primarySelector(sel *yaml.Node) *yaml.Node {
	c := yaml.CopyYNode(sel)
	ml := edit.Field(c, "matchLabels")
	if ml == nil || ml.Kind != yaml.MappingNode {
		return c
	}
	labels := map[string]string{}
	for i := 0; i+1 < len(ml.Content); i += 2 {
		labels[ml.Content[i].Value] = ml.Content[i+1].Value
	}
	primary := inventory.FlaggerPrimaryLabels(labels)
	for i := 0; i+1 < len(ml.Content); i += 2 {
		ml.Content[i+1] = edit.Str(primary[ml.Content[i].Value])
	}
	return c
}

// selector is a copy of the workload's spec.selector (nil when absent).
func selector(w *inventory.Workload) *yaml.Node {
	n, err := w.Node.Pipe(yaml.Lookup("spec", "selector"))
	if err != nil || n == nil || n.YNode().Kind != yaml.MappingNode || len(n.YNode().Content) == 0 {
		return nil
	}
	return n.YNode()
}
