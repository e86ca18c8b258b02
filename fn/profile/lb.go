package profile

// LBKind names the way a platform's load balancer is told how long to keep
// in-flight requests to a pod that is going away (its drain timeout), and
// which objects say so.
type LBKind string

const (
	// LBNone: nothing to configure outside the pod (kube-proxy,
	// ingress-nginx: the preStop covers the endpoint sync).
	LBNone LBKind = ""
	// LBGCP: GKE container-native load balancing. Gateway API backends get a
	// GCPBackendPolicy (connection draining) and a HealthCheckPolicy; Ingress
	// backends a BackendConfig referenced from the Service; both the NEG
	// annotation.
	LBGCP LBKind = "gcp"
	// LBAWS: the AWS Load Balancer Controller. The target group's
	// deregistration_delay.timeout_seconds, through target-group-attributes
	// annotations on Ingresses (ALB) and LoadBalancer Services (NLB).
	LBAWS LBKind = "aws"
	// LBAGIC: the Azure Application Gateway Ingress Controller. Connection
	// draining annotations on Ingresses.
	LBAGIC LBKind = "agic"
)

// LoadBalancer is the platform's load-balancer row: what it does with a
// backend that goes away when nobody configures it, its limits, and which
// entries its companion configures.
type LoadBalancer struct {
	Kind LBKind
	// Product is the profile's own load balancer among the platform's
	// (controllers.go): entries of this product get the profile's numbers.
	Product string
	// Configures lists the products whose objects the companion of Kind
	// edits (the AWS companion writes ALB Ingress and NLB Service
	// attributes alike).
	Configures []string
	// DefaultDrainSeconds is the drain timeout the platform applies when
	// nothing sets one.
	DefaultDrainSeconds int
	// MaxDrainSeconds is the largest drain timeout the platform accepts.
	MaxDrainSeconds int
	// Sources cite the facts above.
	Sources []string
}

// Platform rows, referenced from the profile table.
var (
	gcpLB = LoadBalancer{
		Kind: LBGCP,
		// GCPBackendPolicy spec.default.connectionDraining.drainingTimeoutSec:
		// "If the field is omitted, a default value (0s) will be used",
		// range 0-3600 (the CRD in GoogleCloudPlatform/gke-gateway-api
		// config/crd/, copied under testdata/crds/). BackendConfig sets the same
		// backend-service field (kubernetes/ingress-gce
		// pkg/apis/backendconfig/v1/types.go ConnectionDrainingConfig).
		DefaultDrainSeconds: 0, MaxDrainSeconds: 3600,
		Product: "gke-l7", Configures: []string{"gke-l7"},
		Sources: []string{
			"GKE docs: Configure Gateway resources using Policies (GCPBackendPolicy, HealthCheckPolicy: one per Service, same namespace)",
			"gke-gateway-api CRDs (drainingTimeoutSec default 0 s, 0-3600)",
			"kubernetes/ingress-gce pkg/apis/backendconfig/v1/types.go, pkg/annotations/service.go",
		},
	}
	albLB = LoadBalancer{
		Kind: LBAWS,
		// "By default, Elastic Load Balancing waits 300 seconds before
		// completing the deregistration process"; range 0-3600 (ELB API
		// reference, TargetGroupAttribute deregistration_delay.timeout_seconds).
		DefaultDrainSeconds: 300, MaxDrainSeconds: 3600,
		Product: "alb", Configures: []string{"alb", "nlb"},
		Sources: []string{
			"ELB docs: target group attributes, deregistration delay (default 300 s, 0-3600)",
			"aws-load-balancer-controller docs/guide/ingress/annotations.md (target-group-attributes, target-type default instance, Service beats Ingress)",
			"aws-load-balancer-controller docs/guide/service/annotations.md (aws-load-balancer-target-group-attributes, nlb-target-type)",
		},
	}
	agicLB = LoadBalancer{
		Kind: LBAGIC,
		// appgw.ingress.kubernetes.io/connection-draining: bool, default
		// false; connection-draining-timeout: int32 seconds, default 30
		// (AGIC annotations reference). Application Gateway accepts 1-3600.
		DefaultDrainSeconds: 0, MaxDrainSeconds: 3600,
		Product: "agic", Configures: []string{"agic"},
		Sources: []string{
			"AGIC docs: annotations (connection-draining default false, connection-draining-timeout default 30 s)",
			"AGIC how-to: minimizing downtime during deployments",
		},
	}
)

// nlbLB is albLB for the NLB profile.
var nlbLB = func() LoadBalancer { lb := albLB; lb.Product = "nlb"; return lb }()

// HasLB reports whether the platform has a load balancer whose drain this
// function configures.
func (p Profile) HasLB() bool { return p.LB.Kind != LBNone }
