package main

import (
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

func TestSummarizeAndOverlay(t *testing.T) {
	tr, fa := true, false
	var ss []sample
	for i := 1; i <= 20; i++ {
		ss = append(ss, sample{Attach: float64(i), Detach: float64(i) / 2, GateBefore: &tr})
	}
	ss[3].GateBefore = &fa
	ss[4].Attach = -1
	s := summarize(ss, 0.25, 2)
	if s.NeverServed != 1 || len(s.Attach) != 19 || s.GatedAfter != 1 || s.GatedBefore != 19 {
		t.Fatalf("summary %+v", s)
	}
	if s.DetachP95 != 9.525 || s.DetachMax != 10 {
		t.Fatalf("detach p95 %g max %g", s.DetachP95, s.DetachMax)
	}
	if s.Margin != round1(0.25*s.AttachP95) {
		t.Fatalf("margin %g, attach p95 %g", s.Margin, s.AttachP95)
	}
	out := overlay("gke-neg", "lab", time.Date(2026, 12, 5, 18, 0, 0, 0, time.UTC), s)
	for _, want := range []string{"kind: GracefulRollout", `date: "2026-12-05"`, "    gke-neg:\n      attachSeconds: 19.1\n      detachSeconds: 9.5\n      marginSeconds: 4.8\n      samples: 20\n",
		"measured.cluster=lab measured.date=2026-12-05 measured.gke-neg.attachSeconds=19.1 measured.gke-neg.detachSeconds=9.5 measured.gke-neg.marginSeconds=4.8 measured.gke-neg.samples=20"} {
		if !strings.Contains(out, want) {
			t.Errorf("overlay lacks %q:\n%s", want, out)
		}
	}
	tab := table(ss, s)
	if !strings.Contains(tab, "readiness gate True before the pod served: 19 of 20") || !strings.Contains(tab, "never") {
		t.Errorf("table:\n%s", tab)
	}
	if p := plot(s); strings.Count(p, "|") != 20 {
		t.Errorf("plot:\n%s", p)
	}
	// Small figures get the minimum margin.
	if s := summarize([]sample{{Attach: 1, Detach: 1}, {Attach: 2, Detach: 2}}, 0.25, 2); s.Margin != 2 {
		t.Fatalf("margin %g", s.Margin)
	}
}

func TestOptions(t *testing.T) {
	ok := [][]string{
		{"--namespace", "cal", "--entry", "in-cluster"},
		{"--namespace", "cal", "--entry", "ingress:alb", "--path", "eks-alb", "--entry-annotation", "alb.ingress.kubernetes.io/target-type=ip"},
		{"--namespace", "cal", "--entry", "gateway:infra/external", "--path", "gke-neg"},
		{"--namespace", "cal", "--entry", "address:http://127.0.0.1:8080/", "--path", "gke-neg", "--samples", "5"},
	}
	for _, a := range ok {
		if _, _, err := parseOptions(a, io.Discard); err != nil {
			t.Errorf("%v: %v", a, err)
		}
	}
	bad := map[string][]string{
		"--namespace is required": {"--entry", "in-cluster"},
		"--entry is required":     {"--namespace", "cal"},
		"--path is required":      {"--namespace", "cal", "--entry", "ingress:nginx"},
		"NAMESPACE/NAME":          {"--namespace", "cal", "--entry", "gateway:gw", "--path", "gke-neg"},
		"want in-cluster":         {"--namespace", "cal", "--entry", "nodeport"},
		"http:// or https://":     {"--namespace", "cal", "--entry", "address:127.0.0.1", "--path", "x"},
		"--samples 1":             {"--namespace", "cal", "--entry", "in-cluster", "--samples", "1"},
		"--replicas 1":            {"--namespace", "cal", "--entry", "in-cluster", "--replicas", "1"},
		"unexpected argument":     {"--namespace", "cal", "--entry", "in-cluster", "extra"},
	}
	for want, a := range bad {
		_, _, err := parseOptions(a, io.Discard)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%v: %v, want %q", a, err, want)
		}
	}
}

// The overlay the command writes is the file fn/config's tests parse with
// the function's own config parser (TestCalibrateOverlay there).
func TestOverlayGolden(t *testing.T) {
	var ss []sample
	for i := 1; i <= 20; i++ {
		ss = append(ss, sample{Attach: float64(i) / 2, Detach: float64(i)})
	}
	got := overlay("gke-neg", "prod-eu", time.Date(2026, 12, 5, 18, 0, 0, 0, time.UTC), summarize(ss, 0.25, 2))
	const golden = "../../fn/config/testdata/calibrate-overlay.yaml"
	if os.Getenv("UPDATE") != "" {
		os.WriteFile(golden, []byte(got), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil || string(want) != got {
		t.Fatalf("overlay differs from %s (UPDATE=1 rewrites it):\n%s", golden, got)
	}
}

// Below 15 samples the p95 is estimated on the safe side: at least the
// largest value and the normal approximation; from 15 on, the sample
// quantile.
func TestP95SmallSamples(t *testing.T) {
	few := []float64{1, 1.2, 1.4, 1.5, 1.6, 1.8, 2.0, 2.4}
	if got := p95(few); got < 2.4 || got < quantile(few, .95) {
		t.Errorf("p95 of 8 samples = %g, want at least the largest, 2.4", got)
	}
	var many []float64
	for i := 1; i <= 40; i++ {
		many = append(many, float64(i))
	}
	if got, want := p95(many), quantile(many, .95); got != want {
		t.Errorf("p95 of 40 samples = %g, want the sample quantile %g", got, want)
	}
}
