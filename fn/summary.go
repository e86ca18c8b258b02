package fn

import (
	"fmt"
	"strings"

	kfn "github.com/kptdev/krm-functions-sdk/go/fn"
)

// Summary is what a successful run did, in counts, and each warning. kpt
// shows a function's results itself; kustomize, and Argo CD through it,
// show only what the function prints on stderr, so main prints this there,
// except when kpt runs the function (kpt prints both results and stderr of
// an exec function on success: the summary would say everything twice).
type Summary struct {
	// Planned workloads, of which Changed were edited; LeftAlone were not
	// planned (opted out, not serving).
	Planned, Changed, LeftAlone int
	// Edited other input objects (Namespaces, Services, Ingresses, budgets)
	// and Added new ones.
	Edited, Added int
	// Warnings, one line each.
	Warnings []string
	// Version of the function, named at the end of the line of counts.
	Version string
	// Quiet: only the warnings (quiet=true keeps stderr to warnings and
	// errors).
	Quiet   bool
	fromKpt bool
}

// Show reports whether the summary should be printed: not under kpt.
func (s *Summary) Show() bool { return !s.fromKpt && (!s.Quiet || len(s.Warnings) > 0) }

// String is the summary, one line of counts and one per warning.
func (s *Summary) String() string {
	var b strings.Builder
	if s.Quiet {
		for _, w := range s.Warnings {
			fmt.Fprintf(&b, "graceful-rollout: %s\n", w)
		}
		return b.String()
	}
	fmt.Fprintf(&b, "graceful-rollout: %d workload(s) planned, %d changed, %d left alone; %d other object(s) edited, %d added; %d warning(s)",
		s.Planned, s.Changed, s.LeftAlone, s.Edited, s.Added, len(s.Warnings))
	if s.Version != "" {
		fmt.Fprintf(&b, "; version %s", s.Version)
	}
	b.WriteString("\n")
	for _, w := range s.Warnings {
		fmt.Fprintf(&b, "  %s\n", w)
	}
	return b.String()
}

// pathAnnotations are how kpt names each item's file; kustomize sets
// neither (it passes config.kubernetes.io/index and ids only).
var kptPathAnnotations = []string{"internal.config.kubernetes.io/path", "config.kubernetes.io/path"}

// fromKpt reports whether the items come from a kpt package.
func fromKpt(rl *kfn.ResourceList) bool {
	for _, o := range rl.Items {
		ann := o.GetAnnotations()
		for _, k := range kptPathAnnotations {
			if _, ok := ann[k]; ok {
				return true
			}
		}
	}
	return false
}
