package plan

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/graceful-rollout/graceful-rollout/fn/config"
	"github.com/graceful-rollout/graceful-rollout/fn/profile"
)

// Annotations a workload can carry to override the plan.
const (
	AnnotationPrefix   = "graceful-rollout.dev/"
	AnnotationSkip     = AnnotationPrefix + "skip"
	AnnotationPreStop  = AnnotationPrefix + "pre-stop-seconds"
	AnnotationShutdown = AnnotationPrefix + "shutdown-seconds"
	AnnotationMinReady = AnnotationPrefix + "min-ready-seconds"
	AnnotationShell    = AnnotationPrefix + "shell"
)

var knownAnnotations = []string{AnnotationSkip, AnnotationPreStop, AnnotationShutdown, AnnotationMinReady, AnnotationShell}

// DefaultGrace is the API default of terminationGracePeriodSeconds; the plan
// never fills in a shorter one.
const DefaultGrace = 30

// Severity of a finding, as in KRM function results.
type Severity string

const (
	Info    Severity = "info"
	Warning Severity = "warning"
	Error   Severity = "error"
)

// Finding is one thing the plan has to say about a workload.
type Finding struct {
	Severity Severity
	// Field is the path in the workload the finding is about ("" for the
	// whole object).
	Field   string
	Message string
}

// Mechanism is how a preStop hook waits.
type Mechanism string

const (
	// MechSleep: the native lifecycle.preStop.sleep action (Kubernetes >= 1.30).
	MechSleep Mechanism = "sleep"
	// MechExec: exec ["sh", "-c", "sleep N"] for images with a shell.
	MechExec Mechanism = "exec"
	// MechHTTPGet: an HTTP endpoint of the app that sleeps.
	MechHTTPGet Mechanism = "httpGet"
)

// Hook is the preStop the plan wants one container to have.
type Hook struct {
	Index     int
	Name      string
	Mechanism Mechanism
	Seconds   int
	// HTTPPath/HTTPPort for MechHTTPGet.
	HTTPPath string
	HTTPPort string
}

// Rollout is the strategy the plan wants; empty strings leave a field alone.
type Rollout struct {
	// Type to set ("" leaves it).
	Type           string
	MaxUnavailable string
	MaxSurge       string
}

// Plan is what the function will make true of one workload.
type Plan struct {
	// Skip is the reason the workload is left alone ("" when planned).
	Skip string
	// LBStop (L), PreStop (P: the longest hook of the pod after the plan),
	// Shutdown (D) and Grace (T): the shutdown timeline, in seconds.
	LBStop, PreStop, Shutdown, Grace int
	// Hooks to write; containers not listed keep what they have.
	Hooks []Hook
	// SetGrace: write Grace to terminationGracePeriodSeconds.
	SetGrace bool
	// MinReady to write when SetMinReady.
	MinReady    int
	SetMinReady bool
	// Gates to add to readinessGates.
	Gates []string
	// Rollout strategy fields to write.
	Strategy Rollout
	// Mesh is what the plan wants of the pods' mesh proxy (mesh.go).
	Mesh     Mesh
	Findings []Finding
}

func (p *Plan) add(sev Severity, field, format string, args ...any) {
	p.Findings = append(p.Findings, Finding{Severity: sev, Field: field, Message: fmt.Sprintf(format, args...)})
}

// HasErrors reports an error-severity finding.
func (p *Plan) HasErrors() bool {
	for _, f := range p.Findings {
		if f.Severity == Error {
			return true
		}
	}
	return false
}

// PodSpecPath is where the pod template's spec lives in every supported kind.
const PodSpecPath = "spec.template.spec"

// Make plans one workload.
func Make(w *Workload, c *config.Config) *Plan {
	p := &Plan{LBStop: c.Profile.LBStopSeconds}
	if v, ok := w.Annotations[AnnotationSkip]; ok && v == "true" {
		p.Skip = "opted out with " + AnnotationSkip + `: "true"`
		return p
	}
	if w.NoTemplate {
		p.Skip = "it has no pod template (spec.workloadRef): plan the referenced Deployment instead"
		return p
	}
	nums := resolveNumbers(w, c, p)
	if p.HasErrors() {
		return p
	}
	serving := false
	for _, ct := range w.Containers {
		if !ct.MeshProxy && ct.Ports > 0 {
			serving = true
		}
	}
	switch {
	case len(w.Services) > 0:
		serving = true
	case serving:
		p.add(Info, "", "no Service in the input selects its pods; planned as serving because it declares container ports")
	default:
		p.Skip = "no Service in the input selects its pods and no container declares a port: not serving traffic"
		return p
	}

	kept := planHooks(w, c, p, nums)
	proxy := planMesh(w, c, p)
	planGrace(w, c, p, nums, kept, proxy)
	finishMesh(w, c, p)
	planMinReady(w, c, p, nums)
	planGates(w, c, p)
	planStrategy(w, c, p)
	planWarnings(w, p)
	return p
}

