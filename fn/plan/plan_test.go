package plan

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/graceful-rollout/graceful-rollout/fn/config"
	"github.com/graceful-rollout/graceful-rollout/fn/profile"
)

func intp(v int) *int { return &v }

// cfg is the default config with the named profile and the given changes.
func cfg(t *testing.T, name string, changes ...func(*config.Config)) *config.Config {
	t.Helper()
	c := config.Default()
	p, err := profile.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	c.Profile = p
	for _, f := range changes {
		f(c)
	}
	return c
}

func spot(c *config.Config)    { c.Spot = true }
func enforce(c *config.Config) { c.Mode = config.ModeEnforce }
func k8s(major, minor int) func(*config.Config) {
	return func(c *config.Config) { c.KubernetesVersion = config.Version{Major: major, Minor: minor} }
}
func preStop(s int) func(*config.Config)  { return func(c *config.Config) { c.PreStopSeconds = &s } }
func shutdown(s int) func(*config.Config) { return func(c *config.Config) { c.ShutdownSeconds = &s } }
func minReady(s int) func(*config.Config) { return func(c *config.Config) { c.MinReadySeconds = &s } }

// app is a serving container: a port, a readinessProbe and no preStop.
func app() Container {
	return Container{Name: "app", Index: 0, Image: "nginx:1.27", Ports: 1, Readiness: true, HookSeconds: -1}
}

// web is a Deployment with three replicas, one serving container and a
// Service selecting it.
func web(changes ...func(*Workload)) *Workload {
	w := &Workload{
		Kind: "Deployment", Namespace: "shop", Name: "web",
		Replicas:   intp(3),
		Containers: []Container{app()},
		Services:   []string{"web"},
	}
	for _, f := range changes {
		f(w)
	}
	return w
}

func annotate(kv ...string) func(*Workload) {
	return func(w *Workload) {
		if w.Annotations == nil {
			w.Annotations = map[string]string{}
		}
		for i := 0; i+1 < len(kv); i += 2 {
			w.Annotations[kv[i]] = kv[i+1]
		}
	}
}

func image(img string) func(*Workload) {
	return func(w *Workload) { w.Containers[0].Image = img }
}

func userHook(kind HookKind, secs int) func(*Workload) {
	return func(w *Workload) { w.Containers[0].Hook, w.Containers[0].HookSeconds = kind, secs }
}

func grace(s int) func(*Workload) { return func(w *Workload) { w.Grace = &s } }

// find returns the findings of a severity whose field is field (any field
// when field is "*") and whose message contains every substring.
func find(p *Plan, sev Severity, field string, subs ...string) []Finding {
	var out []Finding
outer:
	for _, f := range p.Findings {
		if f.Severity != sev || (field != "*" && f.Field != field) {
			continue
		}
		for _, s := range subs {
			if !strings.Contains(f.Message, s) {
				continue outer
			}
		}
		out = append(out, f)
	}
	return out
}

func count(p *Plan, sev Severity) int { return len(find(p, sev, "*")) }

func dump(p *Plan) string {
	var b strings.Builder
	fmt.Fprintf(&b, "skip=%q L=%d P=%d D=%d T=%d setGrace=%v minReady=%d/%v gates=%q strategy=%+v hooks=%+v",
		p.Skip, p.LBStop, p.PreStop, p.Shutdown, p.Grace, p.SetGrace, p.MinReady, p.SetMinReady, p.Gates, p.Strategy, p.Hooks)
	for _, f := range p.Findings {
		fmt.Fprintf(&b, "\n  %s %s: %s", f.Severity, f.Field, f.Message)
	}
	return b.String()
}

const (
	hookField  = "spec.template.spec.containers[name=app].lifecycle.preStop"
	graceField = "spec.template.spec.terminationGracePeriodSeconds"
)

// TestMake_Profiles checks the timeline arithmetic (docs/concepts.md) for every profile with
// the default config: P from the profile, T = max(P + D, 30), minReady from
// the profile, a native sleep hook strictly shorter than T.
func TestMake_Profiles(t *testing.T) {
	// P and T by hand. P: the profile table's (docs/reference.md), raised
	// where the typical detach × 4 (the unmeasured cover, margin.go) is
	// longer: gke-neg and gke-autopilot 10 × 4 = 40 (field report 20),
	// eks-alb and eks-fargate-alb 30 × 4 = 120 (70, 60), aks-agic 30 × 4 =
	// 120 (90); eks-nlb's 120 is a reported bound, not covered; the
	// in-cluster rows are kube-proxy's and nginx's own sync. T is P + D or
	// the API default 30, whichever is larger.
	wantP := map[string]int{
		"generic": 10, "ingress-nginx": 5, "gke-neg": 40, "gke-autopilot": 40,
		"eks-alb": 120, "eks-nlb": 120, "eks-fargate-alb": 120, "aks-agic": 120,
	}
	wantGrace := map[string]int{
		"generic":         30,  // 10 + 20
		"ingress-nginx":   30,  // 5 + 20 = 25 < 30
		"gke-neg":         50,  // 40 + 10
		"gke-autopilot":   50,  // 40 + 10
		"eks-alb":         140, // 120 + 20
		"eks-nlb":         140, // 120 + 20
		"eks-fargate-alb": 130, // 120 + 10
		"aks-agic":        131, // 120 + 11
	}
	if len(wantGrace) != len(profile.All()) || len(wantP) != len(profile.All()) {
		t.Fatalf("profiles %q are not all in the tables of expected preStops and grace periods", profile.Names())
	}
	for _, prof := range profile.All() {
		t.Run(prof.Name, func(t *testing.T) {
			p := Make(web(), cfg(t, prof.Name))
			if p.Skip != "" || p.HasErrors() {
				t.Fatalf("not planned: %s", dump(p))
			}
			wantPre := wantP[prof.Name]
			if wantPre < prof.PreStopSeconds {
				t.Errorf("preStop %d below the profile's %d: nothing measured, nothing cut", wantPre, prof.PreStopSeconds)
			}
			want := max(wantPre+prof.ShutdownSeconds, DefaultGrace)
			if p.Grace != want || p.Grace != wantGrace[prof.Name] {
				t.Errorf("Grace = %d, want max(%d + %d, 30) = %d (table: %d)", p.Grace, wantPre, prof.ShutdownSeconds, want, wantGrace[prof.Name])
			}
			if !p.SetGrace {
				t.Errorf("SetGrace = false on a workload without a grace period")
			}
			// without a grace period, D is what the API default leaves after
			// the preStop, at least the profile's D
			wantD := max(prof.ShutdownSeconds, DefaultGrace-wantPre)
			if p.PreStop != wantPre || p.Shutdown != wantD || p.LBStop != prof.LBStopSeconds {
				t.Errorf("P, D, L = %d, %d, %d; want %d, %d, %d", p.PreStop, p.Shutdown, p.LBStop, wantPre, wantD, prof.LBStopSeconds)
			}
			if p.PreStop < p.LBStop {
				t.Errorf("profile preStop %d ends before the LB stops sending at %d", p.PreStop, p.LBStop)
			}
			if p.MinReady != prof.MinReadySeconds || p.SetMinReady != (prof.MinReadySeconds > 0) {
				t.Errorf("MinReady = %d (set %v), want %d", p.MinReady, p.SetMinReady, prof.MinReadySeconds)
			}
			wantHooks := []Hook{{Index: 0, Name: "app", Mechanism: MechSleep, Seconds: wantPre}}
			if !reflect.DeepEqual(p.Hooks, wantHooks) {
				t.Errorf("Hooks = %+v, want %+v", p.Hooks, wantHooks)
			}
			if p.Hooks[0].Seconds >= p.Grace {
				t.Errorf("sleep %d s is not below the grace period %d s", p.Hooks[0].Seconds, p.Grace)
			}
			if count(p, Warning) != 0 {
				t.Errorf("warnings on a safe workload: %s", dump(p))
			}
		})
	}
	// docs/reference.md: 60 s on the GKE NEG profiles.
	for _, name := range []string{"gke-neg", "gke-autopilot"} {
		if p := Make(web(), cfg(t, name)); p.MinReady != 60 {
			t.Errorf("%s: MinReady = %d, want 60", name, p.MinReady)
		}
	}
}

