package main

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/graceful-rollout/graceful-rollout/tools/lab/platform"
)

// fakePlane records commands at the fake clock's time; a server passes its
// health checks hc after it was added, unless down is set.
type fakePlane struct {
	now   *time.Time
	hc    time.Duration
	added map[string]time.Time
	cur   map[string]int
	down  map[string]bool
	log   []string
	t0    time.Time
}

func newFake(now *time.Time, hc time.Duration) *fakePlane {
	return &fakePlane{now: now, hc: hc, added: map[string]time.Time{}, cur: map[string]int{}, down: map[string]bool{}, t0: *now}
}

func (f *fakePlane) rec(op, name string) {
	f.log = append(f.log, fmt.Sprintf("%s %s %s", f.now.Sub(f.t0), op, name))
}
func (f *fakePlane) Add(name, ip string, port int) error {
	f.added[name] = *f.now
	f.rec("add", name)
	return nil
}
func (f *fakePlane) Ready(name string) error { f.rec("ready", name); return nil }
func (f *fakePlane) Drain(name string) error { f.rec("drain", name); return nil }
func (f *fakePlane) Remove(name string) error {
	f.rec("remove", name)
	delete(f.added, name)
	return nil
}
func (f *fakePlane) Status() (map[string]ServerStatus, error) {
	st := map[string]ServerStatus{}
	for n, at := range f.added {
		st[n] = ServerStatus{Up: !f.down[n] && f.now.Sub(at) >= f.hc, Cur: f.cur[n]}
	}
	return st, nil
}

type harness struct {
	t       *testing.T
	now     time.Time
	t0      time.Time
	dp      *fakePlane
	c       *Controller
	events  []string
	gates   []string
	gateErr error
}

func newHarness(t *testing.T, name string, gate, when string, hc time.Duration) *harness {
	p, err := platform.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	h.t0 = h.now
	h.dp = newFake(&h.now, hc)
	h.c = &Controller{S: p.Scaled(1), Gate: gate, GateWhen: when, DP: h.dp,
		SetGate: func(pod string, v bool) error {
			if h.gateErr != nil {
				return h.gateErr
			}
			h.gates = append(h.gates, fmt.Sprintf("%s %s=%v", h.now.Sub(h.t0), pod, v))
			return nil
		},
		Emit: func(e Event) {
			at, _ := time.Parse(time.RFC3339Nano, e.T)
			h.events = append(h.events, fmt.Sprintf("%s %s %s", at.Sub(h.t0), e.Event, e.Pod))
		}}
	return h
}

// run steps the controller every 100ms from now until until (seconds from
// t0), with the endpoints eps.
func (h *harness) run(until float64, eps ...Endpoint) {
	end := h.t0.Add(time.Duration(math.Round(until*1000)) * time.Millisecond)
	for ; !h.now.After(end); h.now = h.now.Add(100 * time.Millisecond) {
		h.c.Step(h.now, eps)
	}
}

