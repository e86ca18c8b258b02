package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/graceful-rollout/graceful-rollout/fn/config"
	"github.com/graceful-rollout/graceful-rollout/fn/profile"
)

// planPath finds the paths that reach the workload and returns the profile
// whose L, preStop and minReadySeconds apply: the slowest of them. Each
// Ingress, Gateway and LoadBalancer Service is planned from the controller
// that serves it (profile.FindController); one the table does not know is
// planned as the profile's load balancer, the safe side, with a warning.
func planPath(w *Workload, c *config.Config, p *Plan) profile.Profile {
	exposed := ""
	if v, ok := w.Annotations[AnnotationExposed]; ok {
		if v != "true" && v != "false" {
			p.add(Error, "metadata.annotations."+AnnotationExposed, "%q is not true or false", v)
		} else {
			exposed = v
		}
	}
	inCluster := c.Profile.ForPath(profile.PathInCluster)
	if exposed == "false" {
		p.Path = fmt.Sprintf("in-cluster only (%s: \"false\") → %s", AnnotationExposed, inCluster.Name)
		p.LBStop, p.InCluster = inCluster.LBStopSeconds, true
		return inCluster
	}
	best := inCluster
	var parts, unknown, foreign []string
	for _, path := range w.Paths {
		q, note, r := pathRow(path, c.Profile)
		switch r.kind {
		case rowUnknown:
			if !slices.Contains(unknown, r.name) {
				unknown = append(unknown, r.name)
			}
		case rowForeign:
			if !slices.Contains(foreign, r.name) {
				foreign = append(foreign, r.name)
			}
		}
		parts = append(parts, path.Via+note+" → "+q.Name)
		if q.Platform == profile.PlatformAWS && path.TargetType != "instance" {
			p.AWSIPTargets = true
		}
		if len(parts) == 1 || slower(q, best) {
			best = q
		}
	}
	if len(unknown) > 0 {
		p.add(Warning, "", "%s: not a load balancer or proxy this function knows, so planned as the load balancer of profile %s (the safe side: its preStop and minReadySeconds); if it is an in-cluster proxy, annotate the workload %s: \"false\" or pin %s",
			strings.Join(unknown, ", "), c.Profile.Name, AnnotationExposed, AnnotationPreStop)
	}
	if len(foreign) > 0 {
		p.add(Warning, "", "%s: a load balancer of another platform than profile %s (%s), planned with its own numbers; check that the profile and the manifests are for the same cluster",
			strings.Join(foreign, ", "), c.Profile.Name, platformName(c.Profile.Platform))
	}
	switch {
	case len(parts) > 0:
		p.Path = "behind " + strings.Join(parts, ", ")
		if len(parts) > 1 {
			p.Path += "; the slowest, " + best.Name + ", applies"
		}
	case exposed == "true":
		best = c.Profile
		p.Path = fmt.Sprintf("behind the load balancer (%s: \"true\") → %s", AnnotationExposed, best.Name)
	case c.Profile.Name == inCluster.Name:
		p.Path = "no load-balancer entry in the input → " + inCluster.Name
	case len(w.Services) == len(w.MetricsServices):
		// Every load-balancer path reaches pods through a Service
		// (operators, agents and controllers have none).
		p.Path = "no Service selects its pods: not a load-balancer target → " + inCluster.Name
	case c.Exposure == config.ExposureAll:
		best = c.Profile
		p.Path = "behind the load balancer (exposure all) → " + best.Name
	case c.Exposure == config.ExposureAuto && !w.InputHasEntries:
		best = c.Profile
		p.Path = "behind the load balancer (no route in the input: exposure auto) → " + best.Name
	default:
		p.Path = "in-cluster only → " + inCluster.Name
	}
	if len(parts) == 0 && best.Name != inCluster.Name && best.Platform == profile.PlatformAWS {
		// Behind the load balancer by exposure or annotation: its target
		// type is not in the input.
		p.AWSIPTargets = true
	}
	p.LBStop = best.LBStopSeconds
	p.InCluster = best.Name == inCluster.Name
	return best
}

