// Command lbsim plays a platform's load balancer for the rollout lab: it
// watches a Service's EndpointSlices and pods and programs a real HAProxy
// (dynamic servers through the runtime API) after the platform's delays
// (tools/lab/platform), sets the readiness-gate condition on pods as the
// platform's controller does, and logs every target change as JSON lines.
//
//	lbsim -kubeconfig KC -platform gke-neg -namespace NS -service web -port http \
//	      -listen 127.0.0.1:18080 -scale 1 -events lb.jsonl
//
// With -platform kube-proxy there is no HAProxy: the real kube-proxy routes
// and the lab targets the Service's ClusterIP; lbsim only logs what the
// EndpointSlices show (-listen is not used).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/graceful-rollout/graceful-rollout/tools/lab/platform"
)

var logOut io.Writer = os.Stderr

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

type options struct {
	kubeconfig, platform, namespace, service, port, listen, haproxy, events, tgb, negGate, healthPath string
	scale                                                                                             float64
	delayFactor, jitter                                                                               float64
	seed                                                                                              uint64
	sets                                                                                              multi
	printTable                                                                                        bool
}

func main() {
	o, err := parseOptions(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "lbsim:", err)
		os.Exit(2)
	}
	if o.printTable {
		fmt.Print(platform.Markdown())
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "lbsim:", err)
		os.Exit(1)
	}
}

