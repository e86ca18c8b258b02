package fn_test

import (
	"fmt"
	"math/rand"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	kfn "github.com/kptdev/krm-functions-sdk/go/fn"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/graceful-rollout/graceful-rollout/fn"
	"github.com/graceful-rollout/graceful-rollout/fn/profile"
)

// TestProperties runs the function on a few hundred generated ResourceLists
// (Deployments, StatefulSets, DaemonSets, ReplicaSets and Argo Rollouts with
// random replicas, grace periods, existing preStops, strategies, Services,
// annotations and a random selection) under every profile, with spot on and
// off, in mode default and enforce, and checks what must hold whatever the
// input:
//
//   - a failed run changes no item;
//   - in every planned workload, every sleep action ends before the grace
//     period, and the grace period is within the spot cap;
//   - the grace period covers the longest preStop plus the shutdown budget,
//     or a warning about the workload says why not (a cap);
//   - running again on the output changes nothing;
//   - every workload the selector leaves out (or that opts out), and every
//     object no concern touches, comes out byte-identical to the identity
//     output.
//
// The generator is seeded: a failure names its seed, and
// GR_PROPERTY_SEED=<seed> reruns just that list.
func TestProperties(t *testing.T) {
	lists := 40 // 1280 runs; GR_PROPERTY_LISTS=300 for a longer search
	if testing.Short() {
		lists = 10
	}
	if s := os.Getenv("GR_PROPERTY_LISTS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatal(err)
		}
		lists = n
	}
	first := int64(1)
	if s := os.Getenv("GR_PROPERTY_SEED"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		first, lists = n, 1
	}
	profiles := profile.Names()
	var runs, failed, planned int
	for seed := first; seed < first+int64(lists); seed++ {
		g := newGen(seed)
		items := g.items()
		// The items the SDK writes when the function changes nothing do
		// not depend on the functionConfig: computed once per list.
		ident := identityOf(t, propInput(t, g.config("generic", false, "default"), items))
		for _, prof := range profiles {
			for _, spot := range []bool{false, true} {
				for _, mode := range []string{"default", "enforce"} {
					cfg := g.config(prof, spot, mode)
					name := fmt.Sprintf("seed=%d/%s/spot=%v/%s", seed, prof, spot, mode)
					ok, n := checkProperties(t, name, g, cfg, items, ident)
					runs++
					planned += n
					if !ok {
						failed++
					}
				}
			}
		}
		if t.Failed() {
			t.Fatalf("stopping at seed %d (rerun it alone with GR_PROPERTY_SEED=%d)", seed, seed)
		}
	}
	t.Logf("%d runs (%d failed runs, as expected for the generated bad values), %d planned workloads checked", runs, failed, planned)
	if planned == 0 || failed == runs {
		t.Fatalf("the generator produces nothing to check")
	}
}

// genWorkload is what the generator decided about one workload.
type genWorkload struct {
	kind, namespace, name, tier string
	skip                        bool
	shutdownAnn                 *int
	badAnnotation               bool
}

type gen struct {
	r         *rand.Rand
	workloads []genWorkload
	// the selection of this list, shared by all its configs
	selKinds, selNamespaces []string
	selTiers                []string
	shutdownCfg             *int
	preStopCfg              *int
	k8s                     string
	mesh, meshVersion       string
}

func newGen(seed int64) *gen { return &gen{r: rand.New(rand.NewSource(seed))} }

func (g *gen) pick(xs ...string) string { return xs[g.r.Intn(len(xs))] }
func (g *gen) chance(p float64) bool    { return g.r.Float64() < p }

var genKinds = []string{"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Rollout"}