// numbers are the targets after profile, config and annotations.
type numbers struct {
	preStop, shutdown, minReady int
	// preStopPinned: the preStop was set by config or annotation, not the
	// profile, so a cap must not shorten it.
	preStopPinned bool
	shell         *bool
}

func resolveNumbers(w *Workload, c *config.Config, p *Plan) numbers {
	n := numbers{preStop: c.Profile.PreStopSeconds, shutdown: c.Profile.ShutdownSeconds, minReady: c.Profile.MinReadySeconds}
	if c.PreStopSeconds != nil {
		n.preStop, n.preStopPinned = *c.PreStopSeconds, true
	}
	if c.ShutdownSeconds != nil {
		n.shutdown = *c.ShutdownSeconds
	}
	if c.MinReadySeconds != nil {
		n.minReady = *c.MinReadySeconds
	}
	field := func(key string) string { return "metadata.annotations." + key }
	// In key order: a map's order would shuffle the findings between runs.
	for _, key := range slices.Sorted(maps.Keys(w.Annotations)) {
		v := w.Annotations[key]
		if !strings.HasPrefix(key, AnnotationPrefix) {
			continue
		}
		var dst *int
		switch key {
		case AnnotationPreStop:
			dst, n.preStopPinned = &n.preStop, true
		case AnnotationShutdown:
			dst = &n.shutdown
		case AnnotationMinReady:
			dst = &n.minReady
		case AnnotationShell:
			b, err := strconv.ParseBool(v)
			if err != nil || (v != "true" && v != "false") {
				p.add(Error, field(key), "%q is not true or false", v)
				continue
			}
			n.shell = &b
			continue
		case AnnotationSkip:
			if v != "false" {
				p.add(Error, field(key), "%q is not true or false", v)
			}
			continue
		default:
			p.add(Warning, field(key), "unknown annotation (known: %s); it has no effect", strings.Join(knownAnnotations, ", "))
			continue
		}
		s, err := config.ParseSeconds(strings.TrimSpace(v))
		if err != nil {
			p.add(Error, field(key), "%v", err)
			continue
		}
		*dst = s
	}
	if cap := c.GraceCap(); cap > 0 && n.preStopPinned && n.preStop >= cap {
		p.add(Error, field(AnnotationPreStop), "a %d s preStop cannot fit under the %d s grace-period cap of profile %s with spot (at most %d s)", n.preStop, cap, c.Profile.Name, cap-1)
	}
	return n
}

// shellless reports whether an image is known to have no /bin/sh.
func shellless(image string, c *config.Config) bool {
	img := strings.ToLower(image)
	for _, pat := range append([]string{"distroless", "chainguard", "cgr.dev/", "scratch", "static-debian", "/static:"}, c.ShelllessImages...) {
		if pat != "" && strings.Contains(img, strings.ToLower(pat)) {
			return true
		}
	}
	return false
}

// replaceable reports whether enforce mode may replace an existing hook: only
// plain sleeps are; a custom drain command is the user's logic.
func replaceable(ct Container) bool {
	return ct.Hook == HookSleep || (ct.Hook == HookExec && ct.HookSeconds >= 0)
}