func TestMake_Mechanism(t *testing.T) {
	testCases := map[string]struct {
		cfg   []func(*config.Config)
		w     []func(*Workload)
		mech  Mechanism
		path  string
		port  string
		error string // substring of an error finding on the hook field; no hook then
	}{
		"version unset: sleep":       {mech: MechSleep},
		"1.30: sleep":                {cfg: fns(k8s(1, 30)), mech: MechSleep},
		"1.34: sleep":                {cfg: fns(k8s(1, 34)), mech: MechSleep},
		"2.0: sleep":                 {cfg: fns(k8s(2, 0)), mech: MechSleep},
		"1.29: exec":                 {cfg: fns(k8s(1, 29)), mech: MechExec},
		"1.3 is older than 1.30":     {cfg: fns(k8s(1, 3)), mech: MechExec},
		"distroless at 1.30: sleep":  {cfg: fns(k8s(1, 30)), w: fns(image("gcr.io/distroless/static:nonroot")), mech: MechSleep},
		"distroless, version unset":  {w: fns(image("gcr.io/distroless/static:nonroot")), mech: MechSleep},
		"distroless at 1.29: error":  {cfg: fns(k8s(1, 29)), w: fns(image("gcr.io/distroless/static:nonroot")), error: "has no shell"},
		"chainguard at 1.29: error":  {cfg: fns(k8s(1, 29)), w: fns(image("cgr.dev/chainguard/nginx")), error: "sleepEndpointPath"},
		"Distroless in capitals":     {cfg: fns(k8s(1, 28)), w: fns(image("example.com/Distroless-App")), error: "1.28"},
		"configured shell-less name": {cfg: fns(k8s(1, 29), func(c *config.Config) { c.ShelllessImages = []string{"ko.local/"} }), w: fns(image("ko.local/app")), error: "no shell"},
		"distroless at 1.29 with a sleep endpoint": {
			cfg: fns(k8s(1, 29), func(c *config.Config) { c.SleepEndpointPath, c.SleepEndpointPort = "/sleep?seconds={seconds}", "8080" }),
			w:   fns(image("gcr.io/distroless/base")), mech: MechHTTPGet, path: "/sleep?seconds=10", port: "8080",
		},
		"sleep endpoint with a named port, every {seconds} replaced": {
			cfg: fns(k8s(1, 29), preStop(7), func(c *config.Config) { c.SleepEndpointPath, c.SleepEndpointPort = "/s/{seconds}/{seconds}", "http" }),
			w:   fns(image("gcr.io/distroless/base")), mech: MechHTTPGet, path: "/s/7/7", port: "http",
		},
		"sleep endpoint without a port": {
			cfg: fns(k8s(1, 29), func(c *config.Config) { c.SleepEndpointPath = "/sleep" }),
			w:   fns(image("gcr.io/distroless/base")), error: "sleepEndpointPort",
		},
		"sleep endpoint is not used when the image has a shell": {
			cfg:  fns(k8s(1, 29), func(c *config.Config) { c.SleepEndpointPath, c.SleepEndpointPort = "/sleep", "80" }),
			mech: MechExec,
		},
		"shell annotation true beats the image name": {
			cfg: fns(k8s(1, 29)), w: fns(image("gcr.io/distroless/static"), annotate(AnnotationShell, "true")), mech: MechExec,
		},
		"shell annotation false beats the image name": {
			cfg: fns(k8s(1, 29)), w: fns(annotate(AnnotationShell, "false")), error: "no shell",
		},
		"shell annotation does not matter from 1.30": {
			cfg: fns(k8s(1, 30)), w: fns(annotate(AnnotationShell, "false")), mech: MechSleep,
		},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			p := Make(web(tc.w...), cfg(t, "generic", tc.cfg...))
			if tc.error != "" {
				if len(find(p, Error, hookField, tc.error)) != 1 {
					t.Errorf("want one error on %s mentioning %q: %s", hookField, tc.error, dump(p))
				}
				if len(p.Hooks) != 0 {
					t.Errorf("hooks planned despite the error: %+v", p.Hooks)
				}
				return
			}
			if p.HasErrors() || len(p.Hooks) != 1 {
				t.Fatalf("want one hook and no error: %s", dump(p))
			}
			h := p.Hooks[0]
			if h.Mechanism != tc.mech || h.HTTPPath != tc.path || h.HTTPPort != tc.port {
				t.Errorf("hook = %+v, want %s %q %q", h, tc.mech, tc.path, tc.port)
			}
		})
	}
}

func fns[T any](f ...T) []T { return f }

