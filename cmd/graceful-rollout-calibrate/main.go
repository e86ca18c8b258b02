// Command graceful-rollout-calibrate measures, on a live cluster and through
// one entry the user names, how long its load balancer takes to start and to
// stop sending to a pod, and writes a graceful-rollout functionConfig
// overlay with the measured figures (p95 plus a stated margin) for the path.
//
//	graceful-rollout-calibrate --namespace calibrate-probe --entry ingress:alb --path eks-alb
//
// It creates the namespace (and refuses one that exists), deploys a small
// probe app there behind a Service, makes the entry (an Ingress, an
// HTTPRoute on a Gateway, a LoadBalancer Service; or uses an address you
// give, or the Service's ClusterIP), sends requests through the entry's
// address, and then, per sample, deletes the oldest probe pod: the
// replacement's Ready -> first request it serves is one attach sample (and
// whether its readiness gates were True before it served), the deleted
// pod's terminating -> last request it received is one detach sample. It
// deletes everything it created at the end, also on Ctrl-C or SIGTERM.
// The function binary itself never talks to a cluster; this one does.
//
// Its default --probe-image is the probe image of its own release,
// ghcr.io/graceful-rollout/calibrate-probe:v<version> (hack/release.sh
// builds it from tools/lab/labapp); --probe-image names a mirror.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// version is the release's: hack/release.sh links it in with
// -ldflags "-X main.version=X.Y.Z"; a build without it has the VERSION
// file's value written here (a test keeps the two equal).
var version = "0.1.0"

// probeImage is the probe image of this version's release.
func probeImage() string { return "ghcr.io/graceful-rollout/calibrate-probe:v" + version }

type options struct {
	kubeconfig, namespace, entry, address, host, path, probeImage, out, plot, cluster string
	gates                                                                             multi
	annotations                                                                       multi
	samples, replicas                                                                 int
	rate                                                                              float64
	maxDetach, quiet, timeout                                                         time.Duration
	marginFraction, marginMin                                                         float64
	version                                                                           bool
}

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

// Entry kinds the command can make or use.
const (
	entryInCluster = "in-cluster"
	entryIngress   = "ingress"
	entryGateway   = "gateway"
	entryServiceLB = "service-lb"
	entryAddress   = "address"
)

// entry is a parsed --entry.
type entry struct {
	Kind string
	// Class: the Ingress class or the LoadBalancer class; Gateway:
	// namespace/name[/section]; URL for address.
	Arg string
}

func parseEntry(s string) (entry, error) {
	kind, arg, _ := strings.Cut(s, ":")
	e := entry{Kind: kind, Arg: arg}
	switch kind {
	case entryInCluster:
		if arg != "" {
			return e, fmt.Errorf("--entry in-cluster takes no argument")
		}
	case entryIngress:
		if arg == "" {
			return e, fmt.Errorf("--entry ingress:CLASS needs the Ingress class")
		}
	case entryGateway:
		parts := strings.Split(arg, "/")
		if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
			return e, fmt.Errorf("--entry gateway:NAMESPACE/NAME[/SECTION] names the Gateway the route attaches to")
		}
	case entryServiceLB:
	case entryAddress:
		if !strings.HasPrefix(arg, "http://") && !strings.HasPrefix(arg, "https://") {
			return e, fmt.Errorf("--entry address:URL needs an http:// or https:// URL of an entry that routes to Service %s", probeName)
		}
	default:
		return e, fmt.Errorf("--entry %q: want in-cluster, ingress:CLASS, gateway:NAMESPACE/NAME[/SECTION], service-lb[:CLASS] or address:URL", s)
	}
	return e, nil
}

