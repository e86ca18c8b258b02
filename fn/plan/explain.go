package plan

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/graceful-rollout/graceful-rollout/fn/config"
	"github.com/graceful-rollout/graceful-rollout/fn/profile"
)

// Cost is what a plan costs in time, for one workload: how long a rollout
// of all its pods takes at least, and how long one pod takes to leave on a
// drain or eviction (docs/concepts.md, "What a plan costs").
type Cost struct {
	// Waves is how many rounds of replacement a rollout takes (0: not
	// known, as for a DaemonSet, whose waves are its nodes); WaveSeconds
	// what each round waits for at least, besides the pods' own startup.
	Waves, WaveSeconds int
	// PerNode: the waves are nodes (a DaemonSet).
	PerNode bool
	// RolloutSeconds = Waves × WaveSeconds.
	RolloutSeconds int
	// DrainSeconds is the time from eviction until the pod is gone when
	// the app uses its whole shutdown budget: P + D, at most T.
	DrainSeconds int
	// How says how the waves and their wait were counted.
	How string
}

// Source says where a number of the plan came from.
type Source struct {
	Name    string // L, P, D, T, minReadySeconds
	Seconds int
	From    string
}

// Explain returns the cost of the plan and the source of each of its numbers.
func Explain(w *Workload, c *config.Config, p *Plan) (Cost, []Source) {
	return cost(w, p), sources(w, c, p)
}

// ExplainLine is Explain in one line, for a result.
func ExplainLine(w *Workload, c *config.Config, p *Plan) string {
	co, srcs := Explain(w, c, p)
	var b strings.Builder
	switch {
	case co.PerNode:
		fmt.Fprintf(&b, "costs: rollout ≥ %d s per node (%s)", co.WaveSeconds, co.How)
	case co.Waves > 0:
		fmt.Fprintf(&b, "costs: rollout ≈ %d wave(s) × %d s = %d s plus the pods' startup (%s)", co.Waves, co.WaveSeconds, co.RolloutSeconds, co.How)
	default:
		fmt.Fprintf(&b, "costs: %s", co.How)
	}
	fmt.Fprintf(&b, ", drain of one pod ≤ %d s (preStop %d s + shutdown %d s, within the grace period of %d s)", co.DrainSeconds, p.PreStop, p.Shutdown, p.Grace)
	parts := make([]string, len(srcs))
	for i, s := range srcs {
		parts[i] = fmt.Sprintf("%s %d s from %s", s.Name, s.Seconds, s.From)
	}
	fmt.Fprintf(&b, "; sources: %s", strings.Join(parts, "; "))
	return b.String()
}