func (g *gen) items() string {
	var docs []string
	n := 1 + g.r.Intn(6)
	for i := 0; i < n; i++ {
		docs = append(docs, g.workload(i))
	}
	// Services for some workloads, and one that selects nothing here.
	for _, w := range g.workloads {
		if g.chance(0.6) {
			docs = append(docs, fmt.Sprintf("apiVersion: v1\nkind: Service\nmetadata: {name: %s, namespace: %s}\nspec:\n  selector: {app: %s}\n  ports: [{name: http, port: 80, targetPort: 8080}]\n", w.name, w.namespace, w.name))
		}
	}
	docs = append(docs, "apiVersion: v1\nkind: Service\nmetadata: {name: orphan, namespace: a}\nspec:\n  selector: {app: nobody}\n  ports: [{port: 80}]\n")
	docs = append(docs, "# keep me\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: a} # and me\ndata: {b: \"2\", a: \"1\"}\n")
	if g.chance(0.5) {
		docs = append(docs, "apiVersion: v1\nkind: Namespace\nmetadata: {name: a, labels: {istio-injection: enabled}}\n")
	} else if g.chance(0.3) {
		docs = append(docs, "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
	}

	g.selKinds = nil
	if g.chance(0.3) {
		for _, k := range genKinds {
			if g.chance(0.5) {
				g.selKinds = append(g.selKinds, k)
			}
		}
	}
	g.selNamespaces = nil
	if g.chance(0.25) {
		g.selNamespaces = []string{g.pick("a", "b")}
	}
	g.selTiers = nil
	if g.chance(0.25) {
		g.selTiers = []string{g.pick("web", "api"), g.pick("web", "batch")}
	}
	if g.chance(0.2) {
		s := g.r.Intn(40)
		g.shutdownCfg = &s
	}
	if g.chance(0.15) {
		s := 1 + g.r.Intn(30)
		g.preStopCfg = &s
	}
	g.k8s = g.pick("", "", "", "1.31", "1.29")
	g.mesh = g.pick("", "", "", "istio", "linkerd", "auto")
	g.meshVersion = g.pick("", "1.20", "1.24")
	return strings.Join(docs, "---\n")
}

func (g *gen) workload(i int) string {
	w := genWorkload{
		kind:      genKinds[g.r.Intn(len(genKinds))],
		namespace: g.pick("a", "b"),
		name:      fmt.Sprintf("w%d", i),
		tier:      g.pick("web", "api", "batch"),
	}
	apiVersion := "apps/v1"
	if w.kind == "Rollout" {
		apiVersion = "argoproj.io/v1alpha1"
	}
	var ann []string
	secs := func(max int) int { return g.r.Intn(max + 1) }
	if g.chance(0.2) {
		ann = append(ann, fmt.Sprintf("graceful-rollout.dev/pre-stop-seconds: %q", strconv.Itoa(secs(40))))
	}
	if g.chance(0.2) {
		s := secs(40)
		w.shutdownAnn = &s
		ann = append(ann, fmt.Sprintf("graceful-rollout.dev/shutdown-seconds: %q", strconv.Itoa(s)))
	}
	if g.chance(0.15) {
		ann = append(ann, fmt.Sprintf("graceful-rollout.dev/min-ready-seconds: %q", strconv.Itoa(secs(120))))
	}
	if g.chance(0.1) {
		ann = append(ann, "graceful-rollout.dev/shell: "+strconv.Quote(g.pick("true", "false")))
	}
	if g.chance(0.07) {
		w.skip = true
		ann = append(ann, `graceful-rollout.dev/skip: "true"`)
	}
	if g.chance(0.05) {
		ann = append(ann, `graceful-rollout.dev/pre-stop-secs: "5"`) // a typo: a warning
	}
	if g.chance(0.03) {
		w.badAnnotation = true
		ann = append(ann, `graceful-rollout.dev/shutdown-seconds: "10s"`)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: %s\nkind: %s\nmetadata:\n  name: %s\n  namespace: %s\n  labels: {app: %s, tier: %s}\n", apiVersion, w.kind, w.name, w.namespace, w.name, w.tier)
	if len(ann) > 0 {
		b.WriteString("  annotations:\n")
		seen := map[string]bool{}
		for _, a := range ann {
			key := a[:strings.Index(a, ":")]
			if seen[key] {
				continue
			}
			seen[key] = true
			b.WriteString("    " + a + "\n")
		}
	}
	b.WriteString("spec: # the workload's spec\n")
	if w.kind != "DaemonSet" && g.chance(0.8) {
		fmt.Fprintf(&b, "  replicas: %d\n", g.pick4(1, 2, 3, 10))
	}
	if g.chance(0.3) {
		fmt.Fprintf(&b, "  minReadySeconds: %d\n", secs(90))
	}
	fmt.Fprintf(&b, "  selector: {matchLabels: {app: %s}}\n", w.name)
	b.WriteString(g.strategy(w.kind))
	fmt.Fprintf(&b, "  template:\n    metadata: {labels: {app: %s}}\n    spec:\n", w.name)
	if g.chance(0.5) {
		fmt.Fprintf(&b, "      terminationGracePeriodSeconds: %d\n", g.pick4(0, 10, 30, 60, 120, 200))
	}
	b.WriteString("      containers:\n")
	nc := 1 + g.r.Intn(3)
	for c := 0; c < nc; c++ {
		b.WriteString(g.container(c))
	}
	if g.chance(0.15) {
		b.WriteString("      - name: istio-proxy\n        image: docker.io/istio/proxyv2:1.24.0\n")
	}
	g.workloads = append(g.workloads, w)
	return b.String()
}

func (g *gen) pick4(xs ...int) int { return xs[g.r.Intn(len(xs))] }

func (g *gen) strategy(kind string) string {
	switch kind {
	case "Deployment":
		switch g.r.Intn(5) {
		case 0:
			return "  strategy: {type: Recreate}\n"
		case 1:
			return fmt.Sprintf("  strategy:\n    type: RollingUpdate\n    rollingUpdate: {maxUnavailable: %s, maxSurge: %s}\n", g.pick("0", "1", "25%"), g.pick("0", "1", "50%"))
		case 2:
			return "  strategy: {}\n"
		}
	case "DaemonSet", "StatefulSet":
		switch g.r.Intn(4) {
		case 0:
			return "  updateStrategy: {type: OnDelete}\n"
		case 1:
			return fmt.Sprintf("  updateStrategy:\n    type: RollingUpdate\n    rollingUpdate: {maxUnavailable: %s}\n", g.pick("0", "1"))
		}
	case "Rollout":
		switch g.r.Intn(3) {
		case 0:
			return "  strategy:\n    canary:\n      steps: [{setWeight: 20}, {pause: {}}]\n"
		case 1:
			return "  strategy:\n    blueGreen: {activeService: x}\n"
		}
	}
	return ""
}

func (g *gen) container(i int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "      - name: c%d\n        image: %s\n", i, g.pick("example/app:1", "gcr.io/distroless/static:nonroot", "busybox:1.36", "cgr.dev/chainguard/nginx"))
	if i == 0 || g.chance(0.3) {
		fmt.Fprintf(&b, "        ports: [{containerPort: %d}]\n", 8080+i)
	}
	if g.chance(0.5) {
		b.WriteString("        readinessProbe: {tcpSocket: {port: 8080}}\n")
	}
	switch g.r.Intn(8) {
	case 0:
		fmt.Fprintf(&b, "        lifecycle: {preStop: {sleep: {seconds: %d}}}\n", g.pick4(1, 5, 15, 30, 60))
	case 1:
		fmt.Fprintf(&b, "        lifecycle:\n          preStop:\n            exec: {command: [/bin/sh, -c, sleep %d]}\n", g.pick4(3, 20, 45))
	case 2:
		b.WriteString("        lifecycle:\n          preStop:\n            exec: {command: [/drain.sh]}\n")
	case 3:
		b.WriteString("        lifecycle: {preStop: {httpGet: {path: /quit, port: 8080}}}\n")
	case 4:
		b.WriteString("        lifecycle: {postStart: {exec: {command: [/init]}}}\n")
	}
	return b.String()
}

func (g *gen) config(prof string, spot bool, mode string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: graceful-rollout}\ndata:\n  profile: %s\n  spot: %q\n  mode: %s\n", prof, strconv.FormatBool(spot), mode)
	if len(g.selKinds) > 0 {
		fmt.Fprintf(&b, "  kinds: %s\n", strings.Join(g.selKinds, ","))
	}
	if len(g.selNamespaces) > 0 {
		fmt.Fprintf(&b, "  namespaces: %s\n", strings.Join(g.selNamespaces, ","))
	}
	if len(g.selTiers) > 0 {
		fmt.Fprintf(&b, "  labelSelector: tier in (%s)\n", strings.Join(g.selTiers, ","))
	}
	if g.shutdownCfg != nil {
		fmt.Fprintf(&b, "  shutdownSeconds: %q\n", strconv.Itoa(*g.shutdownCfg))
	}
	if g.preStopCfg != nil {
		fmt.Fprintf(&b, "  preStopSeconds: %q\n", strconv.Itoa(*g.preStopCfg))
	}
	if g.mesh != "" {
		fmt.Fprintf(&b, "  mesh: %s\n", g.mesh)
		if g.meshVersion != "" {
			fmt.Fprintf(&b, "  meshVersion: %q\n", g.meshVersion)
		}
	}
	if g.k8s != "" {
		fmt.Fprintf(&b, "  kubernetesVersion: %q\n", g.k8s)
		if g.k8s == "1.29" {
			b.WriteString("  sleepEndpointPath: /sleep/{seconds}\n  sleepEndpointPort: \"8080\"\n")
		}
	}
	return b.String()
}