func TestMake_SpotCap(t *testing.T) {
	t.Run("autopilot: the profile preStop shrinks to fit", func(t *testing.T) {
		p := Make(web(), cfg(t, "gke-autopilot", spot))
		// cap 25, D 10: P = 25 - 10 = 15, shortened by 40 - 15 = 25 (the
		// unmeasured cover's 40 s).
		if p.HasErrors() || p.Grace != 25 || p.PreStop != 15 || p.Shutdown != 10 || p.Hooks[0].Seconds != 15 {
			t.Fatalf("want T 25, P 15, D 10: %s", dump(p))
		}
		w := find(p, Warning, "spec.template.spec.containers", "by 25 s", "from 40 s to 15 s", "25 s grace-period cap")
		if len(w) != 1 {
			t.Errorf("want a warning saying the preStop was shortened by 25 s: %s", dump(p))
		}
		// L is 20: the LB may still send for 20 - 15 = 5 s after SIGTERM.
		if len(find(p, Warning, "*", "still send new requests for 5 s")) != 1 {
			t.Errorf("the warning does not say what was given up: %s", dump(p))
		}
	})
	// GKE Standard Spot nodes give pods up to 15 s after a preemption
	// notice (graceful node shutdown), but rollouts and drains honour the
	// grace period: the plan stays whole, and a warning says what a
	// preemption cuts.
	t.Run("gke-neg spot: no cap, a preemption warning", func(t *testing.T) {
		p := Make(web(), cfg(t, "gke-neg", spot))
		if p.HasErrors() || p.Grace != 50 || p.PreStop != 40 || p.Shutdown != 10 {
			t.Fatalf("want T 50, P 40, D 10: %s", dump(p))
		}
		if len(find(p, Warning, PodSpecPath+".terminationGracePeriodSeconds", "preemption gives pods 15 s")) != 1 {
			t.Errorf("no preemption warning: %s", dump(p))
		}
		off := Make(web(), cfg(t, "gke-neg"))
		if len(find(off, Warning, "*", "preemption")) != 0 {
			t.Errorf("a preemption warning without Spot: %s", dump(off))
		}
	})
	t.Run("pinned preStop keeps its length; shutdown shrinks", func(t *testing.T) {
		p := Make(web(), cfg(t, "gke-autopilot", spot, preStop(20), shutdown(10)))
		// 20 + 10 = 30 > 25: P stays 20, D = 25 - 20 = 5.
		if p.HasErrors() || p.Grace != 25 || p.PreStop != 20 || p.Shutdown != 5 || p.Hooks[0].Seconds != 20 {
			t.Fatalf("want T 25, P 20, D 5: %s", dump(p))
		}
		if len(find(p, Warning, graceField, "5 s to shut down", "instead of 10 s")) != 1 {
			t.Errorf("want a warning that shutdown shrank from 10 to 5 s: %s", dump(p))
		}
		if len(find(p, Warning, "*", "shortened")) != 0 {
			t.Errorf("a pinned preStop was reported as shortened: %s", dump(p))
		}
	})
	t.Run("annotation-pinned preStop keeps its length", func(t *testing.T) {
		p := Make(web(annotate(AnnotationPreStop, "22")), cfg(t, "gke-autopilot", spot))
		if p.HasErrors() || p.Grace != 25 || p.PreStop != 22 || p.Shutdown != 3 {
			t.Fatalf("want T 25, P 22, D 3: %s", dump(p))
		}
	})
	t.Run("fits without shrinking", func(t *testing.T) {
		p := Make(web(), cfg(t, "gke-autopilot", spot, preStop(10), shutdown(5)))
		// 10 + 5 = 15 < 30 = API default, but the cap 25 wins over the default.
		if p.HasErrors() || p.Grace != 25 || p.PreStop != 10 || p.Shutdown != 5 || count(p, Warning) != 0 {
			t.Fatalf("want T 25, P 10, D 5 and no warning: %s", dump(p))
		}
	})
	t.Run("annotation preStop at the cap is an error", func(t *testing.T) {
		p := Make(web(annotate(AnnotationPreStop, "25")), cfg(t, "gke-autopilot", spot))
		if len(find(p, Error, "metadata.annotations."+AnnotationPreStop, "at most 24 s")) != 1 {
			t.Errorf("want an error on the annotation: %s", dump(p))
		}
	})
	t.Run("user grace above the cap is lowered with a warning", func(t *testing.T) {
		p := Make(web(grace(60)), cfg(t, "gke-autopilot", spot))
		if p.Grace != 25 || !p.SetGrace {
			t.Fatalf("want T 25 set: %s", dump(p))
		}
		if len(find(p, Warning, graceField, "lowered from 60 s to the 25 s grace-period cap")) != 1 {
			t.Errorf("no warning about lowering 60 to 25: %s", dump(p))
		}
	})
	t.Run("user grace equal to the cap is kept silently", func(t *testing.T) {
		p := Make(web(grace(25)), cfg(t, "gke-autopilot", spot))
		if p.Grace != 25 || p.SetGrace || len(find(p, Warning, graceField, "lowered")) != 0 {
			t.Errorf("want T 25 unchanged: %s", dump(p))
		}
	})
	t.Run("a kept user sleep at the cap cannot fit", func(t *testing.T) {
		p := Make(web(userHook(HookSleep, 30)), cfg(t, "gke-autopilot", spot))
		if len(find(p, Error, "spec.template.spec.containers", "30 s", "25 s grace-period cap")) != 1 {
			t.Errorf("want an error: %s", dump(p))
		}
	})
	t.Run("a kept user sleep under the cap keeps its length", func(t *testing.T) {
		p := Make(web(userHook(HookSleep, 20)), cfg(t, "gke-autopilot", spot))
		if p.HasErrors() || p.PreStop != 20 || p.Shutdown != 5 || p.Grace != 25 || len(p.Hooks) != 0 {
			t.Errorf("want the user's 20 s kept, D 5, T 25: %s", dump(p))
		}
	})
}

func TestMake_Overrides(t *testing.T) {
	// gke-neg: P 40 (the unmeasured cover), D 10, minReady 60.
	testCases := map[string]struct {
		cfg                    []func(*config.Config)
		w                      []func(*Workload)
		pre, shut, grace, minR int
	}{
		"profile": {pre: 40, shut: 10, grace: 50, minR: 60},
		"config beats profile": {
			cfg: fns(preStop(30), shutdown(15), minReady(90)),
			pre: 30, shut: 15, grace: 45, minR: 90,
		},
		"annotations beat config": {
			cfg: fns(preStop(30), shutdown(15), minReady(90)),
			w:   fns(annotate(AnnotationPreStop, "40", AnnotationShutdown, "25", AnnotationMinReady, "5")),
			pre: 40, shut: 25, grace: 65, minR: 5,
		},
		"annotations beat profile": {
			w:   fns(annotate(AnnotationPreStop, " 12 ", AnnotationShutdown, "8")),
			pre: 12, shut: 8, grace: 30, minR: 60,
		},
		"one annotation, the rest from config": {
			cfg: fns(preStop(30), shutdown(15)),
			w:   fns(annotate(AnnotationShutdown, "50")),
			pre: 30, shut: 50, grace: 80, minR: 60,
		},
		// a sleep must end before the grace period: with no shutdown time
		// T = P + 1.
		"no shutdown time": {
			cfg: fns(preStop(45), shutdown(0)),
			pre: 45, shut: 0, grace: 46, minR: 60,
		},
		"minReady 0 from config": {
			cfg: fns(minReady(0)),
			pre: 40, shut: 10, grace: 50, minR: 0,
		},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			p := Make(web(tc.w...), cfg(t, "gke-neg", tc.cfg...))
			if p.HasErrors() {
				t.Fatalf("errors: %s", dump(p))
			}
			if p.PreStop != tc.pre || p.Shutdown != tc.shut || p.Grace != tc.grace || p.MinReady != tc.minR {
				t.Errorf("P, D, T, minReady = %d, %d, %d, %d; want %d, %d, %d, %d\n%s",
					p.PreStop, p.Shutdown, p.Grace, p.MinReady, tc.pre, tc.shut, tc.grace, tc.minR, dump(p))
			}
			if len(p.Hooks) != 1 || p.Hooks[0].Seconds != tc.pre {
				t.Errorf("hook = %+v, want %d s", p.Hooks, tc.pre)
			}
		})
	}
	t.Run("preStop 0 writes no hook", func(t *testing.T) {
		p := Make(web(annotate(AnnotationPreStop, "0")), cfg(t, "generic"))
		if len(p.Hooks) != 0 || p.PreStop != 0 || p.Grace != 30 {
			t.Errorf("want no hook, P 0, T 30: %s", dump(p))
		}
	})
}

