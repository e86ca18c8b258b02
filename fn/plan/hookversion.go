package plan

import (
	"fmt"
	"slices"

	"github.com/graceful-rollout/graceful-rollout/fn/config"
)

// CheckHookVersions reports each preStop the plan keeps that cannot run on
// the declared kubernetesVersion: the native sleep action is off by default
// below 1.30 (the API server drops the field, so the pod stops at once).
// Mode enforce replaces such a hook (a plain sleep) with the plan's; mode
// audit reports it as an error, as it reports every change default would
// make; mode default warns. The findings are apart from the plan's: they
// do not stop the plan (audit goes on to report the rest).
func CheckHookVersions(w *Workload, c *config.Config, p *Plan) []Finding {
	var out []Finding
	if p.Skip != "" || !c.KubernetesVersion.IsSet() || c.KubernetesVersion.AtLeast(1, 30) {
		return nil
	}
	for _, ct := range w.Containers {
		if ct.MeshProxy || ct.Hook != HookSleep {
			continue
		}
		if slices.ContainsFunc(p.Hooks, func(h Hook) bool { return h.Index == ct.Index && h.Name == ct.Name }) {
			continue // replaced by the plan
		}
		field := fmt.Sprintf("%s.containers[name=%s].lifecycle.preStop.sleep", PodSpecPath, ct.Name)
		msg := fmt.Sprintf("the native sleep preStop (%d s) cannot run on Kubernetes %s: the sleep action is on by default from 1.30 and the API server drops it below, so the container stops at once; mode enforce replaces it with an exec sleep (or the sleep endpoint for a shell-less image)", ct.HookSeconds, c.KubernetesVersion)
		if c.Mode == config.ModeAudit {
			out = append(out, Finding{Error, field, "audit: " + msg})
		} else {
			out = append(out, Finding{Warning, field, msg})
		}
	}
	return out
}
