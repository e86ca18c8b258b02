package plan

import (
	"testing"

	"github.com/graceful-rollout/graceful-rollout/fn/config"
)

func meshCfg(m config.Mesh) func(*config.Config) {
	return func(c *config.Config) { c.Mesh = m }
}

func meshVersion(minor int) func(*config.Config) {
	return func(c *config.Config) { c.MeshVersion = config.Version{Major: 1, Minor: minor} }
}

func facts(f MeshFacts) func(*Workload) { return func(w *Workload) { w.Mesh = f } }

func ns(n NamespaceMesh) func(*Workload) { return func(w *Workload) { w.Mesh.Namespace = &n } }

func TestMesh_WhoIsMeshed(t *testing.T) {
	testCases := map[string]struct {
		mesh config.Mesh
		w    []func(*Workload)
		want config.Mesh
	}{
		"none":                           {config.MeshNone, nil, ""},
		"istio: everyone":                {config.MeshIstio, nil, config.MeshIstio},
		"istio: pod opts out":            {config.MeshIstio, []func(*Workload){facts(MeshFacts{IstioInject: "false"})}, ""},
		"istio: namespace disabled":      {config.MeshIstio, []func(*Workload){ns(NamespaceMesh{IstioInjection: "disabled"})}, ""},
		"istio: pod true, ns disabled":   {config.MeshIstio, []func(*Workload){facts(MeshFacts{IstioInject: "true"}), ns(NamespaceMesh{IstioInjection: "disabled"})}, ""},
		"linkerd: everyone":              {config.MeshLinkerd, nil, config.MeshLinkerd},
		"linkerd: pod opts out":          {config.MeshLinkerd, []func(*Workload){facts(MeshFacts{LinkerdInject: "disabled"})}, ""},
		"linkerd: namespace disabled":    {config.MeshLinkerd, []func(*Workload){ns(NamespaceMesh{LinkerdInject: "disabled"})}, ""},
		"linkerd: pod beats namespace":   {config.MeshLinkerd, []func(*Workload){facts(MeshFacts{LinkerdInject: "enabled"}), ns(NamespaceMesh{LinkerdInject: "disabled"})}, config.MeshLinkerd},
		"auto: nothing says so":          {config.MeshAuto, nil, ""},
		"auto: namespace enabled":        {config.MeshAuto, []func(*Workload){ns(NamespaceMesh{IstioInjection: "enabled"})}, config.MeshIstio},
		"auto: namespace revision":       {config.MeshAuto, []func(*Workload){ns(NamespaceMesh{IstioRev: "canary"})}, config.MeshIstio},
		"auto: pod label true":           {config.MeshAuto, []func(*Workload){facts(MeshFacts{IstioInject: "true"})}, config.MeshIstio},
		"auto: pod revision":             {config.MeshAuto, []func(*Workload){facts(MeshFacts{IstioRev: "stable"})}, config.MeshIstio},
		"auto: enabled ns, pod opts out": {config.MeshAuto, []func(*Workload){facts(MeshFacts{IstioInject: "false"}), ns(NamespaceMesh{IstioInjection: "enabled"})}, ""},
		"auto: disabled ns wins":         {config.MeshAuto, []func(*Workload){facts(MeshFacts{IstioInject: "true"}), ns(NamespaceMesh{IstioInjection: "disabled"})}, ""},
		"auto: linkerd pod":              {config.MeshAuto, []func(*Workload){facts(MeshFacts{LinkerdInject: "enabled"})}, config.MeshLinkerd},
		"auto: linkerd ingress":          {config.MeshAuto, []func(*Workload){facts(MeshFacts{LinkerdInject: "ingress"})}, config.MeshLinkerd},
		"auto: linkerd namespace":        {config.MeshAuto, []func(*Workload){ns(NamespaceMesh{LinkerdInject: "enabled"})}, config.MeshLinkerd},
		"auto: linkerd ns, pod disabled": {config.MeshAuto, []func(*Workload){facts(MeshFacts{LinkerdInject: "disabled"}), ns(NamespaceMesh{LinkerdInject: "enabled"})}, ""},
		"auto: injected istio-proxy": {config.MeshAuto, []func(*Workload){func(w *Workload) {
			w.Containers = append(w.Containers, Container{Name: "istio-proxy", Index: 1, MeshProxy: true, HookSeconds: -1})
		}}, config.MeshIstio},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			p := Make(web(tc.w...), cfg(t, "generic", meshCfg(tc.mesh)))
			if p.Mesh.Name != tc.want {
				t.Errorf("mesh = %q (%s), want %q", p.Mesh.Name, p.Mesh.Why, tc.want)
			}
			if p.HasErrors() {
				t.Errorf("errors: %s", dump(p))
			}
		})
	}
}

