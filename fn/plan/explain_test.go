package plan

import (
	"strings"
	"testing"

	"github.com/graceful-rollout/graceful-rollout/fn/config"
	"github.com/graceful-rollout/graceful-rollout/fn/profile"
)

func cfgFor(t *testing.T, name string, mode config.Mode, k8s string) *config.Config {
	t.Helper()
	c := config.Default()
	p, err := profile.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	c.Profile, c.Mode = p, mode
	if k8s != "" {
		if c.KubernetesVersion, err = config.ParseVersion(k8s); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// Story 1: three replicas behind a NEG, 60 s minReadySeconds, surge 25%:
// three waves of 60 s plus the NEG gate's expected 5 s (attach), and each
// number named with its source.
func TestExplainStory1(t *testing.T) {
	w := &Workload{Kind: "Deployment", Name: "web", Replicas: intp(3), Services: []string{"web"},
		Containers: []Container{{Name: "web", Image: "nginx", Ports: 1, Readiness: true}},
		Paths:      []Path{{Kind: profile.PathNEG, Via: "Service web"}}}
	c := cfgFor(t, "gke-neg", config.ModeDefault, "1.31")
	p := Make(w, c)
	co, srcs := Explain(w, c, p)
	if co.Waves != 3 || co.WaveSeconds != 65 || co.RolloutSeconds != 195 {
		t.Errorf("cost = %+v, want 3 waves of 60 s + the gate's 5 s", co)
	}
	if co.DrainSeconds != p.PreStop+p.Shutdown || co.DrainSeconds > p.Grace {
		t.Errorf("drain = %d, want P + D = %d within T = %d", co.DrainSeconds, p.PreStop+p.Shutdown, p.Grace)
	}
	want := map[string]string{"L": "profile gke-neg", "P": "profile gke-neg's typical detach 10 s × 4 (unmeasured cover; field report: 20 s)", "minReadySeconds": "profile gke-neg", "T": "P + D"}
	for _, s := range srcs {
		if w, ok := want[s.Name]; ok && s.From != w {
			t.Errorf("%s from %q, want %q", s.Name, s.From, w)
		}
	}
	line := ExplainLine(w, c, p)
	if !strings.Contains(line, "rollout ≈ 3 wave(s) × 65 s = 195 s") || !strings.Contains(line, "sources: L 20 s from profile gke-neg") {
		t.Errorf("line: %s", line)
	}
}

// Annotations and settings are named as such; the user's own values too.
func TestExplainSources(t *testing.T) {
	w := &Workload{Kind: "StatefulSet", Name: "db", Replicas: intp(2), Services: []string{"db"}, MinReady: intp(90),
		Annotations: map[string]string{AnnotationPreStop: "12"},
		Containers:  []Container{{Name: "db", Image: "postgres", Ports: 1, Readiness: true}}}
	c := cfgFor(t, "generic", config.ModeDefault, "")
	c.ShutdownSeconds = intp(7)
	p := Make(w, c)
	co, srcs := Explain(w, c, p)
	got := map[string]string{}
	for _, s := range srcs {
		got[s.Name] = s.From
	}
	if got["P"] != "annotation "+AnnotationPreStop || got["D"] != "setting data.shutdownSeconds" || got["minReadySeconds"] != "the workload's own value" {
		t.Errorf("sources = %v", got)
	}
	if co.Waves != 2 || co.WaveSeconds != co.DrainSeconds+90 {
		t.Errorf("StatefulSet cost = %+v, want 2 waves of stop + 90 s", co)
	}
}

// A native sleep hook the plan keeps cannot run below 1.30: audit says so
// as an error, default as a warning, enforce replaces the hook.
func TestCheckHookVersions(t *testing.T) {
	w := &Workload{Kind: "Deployment", Name: "web", Replicas: intp(2), Services: []string{"web"},
		Containers: []Container{{Name: "web", Image: "nginx", Ports: 1, Readiness: true, Hook: HookSleep, HookSeconds: 10}}}
	for mode, want := range map[config.Mode]Severity{config.ModeAudit: Error, config.ModeDefault: Warning, config.ModeEnforce: ""} {
		c := cfgFor(t, "generic", mode, "1.29")
		fs := CheckHookVersions(w, c, Make(w, c))
		switch {
		case want == "" && len(fs) != 0:
			t.Errorf("%s: %v, want none (the hook is replaced)", mode, fs)
		case want != "" && (len(fs) != 1 || fs[0].Severity != want || !strings.Contains(fs[0].Message, "cannot run on Kubernetes 1.29")):
			t.Errorf("%s: %v, want one %s", mode, fs, want)
		}
	}
	if fs := CheckHookVersions(w, cfgFor(t, "generic", config.ModeAudit, "1.30"), Make(w, cfgFor(t, "generic", config.ModeAudit, "1.30"))); len(fs) != 0 {
		t.Errorf("1.30: %v", fs)
	}
}
