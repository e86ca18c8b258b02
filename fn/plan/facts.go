// Package plan computes, for each workload, the numbers that make its pods
// stop and start without dropping requests. It is pure arithmetic: facts read
// from the input and the config go in, a Plan comes out; no YAML here.
package plan

// HookKind is the kind of a container's existing preStop handler.
type HookKind string

const (
	HookNone    HookKind = ""
	HookSleep   HookKind = "sleep"
	HookExec    HookKind = "exec"
	HookHTTPGet HookKind = "httpGet"
	HookOther   HookKind = "other"
)

// Container is what the plan needs to know about one container.
type Container struct {
	Name  string
	Index int
	Image string
	// Ports counts declared container ports; HostPort is true when one of
	// them binds a host port (a DaemonSet cannot surge then).
	Ports    int
	HostPort bool
	// Hook is the existing preStop handler; HookSeconds its length when it
	// is a sleep action or an exec that only sleeps (-1: unknown).
	Hook        HookKind
	HookSeconds int
	// Readiness: the container has a readinessProbe.
	Readiness bool
	// MeshProxy marks injected istio-proxy / linkerd-proxy containers.
	MeshProxy bool
}

// Strategy is a workload's rollout strategy as written.
type Strategy struct {
	// Type as written ("" when absent).
	Type string
	// MaxUnavailable and MaxSurge as written ("" when absent).
	MaxUnavailable string
	MaxSurge       string
	// Canary / BlueGreen for Argo Rollouts.
	Canary    bool
	BlueGreen bool
}

// Workload is the facts of one workload, read from the input.
type Workload struct {
	Kind, Namespace, Name string
	Annotations           map[string]string
	Replicas              *int
	MinReady              *int
	Grace                 *int
	Containers            []Container
	ReadinessGates        []string
	Strategy              Strategy
	// HasPVC: the pod mounts a PersistentVolumeClaim (Recreate is deliberate).
	HasPVC bool
	// NoTemplate: an Argo Rollout with workloadRef (no pod template to edit).
	NoTemplate bool
	// Services that select this workload's pods (names, same namespace).
	Services []string
	// TargetGroupBindings (names) whose serviceRef names one of Services.
	TargetGroupBindings []string
	// HPAMinReplicas is set when an HPA in the input scales this workload.
	HPAMinReplicas *int
	// Mesh is what the input says about the pods' mesh proxy (mesh.go).
	Mesh MeshFacts
}