func TestMake_Annotations(t *testing.T) {
	ann := func(k string) string { return "metadata.annotations." + k }
	testCases := map[string]struct {
		annotations []string
		sev         Severity
		field       string
		msg         string
		planned     bool // hooks are still planned
	}{
		"pre-stop not a number": {
			annotations: []string{AnnotationPreStop, "ten"},
			sev:         Error, field: "metadata.annotations.graceful-rollout.dev/pre-stop-seconds", msg: `"ten"`,
		},
		"pre-stop negative": {
			annotations: []string{AnnotationPreStop, "-5"},
			sev:         Error, field: ann(AnnotationPreStop), msg: "out of range",
		},
		"pre-stop with a unit": {
			annotations: []string{AnnotationPreStop, "20s"},
			sev:         Error, field: ann(AnnotationPreStop),
		},
		"shutdown above a day": {
			annotations: []string{AnnotationShutdown, "86401"},
			sev:         Error, field: ann(AnnotationShutdown),
		},
		"min-ready overflowing": {
			annotations: []string{AnnotationMinReady, "99999999999999999999"},
			sev:         Error, field: ann(AnnotationMinReady),
		},
		"shell not a boolean": {
			annotations: []string{AnnotationShell, "yes"},
			sev:         Error, field: ann(AnnotationShell),
		},
		"shell in capitals": {
			annotations: []string{AnnotationShell, "True"},
			sev:         Error, field: ann(AnnotationShell),
		},
		"skip not a boolean": {
			annotations: []string{AnnotationSkip, "please"},
			sev:         Error, field: ann(AnnotationSkip),
		},
		"unknown graceful-rollout annotation": {
			annotations: []string{"graceful-rollout.dev/prestop-seconds", "20"},
			sev:         Warning, field: ann("graceful-rollout.dev/prestop-seconds"), msg: `did you mean "graceful-rollout.dev/pre-stop-seconds"?`, planned: true,
		},
		"unknown graceful-rollout annotation, nothing near": {
			annotations: []string{"graceful-rollout.dev/owner", "team-a"},
			sev:         Warning, field: ann("graceful-rollout.dev/owner"), msg: "unknown annotation (known: graceful-rollout.dev/skip,", planned: true,
		},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			p := Make(web(annotate(tc.annotations...)), cfg(t, "generic"))
			if len(find(p, tc.sev, tc.field, tc.msg)) != 1 {
				t.Errorf("want one %s on %s mentioning %q: %s", tc.sev, tc.field, tc.msg, dump(p))
			}
			if p.HasErrors() != (tc.sev == Error) {
				t.Errorf("HasErrors = %v", p.HasErrors())
			}
			if planned := len(p.Hooks) > 0; planned != tc.planned {
				t.Errorf("hooks planned = %v, want %v: %s", planned, tc.planned, dump(p))
			}
		})
	}
	t.Run("findings come in annotation key order, every run", func(t *testing.T) {
		w := web(annotate(AnnotationSkip, "yes", AnnotationPreStop, "x", AnnotationMinReady, "y",
			"graceful-rollout.dev/zzz", "1", "graceful-rollout.dev/aaa", "1", AnnotationShutdown, "z"))
		want := []string{
			ann("graceful-rollout.dev/aaa"), ann(AnnotationMinReady), ann(AnnotationPreStop),
			ann(AnnotationShutdown), ann(AnnotationSkip), ann("graceful-rollout.dev/zzz"),
		}
		for range 50 {
			p := Make(w, cfg(t, "generic"))
			var got []string
			for _, f := range p.Findings {
				got = append(got, f.Field)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("finding fields = %q, want %q", got, want)
			}
		}
	})
	t.Run("other annotations are ignored", func(t *testing.T) {
		p := Make(web(annotate("example.com/pre-stop-seconds", "x", "graceful-rollout.io/skip", "true")), cfg(t, "generic"))
		if len(p.Findings) != 0 || len(p.Hooks) != 1 {
			t.Errorf("foreign annotations had an effect: %s", dump(p))
		}
	})
	t.Run("skip false plans as usual", func(t *testing.T) {
		p := Make(web(annotate(AnnotationSkip, "false")), cfg(t, "generic"))
		if p.Skip != "" || len(p.Findings) != 0 || len(p.Hooks) != 1 {
			t.Errorf("skip false changed the plan: %s", dump(p))
		}
	})
}

func TestMake_Skip(t *testing.T) {
	testCases := map[string]struct {
		w    *Workload
		skip string // substring of Skip; "" means planned
	}{
		"skip annotation": {
			w:    web(annotate(AnnotationSkip, "true", AnnotationPreStop, "bad")),
			skip: "opted out",
		},
		"no template": {
			w:    web(func(w *Workload) { w.Kind, w.NoTemplate = "Rollout", true }),
			skip: "workloadRef",
		},
		"no Service and no ports": {
			w:    web(func(w *Workload) { w.Services, w.Containers[0].Ports = nil, 0 }),
			skip: "not serving",
		},
		"only the mesh proxy has ports": {
			w: web(func(w *Workload) {
				w.Services, w.Containers[0].Ports = nil, 0
				w.Containers = append(w.Containers, Container{Name: "istio-proxy", Index: 1, Ports: 1, MeshProxy: true, HookSeconds: -1})
			}),
			skip: "not serving",
		},
		"a Service but no ports": {
			w: web(func(w *Workload) { w.Containers[0].Ports = 0 }),
		},
		"ports but no Service": {
			w: web(func(w *Workload) { w.Services = nil }),
		},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			p := Make(tc.w, cfg(t, "generic"))
			if tc.skip == "" {
				if p.Skip != "" || len(p.Hooks) != 1 {
					t.Errorf("not planned: %s", dump(p))
				}
				return
			}
			if !strings.Contains(p.Skip, tc.skip) {
				t.Errorf("Skip = %q, want it to mention %q", p.Skip, tc.skip)
			}
			if len(p.Hooks) != 0 || p.SetGrace || p.SetMinReady || p.Strategy != (Rollout{}) || p.HasErrors() {
				t.Errorf("a skipped workload has a plan: %s", dump(p))
			}
		})
	}
	// Every load-balancer path reaches pods through a Service: a workload
	// with ports that no Service selects (an operator, an agent) is planned
	// in-cluster even when the input has no entry (exposure auto), unless
	// annotated exposed. The processor says so once per run.
	t.Run("ports but no Service: in-cluster, not behind the load balancer", func(t *testing.T) {
		p := Make(web(func(w *Workload) { w.Services = nil }), cfg(t, "eks-alb"))
		if p.Skip != "" || p.LBStop != 5 || p.PreStop != 10 || !strings.Contains(p.Path, "no Service selects its pods") {
			t.Errorf("want the in-cluster plan: %s", dump(p))
		}
		q := Make(web(func(w *Workload) {
			w.Services = nil
			w.Annotations = map[string]string{AnnotationExposed: "true"}
		}), cfg(t, "eks-alb"))
		if q.PreStop != 120 {
			t.Errorf("exposed: \"true\" opts it in: %s", dump(q))
		}
	})
}

