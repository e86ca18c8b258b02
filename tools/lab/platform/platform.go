// Package platform is the rollout lab's table of load-balancer behaviour:
// for each platform the delays and health-check numbers that lbsim applies
// to a real HAProxy, each a named number with its source. Companion objects
// in the cluster (GCPBackendPolicy, HealthCheckPolicy, BackendConfig,
// target-group attributes, AGIC annotations) override the defaults where the
// real controller reads them; -scale divides every duration.
package platform

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Num is one number of the table and where it comes from.
type Num struct {
	V      float64 // seconds for durations, a count for thresholds
	Source string
}

// Platform describes one load balancer as the lab models it.
type Platform struct {
	Name string
	// Mode is the HAProxy mode: "http" (L7 LBs), "tcp" (NLB), or "" for
	// kube-proxy (no HAProxy; the lab targets the ClusterIP).
	Mode string
	// Targets: "ip" (pod IPs), "instance" (node IP:NodePort; pods are
	// reached through kube-proxy), "cluster-ip" (no LB at all).
	Targets string

	// Attach: from the endpoint being routable (Ready, or waiting only for
	// this LB's gate) to the LB having it as a target (controller sync +
	// cloud API).
	Attach Num
	// Health checks of the data plane, applied by HAProxy itself. Interval
	// 0 means the LB does not health-check (serves as soon as attached).
	HealthInterval     Num
	HealthTimeout      Num
	HealthyThreshold   Num
	UnhealthyThreshold Num
	HealthPath         string
	// Detach: from the endpoint turning not-ready/terminating (or gone) to
	// the LB no longer sending new requests (L of docs/concepts.md): the LB keeps
	// sending during it.
	Detach Num
	// Drain: after detaching, in-flight requests may finish for this long
	// (GCP drainingTimeoutSec, AWS deregistration_delay, AGIC connection
	// draining); the LB then cuts what is left. A target with no request in
	// flight is removed at once (AWS and GCP complete early).
	Drain Num
	// Retries of a failed connection on another target (ingress-nginx's
	// proxy_next_upstream); 0 for the cloud LBs.
	Retries Num

	// Gate is the readiness-gate condition type the LB's controller sets
	// (empty: none). For AWS it is a prefix completed by the
	// TargetGroupBinding name. GateWhen: "attach" (GKE NEG without a health
	// check on the backend service yet: story 1's early True) or "healthy".
	Gate     string
	GateWhen string
}

const (
	negGate = "cloud.google.com/load-balancer-neg-ready"
	// AWSGatePrefix + TargetGroupBinding name is the AWS condition type.
	AWSGatePrefix = "target-health.elbv2.k8s.aws/"
)

// Sources, cited once each.
const (
	srcStory1     = "story 1 of the README (~10 s of 503 connection refused on rollout restart; fixed by preStop 20 s)"
	srcNEGRace    = "kubernetes/ingress-gce#1718 (neg-readiness-reflector: \"NEG is not attached to any Backend Service with health checking. Marking condition True\") and story 1"
	srcGKEHC      = "GKE docs, Configure Gateway resources using Policies: HealthCheckPolicy defaults checkIntervalSec 5, timeoutSec 5, healthyThreshold 2, unhealthyThreshold 2"
	srcGKEDrain   = "GKE docs, GCPBackendPolicy connectionDraining.drainingTimeoutSec (default 0: draining off)"
	srcLBCAlbHC   = "AWS LBC docs, Ingress annotations: healthcheck-interval-seconds 15, healthcheck-timeout-seconds 5, healthy-threshold-count 2, unhealthy-threshold-count 2"
	srcLBCNlbHC   = "AWS LBC docs, Service annotations: aws-load-balancer-healthcheck-interval 10, -timeout 10, -healthy-threshold 3, -unhealthy-threshold 3"
	srcELBDereg   = "ELB docs, target groups: deregistration_delay.timeout_seconds default 300; completes early when the target has no in-flight requests"
	srcALBDetach  = "aws-load-balancer-controller#2106 and #1719 (controller + ELB API propagation: preStop 40 s still saw rare 502s, 70 s none) and story 3"
	srcNLBDetach  = "aws-load-balancer-controller#2366 (NLB IP targets: deregistration takes at least 2 minutes regardless of deregistration delay; new connections still arrive meanwhile)"
	srcNLBAttach  = "aws-load-balancer-controller#1834 (NLB IP target registration extremely slow: ~3 min until the readiness gate passes, health checks included)"
	srcAGICDelay  = "AGIC how-to, minimize downtime during deployments (backend pool update takes \"between a second and a few minutes\")"
	srcAGICProbe  = "AGIC annotations: health-probe-interval 30, health-probe-timeout 30, health-probe-unhealthy-threshold 3"
	srcAGICDrain  = "AGIC annotations: connection-draining false (then 0), connection-draining-timeout 30"
	srcNginxSync  = "ingress-nginx --sync-rate-limit 0.3 syncs/s (backends posted to the Lua balancer without reload, at most every ~3.3 s)"
	srcNginxRetry = "ingress-nginx ConfigMap proxy-next-upstream \"error timeout\", proxy-next-upstream-tries 3 (2 retries)"
	srcAssumed    = "lab assumption (no vendor figure)"
	srcNone       = "not applicable"
)