const proxyConfigField = "spec.template.metadata.annotations.proxy.istio.io/config"

// The timeline (docs/concepts.md) with a classic sidecar: it gets SIGTERM at 0 and
// must live until the app is done (drain >= P + D), not past the kill
// (drain <= T); the grace period covers a longer drain the user wrote.
func TestMesh_IstioDrain(t *testing.T) {
	testCases := map[string]struct {
		profile string
		cfg     []func(*config.Config)
		w       []func(*Workload)
		drain   int
		grace   int
		hold    bool
		warn    string
	}{
		"generic: P + D":                        {"generic", nil, nil, 30, 30, true, ""},
		"eks-alb: 120 + 20":                     {"eks-alb", nil, nil, 140, 140, true, ""},
		"user drain shorter: raised":            {"generic", nil, []func(*Workload){facts(MeshFacts{IstioDrain: intp(5)})}, 30, 30, true, ""},
		"user drain longer: kept, grace raised": {"generic", nil, []func(*Workload){facts(MeshFacts{IstioDrain: intp(60)})}, 60, 60, true, ""},
		"user drain longer, enforce: P + D":     {"generic", []func(*config.Config){enforce}, []func(*Workload){facts(MeshFacts{IstioDrain: intp(60)})}, 30, 30, true, ""},
		"spot cap: drain fits the cap":          {"gke-autopilot", []func(*config.Config){spot}, nil, 25, 25, true, ""},
		"spot cap: user drain lowered":          {"gke-autopilot", []func(*config.Config){spot}, []func(*Workload){facts(MeshFacts{IstioDrain: intp(60)})}, 25, 25, true, "lowered from 60s"},
		"user hold false kept":                  {"generic", nil, []func(*Workload){facts(MeshFacts{IstioHold: meshBoolp(false)})}, 30, 30, false, ""},
		"user hold false, enforce":              {"generic", []func(*config.Config){enforce}, []func(*Workload){facts(MeshFacts{IstioHold: meshBoolp(false)})}, 30, 30, true, ""},
		"hold off by config":                    {"generic", []func(*config.Config){func(c *config.Config) { c.Istio.HoldApplication = false }}, nil, 30, 30, false, ""},
		// The app may work until the grace period ends: the drain follows
		// a long one the user set (an upload API), never P + D alone. A
		// grace period set without a preStop is the app's own need (D), in
		// every mode: T = P + 300.
		"user grace 300: drain follows it": {"generic", nil, []func(*Workload){grace(300)}, 310, 310, true, ""},
		"user grace 300, eks-alb":          {"eks-alb", nil, []func(*Workload){grace(300)}, 420, 420, true, ""},
		"user grace 300, enforce: still D": {"generic", []func(*config.Config){enforce}, []func(*Workload){grace(300)}, 310, 310, true, ""},
		"user grace 300, spot cap":         {"gke-autopilot", []func(*config.Config){spot}, []func(*Workload){grace(300)}, 25, 25, true, ""},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			p := Make(web(tc.w...), cfg(t, tc.profile, append([]func(*config.Config){meshCfg(config.MeshIstio)}, tc.cfg...)...))
			m := p.Mesh
			if m.Name != config.MeshIstio || m.Native || m.ExitOnZero {
				t.Fatalf("mesh = %+v", m)
			}
			if m.DrainSeconds != tc.drain || p.Grace != tc.grace || m.Hold != tc.hold {
				t.Errorf("drain=%d grace=%d hold=%v, want %d %d %v\n%s", m.DrainSeconds, p.Grace, m.Hold, tc.drain, tc.grace, tc.hold, dump(p))
			}
			if m.DrainSeconds < p.PreStop+p.Shutdown || m.DrainSeconds > p.Grace {
				t.Errorf("drain %d outside [P+D, T] = [%d, %d]", m.DrainSeconds, p.PreStop+p.Shutdown, p.Grace)
			}
			if tc.warn != "" && len(find(p, Warning, proxyConfigField, tc.warn)) != 1 {
				t.Errorf("no warning %q:\n%s", tc.warn, dump(p))
			}
		})
	}
}