func (h *harness) want(got []string, want ...string) {
	h.t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		h.t.Fatalf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func ep(pod string, routable bool) Endpoint {
	return Endpoint{IP: "10.0.0." + pod[len(pod)-1:], Port: 8080, Pod: pod, Routable: routable, HasGate: true}
}

// GKE NEG: attach after 5s; the gate goes True at attach (story 1's race),
// 10s before the LB's health checks pass (5s x 2); detach 10s after the
// endpoint turns not-ready; drainingTimeoutSec 0 removes at once.
func TestGKENEGRace(t *testing.T) {
	h := newHarness(t, "gke-neg", "cloud.google.com/load-balancer-neg-ready", "attach", 10*time.Second)
	h.run(29.9, ep("pod-1", true))
	h.run(60, ep("pod-1", false))
	h.want(h.events,
		"5s target-added pod-1",
		"5s gate-true pod-1",
		"15s target-healthy pod-1",
		"40s target-draining pod-1",
		"40s target-removed pod-1",
	)
	h.want(h.gates, "5s pod-1=true")
	h.want(h.dp.log, "5s add t1-10.0.0.1-8080", "15s ready t1-10.0.0.1-8080", "40s drain t1-10.0.0.1-8080", "40s remove t1-10.0.0.1-8080")
}

// With -neg-gate healthy the gate waits for the health checks.
func TestGKENEGGateWhenHealthy(t *testing.T) {
	h := newHarness(t, "gke-neg", "cloud.google.com/load-balancer-neg-ready", "healthy", 10*time.Second)
	h.run(20, ep("pod-1", true))
	h.want(h.gates, "15s pod-1=true")
}

// AWS ALB IP targets: gate True only when healthy; the LB keeps sending for
// the 30s detach; the draining target is removed when nothing is in flight
// (deregistration completes early), else after deregistration_delay.
func TestAWSALBDeregistration(t *testing.T) {
	h := newHarness(t, "aws-alb", "target-health.elbv2.k8s.aws/tgb", "healthy", 30*time.Second)
	a, b := ep("pod-1", true), ep("pod-2", true)
	h.run(59.9, a, b)
	a.Routable, b.Routable = false, false
	h.dp.cur["t1-10.0.0.1-8080"] = 0
	h.dp.cur["t2-10.0.0.2-8080"] = 3 // requests in flight
	h.run(100, a, b)
	h.dp.cur["t2-10.0.0.2-8080"] = 0
	h.run(120, a, b)
	h.want(h.events,
		"5s target-added pod-1",
		"5s target-added pod-2",
		"35s target-healthy pod-1",
		"35s gate-true pod-1",
		"35s target-healthy pod-2",
		"35s gate-true pod-2",
		"1m30s target-draining pod-1",
		"1m30s target-draining pod-2",
		"1m30.1s target-removed pod-1",
		"1m40.1s target-removed pod-2",
	)
}

func TestDeregistrationDelayCutsInFlight(t *testing.T) {
	h := newHarness(t, "aws-alb", "", "healthy", 0)
	h.c.S.Drain = 20 * time.Second
	a := ep("pod-1", true)
	h.run(9.9, a)
	a.Routable = false
	h.dp.cur["t1-10.0.0.1-8080"] = 1 // never finishes
	h.run(80, a)
	h.want(h.events, "5s target-added pod-1", "5.1s target-healthy pod-1", "40s target-draining pod-1", "1m0s target-removed pod-1")
}

// An endpoint that leaves before the attach delay is never added; one that
// comes back within the detach delay is never drained; a vanished endpoint
// counts as not ready.
func TestFlapsWithinDelays(t *testing.T) {
	h := newHarness(t, "ingress-nginx", "", "", 0)
	h.run(1, ep("pod-1", true))
	h.run(10, ep("pod-1", false))
	h.run(20, ep("pod-2", true))
	h.run(21, ep("pod-2", false))
	h.run(40, ep("pod-2", true))
	h.run(50) // gone from the slice
	h.want(h.events,
		"13.1s target-added pod-2",
		"13.2s target-healthy pod-2",
		"43.1s target-draining pod-2",
		"43.2s target-removed pod-2",
	)
}

// The gate is set only on pods that declare it, and retried after a failure.
func TestGateOnlyDeclaredAndRetried(t *testing.T) {
	h := newHarness(t, "gke-neg", "cloud.google.com/load-balancer-neg-ready", "attach", time.Second)
	a := ep("pod-1", true)
	a.HasGate = false
	h.run(10, a)
	if len(h.gates) != 0 {
		t.Fatalf("gate set on a pod without it: %v", h.gates)
	}
	b := ep("pod-2", true)
	h.gateErr = errors.New("conflict")
	h.run(16, a, b)
	h.gateErr = nil
	h.run(17, a, b)
	h.want(h.gates, "16.1s pod-2=true")
}

// A target that fails health checks is reported, and the AWS gate goes False.
func TestUnhealthy(t *testing.T) {
	h := newHarness(t, "aws-alb", "target-health.elbv2.k8s.aws/tgb", "healthy", 0)
	h.run(10, ep("pod-1", true))
	h.dp.down["t1-10.0.0.1-8080"] = true
	h.run(11, ep("pod-1", true))
	h.want(h.events, "5s target-added pod-1", "5.1s target-healthy pod-1", "5.1s gate-true pod-1",
		"10.1s target-unhealthy pod-1", "10.1s gate-false pod-1")
}

// kube-proxy: no delays, events as the EndpointSlice changes.
func TestKubeProxyFollowsSlices(t *testing.T) {
	h := newHarness(t, "kube-proxy", "", "", 0)
	h.c.DP = &nullPlane{}
	h.run(1, ep("pod-1", true))
	h.run(2, ep("pod-1", false))
	h.want(h.events, "0s target-added pod-1", "100ms target-healthy pod-1", "1.1s target-draining pod-1", "1.1s target-removed pod-1")
}

func TestParseStat(t *testing.T) {
	out := "# pxname,svname,qcur,scur,status,check_status,check_health,check_rise\n" +
		"fe,FRONTEND,,0,OPEN,,,\n" +
		"be,t1,0,2,UP,L7OK,4,3\n" +
		"be,t2,0,0,MAINT,L7OK,2,3\n" +
		"be,t3,0,0,MAINT,L7OK,4,3\n" +
		"be,t4,0,0,MAINT,,0,0\n" +
		"be,t5,0,1,DOWN 1/2,L7STS,0,3\n" +
		"be,t6,0,0,DRAIN,L7OK,4,3\n" +
		"be,BACKEND,0,3,UP,,,\n"
	st, err := parseStat(out)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]ServerStatus{"t1": {true, 2}, "t2": {false, 0}, "t3": {true, 0}, "t4": {true, 0}, "t5": {false, 1}, "t6": {false, 0}}
	if fmt.Sprint(st) != fmt.Sprint(want) {
		t.Fatalf("parseStat = %v, want %v", st, want)
	}
	if _, err := parseStat("# pxname,svname\nbe,t1\n"); err == nil {
		t.Fatal("no error for missing columns")
	}
}