func n(v float64, src string) Num { return Num{V: v, Source: src} }

// Table is every platform lbsim models.
var Table = map[string]Platform{
	"gke-neg": {
		Name: "gke-neg", Mode: "http", Targets: "ip",
		Attach:         n(5, srcAssumed+"; NEG attach is asynchronous, GKE docs give no figure"),
		HealthInterval: n(5, srcGKEHC), HealthTimeout: n(5, srcGKEHC),
		HealthyThreshold: n(2, srcGKEHC), UnhealthyThreshold: n(2, srcGKEHC), HealthPath: "/",
		Detach:  n(10, srcStory1),
		Drain:   n(0, srcGKEDrain),
		Retries: n(0, srcStory1+" (the 503s reach the client)"),
		Gate:    negGate, GateWhen: "attach",
	},
	"aws-alb": {
		Name: "aws-alb", Mode: "http", Targets: "ip",
		Attach:         n(5, srcAssumed+"; LBC reconcile + RegisterTargets"),
		HealthInterval: n(15, srcLBCAlbHC), HealthTimeout: n(5, srcLBCAlbHC),
		HealthyThreshold: n(2, srcLBCAlbHC), UnhealthyThreshold: n(2, srcLBCAlbHC), HealthPath: "/",
		Detach:  n(30, srcALBDetach),
		Drain:   n(300, srcELBDereg),
		Retries: n(0, "ALB returns 502 for a refused or reset target"),
		Gate:    AWSGatePrefix, GateWhen: "healthy",
	},
	"aws-nlb": {
		Name: "aws-nlb", Mode: "tcp", Targets: "ip",
		Attach:         n(150, srcNLBAttach),
		HealthInterval: n(10, srcLBCNlbHC), HealthTimeout: n(10, srcLBCNlbHC),
		HealthyThreshold: n(3, srcLBCNlbHC), UnhealthyThreshold: n(3, srcLBCNlbHC),
		Detach:  n(120, srcNLBDetach),
		Drain:   n(300, srcELBDereg),
		Retries: n(0, "NLB is L4: a refused connection reaches the client"),
		Gate:    AWSGatePrefix, GateWhen: "healthy",
	},
	"aws-alb-instance": {
		Name: "aws-alb-instance", Mode: "http", Targets: "instance",
		Attach:         n(5, srcAssumed),
		HealthInterval: n(15, srcLBCAlbHC), HealthTimeout: n(5, srcLBCAlbHC),
		HealthyThreshold: n(2, srcLBCAlbHC), UnhealthyThreshold: n(2, srcLBCAlbHC), HealthPath: "/",
		Detach:  n(30, srcALBDetach),
		Drain:   n(300, srcELBDereg),
		Retries: n(0, "ALB returns 502 for a refused or reset target"),
		// No gate: "this only works with target-type: ip" (AWS LBC docs, pod readiness gate).
	},
	"agic": {
		Name: "agic", Mode: "http", Targets: "ip",
		Attach:         n(30, srcAGICDelay+"; "+srcAssumed+" within that range"),
		HealthInterval: n(30, srcAGICProbe), HealthTimeout: n(30, srcAGICProbe),
		HealthyThreshold: n(1, srcAssumed+"; App Gateway probes mark a member healthy on success"), UnhealthyThreshold: n(3, srcAGICProbe), HealthPath: "/",
		Detach:  n(30, srcAGICDelay+"; "+srcAssumed+" within that range"),
		Drain:   n(0, srcAGICDrain),
		Retries: n(0, srcAGICDelay+" (502 errors reach the client)"),
	},
	"ingress-nginx": {
		Name: "ingress-nginx", Mode: "http", Targets: "ip",
		Attach:           n(3, srcNginxSync),
		HealthInterval:   n(0, "ingress-nginx does no active health checks"),
		HealthTimeout:    n(0, srcNone),
		HealthyThreshold: n(0, srcNone), UnhealthyThreshold: n(0, srcNone),
		Detach:  n(3, srcNginxSync),
		Drain:   n(60, "nginx keeps requests in flight on a removed upstream; bounded by proxy-read-timeout 60 s (ingress-nginx default)"),
		Retries: n(2, srcNginxRetry),
	},
	"kube-proxy": {
		Name: "kube-proxy", Mode: "", Targets: "cluster-ip",
		Attach:           n(0, "the real kube-proxy runs on the lab node; lbsim only logs endpoint changes"),
		HealthInterval:   n(0, srcNone),
		HealthTimeout:    n(0, srcNone),
		HealthyThreshold: n(0, srcNone), UnhealthyThreshold: n(0, srcNone),
		Detach:  n(0, "the real kube-proxy"),
		Drain:   n(0, srcNone),
		Retries: n(0, srcNone),
	},
}