func TestMake_Containers(t *testing.T) {
	t.Run("mesh proxies get no hook, helpers do", func(t *testing.T) {
		w := web(func(w *Workload) {
			w.Containers = append(w.Containers,
				Container{Name: "istio-proxy", Index: 1, Image: "istio/proxyv2", Ports: 1, MeshProxy: true, HookSeconds: -1},
				Container{Name: "cloud-sql-proxy", Index: 2, Image: "gcr.io/cloud-sql-connectors/cloud-sql-proxy", HookSeconds: -1},
				Container{Name: "linkerd-proxy", Index: 3, Image: "linkerd/proxy", Ports: 1, MeshProxy: true, HookSeconds: -1},
			)
		})
		p := Make(w, cfg(t, "gke-neg"))
		want := []Hook{
			{Index: 0, Name: "app", Mechanism: MechSleep, Seconds: 40},
			{Index: 2, Name: "cloud-sql-proxy", Mechanism: MechSleep, Seconds: 40},
		}
		if !reflect.DeepEqual(p.Hooks, want) {
			t.Errorf("Hooks = %+v, want %+v", p.Hooks, want)
		}
		// the proxies have ports and no readinessProbe: no warning for them.
		if len(find(p, Warning, "*", "istio-proxy")) != 0 || len(find(p, Warning, "*", "linkerd-proxy")) != 0 {
			t.Errorf("warnings about mesh proxies: %s", dump(p))
		}
	})
	t.Run("serving container without readinessProbe", func(t *testing.T) {
		p := Make(web(func(w *Workload) { w.Containers[0].Readiness = false }), cfg(t, "generic"))
		if len(find(p, Warning, "spec.template.spec.containers[name=app].readinessProbe")) != 1 {
			t.Errorf("no readinessProbe warning: %s", dump(p))
		}
	})
	t.Run("no ports and no probe anywhere", func(t *testing.T) {
		p := Make(web(func(w *Workload) { w.Containers[0].Readiness, w.Containers[0].Ports = false, 0 }), cfg(t, "generic"))
		if len(find(p, Warning, "spec.template.spec.containers", "no container has a readinessProbe")) != 1 {
			t.Errorf("no readinessProbe warning: %s", dump(p))
		}
	})
}

func TestMake_ExistingPreStop(t *testing.T) {
	testCases := map[string]struct {
		profile string
		cfg     []func(*config.Config)
		w       []func(*Workload)
		// hooks is the expected planned hooks' seconds by container index
		// (a missing index: the container keeps its own).
		hooks      map[int]int
		pre, grace int
		finding    []string // severity, field, substring
	}{
		"default keeps a user sleep and counts it": {
			profile: "generic", w: fns(userHook(HookSleep, 40)),
			// T >= 40 + 20.
			hooks: map[int]int{}, pre: 40, grace: 60,
		},
		"default keeps a short user sleep and warns": {
			profile: "eks-alb", w: fns(userHook(HookSleep, 30)),
			// P 30 < L 70; T = 30 + 20 = 50.
			hooks: map[int]int{}, pre: 30, grace: 50,
			finding: []string{"warning", hookField, "shorter than the 70 s"},
		},
		"default: user sleep of 15 under autopilot spot is all the cap allows": {
			profile: "gke-autopilot", cfg: fns(spot), w: fns(userHook(HookSleep, 15)),
			hooks: map[int]int{}, pre: 15, grace: 25,
		},
		"default keeps an exec sleep with its length": {
			profile: "generic", w: fns(userHook(HookExec, 25)),
			hooks: map[int]int{}, pre: 25, grace: 45,
		},
		"default keeps a custom hook and does not count it": {
			// ingress-nginx's /wait-shutdown sends SIGTERM at once: a
			// script's length is unknown, so it is no P.
			profile: "generic", w: fns(userHook(HookExec, -1)),
			hooks: map[int]int{}, pre: 0, grace: 30,
			finding: []string{"warning", hookField, "length is unknown, so it is not counted"},
		},
		"no mode lowers the grace period of a kept script": {
			profile: "generic", cfg: fns(enforce), w: fns(userHook(HookExec, -1), grace(300)),
			hooks: map[int]int{}, pre: 0, grace: 300,
			finding: []string{"warning", hookField, "waits 5 s"},
		},
		"enforce replaces a plain sleep": {
			profile: "generic", cfg: fns(enforce), w: fns(userHook(HookSleep, 40)),
			hooks: map[int]int{0: 10}, pre: 10, grace: 30,
		},
		"enforce replaces an exec that only sleeps": {
			profile: "gke-neg", cfg: fns(enforce), w: fns(userHook(HookExec, 5)),
			hooks: map[int]int{0: 40}, pre: 40, grace: 50,
		},
		"enforce keeps a custom exec script": {
			profile: "generic", cfg: fns(enforce), w: fns(userHook(HookExec, -1)),
			hooks: map[int]int{}, pre: 0, grace: 30,
			finding: []string{"warning", hookField, "kept the container's own exec preStop"},
		},
		"enforce keeps an httpGet hook": {
			profile: "generic", cfg: fns(enforce), w: fns(userHook(HookHTTPGet, -1)),
			hooks: map[int]int{}, pre: 0, grace: 30,
			finding: []string{"warning", hookField, "kept the container's own httpGet preStop"},
		},
		"the longest hook of the pod counts": {
			profile: "generic",
			w: fns(userHook(HookSleep, 45), func(w *Workload) {
				w.Containers = append(w.Containers, Container{Name: "sidecar", Index: 1, Image: "envoy", HookSeconds: -1})
			}),
			hooks: map[int]int{1: 10}, pre: 45, grace: 65,
		},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			p := Make(web(tc.w...), cfg(t, tc.profile, tc.cfg...))
			if p.HasErrors() {
				t.Fatalf("errors: %s", dump(p))
			}
			got := map[int]int{}
			for _, h := range p.Hooks {
				got[h.Index] = h.Seconds
			}
			if !reflect.DeepEqual(got, tc.hooks) {
				t.Errorf("hooks = %v, want %v", got, tc.hooks)
			}
			if p.PreStop != tc.pre || p.Grace != tc.grace {
				t.Errorf("P, T = %d, %d; want %d, %d\n%s", p.PreStop, p.Grace, tc.pre, tc.grace, dump(p))
			}
			if p.Grace < p.PreStop+p.Shutdown {
				t.Errorf("T %d < P %d + D %d", p.Grace, p.PreStop, p.Shutdown)
			}
			if tc.finding != nil && len(find(p, Severity(tc.finding[0]), tc.finding[1], tc.finding[2])) != 1 {
				t.Errorf("want a %s on %s mentioning %q: %s", tc.finding[0], tc.finding[1], tc.finding[2], dump(p))
			}
			if tc.finding == nil && len(find(p, Warning, hookField)) != 0 {
				t.Errorf("unexpected warning on the hook: %s", dump(p))
			}
		})
	}
}

