package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"

	"github.com/graceful-rollout/graceful-rollout/tools/lab/platform"
)

// TestIntegrationGKENEG runs lbsim against a real kube-apiserver and a real
// HAProxy, with two labapp processes as the pods, on this host's first
// non-loopback address (the API server refuses loopback endpoints), each on
// its own port and in its own EndpointSlice. No kubelet or
// controller-manager runs there, so the test writes pod status and the
// EndpointSlices by hand, as they would. It needs
//
//	GR_APISERVER_DIR=/tmp/gr-apiserver-lab-parts hack/apiserver.sh start
//	LBSIM_KUBECONFIG=/tmp/gr-apiserver-lab-parts/kubeconfig go test ./lab/lbsim -run Integration
//
// and is skipped without LBSIM_KUBECONFIG.
func TestIntegrationGKENEG(t *testing.T) {
	kc, haproxy, cfg, cs := integration(t)
	dyn := dynamic.NewForConfigOrDie(cfg)
	ctx, ns := testNamespace(t, cs, "lbsim")

	// The "pods": labapp on this host's address, one port each.
	app := buildLabapp(t)
	ip := hostIP(t)
	port1, port2 := freePort(t, ip), freePort(t, ip)
	startApp(t, app, "pod-1", ip, port1)
	startApp(t, app, "pod-2", ip, port2)

	// GCPBackendPolicy: connection draining 20 s (2 s at -scale 10).
	pol := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "networking.gke.io/v1", "kind": "GCPBackendPolicy",
		"metadata": map[string]any{"name": "web", "namespace": ns},
		"spec": map[string]any{
			"default":   map[string]any{"connectionDraining": map[string]any{"drainingTimeoutSec": int64(20)}},
			"targetRef": map[string]any{"group": "", "kind": "Service", "name": "web"},
		},
	}}
	if _, err := dyn.Resource(gcpBackendPolicy).Namespace(ns).Create(ctx, pol, metav1.CreateOptions{}); err != nil {
		t.Fatalf("GCPBackendPolicy (are the CRDs installed?): %v", err)
	}
	const gate = "cloud.google.com/load-balancer-neg-ready"
	for _, name := range []string{"pod-1", "pod-2"} {
		mustPod(t, ctx, cs, ns, name, ip, gate)
	}

	listen, events, stop := startLBSim(t, "-kubeconfig", kc, "-platform", "gke-neg", "-namespace", ns, "-service", "web",
		"-port", "http", "-haproxy", haproxy, "-scale", "10", "-health-path", "/healthz")
	defer stop()

	// pod-1 ready in its slice.
	newSlice := func(name string, port int, e discoveryv1.Endpoint) *discoveryv1.EndpointSlice {
		return &discoveryv1.EndpointSlice{
			ObjectMeta:  metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{discoveryv1.LabelServiceName: "web"}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To(int32(port))}},
			Endpoints:   []discoveryv1.Endpoint{e},
		}
	}
	t0 := time.Now()
	slice, err := cs.DiscoveryV1().EndpointSlices(ns).Create(ctx, newSlice("web-1", port1, endpoint("pod-1", ip, true, false)), metav1.CreateOptions{})
	must(t, err)

	lb := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	get := func() (int, string) {
		resp, err := lb.Get("http://" + listen + "/")
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.TrimSpace(string(b))
	}
	// Before the attach delay (0.5 s) and the health checks (2 x 0.5 s) the
	// LB has no healthy target: 503.
	if code, body := get(); code != 503 {
		t.Fatalf("before attach: %d %q, want 503", code, body)
	}
	added := waitEvent(t, events, "target-added", "pod-1", 5*time.Second)
	gateTrue := waitEvent(t, events, "gate-true", "pod-1", 5*time.Second)
	healthy := waitEvent(t, events, "target-healthy", "pod-1", 5*time.Second)
	within(t, "attach after the slice", added.Sub(t0), 400*time.Millisecond, 1500*time.Millisecond)
	// Story 1's race: the gate is True at attach, the LB serves only after
	// its health checks (rise 2 at 0.5 s).
	within(t, "gate True after attach", gateTrue.Sub(added), 0, 300*time.Millisecond)
	within(t, "healthy after attach", healthy.Sub(added), 500*time.Millisecond, 2500*time.Millisecond)
	if code, body := get(); code != 200 || body != "pod pod-1" {
		t.Fatalf("after healthy: %d %q", code, body)
	}
	p1, err := cs.CoreV1().Pods(ns).Get(ctx, "pod-1", metav1.GetOptions{})
	must(t, err)
	if !condTrue(p1, gate) {
		t.Fatalf("pod-1 conditions %+v: no %s=True", p1.Status.Conditions, gate)
	}

	// pod-2 joins; both serve.
	_, err = cs.DiscoveryV1().EndpointSlices(ns).Create(ctx, newSlice("web-2", port2, endpoint("pod-2", ip, true, false)), metav1.CreateOptions{})
	must(t, err)
	waitEvent(t, events, "target-healthy", "pod-2", 5*time.Second)
	seen := map[string]int{}
	for i := 0; i < 10; i++ {
		_, body := get()
		seen[body]++
	}
	if seen["pod pod-1"] == 0 || seen["pod pod-2"] == 0 {
		t.Fatalf("round robin over both: %v", seen)
	}

	// pod-1 terminates. The LB keeps sending to it for the detach delay
	// (10 s / 10), then drains it.
	slice.Endpoints[0] = endpoint("pod-1", ip, false, true)
	tTerm := time.Now()
	slice, err = cs.DiscoveryV1().EndpointSlices(ns).Update(ctx, slice, metav1.UpdateOptions{})
	must(t, err)
	// Two long requests during the detach delay: one lands on each pod
	// (round robin). pod-1's outlives the drain timeout (20 s / 10) and is
	// cut when the target is removed; pod-2's completes.
	inflight := make(chan int, 2)
	for i := 0; i < 2; i++ {
		go func() {
			c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
			resp, err := c.Get("http://" + listen + "/sleep?seconds=4")
			if err != nil {
				inflight <- 0
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			inflight <- resp.StatusCode
		}()
		time.Sleep(20 * time.Millisecond)
	}
	sentDuringDetach := map[string]int{}
	for time.Since(tTerm) < 700*time.Millisecond {
		_, body := get()
		sentDuringDetach[body]++
	}
	if sentDuringDetach["pod pod-1"] == 0 {
		t.Errorf("LB stopped sending to pod-1 before the detach delay: %v", sentDuringDetach)
	}
	draining := waitEvent(t, events, "target-draining", "pod-1", 5*time.Second)
	within(t, "detach after terminating", draining.Sub(tTerm), 800*time.Millisecond, 1600*time.Millisecond)
	for i := 0; i < 6; i++ {
		if _, body := get(); body != "pod pod-2" {
			t.Fatalf("after draining, request went to %q", body)
		}
	}
	codes := map[int]int{}
	for i := 0; i < 2; i++ {
		codes[<-inflight]++
	}
	if codes[200] != 1 || len(codes) != 2 {
		t.Errorf("long requests: %v, want one 200 (pod-2) and one cut at the drain timeout (pod-1)", codes)
	}
	removed := waitEvent(t, events, "target-removed", "pod-1", 5*time.Second)
	within(t, "removed at the drain timeout", removed.Sub(draining), 1900*time.Millisecond, 2600*time.Millisecond)
	if b, _ := os.ReadFile(events); !strings.Contains(string(b), `"target-removed","pod":"pod-1","ip":"`+ip+`","port":`+fmt.Sprint(port1)+`,"detail":"drain timeout"`) {
		t.Errorf("removal of pod-1 not by the drain timeout:\n%s", b)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func create(ctx context.Context, cs kubernetes.Interface, obj any) error {
	var err error
	switch o := obj.(type) {
	case *corev1.Namespace:
		_, err = cs.CoreV1().Namespaces().Create(ctx, o, metav1.CreateOptions{})
	case *corev1.Service:
		_, err = cs.CoreV1().Services(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	}
	return err
}

// mustPod creates a pod with the NEG readiness gate (as GKE's webhook adds
// it) and writes the status a kubelet would: IP, containers ready.
func mustPod(t *testing.T, ctx context.Context, cs kubernetes.Interface, ns, name, ip, gate string) {
	t.Helper()
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{
			Containers:     []corev1.Container{{Name: "app", Image: "localhost/labapp:lab"}},
			ReadinessGates: []corev1.PodReadinessGate{{ConditionType: corev1.PodConditionType(gate)}},
		},
	}
	p, err := cs.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{})
	must(t, err)
	p.Status.Phase = corev1.PodRunning
	p.Status.PodIP = ip
	p.Status.PodIPs = []corev1.PodIP{{IP: ip}}
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.ContainersReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now()}}
	_, err = cs.CoreV1().Pods(ns).UpdateStatus(ctx, p, metav1.UpdateOptions{})
	must(t, err)
}