// hostNetwork pods get no proxy from either injector: not meshed, whatever
// the mesh setting or the pod's labels say, and the result says why.
func TestMesh_HostNetwork(t *testing.T) {
	for _, m := range []config.Mesh{config.MeshIstio, config.MeshLinkerd, config.MeshAuto} {
		p := Make(web(facts(MeshFacts{HostNetwork: true, IstioInject: "true"}), grace(300)), cfg(t, "generic", meshCfg(m)))
		if p.Mesh.Name != "" || p.Mesh.DrainSeconds != 0 || p.Mesh.WaitBeforeExit != 0 || p.Mesh.Hold {
			t.Errorf("%s: hostNetwork pods planned with a proxy: %+v", m, p.Mesh)
		}
		if len(find(p, Info, "", "its pods use hostNetwork")) != 1 {
			t.Errorf("%s: no result says why:\n%s", m, dump(p))
		}
	}
	// Nothing to say when no mesh would take the pods anyway.
	p := Make(web(facts(MeshFacts{HostNetwork: true})), cfg(t, "generic", meshCfg(config.MeshAuto)))
	if len(find(p, Info, "", "hostNetwork")) != 0 {
		t.Errorf("hostNetwork noted without a mesh:\n%s", dump(p))
	}
}

func TestMesh_IstioExitOnZero(t *testing.T) {
	exit := func(c *config.Config) { c.Istio.Drain = config.DrainExitOnZero }
	p := Make(web(), cfg(t, "eks-alb", meshCfg(config.MeshIstio), exit))
	if !p.Mesh.ExitOnZero || p.Mesh.MinDrainSeconds != 120 || p.Mesh.DrainSeconds != 0 {
		t.Errorf("mesh = %+v, want exit on zero after the 120 s preStop", p.Mesh)
	}
	// The user's own EXIT_ON_ZERO_ACTIVE_CONNECTIONS is kept in mode
	// default, with a longer minimum.
	p = Make(web(facts(MeshFacts{IstioExitOnZero: true, IstioMinDrain: intp(150)})), cfg(t, "eks-alb", meshCfg(config.MeshIstio)))
	if !p.Mesh.ExitOnZero || p.Mesh.MinDrainSeconds != 150 {
		t.Errorf("mesh = %+v, want the user's exit on zero kept", p.Mesh)
	}
}

func TestMesh_Native(t *testing.T) {
	k133 := k8s(1, 33)
	testCases := map[string]struct {
		cfg    []func(*config.Config)
		w      []func(*Workload)
		native bool
		warn   bool
	}{
		"auto, versions unset":        {nil, nil, false, false},
		"auto, 1.33 + 1.27":           {[]func(*config.Config){k133, meshVersion(27)}, nil, true, false},
		"auto, 1.33 + 1.26":           {[]func(*config.Config){k133, meshVersion(26)}, nil, false, false},
		"config true":                 {[]func(*config.Config){func(c *config.Config) { c.Istio.NativeSidecars = "true" }}, nil, true, false},
		"annotation true":             {[]func(*config.Config){meshVersion(24)}, []func(*Workload){facts(MeshFacts{IstioNative: "true"})}, true, false},
		"annotation false beats auto": {[]func(*config.Config){k133, meshVersion(27)}, []func(*Workload){facts(MeshFacts{IstioNative: "false"})}, false, false},
		"annotation before 1.24":      {[]func(*config.Config){meshVersion(22)}, []func(*Workload){facts(MeshFacts{IstioNative: "true"})}, false, true},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			p := Make(web(tc.w...), cfg(t, "generic", append([]func(*config.Config){meshCfg(config.MeshIstio)}, tc.cfg...)...))
			if p.Mesh.Native != tc.native {
				t.Errorf("native = %v, want %v\n%s", p.Mesh.Native, tc.native, dump(p))
			}
			if tc.native && (p.Mesh.DrainSeconds != 0 || p.Mesh.Hold || p.Mesh.ExitOnZero) {
				t.Errorf("a native sidecar got drain settings: %+v", p.Mesh)
			}
			if got := len(find(p, Warning, "*", "ignores this annotation")); (got == 1) != tc.warn {
				t.Errorf("warning count %d, want %v\n%s", got, tc.warn, dump(p))
			}
		})
	}
}