func TestMake_Grace(t *testing.T) {
	testCases := map[string]struct {
		profile  string
		cfg      []func(*config.Config)
		w        []func(*Workload)
		grace    int
		setGrace bool
	}{
		// A grace period without a preStop is the app's shutdown need D:
		// T = P + D.
		"a user value without preStop is D":              {profile: "generic", w: fns(grace(120)), grace: 130, setGrace: true},
		"enforce: a user value without preStop is D too": {profile: "generic", cfg: fns(enforce), w: fns(grace(120)), grace: 130, setGrace: true},
		"a user 30 without preStop is D under eks-alb":   {profile: "eks-alb", w: fns(grace(30)), grace: 150, setGrace: true},
		"shutdownSeconds set: the user value is no D":    {profile: "generic", cfg: fns(func(c *config.Config) { c.ShutdownSeconds = intp(20) }), w: fns(grace(120)), grace: 120, setGrace: false},
		"default keeps a longer user value with a hook":  {profile: "generic", w: fns(grace(120), userHook(HookSleep, 10)), grace: 120, setGrace: false},
		// the user's 110 s after the preStop is the app's need, in enforce too
		"enforce keeps the app's time after SIGTERM":   {profile: "generic", cfg: fns(enforce), w: fns(grace(120), userHook(HookSleep, 40)), grace: 90, setGrace: true},
		"default raises a short user value":            {profile: "eks-alb", w: fns(grace(30), userHook(HookSleep, 70)), grace: 90, setGrace: true},
		"enforce keeps a user value equal to the plan": {profile: "eks-fargate-alb", cfg: fns(enforce), w: fns(grace(130), userHook(HookSleep, 120)), grace: 130, setGrace: false},
		"default never fills in less than 30":          {profile: "ingress-nginx", grace: 30, setGrace: true},
		"a user value below 30 is P + D, no floor":     {profile: "ingress-nginx", w: fns(grace(10)), grace: 15, setGrace: true},
		"autopilot spot: user 60 lowered to the cap":   {profile: "gke-autopilot", cfg: fns(spot), w: fns(grace(60)), grace: 25, setGrace: true},
		"autopilot spot, enforce: the cap":             {profile: "gke-autopilot", cfg: fns(spot, enforce), w: fns(grace(60)), grace: 25, setGrace: true},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			p := Make(web(tc.w...), cfg(t, tc.profile, tc.cfg...))
			if p.HasErrors() {
				t.Fatalf("errors: %s", dump(p))
			}
			if p.Grace != tc.grace || p.SetGrace != tc.setGrace {
				t.Errorf("Grace = %d (set %v), want %d (set %v)\n%s", p.Grace, p.SetGrace, tc.grace, tc.setGrace, dump(p))
			}
		})
	}
}

func TestMake_MinReady(t *testing.T) {
	testCases := map[string]struct {
		profile string
		cfg     []func(*config.Config)
		user    *int
		want    int
		set     bool
	}{
		"gke-neg fills 60":                  {profile: "gke-neg", want: 60, set: true},
		"gke-neg raises a user 10":          {profile: "gke-neg", user: intp(10), want: 60, set: true},
		"gke-neg keeps a user 90":           {profile: "gke-neg", user: intp(90), want: 90, set: false},
		"gke-neg enforce sets 60":           {profile: "gke-neg", cfg: fns(enforce), user: intp(90), want: 60, set: true},
		"gke-neg keeps a user 60":           {profile: "gke-neg", user: intp(60), want: 60, set: false},
		"generic writes no 0":               {profile: "generic", want: 0, set: false},
		"generic keeps a user 5":            {profile: "generic", user: intp(5), want: 5, set: false},
		"generic enforce sets 0":            {profile: "generic", cfg: fns(enforce), user: intp(5), want: 0, set: true},
		"config minReady raises the user's": {profile: "generic", cfg: fns(minReady(15)), user: intp(5), want: 15, set: true},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			p := Make(web(func(w *Workload) { w.MinReady = tc.user }), cfg(t, tc.profile, tc.cfg...))
			if p.MinReady != tc.want || p.SetMinReady != tc.set {
				t.Errorf("MinReady = %d (set %v), want %d (set %v)", p.MinReady, p.SetMinReady, tc.want, tc.set)
			}
		})
	}
}

// TestMake_SleepBelowGrace: over a grid of preStop and shutdown values, every
// profile with and without spot, in both modes, with and without a user's
// grace period and hook: whenever the plan has no error, every sleep ends
// strictly before the grace period, the grace period covers P + D and stays
// within the cap.
func TestMake_SleepBelowGrace(t *testing.T) {
	values := []int{0, 1, 2, 5, 9, 10, 14, 15, 16, 20, 24, 25, 26, 29, 30, 31, 45, 60, 70, 89, 90, 100, 119, 120}
	userVariants := map[string][]func(*Workload){
		"bare":      nil,
		"grace 200": fns(grace(200)),
		"grace 5":   fns(grace(5)),
		"sleep 22":  fns(userHook(HookSleep, 22)),
		"custom":    fns(userHook(HookExec, -1)),
		"two apps": fns(func(w *Workload) {
			w.Containers = append(w.Containers, Container{Name: "b", Index: 1, Ports: 1, Readiness: true, Hook: HookSleep, HookSeconds: 12})
		}),
	}
	checked, errored := 0, 0
	for _, prof := range profile.All() {
		for _, sp := range []bool{false, true} {
			for _, mode := range []config.Mode{config.ModeDefault, config.ModeEnforce} {
				for _, pre := range values {
					for _, shut := range values {
						for vname, variant := range userVariants {
							c := cfg(t, prof.Name, preStop(pre), shutdown(shut), func(c *config.Config) { c.Spot, c.Mode = sp, mode })
							p := Make(web(variant...), c)
							if p.HasErrors() {
								errored++
								continue
							}
							checked++
							where := fmt.Sprintf("%s spot=%v %s P=%d D=%d %s", prof.Name, sp, mode, pre, shut, vname)
							for _, h := range p.Hooks {
								if h.Seconds >= p.Grace {
									t.Fatalf("%s: hook %d s not below the grace period %d s: %s", where, h.Seconds, p.Grace, dump(p))
								}
								if h.Seconds > p.PreStop {
									t.Fatalf("%s: hook %d s longer than P %d: %s", where, h.Seconds, p.PreStop, dump(p))
								}
							}
							if p.PreStop > 0 && p.PreStop >= p.Grace {
								t.Fatalf("%s: P %d not below T %d: %s", where, p.PreStop, p.Grace, dump(p))
							}
							if p.Grace < p.PreStop+p.Shutdown {
								t.Fatalf("%s: T %d < P %d + D %d: %s", where, p.Grace, p.PreStop, p.Shutdown, dump(p))
							}
							if cp := c.GraceCap(); cp > 0 && p.Grace > cp {
								t.Fatalf("%s: T %d above the cap %d: %s", where, p.Grace, cp, dump(p))
							}
							if c.GraceCap() == 0 && p.Grace < DefaultGrace {
								t.Fatalf("%s: T %d below the API default: %s", where, p.Grace, dump(p))
							}
						}
					}
				}
			}
		}
	}
	if checked == 0 || errored == 0 {
		t.Errorf("grid checked %d plans, %d in error: expected both", checked, errored)
	}
}