func endpoint(pod, ip string, ready, terminating bool) discoveryv1.Endpoint {
	return discoveryv1.Endpoint{
		Addresses:  []string{ip},
		Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(ready), Serving: ptr.To(ready || terminating), Terminating: ptr.To(terminating)},
		TargetRef:  &corev1.ObjectReference{Kind: "Pod", Name: pod},
	}
}

// mustCondTrue: pod's condition typ is True in the API server.
func mustCondTrue(t *testing.T, ctx context.Context, cs kubernetes.Interface, ns, pod, typ string) {
	t.Helper()
	p, err := cs.CoreV1().Pods(ns).Get(ctx, pod, metav1.GetOptions{})
	must(t, err)
	if !condTrue(p, typ) {
		t.Fatalf("%s conditions %+v: no %s=True", pod, p.Status.Conditions, typ)
	}
}

func condTrue(p *corev1.Pod, typ string) bool {
	for _, c := range p.Status.Conditions {
		if string(c.Type) == typ {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func startApp(t *testing.T, bin, pod, ip string, port int) {
	t.Helper()
	cmd := exec.Command(bin, "-http", fmt.Sprintf("%s:%d", ip, port), "-grpc", "0")
	cmd.Env = append(os.Environ(), "POD_NAME="+pod)
	out, _ := cmd.StdoutPipe()
	must(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if strings.Contains(sc.Text(), `"ready"`) {
			go io.Copy(io.Discard, out)
			return
		}
	}
	t.Fatalf("%s did not start", pod)
}

// hostIP is this host's first non-loopback IPv4 address.
func hostIP(t *testing.T) string {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	must(t, err)
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			return n.IP.String()
		}
	}
	t.Skip("no non-loopback IPv4 address for the pods")
	return ""
}

func freePort(t *testing.T, ip string) int {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	must(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitEvent waits for an event in the JSONL file and returns its time.
func waitEvent(t *testing.T, file, event, pod string, within time.Duration) time.Time {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(file)
		for _, line := range strings.Split(string(b), "\n") {
			var e Event
			if json.Unmarshal([]byte(line), &e) == nil && e.Event == event && e.Pod == pod {
				at, err := time.Parse(time.RFC3339Nano, e.T)
				must(t, err)
				return at
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	b, _ := os.ReadFile(file)
	t.Fatalf("no %s of %s within %s; events:\n%s", event, pod, within, b)
	return time.Time{}
}

func within(t *testing.T, what string, d, lo, hi time.Duration) {
	t.Helper()
	if d < lo || d > hi {
		t.Errorf("%s: %s, want between %s and %s", what, d, lo, hi)
	}
}

// TestIntegrationAWSALB: an ALB IP target whose pod waits only for its
// target-health gate is registered (else the gate could never turn True),
// the gate turns True only once HAProxy's health checks pass, the Ingress's
// target-group attributes and health-check annotations are read, and a
// terminating target keeps receiving requests for the deregistration
// propagation delay, then is removed at once when nothing is in flight.
func TestIntegrationAWSALB(t *testing.T) {
	kc, haproxy, _, cs := integration(t)
	var err error
	ctx, ns := testNamespace(t, cs, "lbsim-aws")

	app := buildLabapp(t)
	ip := hostIP(t)
	port := freePort(t, ip)
	startApp(t, app, "pod-1", ip, port)
	pathType := networkingv1.PathTypePrefix
	_, err = cs.NetworkingV1().Ingresses(ns).Create(ctx, &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns, Annotations: map[string]string{
			"alb.ingress.kubernetes.io/target-group-attributes":      "deregistration_delay.timeout_seconds=10",
			"alb.ingress.kubernetes.io/healthcheck-path":             "/healthz",
			"alb.ingress.kubernetes.io/healthcheck-interval-seconds": "5",
		}},
		Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
			Paths: []networkingv1.HTTPIngressPath{{Path: "/", PathType: &pathType, Backend: networkingv1.IngressBackend{
				Service: &networkingv1.IngressServiceBackend{Name: "web", Port: networkingv1.ServiceBackendPort{Name: "http"}}}}}}}}}},
	}, metav1.CreateOptions{})
	must(t, err)
	const gate = "target-health.elbv2.k8s.aws/web-tgb"
	mustPod(t, ctx, cs, ns, "pod-1", ip, gate)

	listen, events, stop := startLBSim(t, "-kubeconfig", kc, "-platform", "aws-alb", "-namespace", ns, "-service", "web",
		"-haproxy", haproxy, "-scale", "10", "-tgb", "web-tgb")
	defer stop()
	// Not Ready in the slice: only the target-health gate is missing.
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "web-1", Namespace: ns, Labels: map[string]string{discoveryv1.LabelServiceName: "web"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To(int32(port))}},
		Endpoints:   []discoveryv1.Endpoint{endpoint("pod-1", ip, false, false)},
	}
	slice, err = cs.DiscoveryV1().EndpointSlices(ns).Create(ctx, slice, metav1.CreateOptions{})
	must(t, err)
	added := waitEvent(t, events, "target-added", "pod-1", 5*time.Second)
	healthy := waitEvent(t, events, "target-healthy", "pod-1", 5*time.Second)
	gateTrue := waitEvent(t, events, "gate-true", "pod-1", 5*time.Second)
	// Health checks every 0.5 s (the Ingress's 5 s / 10), rise 2.
	within(t, "healthy after registration", healthy.Sub(added), 500*time.Millisecond, 2500*time.Millisecond)
	within(t, "gate after healthy", gateTrue.Sub(healthy), 0, 300*time.Millisecond)
	mustCondTrue(t, ctx, cs, ns, "pod-1", gate)
	lb := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := lb.Get("http://" + listen + "/")
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("through the ALB: %d", resp.StatusCode)
	}

	// Terminating: the ALB still sends for 3 s (30 s / 10), then drains;
	// nothing in flight, so the target is removed before the 1 s
	// deregistration delay of the Ingress.
	slice.Endpoints[0] = endpoint("pod-1", ip, false, true)
	tTerm := time.Now()
	_, err = cs.DiscoveryV1().EndpointSlices(ns).Update(ctx, slice, metav1.UpdateOptions{})
	must(t, err)
	time.Sleep(2 * time.Second)
	resp, err = lb.Get("http://" + listen + "/")
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("during deregistration propagation: %d, want still served", resp.StatusCode)
	}
	draining := waitEvent(t, events, "target-draining", "pod-1", 5*time.Second)
	within(t, "deregistration propagation", draining.Sub(tTerm), 2800*time.Millisecond, 3600*time.Millisecond)
	removed := waitEvent(t, events, "target-removed", "pod-1", 5*time.Second)
	within(t, "removed with nothing in flight", removed.Sub(draining), 0, 500*time.Millisecond)
	resp, err = lb.Get("http://" + listen + "/")
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Errorf("after removal: %d, want 503 (no target)", resp.StatusCode)
	}
}