func (g *gen) selected(w genWorkload) bool {
	in := func(list []string, v string) bool {
		if len(list) == 0 {
			return true
		}
		for _, x := range list {
			if x == v {
				return true
			}
		}
		return false
	}
	return in(g.selKinds, w.kind) && in(g.selNamespaces, w.namespace) && in(g.selTiers, w.tier)
}

// input builds a ResourceList as kpt sends it.
func propInput(t *testing.T, cfg, items string) []byte {
	t.Helper()
	return []byte("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nfunctionConfig:\n" + indentBy(cfg, "  ") + "items:\n" + listItems(items))
}

func indentBy(s, by string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = by + l
	}
	return strings.Join(lines, "\n") + "\n"
}

func listItems(docs string) string {
	var b strings.Builder
	for _, d := range strings.Split(docs, "---\n") {
		lines := strings.Split(strings.TrimRight(d, "\n"), "\n")
		for i, l := range lines {
			if i == 0 {
				b.WriteString("- " + l + "\n")
			} else {
				b.WriteString("  " + l + "\n")
			}
		}
	}
	return b.String()
}

var execSleepRE = regexp.MustCompile(`^(?:/bin/sh -c )?sleep (\d+)$`)

// checkProperties runs one config on one generated list; it reports whether
// the run succeeded and how many planned workloads it checked.
func checkProperties(t *testing.T, name string, g *gen, cfg, itemsYAML string, ident identityOut) (bool, int) {
	t.Helper()
	input := propInput(t, cfg, itemsYAML)
	out, err := kfn.Run(kfn.ResourceListProcessorFunc(fn.Process), input)
	rl, perr := kfn.ParseResourceList(out)
	if perr != nil {
		t.Fatalf("%s: output does not parse: %v", name, perr)
	}
	outItems := rl.Items.String()
	if err != nil {
		if outItems != ident.items {
			t.Errorf("%s: a failed run changed items:\n%s", name, diffLines(ident.items, outItems))
		}
		return false, 0
	}
	identObjs := ident.byID
	outObjs := byID(rl)
	data := configData(t, cfg)
	p, _ := profile.Lookup(data["profile"])
	cap := 0
	if data["spot"] == "true" {
		cap = p.SpotGraceCap
	}

	// Untouched objects: byte-identical to the identity output.
	for _, id := range []string{"ConfigMap/a/settings", "Service/a/orphan"} {
		if outObjs[id] != identObjs[id] {
			t.Errorf("%s: %s changed:\n%s", name, id, diffLines(identObjs[id], outObjs[id]))
		}
	}
	checked := 0
	for _, w := range g.workloads {
		id := w.kind + "/" + w.namespace + "/" + w.name
		if !g.selected(w) || w.skip {
			if outObjs[id] != identObjs[id] {
				t.Errorf("%s: %s is not selected, yet it changed:\n%s", name, id, diffLines(identObjs[id], outObjs[id]))
			}
			continue
		}
		node, err := yaml.Parse(outObjs[id])
		if err != nil {
			t.Fatalf("%s: %s: %v", name, id, err)
		}
		if !planned(rl, w) {
			continue // not serving: left alone
		}
		checked++
		grace := 30
		if g, _ := node.Pipe(yaml.Lookup("spec", "template", "spec", "terminationGracePeriodSeconds")); g != nil {
			grace, err = strconv.Atoi(g.YNode().Value)
			if err != nil {
				t.Fatalf("%s: %s: grace %q", name, id, g.YNode().Value)
			}
		}
		if cap > 0 && grace > cap {
			t.Errorf("%s: %s: terminationGracePeriodSeconds %d over the %d s cap", name, id, grace, cap)
		}
		longest := 0
		containers, _ := node.Pipe(yaml.Lookup("spec", "template", "spec", "containers"))
		elems, _ := containers.Elements()
		for _, c := range elems {
			cname := yaml.GetValue(c.Field("name").Value)
			if s, _ := c.Pipe(yaml.Lookup("lifecycle", "preStop", "sleep", "seconds")); s != nil {
				n, _ := strconv.Atoi(s.YNode().Value)
				if n >= grace {
					t.Errorf("%s: %s: container %s sleeps %d s, not less than the %d s grace period", name, id, cname, n, grace)
				}
				longest = max(longest, n)
			}
			if cmd, _ := c.Pipe(yaml.Lookup("lifecycle", "preStop", "exec", "command")); cmd != nil {
				var parts []string
				for _, e := range cmd.YNode().Content {
					parts = append(parts, e.Value)
				}
				if m := execSleepRE.FindStringSubmatch(strings.Join(parts, " ")); m != nil {
					n, _ := strconv.Atoi(m[1])
					if n >= grace && cname != "istio-proxy" {
						t.Errorf("%s: %s: container %s exec-sleeps %d s, not less than the %d s grace period", name, id, cname, n, grace)
					}
					longest = max(longest, n)
				}
			}
		}
		shutdown := p.ShutdownSeconds
		if v, ok := data["shutdownSeconds"]; ok {
			shutdown, _ = strconv.Atoi(v)
		}
		pinned := false
		if _, ok := data["shutdownSeconds"]; ok {
			pinned = true
		}
		if w.shutdownAnn != nil {
			shutdown, pinned = *w.shutdownAnn, true
		}
		if own, ok := ownShutdown(t, identObjs[id]); ok && !pinned {
			// the time the user's grace period leaves after the user's
			// preStop is the app's shutdown budget
			shutdown = own
		}
		if longest+shutdown > grace && !hasResult(rl, w, kfn.Warning) {
			t.Errorf("%s: %s: preStop %d + shutdown %d > grace %d, and no warning says so", name, id, longest, shutdown, grace)
		}
	}

	// Running again changes nothing.
	again, err := kfn.Run(kfn.ResourceListProcessorFunc(fn.Process), withoutResults(t, out))
	if err != nil {
		t.Errorf("%s: the second run failed: %v", name, err)
	} else if got := items(t, again); got != outItems {
		t.Errorf("%s: the second run changed items:\n%s", name, diffLines(outItems, got))
	}
	return true, checked
}

