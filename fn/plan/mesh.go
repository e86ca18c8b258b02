package plan

import (
	"fmt"
	"strings"

	"github.com/graceful-rollout/graceful-rollout/fn/config"
)

// Pod-template annotations and labels of the meshes, and the Namespace
// labels and annotations that turn injection on or off.
const (
	// IstioInject is a pod label (or, older, annotation): "false" opts the
	// pod out, "true" opts it in.
	IstioInject = "sidecar.istio.io/inject"
	// IstioRev selects an Istio revision: on a Namespace or a pod it means
	// injection by that revision.
	IstioRev = "istio.io/rev"
	// IstioInjection is the Namespace label: enabled or disabled.
	IstioInjection = "istio-injection"
	// IstioNativeSidecar (pod annotation, Istio >= 1.24) asks for the proxy
	// as a native sidecar: "Added a new annotation sidecar.istio.io/
	// nativeSidecar to allow users to control native sidecar injection on a
	// per-pod basis" (istio.io 1.24.0 change notes).
	IstioNativeSidecar = "sidecar.istio.io/nativeSidecar"
	// IstioProxyConfig is the pod annotation holding a ProxyConfig
	// (istio/api mesh/v1alpha1/proxy.proto) as YAML.
	IstioProxyConfig = "proxy.istio.io/config"
	// LinkerdInject (pod or Namespace annotation): enabled, ingress or
	// disabled.
	LinkerdInject = "linkerd.io/inject"
	// LinkerdWaitBeforeExit delays the proxy's SIGTERM by a preStop sleep,
	// "no longer than pod's terminationGracePeriodSeconds" (linkerd2
	// pkg/k8s/labels.go ProxyWaitBeforeExitSecondsAnnotation: "Must be
	// smaller than terminationGracePeriodSeconds").
	LinkerdWaitBeforeExit = "config.alpha.linkerd.io/proxy-wait-before-exit-seconds"
	// LinkerdNativeSidecar / LinkerdNativeSidecarAlpha: linkerd-proxy as a
	// native sidecar ("If enabled, proxy.waitBeforeExitSeconds should not
	// be used", Linkerd proxy configuration reference).
	LinkerdNativeSidecar      = "config.beta.linkerd.io/proxy-enable-native-sidecar"
	LinkerdNativeSidecarAlpha = "config.alpha.linkerd.io/proxy-enable-native-sidecar"
	// IstioDataplaneMode (Namespace or pod label) "ambient" puts the pods
	// in Istio's ambient mesh: no sidecar, ztunnel on the node for L4;
	// L7 (retries, outlier detection) only through a waypoint, named by
	// IstioUseWaypoint on the Namespace, Service or pod (Istio docs,
	// "Ambient mode": add workloads to the mesh; use a waypoint proxy).
	IstioDataplaneMode = "istio.io/dataplane-mode"
	IstioUseWaypoint   = "istio.io/use-waypoint"
	// IstioDefaultDrainSeconds is terminationDrainDuration when unset: "If
	// not set, a default of 5s will be applied" (proxy.proto).
	IstioDefaultDrainSeconds = 5
)

// NamespaceMesh is what a Namespace object of the input says about
// injection.
type NamespaceMesh struct {
	// IstioInjection, IstioRev, IstioDataplane (istio.io/dataplane-mode)
	// and IstioWaypoint (istio.io/use-waypoint) are its labels;
	// LinkerdInject its annotation.
	IstioInjection, IstioRev, IstioDataplane, IstioWaypoint, LinkerdInject string
}