// planHooks plans each container's preStop and returns the longest hook the
// user wrote and the plan keeps.
func planHooks(w *Workload, c *config.Config, p *Plan, n numbers) (kept int) {
	native := !c.KubernetesVersion.IsSet() || c.KubernetesVersion.AtLeast(1, 30)
	longest := 0
	for _, ct := range w.Containers {
		if ct.MeshProxy {
			continue
		}
		field := fmt.Sprintf("%s.containers[name=%s].lifecycle.preStop", PodSpecPath, ct.Name)
		if ct.Hook != HookNone && !(c.Mode == config.ModeEnforce && replaceable(ct)) {
			secs := ct.HookSeconds
			if secs < 0 {
				// A custom hook of unknown length: assume it takes no longer
				// than the planned preStop (shortened to fit a cap, as the
				// plan's own hooks are: the hook this plan writes must pass
				// the next run).
				secs = reachable(c, n)
				p.add(Info, field, "kept the container's own %s preStop; its length is unknown, so the plan assumes %d s", ct.Hook, secs)
			} else if secs > config.MaxSeconds {
				// Its grace period would pass what the next run reads back.
				p.add(Error, field, "the container's own preStop of %d s is longer than a day (%d s); shorten it", secs, config.MaxSeconds)
				continue
			} else if secs < p.LBStop && secs < reachable(c, n) {
				p.add(Warning, field, "kept the container's own preStop of %d s, shorter than the %d s the load balancer needs to stop sending (%s); raise it or use mode: enforce", secs, p.LBStop, c.Profile.Name)
			}
			longest = max(longest, secs)
			kept = max(kept, secs)
			continue
		}
		if n.preStop == 0 {
			continue
		}
		h := Hook{Index: ct.Index, Name: ct.Name, Seconds: n.preStop}
		hasShell := !shellless(ct.Image, c)
		if n.shell != nil {
			hasShell = *n.shell
		}
		switch {
		case native:
			h.Mechanism = MechSleep
		case hasShell:
			h.Mechanism = MechExec
		case c.SleepEndpointPath != "":
			h.Mechanism = MechHTTPGet
			h.HTTPPath = strings.ReplaceAll(c.SleepEndpointPath, "{seconds}", strconv.Itoa(n.preStop))
			h.HTTPPort = c.SleepEndpointPort
			if h.HTTPPort == "" {
				p.add(Error, field, "sleepEndpointPort is not set and the port of the sleep endpoint cannot be guessed for image %s; set sleepEndpointPort", ct.Image)
				continue
			}
		default:
			p.add(Error, field, "image %s has no shell, so an exec sleep would fail, and Kubernetes %s has no native sleep action (1.30+). Choose one: set kubernetesVersion to 1.30 or later if the cluster is; set sleepEndpointPath (and sleepEndpointPort) to an HTTP endpoint of the app that sleeps; annotate the workload %s: \"true\" if the image does have /bin/sh; or opt the workload out with %s: \"true\"",
				ct.Image, c.KubernetesVersion, AnnotationShell, AnnotationSkip)
			continue
		}
		p.Hooks = append(p.Hooks, h)
		longest = max(longest, n.preStop)
	}
	p.PreStop = longest
	return kept
}

// reachable is the longest preStop the plan could give: the profile's or the
// configured one, shortened to fit a grace-period cap.
func reachable(c *config.Config, n numbers) int {
	if cap := c.GraceCap(); cap > 0 && !n.preStopPinned {
		return min(n.preStop, max(cap-n.shutdown, 1))
	}
	return n.preStop
}

// proxy is how long the grace period must be for a mesh proxy setting the
// user wrote and the plan keeps (0: none).
func planGrace(w *Workload, c *config.Config, p *Plan, n numbers, kept, proxy int) {
	p.Shutdown = n.shutdown
	needed := p.PreStop + n.shutdown
	if p.PreStop > 0 && n.shutdown == 0 {
		needed++ // a sleep action must end before the grace period does
	}
	target := max(needed, DefaultGrace, proxy)
	if c.Mode != config.ModeEnforce && w.Grace != nil {
		target = max(target, *w.Grace)
	}
	field := PodSpecPath + ".terminationGracePeriodSeconds"
	if cap := c.GraceCap(); cap > 0 && target > cap {
		if w.Grace != nil && *w.Grace > cap {
			p.add(Warning, field, "lowered from %d s to the %d s cap of profile %s with spot, which the platform would enforce anyway", *w.Grace, cap, c.Profile.Name)
		}
		target = cap
		if needed > cap {
			shrinkToCap(c, p, n, kept, cap)
		}
	}
	p.Grace = target
	p.SetGrace = w.Grace == nil || *w.Grace != target
	if p.PreStop+p.Shutdown > p.Grace && !p.HasErrors() {
		p.add(Warning, field, "%d s does not cover the %d s preStop plus %d s of shutdown", p.Grace, p.PreStop, p.Shutdown)
	}
}

