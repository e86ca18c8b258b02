package main

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// sample is one pod replacement.
type sample struct {
	// Attach: the new pod Ready -> the first request it served (s); -1 if
	// it never served within the timeout.
	Attach float64
	// GateBefore: every readiness gate of the new pod was True before it
	// served (nil: the pod has no gate).
	GateBefore *bool
	// Detach: the old pod terminating -> the last request it received (s);
	// 0 if none came after.
	Detach float64
}

func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	pos := q * float64(len(s)-1)
	lo, hi := int(math.Floor(pos)), int(math.Ceil(pos))
	return s[lo] + (s[hi]-s[lo])*(pos-float64(lo))
}

// p95 estimates the 95th percentile on the safe side. Below 15 samples the
// sample quantile cannot reach the tail (with 8 it lies between the two
// largest values, under the true p95 about two times in three), so the
// estimate is at least mean + 1.645 standard deviations (the normal
// approximation of the p95) and at least the largest value: a short run
// overstates the figure rather than cuts a preStop short.
func p95(xs []float64) float64 {
	q := quantile(xs, .95)
	if len(xs) == 0 || len(xs) >= 15 {
		return q
	}
	mean := 0.0
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	v := 0.0
	for _, x := range xs {
		v += (x - mean) * (x - mean)
	}
	sd := 0.0
	if len(xs) > 1 {
		sd = math.Sqrt(v / float64(len(xs)-1))
	}
	return math.Max(math.Max(q, quantile(xs, 1)), mean+1.645*sd)
}

// summary is the figures the overlay carries.
type summary struct {
	Attach, Detach                  []float64
	AttachP50, AttachP95, AttachMax float64
	DetachP50, DetachP95, DetachMax float64
	Margin                          float64
	GatedBefore, GatedAfter, Gated  int
	NeverServed                     int
}

func summarize(ss []sample, fraction, min float64) summary {
	var s summary
	for _, x := range ss {
		if x.Attach < 0 {
			s.NeverServed++
		} else {
			s.Attach = append(s.Attach, x.Attach)
		}
		s.Detach = append(s.Detach, x.Detach)
		if x.GateBefore != nil {
			s.Gated++
			if *x.GateBefore {
				s.GatedBefore++
			} else {
				s.GatedAfter++
			}
		}
	}
	s.AttachP50, s.AttachP95, s.AttachMax = quantile(s.Attach, .5), p95(s.Attach), quantile(s.Attach, 1)
	s.DetachP50, s.DetachP95, s.DetachMax = quantile(s.Detach, .5), p95(s.Detach), quantile(s.Detach, 1)
	s.Margin = round1(math.Max(min, fraction*math.Max(nz(s.AttachP95), nz(s.DetachP95))))
	return s
}

func nz(x float64) float64 {
	if math.IsNaN(x) {
		return 0
	}
	return x
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }

// overlay is the functionConfig overlay for the path: a GracefulRollout
// whose spec.measured the function reads (and the same keys work flat in a
// ConfigMap, measured.<path>.attachSeconds ...).
func overlay(path, cluster string, date time.Time, s summary) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# graceful-rollout-calibrate: %d samples on cluster %s, %s.\n", len(s.Detach), cluster, date.UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "# attach (Ready -> first request served): p50 %.1f s, p95 %.1f s, max %.1f s\n", nz(s.AttachP50), nz(s.AttachP95), nz(s.AttachMax))
	fmt.Fprintf(&b, "# detach (terminating -> last request received): p50 %.1f s, p95 %.1f s, max %.1f s\n", s.DetachP50, s.DetachP95, s.DetachMax)
	fmt.Fprintf(&b, "# margin: the function adds %.1f s to each p95 (preStop = detach + margin, minReadySeconds = attach + margin)\n", s.Margin)
	b.WriteString("apiVersion: graceful-rollout.dev/v1alpha1\nkind: GracefulRollout\nmetadata:\n  name: graceful-rollout-measured\n  annotations:\n    config.kubernetes.io/local-config: \"true\"\nspec:\n  measured:\n")
	fmt.Fprintf(&b, "    cluster: %q\n    date: %q\n    %s:\n", cluster, date.UTC().Format(time.DateOnly), path)
	if len(s.Attach) > 0 {
		fmt.Fprintf(&b, "      attachSeconds: %g\n", round1(s.AttachP95))
	}
	fmt.Fprintf(&b, "      detachSeconds: %g\n      marginSeconds: %g\n      samples: %d\n", round1(s.DetachP95), s.Margin, len(s.Detach))
	b.WriteString("# The same as flat keys (a ConfigMap functionConfig, kpt fn eval -- k=v):\n#  ")
	for _, kv := range flatKeys(path, cluster, date, s) {
		b.WriteString(" " + kv)
	}
	b.WriteString("\n")
	return b.String()
}