// Linkerd: the wait outlasts the preStop and ends before the grace period.
func TestMesh_LinkerdWait(t *testing.T) {
	testCases := map[string]struct {
		profile string
		cfg     []func(*config.Config)
		w       []func(*Workload)
		wait    int
		grace   int
	}{
		"generic":                     {"generic", nil, nil, 29, 30},
		"eks-alb":                     {"eks-alb", nil, nil, 139, 140},
		"user wait longer: kept":      {"generic", nil, []func(*Workload){facts(MeshFacts{LinkerdWait: intp(45)})}, 45, 46},
		"user wait too short: raised": {"generic", nil, []func(*Workload){facts(MeshFacts{LinkerdWait: intp(5)})}, 29, 30},
		"enforce":                     {"generic", []func(*config.Config){enforce}, []func(*Workload){facts(MeshFacts{LinkerdWait: intp(45)})}, 29, 30},
		"spot cap":                    {"gke-autopilot", []func(*config.Config){spot}, []func(*Workload){facts(MeshFacts{LinkerdWait: intp(60)})}, 24, 25},
		// A grace period set without a preStop is the app's own need (D = 300):
		// T = P + D = 310, and the proxy waits until just before it.
		"user grace 300": {"generic", nil, []func(*Workload){grace(300)}, 309, 310},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			p := Make(web(tc.w...), cfg(t, tc.profile, append([]func(*config.Config){meshCfg(config.MeshLinkerd)}, tc.cfg...)...))
			if p.Mesh.WaitBeforeExit != tc.wait || p.Grace != tc.grace {
				t.Errorf("wait=%d grace=%d, want %d %d\n%s", p.Mesh.WaitBeforeExit, p.Grace, tc.wait, tc.grace, dump(p))
			}
			if p.Mesh.WaitBeforeExit <= p.PreStop || p.Mesh.WaitBeforeExit >= p.Grace {
				t.Errorf("wait %d not in (P, T) = (%d, %d)", p.Mesh.WaitBeforeExit, p.PreStop, p.Grace)
			}
		})
	}
	p := Make(web(facts(MeshFacts{LinkerdNative: "true"})), cfg(t, "generic", meshCfg(config.MeshLinkerd)))
	if !p.Mesh.Native || p.Mesh.WaitBeforeExit != 0 {
		t.Errorf("native linkerd proxy: %+v", p.Mesh)
	}
}

// A proxy setting that cannot be read is an error of the workload.
func TestMesh_UnreadableProxySettings(t *testing.T) {
	p := Make(web(facts(MeshFacts{IstioConfigError: "cannot read"})), cfg(t, "generic", meshCfg(config.MeshIstio)))
	if len(find(p, Error, proxyConfigField, "cannot read")) != 1 {
		t.Errorf("no error:\n%s", dump(p))
	}
	p = Make(web(facts(MeshFacts{LinkerdWaitError: "not a number"})), cfg(t, "generic", meshCfg(config.MeshLinkerd)))
	if len(find(p, Error, "spec.template.metadata.annotations."+LinkerdWaitBeforeExit, "not a number")) != 1 {
		t.Errorf("no error:\n%s", dump(p))
	}
	// Not meshed: not read, not an error.
	p = Make(web(facts(MeshFacts{IstioConfigError: "cannot read"})), cfg(t, "generic"))
	if p.HasErrors() {
		t.Errorf("mesh none reported the proxy config:\n%s", dump(p))
	}
}

// Every profile, meshed with either proxy, keeps the plan consistent.
func TestMesh_EveryProfile(t *testing.T) {
	for _, name := range []string{"generic", "ingress-nginx", "gke-neg", "gke-autopilot", "eks-alb", "eks-nlb", "eks-fargate-alb", "aks-agic"} {
		for _, sp := range []bool{false, true} {
			for _, m := range []config.Mesh{config.MeshIstio, config.MeshLinkerd} {
				c := cfg(t, name, meshCfg(m), func(c *config.Config) { c.Spot = sp })
				p := Make(web(), c)
				if p.HasErrors() {
					t.Errorf("%s spot=%v %s: %s", name, sp, m, dump(p))
					continue
				}
				switch m {
				case config.MeshIstio:
					if d := p.Mesh.DrainSeconds; d < p.PreStop+p.Shutdown || d > p.Grace {
						t.Errorf("%s spot=%v: drain %d outside [%d, %d]", name, sp, d, p.PreStop+p.Shutdown, p.Grace)
					}
				case config.MeshLinkerd:
					if w := p.Mesh.WaitBeforeExit; w <= p.PreStop || w >= p.Grace {
						t.Errorf("%s spot=%v: wait %d outside (%d, %d)", name, sp, w, p.PreStop, p.Grace)
					}
				}
				if cap := c.GraceCap(); cap > 0 && p.Grace > cap {
					t.Errorf("%s spot: grace %d over the cap %d", name, p.Grace, cap)
				}
			}
		}
	}
}

func meshBoolp(b bool) *bool { return &b }
