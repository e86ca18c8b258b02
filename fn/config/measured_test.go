package config

import (
	"os"
	"strings"
	"testing"
)

func TestMeasured(t *testing.T) {
	typed := `apiVersion: graceful-rollout.dev/v1alpha1
kind: GracefulRollout
spec:
  profile: gke-neg
  measured:
    cluster: prod-eu
    date: "2026-12-05"
    gke-neg:
      attachSeconds: 11.2
      detachSeconds: 12.4
      marginSeconds: 3
      samples: 20
`
	flat := `apiVersion: v1
kind: ConfigMap
data:
  profile: gke-neg
  measured.cluster: prod-eu
  measured.date: "2026-12-05"
  measured.gke-neg.attachSeconds: "11.2"
  measured.gke-neg.detachSeconds: "12.4"
  measured.gke-neg.marginSeconds: "3"
  measured.gke-neg.samples: "20"
`
	for _, text := range []string{typed, flat} {
		c, err := parse(t, text)
		if err != nil {
			t.Fatal(err)
		}
		m := c.Measured.For("gke-neg")
		if m == nil || *m.Attach != 11.2 || *m.Detach != 12.4 || *m.Margin != 3 || m.Samples != 20 {
			t.Fatalf("measured %+v", m)
		}
		if c.Measured.For("eks-alb") != nil {
			t.Fatal("figures for a path that has none")
		}
		if got := c.Measured.Source(); got != "measured on cluster prod-eu on 2026-12-05" {
			t.Fatalf("source %q", got)
		}
	}
	if DefaultMargin(4) != 2 || DefaultMargin(40) != 10 {
		t.Fatal("default margin")
	}
}

func TestMeasuredErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"data:\n  measured.gke-neg.detachSeconds: \"-1\"", "data.measured.gke-neg.detachSeconds: -1 is out of range"},
		{"data:\n  measured.gke-neg.detachSeconds: soon", `data.measured.gke-neg.detachSeconds: "soon" is not a number of seconds`},
		{"data:\n  measured.gke-neg.detachSeconds: NaN", "is not a number of seconds"},
		{"data:\n  measured.gcp.detachSeconds: \"3\"", "data.measured.gcp.detachSeconds: unknown setting"},
		{"data:\n  measured.date: yesterday", "data.measured.date: \"yesterday\" is not a date"},
		{"data:\n  measured.gke-neg.samples: \"0\"", "data.measured.gke-neg.samples"},
		{"data:\n  measured.gke-neg.marginSeconds: \"3\"", "data.measured.gke-neg.attachSeconds: a margin or sample count without"},
	} {
		_, err := parse(t, "apiVersion: v1\nkind: ConfigMap\n"+tc.text)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.text, err, tc.want)
		}
	}
	_, err := parse(t, "apiVersion: graceful-rollout.dev/v1alpha1\nkind: GracefulRollout\nspec:\n  measured:\n    gke-neg:\n      detach: 3\n")
	if err == nil || !strings.Contains(err.Error(), "spec.measured.gke-neg.detach: unknown field") {
		t.Errorf("typed unknown field: %v", err)
	}
	// The list of known settings stays readable.
	_, err = parse(t, "apiVersion: v1\nkind: ConfigMap\ndata:\n  nope: x\n")
	if err == nil || strings.Count(err.Error(), "measured.") != 3 {
		t.Errorf("known settings: %v", err)
	}
}

// The overlay graceful-rollout-calibrate writes (its test keeps this file
// in step) is a functionConfig the function reads.
func TestCalibrateOverlay(t *testing.T) {
	b, err := os.ReadFile("testdata/calibrate-overlay.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := parse(t, string(b))
	if err != nil {
		t.Fatal(err)
	}
	m := c.Measured.For("gke-neg")
	if m == nil || m.Attach == nil || m.Detach == nil || *m.Detach != 19.1 || *m.Margin != 4.8 || m.Samples != 20 || c.Measured.Source() != "measured on cluster prod-eu on 2026-12-05" {
		t.Fatalf("overlay read as %+v (%s)", m, c.Measured.Source())
	}
}