// shrinkToCap fits P + D under a grace-period cap. A profile preStop shrinks
// (the platform's cap wins over its advice); a pinned one, or a hook the user
// wrote, keeps its length and the shutdown budget shrinks instead.
func shrinkToCap(c *config.Config, p *Plan, n numbers, kept, cap int) {
	from := p.PreStop
	if !n.preStopPinned {
		budget := max(cap-p.Shutdown, 1)
		for i := range p.Hooks {
			p.Hooks[i].Seconds = min(p.Hooks[i].Seconds, budget)
			if p.Hooks[i].Mechanism == MechHTTPGet {
				// the sleep endpoint's path carries the seconds too
				p.Hooks[i].HTTPPath = strings.ReplaceAll(c.SleepEndpointPath, "{seconds}", strconv.Itoa(p.Hooks[i].Seconds))
			}
		}
	}
	p.PreStop = kept
	for _, h := range p.Hooks {
		p.PreStop = max(p.PreStop, h.Seconds)
	}
	where := fmt.Sprintf("the %d s grace-period cap of profile %s with spot", cap, c.Profile.Name)
	if p.PreStop < from {
		msg := fmt.Sprintf("preStop shortened from %d s to %d s (by %d s) to fit %s", from, p.PreStop, from-p.PreStop, where)
		if p.PreStop < p.LBStop {
			msg += fmt.Sprintf("; the load balancer may still send new requests for %d s after SIGTERM", p.LBStop-p.PreStop)
		}
		p.add(Warning, PodSpecPath+".containers", "%s", msg)
	}
	if p.PreStop >= cap {
		p.add(Error, PodSpecPath+".containers", "a preStop of %d s cannot end before %s", p.PreStop, where)
		return
	}
	if p.PreStop+p.Shutdown > cap {
		d := p.Shutdown
		p.Shutdown = cap - p.PreStop
		p.add(Warning, PodSpecPath+".terminationGracePeriodSeconds", "%s leaves the app %d s to shut down after its %d s preStop instead of %d s", where, p.Shutdown, p.PreStop, d)
	}
}

func planMinReady(w *Workload, c *config.Config, p *Plan, n numbers) {
	target := n.minReady
	if c.Mode != config.ModeEnforce && w.MinReady != nil {
		target = max(target, *w.MinReady)
	}
	p.MinReady = target
	p.SetMinReady = (w.MinReady == nil && target > 0) || (w.MinReady != nil && *w.MinReady != target)
}

func planGates(w *Workload, c *config.Config, p *Plan) {
	if c.Profile.Gate != profile.GateAWSTargetHealth {
		return
	}
	have := map[string]bool{}
	for _, g := range w.ReadinessGates {
		have[g] = true
	}
	for _, tgb := range w.TargetGroupBindings {
		g := "target-health.elbv2.k8s.aws/" + tgb
		if !have[g] {
			p.Gates = append(p.Gates, g)
			have[g] = true
		}
	}
}

