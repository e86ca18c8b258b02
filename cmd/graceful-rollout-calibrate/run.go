package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	netv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

const (
	probeName = "calibrate-probe"
	probePort = 8080
	managedBy = "graceful-rollout-calibrate"
)

var (
	gvrRoute   = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "httproutes"}
	gvrGateway = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gateways"}
)

// podInfo is what the command saw of one probe pod, in its own clock.
type podInfo struct {
	name                   string
	created, ready, gateOK time.Time
	gates                  int
	first, last            time.Time // first and last request it served (send time)
}

// tracker records pods (from a watch) and requests (from the load).
type tracker struct {
	mu     sync.Mutex
	pods   map[string]*podInfo
	ok     int
	failed int
}

func (t *tracker) pod(name string) *podInfo {
	p := t.pods[name]
	if p == nil {
		p = &podInfo{name: name}
		t.pods[name] = p
	}
	return p
}

func (t *tracker) observe(pod *corev1.Pod, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.pod(pod.Name)
	if p.created.IsZero() {
		p.created = now
	}
	p.gates = len(pod.Spec.ReadinessGates)
	conds := map[corev1.PodConditionType]corev1.ConditionStatus{}
	for _, c := range pod.Status.Conditions {
		conds[c.Type] = c.Status
	}
	if p.ready.IsZero() && conds[corev1.PodReady] == corev1.ConditionTrue {
		p.ready = now
	}
	if p.gates > 0 && p.gateOK.IsZero() {
		all := true
		for _, g := range pod.Spec.ReadinessGates {
			all = all && conds[g.ConditionType] == corev1.ConditionTrue
		}
		if all {
			p.gateOK = now
		}
	}
}

func (t *tracker) served(name string, sent time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ok++
	p := t.pod(name)
	if p.first.IsZero() || sent.Before(p.first) {
		p.first = sent
	}
	if sent.After(p.last) {
		p.last = sent
	}
}

func (t *tracker) snapshot(name string) podInfo {
	t.mu.Lock()
	defer t.mu.Unlock()
	if p := t.pods[name]; p != nil {
		return *p
	}
	return podInfo{}
}

type cluster struct {
	cs  kubernetes.Interface
	dyn dynamic.Interface
	ns  string
}

func run(ctx context.Context, o options, e entry, stdout, stderr io.Writer) error {
	loading := &clientcmd.ClientConfigLoadingRules{ExplicitPath: o.kubeconfig}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(loading, &clientcmd.ConfigOverrides{})
	cfg, err := cc.ClientConfig()
	if err != nil {
		return fmt.Errorf("kubeconfig %q: %w", o.kubeconfig, err)
	}
	if o.cluster == "" {
		raw, _ := cc.RawConfig()
		o.cluster = raw.CurrentContext
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	c := &cluster{cs: cs, dyn: dyn, ns: o.namespace}
	if _, err := cs.CoreV1().Namespaces().Get(ctx, o.namespace, metav1.GetOptions{}); err == nil {
		return fmt.Errorf("namespace %s exists: name one the command may create and delete", o.namespace)
	} else if !apierrors.IsNotFound(err) {
		return fmt.Errorf("namespace %s: %w", o.namespace, err)
	}
	logf := func(format string, a ...any) { fmt.Fprintf(stderr, "calibrate: "+format+"\n", a...) }
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name: o.namespace, Labels: map[string]string{"app.kubernetes.io/managed-by": managedBy}}}, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create namespace %s: %w", o.namespace, err)
	}
	logf("created namespace %s", o.namespace)
	defer c.cleanup(logf)

	if err := c.deploy(ctx, o, e); err != nil {
		return err
	}
	tr := &tracker{pods: map[string]*podInfo{}}
	go c.watchPods(ctx, tr, logf)
	addr, err := c.address(ctx, o, e, logf)
	if err != nil {
		return err
	}
	logf("sending %g requests/s to %s", o.rate, addr)
	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	go load(loadCtx, addr, o.host, o.rate, tr)

	// Every probe pod serves before the first sample.
	if err := waitFor(ctx, o.timeout, func() bool {
		pods, err := c.pods(ctx)
		if err != nil || len(pods) < o.replicas {
			return false
		}
		for _, p := range pods {
			if tr.snapshot(p.Name).first.IsZero() {
				return false
			}
		}
		return true
	}); err != nil {
		return fmt.Errorf("the probe pods did not all serve through %s within %s: %w (is the entry routing to Service %s/%s port 80?)", addr, o.timeout, err, o.namespace, probeName)
	}
	var samples []sample
	for i := 0; i < o.samples; i++ {
		s, err := c.sampleOnce(ctx, o, tr)
		if err != nil {
			return err
		}
		samples = append(samples, s)
		a := "never"
		if s.Attach >= 0 {
			a = fmt.Sprintf("%.1f s", s.Attach)
		}
		fmt.Fprintf(stderr, "\rcalibrate: sample %d/%d: attach %s, detach %.1f s   ", i+1, o.samples, a, s.Detach)
	}
	fmt.Fprintln(stderr)
	stopLoad()
	sum := summarize(samples, o.marginFraction, o.marginMin)
	tr.mu.Lock()
	fmt.Fprintf(stdout, "requests through %s: %d served, %d failed\n", addr, tr.ok, tr.failed)
	tr.mu.Unlock()
	fmt.Fprint(stdout, table(samples, sum))
	fmt.Fprint(stdout, plot(sum))
	if o.plot != "" {
		if err := os.WriteFile(o.plot, []byte(plot(sum)), 0o644); err != nil {
			return err
		}
	}
	if err := os.WriteFile(o.out, []byte(overlay(o.path, o.cluster, time.Now(), sum)), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "overlay for path %s written to %s\n", o.path, o.out)
	return nil
}