// integration is what the integration tests need: the API server's
// kubeconfig (LBSIM_KUBECONFIG; skipped without it), HAProxy, a client.
func integration(t *testing.T) (kubeconfig, haproxy string, cfg *rest.Config, cs kubernetes.Interface) {
	t.Helper()
	kubeconfig = os.Getenv("LBSIM_KUBECONFIG")
	if kubeconfig == "" {
		t.Skip("LBSIM_KUBECONFIG not set (start hack/apiserver.sh; see TestIntegrationGKENEG's comment)")
	}
	haproxy, err := exec.LookPath("haproxy")
	if err != nil {
		t.Fatalf("haproxy not installed: %v", err)
	}
	cfg, err = clientcmd.BuildConfigFromFlags("", kubeconfig)
	must(t, err)
	return kubeconfig, haproxy, cfg, kubernetes.NewForConfigOrDie(cfg)
}

// testNamespace creates a namespace named prefix-N for one test, with the
// Service the tests' load balancer routes to (web: port 80 to the pods'
// port "http", pods labelled app=web), and deletes it when the test ends;
// ctx is cancelled then too.
func testNamespace(t *testing.T, cs kubernetes.Interface, prefix string) (context.Context, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ns := fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano()%1e6)
	must(t, create(ctx, cs, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	t.Cleanup(func() {
		cancel()
		cs.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{})
	})
	must(t, create(ctx, cs, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}, Ports: []corev1.ServicePort{
			{Name: "http", Port: 80, TargetPort: intstr.FromString("http")}}},
	}))
	return ctx, ns
}