func parseOptions(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("lbsim", flag.ContinueOnError)
	fs.StringVar(&o.kubeconfig, "kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig file")
	fs.StringVar(&o.platform, "platform", "", "one of "+strings.Join(platform.Names(), ", "))
	fs.StringVar(&o.namespace, "namespace", "default", "the Service's namespace")
	fs.StringVar(&o.service, "service", "", "the Service the LB routes to")
	fs.StringVar(&o.port, "port", "", "the Service port (name or number; empty: its only port)")
	fs.StringVar(&o.listen, "listen", "127.0.0.1:18080", "the LB's front end (HAProxy bind address)")
	fs.StringVar(&o.haproxy, "haproxy", "/usr/sbin/haproxy", "HAProxy binary")
	fs.Float64Var(&o.scale, "scale", 1, "divide every platform delay by this")
	fs.Float64Var(&o.delayFactor, "delay-factor", 1, "multiply every attach and detach delay by this (LAB_DELAY_FACTOR)")
	fs.Float64Var(&o.jitter, "jitter", 1, "draw each event's attach and detach delay at random with p95/median = this (LAB_JITTER; 1: none)")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the -jitter draws (LAB_SEED)")
	fs.StringVar(&o.events, "events", "", "append target events as JSON lines to this file")
	fs.StringVar(&o.tgb, "tgb", "", "AWS: the TargetGroupBinding whose gate target-health.elbv2.k8s.aws/NAME is set")
	fs.StringVar(&o.negGate, "neg-gate", "attach", "GKE: set the NEG gate when the endpoint is attached (story 1's race) or when healthy")
	fs.StringVar(&o.healthPath, "health-path", "", "health-check path (default: the companion objects', else the platform's)")
	fs.Var(&o.sets, "set", "override a platform number, NAME=SECONDS (repeatable; e.g. detach=45)")
	fs.BoolVar(&o.printTable, "print-table", false, "print the platform table (Markdown) and exit")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.printTable {
		return o, nil
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if _, err := platform.Get(o.platform); err != nil {
		return o, fmt.Errorf("-platform: %w", err)
	}
	if o.service == "" {
		return o, errors.New("-service is required")
	}
	if o.scale <= 0 {
		return o, fmt.Errorf("-scale %g: must be > 0", o.scale)
	}
	if _, err := platform.NewStress(o.delayFactor, o.jitter, o.seed); err != nil {
		return o, fmt.Errorf("-delay-factor/-jitter: %w", err)
	}
	if o.negGate != "attach" && o.negGate != "healthy" {
		return o, fmt.Errorf("-neg-gate %q: want attach or healthy", o.negGate)
	}
	p, _ := platform.Get(o.platform)
	for _, s := range o.sets {
		if err := p.Set(s, "-set"); err != nil {
			return o, fmt.Errorf("-set %w", err)
		}
	}
	return o, nil
}

// resolve is the platform as configured: table, companion objects, flags.
func (o options) resolve(ctx context.Context, cl *cluster) (platform.Platform, error) {
	p, _ := platform.Get(o.platform)
	if err := cl.companions(ctx, &p); err != nil {
		return p, err
	}
	for _, s := range o.sets {
		p.Set(s, "-set")
	}
	if o.healthPath != "" {
		p.HealthPath = o.healthPath
	}
	if p.Name == "gke-neg" {
		p.GateWhen = o.negGate
	}
	return p, nil
}

func (o options) gate(p platform.Platform) string {
	switch {
	case p.Gate == platform.AWSGatePrefix && o.tgb == "":
		return ""
	case p.Gate == platform.AWSGatePrefix:
		return p.Gate + o.tgb
	}
	return p.Gate
}

func run(ctx context.Context, o options) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", o.kubeconfig)
	if err != nil {
		return fmt.Errorf("kubeconfig %q: %w", o.kubeconfig, err)
	}
	cfg.Timeout = 10 * time.Second
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	if _, err := cs.Discovery().ServerVersion(); err != nil {
		return fmt.Errorf("API server unreachable (%s): %w", cfg.Host, err)
	}
	base, _ := platform.Get(o.platform)
	gate := o.gate(base)
	if base.Gate == platform.AWSGatePrefix && gate == "" {
		fmt.Fprintln(logOut, "lbsim: no -tgb: no target-health gate is set")
	}
	cl := newCluster(cs, dyn, o.namespace, o.service, o.port, base.Targets, gate)
	if err := cl.start(ctx); err != nil {
		return err
	}
	p, err := o.resolve(ctx, cl)
	if err != nil {
		return err
	}
	s := p.Scaled(o.scale)

	var events io.Writer = io.Discard
	if o.events != "" {
		f, err := os.OpenFile(o.events, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		events = f
	}
	var mu sync.Mutex
	emit := func(e Event) {
		b, _ := json.Marshal(e)
		mu.Lock()
		defer mu.Unlock()
		events.Write(append(b, '\n'))
		fmt.Fprintf(logOut, "lbsim: %s\n", b)
	}

	var dp DataPlane
	if p.Mode == "" {
		fmt.Fprintln(logOut, "lbsim: kube-proxy: no HAProxy; target the Service's ClusterIP (-listen is not used)")
		dp = &nullPlane{}
	} else {
		h, err := StartHAProxy(o.haproxy, o.listen, p.Mode, s)
		if err != nil {
			return err
		}
		defer h.Stop()
		dp = h
		fmt.Fprintf(logOut, "lbsim: %s on %s (HAProxy %s mode)\n", p.Name, o.listen, p.Mode)
	}
	fmt.Fprintf(logOut, "lbsim: %s\n", describe(p, s, o.scale, gate))
	ctrl := &Controller{S: s, Gate: gate, GateWhen: p.GateWhen, DP: dp, SetGate: cl.setGate, Emit: emit,
		Logf: func(f string, a ...any) { fmt.Fprintf(logOut, "lbsim: "+f+"\n", a...) }}
	if o.delayFactor != 1 || o.jitter != 1 {
		ctrl.Stress, _ = platform.NewStress(o.delayFactor, o.jitter, o.seed)
		fmt.Fprintf(logOut, "lbsim: stress: attach and detach delays × %g, jitter p95/median %g (seed %d)\n", o.delayFactor, o.jitter, o.seed)
	}

	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	lastResolve := time.Now()
	lastErr := ""
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-cl.changed:
		case <-tick.C:
		}
		if time.Since(lastResolve) > 2*time.Second {
			lastResolve = time.Now()
			if np, err := o.resolve(ctx, cl); err != nil {
				fmt.Fprintf(logOut, "lbsim: companion objects: %v\n", err)
			} else if ns := np.Scaled(o.scale); ns != ctrl.S {
				if ns.HealthPath != s.HealthPath {
					fmt.Fprintf(logOut, "lbsim: health-check path changed to %q: takes effect at the next start\n", ns.HealthPath)
				}
				ctrl.S = ns
				if h, ok := dp.(*HAProxy); ok {
					h.s = ns
				}
				fmt.Fprintf(logOut, "lbsim: %s\n", describe(np, ns, o.scale, gate))
			}
		}
		eps, err := cl.endpoints()
		if err != nil {
			if msg := err.Error(); msg != lastErr { // once per distinct error, not every tick
				fmt.Fprintf(logOut, "lbsim: %s\n", msg)
				lastErr = msg
			}
			continue
		}
		lastErr = ""
		ctrl.Step(time.Now(), eps)
	}
}

func describe(p platform.Platform, s platform.Settings, scale float64, gate string) string {
	g := "none"
	if gate != "" {
		g = gate + " when " + p.GateWhen
	}
	return fmt.Sprintf("settings (scale %g): attach %s, health checks every %s (timeout %s, rise %d, fall %d, path %q), detach %s, drain %s, retries %d, gate %s; drain from %s",
		scale, s.Attach, s.HealthInterval, s.HealthTimeout, s.HealthyThreshold, s.UnhealthyThreshold, s.HealthPath, s.Detach, s.Drain, s.Retries, g, p.Drain.Source)
}

func cacheHandler(f func(any)) cache.ResourceEventHandler {
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    f,
		UpdateFunc: func(_, n any) { f(n) },
		DeleteFunc: f,
	}
}
