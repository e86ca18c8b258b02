// Package profile holds the platform facts the plan is computed from: one
// table, one row per platform. Every number carries its source; the README's
// profile table is written from the same rows.
package profile

import (
	"fmt"
	"strings"
)

// Gate says how a platform holds a new pod back until its load balancer
// reports it healthy.
type Gate string

const (
	// GateNone: the platform has no readiness gate; minReadySeconds covers
	// the registration delay.
	GateNone Gate = "none"
	// GateInjected: a webhook injects the gate (GKE NEG
	// cloud.google.com/load-balancer-neg-ready); never written by us.
	GateInjected Gate = "injected"
	// GateAWSTargetHealth: the AWS Load Balancer Controller injects
	// target-health.elbv2.k8s.aws/<TargetGroupBinding> into pods of labelled
	// namespaces; we label the Namespace objects and add the gate for
	// TargetGroupBindings the input declares.
	GateAWSTargetHealth Gate = "aws-target-health"
)

// Profile is one platform's row. All durations are whole seconds.
type Profile struct {
	Name string
	// Summary is one line for the README and results.
	Summary string
	// LBStopSeconds (L): by then the load balancer and kube-proxy have stopped
	// sending new requests to a terminating pod.
	LBStopSeconds int
	// PreStopSeconds (P): how long the preStop hook keeps the pod serving.
	PreStopSeconds int
	// ShutdownSeconds (D): time the app is given to finish in-flight requests
	// after SIGTERM.
	ShutdownSeconds int
	// MinReadySeconds: time a new pod must stay Ready before an old one goes.
	MinReadySeconds int
	Gate            Gate
	// SpotGraceCap: the cap the platform enforces on the spec's
	// terminationGracePeriodSeconds of Spot pods (its admission rewrites a
	// longer one), applied with spot: true or to pods that select Spot
	// capacity (0: the platform enforces none).
	SpotGraceCap int
	// PreemptionSeconds: what a Spot preemption gives a pod before it is
	// killed, whatever its grace period (graceful node shutdown after the
	// notice). Not a cap on the spec: rollouts and drains still honour the
	// grace period; the plan warns what a preemption cuts (0: no figure).
	PreemptionSeconds int
	// Platform is the cloud of the profile's load balancer ("" when none).
	Platform Platform
	// ServiceLB names the row whose numbers apply to a LoadBalancer Service
	// without a loadBalancerClass ("": the profile's own).
	ServiceLB string
	// Sources cite where the numbers come from.
	Sources []string
	// LB is the platform's load balancer (lb.go): how its drain timeout is
	// set and what it does without one.
	LB LoadBalancer
}