func (c *cluster) deploy(ctx context.Context, o options, e entry) error {
	labels := map[string]string{"app": probeName, "app.kubernetes.io/managed-by": managedBy}
	var gates []corev1.PodReadinessGate
	for _, g := range o.gates {
		gates = append(gates, corev1.PodReadinessGate{ConditionType: corev1.PodConditionType(g)})
	}
	replicas := int32(o.replicas)
	grace := int64(o.maxDetach.Seconds()) + 10
	zero, one := intstr.FromInt32(0), intstr.FromInt32(1)
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: probeName, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": probeName}},
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &one, MaxUnavailable: &zero}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					TerminationGracePeriodSeconds: &grace,
					ReadinessGates:                gates,
					Containers: []corev1.Container{{
						Name: "probe", Image: o.probeImage, ImagePullPolicy: corev1.PullIfNotPresent,
						Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: probePort}},
						Env: []corev1.EnvVar{
							{Name: "LAB_HTTP", Value: fmt.Sprintf(":%d", probePort)},
							{Name: "LAB_GRPC", Value: "0"},
							{Name: "LAB_ON_SIGTERM", Value: "exit"},
							{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
						},
						ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt32(probePort)}},
							PeriodSeconds: 1, FailureThreshold: 1},
						// Keep serving while terminating, so the last request the
						// LB sends is seen (an httpGet sleep: any Kubernetes).
						Lifecycle: &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{HTTPGet: &corev1.HTTPGetAction{
							Path: fmt.Sprintf("/sleep?seconds=%d", int(o.maxDetach.Seconds())), Port: intstr.FromInt32(probePort)}}},
						SecurityContext: &corev1.SecurityContext{RunAsNonRoot: ptr(true), RunAsUser: ptr(int64(65532)),
							AllowPrivilegeEscalation: ptr(false), ReadOnlyRootFilesystem: ptr(true),
							Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
					}},
				},
			},
		},
	}
	if _, err := c.cs.AppsV1().Deployments(c.ns).Create(ctx, d, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create Deployment %s: %w", probeName, err)
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: probeName, Labels: labels},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": probeName},
			Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(probePort)}}},
	}
	if e.Kind == entryServiceLB {
		svc.Spec.Type = corev1.ServiceTypeLoadBalancer
		if e.Arg != "" {
			svc.Spec.LoadBalancerClass = &e.Arg
		}
		svc.Annotations = annotations(o)
	}
	if _, err := c.cs.CoreV1().Services(c.ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create Service %s: %w", probeName, err)
	}
	switch e.Kind {
	case entryIngress:
		prefix := netv1.PathTypePrefix
		ing := &netv1.Ingress{
			ObjectMeta: metav1.ObjectMeta{Name: probeName, Labels: labels, Annotations: annotations(o)},
			Spec: netv1.IngressSpec{IngressClassName: &e.Arg, Rules: []netv1.IngressRule{{Host: o.host,
				IngressRuleValue: netv1.IngressRuleValue{HTTP: &netv1.HTTPIngressRuleValue{Paths: []netv1.HTTPIngressPath{{
					Path: "/", PathType: &prefix, Backend: netv1.IngressBackend{Service: &netv1.IngressServiceBackend{
						Name: probeName, Port: netv1.ServiceBackendPort{Number: 80}}}}}}}}}},
		}
		if _, err := c.cs.NetworkingV1().Ingresses(c.ns).Create(ctx, ing, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("create Ingress %s: %w", probeName, err)
		}
	case entryGateway:
		parts := strings.Split(e.Arg, "/")
		parent := map[string]any{"namespace": parts[0], "name": parts[1]}
		if len(parts) == 3 {
			parent["sectionName"] = parts[2]
		}
		spec := map[string]any{"parentRefs": []any{parent},
			"rules": []any{map[string]any{"backendRefs": []any{map[string]any{"name": probeName, "port": int64(80)}}}}}
		if o.host != "" {
			spec["hostnames"] = []any{o.host}
		}
		route := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
			"metadata": map[string]any{"name": probeName, "labels": toAny(labels)}, "spec": spec}}
		if _, err := c.dyn.Resource(gvrRoute).Namespace(c.ns).Create(ctx, route, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("create HTTPRoute %s: %w", probeName, err)
		}
	}
	return nil
}