// MeshFacts is what the input says about a workload's mesh proxy.
type MeshFacts struct {
	// From the pod template: IstioInject (label, else annotation), IstioRev
	// (label), IstioNative, LinkerdInject and LinkerdNative (annotations).
	IstioInject, IstioRev, IstioNative, LinkerdInject, LinkerdNative string
	// IstioDataplane and IstioWaypoint are the pod template's
	// istio.io/dataplane-mode and istio.io/use-waypoint labels.
	IstioDataplane, IstioWaypoint string
	// Namespace is the workload's Namespace object, nil when the input has
	// none.
	Namespace *NamespaceMesh
	// What the pod's proxy.istio.io/config says: terminationDrainDuration
	// (whole seconds, rounded up), holdApplicationUntilProxyStarts, and
	// proxyMetadata EXIT_ON_ZERO_ACTIVE_CONNECTIONS / MINIMUM_DRAIN_DURATION.
	IstioDrain      *int
	IstioHold       *bool
	IstioExitOnZero bool
	IstioMinDrain   *int
	// IstioConfigError says why proxy.istio.io/config cannot be read.
	IstioConfigError string
	// LinkerdWait is proxy-wait-before-exit-seconds; LinkerdWaitError says
	// why it cannot be read.
	LinkerdWait      *int
	LinkerdWaitError string
	// HostNetwork: the pods use the node's network. Neither injector adds a
	// proxy to them: Istio's injectRequired returns false for
	// podSpec.HostNetwork (istio/istio pkg/kube/inject/inject.go), Linkerd
	// reports "hostNetwork is enabled" (linkerd/linkerd2 pkg/inject/
	// report.go, Injectable).
	HostNetwork bool
	// Routing is an Argo Rollout's Istio traffic routing, nil for none.
	Routing *IstioRouting
}

// IstioRouting is an Argo Rollout's spec.strategy.canary.trafficRouting.
// istio: the controller rewrites the weights of the named VirtualServices'
// routes and the subsets of the named DestinationRule (Argo Rollouts
// "Istio" traffic management).
type IstioRouting struct {
	// VirtualServices are namespace/name of virtualService.name and each
	// virtualServices[].name ("name" or "name.namespace", as Argo Rollouts
	// reads it: utils/istio GetVirtualServiceNamespaceName).
	VirtualServices []string
	// DestinationRule is namespace/name of destinationRule.name ("" for
	// none), with its canary and stable subset names.
	DestinationRule            string
	CanarySubset, StableSubset string
}

// Mesh is what the plan wants of a workload's mesh proxy.
type Mesh struct {
	// Name is config.MeshIstio or config.MeshLinkerd; "" when the pods are
	// not meshed.
	Name config.Mesh
	// Why says how that was decided.
	Why string
	// Native: the proxy runs as a native sidecar, which Kubernetes stops
	// after the app; it needs no drain setting. NativeWhy says why.
	Native    bool
	NativeWhy string
	// Istio classic sidecars. DrainSeconds: terminationDrainDuration to
	// write (0: none). ExitOnZero: write proxyMetadata
	// EXIT_ON_ZERO_ACTIVE_CONNECTIONS "true" and, when MinDrainSeconds > 0,
	// MINIMUM_DRAIN_DURATION. Hold: write holdApplicationUntilProxyStarts.
	DrainSeconds    int
	ExitOnZero      bool
	MinDrainSeconds int
	Hold            bool
	// WaitBeforeExit: the Linkerd proxy-wait-before-exit-seconds to write
	// (0: none).
	WaitBeforeExit int
	// Ambient: Istio ambient mode (no sidecar: no proxy settings); Waypoint
	// names the waypoint the pod template or Namespace asks for ("" when
	// neither does: a Service's label may still).
	Ambient  bool
	Waypoint string
}

// Field paths of the pod template's metadata.
const podMeta = "spec.template.metadata"

// AnnotationField is the result path of a pod-template annotation.
func AnnotationField(key string) string { return podMeta + ".annotations." + key }

// meshOf decides whether a workload's pods are meshed, and by which mesh.
func meshOf(w *Workload, c *config.Config) (config.Mesh, string) {
	name, why := injected(w, c)
	if name != "" && w.Mesh.HostNetwork {
		rule := strings.TrimSuffix(strings.TrimPrefix(why, "meshed by "+string(name)+" ("), ")")
		return "", fmt.Sprintf("not meshed: its pods use hostNetwork, which the %s injector never gives a proxy (although %s); no proxy settings, and no mesh objects for a Service only they back", name, rule)
	}
	return name, why
}

