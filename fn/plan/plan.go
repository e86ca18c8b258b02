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
	// AnnotationExposed "true"/"false" says whether the workload is behind
	// the platform's load balancer when the input does not show it.
	AnnotationExposed = AnnotationPrefix + "exposed"
	// AnnotationDrainHelpers lists (comma-separated) containers the app
	// needs while it drains: their preStop covers P + D.
	AnnotationDrainHelpers = AnnotationPrefix + "drain-helpers"
	// AnnotationRollingUpdate "true" replaces a Recreate strategy with
	// RollingUpdate (no mode does otherwise).
	AnnotationRollingUpdate = AnnotationPrefix + "rolling-update"
)

var knownAnnotations = []string{AnnotationSkip, AnnotationPreStop, AnnotationShutdown, AnnotationMinReady, AnnotationShell, AnnotationExposed, AnnotationDrainHelpers, AnnotationRollingUpdate}

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
	// Helper: a container the app needs while it drains; its preStop
	// covers P + D.
	Helper bool
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
	// Kind of the workload (the messages differ by how each kind rolls).
	Kind string
	// Skip is the reason the workload is left alone ("" when planned).
	Skip string
	// Path says how traffic reaches the pods and whose numbers apply
	// ("behind HTTPRoute shop/web (Gateway shop/gw) → gke-neg",
	// "in-cluster only → generic").
	Path string
	// NoSurge: the rollout cannot place a second pod beside the old one
	// (Recreate, StatefulSet, hostPort, hostNetwork, one pod per node).
	NoSurge bool
	// InCluster: the in-cluster numbers apply (kube-proxy or the mesh sends
	// to the pods; L is the endpoint sync, not a load balancer's).
	InCluster bool
	// LBStop (L), PreStop (P: the longest hook of the pod after the plan),
	// Shutdown (D) and Grace (T): the shutdown timeline, in seconds.
	LBStop, PreStop, Shutdown, Grace int
	// Hooks to write; containers not listed keep what they have.
	Hooks []Hook
	// ScriptPreStop: a kept preStop of a serving container is a script of
	// unknown length (PreStop counts it as 0).
	ScriptPreStop bool
	// SetGrace: write Grace to terminationGracePeriodSeconds.
	SetGrace bool
	// MinReady to write when SetMinReady.
	MinReady    int
	SetMinReady bool
	// ProgressDeadline to write when SetProgressDeadline (it must stay
	// above minReadySeconds).
	ProgressDeadline    int
	SetProgressDeadline bool
	// Gates to add to readinessGates.
	Gates []string
	// AWSIPTargets: an AWS load balancer reaches the pods as IP targets
	// (or may: the input does not say), so the AWS Load Balancer
	// Controller's target-health gates concern them.
	AWSIPTargets bool
	// Rollout strategy fields to write.
	Strategy Rollout
	// Mesh is what the plan wants of the pods' mesh proxy (mesh.go).
	Mesh     Mesh
	Findings []Finding
	// Margin over the platform figures, and the expected times (margin.go).
	Margin *Margin
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
	p := &Plan{Kind: w.Kind, LBStop: c.Profile.LBStopSeconds}
	if v, ok := w.Annotations[AnnotationSkip]; ok && v == "true" {
		p.Skip = "opted out with " + AnnotationSkip + `: "true"`
		return p
	}
	if w.NoTemplate {
		p.Skip = "it has no pod template (spec.workloadRef): its pods are planned through the Deployment it names"
		if w.WorkloadRef == "" {
			p.Skip = "it has no pod template (spec.workloadRef): plan the referenced workload instead"
		}
		return p
	}
	w = sleepEndpoints(w, c)
	prof := planPath(w, c, p)
	prof = useMeasured(c, p, prof)
	nums := resolveNumbers(w, c, p, prof)
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
	case len(w.Services) > len(w.MetricsServices):
		serving = true
	case serving:
		// Said once per run (the processor): no Service selects it, yet it
		// declares ports; planned in-cluster (planPath).
	default:
		p.Skip = "no Service in the input selects its pods" + metricsAside(w) + " and no container declares a port other than metrics: not serving traffic"
		return p
	}

	kept := planHooks(w, c, p, nums, prof)
	proxy := planMesh(w, c, p)
	planGrace(w, c, p, nums, kept, proxy)
	planHelpers(w, c, p)
	finishMesh(w, c, p)
	planMinReady(w, c, p, nums)
	planGates(w, c, p)
	planStrategy(w, c, p)
	planDeadline(w, p)
	planWarnings(w, p)
	planMargin(w, c, p, prof)
	return p
}