func parseOptions(args []string, stderr io.Writer) (options, entry, error) {
	var o options
	fs := flag.NewFlagSet("graceful-rollout-calibrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := os.Getenv("KUBECONFIG")
	if def == "" {
		if home, err := os.UserHomeDir(); err == nil {
			def = filepath.Join(home, ".kube", "config")
		}
	}
	fs.StringVar(&o.kubeconfig, "kubeconfig", def, "kubeconfig file")
	fs.StringVar(&o.namespace, "namespace", "", "namespace to create for the probe (required; must not exist)")
	fs.StringVar(&o.entry, "entry", "", "how traffic reaches the probe (required): in-cluster, ingress:CLASS, gateway:NAMESPACE/NAME[/SECTION], service-lb[:CLASS] or address:URL")
	fs.StringVar(&o.address, "address", "", "send requests here instead of the address the entry reports (e.g. a DNS name in front of it)")
	fs.StringVar(&o.host, "host", "", "Host header (and route hostname) of the requests")
	fs.StringVar(&o.path, "path", "", "the path the figures are for: a graceful-rollout profile name (gke-neg, eks-alb, aks-agic, ingress-nginx, ...; default: generic for in-cluster, else required)")
	fs.StringVar(&o.probeImage, "probe-image", probeImage(), "the probe app's image (this release's calibrate-probe image, or your mirror of it)")
	fs.Var(&o.gates, "readiness-gate", "add this readiness gate to the probe pods (when the platform's webhook does not inject it; repeatable)")
	fs.Var(&o.annotations, "entry-annotation", "KEY=VALUE annotation on the Ingress or Service the command makes (e.g. alb.ingress.kubernetes.io/target-type=ip; repeatable)")
	fs.IntVar(&o.samples, "samples", 20, "pod replacements to measure (20 gives a p95 from the two largest)")
	fs.IntVar(&o.replicas, "replicas", 3, "probe pods serving at a time")
	fs.Float64Var(&o.rate, "rate", 20, "requests per second through the entry")
	fs.DurationVar(&o.maxDetach, "max-detach", 180*time.Second, "a deleted probe pod keeps serving this long (its preStop): the longest detach it can measure")
	fs.DurationVar(&o.quiet, "quiet", 10*time.Second, "a deleted pod that received no request for this long is taken as detached")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "give up on a step (probe up, entry address, a new pod serving) after this")
	fs.Float64Var(&o.marginFraction, "margin", 0.25, "the margin the overlay states, as a fraction of the larger p95")
	fs.Float64Var(&o.marginMin, "margin-min", 2, "the smallest margin the overlay states, in seconds")
	fs.StringVar(&o.out, "out", "graceful-rollout-measured.yaml", "write the functionConfig overlay here")
	fs.StringVar(&o.plot, "plot", "", "also write the distributions' text plot here")
	fs.StringVar(&o.cluster, "cluster", "", "the cluster's name in the overlay (default: the kubeconfig's current context)")
	fs.BoolVar(&o.version, "version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		return o, entry{}, err
	}
	if fs.NArg() > 0 {
		return o, entry{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.version {
		return o, entry{}, nil
	}
	if o.namespace == "" {
		return o, entry{}, errors.New("--namespace is required: the command creates it and deletes it at the end (it refuses one that exists)")
	}
	if o.entry == "" {
		return o, entry{}, errors.New("--entry is required: in-cluster, ingress:CLASS, gateway:NAMESPACE/NAME[/SECTION], service-lb[:CLASS] or address:URL")
	}
	e, err := parseEntry(o.entry)
	if err != nil {
		return o, e, err
	}
	if o.path == "" && e.Kind == entryInCluster {
		o.path = "generic"
	}
	if o.path == "" {
		return o, e, errors.New("--path is required for a load-balancer entry: the profile name whose figures you measure (gke-neg, eks-alb, aks-agic, ingress-nginx, ...)")
	}
	switch {
	case o.samples < 2:
		return o, e, fmt.Errorf("--samples %d: at least 2", o.samples)
	case o.replicas < 2:
		return o, e, fmt.Errorf("--replicas %d: at least 2 (one keeps serving while another is replaced)", o.replicas)
	case o.rate <= 0 || o.rate > 1000:
		return o, e, fmt.Errorf("--rate %g: between 0 and 1000", o.rate)
	case o.maxDetach < time.Second || o.quiet < 100*time.Millisecond || o.timeout < time.Second:
		return o, e, errors.New("--max-detach, --quiet and --timeout must be at least 1s, 100ms and 1s")
	case o.marginFraction < 0 || o.marginMin < 0:
		return o, e, errors.New("--margin and --margin-min must be >= 0")
	}
	return o, e, nil
}

func main() {
	o, e, err := parseOptions(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "graceful-rollout-calibrate:", err)
		os.Exit(2)
	}
	if o.version {
		fmt.Println("graceful-rollout-calibrate " + version)
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, e, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "graceful-rollout-calibrate:", err)
		os.Exit(1)
	}
}