type rowKind int

const (
	rowKnown rowKind = iota
	rowUnknown
	rowForeign
)

type rowNote struct {
	kind rowKind
	name string
}

// pathRow is the row whose numbers apply to one path under profile prof,
// with a note for the path line and whether its class is unknown or of
// another platform.
func pathRow(path Path, prof profile.Profile) (profile.Profile, string, rowNote) {
	var kind profile.EntryKind
	switch path.Kind {
	case profile.PathIngress:
		kind = profile.EntryIngress
	case profile.PathGateway:
		kind = profile.EntryGateway
	case profile.PathServiceLB:
		kind = profile.EntryService
	default:
		// TargetGroupBinding (AWS), standalone NEG (GKE): the profile's
		// load balancer, when the profile is of that platform.
		want := profile.PlatformAWS
		if path.Kind == profile.PathNEG {
			want = profile.PlatformGCP
		}
		if prof.Platform != want {
			q := profile.Profile{}
			for _, r := range profile.All() {
				if r.Platform == want && r.Name != "gke-autopilot" && r.LB.Product != "nlb" {
					q = r
					break
				}
			}
			return q, "", rowNote{rowForeign, string(path.Kind) + " (" + platformName(want) + ")"}
		}
		return prof, "", rowNote{}
	}
	if kind == profile.EntryService && path.Class == "" {
		return prof.ForPath(profile.PathServiceLB), "", rowNote{}
	}
	if kind != profile.EntryService && path.Class == "" && path.Controller == "" {
		// No class (or a Gateway not in the input): the profile says what
		// routes traffic.
		return prof, "", rowNote{}
	}
	ctl, ok := profile.FindController(kind, path.Class, path.Controller)
	name := classNote(kind, path)
	if !ok {
		return prof, " (" + name + ": unknown)", rowNote{rowUnknown, name}
	}
	q := prof.Timeline(ctl)
	switch {
	case ctl.InCluster() && path.ClassWhat != "":
		// The path names the entry already ("Istio Gateway x").
		return q, " (" + ctl.Name + ", an in-cluster proxy)", rowNote{}
	case ctl.InCluster():
		return q, " (" + name + ": " + ctl.Name + ", an in-cluster proxy)", rowNote{}
	case ctl.Platform != prof.Platform:
		// A cloud load balancer of another platform: its own numbers, or
		// the profile's when they are slower (the safe side).
		if prof.HasLB() && slower(prof, q) {
			q = prof
		}
		return q, " (" + name + ": " + ctl.Name + ")", rowNote{rowForeign, name + " (" + ctl.Name + ")"}
	case q.Name != prof.Name || ctl.Product != prof.LB.Product:
		return q, " (" + name + ": " + ctl.Name + ")", rowNote{}
	}
	return q, "", rowNote{}
}

// classNote names the class of a path as results show it.
func classNote(kind profile.EntryKind, path Path) string {
	if path.ClassWhat != "" {
		return path.ClassWhat
	}
	what := map[profile.EntryKind]string{profile.EntryIngress: "Ingress class", profile.EntryGateway: "GatewayClass", profile.EntryService: "loadBalancerClass"}[kind]
	s := fmt.Sprintf("%s %q", what, path.Class)
	if path.Controller != "" {
		s += fmt.Sprintf(" (controller %q)", path.Controller)
	}
	return s
}

func platformName(p profile.Platform) string {
	if p == profile.PlatformNone {
		return "no cloud load balancer"
	}
	return string(p)
}

// slower reports whether a path with profile a takes longer to stop
// sending (or to admit a new pod) than one with b.
func slower(a, b profile.Profile) bool {
	if a.LBStopSeconds != b.LBStopSeconds {
		return a.LBStopSeconds > b.LBStopSeconds
	}
	if a.MinReadySeconds != b.MinReadySeconds {
		return a.MinReadySeconds > b.MinReadySeconds
	}
	return a.PreStopSeconds > b.PreStopSeconds
}