func TestMake_Strategy(t *testing.T) {
	type want struct {
		strategy Rollout
		// finding: severity, field, substring ("" severity: no strategy
		// finding expected)
		finding []string
	}
	deploy := func(s Strategy) []func(*Workload) {
		return fns(func(w *Workload) { w.Strategy = s })
	}
	kind := func(k string, s Strategy, more ...func(*Workload)) []func(*Workload) {
		return append(fns(func(w *Workload) { w.Kind, w.Strategy = k, s }), more...)
	}
	hostPort := func(w *Workload) { w.Containers[0].HostPort = true }
	pvc := func(w *Workload) { w.HasPVC = true }
	full := Rollout{Type: "RollingUpdate", MaxUnavailable: "0", MaxSurge: "25%"}
	testCases := map[string]struct {
		cfg []func(*config.Config)
		w   []func(*Workload)
		want
	}{
		"Deployment without strategy": {
			want: want{strategy: full},
		},
		"Deployment with the configured surge": {
			cfg:  fns(func(c *config.Config) { c.MaxSurge = "2" }),
			want: want{strategy: Rollout{Type: "RollingUpdate", MaxUnavailable: "0", MaxSurge: "2"}},
		},
		"Deployment RollingUpdate without parameters": {
			w:    deploy(Strategy{Type: "RollingUpdate"}),
			want: want{strategy: Rollout{MaxUnavailable: "0", MaxSurge: "25%"}},
		},
		"Deployment already safe": {
			w: deploy(Strategy{Type: "RollingUpdate", MaxUnavailable: "0", MaxSurge: "1"}),
		},
		"Deployment maxUnavailable 0% and a surge": {
			w: deploy(Strategy{MaxUnavailable: "0%", MaxSurge: "10%"}),
		},
		"Deployment maxUnavailable 0 without surge": {
			w:    deploy(Strategy{Type: "RollingUpdate", MaxUnavailable: "0"}),
			want: want{strategy: Rollout{MaxSurge: "25%"}},
		},
		"Deployment maxUnavailable 1: warning in default": {
			w:    deploy(Strategy{Type: "RollingUpdate", MaxUnavailable: "1", MaxSurge: "1"}),
			want: want{finding: []string{"warning", "spec.strategy.rollingUpdate.maxUnavailable", "maxUnavailable 1"}},
		},
		"Deployment maxUnavailable 1: set in enforce": {
			cfg: fns(enforce), w: deploy(Strategy{Type: "RollingUpdate", MaxUnavailable: "1", MaxSurge: "1"}),
			want: want{strategy: Rollout{MaxUnavailable: "0"}},
		},
		"Deployment maxUnavailable 25%, no surge: enforce sets both": {
			cfg: fns(enforce), w: deploy(Strategy{MaxUnavailable: "25%"}),
			want: want{strategy: full},
		},
		"Deployment maxSurge 0: warning in default": {
			w:    deploy(Strategy{MaxSurge: "0"}),
			want: want{finding: []string{"warning", "spec.strategy.rollingUpdate.maxSurge", "maxSurge is 0"}},
		},
		"Deployment maxSurge 0: enforce sets a surge": {
			cfg: fns(enforce), w: deploy(Strategy{MaxSurge: "0"}),
			want: want{strategy: full},
		},
		"Deployment Recreate: warning in default": {
			w:    deploy(Strategy{Type: "Recreate"}),
			want: want{finding: []string{"warning", "spec.strategy.type", "Recreate"}},
		},
		// external-dns runs one replica with Recreate and no leader
		// election (kubernetes-sigs/external-dns kustomize/
		// external-dns-deployment.yaml): two at once fight over records.
		"Deployment Recreate: enforce keeps it": {
			cfg: fns(enforce), w: deploy(Strategy{Type: "Recreate"}),
			want: want{finding: []string{"warning", "spec.strategy.type", "Kept in every mode"}},
		},
		"Deployment Recreate: the opt-in annotation converts": {
			cfg: fns(enforce), w: append(deploy(Strategy{Type: "Recreate"}), func(w *Workload) { w.Annotations = map[string]string{AnnotationRollingUpdate: "true"} }),
			want: want{strategy: full, finding: []string{"warning", "spec.strategy.type", "replaced with RollingUpdate"}},
		},
		"Deployment Recreate with a PVC: enforce keeps it": {
			cfg: fns(enforce), w: append(deploy(Strategy{Type: "Recreate"}), pvc),
			want: want{finding: []string{"warning", "spec.strategy.type", "PersistentVolumeClaim"}},
		},
		"DaemonSet without strategy": {
			w:    kind("DaemonSet", Strategy{}),
			want: want{strategy: Rollout{Type: "RollingUpdate", MaxUnavailable: "0", MaxSurge: "1"}},
		},
		"DaemonSet RollingUpdate without parameters": {
			w:    kind("DaemonSet", Strategy{Type: "RollingUpdate"}),
			want: want{strategy: Rollout{MaxUnavailable: "0", MaxSurge: "1"}},
		},
		"DaemonSet already safe": {
			w: kind("DaemonSet", Strategy{Type: "RollingUpdate", MaxUnavailable: "0", MaxSurge: "2"}),
		},
		"DaemonSet maxUnavailable 1: warning in default": {
			w:    kind("DaemonSet", Strategy{Type: "RollingUpdate", MaxUnavailable: "1"}),
			want: want{finding: []string{"warning", "spec.updateStrategy.rollingUpdate.maxUnavailable", "maxUnavailable 1"}},
		},
		"DaemonSet maxUnavailable 1: enforce": {
			cfg: fns(enforce), w: kind("DaemonSet", Strategy{Type: "RollingUpdate", MaxUnavailable: "1"}),
			want: want{strategy: Rollout{MaxUnavailable: "0", MaxSurge: "1"}},
		},
		"DaemonSet with a hostPort": {
			w:    kind("DaemonSet", Strategy{}, hostPort),
			want: want{finding: []string{"warning", "spec.updateStrategy.rollingUpdate", "hostPort"}},
		},
		"DaemonSet with a hostPort, enforce": {
			cfg: fns(enforce), w: kind("DaemonSet", Strategy{}, hostPort),
			want: want{finding: []string{"warning", "spec.updateStrategy.rollingUpdate", "hostPort"}},
		},
		"DaemonSet OnDelete": {
			w:    kind("DaemonSet", Strategy{Type: "OnDelete"}),
			want: want{finding: []string{"info", "spec.updateStrategy.type", "OnDelete"}},
		},
		"StatefulSet: no change": {
			w: kind("StatefulSet", Strategy{}),
		},
		"StatefulSet partitioned RollingUpdate, enforce: no change": {
			cfg: fns(enforce), w: kind("StatefulSet", Strategy{Type: "RollingUpdate", MaxUnavailable: "2"}),
		},
		"ReplicaSet: no change": {
			w: kind("ReplicaSet", Strategy{}),
		},
		"Rollout canary": {
			w:    kind("Rollout", Strategy{Canary: true}),
			want: want{strategy: Rollout{MaxUnavailable: "0", MaxSurge: "25%"}},
		},
		"Rollout canary already safe": {
			w: kind("Rollout", Strategy{Canary: true, MaxUnavailable: "0", MaxSurge: "1"}),
		},
		"Rollout canary maxUnavailable 1: warning in default": {
			w:    kind("Rollout", Strategy{Canary: true, MaxUnavailable: "1"}),
			want: want{finding: []string{"warning", "spec.strategy.canary.maxUnavailable", "maxUnavailable 1"}},
		},
		"Rollout canary maxSurge 0: warning in default": {
			w:    kind("Rollout", Strategy{Canary: true, MaxSurge: "0"}),
			want: want{finding: []string{"warning", "spec.strategy.canary.maxSurge", "maxSurge is 0"}},
		},
		"Rollout canary maxUnavailable 1: enforce": {
			cfg: fns(enforce), w: kind("Rollout", Strategy{Canary: true, MaxUnavailable: "1"}),
			want: want{strategy: Rollout{MaxUnavailable: "0", MaxSurge: "25%"}},
		},
		"Rollout blueGreen": {
			w:    kind("Rollout", Strategy{BlueGreen: true}),
			want: want{finding: []string{"info", "spec.strategy.blueGreen", "blue-green"}},
		},
		"Rollout without a strategy": {
			w: kind("Rollout", Strategy{}),
		},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			p := Make(web(tc.w...), cfg(t, "generic", tc.cfg...))
			if p.Skip != "" || p.HasErrors() {
				t.Fatalf("not planned: %s", dump(p))
			}
			if p.Strategy != tc.strategy {
				t.Errorf("Strategy = %+v, want %+v", p.Strategy, tc.strategy)
			}
			var strategyFindings []Finding
			for _, f := range p.Findings {
				if strings.HasPrefix(f.Field, "spec.strategy") || strings.HasPrefix(f.Field, "spec.updateStrategy") {
					strategyFindings = append(strategyFindings, f)
				}
			}
			if tc.finding == nil {
				if len(strategyFindings) != 0 {
					t.Errorf("unexpected strategy findings: %+v", strategyFindings)
				}
				return
			}
			if len(find(p, Severity(tc.finding[0]), tc.finding[1], tc.finding[2])) != 1 || len(strategyFindings) != 1 {
				t.Errorf("want one %s on %s mentioning %q: %s", tc.finding[0], tc.finding[1], tc.finding[2], dump(p))
			}
		})
	}
}