func planStrategy(w *Workload, c *config.Config, p *Plan) {
	enforce := c.Mode == config.ModeEnforce
	s := w.Strategy
	switch w.Kind {
	case "Deployment", "Rollout":
		// params is where maxSurge and maxUnavailable live: under
		// rollingUpdate for a Deployment, directly under canary for a Rollout.
		base, params := "spec.strategy", "spec.strategy.rollingUpdate"
		if w.Kind == "Rollout" {
			if s.BlueGreen {
				p.add(Info, "spec.strategy.blueGreen", "blue-green: the old ReplicaSet keeps serving until the new one is promoted; no surge settings apply")
				return
			}
			if !s.Canary {
				return
			}
			base = "spec.strategy.canary"
			params = base
		}
		if w.Kind == "Deployment" && s.Type == "Recreate" {
			if enforce && !w.HasPVC {
				p.add(Warning, base+".type", "Recreate stops every pod before new ones start; replaced with RollingUpdate (maxUnavailable 0)")
				p.Strategy = Rollout{Type: "RollingUpdate", MaxUnavailable: "0", MaxSurge: c.MaxSurge}
			} else {
				why := ""
				if w.HasPVC {
					why = " (kept: the pods mount a PersistentVolumeClaim, which a surge may not be able to attach)"
				}
				p.add(Warning, base+".type", "Recreate stops every pod before new ones start: each rollout is an outage%s", why)
			}
			return
		}
		unavail := s.MaxUnavailable
		switch {
		case unavail == "":
			if isZero(s.MaxSurge) && !enforce {
				p.add(Warning, params+".maxSurge", "maxSurge is 0, so maxUnavailable cannot be 0: every rollout removes serving pods before their replacements are ready (kept in mode default; mode enforce sets a surge)")
				return
			}
			p.Strategy.MaxUnavailable = "0"
		case isZero(unavail):
		case enforce:
			p.Strategy.MaxUnavailable = "0"
		default:
			p.add(Warning, params+".maxUnavailable", "maxUnavailable %s removes serving pods before their replacements are ready; 0 with a surge keeps capacity (kept in mode default; mode enforce sets 0)", unavail)
			return
		}
		if s.MaxSurge == "" || (enforce && isZero(s.MaxSurge)) {
			p.Strategy.MaxSurge = c.MaxSurge
		}
		if w.Kind == "Deployment" && s.Type == "" && p.Strategy != (Rollout{}) {
			p.Strategy.Type = "RollingUpdate"
		}
	case "DaemonSet":
		if s.Type == "OnDelete" {
			p.add(Info, "spec.updateStrategy.type", "OnDelete: pods are replaced only when deleted by hand")
			return
		}
		hostPort := false
		for _, ct := range w.Containers {
			hostPort = hostPort || ct.HostPort
		}
		if hostPort {
			p.add(Warning, "spec.updateStrategy.rollingUpdate", "a container binds a hostPort, so a new pod cannot start beside the old one on the same node: each node has a gap while its pod is replaced")
			return
		}
		if s.MaxUnavailable == "" || (enforce && !isZero(s.MaxUnavailable)) {
			p.Strategy.MaxUnavailable = "0"
		} else if !isZero(s.MaxUnavailable) {
			p.add(Warning, "spec.updateStrategy.rollingUpdate.maxUnavailable", "maxUnavailable %s takes a node's pod down before its replacement is ready; 0 with maxSurge 1 keeps it serving (kept in mode default)", s.MaxUnavailable)
			return
		}
		if s.MaxSurge == "" || isZero(s.MaxSurge) {
			p.Strategy.MaxSurge = "1"
		}
		if s.Type == "" {
			p.Strategy.Type = "RollingUpdate"
		}
	case "StatefulSet":
		if s.Type == "OnDelete" {
			p.add(Info, "spec.updateStrategy.type", "OnDelete: pods are replaced only when deleted by hand")
		}
		// StatefulSets cannot surge: pods are replaced one at a time, and
		// minReadySeconds with the preStop is what keeps traffic safe.
	}
}

func isZero(v string) bool { return v == "0" || v == "0%" }

func planWarnings(w *Workload, p *Plan) {
	switch w.Kind {
	case "Deployment", "StatefulSet", "Rollout", "ReplicaSet":
		if w.HPAMinReplicas != nil {
			if *w.HPAMinReplicas < 2 {
				p.add(Warning, "", "its HorizontalPodAutoscaler allows minReplicas %d: a node drain or eviction takes the only pod down", *w.HPAMinReplicas)
			}
		} else if w.Replicas == nil || *w.Replicas < 2 {
			n := 1
			if w.Replicas != nil {
				n = *w.Replicas
			}
			p.add(Warning, "spec.replicas", "%d replica: a node drain or eviction takes the only pod down (a rollout surges first, a drain does not)", n)
		}
	}
	anyProbe, anyPorts := false, false
	for _, ct := range w.Containers {
		if ct.MeshProxy {
			continue
		}
		anyProbe = anyProbe || ct.Readiness
		anyPorts = anyPorts || ct.Ports > 0
		if ct.Ports > 0 && !ct.Readiness {
			p.add(Warning, fmt.Sprintf("%s.containers[name=%s].readinessProbe", PodSpecPath, ct.Name), "serving container has no readinessProbe: it receives traffic as soon as it starts, before it can answer")
		}
	}
	if !anyPorts && !anyProbe {
		p.add(Warning, PodSpecPath+".containers", "no container has a readinessProbe: pods receive traffic as soon as they start")
	}
}