func annotations(o options) map[string]string {
	if len(o.annotations) == 0 {
		return nil
	}
	m := map[string]string{}
	for _, kv := range o.annotations {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

func toAny(m map[string]string) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// address is where requests go: --address, the entry's URL, the Service's
// ClusterIP, or the address the Ingress, Gateway or Service reports.
func (c *cluster) address(ctx context.Context, o options, e entry, logf func(string, ...any)) (string, error) {
	if o.address != "" {
		return o.address, nil
	}
	if e.Kind == entryAddress {
		return e.Arg, nil
	}
	var got string
	err := waitFor(ctx, o.timeout, func() bool {
		switch e.Kind {
		case entryInCluster:
			s, err := c.cs.CoreV1().Services(c.ns).Get(ctx, probeName, metav1.GetOptions{})
			if err == nil && s.Spec.ClusterIP != "" {
				got = s.Spec.ClusterIP
			}
		case entryServiceLB:
			s, err := c.cs.CoreV1().Services(c.ns).Get(ctx, probeName, metav1.GetOptions{})
			if err == nil {
				got = lbAddress(s.Status.LoadBalancer.Ingress)
			}
		case entryIngress:
			i, err := c.cs.NetworkingV1().Ingresses(c.ns).Get(ctx, probeName, metav1.GetOptions{})
			if err == nil {
				for _, x := range i.Status.LoadBalancer.Ingress {
					got = firstNonEmpty(x.Hostname, x.IP)
				}
			}
		case entryGateway:
			parts := strings.Split(e.Arg, "/")
			g, err := c.dyn.Resource(gvrGateway).Namespace(parts[0]).Get(ctx, parts[1], metav1.GetOptions{})
			if err == nil {
				addrs, _, _ := unstructured.NestedSlice(g.Object, "status", "addresses")
				for _, a := range addrs {
					if m, ok := a.(map[string]any); ok {
						if v, ok := m["value"].(string); ok && got == "" {
							got = v
						}
					}
				}
			}
		}
		return got != ""
	})
	if err != nil {
		return "", fmt.Errorf("the entry reported no address within %s (give one with --address): %w", o.timeout, err)
	}
	logf("entry address %s", got)
	return "http://" + got + "/", nil
}

func lbAddress(xs []corev1.LoadBalancerIngress) string {
	for _, x := range xs {
		if a := firstNonEmpty(x.Hostname, x.IP); a != "" {
			return a
		}
	}
	return ""
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func (c *cluster) pods(ctx context.Context) ([]corev1.Pod, error) {
	l, err := c.cs.CoreV1().Pods(c.ns).List(ctx, metav1.ListOptions{LabelSelector: "app=" + probeName})
	if err != nil {
		return nil, err
	}
	var out []corev1.Pod
	for _, p := range l.Items {
		if p.DeletionTimestamp == nil {
			out = append(out, p)
		}
	}
	return out, nil
}

func (c *cluster) watchPods(ctx context.Context, tr *tracker, logf func(string, ...any)) {
	for ctx.Err() == nil {
		w, err := c.cs.CoreV1().Pods(c.ns).Watch(ctx, metav1.ListOptions{LabelSelector: "app=" + probeName})
		if err != nil {
			time.Sleep(time.Second)
			continue
		}
		for ev := range w.ResultChan() {
			if p, ok := ev.Object.(*corev1.Pod); ok && ev.Type != watch.Deleted {
				tr.observe(p, time.Now())
			}
		}
		w.Stop()
	}
}

// load sends rate requests a second, one connection each (so the LB picks a
// target per request), and records which pod served each.
func load(ctx context.Context, addr, host string, rate float64, tr *tracker) {
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		go func(sent time.Time) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, addr, nil)
			if err != nil {
				return
			}
			if host != "" {
				req.Host = host
			}
			resp, err := client.Do(req)
			if err != nil {
				if ctx.Err() == nil {
					tr.mu.Lock()
					tr.failed++
					tr.mu.Unlock()
				}
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
			name, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "pod ")
			if resp.StatusCode != http.StatusOK || !ok {
				tr.mu.Lock()
				tr.failed++
				tr.mu.Unlock()
				return
			}
			tr.served(name, sent)
		}(time.Now())
	}
}

