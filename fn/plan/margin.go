package plan

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/graceful-rollout/graceful-rollout/fn/config"
	"github.com/graceful-rollout/graceful-rollout/fn/profile"
)

// Figures are the platform figures a plan is measured against for one
// path: what the load balancer is expected to take. Without measured
// figures they are the ones the lab's platform table and the field reports
// give (expectedFigures); with them, the measured p95s.
type Figures struct {
	// Detach: a pod terminating -> the LB stops sending new requests.
	Detach float64
	// Attach: a new pod's endpoint routable -> the LB has it as a target;
	// Health: health-check interval × healthy threshold until it serves.
	Attach, Health float64
	// GateAt: a readiness gate holds new pods back until the LB has them
	// "attached" (GKE NEG: before any health check) or "healthy" (AWS
	// target health); "" for none.
	GateAt string
	Source string
	// Measured: the figures come from config.Measurement; Serve is then
	// the measured Ready -> first request served.
	Measured bool
	Serve    float64
	Margin   float64 // measured: the stated margin
	// Typical: Detach is a typical figure of a cloud load balancer's
	// control plane (what field reports saw, not a documented bound): an
	// unmeasured plan covers a slower and jittery one (coverFactor).
	Typical bool
	// Covered: the preStop was raised to cover it (unmeasured plans).
	Covered bool
}

// Without measurements the plan cannot know how much slower or jitterier
// the user's load balancer is than the table's typical figure. Unmeasured
// plans cover one coverSlower times slower whose delays vary per event
// with p95/median coverJitter (log-normal), at its 99th percentile: the
// preStop is at least the typical detach × coverFactor (≈ 4.0). A
// calibration (spec.measured) replaces this with the measured p95 and a
// stated margin.
const (
	coverSlower = 1.5
	coverJitter = 2.0
	z95         = 1.6448536269514722
	z99         = 2.3263478740408408
)

var coverFactor = coverSlower * math.Pow(coverJitter, z99/z95)

// Cover is the preStop an unmeasured plan keeps at the least for these
// figures: the typical detach × coverFactor (0 when measured or when the
// figure is not a typical one).
func (f Figures) Cover() int {
	if !f.Typical || f.Measured {
		return 0
	}
	return ceil(f.Detach * coverFactor)
}

// coverLine says what an unmeasured cover assumes.
func coverLine() string {
	return fmt.Sprintf("×%.0f: unmeasured, it covers a load balancer %g× slower than that with per-event jitter p95/median %g (its 99th percentile); graceful-rollout-calibrate measures yours",
		coverFactor, coverSlower, coverJitter)
}

// ServeAfterReady is how long after a pod turns Ready the LB starts to
// send to it: what minReadySeconds must cover.
func (f Figures) ServeAfterReady() float64 {
	switch {
	case f.Measured:
		return f.Serve
	case f.GateAt == "healthy":
		return 0
	case f.GateAt == "attached":
		return f.Health
	}
	return f.Attach + f.Health
}

// GateWait is how long a readiness gate keeps a new pod from Ready.
func (f Figures) GateWait() float64 {
	switch f.GateAt {
	case "healthy":
		return f.Attach + f.Health
	case "attached":
		return f.Attach
	}
	return 0
}

const (
	srcKubeProxy = "the profile's endpoint-removal time (KEP-3960, EKS best practices)"
	srcNginx     = "ingress-nginx endpoint sync, about 3 s"
	srcStory1    = "story 1: ~10 s of 503 after the pod stopped; NEG attach 5 s (no vendor figure), GKE health checks 5 s × 2"
	srcALB       = "aws-load-balancer-controller#2106 and #1719: deregistration ~30 s; attach 5 s (no vendor figure), ALB health checks 15 s × 2"
	srcNLB       = "aws-load-balancer-controller#2366 and #1834: NLB deregistration 120 s, registration ~150 s; health checks 10 s × 3"
	srcAGIC      = "AGIC: backend pool update ~30 s (no vendor figure); Application Gateway probe every 30 s"
)

// expectedFigures are the platform figures per profile the default plans
// are measured against (the rollout lab's platform table uses the same).
var expectedFigures = map[string]Figures{
	"generic":         {Detach: 5, Source: srcKubeProxy},
	"ingress-nginx":   {Detach: 3, Attach: 3, Source: srcNginx},
	"gke-neg":         {Detach: 10, Attach: 5, Health: 10, GateAt: "attached", Source: srcStory1, Typical: true},
	"gke-autopilot":   {Detach: 10, Attach: 5, Health: 10, GateAt: "attached", Source: srcStory1, Typical: true},
	"eks-alb":         {Detach: 30, Attach: 5, Health: 30, GateAt: "healthy", Source: srcALB, Typical: true},
	"eks-fargate-alb": {Detach: 30, Attach: 5, Health: 30, GateAt: "healthy", Source: srcALB, Typical: true},
	"eks-nlb":         {Detach: 120, Attach: 150, Health: 30, GateAt: "healthy", Source: srcNLB},
	"aks-agic":        {Detach: 30, Attach: 30, Health: 30, Source: srcAGIC, Typical: true},
}

// figuresFor is the path's expected figures: measured when the config has
// them, else the table's (a profile without a row: its own L).
func figuresFor(c *config.Config, prof profile.Profile) Figures {
	f, ok := expectedFigures[prof.Name]
	if !ok {
		f = Figures{Detach: float64(prof.LBStopSeconds), Source: "profile " + prof.Name + "'s L"}
	}
	m := c.Measured.For(prof.Name)
	if m == nil {
		return f
	}
	f.Serve = f.ServeAfterReady() // the table's, unless attach was measured
	f.Measured = true
	var parts []string
	if m.Detach != nil {
		f.Detach = *m.Detach
		parts = append(parts, "detach p95 "+secs(f.Detach))
	}
	if m.Attach != nil {
		f.Serve = *m.Attach
		parts = append(parts, "attach p95 "+secs(f.Serve))
	}
	f.Margin = m.MarginFor(max(f.Detach, f.Serve))
	parts = append(parts, "margin "+secs(f.Margin))
	if m.Samples > 0 {
		parts = append(parts, fmt.Sprintf("%d samples", m.Samples))
	}
	f.Source = c.Measured.Source() + ": " + strings.Join(parts, ", ")
	return f
}