func cost(w *Workload, p *Plan) Cost {
	co := Cost{DrainSeconds: min(p.PreStop+p.Shutdown, p.Grace)}
	replicas := 1
	if w.Replicas != nil {
		replicas = *w.Replicas
	}
	if w.HPAMinReplicas != nil {
		replicas = max(replicas, *w.HPAMinReplicas)
	}
	stop := co.DrainSeconds // an old pod's stop, when the next wave waits for it
	// A readiness gate (GKE NEG, AWS target health) holds each new pod
	// until the load balancer reports it: its expected wait (margin.go)
	// comes on top of minReadySeconds in every wave.
	gate, gateHow := 0, ""
	if p.Margin != nil && p.Margin.GateWait > 0 {
		gate = ceil(p.Margin.GateWait)
		gateHow = fmt.Sprintf(" and the load balancer's readiness gate (about %d s)", gate)
	}
	ready := p.MinReady + gate
	surge := first(p.Strategy.MaxSurge, w.Strategy.MaxSurge, "25%")
	unavail := first(p.Strategy.MaxUnavailable, w.Strategy.MaxUnavailable, "25%")
	typ := first(p.Strategy.Type, w.Strategy.Type)
	switch {
	case w.Kind == "ReplicaSet":
		co.How = "a ReplicaSet has no rollout of its own (its owner rolls it)"
		return co
	case w.Kind == "Rollout" && w.Strategy.BlueGreen:
		co.Waves, co.WaveSeconds = 1, ready
		co.How = fmt.Sprintf("blue-green: the new ReplicaSet comes up beside the old one; minReadySeconds %d s%s", p.MinReady, gateHow)
	case w.Kind == "DaemonSet":
		co.PerNode = true
		co.WaveSeconds = ready
		co.How = fmt.Sprintf("each node's new pod is Ready %d s%s before the next node's pod goes", p.MinReady, gateHow)
		if isZero(first(p.Strategy.MaxSurge, w.Strategy.MaxSurge, "0")) {
			co.WaveSeconds += stop
			co.How = fmt.Sprintf("node by node: the old pod stops (up to %d s), then the new one is Ready %d s%s", stop, p.MinReady, gateHow)
		}
		return co
	case w.Kind == "StatefulSet":
		co.Waves, co.WaveSeconds = replicas, stop+ready
		co.How = fmt.Sprintf("one pod at a time: %d replica(s), each old pod stops (up to %d s) before its replacement starts, then the replacement is Ready %d s%s", replicas, stop, p.MinReady, gateHow)
	case typ == "Recreate":
		co.Waves, co.WaveSeconds = 1, stop+ready
		co.How = fmt.Sprintf("Recreate: every old pod stops (up to %d s) before the new ones start; minReadySeconds %d s%s", stop, p.MinReady, gateHow)
	default:
		s := scaled(surge, replicas, true)
		u := scaled(unavail, replicas, false)
		per := max(s+u, 1)
		co.Waves = (replicas + per - 1) / per
		co.WaveSeconds = ready
		co.How = fmt.Sprintf("%d replica(s), maxSurge %s and maxUnavailable %s replace %d pod(s) per wave, each wave waits minReadySeconds %d s%s", replicas, surge, unavail, per, p.MinReady, gateHow)
		if s == 0 {
			// No surge: each wave waits for the old pods to stop first.
			co.WaveSeconds += stop
			co.How += fmt.Sprintf(" and the old pods' stop (up to %d s)", stop)
		}
	}
	co.RolloutSeconds = co.Waves * co.WaveSeconds
	return co
}

// scaled resolves an int-or-percent against replicas as the Deployment
// controller does: a surge rounds up, maxUnavailable down.
func scaled(v string, replicas int, up bool) int {
	if pct, ok := strings.CutSuffix(v, "%"); ok {
		n, err := strconv.Atoi(pct)
		if err != nil {
			return 0
		}
		f := float64(n) * float64(replicas) / 100
		if up {
			return int(math.Ceil(f))
		}
		return int(math.Floor(f))
	}
	n, _ := strconv.Atoi(v)
	return n
}