// planned reports whether the run planned w (an info result with its
// timeline).
func planned(rl *kfn.ResourceList, w genWorkload) bool {
	for _, r := range rl.Results {
		if r.ResourceRef != nil && r.ResourceRef.Kind == w.kind && r.ResourceRef.Namespace == w.namespace && r.ResourceRef.Name == w.name &&
			strings.Contains(r.Message, "hard kill at") {
			return true
		}
	}
	return false
}

func hasResult(rl *kfn.ResourceList, w genWorkload, sev kfn.Severity) bool {
	for _, r := range rl.Results {
		if r.Severity == sev && r.ResourceRef != nil && r.ResourceRef.Kind == w.kind && r.ResourceRef.Namespace == w.namespace && r.ResourceRef.Name == w.name {
			return true
		}
	}
	return false
}

type identityOut struct {
	items string
	byID  map[string]string
}

func identityOf(t *testing.T, input []byte) identityOut {
	t.Helper()
	rl, err := kfn.ParseResourceList(identity(t, input))
	if err != nil {
		t.Fatal(err)
	}
	return identityOut{items: rl.Items.String(), byID: byID(rl)}
}

// byID renders each item of a ResourceList by kind/namespace/name.
func byID(rl *kfn.ResourceList) map[string]string {
	m := map[string]string{}
	for _, o := range rl.Items {
		m[o.GetKind()+"/"+o.GetNamespace()+"/"+o.GetName()] = o.String()
	}
	return m
}