// injected decides which mesh's injector would take the pods.
func injected(w *Workload, c *config.Config) (config.Mesh, string) {
	m, ns := w.Mesh, w.Mesh.Namespace
	nsName := w.Namespace
	if nsName == "" {
		nsName = "(no namespace)"
	}
	istioOut := func() string {
		switch {
		case m.IstioInject == "false":
			return fmt.Sprintf("its pod template has %s: \"false\"", IstioInject)
		case ns != nil && ns.IstioInjection == "disabled":
			return fmt.Sprintf("Namespace %s has %s=disabled", nsName, IstioInjection)
		}
		return ""
	}
	linkerdOut := func() string {
		switch {
		case m.LinkerdInject == "disabled":
			return fmt.Sprintf("its pod template has %s: disabled", LinkerdInject)
		case ns != nil && ns.LinkerdInject == "disabled" && m.LinkerdInject == "":
			return fmt.Sprintf("Namespace %s has %s: disabled", nsName, LinkerdInject)
		}
		return ""
	}
	hasProxy := func(name string) bool {
		for _, ct := range w.Containers {
			if ct.MeshProxy && ct.Name == name {
				return true
			}
		}
		return false
	}
	switch c.Mesh {
	case config.MeshIstio:
		if why := istioOut(); why != "" {
			return "", "not meshed: " + why
		}
		if why := ambient(w); why != "" {
			return config.MeshIstio, "meshed by istio in ambient mode (" + why + ")"
		}
		return config.MeshIstio, "meshed by istio (mesh: istio)"
	case config.MeshLinkerd:
		if why := linkerdOut(); why != "" {
			return "", "not meshed: " + why
		}
		return config.MeshLinkerd, "meshed by linkerd (mesh: linkerd)"
	case config.MeshAuto:
		var why string
		switch {
		case m.IstioInject == "true":
			why = fmt.Sprintf("its pod template has %s: \"true\"", IstioInject)
		case m.IstioRev != "":
			why = fmt.Sprintf("its pod template has %s=%s", IstioRev, m.IstioRev)
		case ns != nil && ns.IstioInjection == "enabled":
			why = fmt.Sprintf("Namespace %s has %s=enabled", nsName, IstioInjection)
		case ns != nil && ns.IstioRev != "":
			why = fmt.Sprintf("Namespace %s has %s=%s", nsName, IstioRev, ns.IstioRev)
		case hasProxy("istio-proxy"):
			why = "it has an istio-proxy container"
		}
		if why != "" {
			if out := istioOut(); out != "" {
				return "", "not meshed: " + out
			}
			return config.MeshIstio, "meshed by istio (" + why + ")"
		}
		if amb := ambient(w); amb != "" {
			return config.MeshIstio, "meshed by istio in ambient mode (" + amb + ")"
		}
		switch {
		case m.LinkerdInject == "enabled" || m.LinkerdInject == "ingress":
			why = fmt.Sprintf("its pod template has %s: %s", LinkerdInject, m.LinkerdInject)
		case ns != nil && ns.LinkerdInject == "enabled" && m.LinkerdInject == "":
			why = fmt.Sprintf("Namespace %s has %s: enabled", nsName, LinkerdInject)
		case hasProxy("linkerd-proxy"):
			why = "it has a linkerd-proxy container"
		}
		if why != "" {
			return config.MeshLinkerd, "meshed by linkerd (" + why + ")"
		}
	}
	return "", ""
}

// ambient says why the pods are in Istio's ambient mesh ("" when not):
// the pod template's istio.io/dataplane-mode, else its Namespace's. A
// sidecar injection rule takes precedence (Istio skips ambient capture for
// sidecar pods), and so does an explicit "none".
func ambient(w *Workload) string {
	m, ns := w.Mesh, w.Mesh.Namespace
	if m.IstioInject == "true" || m.IstioRev != "" || (ns != nil && (ns.IstioInjection == "enabled" || ns.IstioRev != "")) {
		return ""
	}
	switch {
	case m.IstioDataplane == "ambient":
		return fmt.Sprintf("its pod template has %s=ambient", IstioDataplaneMode)
	case m.IstioDataplane == "" && ns != nil && ns.IstioDataplane == "ambient":
		return fmt.Sprintf("Namespace %s has %s=ambient", w.Namespace, IstioDataplaneMode)
	}
	return ""
}

