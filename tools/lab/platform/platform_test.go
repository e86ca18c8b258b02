package platform

import (
	"strings"
	"testing"
	"time"
)

// Every number has a source, and the contract's platforms are all there.
func TestTableComplete(t *testing.T) {
	for _, name := range []string{"gke-neg", "aws-alb", "aws-nlb", "aws-alb-instance", "agic", "ingress-nginx", "kube-proxy"} {
		p, err := Get(name)
		if err != nil {
			t.Fatal(err)
		}
		if p.Name != name {
			t.Errorf("%s: Name %q", name, p.Name)
		}
		for _, f := range numFields {
			if x := p.field(f); x.Source == "" || x.V < 0 {
				t.Errorf("%s %s: %+v has no source", name, f, *x)
			}
		}
		if (p.Gate == "") != (p.GateWhen == "") {
			t.Errorf("%s: gate %q when %q", name, p.Gate, p.GateWhen)
		}
		if p.Mode != "" && p.HealthInterval.V > 0 && p.HealthyThreshold.V < 1 {
			t.Errorf("%s: health checks without a healthy threshold", name)
		}
	}
	if _, err := Get("gcp"); err == nil || !strings.Contains(err.Error(), "gke-neg") {
		t.Errorf("Get(gcp) = %v", err)
	}
	// The instance-target ALB never has a gate (AWS LBC: ip targets only).
	if Table["aws-alb-instance"].Gate != "" {
		t.Error("aws-alb-instance has a gate")
	}
}

func TestScaledAndSet(t *testing.T) {
	p, _ := Get("aws-alb")
	if err := p.Set("drain=30", "Service x"); err != nil {
		t.Fatal(err)
	}
	s := p.Scaled(10)
	if s.Detach != 3*time.Second || s.Drain != 3*time.Second || s.HealthInterval != 1500*time.Millisecond || s.HealthyThreshold != 2 {
		t.Fatalf("scaled %+v", s)
	}
	if p.Drain.Source != "Service x" || Table["aws-alb"].Drain.V != 300 {
		t.Fatalf("Set changed the table or lost the source: %+v %+v", p.Drain, Table["aws-alb"].Drain)
	}
	for _, kv := range []string{"drain", "drain=-1", "drain=x", "nope=1"} {
		if err := p.Set(kv, ""); err == nil {
			t.Errorf("Set(%q) accepted", kv)
		}
	}
}

func TestMarkdown(t *testing.T) {
	md := Markdown()
	for _, want := range []string{"| gke-neg | detach | 10 |", "| aws-nlb | detach | 120 |", "| aws-alb | gate | target-health.elbv2.k8s.aws/<TargetGroupBinding> (set when healthy) |", "| gke-neg | gate | cloud.google.com/load-balancer-neg-ready (set when attach) |"} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q", want)
		}
	}
}