func configData(t *testing.T, cfg string) map[string]string {
	t.Helper()
	n, err := yaml.Parse(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return n.GetDataMap()
}

// TestPropertiesRegressions keeps what the property search found, as plain
// cases.
func TestPropertiesRegressions(t *testing.T) {
	// seed 35: a shell-less image below 1.30 gets an httpGet sleep; under
	// a spot cap the preStop shrinks (here the gke-autopilot cap, 25 s,
	// with a 20 s shutdown budget: to 5 s), but the endpoint's path kept
	// the profile's length, and the next run assumed the kept httpGet hook
	// took that long and failed on the cap.
	cfg := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: graceful-rollout}\ndata:\n  profile: gke-autopilot\n  spot: \"true\"\n  shutdownSeconds: \"20\"\n  kubernetesVersion: \"1.29\"\n  sleepEndpointPath: /sleep/{seconds}\n  sleepEndpointPort: \"8080\"\n"
	list := "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: w0, namespace: a}\nspec:\n  selector: {matchLabels: {app: w0}}\n  template:\n    metadata: {labels: {app: w0}}\n    spec:\n      containers:\n      - name: c0\n        image: cgr.dev/chainguard/nginx\n        ports: [{containerPort: 8080}]\n"
	input := propInput(t, cfg, list)
	out, err := kfn.Run(kfn.ResourceListProcessorFunc(fn.Process), input)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "path: /sleep/5") || strings.Contains(string(out), "/sleep/10") {
		t.Errorf("the sleep endpoint is not called with the shortened preStop:\n%s", out)
	}
	again, err := kfn.Run(kfn.ResourceListProcessorFunc(fn.Process), withoutResults(t, out))
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	if got, want := items(t, again), items(t, out); got != want {
		t.Errorf("the second run changed items:\n%s", diffLines(want, got))
	}
}