// sleepEndpoints reads the length of httpGet preStops on the configured
// sleep endpoint (what the plan writes for shell-less images below 1.30)
// from their path, so that they count as sleeps and not as scripts.
func sleepEndpoints(w *Workload, c *config.Config) *Workload {
	before, after, ok := strings.Cut(c.SleepEndpointPath, "{seconds}")
	if !ok {
		return w
	}
	cp := *w
	cp.Containers = slices.Clone(w.Containers)
	for i, ct := range cp.Containers {
		if ct.Hook != HookHTTPGet || !strings.HasPrefix(ct.HookPath, before) || !strings.HasSuffix(ct.HookPath, after) || len(ct.HookPath) < len(before)+len(after) {
			continue
		}
		if n, err := strconv.Atoi(ct.HookPath[len(before) : len(ct.HookPath)-len(after)]); err == nil && n >= 0 {
			cp.Containers[i].HookSeconds = n
		}
	}
	return &cp
}

func metricsAside(w *Workload) string {
	if len(w.MetricsServices) > 0 {
		return " but for metrics (" + strings.Join(w.MetricsServices, ", ") + ")"
	}
	return ""
}

// numbers are the targets after profile, config and annotations.
type numbers struct {
	preStop, shutdown, minReady int
	// preStopPinned: the preStop was set by config or annotation, not the
	// profile, so a cap must not shorten it; shutdownPinned alike.
	preStopPinned, shutdownPinned bool
	// shutdownOwn: shutdown is the time the user's grace period leaves the
	// app after SIGTERM; the grace period is then P + D exactly, without
	// the API default as a floor (else a second run would read back more).
	shutdownOwn bool
	shell       *bool
	// helpers named by annotation.
	helpers []string
	// rolling: the workload opted in to RollingUpdate under enforce.
	rolling bool
}

func resolveNumbers(w *Workload, c *config.Config, p *Plan, prof profile.Profile) numbers {
	n := numbers{preStop: prof.PreStopSeconds, shutdown: c.Profile.ShutdownSeconds, minReady: prof.MinReadySeconds}
	if c.PreStopSeconds != nil {
		n.preStop, n.preStopPinned = *c.PreStopSeconds, true
	}
	if c.ShutdownSeconds != nil {
		n.shutdown, n.shutdownPinned = *c.ShutdownSeconds, true
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
			dst, n.shutdownPinned = &n.shutdown, true
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
		case AnnotationExposed:
			continue // planPath
		case AnnotationRollingUpdate:
			if v != "true" && v != "false" {
				p.add(Error, field(key), "%q is not true or false", v)
			}
			n.rolling = v == "true"
			continue
		case AnnotationDrainHelpers:
			for _, name := range strings.Split(v, ",") {
				if name = strings.TrimSpace(name); name == "" {
					continue
				}
				if !slices.ContainsFunc(w.Containers, func(ct Container) bool { return ct.Name == name }) {
					p.add(Warning, field(key), "names %q, which is not a container of the pod; it has no effect", name)
					continue
				}
				n.helpers = append(n.helpers, name)
			}
			continue
		default:
			p.add(Warning, field(key), "%s", config.UnknownAnnotation(key, knownAnnotations))
			continue
		}
		s, err := config.ParseSeconds(strings.TrimSpace(v))
		if err != nil {
			p.add(Error, field(key), "%v", err)
			continue
		}
		*dst = s
	}
	if cap := graceCap(w, c); cap > 0 && n.preStopPinned && n.preStop >= cap {
		p.add(Error, field(AnnotationPreStop), "a %d s preStop cannot fit under %s (at most %d s)", n.preStop, capWhere(w, c), cap-1)
	}
	if own := ownShutdown(w); !n.shutdownPinned && own >= 0 {
		// The time a grace period the user set leaves after the user's
		// preStop (all of it, without one) is the app's own shutdown
		// need: it keeps that long after SIGTERM, after the plan's preStop.
		// (On the function's own output this reads back the same D.)
		n.shutdown, n.shutdownOwn = own, true
	}
	for _, path := range w.Paths {
		if path.RequestTimeout <= n.shutdown {
			continue
		}
		if n.shutdownPinned {
			p.add(Warning, "", "%s lets a request run %d s (%s), longer than the %d s shutdown budget that is set: requests still running when the app must exit are cut", path.Via, path.RequestTimeout, path.RequestTimeoutField, n.shutdown)
			continue
		}
		n.shutdown = path.RequestTimeout
		p.add(Info, "", "shutdown budget raised to %d s: %s lets a request run that long (%s)", n.shutdown, path.Via, path.RequestTimeoutField)
	}
	return n
}

