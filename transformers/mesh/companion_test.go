package mesh

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/graceful-rollout/graceful-rollout/fn/companion"
	"github.com/graceful-rollout/graceful-rollout/fn/config"
	"github.com/graceful-rollout/graceful-rollout/fn/inventory"
	"github.com/graceful-rollout/graceful-rollout/fn/plan"
)

// runText plans every workload of the input and applies the companion, as the
// processor does.
func runText(t testing.TB, cfg *config.Config, input string) *companion.Context {
	t.Helper()
	var nodes []*yaml.RNode
	for _, doc := range strings.Split(input, "\n---\n") {
		if strings.TrimSpace(doc) != "" {
			nodes = append(nodes, yaml.MustParse(doc))
		}
	}
	return runNodes(t, cfg, nodes)
}

func runNodes(t testing.TB, cfg *config.Config, nodes []*yaml.RNode) *companion.Context {
	t.Helper()
	ix := inventory.New(nodes)
	if len(ix.Problems) > 0 {
		t.Fatalf("problems: %v", ix.Problems)
	}
	ctx := companion.New(cfg, ix)
	for _, w := range ix.Workloads {
		p := plan.Make(&w.Facts, cfg)
		if p.Skip == "" && !p.HasErrors() {
			ctx.Planned = append(ctx.Planned, companion.Planned{Workload: w, Plan: p})
		}
	}
	if err := (Companion{}).Apply(ctx); err != nil {
		t.Fatal(err)
	}
	return ctx
}

func istio(minor int) *config.Config {
	c := config.Default()
	c.Mesh = config.MeshIstio
	c.MeshVersion = config.Version{Major: 1, Minor: minor}
	return c
}

func app(ns, name, port string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: %[2]s, namespace: %[1]s}
spec:
  replicas: 2
  template:
    metadata: {labels: {app: %[2]s}}
    spec:
      containers: [{name: app, image: app, ports: [{containerPort: 8080}], readinessProbe: {tcpSocket: {port: 8080}}}]
---
apiVersion: v1
kind: Service
metadata: {name: %[2]s, namespace: %[1]s}
spec:
  selector: {app: %[2]s}
  ports: [{name: %[3]s, port: 80}]
`, ns, name, port)
}

func added(ctx *companion.Context) []string {
	var out []string
	for _, n := range ctx.Added() {
		out = append(out, n.GetKind()+"/"+n.GetNamespace()+"/"+n.GetName())
	}
	return out
}

func messages(ctx *companion.Context, sev plan.Severity) string {
	var b strings.Builder
	for _, r := range ctx.Results {
		if r.Severity == sev {
			name := ""
			if r.Object != nil {
				name = r.Object.Kind + "/" + r.Object.Name
			}
			fmt.Fprintf(&b, "%s %s: %s\n", name, r.Field, r.Message)
		}
	}
	return b.String()
}

func TestCompanion_GeneratesPerService(t *testing.T) {
	ctx := runText(t, istio(20), app("shop", "web", "http")+"\n---\n"+app("shop", "redis", "tcp-redis"))
	got := strings.Join(added(ctx), " ")
	want := "DestinationRule/shop/web-graceful-rollout VirtualService/shop/web-graceful-rollout DestinationRule/shop/redis-graceful-rollout"
	if got != want {
		t.Errorf("added %s\nwant  %s", got, want)
	}
	for _, n := range ctx.Added() {
		if n.GetApiVersion() != "networking.istio.io/v1beta1" {
			t.Errorf("%s: apiVersion %s for Istio 1.20", n.GetName(), n.GetApiVersion())
		}
		if n.GetLabels()["app.kubernetes.io/managed-by"] != "graceful-rollout" {
			t.Errorf("%s: no managed-by label", n.GetName())
		}
	}
	if !strings.Contains(messages(ctx, plan.Info), "TCP only") {
		t.Errorf("no word on the TCP Service:\n%s", messages(ctx, plan.Info))
	}
}

func TestCompanion_MeshNoneOrNotMeshed(t *testing.T) {
	c := config.Default()
	if ctx := runText(t, c, app("shop", "web", "http")); len(ctx.Added()) != 0 || len(ctx.Results) != 0 {
		t.Errorf("mesh none: %v %v", added(ctx), ctx.Results)
	}
	c.Mesh = config.MeshLinkerd
	if ctx := runText(t, c, app("shop", "web", "http")); len(ctx.Added()) != 0 {
		t.Errorf("linkerd: %v", added(ctx))
	}
}

// A generated object's name held by an object for another host is an error.
func TestCompanion_NameTaken(t *testing.T) {
	ctx := runText(t, istio(24), app("shop", "web", "http")+`
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web-graceful-rollout, namespace: shop}
spec: {host: api}
`)
	if !strings.Contains(messages(ctx, plan.Error), "cannot add DestinationRule web-graceful-rollout: the input has one of that name for host api") {
		t.Errorf("errors:\n%s", messages(ctx, plan.Error))
	}
}

// Two of the user's mesh VirtualServices for one host: both completed, and
// a warning.
func TestCompanion_DuplicateVirtualServices(t *testing.T) {
	ctx := runText(t, istio(24), app("shop", "web", "http")+`
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: a, namespace: shop}
spec: {hosts: [web], http: [{route: [{destination: {host: web}}]}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: b, namespace: shop}
spec: {hosts: [web.shop.svc.cluster.local], http: [{route: [{destination: {host: web}}]}]}
`)
	if !strings.Contains(messages(ctx, plan.Warning), "2 VirtualServices route host web") {
		t.Errorf("warnings:\n%s", messages(ctx, plan.Warning))
	}
	if len(ctx.Staged()) != 2 {
		t.Errorf("staged %d objects, want both VirtualServices completed", len(ctx.Staged()))
	}
	if got := strings.Join(added(ctx), " "); got != "DestinationRule/shop/web-graceful-rollout" {
		t.Errorf("added %s", got)
	}
}

// The function must scale to thousands of workloads: every lookup is a map
// access, so 5000 meshed workloads with their Services and a VirtualService
// for half of them take about as long as reading them.
func TestCompanion_Scale(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	const n = 5000
	var nodes []*yaml.RNode
	for i := 0; i < n; i++ {
		ns := fmt.Sprintf("ns%d", i%50)
		name := fmt.Sprintf("svc%d", i)
		for _, doc := range strings.Split(app(ns, name, "http"), "\n---\n") {
			nodes = append(nodes, yaml.MustParse(doc))
		}
		if i%2 == 0 {
			nodes = append(nodes, yaml.MustParse(fmt.Sprintf("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: %s, namespace: %s}\nspec: {hosts: [%s.%s.svc.cluster.local], http: [{route: [{destination: {host: %s}}]}]}\n", name, ns, name, ns, name)))
		}
	}
	start := time.Now()
	ctx := runNodes(t, istio(24), nodes)
	took := time.Since(start)
	if got, want := len(ctx.Added()), n+n/2; got != want {
		t.Errorf("added %d objects, want %d", got, want)
	}
	if got := len(ctx.Staged()); got != n/2 {
		t.Errorf("completed %d VirtualServices, want %d", got, n/2)
	}
	t.Logf("%d workloads, %d Services, %d VirtualServices: %v", n, n, n/2, took)
	if took > 60*time.Second {
		t.Errorf("took %v: something scans workloads against objects", took)
	}
}

func BenchmarkCompanion(b *testing.B) {
	var nodes []*yaml.RNode
	for i := 0; i < 1000; i++ {
		for _, doc := range strings.Split(app(fmt.Sprintf("ns%d", i%20), fmt.Sprintf("svc%d", i), "http"), "\n---\n") {
			nodes = append(nodes, yaml.MustParse(doc))
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		runNodes(b, istio(24), nodes)
	}
}

// A Rollout routing through a VirtualService that is not in the input owns
// its hosts: no VirtualService is generated for its Services, a warning says
// so; the DestinationRule is still generated. With the VirtualService in the
// input, that one is completed and none is generated for its host.
func TestCompanion_RolloutVirtualService(t *testing.T) {
	rollout := `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: pay, namespace: shop}