// ownShutdown is the grace period of an input workload less its longest
// sleep (action or exec), when it has a grace period at least that long.
func ownShutdown(t *testing.T, obj string) (int, bool) {
	t.Helper()
	node, err := yaml.Parse(obj)
	if err != nil {
		t.Fatal(err)
	}
	g, _ := node.Pipe(yaml.Lookup("spec", "template", "spec", "terminationGracePeriodSeconds"))
	if g == nil {
		return 0, false
	}
	grace, _ := strconv.Atoi(g.YNode().Value)
	longest := 0
	containers, _ := node.Pipe(yaml.Lookup("spec", "template", "spec", "containers"))
	elems, _ := containers.Elements()
	for _, c := range elems {
		if yaml.GetValue(c.Field("name").Value) == "istio-proxy" {
			continue
		}
		if s, _ := c.Pipe(yaml.Lookup("lifecycle", "preStop", "sleep", "seconds")); s != nil {
			n, _ := strconv.Atoi(s.YNode().Value)
			longest = max(longest, n)
		}
		if cmd, _ := c.Pipe(yaml.Lookup("lifecycle", "preStop", "exec", "command")); cmd != nil {
			var parts []string
			for _, e := range cmd.YNode().Content {
				parts = append(parts, e.Value)
			}
			if m := execSleepRE.FindStringSubmatch(strings.Join(parts, " ")); m != nil {
				n, _ := strconv.Atoi(m[1])
				longest = max(longest, n)
			}
		}
	}
	if longest > grace {
		return 0, false
	}
	return grace - longest, true
}