// table is the single source of platform facts.
var table = []Profile{
	{
		Name:    "generic",
		Summary: "kube-proxy Services, no external load balancer in the path",
		// Endpoint removal reaches every node's kube-proxy within a few
		// seconds; a 10 s preStop leaves a margin (KEP-3960 uses a sleep
		// action of this order; EKS best-practices guide suggests 5-10 s).
		LBStopSeconds: 5, PreStopSeconds: 10, ShutdownSeconds: 20,
		MinReadySeconds: 0, Gate: GateNone,
		Sources: []string{"KEP-3960 (pod lifecycle sleep action)", "EKS best practices: graceful shutdown"},
		LB:      LoadBalancer{Product: "kube-proxy"},
	},
	{
		Name:    "ingress-nginx",
		Summary: "ingress-nginx sends straight to pod IPs; the controller resyncs endpoints in about 3 s",
		// ingress-nginx watches EndpointSlices and reloads its Lua balancer
		// within ~1 s plus the informer delay; 5 s covers the controller sync.
		LBStopSeconds: 3, PreStopSeconds: 5, ShutdownSeconds: 20,
		MinReadySeconds: 0, Gate: GateNone,
		Sources: []string{"ingress-nginx defaults (dynamic endpoints, ~3 s sync)"},
		// A LoadBalancer Service here is a cloud load balancer in front of
		// node ports, which kube-proxy forwards: the in-cluster numbers.
		ServiceLB: InCluster,
		LB:        LoadBalancer{Product: "ingress-nginx"},
	},
	{
		Name:    "gke-neg",
		Summary: "GKE Ingress or Gateway with container-native load balancing (NEG)",
		// Story 1: 20 s preStop stopped "connection refused" on rollout;
		// minReadySeconds 60 stopped "no healthy upstream" because the NEG
		// readiness gate turns True before the backend's health check does
		// (kubernetes/ingress-gce#1718).
		LBStopSeconds: 20, PreStopSeconds: 20, ShutdownSeconds: 10,
		MinReadySeconds: 60, Gate: GateInjected,
		// GKE Standard Spot VMs: graceful node shutdown gives non-system pods
		// up to 15 s after a preemption notice (GKE docs, "Spot VMs"; up to
		// 120 s where the node pool configures it). Not enforced on the
		// spec: rollouts and drains still honour the grace period.
		PreemptionSeconds: 15,
		Sources:           []string{"story 1 (GKE Gateway, NEG)", "kubernetes/ingress-gce#1718", "GKE docs: Spot VMs graceful shutdown 15 s at preemption"},
		Platform:          PlatformGCP, ServiceLB: "gke-l4",
		LB: gcpLB,
	},
	{
		Name:          "gke-autopilot",
		Summary:       "GKE Autopilot with container-native load balancing (NEG)",
		LBStopSeconds: 20, PreStopSeconds: 20, ShutdownSeconds: 10,
		MinReadySeconds: 60, Gate: GateInjected,
		// Autopilot Spot Pods are evicted with a 25 s grace period; Autopilot
		// rewrites a larger terminationGracePeriodSeconds to 25 (story 1):
		// a cap its admission enforces on the spec.
		SpotGraceCap: 25,
		Sources:      []string{"story 1", "GKE Autopilot docs: Spot Pods (25 s grace period)"},
		Platform:     PlatformGCP, ServiceLB: "gke-l4",
		LB: gcpLB,
	},
	{
		Name:    "eks-alb",
		Summary: "EKS with the AWS Load Balancer Controller, ALB in IP target mode",
		// Story 3: the ALB keeps sending until the target is deregistered;
		// preStop 70 and terminationGracePeriodSeconds 90 fixed the 502s
		// (aws-load-balancer-controller#2106).
		LBStopSeconds: 70, PreStopSeconds: 70, ShutdownSeconds: 20,
		MinReadySeconds: 0, Gate: GateAWSTargetHealth,
		// EC2 Spot: a two-minute interruption notice; a node termination
		// handler drains within it.
		PreemptionSeconds: 120,
		Sources:           []string{"story 3 (EKS ALB, IP targets)", "aws-load-balancer-controller#2106", "EC2 Spot interruption notice: 2 minutes"},
		// Behind an NLB the controller deregisters targets as slowly under
		// eks-alb as under eks-nlb (aws-load-balancer-controller#2366).
		Platform: PlatformAWS, ServiceLB: "eks-nlb",
		LB: albLB,
	},
	{
		Name:    "eks-nlb",
		Summary: "EKS with the AWS Load Balancer Controller, NLB in IP target mode",
		// NLB target deregistration has been reported to take 120 s and more
		// before new connections stop (aws-load-balancer-controller#2366).
		LBStopSeconds: 120, PreStopSeconds: 120, ShutdownSeconds: 20,
		MinReadySeconds: 0, Gate: GateAWSTargetHealth,
		PreemptionSeconds: 120,
		Sources:           []string{"aws-load-balancer-controller#2366", "EC2 Spot interruption notice: 2 minutes"},
		Platform:          PlatformAWS,
		LB:                nlbLB,
	},
	{
		Name:    "eks-fargate-alb",
		Summary: "EKS Fargate behind an ALB (IP targets)",
		// Story 4: preStop 60, terminationGracePeriodSeconds 70.
		LBStopSeconds: 60, PreStopSeconds: 60, ShutdownSeconds: 10,
		MinReadySeconds: 0, Gate: GateAWSTargetHealth,
		// Fargate Spot: two-minute interruption notice.
		PreemptionSeconds: 120,
		Sources:           []string{"story 4 (EKS Fargate + ALB)", "Fargate Spot interruption notice: 2 minutes"},
		Platform:          PlatformAWS, ServiceLB: "eks-nlb",
		LB: albLB,
	},
	{
		Name:    "aks-agic",
		Summary: "AKS with the Application Gateway Ingress Controller",
		// AGIC how-to "Minimizing downtime during deployments": preStop sleep
		// 90, terminationGracePeriodSeconds 101, connection draining on.
		// minReadySeconds 60: no gate tells a rollout when a new pod serves
		// through the gateway. AGIC writes new pod IPs into the backend pool
		// in the same update that drops the old ones ("between a second and
		// a few minutes", ~30 s in field reports), and Application Gateway
		// marks a new backend unhealthy until its first successful probe
		// (probe overview; default interval 30 s). With 0 every old pod can
		// be gone from the pool before a new one is probed: the rollout lab
		// measured 1347 × 502-equivalents in ~30 s (path-aks-agic).
		LBStopSeconds: 90, PreStopSeconds: 90, ShutdownSeconds: 11,
		MinReadySeconds: 60, Gate: GateNone,
		// Azure Spot VMs: 30 s eviction notice (Scheduled Events).
		PreemptionSeconds: 30,
		Sources:           []string{"AGIC how-to: minimizing downtime during deployments", "Application Gateway health probes overview: a backend is unhealthy until a successful probe", "Azure Spot eviction notice: 30 s"},
		Platform:          PlatformAzure, ServiceLB: "aks-l4",
		LB: agicLB,
	},
}

// Lookup returns the named profile.
func Lookup(name string) (Profile, error) {
	for _, p := range table {
		if p.Name == name {
			return p, nil
		}
	}
	return Profile{}, fmt.Errorf("unknown profile %q (known: %s)", name, strings.Join(Names(), ", "))
}

// Names lists the profile names in table order.
func Names() []string {
	names := make([]string, len(table))
	for i, p := range table {
		names[i] = p.Name
	}
	return names
}

// All returns a copy of the table in table order.
func All() []Profile {
	return append([]Profile(nil), table...)
}