// flatKeys are the overlay's settings as ConfigMap keys.
func flatKeys(path, cluster string, date time.Time, s summary) []string {
	k := "measured." + path + "."
	out := []string{"measured.cluster=" + cluster, "measured.date=" + date.UTC().Format(time.DateOnly)}
	if len(s.Attach) > 0 {
		out = append(out, fmt.Sprintf("%sattachSeconds=%g", k, round1(s.AttachP95)))
	}
	return append(out, fmt.Sprintf("%sdetachSeconds=%g", k, round1(s.DetachP95)),
		fmt.Sprintf("%smarginSeconds=%g", k, s.Margin), fmt.Sprintf("%ssamples=%d", k, len(s.Detach)))
}

// table prints the samples and the summary.
func table(ss []sample, s summary) string {
	var b strings.Builder
	b.WriteString("sample  attach s  gate before serving  detach s\n")
	for i, x := range ss {
		a := "never"
		if x.Attach >= 0 {
			a = fmt.Sprintf("%.2f", x.Attach)
		}
		g := "no gate"
		if x.GateBefore != nil {
			g = map[bool]string{true: "yes", false: "NO"}[*x.GateBefore]
		}
		fmt.Fprintf(&b, "%6d  %8s  %19s  %8.2f\n", i+1, a, g, x.Detach)
	}
	fmt.Fprintf(&b, "attach: p50 %.2f s, p95 %.2f s, max %.2f s (%d never served)\n", nz(s.AttachP50), nz(s.AttachP95), nz(s.AttachMax), s.NeverServed)
	fmt.Fprintf(&b, "detach: p50 %.2f s, p95 %.2f s, max %.2f s\n", s.DetachP50, s.DetachP95, s.DetachMax)
	if s.Gated > 0 {
		fmt.Fprintf(&b, "readiness gate True before the pod served: %d of %d", s.GatedBefore, s.Gated)
		if s.GatedAfter > 0 {
			b.WriteString(" (the gate turned True before the LB sent to the pod in the others: it does not cover the health checks; minReadySeconds must)")
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "stated margin: %.1f s\n", s.Margin)
	return b.String()
}

// plot draws each distribution as a text histogram.
func plot(s summary) string {
	var b strings.Builder
	for _, d := range []struct {
		name string
		xs   []float64
	}{{"attach (Ready -> first request served)", s.Attach}, {"detach (terminating -> last request received)", s.Detach}} {
		fmt.Fprintf(&b, "%s, seconds:\n", d.name)
		if len(d.xs) == 0 {
			b.WriteString("  (no samples)\n")
			continue
		}
		lo, hi := quantile(d.xs, 0), quantile(d.xs, 1)
		const bins = 10
		width := (hi - lo) / bins
		if width <= 0 {
			width = 1
		}
		counts := make([]int, bins)
		for _, x := range d.xs {
			i := int((x - lo) / width)
			counts[min(i, bins-1)]++
		}
		for i, c := range counts {
			fmt.Fprintf(&b, "  %7.2f-%-7.2f |%s %d\n", lo+float64(i)*width, lo+float64(i+1)*width, strings.Repeat("#", c), c)
		}
	}
	return b.String()
}