// Names lists the platforms in order.
func Names() []string {
	var ns []string
	for k := range Table {
		ns = append(ns, k)
	}
	sort.Strings(ns)
	return ns
}

// Get returns a platform by name.
func Get(name string) (Platform, error) {
	p, ok := Table[name]
	if !ok {
		return p, fmt.Errorf("unknown platform %q (one of %s)", name, strings.Join(Names(), ", "))
	}
	return p, nil
}

// Field names for Set and for the README table.
var numFields = []string{"attach", "health-interval", "health-timeout", "healthy-threshold", "unhealthy-threshold", "detach", "drain", "retries"}

func (p *Platform) field(name string) *Num {
	switch name {
	case "attach":
		return &p.Attach
	case "health-interval":
		return &p.HealthInterval
	case "health-timeout":
		return &p.HealthTimeout
	case "healthy-threshold":
		return &p.HealthyThreshold
	case "unhealthy-threshold":
		return &p.UnhealthyThreshold
	case "detach":
		return &p.Detach
	case "drain":
		return &p.Drain
	case "retries":
		return &p.Retries
	}
	return nil
}

// Set overrides one number ("detach=45"), recording source.
func (p *Platform) Set(kv, source string) error {
	k, v, ok := strings.Cut(kv, "=")
	f := p.field(k)
	if !ok || f == nil {
		return fmt.Errorf("%q: want NAME=SECONDS with NAME one of %s", kv, strings.Join(numFields, ", "))
	}
	x, err := strconv.ParseFloat(v, 64)
	if err != nil || x < 0 {
		return fmt.Errorf("%q: %s must be a number >= 0", kv, k)
	}
	*f = Num{V: x, Source: source}
	return nil
}

// Settings are a platform's numbers as durations, divided by scale.
type Settings struct {
	Attach, HealthInterval, HealthTimeout, Detach, Drain time.Duration
	HealthyThreshold, UnhealthyThreshold, Retries        int
	HealthPath                                           string
}

// Scaled turns the table's seconds into durations divided by scale
// (scale >= 1 makes the lab faster; thresholds and retries are counts and
// stay).
func (p Platform) Scaled(scale float64) Settings {
	d := func(x Num) time.Duration {
		return time.Duration(x.V / scale * float64(time.Second))
	}
	return Settings{
		Attach: d(p.Attach), HealthInterval: d(p.HealthInterval), HealthTimeout: d(p.HealthTimeout),
		Detach: d(p.Detach), Drain: d(p.Drain),
		HealthyThreshold: int(p.HealthyThreshold.V), UnhealthyThreshold: int(p.UnhealthyThreshold.V),
		Retries: int(p.Retries.V), HealthPath: p.HealthPath,
	}
}

// Markdown renders the table for the README.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| platform | number | value | source |\n|---|---|---|---|\n")
	for _, name := range Names() {
		p := Table[name]
		for _, f := range numFields {
			x := p.field(f)
			fmt.Fprintf(&b, "| %s | %s | %g | %s |\n", name, f, x.V, x.Source)
		}
		gate := p.Gate
		if gate == AWSGatePrefix {
			gate += "<TargetGroupBinding>"
		}
		if gate == "" {
			gate = "none"
		} else {
			gate += " (set when " + p.GateWhen + ")"
		}
		fmt.Fprintf(&b, "| %s | gate | %s | |\n", name, gate)
	}
	return b.String()
}