func TestMake_Replicas(t *testing.T) {
	testCases := map[string]struct {
		kind     string
		replicas *int
		hpaMin   *int
		// field of the expected warning; "-" none.
		field string
		msg   string
	}{
		"replicas 1":                    {kind: "Deployment", replicas: intp(1), field: "spec.replicas", msg: "1 replica"},
		"replicas unset means 1":        {kind: "Deployment", field: "spec.replicas", msg: "1 replica"},
		"replicas 0":                    {kind: "Deployment", replicas: intp(0), field: "spec.replicas", msg: "0 replica"},
		"replicas 2":                    {kind: "Deployment", replicas: intp(2), field: "-"},
		"StatefulSet replicas 1":        {kind: "StatefulSet", replicas: intp(1), field: "spec.replicas", msg: "stops its pod before the replacement starts"},
		"Rollout replicas 1":            {kind: "Rollout", replicas: intp(1), field: "spec.replicas"},
		"DaemonSet has no replicas":     {kind: "DaemonSet", field: "-"},
		"HPA minReplicas 1":             {kind: "Deployment", replicas: intp(3), hpaMin: intp(1), field: "", msg: "minReplicas 1"},
		"HPA minReplicas 3":             {kind: "Deployment", hpaMin: intp(3), field: "-"},
		"HPA minReplicas 2, replicas 1": {kind: "Deployment", replicas: intp(1), hpaMin: intp(2), field: "-"},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			w := web(func(w *Workload) { w.Kind, w.Replicas, w.HPAMinReplicas = tc.kind, tc.replicas, tc.hpaMin })
			if tc.kind == "Rollout" {
				w.Strategy.Canary = true
			}
			p := Make(w, cfg(t, "generic"))
			all := find(p, Warning, "*", "only pod down")
			if tc.field == "-" {
				if len(all) != 0 {
					t.Errorf("unexpected replica warnings: %s", dump(p))
				}
				return
			}
			if len(all) != 1 || len(find(p, Warning, tc.field, tc.msg)) != 1 {
				t.Errorf("want one warning on %q mentioning %q: %s", tc.field, tc.msg, dump(p))
			}
		})
	}
}

func TestMake_Gates(t *testing.T) {
	testCases := map[string]struct {
		profile string
		tgbs    []string
		have    []string
		want    []string
	}{
		"eks-alb: one gate per TargetGroupBinding": {
			profile: "eks-alb", tgbs: []string{"web-a", "web-b"},
			want: []string{"target-health.elbv2.k8s.aws/web-a", "target-health.elbv2.k8s.aws/web-b"},
		},
		"eks-nlb": {
			profile: "eks-nlb", tgbs: []string{"tg"}, want: []string{"target-health.elbv2.k8s.aws/tg"},
		},
		"eks-fargate-alb": {
			profile: "eks-fargate-alb", tgbs: []string{"tg"}, want: []string{"target-health.elbv2.k8s.aws/tg"},
		},
		"eks-alb: existing gate not repeated": {
			profile: "eks-alb", tgbs: []string{"web-a", "web-b", "web-a"},
			have: []string{"target-health.elbv2.k8s.aws/web-a"},
			want: []string{"target-health.elbv2.k8s.aws/web-b"},
		},
		"eks-alb without TargetGroupBindings": {profile: "eks-alb"},
		"gke-neg never adds gates":            {profile: "gke-neg", tgbs: []string{"tg"}},
		"gke-autopilot never adds gates":      {profile: "gke-autopilot", tgbs: []string{"tg"}},
		"generic never adds gates":            {profile: "generic", tgbs: []string{"tg"}},
		"aks-agic never adds gates":           {profile: "aks-agic", tgbs: []string{"tg"}},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			w := web(func(w *Workload) { w.TargetGroupBindings, w.ReadinessGates = tc.tgbs, tc.have })
			p := Make(w, cfg(t, tc.profile))
			if !reflect.DeepEqual(p.Gates, tc.want) {
				t.Errorf("Gates = %q, want %q", p.Gates, tc.want)
			}
		})
	}
}

func TestPlan_HasErrors(t *testing.T) {
	p := &Plan{}
	if p.HasErrors() {
		t.Error("empty plan has errors")
	}
	p.add(Warning, "f", "w %d", 1)
	p.add(Info, "", "i")
	if p.HasErrors() {
		t.Error("warnings counted as errors")
	}
	p.add(Error, "g", "e %s", "x")
	if !p.HasErrors() {
		t.Error("error not seen")
	}
	if got := p.Findings[2]; got != (Finding{Severity: Error, Field: "g", Message: "e x"}) {
		t.Errorf("Finding = %+v", got)
	}
}
