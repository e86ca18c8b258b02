// Package plan computes, for each workload, the numbers that make its pods
// stop and start without dropping requests. It is pure arithmetic: facts read
// from the input and the config go in, a Plan comes out; no YAML here.
package plan

import "github.com/graceful-rollout/graceful-rollout/fn/profile"

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
	// Ports counts declared container ports, but not those that only serve
	// metrics (named metrics, http-metrics or prometheus); HostPort is true
	// when one of them binds a host port (no surge can be placed then).
	Ports    int
	HostPort bool
	// Hook is the existing preStop handler; HookSeconds its length when it
	// is a sleep action or an exec that only sleeps (-1: unknown).
	Hook        HookKind
	HookSeconds int
	// HookPath is the path of an httpGet preStop (a sleep endpoint's path
	// carries its seconds).
	HookPath string
	// Readiness: the container has a readinessProbe.
	Readiness bool
	// MeshProxy marks injected istio-proxy / linkerd-proxy containers.
	MeshProxy bool
	// Helper: a proxy the app needs while it drains (cloud-sql-proxy, or a
	// container named in graceful-rollout.dev/drain-helpers).
	Helper bool
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
	// Claims are the PersistentVolumeClaims the pod template mounts;
	// SingleNodeClaims those of them the input declares ReadWriteOnce or
	// ReadWriteOncePod (one node at a time), UnknownClaims those the input
	// does not declare.
	Claims, SingleNodeClaims, UnknownClaims []string
	// NoTemplate: an Argo Rollout with workloadRef (no pod template to edit).
	NoTemplate bool
	// WorkloadRef is, on a Rollout with NoTemplate, the Deployment its
	// spec.workloadRef names. OwnerRollout is, on that Deployment, the
	// Rollout: its pods are the Rollout's, its replicas, minReadySeconds
	// and strategy are the Rollout's (Argo Rollouts "Migrating":
	// workloadRef); Replicas and HPAMinReplicas then hold the Rollout's,
	// OwnerMinReady its spec.minReadySeconds.
	WorkloadRef string
	// Canary is set on the target Deployment of a Flagger Canary.
	Canary        *CanaryFacts
	OwnerRollout  string
	OwnerMinReady *int
	// ProgressDeadline is spec.progressDeadlineSeconds as written.
	ProgressDeadline *int
	// Services that select this workload's pods (names, same namespace).
	Services []string
	// SharedWith names the other workloads of the input whose pods one of
	// those Services also selects (versions behind one Service): the
	// Service keeps endpoints while this workload's pods go.
	SharedWith []string
	// MetricsServices are those of Services that only serve metrics (every
	// port named metrics, http-metrics or prometheus, or a headless Service
	// named *metrics*): they do not make the workload serving.
	MetricsServices []string
	// TargetGroupBindings (names) whose serviceRef names one of Services,
	// with targetType ip; InstanceTargetGroups those with another or no
	// targetType (the controller sets no pod condition for them).
	TargetGroupBindings  []string
	InstanceTargetGroups []string
	// Paths are the load-balancer entries in the input that send to the
	// pods (through one of Services); none: reached only in-cluster, or
	// routed by objects that are not in the input.
	Paths []Path
	// InputHasEntries: the input declares some load-balancer entry
	// (exposure auto: a workload no entry reaches is in-cluster).
	InputHasEntries bool
	// HostNetwork, and RequiredAntiAffinity (required pod anti-affinity on
	// kubernetes.io/hostname): a second pod cannot start on the node, so a
	// surge-only strategy can stall.
	HostNetwork          bool
	RequiredAntiAffinity bool
	// Spot: the pods select Spot capacity (node selector, affinity or
	// toleration); Spot caps apply to them.
	Spot bool
	// HPAMinReplicas is set when an HPA in the input scales this workload.
	HPAMinReplicas *int
	// Mesh is what the input says about the pods' mesh proxy (mesh.go).
	Mesh MeshFacts
}

// CanaryFacts is what a Flagger Canary says about its target Deployment:
// the Deployment Flagger runs its pods as, and the Canary's
// progressDeadlineSeconds (600 when unset).
type CanaryFacts struct {
	Name, Primary    string
	ProgressDeadline int
}

// Path is one load-balancer entry that sends to the workload's pods.
type Path struct {
	// Kind of entry: profile.PathIngress, PathGateway (an HTTPRoute or
	// GRPCRoute attached to a Gateway), PathServiceLB, PathTargetGroup or
	// PathNEG. Whether the profile's load balancer serves an Ingress or a
	// Gateway is the plan's to decide, from Class and Controller.
	Kind profile.PathKind
	// Via names the object: "HTTPRoute shop/web".
	Via string
	// Class is the Ingress class (the input's default IngressClass when the
	// Ingress names none) or the Gateway's gatewayClassName; Controller the
	// IngressClass's spec.controller; ClassKnown is false when the Gateway
	// is not in the input.
	Class, Controller string
	ClassKnown        bool
	// ClassWhat names what Class is in results when it is not the kind's
	// usual class object ("" for IngressClass, GatewayClass,
	// loadBalancerClass): "Istio Gateway" for an Istio gateway route.
	ClassWhat string
	// RequestTimeout is the longest a request may run through this entry
	// (AGIC request-timeout, ALB idle timeout), 0 when the object does not
	// say; RequestTimeoutField names where it was read.
	RequestTimeout      int
	RequestTimeoutField string
	// TargetType is how an AWS load balancer reaches the pods: "ip",
	// "instance" (through node ports), or "" when the input does not say
	// (the controller's default, instance, applies to Ingresses, Gateway
	// routes and NLB Services; the reader fills that in where it is known).
	TargetType string
}