spec:
  replicas: 3
  template:
    metadata: {labels: {app: pay}}
    spec:
      containers: [{name: app, image: app, ports: [{containerPort: 8080}], readinessProbe: {tcpSocket: {port: 8080}}}]
  strategy:
    canary:
      trafficRouting:
        istio:
          virtualService: {name: pay-vsvc}
          destinationRule: {name: pay-dr, canarySubsetName: canary, stableSubsetName: stable}
---
apiVersion: v1
kind: Service
metadata: {name: pay, namespace: shop}
spec:
  selector: {app: pay}
  ports: [{name: http, port: 80}]
`
	ctx := runText(t, istio(23), rollout)
	if got := strings.Join(added(ctx), " "); got != "DestinationRule/shop/pay-graceful-rollout" {
		t.Errorf("added %s", got)
	}
	if w := messages(ctx, plan.Warning); !strings.Contains(w, "Service/pay : no VirtualService generated: Rollout pay routes its traffic through VirtualService shop/pay-vsvc") {
		t.Errorf("no warning:\n%s", w)
	}
	if i := messages(ctx, plan.Info); !strings.Contains(i, "Rollout pay manages the subsets (canary, stable) of DestinationRule pay-dr, not in the input") {
		t.Errorf("the DestinationRule does not mention the Rollout's:\n%s", i)
	}

	vs := `
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: pay-vsvc, namespace: shop}
spec:
  hosts: [pay]
  http:
  - name: primary
    route:
    - {destination: {host: pay, subset: stable}, weight: 100}
    - {destination: {host: pay, subset: canary}, weight: 0}
`
	ctx = runText(t, istio(23), rollout+vs)
	if got := strings.Join(added(ctx), " "); got != "DestinationRule/shop/pay-graceful-rollout" {
		t.Errorf("added %s", got)
	}
	if w := messages(ctx, plan.Warning); w != "" {
		t.Errorf("warnings:\n%s", w)
	}
	if st := ctx.Staged(); len(st) != 1 || st[2] == nil || !strings.Contains(st[2].MustString(), "retries:") {
		t.Errorf("pay-vsvc (item 2) not completed: %v", st)
	}
}

// The run says once that generated DestinationRules take precedence over
// wildcard rules outside the input, and how to opt out.
func TestCompanion_PrecedenceNoteOnce(t *testing.T) {
	ctx := runText(t, istio(24), app("shop", "a", "http")+"\n---\n"+app("shop", "b", "http")+"\n---\n"+app("web", "c", "tcp"))
	n := 0
	for _, r := range ctx.Results {
		if r.Object == nil && strings.Contains(r.Message, "take precedence over any wildcard") && strings.Contains(r.Message, "istio.destinationRule: false") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d precedence notes, want 1:\n%s", n, messages(ctx, plan.Info))
	}
	c := istio(24)
	c.Istio.DestinationRule = false
	ctx = runText(t, c, app("shop", "a", "http"))
	if got := strings.Join(added(ctx), " "); got != "VirtualService/shop/a-graceful-rollout" {
		t.Errorf("istio.destinationRule false: added %s", got)
	}
	if strings.Contains(messages(ctx, plan.Info), "take precedence") {
		t.Error("precedence note without a generated DestinationRule")
	}
}
