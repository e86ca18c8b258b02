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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
)

// TestIntegrationGKENEG runs lbsim against a real kube-apiserver and a real
// HAProxy, with labapp processes on 127.0.0.2 and 127.0.0.3 as the pods.
// No kubelet or controller-manager runs there, so the test writes pod status
// and the EndpointSlice by hand, as they would. It needs
//
//	GR_APISERVER_DIR=/tmp/gr-apiserver-lab-parts hack/apiserver.sh start
//	LBSIM_KUBECONFIG=/tmp/gr-apiserver-lab-parts/kubeconfig go test ./lab/lbsim -run Integration
//
// and is skipped without LBSIM_KUBECONFIG.
func TestIntegrationGKENEG(t *testing.T) {
	kc := os.Getenv("LBSIM_KUBECONFIG")
	if kc == "" {
		t.Skip("LBSIM_KUBECONFIG not set (start hack/apiserver.sh; see the test's comment)")
	}
	haproxy, err := exec.LookPath("haproxy")
	if err != nil {
		t.Fatalf("haproxy not installed: %v", err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kc)
	if err != nil {
		t.Fatal(err)
	}
	cs := kubernetes.NewForConfigOrDie(cfg)
	dyn := dynamic.NewForConfigOrDie(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	ns := fmt.Sprintf("lbsim-%d", time.Now().UnixNano()%1e6)
	must(t, create(ctx, cs, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	defer cs.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{})

	// The "pods": labapp on two loopback addresses, same port.
	dir := t.TempDir()
	app := filepath.Join(dir, "labapp")
	if out, err := exec.Command("go", "build", "-o", app, "../labapp").CombinedOutput(); err != nil {
		t.Fatalf("build labapp: %v\n%s", err, out)
	}
	port := freePort(t)
	startApp(t, app, "pod-1", "127.0.0.2", port)
	startApp(t, app, "pod-2", "127.0.0.3", port)

	must(t, create(ctx, cs, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}, Ports: []corev1.ServicePort{
			{Name: "http", Port: 80, TargetPort: intstr.FromInt32(int32(port))}}},
	}))
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
	for i, name := range []string{"pod-1", "pod-2"} {
		mustPod(t, ctx, cs, ns, name, fmt.Sprintf("127.0.0.%d", i+2), gate)
	}

	listen := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	events := filepath.Join(dir, "events.jsonl")
	o, err := parseOptions([]string{"-kubeconfig", kc, "-platform", "gke-neg", "-namespace", ns, "-service", "web",
		"-port", "http", "-listen", listen, "-haproxy", haproxy, "-scale", "10", "-events", events, "-health-path", "/healthz"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- run(ctx, o) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("lbsim: %v", err)
		}
	}()
	time.Sleep(500 * time.Millisecond) // HAProxy up, caches synced

	// pod-1 ready in the slice.
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "web-1", Namespace: ns, Labels: map[string]string{discoveryv1.LabelServiceName: "web"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To(int32(port))}},
		Endpoints:   []discoveryv1.Endpoint{endpoint("pod-1", "127.0.0.2", true, false)},
	}
	t0 := time.Now()
	slice, err = cs.DiscoveryV1().EndpointSlices(ns).Create(ctx, slice, metav1.CreateOptions{})
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
	slice.Endpoints = append(slice.Endpoints, endpoint("pod-2", "127.0.0.3", true, false))
	slice, err = cs.DiscoveryV1().EndpointSlices(ns).Update(ctx, slice, metav1.UpdateOptions{})
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
	inflight := make(chan int, 4)
	for i := 0; i < 2; i++ { // one of them lands on pod-1
		go func() {
			resp, err := lb.Get("http://" + listen + "/sleep?seconds=1.5")
			if err != nil {
				inflight <- 0
				return
			}
			resp.Body.Close()
			inflight <- resp.StatusCode
		}()
	}
	time.Sleep(200 * time.Millisecond)
	slice.Endpoints[0] = endpoint("pod-1", "127.0.0.2", false, true)
	tTerm := time.Now()
	slice, err = cs.DiscoveryV1().EndpointSlices(ns).Update(ctx, slice, metav1.UpdateOptions{})
	must(t, err)
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
	// The in-flight request on pod-1 finishes within the drain (2 s); then
	// the target is removed (nothing in flight, before the drain timeout).
	for i := 0; i < 2; i++ {
		if code := <-inflight; code != 200 {
			t.Errorf("in-flight request during drain: %d", code)
		}
	}
	removed := waitEvent(t, events, "target-removed", "pod-1", 5*time.Second)
	within(t, "removed after draining", removed.Sub(draining), 0, 2100*time.Millisecond)
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

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.2:0")
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
