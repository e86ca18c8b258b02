// Package companion is the seam between the workload pass and the concerns
// that act on other objects: labels on Namespaces, mesh objects, load
// balancer policies, disruption budgets. A Companion reads the indexed input
// and every workload's plan, stages edits of input objects and new objects,
// and reports them. Nothing staged reaches the output unless the whole run
// ends without an error, and in audit mode nothing staged reaches it at all.
package companion

import (
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/graceful-rollout/graceful-rollout/fn/config"
	"github.com/graceful-rollout/graceful-rollout/fn/inventory"
	"github.com/graceful-rollout/graceful-rollout/fn/plan"
	"github.com/graceful-rollout/graceful-rollout/internal/edit"
)

// Companion is one concern applied after the workload pass.
type Companion interface {
	Apply(*Context) error
}

// Planned is a workload planned in this run, with its plan.
type Planned struct {
	Workload *inventory.Workload
	Plan     *plan.Plan
}

// Result is one thing a run has to say, about an object or (nil) the run.
type Result struct {
	Severity plan.Severity
	Object   *inventory.Object
	Field    string
	Message  string
}

// Context is what every concern of one run shares.
type Context struct {
	Config  *config.Config
	Index   *inventory.Index
	Planned []Planned
	Results []Result

	staged map[int]*yaml.RNode
	added  []*yaml.RNode
	// serving names the companion objects of each workload (serve.go).
	serving serving
}

// New starts the context of a run.
func New(cfg *config.Config, ix *inventory.Index) *Context {
	return &Context{Config: cfg, Index: ix, staged: map[int]*yaml.RNode{}}
}

// Update runs f on the staged copy of an input object (made on first use,
// so that every concern editing one object edits the same copy) and keeps
// the copy only when f changed something or it was staged before.
func (c *Context) Update(o *inventory.Object, f func(*yaml.RNode) ([]edit.Change, error)) ([]edit.Change, error) {
	n, had := c.staged[o.Item]
	if !had {
		n = o.Node.Copy()
	}
	changes, err := f(n)
	if err != nil {
		return nil, err
	}
	if len(changes) > 0 && !had {
		c.staged[o.Item] = n
	}
	return changes, nil
}

// Staged is the edited copy of every input item, by item index.
func (c *Context) Staged() map[int]*yaml.RNode { return c.staged }

// Added is every new object, in the order added.
func (c *Context) Added() []*yaml.RNode { return c.added }

// Audit reports whether changes are only reported.
func (c *Context) Audit() bool { return c.Config.Mode == config.ModeAudit }

// Report adds a result.
func (c *Context) Report(sev plan.Severity, o *inventory.Object, field, format string, args ...any) {
	c.Results = append(c.Results, Result{Severity: sev, Object: o, Field: field, Message: fmt.Sprintf(format, args...)})
}

// Changed reports the changes a concern made to an input object and why:
// one info result, or in audit mode one error per change.
func (c *Context) Changed(o *inventory.Object, changes []edit.Change, why string) {
	if c.Audit() {
		for _, ch := range changes {
			from := ch.From
			if from == "" {
				from = "unset"
			}
			c.Report(plan.Error, o, ch.Field, "audit: would change %s -> %s (%s)", from, ch.To, why)
		}
		return
	}
	for _, ch := range changes {
		c.Report(plan.Info, o, ch.Field, "set %s: %s", ch, why)
	}
}

// Add stages a new object and reports it.
func (c *Context) Add(n *yaml.RNode, why string) {
	o := inventory.Identify(n)
	if c.Audit() {
		c.Report(plan.Error, o, "", "audit: would add %s %s: %s", o.Kind, o.Name, why)
		return
	}
	c.added = append(c.added, n)
	c.Report(plan.Info, o, "", "added: %s", why)
}