func TestOptions(t *testing.T) {
	if _, err := parseOptions([]string{"-platform", "gke-neg", "-service", "web", "-set", "detach=45", "-delay-factor", "1.5", "-jitter", "2", "-seed", "9"}); err != nil {
		t.Fatal(err)
	}
	for _, args := range []string{
		"-platform gcp -service web",
		"-platform gke-neg",
		"-platform gke-neg -service web -scale 0",
		"-platform gke-neg -service web -neg-gate never",
		"-platform gke-neg -service web -set detach=x",
		"-platform gke-neg -service web -set bogus=1",
		"-platform gke-neg -service web -delay-factor 0",
		"-platform gke-neg -service web -jitter 0.5",
	} {
		if _, err := parseOptions(strings.Fields(args)); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
}

// Stress: every attach and detach waits base × factor × a seeded draw, the
// draws differ between events, and the events carry the delay waited.
func TestStressDelays(t *testing.T) {
	h := newHarness(t, "gke-neg", "", "", 10*time.Second)
	st, err := platform.NewStress(2, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	h.c.Stress = st
	var delays []float64
	emit := h.c.Emit
	h.c.Emit = func(e Event) {
		if e.Delay > 0 {
			delays = append(delays, e.Delay)
		}
		emit(e)
	}
	h.run(29.9, ep("pod-1", true))
	h.run(60, ep("pod-1", false))
	// gke-neg: attach 5 s, detach 10 s, both doubled.
	h.want(h.events, "10s target-added pod-1", "20s target-healthy pod-1", "50s target-draining pod-1", "50s target-removed pod-1")
	if fmt.Sprint(delays) != "[10 20]" {
		t.Fatalf("delays %v", delays)
	}

	// Jitter: per-event draws, the same for the same seed.
	draws := func(seed uint64) []float64 {
		h := newHarness(t, "gke-neg", "", "", time.Second)
		h.c.Stress, _ = platform.NewStress(1, 3, seed)
		var ds []float64
		h.c.Emit = func(e Event) {
			if e.Event == "target-added" {
				ds = append(ds, e.Delay)
			}
		}
		h.run(60, ep("pod-1", true), ep("pod-2", true), ep("pod-3", true))
		return ds
	}
	a, b := draws(5), draws(5)
	if len(a) != 3 || fmt.Sprint(a) != fmt.Sprint(b) || (a[0] == a[1] && a[1] == a[2]) {
		t.Fatalf("draws %v and %v", a, b)
	}
}