// ownShutdown is the time the pods get after SIGTERM as the user wrote them:
// the grace period less the longest preStop of known length (-1 when the
// grace period is not set, or shorter than that preStop).
func ownShutdown(w *Workload) int {
	if w.Grace == nil {
		return -1
	}
	pre := 0
	for _, ct := range w.Containers {
		if !ct.MeshProxy && !ct.Helper && ct.HookSeconds > 0 {
			pre = max(pre, ct.HookSeconds)
		}
	}
	if pre > *w.Grace {
		return -1
	}
	return *w.Grace - pre
}

// graceCap is the grace-period cap on the workload's pods: the profile's
// Spot cap when they select Spot capacity or the config says spot: true.
func graceCap(w *Workload, c *config.Config) int {
	if c.Spot || w.Spot {
		return c.Profile.SpotGraceCap
	}
	return 0
}

func capWhere(w *Workload, c *config.Config) string {
	if c.Spot {
		return fmt.Sprintf("the %d s grace-period cap of profile %s with spot", graceCap(w, c), c.Profile.Name)
	}
	return fmt.Sprintf("the %d s grace-period cap of profile %s on Spot capacity, which the pods select", graceCap(w, c), c.Profile.Name)
}

// shelllessImages are image-name parts of images known to have no /bin/sh.
// Beyond the generic markers (distroless, Chainguard, scratch), images of
// common components, checked in their build files: kube-state-metrics
// (Dockerfile: FROM gcr.io/distroless/static), metrics-server (Dockerfile:
// FROM gcr.io/distroless/static), KEDA (Dockerfile: FROM
// gcr.io/distroless/static:nonroot), cert-manager (make/base_images.mk:
// gcr.io/distroless/static-debian12 and base-debian12), CoreDNS
// (Dockerfile: FROM scratch) and the AWS Load Balancer Controller
// (Dockerfile: FROM eks-distro-minimal-base-nonroot).
var shelllessImages = []string{
	"distroless", "chainguard", "cgr.dev/", "scratch", "static-debian", "/static:",
	"kube-state-metrics/kube-state-metrics", "metrics-server/metrics-server",
	"kedacore/keda", "jetstack/cert-manager-", "coredns/coredns",
	"eks/aws-load-balancer-controller",
}

// shellless reports whether an image is known to have no /bin/sh.
func shellless(image string, c *config.Config) bool {
	img := strings.ToLower(image)
	for _, pat := range append(append([]string(nil), shelllessImages...), c.ShelllessImages...) {
		if pat != "" && strings.Contains(img, strings.ToLower(pat)) {
			return true
		}
	}
	return false
}