// sampleOnce deletes the oldest probe pod and measures its detach and its
// replacement's attach.
func (c *cluster) sampleOnce(ctx context.Context, o options, tr *tracker) (sample, error) {
	pods, err := c.pods(ctx)
	if err != nil {
		return sample{}, err
	}
	if len(pods) == 0 {
		return sample{}, errors.New("no probe pod left")
	}
	known := map[string]bool{}
	for _, p := range pods {
		known[p.Name] = true
	}
	sort.Slice(pods, func(i, j int) bool { return pods[i].CreationTimestamp.Before(&pods[j].CreationTimestamp) })
	old := pods[0].Name
	tDel := time.Now()
	if err := c.cs.CoreV1().Pods(c.ns).Delete(ctx, old, metav1.DeleteOptions{}); err != nil {
		return sample{}, fmt.Errorf("delete pod %s: %w", old, err)
	}
	var repl string
	var s sample
	err = waitFor(ctx, o.timeout, func() bool {
		if repl == "" {
			if ps, err := c.pods(ctx); err == nil {
				for _, p := range ps {
					if !known[p.Name] {
						repl = p.Name
					}
				}
			}
		}
		op := tr.snapshot(old)
		quietSince := tDel
		if op.last.After(quietSince) {
			quietSince = op.last
		}
		detached := time.Since(quietSince) >= o.quiet || time.Since(tDel) >= o.maxDetach
		np := tr.snapshot(repl)
		attached := repl != "" && !np.first.IsZero() && !np.ready.IsZero()
		return detached && attached
	})
	op := tr.snapshot(old)
	s.Detach = 0
	if op.last.After(tDel) {
		s.Detach = op.last.Sub(tDel).Seconds()
	}
	np := tr.snapshot(repl)
	s.Attach = -1
	if !np.first.IsZero() && !np.ready.IsZero() {
		s.Attach = max(0, np.first.Sub(np.ready).Seconds())
		if np.gates > 0 {
			b := !np.gateOK.IsZero() && !np.gateOK.After(np.first)
			s.GateBefore = &b
		}
	}
	// The old pod has done its part: let it go now.
	zero := int64(0)
	c.cs.CoreV1().Pods(c.ns).Delete(ctx, old, metav1.DeleteOptions{GracePeriodSeconds: &zero})
	if err != nil && ctx.Err() != nil {
		return s, ctx.Err()
	}
	return s, nil
}

func waitFor(ctx context.Context, timeout time.Duration, cond func() bool) error {
	end := time.Now().Add(timeout)
	for {
		if cond() {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Now().After(end) {
			return errors.New("timed out")
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// cleanup deletes the namespace (and so everything the command made in it),
// with a context of its own: it also runs after Ctrl-C.
func (c *cluster) cleanup(logf func(string, ...any)) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	zero := int64(0)
	c.cs.CoreV1().Pods(c.ns).DeleteCollection(ctx, metav1.DeleteOptions{GracePeriodSeconds: &zero}, metav1.ListOptions{LabelSelector: "app=" + probeName})
	if err := c.cs.CoreV1().Namespaces().Delete(ctx, c.ns, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		logf("delete namespace %s: %v (delete it by hand)", c.ns, err)
		return
	}
	err := waitFor(ctx, 90*time.Second, func() bool {
		_, err := c.cs.CoreV1().Namespaces().Get(ctx, c.ns, metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	})
	if err != nil {
		logf("namespace %s is still terminating (the entry's controller may hold a finalizer); it goes on being deleted", c.ns)
		return
	}
	logf("deleted namespace %s and everything in it", c.ns)
}