// planMesh decides the workload's mesh and returns how long the grace
// period must be for the proxy settings the user wrote and the plan keeps
// (0: no demand beyond P + D).
func planMesh(w *Workload, c *config.Config, p *Plan) int {
	name, why := meshOf(w, c)
	p.Mesh = Mesh{Name: name, Why: why}
	if name == "" {
		if why != "" {
			p.add(Info, "", "%s", why)
		}
		return 0
	}
	f := w.Mesh
	def := c.Mode != config.ModeEnforce
	if name == config.MeshIstio && strings.Contains(why, "ambient mode") {
		// No sidecar: ztunnel carries the pods' traffic and has its own
		// drain; nothing in the pod to configure.
		p.Mesh.Ambient = true
		p.Mesh.Waypoint = f.IstioWaypoint
		if p.Mesh.Waypoint == "" && f.Namespace != nil {
			p.Mesh.Waypoint = f.Namespace.IstioWaypoint
		}
		if p.Mesh.Waypoint == "none" {
			p.Mesh.Waypoint = ""
		}
		p.add(Info, "", "%s: no sidecar, so no sidecar drain settings", why)
		return 0
	}
	switch name {
	case config.MeshIstio:
		p.Mesh.Native, p.Mesh.NativeWhy = istioNative(w, c, p)
		if p.Mesh.Native {
			return 0
		}
		if f.IstioConfigError != "" {
			p.add(Error, AnnotationField(IstioProxyConfig), "%s", f.IstioConfigError)
			return 0
		}
		if def && !f.IstioExitOnZero && c.Istio.Drain == config.DrainDuration && f.IstioDrain != nil {
			return *f.IstioDrain
		}
	case config.MeshLinkerd:
		switch {
		case f.LinkerdNative == "true":
			p.Mesh.Native, p.Mesh.NativeWhy = true, "its pod template has "+LinkerdNativeSidecar+": \"true\""
		case f.LinkerdNative == "" && c.Linkerd.NativeSidecars:
			p.Mesh.Native, p.Mesh.NativeWhy = true, "linkerd.nativeSidecars: true"
		}
		if p.Mesh.Native {
			return 0
		}
		if f.LinkerdWaitError != "" {
			p.add(Error, AnnotationField(LinkerdWaitBeforeExit), "%s", f.LinkerdWaitError)
			return 0
		}
		if def && f.LinkerdWait != nil {
			// The wait must end before the grace period does.
			return *f.LinkerdWait + 1
		}
	}
	return 0
}

// istioNative decides whether Istio injects the proxy as a native sidecar,
// and says why.
func istioNative(w *Workload, c *config.Config, p *Plan) (bool, string) {
	switch w.Mesh.IstioNative {
	case "true", "false":
		if c.MeshVersion.IsSet() && !c.MeshVersion.AtLeast(1, 24) {
			p.add(Warning, AnnotationField(IstioNativeSidecar), "Istio %s ignores this annotation (it exists from 1.24); planned from istio.nativeSidecars (%s)", c.MeshVersion, c.Istio.NativeSidecars)
			break
		}
		return w.Mesh.IstioNative == "true", fmt.Sprintf("its pod template has %s: %q", IstioNativeSidecar, w.Mesh.IstioNative)
	}
	switch c.Istio.NativeSidecars {
	case "true":
		return true, "istio.nativeSidecars: true"
	case "auto":
		// Native sidecars are Istio's default from 1.27 on Kubernetes
		// 1.33+ (docs/reference.md, Service mesh); without both versions, assume classic.
		if c.KubernetesVersion.AtLeast(1, 33) && c.MeshVersion.AtLeast(1, 27) {
			return true, fmt.Sprintf("Istio %s on Kubernetes %s injects native sidecars by default", c.MeshVersion, c.KubernetesVersion)
		}
	}
	return false, ""
}

