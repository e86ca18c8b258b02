// Package pdb gives every serving workload with two or more replicas a
// PodDisruptionBudget, so that a node drain (upgrades, autoscaler scale-down,
// Spot replacement) evicts its pods one at a time instead of all at once,
// and warns about budgets that allow no eviction at all (they block drains).
package pdb

import (
	"fmt"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/graceful-rollout/graceful-rollout/fn/companion"
	"github.com/graceful-rollout/graceful-rollout/internal/edit"
)

// APIVersion of the budgets the function writes (policy/v1, GA in 1.21).
const APIVersion = "policy/v1"

// UnhealthyPodEvictionPolicy of the budgets the function writes. With the
// default (IfHealthyBudget) a pod that is running but not Ready can only be
// evicted while the budget holds, so one crash-looping replica blocks every
// eviction of the app's pods and node drains stall whenever the app is
// degraded; AlwaysAllow lets unhealthy pods go (KEP-3017: alpha 1.26, beta
// and on by default 1.27, GA 1.31; PodDisruptionBudgetSpec in k8s.io/api
// policy/v1).
const UnhealthyPodEvictionPolicy = "AlwaysAllow"

// New is the budget of a workload: maxUnavailable, a copy of the workload's
// spec.selector and unhealthyPodEvictionPolicy.
func New(namespace, name string, selector *yaml.Node, maxUnavailable string) *yaml.RNode {
	n := companion.NewObject(APIVersion, "PodDisruptionBudget", namespace, name)
	_, _ = edit.Set(n, "", edit.IntOrString(maxUnavailable), "spec", "maxUnavailable")
	_, _ = edit.Set(n, "", edit.Str(UnhealthyPodEvictionPolicy), "spec", "unhealthyPodEvictionPolicy")
	sel := yaml.CopyYNode(selector)
	uncomment(sel)
	_, _ = edit.Set(n, "", sel, "spec", "selector")
	return n
}

// uncomment drops the comments a copied node carries from its workload.
func uncomment(n *yaml.Node) {
	if n == nil {
		return
	}
	n.HeadComment, n.LineComment, n.FootComment = "", "", ""
	for _, c := range n.Content {
		uncomment(c)
	}
}

// MaxUnavailable sets an added budget's maxUnavailable (the config may have
// changed since it was added) and its unhealthyPodEvictionPolicy (budgets
// added by earlier versions have none).
type MaxUnavailable struct{ Value string }

// Apply edits the budget in place.
func (f MaxUnavailable) Apply(n *yaml.RNode) ([]edit.Change, error) {
	var out []edit.Change
	for _, set := range []struct {
		v    *yaml.Node
		path []string
	}{
		{edit.IntOrString(f.Value), []string{"spec", "maxUnavailable"}},
		{edit.Str(UnhealthyPodEvictionPolicy), []string{"spec", "unhealthyPodEvictionPolicy"}},
	} {
		c, err := edit.Set(n, "", set.v, set.path...)
		if err != nil {
			return nil, err
		}
		if c != nil {
			out = append(out, *c)
		}
	}
	return out, nil
}

// Blocks says why a budget allows no voluntary eviction of a workload's
// pods ("" when it allows one), given how many pods the workload runs at
// least.
func Blocks(minAvailable, maxUnavailable string, replicas int) string {
	if maxUnavailable != "" {
		if v, pct, ok := intOrPercent(maxUnavailable); ok && v == 0 {
			return fmt.Sprintf("maxUnavailable %s%s", strconv.Itoa(v), pct)
		}
		return ""
	}
	if minAvailable == "" {
		return ""
	}
	v, pct, ok := intOrPercent(minAvailable)
	switch {
	case !ok:
		return ""
	case pct != "" && v >= 100:
		return "minAvailable " + minAvailable
	case pct != "":
		// The controller rounds minAvailable percentages up.
		if (v*replicas+99)/100 >= replicas {
			return fmt.Sprintf("minAvailable %s of %d replicas", minAvailable, replicas)
		}
	case v >= replicas:
		return fmt.Sprintf("minAvailable %d with %d replicas", v, replicas)
	}
	return ""
}

func intOrPercent(s string) (int, string, bool) {
	t := strings.TrimSuffix(s, "%")
	v, err := strconv.Atoi(t)
	if err != nil || v < 0 {
		return 0, "", false
	}
	if t != s {
		return v, "%", true
	}
	return v, "", true
}
