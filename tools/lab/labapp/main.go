// Command labapp is the rollout lab's application: a static HTTP and gRPC
// server whose startup, readiness, request latency and SIGTERM behaviour are
// settings, so one image can play every kind of workload of the examples.
//
// Every flag can also be given as an environment variable LAB_<NAME> (upper
// case, - as _), e.g. LAB_ON_SIGTERM=drain; a flag on the command line wins.
//
// -http and -grpc take a comma-separated list of addresses, so one app can
// answer on every port a swapped container declared or probed.
//
//	GET /                -> 200 "pod <name>" after -latency
//	GET /healthz         -> 200 once ready, 503 before (readiness probe); so
//	                        does every other path (the manifests' probe paths)
//	GET /sleep?seconds=N -> 200 after N seconds (httpGet preStop without a shell)
//	gRPC grpc.health.v1.Health (NOT_SERVING until ready) and /lab.Echo/Echo
//	(google.protobuf.StringValue in and out, after -latency)
//
// It logs one JSON object per line on stdout for each event: start,
// listening, ready, sigterm, exit.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// config is the app's behaviour, from flags and LAB_* variables.
type config struct {
	HTTP         string
	GRPC         string
	StartupDelay time.Duration
	ReadyDelay   time.Duration
	Latency      time.Duration
	OnSigterm    string
	Drain        time.Duration
	Init         bool
	Pod          string
}

func main() {
	cfg, err := parseConfig(os.Args[1:], os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "labapp:", err)
		os.Exit(2)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	os.Exit(run(cfg, os.Stdout, sig, os.Exit))
}

// parseConfig reads flags; each flag's default comes from LAB_<NAME> when set.
func parseConfig(args []string, getenv func(string) string) (config, error) {
	var c config
	fs := flag.NewFlagSet("labapp", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	env := func(name, def string) string {
		if v := getenv("LAB_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))); v != "" {
			return v
		}
		return def
	}
	var errs []error
	dur := func(p *time.Duration, name, def, usage string) {
		s := env(name, def)
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			errs = append(errs, fmt.Errorf("LAB_%s=%q: not a duration >= 0", strings.ToUpper(strings.ReplaceAll(name, "-", "_")), s))
		}
		fs.DurationVar(p, name, d, usage)
	}
	fs.StringVar(&c.HTTP, "http", env("http", ":8080"), "HTTP listen addresses (comma-separated)")
	fs.StringVar(&c.GRPC, "grpc", env("grpc", ":9090"), "gRPC listen addresses (comma-separated), 0 to disable")
	fs.BoolVar(&c.Init, "init", env("init", "") == "true", "play an init container: log start and exit 0 at once")
	dur(&c.StartupDelay, "startup-delay", "0s", "nothing listens before this")
	dur(&c.ReadyDelay, "ready-delay", "0s", "after listening, /healthz is 503 for this long")
	dur(&c.Latency, "latency", "0s", "each request to / and Echo takes this long")
	fs.StringVar(&c.OnSigterm, "on-sigterm", env("on-sigterm", "exit"), "exit (at once) or drain")
	dur(&c.Drain, "drain", "0s", "with -on-sigterm drain: serve for this long, then exit")
	if len(errs) > 0 {
		return c, errors.Join(errs...)
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if c.OnSigterm != "exit" && c.OnSigterm != "drain" {
		return c, fmt.Errorf("-on-sigterm %q: want exit or drain", c.OnSigterm)
	}
	for name, d := range map[string]time.Duration{"startup-delay": c.StartupDelay, "ready-delay": c.ReadyDelay, "latency": c.Latency, "drain": c.Drain} {
		if d < 0 {
			return c, fmt.Errorf("-%s %s: must be >= 0", name, d)
		}
	}
	if c.HTTP == "" || c.HTTP == "0" {
		return c, errors.New("-http: an address is required")
	}
	c.Pod = getenv("POD_NAME")
	if c.Pod == "" {
		c.Pod, _ = os.Hostname()
	}
	return c, nil
}

// logger writes one JSON event per line.
type logger struct {
	mu  sync.Mutex
	out io.Writer
	pod string
}

type event struct {
	T     string `json:"t"`
	Event string `json:"event"`
	Pod   string `json:"pod"`
	HTTP  string `json:"http,omitempty"`
	GRPC  string `json:"grpc,omitempty"`
	Mode  string `json:"mode,omitempty"`
}

func (l *logger) log(e event) {
	e.T = time.Now().UTC().Format(time.RFC3339Nano)
	e.Pod = l.pod
	b, _ := json.Marshal(e)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.out.Write(append(b, '\n'))
}

// run serves until a signal; it returns the exit code. exit is called for
// -on-sigterm exit (os.Exit in the binary: the process ends at once, its
// sockets close under the clients).
func run(c config, out io.Writer, sig <-chan os.Signal, exit func(int)) int {
	l := &logger{out: out, pod: c.Pod}
	l.log(event{Event: "start"})
	if c.Init {
		l.log(event{Event: "exit"})
		return 0
	}
	select {
	case <-time.After(c.StartupDelay):
	case <-sig:
		l.log(event{Event: "sigterm", Mode: c.OnSigterm})
		l.log(event{Event: "exit"})
		return 0
	}

	hls, err := listen(c.HTTP)
	if err != nil {
		fmt.Fprintln(os.Stderr, "labapp:", err)
		return 1
	}
	var gls []net.Listener
	if c.GRPC != "" && c.GRPC != "0" {
		if gls, err = listen(c.GRPC); err != nil {
			fmt.Fprintln(os.Stderr, "labapp:", err)
			return 1
		}
	}

	var ready atomic.Bool
	hs := &http.Server{Handler: handler(c, &ready), ReadHeaderTimeout: 10 * time.Second}
	for _, hl := range hls {
		go hs.Serve(hl)
	}
	var gs *grpc.Server
	hsrv := health.NewServer()
	hsrv.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	if gls != nil {
		gs = grpc.NewServer()
		healthpb.RegisterHealthServer(gs, hsrv)
		gs.RegisterService(&echoDesc, &echo{latency: c.Latency})
		for _, gl := range gls {
			go gs.Serve(gl)
		}
	}
	l.log(event{Event: "listening", HTTP: addrs(hls), GRPC: addrs(gls)})

	readyAt := time.After(c.ReadyDelay)
	for {
		select {
		case <-readyAt:
			readyAt = nil
			ready.Store(true)
			hsrv.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
			l.log(event{Event: "ready"})
			continue
		case <-sig:
		}
		break
	}
	l.log(event{Event: "sigterm", Mode: c.OnSigterm})
	if c.OnSigterm == "exit" {
		l.log(event{Event: "exit"})
		exit(0)
		// Only reached when exit does not end the process (tests): close
		// everything at once, as the end of the process would.
		hs.Close()
		if gs != nil {
			gs.Stop()
		}
		return 0
	}
	// drain: keep serving in-flight and new requests for -drain, then stop
	// accepting, let requests still running finish (at most -latency), exit.
	time.Sleep(c.Drain)
	ctx, cancel := context.WithTimeout(context.Background(), c.Latency+100*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	if gs != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			done := make(chan struct{})
			go func() { gs.GracefulStop(); close(done) }()
			select {
			case <-done:
			case <-ctx.Done():
				gs.Stop()
			}
		}()
	}
	if err := hs.Shutdown(ctx); err != nil {
		hs.Close()
	}
	wg.Wait()
	l.log(event{Event: "exit"})
	return 0
}