// startLBSim runs lbsim with args plus its own -listen and -events until
// the returned stop is called (which also reports lbsim's error), once its
// HAProxy accepts connections.
func startLBSim(t *testing.T, args ...string) (listen, events string, stop func()) {
	t.Helper()
	listen = fmt.Sprintf("127.0.0.1:%d", freePort(t, "127.0.0.1"))
	events = filepath.Join(t.TempDir(), "events.jsonl")
	o, err := parseOptions(append(args, "-listen", listen, "-events", events))
	must(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, o) }()
	stop = func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("lbsim: %v", err)
		}
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", listen); err == nil {
			c.Close()
			return listen, events, stop
		}
		if time.Now().After(deadline) {
			stop()
			t.Fatal("lbsim's HAProxy not listening after 20s")
		}
	}
}

// buildLabapp builds the lab app into a temporary folder: the "pods" of the
// integration tests run it on this host's address.
func buildLabapp(t *testing.T) string {
	t.Helper()
	app := filepath.Join(t.TempDir(), "labapp")
	if out, err := exec.Command("go", "build", "-o", app, "../labapp").CombinedOutput(); err != nil {
		t.Fatalf("build labapp: %v\n%s", err, out)
	}
	return app
}

// TestIntegrationPlatforms: AGIC, NLB (HAProxy in TCP mode) and
// ingress-nginx, each against a real kube-apiserver and HAProxy: the target
// is attached after the platform's attach delay, serves once its health
// checks pass (at once without them), gets its gate when the platform has
// one, keeps receiving requests during the detach delay after it turns
// terminating, and is removed at once when nothing is in flight. Every
// expected time comes from the platform table (with the -set overrides
// below), divided by the scale.
func TestIntegrationPlatforms(t *testing.T) {
	kc, haproxy, _, cs := integration(t)
	app := buildLabapp(t)
	ip := hostIP(t)
	const scale = 10
	for _, tc := range []struct {
		platform string
		sets     []string // -set overrides: the NLB's minutes would make a slow test
	}{
		{"agic", nil},
		{"aws-nlb", []string{"attach=20", "detach=20", "health-interval=5"}},
		{"ingress-nginx", nil},
	} {
		t.Run(tc.platform, func(t *testing.T) {
			p, err := platform.Get(tc.platform)
			must(t, err)
			for _, s := range tc.sets {
				must(t, p.Set(s, "test"))
			}
			s := p.Scaled(scale)
			ctx, ns := testNamespace(t, cs, "lbsim-"+tc.platform)
			port := freePort(t, ip)
			startApp(t, app, "pod-1", ip, port)
			gate := ""
			if p.Gate != "" {
				gate = p.Gate + "web-tgb"
			}
			if gate != "" {
				mustPod(t, ctx, cs, ns, "pod-1", ip, gate)
			}
			args := []string{"-kubeconfig", kc, "-platform", tc.platform, "-namespace", ns, "-service", "web",
				"-haproxy", haproxy, "-scale", fmt.Sprint(scale), "-tgb", "web-tgb"}
			for _, x := range tc.sets {
				args = append(args, "-set", x)
			}
			listen, events, stop := startLBSim(t, args...)
			defer stop()
			// Ready in the slice unless the platform's own gate is missing.
			slice := &discoveryv1.EndpointSlice{
				ObjectMeta:  metav1.ObjectMeta{Name: "web-1", Namespace: ns, Labels: map[string]string{discoveryv1.LabelServiceName: "web"}},
				AddressType: discoveryv1.AddressTypeIPv4,
				Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To(int32(port))}},
				Endpoints:   []discoveryv1.Endpoint{endpoint("pod-1", ip, gate == "", false)},
			}
			tSlice := time.Now()
			slice, err = cs.DiscoveryV1().EndpointSlices(ns).Create(ctx, slice, metav1.CreateOptions{})
			must(t, err)
			checks := s.HealthInterval*time.Duration(max(s.HealthyThreshold, 1)) + s.HealthTimeout
			added := waitEvent(t, events, "target-added", "pod-1", s.Attach+5*time.Second)
			healthy := waitEvent(t, events, "target-healthy", "pod-1", checks+5*time.Second)
			within(t, "attach", added.Sub(tSlice), s.Attach-100*time.Millisecond, s.Attach+time.Second)
			within(t, "healthy after attach", healthy.Sub(added), 0, checks+time.Second)
			if gate != "" {
				gateTrue := waitEvent(t, events, "gate-true", "pod-1", 5*time.Second)
				within(t, "gate after healthy", gateTrue.Sub(healthy), 0, 500*time.Millisecond)
				mustCondTrue(t, ctx, cs, ns, "pod-1", gate)
			}
			lb := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
			get := func() (int, error) {
				resp, err := lb.Get("http://" + listen + "/")
				if err != nil {
					return 0, err
				}
				resp.Body.Close()
				return resp.StatusCode, nil
			}
			if code, err := get(); err != nil || code != 200 {
				t.Fatalf("through the LB: %d %v", code, err)
			}

			slice.Endpoints[0] = endpoint("pod-1", ip, false, true)
			tTerm := time.Now()
			_, err = cs.DiscoveryV1().EndpointSlices(ns).Update(ctx, slice, metav1.UpdateOptions{})
			must(t, err)
			if s.Detach >= time.Second {
				time.Sleep(s.Detach / 2)
				if code, err := get(); err != nil || code != 200 {
					t.Errorf("during the detach delay: %d %v, want still served", code, err)
				}
			}
			draining := waitEvent(t, events, "target-draining", "pod-1", s.Detach+5*time.Second)
			within(t, "detach", draining.Sub(tTerm), s.Detach-100*time.Millisecond, s.Detach+time.Second)
			removed := waitEvent(t, events, "target-removed", "pod-1", 5*time.Second)
			within(t, "removed with nothing in flight", removed.Sub(draining), 0, 700*time.Millisecond)
			code, err := get()
			if p.Mode == "http" && (err != nil || code != 503) {
				t.Errorf("after removal: %d %v, want 503 (no target)", code, err)
			}
			if p.Mode == "tcp" && err == nil {
				t.Errorf("after removal: %d through an L4 LB with no target, want the connection to fail", code)
			}
		})
	}
}