func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func sources(w *Workload, c *config.Config, p *Plan) []Source {
	pathProfile := pathProfileName(p)
	ann := func(key string) (string, bool) {
		v, ok := w.Annotations[key]
		return "annotation " + key, ok && strings.TrimSpace(v) != ""
	}
	var out []Source

	lFrom := "profile " + pathProfile
	if p.InCluster {
		lFrom += " (in-cluster endpoint sync)"
	}
	out = append(out, Source{"L", p.LBStop, lFrom})

	pFrom := "profile " + pathProfile
	planned := slices.ContainsFunc(p.Hooks, func(h Hook) bool { return !h.Helper && h.Seconds == p.PreStop })
	switch a, ok := ann(AnnotationPreStop); {
	case p.PreStop == 0 && !planned:
		pFrom = "nothing: no preStop"
	case !planned:
		pFrom = "the workload's own preStop"
	case ok:
		pFrom = a
	case c.PreStopSeconds != nil:
		pFrom = "setting " + c.Path("preStopSeconds")
	}
	if prof, err := profile.Lookup(pathProfile); err == nil && planned && pFrom == "profile "+pathProfile {
		want := prof.PreStopSeconds
		if f := figuresFor(c, prof); f.Cover() > want {
			want = f.Cover()
			pFrom = fmt.Sprintf("profile %s's typical detach %s × %.0f (unmeasured cover; field report: %d s)", pathProfile, secs(f.Detach), coverFactor, prof.PreStopSeconds)
		}
		if p.PreStop < want {
			pFrom += fmt.Sprintf(", shortened from %d s to fit the grace-period cap", want)
		}
	}
	out = append(out, Source{"P", p.PreStop, pFrom})

	dFrom := "profile " + c.Profile.Name
	own := ownShutdown(w)
	switch a, ok := ann(AnnotationShutdown); {
	case ok:
		dFrom = a
	case c.ShutdownSeconds != nil:
		dFrom = "setting " + c.Path("shutdownSeconds")
	case requestTimeout(w, p.Shutdown) != "":
		dFrom = requestTimeout(w, p.Shutdown)
	case w.Grace != nil && (own >= 0 || p.Grace == *w.Grace):
		dFrom = "the workload's own grace period less its preStop"
	case w.Grace == nil && p.Shutdown == DefaultGrace-p.PreStop && p.Shutdown > c.Profile.ShutdownSeconds:
		dFrom = fmt.Sprintf("the Kubernetes default grace period (%d s) less the preStop", DefaultGrace)
	}
	out = append(out, Source{"D", p.Shutdown, dFrom})

	tFrom := "P + D"
	switch {
	case !p.SetGrace && w.Grace != nil:
		tFrom = "the workload's own value"
	case p.Grace < p.PreStop+p.Shutdown || (p.Grace > 0 && p.Grace == c.Profile.SpotGraceCap && (c.Spot || w.Spot)):
		tFrom = "the platform's grace-period cap"
	case p.Grace == DefaultGrace && p.PreStop+p.Shutdown < DefaultGrace:
		tFrom = fmt.Sprintf("the Kubernetes default (%d s), never lowered", DefaultGrace)
	case w.Grace != nil && p.Grace == *w.Grace:
		tFrom = "the workload's own value"
	case p.Grace > p.PreStop+p.Shutdown+1:
		tFrom = "the mesh proxy's drain"
	}
	out = append(out, Source{"T", p.Grace, tFrom})

	mFrom := "profile " + pathProfile
	switch a, ok := ann(AnnotationMinReady); {
	case ok:
		mFrom = a
	case !p.SetMinReady && w.MinReady != nil && *w.MinReady == p.MinReady:
		mFrom = "the workload's own value"
	case c.MinReadySeconds != nil:
		mFrom = "setting " + c.Path("minReadySeconds")
	case w.MinReady != nil && *w.MinReady == p.MinReady:
		mFrom = "the workload's own value"
	}
	out = append(out, Source{"minReadySeconds", p.MinReady, mFrom})
	return out
}

// requestTimeout names the entry whose request timeout set D, if one did.
func requestTimeout(w *Workload, d int) string {
	for _, path := range w.Paths {
		if path.RequestTimeout == d && d > 0 {
			return fmt.Sprintf("%s (%s)", path.RequestTimeoutField, path.Via)
		}
	}
	return ""
}

// pathProfileName is the profile whose numbers the plan's path used: the
// one named last on the path, or among several paths the slowest.
func pathProfileName(p *Plan) string {
	var names []string
	for _, part := range strings.Split(p.Path, "→ ")[1:] {
		name := strings.FieldsFunc(part, func(r rune) bool { return r == ',' || r == ' ' || r == ';' || r == ')' })
		if len(name) > 0 {
			names = append(names, name[0])
		}
	}
	for _, n := range names {
		if prof, err := profile.Lookup(n); err == nil && prof.LBStopSeconds == p.LBStop {
			return n
		}
	}
	if len(names) > 0 {
		return names[len(names)-1]
	}
	return "generic"
}
