package plan

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/graceful-rollout/graceful-rollout/fn/config"
	"github.com/graceful-rollout/graceful-rollout/fn/profile"
)

func f64(v float64) *float64 { return &v }

// measured adds figures measured for one path.
func measured(path string, attach, detach, margin *float64) func(*config.Config) {
	return func(c *config.Config) {
		c.Measured = config.Measurement{Cluster: "prod-eu", Date: "2026-12-05",
			Paths: map[string]*config.Measured{path: {Attach: attach, Detach: detach, Margin: margin, Samples: 20}}}
	}
}

func TestMargin(t *testing.T) {
	exposed := annotate(AnnotationExposed, "true")
	for _, tc := range []struct {
		name    string
		c       *config.Config
		w       *Workload
		preStop int
		minRdy  int
		lbStop  int
		detachM float64
		attachM float64
		waves   int
		perWave float64
		says    []string
	}{
		{
			// Defaults are not shortened: story 1's 60 s minReadySeconds; the
			// preStop is raised from story 1's 20 s to the unmeasured cover,
			// 4 × the expected detach 10 s; health checks 10 s.
			name: "gke-neg default", c: cfg(t, "gke-neg"), w: web(exposed),
			preStop: 40, minRdy: 60, lbStop: 20, detachM: 30, attachM: 50, waves: 3, perWave: 65,
			says: []string{"the LB may stop sending up to 30 s later than expected (10 s) before a request fails (preStop 40 s = ×4: unmeasured, it covers a load balancer 1.5× slower than that with per-event jitter p95/median 2 (its 99th percentile)",
				"P 40 s from profile gke-neg's typical detach 10 s × 4 (unmeasured cover; field report: 20 s)",
				"up to 50 s longer than expected (10 s after Ready)", "rollout ≈ 3 wave(s) × 65 s = 195 s", "story 1"},
		},
		{
			// Measured: preStop = detach + margin, minReadySeconds = serve + margin.
			name: "gke-neg measured", c: cfg(t, "gke-neg", measured("gke-neg", f64(11.2), f64(12.4), f64(3.1))), w: web(exposed),
			preStop: 16, minRdy: 15, lbStop: 13, detachM: 3.6, attachM: 3.8, waves: 3, perWave: 20,
			says: []string{"measured on cluster prod-eu on 2026-12-05: detach p95 12.4 s, attach p95 11.2 s, margin 3.1 s, 20 samples",
				"up to 3.6 s later than expected (12.4 s)"},
		},
		{
			// No margin stated: a quarter of the larger figure, at least 2 s.
			name: "default margin", c: cfg(t, "gke-neg", measured("gke-neg", f64(4), f64(40), nil)), w: web(exposed),
			preStop: 50, minRdy: 14, lbStop: 40, detachM: 10, attachM: 10, waves: 3, perWave: 19,
			says: []string{"margin 10 s"},
		},
		{
			// Figures for another path change nothing here.
			name: "other path measured", c: cfg(t, "gke-neg", measured("eks-alb", f64(1), f64(1), nil)), w: web(exposed),
			preStop: 40, minRdy: 60, lbStop: 20, detachM: 30, attachM: 50, waves: 3, perWave: 65,
		},
		{
			// Detach only: minReadySeconds stays the profile's.
			name: "detach only", c: cfg(t, "aks-agic", measured("aks-agic", nil, f64(20), f64(5))), w: web(exposed),
			preStop: 25, minRdy: 60, lbStop: 20, detachM: 5, attachM: 0, waves: 3, perWave: 60,
		},
		{
			// The target-health gate waits for the LB: measured attach does not
			// add minReadySeconds; the measured detach shortens the preStop.
			name: "eks-alb measured", c: cfg(t, "eks-alb", measured("eks-alb", f64(0.1), f64(16), f64(4))), w: web(exposed),
			preStop: 20, minRdy: 0, lbStop: 16, detachM: 4, attachM: -0.1, waves: 3, perWave: 35,
			says: []string{"detach p95 16 s, attach p95 0.1 s, margin 4 s"},
		},
		{
			name: "eks-alb gated", c: cfg(t, "eks-alb"), w: web(exposed),
			preStop: 120, minRdy: 0, lbStop: 70, detachM: 90, attachM: 0, waves: 3, perWave: 35,
			says: []string{"readiness gate (healthy), so no start-up margin is needed"},
		},
		{
			name: "generic in-cluster", c: cfg(t, "generic"), w: web(),
			preStop: 10, minRdy: 0, lbStop: 5, detachM: 5, attachM: 0, waves: 3, perWave: 0,
			says: []string{"kube-proxy may stop sending up to 5 s later", "receive requests from kube-proxy once Ready"},
		},
		{
			// A wider surge takes fewer waves.
			name: "surge 50%", c: cfg(t, "gke-neg", func(c *config.Config) { c.MaxSurge = "50%" }), w: web(exposed, func(w *Workload) { w.Replicas = intp(4) }),
			preStop: 40, minRdy: 60, lbStop: 20, detachM: 30, attachM: 50, waves: 2, perWave: 65,
		},
		{
			name: "statefulset", c: cfg(t, "gke-neg"), w: web(exposed, func(w *Workload) { w.Kind = "StatefulSet"; w.Replicas = intp(2) }),
			preStop: 40, minRdy: 60, lbStop: 20, detachM: 30, attachM: 50, waves: 2, perWave: 65,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := Make(tc.w, tc.c)
			m := p.Margin
			if m == nil {
				t.Fatalf("no margin: %+v", p)
			}
			if p.PreStop != tc.preStop || p.MinReady != tc.minRdy || p.LBStop != tc.lbStop {
				t.Errorf("preStop %d minReady %d L %d, want %d %d %d", p.PreStop, p.MinReady, p.LBStop, tc.preStop, tc.minRdy, tc.lbStop)
			}
			if d := m.DetachMargin - tc.detachM; d > 1e-9 || d < -1e-9 {
				t.Errorf("detach margin %g, want %g", m.DetachMargin, tc.detachM)
			}
			if d := m.AttachMargin - tc.attachM; d > 1e-9 || d < -1e-9 {
				t.Errorf("attach margin %g, want %g", m.AttachMargin, tc.attachM)
			}
			if m.Waves != tc.waves || m.PerWave != tc.perWave {
				t.Errorf("waves %d × %g, want %d × %g", m.Waves, m.PerWave, tc.waves, tc.perWave)
			}
			line := MarginLine(p) + "\n" + ExplainLine(tc.w, tc.c, p)
			for _, s := range tc.says {
				if !strings.Contains(line, s) {
					t.Errorf("line lacks %q:\n%s", s, line)
				}
			}
		})
	}
}