// useMeasured shortens the path's profile to what was measured: L is the
// measured detach, preStop detach + margin, minReadySeconds the measured
// Ready -> served + margin. Without measured figures for the path nothing
// is cut: the profile's preStop stays, raised where the typical detach ×
// coverFactor is longer (the cover).
func useMeasured(c *config.Config, p *Plan, prof profile.Profile) profile.Profile {
	m := c.Measured.For(prof.Name)
	f := figuresFor(c, prof)
	if m == nil {
		prof.PreStopSeconds = max(prof.PreStopSeconds, f.Cover())
		return prof
	}
	if m.Detach != nil {
		prof.LBStopSeconds = ceil(f.Detach)
		prof.PreStopSeconds = ceil(f.Detach + f.Margin)
		p.LBStop = prof.LBStopSeconds
	}
	// A gate that holds new pods until the LB reports them healthy (AWS
	// target health) already waits as long as the LB takes: minReadySeconds
	// stays the profile's.
	if m.Attach != nil && f.GateAt != "healthy" {
		prof.MinReadySeconds = ceil(f.Serve + f.Margin)
	}
	return prof
}

// Margin is what a plan keeps over the platform figures it used, and the
// times it expects a rollout and a pod's shutdown to take.
type Margin struct {
	Figures
	// Path is the profile whose figures apply.
	Path string
	// DetachMargin: how much later than expected the LB may stop sending
	// before a request fails (preStop - detach); AttachMargin: how much
	// longer than expected the LB may take to serve a new pod before an
	// old one goes too early (minReadySeconds - serve after Ready).
	DetachMargin, AttachMargin float64
	// Waves × PerWave seconds: the rollout's own waits (minReadySeconds
	// and the readiness gate), not counting the pods' start; PerNode for
	// DaemonSets (one wave per node); GateWait the part of PerWave a
	// readiness gate waits for the LB (its expected attach and health
	// checks).
	Waves    int
	PerWave  float64
	GateWait float64
	PerNode  bool
	// PreStop, Shutdown, Grace: one old pod goes within Grace seconds.
	PreStop, Shutdown, Grace int
}

// planMargin records the plan's margin over its figures (serving
// workloads only).
func planMargin(w *Workload, c *config.Config, p *Plan, prof profile.Profile) {
	f := figuresFor(c, prof)
	f.Covered = f.Cover() > 0 && p.PreStop == f.Cover()
	m := &Margin{Figures: f, Path: prof.Name, PreStop: p.PreStop, Shutdown: p.Shutdown, Grace: p.Grace}
	m.DetachMargin = float64(p.PreStop) - f.Detach
	m.AttachMargin = float64(p.MinReady) - f.ServeAfterReady()
	if !f.Measured || f.GateAt != "" {
		m.GateWait = f.GateWait()
	}
	m.PerWave = float64(p.MinReady) + m.GateWait
	p.Margin = m
	// The waves are counted once, by cost (explain.go), which also adds
	// the gate's wait to each.
	co := cost(w, p)
	m.Waves, m.PerNode = max(co.Waves, 1), co.PerNode
}

func ceil(x float64) int { return int(math.Ceil(x - 1e-9)) }

func secs(x float64) string { return strconv.FormatFloat(math.Round(x*10)/10, 'f', -1, 64) + " s" }

// MarginLine states a plan's margin over the platform figures it used, in
// one line ("" when the plan
// has no margin to state: skipped or not serving).
func MarginLine(p *Plan) string {
	m := p.Margin
	if m == nil || p.Skip != "" {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "margin over %s's figures (%s): ", m.Path, m.Source)
	sender := "the LB"
	if p.InCluster {
		sender = "kube-proxy"
	}
	if m.DetachMargin >= 0 {
		fmt.Fprintf(&b, "%s may stop sending up to %s later than expected (%s) before a request fails", sender, secs(m.DetachMargin), secs(m.Detach))
		switch {
		case m.Covered:
			fmt.Fprintf(&b, " (preStop %d s = %s)", m.PreStop, coverLine())
		case m.Detach > 0:
			fmt.Fprintf(&b, " (preStop %d s = ×%.1f)", m.PreStop, float64(m.PreStop)/m.Detach)
		}
	} else {
		fmt.Fprintf(&b, "none: the preStop ends %s before the LB is expected to stop sending (%s)", secs(-m.DetachMargin), secs(m.Detach))
	}
	serve := m.ServeAfterReady()
	switch {
	case m.GateAt == "healthy":
		b.WriteString("; new pods wait for the LB's readiness gate (healthy), so no start-up margin is needed")
	case serve == 0 && p.MinReady == 0:
		fmt.Fprintf(&b, "; new pods receive requests from %s once Ready", sender)
	case m.AttachMargin >= 0:
		fmt.Fprintf(&b, "; the LB may take up to %s longer than expected (%s after Ready) to serve a new pod before an old one goes too early", secs(m.AttachMargin), secs(serve))
	default:
		fmt.Fprintf(&b, "; none at start-up: minReadySeconds %d is %s short of the %s after Ready the LB is expected to take to serve a new pod", p.MinReady, secs(-m.AttachMargin), secs(serve))
	}
	// The rollout and drain time are the costs result's (explain.go).
	return b.String()
}