// replaceable reports whether enforce mode may replace an existing hook: only
// plain sleeps are; a custom drain command is the user's logic.
func replaceable(ct Container) bool {
	return ct.Hook == HookSleep || (ct.Hook != HookNone && ct.HookSeconds >= 0)
}

// planHooks plans each container's preStop and returns the longest hook the
// user wrote and the plan keeps (a script of unknown length counts as 0).
func planHooks(w *Workload, c *config.Config, p *Plan, n numbers, prof profile.Profile) (kept int) {
	native := !c.KubernetesVersion.IsSet() || c.KubernetesVersion.AtLeast(1, 30)
	longest := 0
	var guessed []string
	for _, ct := range w.Containers {
		if ct.MeshProxy {
			continue
		}
		helper := ct.Helper || slices.Contains(n.helpers, ct.Name)
		field := fmt.Sprintf("%s.containers[name=%s].lifecycle.preStop", PodSpecPath, ct.Name)
		if ct.Hook != HookNone && !(c.Mode == config.ModeEnforce && replaceable(ct)) {
			secs := ct.HookSeconds
			if secs < 0 {
				// A script (ingress-nginx's /wait-shutdown sends SIGTERM at
				// once) has no length the plan can know: it is not counted
				// as keeping the pod serving.
				secs = 0
				p.ScriptPreStop = p.ScriptPreStop || !helper
				if p.LBStop > 0 && !helper {
					p.add(Warning, field, "kept the container's own %s preStop; its length is unknown, so it is not counted as keeping the pod serving: unless it waits %d s (the load balancer of %s stops sending by then) before the app stops, new requests reach a stopping app", ct.Hook, p.LBStop, prof.Name)
				}
			} else if secs > config.MaxSeconds {
				// Its grace period would pass what the next run reads back.
				p.add(Error, field, "the container's own preStop of %d s is longer than a day (%d s); shorten it", secs, config.MaxSeconds)
				continue
			} else if secs < p.LBStop && secs < reachable(w, c, n) && !helper {
				p.add(Warning, field, "kept the container's own preStop of %d s, shorter than the %d s the load balancer needs to stop sending (%s); raise it or use mode: enforce", secs, p.LBStop, prof.Name)
			}
			if !helper {
				longest = max(longest, secs)
				kept = max(kept, secs)
			}
			continue
		}
		if n.preStop == 0 {
			continue
		}
		h := Hook{Index: ct.Index, Name: ct.Name, Seconds: n.preStop, Helper: helper}
		hasShell := !shellless(ct.Image, c)
		if n.shell != nil {
			hasShell = *n.shell
		}
		switch {
		case native:
			h.Mechanism = MechSleep
		case hasShell:
			h.Mechanism = MechExec
			if n.shell == nil {
				guessed = append(guessed, ct.Image)
			}
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
		if !helper {
			longest = max(longest, n.preStop)
		}
	}
	if len(guessed) > 0 {
		p.add(Warning, PodSpecPath+".containers", "the exec sleep assumes /bin/sh in %s, which is not known to lack one; if it is distroless or scratch-based the hook fails and the pod stops at once: annotate %s: \"false\" (or list the image in shelllessImages), or \"true\" to confirm", strings.Join(guessed, ", "), AnnotationShell)
	}
	p.PreStop = longest
	return kept
}

// reachable is the longest preStop the plan could give: the profile's or the
// configured one, shortened to fit a grace-period cap.
func reachable(w *Workload, c *config.Config, n numbers) int {
	if cap := graceCap(w, c); cap > 0 && !n.preStopPinned {
		return min(n.preStop, max(cap-n.shutdown, 1))
	}
	return n.preStop
}

// planHelpers gives the helpers the app needs while it drains (a database
// or auth proxy) a preStop that covers the app's preStop and shutdown, P +
// D, so that they exit after it; at most T − 1 (a sleep must end inside the
// grace period).
func planHelpers(w *Workload, c *config.Config, p *Plan) {
	for i := range p.Hooks {
		if !p.Hooks[i].Helper {
			continue
		}
		s := min(p.PreStop+p.Shutdown, p.Grace-1)
		if s <= 0 {
			continue
		}
		p.Hooks[i].Seconds = s
		if p.Hooks[i].Mechanism == MechHTTPGet {
			p.Hooks[i].HTTPPath = strings.ReplaceAll(c.SleepEndpointPath, "{seconds}", strconv.Itoa(s))
		}
	}
}

// proxy is how long the grace period must be for a mesh proxy setting the
// user wrote and the plan keeps (0: none).
func planGrace(w *Workload, c *config.Config, p *Plan, n numbers, kept, proxy int) {
	if w.Grace == nil && !n.shutdownPinned && !n.shutdownOwn {
		// Without a grace period the app has the API default after its
		// preStop, less the plan's preStop: at least the profile's D. (The
		// grace period written is then P + D, which a second run reads
		// back as the same D.)
		// Under a grace-period cap below the default, the cap is the floor
		// (the platform would cut the default anyway).
		floor := DefaultGrace
		if cap := graceCap(w, c); cap > 0 {
			floor = min(floor, cap)
		}
		n.shutdown = max(n.shutdown, floor-p.PreStop)
	}
	p.Shutdown = n.shutdown
	needed := p.PreStop + n.shutdown
	helpers := slices.ContainsFunc(p.Hooks, func(h Hook) bool { return h.Helper })
	if (p.PreStop > 0 && n.shutdown == 0) || helpers {
		needed++ // a sleep action must end before the grace period does
	}
	floor := DefaultGrace
	if n.shutdownOwn {
		floor = 0
	}
	target := max(needed, floor, proxy)
	script := false
	for _, ct := range w.Containers {
		script = script || (!ct.MeshProxy && ct.Hook != HookNone && ct.HookSeconds < 0)
	}
	if (c.Mode != config.ModeEnforce || script) && w.Grace != nil {
		// Mode default never lowers; no mode lowers the grace period of a
		// pod whose own preStop script is kept: its length is unknown.
		target = max(target, *w.Grace)
	}
	if w.Grace != nil && target == *w.Grace && target > needed && !n.shutdownPinned {
		// The user's grace period is kept (a kept script, or a preStop
		// shorter than the one it replaces): the app gets the rest.
		p.Shutdown = target - p.PreStop
	}
	field := PodSpecPath + ".terminationGracePeriodSeconds"
	if cap := graceCap(w, c); cap > 0 && target > cap {
		if w.Grace != nil && *w.Grace > cap {
			p.add(Warning, field, "lowered from %d s to %s, which the platform would enforce anyway", *w.Grace, capWhere(w, c))
		}
		target = cap
		if needed > cap {
			shrinkToCap(w, c, p, n, kept, cap)
		}
	}
	p.Grace = target
	p.SetGrace = w.Grace == nil || *w.Grace != target
	if pre := c.Profile.PreemptionSeconds; pre > 0 && (c.Spot || w.Spot) && target > pre {
		// Not a cap: rollouts and drains honour the grace period.
		p.add(Warning, field, "on Spot capacity a preemption gives pods %d s (profile %s), not the %d s grace period: rollouts and drains keep the whole plan, but a preemption cuts the preStop and shutdown after %d s; keep Spot for workloads that tolerate it",
			pre, c.Profile.Name, target, pre)
	}
	if p.PreStop+p.Shutdown > p.Grace && !p.HasErrors() {
		p.add(Warning, field, "%d s does not cover the %d s preStop plus %d s of shutdown", p.Grace, p.PreStop, p.Shutdown)
	}
	if before := ownShutdown(w); before >= 0 && !p.HasErrors() {
		if after := p.Grace - p.PreStop; after < before && p.Shutdown == n.shutdown {
			p.add(Warning, field, "the app gets %d s after SIGTERM instead of %d s (grace period %d s, preStop %d s)", after, before, p.Grace, p.PreStop)
		}
	}
}

// shrinkToCap fits P + D under a grace-period cap. A profile preStop shrinks
// (the platform's cap wins over its advice); a pinned one, or a hook the user
// wrote, keeps its length and the shutdown budget shrinks instead.
func shrinkToCap(w *Workload, c *config.Config, p *Plan, n numbers, kept, cap int) {
	from := p.PreStop
	if !n.preStopPinned {
		budget := max(cap-p.Shutdown, 1)
		if n.shutdownOwn {
			// A shutdown budget the user's grace period set shrinks first
			// (with a warning), down to the profile's D: the preStop is
			// what keeps new requests away.
			budget = max(cap-min(p.Shutdown, c.Profile.ShutdownSeconds), 1)
		}
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
		if !h.Helper {
			p.PreStop = max(p.PreStop, h.Seconds)
		}
	}
	where := capWhere(w, c)
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
	if w.OwnerRollout != "" {
		// The Rollout's own minReadySeconds applies, not the template
		// Deployment's.
		p.MinReady = target
		if have := w.OwnerMinReady; target > 0 && (have == nil || *have < target) {
			from := "unset"
			if have != nil {
				from = strconv.Itoa(*have)
			}
			p.add(Warning, "", "Rollout %s runs these pods (spec.workloadRef) and its own spec.minReadySeconds applies (%s): set it to %d; the Deployment's is not used", w.OwnerRollout, from, target)
		}
		return
	}
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
	if len(w.InstanceTargetGroups) > 0 {
		// aws-load-balancer-controller docs/deploy/pod_readiness_gate.md:
		// the gate "only works with target-type: ip"; with instance
		// targets the controller never sets the condition.
		p.add(Warning, PodSpecPath+".readinessGates", "no target-health readiness gate for TargetGroupBinding %s: its targetType is not ip, and the AWS Load Balancer Controller sets the condition only for ip targets (the pods would never become Ready); set spec.targetType: ip on the binding if its target group is of type ip", strings.Join(w.InstanceTargetGroups, ", "))
	}
}

// noSurge says why a new pod cannot start beside the old one ("" when it
// can): a host port or the host's network, or one pod per node.
func noSurge(w *Workload) string {
	if w.HostNetwork {
		return "the pods use the host's network (hostNetwork: true)"
	}
	for _, ct := range w.Containers {
		if ct.HostPort {
			return fmt.Sprintf("container %s binds a hostPort", ct.Name)
		}
	}
	if w.RequiredAntiAffinity && w.Kind != "DaemonSet" {
		return "a required pod anti-affinity allows one pod per node (kubernetes.io/hostname)"
	}
	return ""
}

func planStrategy(w *Workload, c *config.Config, p *Plan) {
	enforce := c.Mode == config.ModeEnforce
	if w.OwnerRollout != "" {
		p.add(Info, "spec.strategy", "left as written: Rollout %s runs these pods (spec.workloadRef) with its own strategy", w.OwnerRollout)
		return
	}
	s := w.Strategy
	blocked := noSurge(w)
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
			p.NoSurge = true
			// Recreate is a deliberate choice (one writer, a leaderless
			// controller such as external-dns, a volume one pod may
			// mount): no mode converts it; the workload's own opt-in does.
			switch {
			case blocked != "":
				p.add(Info, base+".type", "Recreate kept: %s, so a new pod cannot start beside the old one", blocked)
			case numbersRolling(w):
				p.add(Warning, base+".type", "Recreate stops every pod before new ones start; replaced with RollingUpdate (maxUnavailable 0) as %s: \"true\" asks", AnnotationRollingUpdate)
				p.Strategy = Rollout{Type: "RollingUpdate", MaxUnavailable: "0", MaxSurge: c.MaxSurge}
				p.NoSurge = false
			default:
				why := ""
				if w.HasPVC {
					why = " (the pods mount a PersistentVolumeClaim, which a surge pod may not be able to attach)"
				}
				p.add(Warning, base+".type", "Recreate stops every pod before new ones start: each rollout is an outage%s. Kept in every mode: it is often deliberate (one writer, a controller without leader election); annotate %s: \"true\" to roll it with a surge", why, AnnotationRollingUpdate)
			}
			return
		}
		if w.Kind != "Rollout" || s.Canary {
			if claims := singleNodeClaims(w); claims != "" {
				// A surge pod scheduled on another node cannot attach the
				// claim (Multi-Attach error): with maxUnavailable 0 the
				// rollout waits for it forever. The user's strategy stays.
				p.add(Warning, params, "the pods mount %s: a surge pod scheduled on another node cannot attach it (Multi-Attach error) and, with maxUnavailable 0, the rollout stalls; strategy left as written. Use Recreate (one writer), a ReadWriteMany volume, or a StatefulSet", claims)
				return
			}
		}
		unavail := s.MaxUnavailable
		if blocked != "" {
			p.NoSurge = true
			if unavail == "" || isZero(unavail) {
				p.Strategy.MaxUnavailable = "1"
				if w.Kind == "Deployment" && s.Type == "" {
					p.Strategy.Type = "RollingUpdate"
				}
				p.add(Warning, params+".maxUnavailable", "%s, so a surge pod can never be placed where an old one runs: maxUnavailable 1 lets the rollout replace one pod at a time (each replacement leaves a gap)", blocked)
			} else {
				p.add(Warning, params+".maxUnavailable", "%s, so no surge can be placed: maxUnavailable %s kept; each replacement leaves a gap", blocked, unavail)
			}
			return
		}
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
		p.NoSurge = true // one pod per node, whatever the surge
		if s.Type == "OnDelete" {
			p.add(Info, "spec.updateStrategy.type", "OnDelete: pods are replaced only when deleted by hand")
			return
		}
		params := "spec.updateStrategy.rollingUpdate"
		if blocked != "" {
			// A surge pod of a DaemonSet runs on the same node as the old
			// one: with a host port or the host network it cannot start
			// (Kubernetes docs, "Perform a Rolling Update on a DaemonSet":
			// maxSurge).
			if (s.MaxSurge != "" && !isZero(s.MaxSurge)) || isZero(s.MaxUnavailable) {
				p.Strategy = Rollout{MaxUnavailable: "1", MaxSurge: "0"}
				p.add(Warning, params, "%s, so a surge pod cannot start beside the old one on its node and the rollout would stall: maxSurge 0, maxUnavailable 1 (each node has a gap while its pod is replaced)", blocked)
			} else {
				p.add(Warning, params, "%s, so a new pod cannot start beside the old one on the same node: each node has a gap while its pod is replaced", blocked)
			}
			return
		}
		if isZero(s.MaxSurge) && !enforce {
			p.add(Warning, params+".maxSurge", "maxSurge 0 kept (never two pods of it on one node): each node's pod is down while it is replaced; mode enforce, or a maxSurge, keeps it serving")
			return
		}
		if s.MaxUnavailable == "" || (enforce && !isZero(s.MaxUnavailable)) {
			p.Strategy.MaxUnavailable = "0"
		} else if !isZero(s.MaxUnavailable) {
			p.add(Warning, params+".maxUnavailable", "maxUnavailable %s takes a node's pod down before its replacement is ready; 0 with a surge keeps it serving (kept in mode default)", s.MaxUnavailable)
			return
		}
		if s.MaxSurge == "" || isZero(s.MaxSurge) {
			p.Strategy.MaxSurge = "1"
			if c.MaxSurgeSet {
				p.Strategy.MaxSurge = c.MaxSurge
			}
		}
		if s.Type == "" {
			p.Strategy.Type = "RollingUpdate"
		}
	case "StatefulSet":
		p.NoSurge = true
		if s.Type == "OnDelete" {
			p.add(Info, "spec.updateStrategy.type", "OnDelete: pods are replaced only when deleted by hand")
		}
		// StatefulSets cannot surge: pods are replaced one at a time, and
		// minReadySeconds with the preStop is what keeps traffic safe.
	}
}

