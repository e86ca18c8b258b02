package config

import (
	"strings"
	"testing"
)

func TestDidYouMean(t *testing.T) {
	for _, tc := range []struct {
		config, want string
	}{
		{"apiVersion: v1\nkind: ConfigMap\ndata:\n  profle: gke-neg\n", `data.profle: unknown setting; did you mean "profile"?`},
		{"apiVersion: v1\nkind: ConfigMap\ndata:\n  prestopSeconds: \"5\"\n", `did you mean "preStopSeconds"?`},
		{"apiVersion: v1\nkind: ConfigMap\ndata:\n  profile: gke-nge\n", `did you mean "gke-neg"?`},
		{"apiVersion: v1\nkind: ConfigMap\ndata:\n  profile: eks-alb-fargate\n", `unknown profile "eks-alb-fargate"`},
		{"apiVersion: v1\nkind: ConfigMap\ndata:\n  reportFormat: sarf\n", `did you mean "sarif"?`},
		{"apiVersion: graceful-rollout.dev/v1alpha1\nkind: GracefulRollout\nspec:\n  kubernetesVerison: \"1.29\"\n", `spec.kubernetesVerison: unknown field; did you mean "kubernetesVersion"?`},
		{"apiVersion: graceful-rollout.dev/v1alpha1\nkind: GracefulRollout\nspec:\n  loadBalancer:\n    drainSecond: 5\n", `did you mean "loadBalancer.drainSeconds"?`},
	} {
		_, err := parse(t, tc.config)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want it to contain %q", tc.config, err, tc.want)
		}
	}
	// Nothing near: no guess.
	_, err := parse(t, "apiVersion: v1\nkind: ConfigMap\ndata:\n  colour: blue\n")
	if err == nil || strings.Contains(err.Error(), "did you mean") {
		t.Errorf("colour: got %v, want no guess", err)
	}
}

func TestOutputSettings(t *testing.T) {
	c, err := parse(t, "apiVersion: v1\nkind: ConfigMap\ndata:\n  report: out.sarif\n  reportFormat: sarif\n  quiet: \"true\"\n")
	if err != nil {
		t.Fatal(err)
	}
	if c.Output != (OutputConfig{Report: "out.sarif", ReportFormat: ReportSARIF, Quiet: true}) {
		t.Errorf("Output = %+v", c.Output)
	}
	c, err = parse(t, "apiVersion: graceful-rollout.dev/v1alpha1\nkind: GracefulRollout\nspec:\n  report: r.json\n  quiet: false\n")
	if err != nil {
		t.Fatal(err)
	}
	if c.Output.Report != "r.json" || c.Output.Quiet {
		t.Errorf("Output = %+v", c.Output)
	}
	if _, err := parse(t, "apiVersion: v1\nkind: ConfigMap\ndata:\n  quiet: yes\n"); err == nil || !strings.Contains(err.Error(), "data.quiet") {
		t.Errorf("quiet: yes: got %v", err)
	}
}