// listen opens a listener on each of a comma-separated list of addresses.
func listen(list string) ([]net.Listener, error) {
	var ls []net.Listener
	for _, a := range strings.Split(list, ",") {
		if a = strings.TrimSpace(a); a == "" {
			continue
		}
		l, err := net.Listen("tcp", a)
		if err != nil {
			for _, o := range ls {
				o.Close()
			}
			return nil, err
		}
		ls = append(ls, l)
	}
	if len(ls) == 0 {
		return nil, fmt.Errorf("no address in %q", list)
	}
	return ls, nil
}

func addrs(ls []net.Listener) string {
	var s []string
	for _, l := range ls {
		s = append(s, l.Addr().String())
	}
	return strings.Join(s, ",")
}

func handler(c config, ready *atomic.Bool) http.Handler {
	mux := http.NewServeMux()
	readiness := func(w http.ResponseWriter, r *http.Request) {
		if !ready.Load() {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			// Any other path is a probe: the examples' probes keep their
			// own paths (/healthz/ready, /readyz, ...) when the image is
			// swapped for this app.
			readiness(w, r)
			return
		}
		sleep(r.Context(), c.Latency)
		fmt.Fprintf(w, "pod %s\n", c.Pod)
	})
	mux.HandleFunc("/healthz", readiness)
	mux.HandleFunc("/sleep", func(w http.ResponseWriter, r *http.Request) {
		s, err := strconv.ParseFloat(r.URL.Query().Get("seconds"), 64)
		if err != nil || s < 0 {
			http.Error(w, "seconds: want a number >= 0", http.StatusBadRequest)
			return
		}
		sleep(r.Context(), time.Duration(s*float64(time.Second)))
		fmt.Fprintf(w, "slept %gs\n", s)
	})
	return mux
}

func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// echo is the unary gRPC service /lab.Echo/Echo, described by hand (no
// generated code): google.protobuf.StringValue in, the same value out.
type echo struct{ latency time.Duration }

type echoServer interface {
	Echo(context.Context, *wrapperspb.StringValue) (*wrapperspb.StringValue, error)
}

func (e *echo) Echo(ctx context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
	sleep(ctx, e.latency)
	return wrapperspb.String(in.GetValue()), nil
}

var echoDesc = grpc.ServiceDesc{
	ServiceName: "lab.Echo",
	HandlerType: (*echoServer)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Echo",
		Handler: func(srv any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			in := new(wrapperspb.StringValue)
			if err := dec(in); err != nil {
				return nil, err
			}
			return srv.(echoServer).Echo(ctx, in)
		},
	}},
}