// finishMesh sets the proxy's lifetime once P, D and T are final.
func finishMesh(w *Workload, c *config.Config, p *Plan) {
	m := &p.Mesh
	if m.Name == "" || p.HasErrors() {
		return
	}
	f := w.Mesh
	def := c.Mode != config.ModeEnforce
	P, D, T := p.PreStop, p.Shutdown, p.Grace
	// The app may work until the grace period ends, not only for the
	// shutdown budget: a grace period beyond preStop + shutdown (an upload
	// API's 300 s the user set, or the 30 s default) is time the proxy must
	// serve it too. (Following T, not who wrote it, keeps a second run,
	// which reads the grace period back, the same.)
	beyond := T > P+D
	if m.Ambient {
		return // said in planMesh: no proxy in the pod
	}
	if m.Native {
		p.add(Info, "", "%s; native sidecar (%s): Kubernetes stops the proxy after the app, so it needs no drain setting", m.Why, m.NativeWhy)
		return
	}
	switch m.Name {
	case config.MeshIstio:
		var parts []string
		if c.Istio.Drain == config.DrainExitOnZero || (def && f.IstioExitOnZero) {
			// With EXIT_ON_ZERO_ACTIVE_CONNECTIONS the agent sleeps
			// MINIMUM_DRAIN_DURATION (5s by default), then exits once no
			// connection is active (istio/istio pilot/cmd/pilot-agent/
			// options): it must not exit while the load balancer may still
			// send, so the minimum covers the preStop.
			m.ExitOnZero = true
			m.MinDrainSeconds = P
			if def && f.IstioMinDrain != nil && *f.IstioMinDrain > P {
				m.MinDrainSeconds = *f.IstioMinDrain
			}
			parts = append(parts, fmt.Sprintf("the proxy drains at least %ds (the preStop) and exits when its last connection closes, by the %ds grace period at the latest", m.MinDrainSeconds, T))
		} else {
			// A classic sidecar gets SIGTERM with the app and lives for
			// terminationDrainDuration: it must cover the preStop and the
			// app's shutdown, and the grace period must cover it (docs/concepts.md, The timeline).
			want := T
			m.DrainSeconds = want
			if def && f.IstioDrain != nil && *f.IstioDrain > want {
				m.DrainSeconds = *f.IstioDrain
				if m.DrainSeconds > T {
					p.add(Warning, AnnotationField(IstioProxyConfig), "terminationDrainDuration lowered from %ds to the %ds grace period: the proxy is killed then anyway", m.DrainSeconds, T)
					m.DrainSeconds = T
				}
			}
			drained := fmt.Sprintf("the proxy drains for %ds (preStop %ds + shutdown %ds", m.DrainSeconds, P, D)
			switch {
			case def && f.IstioDrain != nil && *f.IstioDrain == m.DrainSeconds && m.DrainSeconds > P+D:
				drained = fmt.Sprintf("the proxy drains for %ds (kept: longer than preStop %ds + shutdown %ds", m.DrainSeconds, P, D)
			case beyond && m.DrainSeconds == T:
				drained = fmt.Sprintf("the proxy drains for %ds (the whole grace period: the app may work until then, beyond preStop %ds + shutdown %ds", m.DrainSeconds, P, D)
				if T-(P+D) >= 60 {
					drained += fmt.Sprintf("; every stopping pod waits that long, istio.drain: %s lets the proxy exit once its last connection closes", config.DrainExitOnZero)
				}
			case m.DrainSeconds > P+D:
				drained = fmt.Sprintf("the proxy drains for %ds (kept: longer than preStop %ds + shutdown %ds", m.DrainSeconds, P, D)
			}
			parts = append(parts, fmt.Sprintf("%s; Istio's default is %ds), within the %ds grace period", drained, IstioDefaultDrainSeconds, T))
		}
		switch {
		case !c.Istio.HoldApplication:
		case def && f.IstioHold != nil && !*f.IstioHold:
			p.add(Info, AnnotationField(IstioProxyConfig), "kept holdApplicationUntilProxyStarts: false; a new pod's app may start, and fail its first calls, before its proxy is ready")
		default:
			m.Hold = true
			parts = append(parts, "the app starts once the proxy is ready (holdApplicationUntilProxyStarts)")
		}
		p.add(Info, "", "%s; classic sidecar: %s", m.Why, strings.Join(parts, "; "))
	case config.MeshLinkerd:
		// The wait must outlast the preStop (the proxy keeps serving while
		// the load balancer may still send) and end before the grace period.
		want := T - 1
		planned := want
		if def && f.LinkerdWait != nil && *f.LinkerdWait > want {
			want = min(*f.LinkerdWait, T-1)
			if *f.LinkerdWait > want {
				p.add(Warning, AnnotationField(LinkerdWaitBeforeExit), "lowered from %ds to %ds: the wait must end before the %ds grace period", *f.LinkerdWait, want, T)
			}
		}
		m.WaitBeforeExit = want
		if want <= P {
			p.add(Warning, AnnotationField(LinkerdWaitBeforeExit), "no room between the %ds preStop and the %ds grace period: the proxy stops when the preStop ends, with the app", P, T)
		}
		kept := ""
		switch {
		case def && f.LinkerdWait != nil && *f.LinkerdWait == m.WaitBeforeExit && (m.WaitBeforeExit != planned || m.WaitBeforeExit > P+D):
			kept = " (kept as written)"
		case beyond:
			kept = fmt.Sprintf(" (up to the grace period: the app may work until then, beyond preStop %ds + shutdown %ds)", P, D)
		}
		p.add(Info, "", "%s; classic sidecar: the proxy waits %ds%s before it stops: longer than the %ds preStop, within the %ds grace period", m.Why, m.WaitBeforeExit, kept, P, T)
	}
}