// Skipped workloads state no margin.
func TestMarginSkipped(t *testing.T) {
	p := Make(web(annotate(AnnotationSkip, "true")), cfg(t, "gke-neg"))
	if MarginLine(p) != "" {
		t.Fatalf("skipped workload got %q", MarginLine(p))
	}
}

// A user's own values are not lowered by measured figures in default mode.
func TestMeasuredKeepsUserValues(t *testing.T) {
	w := web(annotate(AnnotationExposed, "true"), func(w *Workload) {
		w.MinReady = intp(60)
		w.Containers[0].Hook, w.Containers[0].HookSeconds = HookSleep, 30
	})
	p := Make(w, cfg(t, "gke-neg", measured("gke-neg", f64(5), f64(5), f64(2))))
	if p.MinReady != 60 || p.PreStop != 30 {
		t.Fatalf("minReady %d preStop %d: the user's 60 and 30 were lowered", p.MinReady, p.PreStop)
	}
}

// The reference's figures table says what the plan assumes without
// measurements, and the preStop it then plans (by running it).
func TestFiguresTable(t *testing.T) {
	b, err := os.ReadFile("../../docs/reference.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	start, end := strings.Index(s, "<!-- figures-table"), strings.Index(s, "<!-- /figures-table -->")
	if start < 0 || end < start {
		t.Fatal("docs/reference.md has no figures-table markers")
	}
	var got, want []string
	for _, line := range strings.Split(s[start:end], "\n") {
		if strings.HasPrefix(line, "| ") && !strings.HasPrefix(line, "| profile") {
			got = append(got, line)
		}
	}
	num := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	for _, prof := range profile.All() {
		p := Make(web(annotate(AnnotationExposed, "true")), cfg(t, prof.Name))
		if p.Margin == nil {
			t.Fatalf("%s: no margin planned: %s", prof.Name, dump(p))
		}
		f := p.Margin.Figures
		gate := f.GateAt
		if gate == "" {
			gate = "—"
		}
		pre := fmt.Sprintf("%d (profile)", p.PreStop)
		if f.Covered {
			pre = fmt.Sprintf("%d (4 × %s)", p.PreStop, num(f.Detach))
		}
		want = append(want, fmt.Sprintf("| %s | %s | %s | %s | %s | %s | %s |", prof.Name, num(f.Detach), num(f.Attach), num(f.Health), gate, pre, f.Source))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("docs/reference.md figures table is out of date; want:\n%s", strings.Join(want, "\n"))
	}
}