// singleNodeClaims names the claims a surge pod may fail to attach: those
// the input declares ReadWriteOnce(Pod), and those it does not declare
// (most storage classes give ReadWriteOnce); "" when none.
func singleNodeClaims(w *Workload) string {
	var parts []string
	for _, c := range w.SingleNodeClaims {
		parts = append(parts, "ReadWriteOnce claim "+c)
	}
	for _, c := range w.UnknownClaims {
		parts = append(parts, "claim "+c+" (not in the input; most volumes are ReadWriteOnce)")
	}
	return strings.Join(parts, ", ")
}

// numbersRolling reports the opt-in to RollingUpdate by annotation.
func numbersRolling(w *Workload) bool { return w.Annotations[AnnotationRollingUpdate] == "true" }

// DefaultProgressDeadline is the API default of progressDeadlineSeconds
// (Deployment; Argo Rollouts uses the same).
const DefaultProgressDeadline = 600

// planDeadline keeps progressDeadlineSeconds above minReadySeconds: the API
// server rejects a Deployment whose deadline is not greater
// (kubernetes/kubernetes pkg/apis/apps/validation ValidateDeploymentSpec:
// "must be greater than minReadySeconds"; Argo Rollouts validates the same).
func planDeadline(w *Workload, p *Plan) {
	if cn := w.Canary; cn != nil {
		// Flagger copies the target into the primary (minReadySeconds
		// included) and fails a canary whose pods are not available
		// within the Canary's progressDeadlineSeconds.
		p.add(Info, "", "Flagger Canary %s runs these pods as Deployment %s (labels suffixed -primary); the plan is applied to the template Flagger copies, and budgets select the primary pods", cn.Name, cn.Primary)
		if p.MinReady >= cn.ProgressDeadline {
			p.add(Warning, "spec.minReadySeconds", "minReadySeconds %d is not below the progressDeadlineSeconds (%d) of Canary %s: every analysis would fail on its deadline; raise the Canary's spec.progressDeadlineSeconds to at least %d", p.MinReady, cn.ProgressDeadline, cn.Name, p.MinReady+DefaultProgressDeadline)
		}
	}
	if (w.Kind != "Deployment" && w.Kind != "Rollout") || w.OwnerRollout != "" {
		return
	}
	have := DefaultProgressDeadline
	if w.ProgressDeadline != nil {
		have = *w.ProgressDeadline
	}
	if p.MinReady < have {
		return
	}
	p.ProgressDeadline, p.SetProgressDeadline = p.MinReady+DefaultProgressDeadline, true
	p.add(Info, "spec.progressDeadlineSeconds", "raised from %d s to %d s: it must stay greater than minReadySeconds (%d s), or the API server rejects the %s", have, p.ProgressDeadline, p.MinReady, w.Kind)
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
			switch {
			case len(w.SharedWith) > 0:
				p.add(Info, "spec.replicas", "%d replica: a node drain takes this workload's pod down, while its Service keeps the pods of %s", n, strings.Join(w.SharedWith, ", "))
			case w.Kind == "StatefulSet":
				p.add(Warning, "spec.replicas", "%d replica: a StatefulSet stops its pod before the replacement starts, so every rollout, drain or eviction takes the only pod down: an outage", n)
			case p.NoSurge:
				p.add(Warning, "spec.replicas", "%d replica: it cannot surge, so every rollout, drain or eviction takes the only pod down", n)
			default:
				p.add(Warning, "spec.replicas", "%d replica: a node drain or eviction takes the only pod down (a rollout surges first, a drain does not)", n)
			}
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
