package companion

import (
	"sort"
	"strings"

	"github.com/graceful-rollout/graceful-rollout/fn/inventory"
)

// serving records which companion objects serve which workload, so that the
// workload's one-line plan result can name them.
type serving struct {
	// planResult is the index in Results of each workload's plan line.
	planResult map[*inventory.Object]int
	// by lists, per workload, what serves it, in the order recorded.
	by   map[*inventory.Object][]string
	seen map[*inventory.Object]map[string]bool
	// nextIndex is, per file of the package, the index a new object placed
	// in it gets (objects.go).
	nextIndex map[string]int
}

// MarkPlan records that the last result reported is the plan line of a
// workload.
func (c *Context) MarkPlan(o *inventory.Object) {
	if len(c.Results) == 0 {
		return
	}
	if c.serving.planResult == nil {
		c.serving.planResult = map[*inventory.Object]int{}
	}
	c.serving.planResult[o] = len(c.Results) - 1
}

// Serve records that a companion object (or an edit of an input object)
// serves a workload, e.g. "GCPBackendPolicy web-graceful-rollout (drain 10s)".
func (c *Context) Serve(w *inventory.Object, what string) {
	if c.serving.by == nil {
		c.serving.by = map[*inventory.Object][]string{}
		c.serving.seen = map[*inventory.Object]map[string]bool{}
	}
	if c.serving.seen[w] == nil {
		c.serving.seen[w] = map[string]bool{}
	}
	if c.serving.seen[w][what] {
		return
	}
	c.serving.seen[w][what] = true
	c.serving.by[w] = append(c.serving.by[w], what)
}

// ServedBy lists what serves a workload, sorted.
func (c *Context) ServedBy(w *inventory.Object) []string {
	out := append([]string(nil), c.serving.by[w]...)
	sort.Strings(out)
	return out
}

// NameServers appends to each workload's plan line the companion objects
// that serve it. The processor calls it once, after every companion.
func (c *Context) NameServers() {
	for o, i := range c.serving.planResult {
		if by := c.ServedBy(o); len(by) > 0 && i < len(c.Results) {
			c.Results[i].Message += "; served by " + strings.Join(by, ", ")
		}
	}
}
