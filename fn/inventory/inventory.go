// Package inventory indexes a ResourceList's items once: workloads and the
// facts the plan needs about them, Services by namespace and selector label,
// Namespaces, TargetGroupBindings and HorizontalPodAutoscalers.
package inventory

import (
	"regexp"
	"sort"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/graceful-rollout/graceful-rollout/fn/plan"
)

// Object is one input item with its identity.
type Object struct {
	Item                              int
	APIVersion, Kind, Namespace, Name string
	// Path is the file the client read it from (kpt's path annotation).
	Path string
	Node *yaml.RNode
}

// Group is the API group of the object's apiVersion.
func (o *Object) Group() string {
	if i := strings.IndexByte(o.APIVersion, '/'); i >= 0 {
		return o.APIVersion[:i]
	}
	return ""
}

// Workload is a supported workload with the facts read from it.
type Workload struct {
	Object
	Facts plan.Workload
	// Labels are the workload's own labels; PodLabels its pod template's.
	Labels, PodLabels map[string]string
}

type service struct {
	name     string
	selector map[string]string
}

// Index is the input, read once.
type Index struct {
	Objects    []*Object
	Workloads  []*Workload
	Namespaces map[string]*Object
	Problems   []Problem
	// services[namespace][label "k=v"] lists the Services whose selector
	// has that pair: a workload only meets the Services that share a label.
	services map[string]map[string][]*service
	// hpas[namespace/kind/name] is an HPA's minReplicas.
	hpas map[string]int
	// claims: Key(namespace, name) of a PersistentVolumeClaim -> whether
	// its accessModes allow only one node (ReadWriteOnce, ReadWriteOncePod).
	claims map[string]bool
	// canaries are the Flagger Canaries of the input (flagger.go).
	canaries []*canary
	// istioEntries: gateway-bound VirtualService routes by the key of the
	// Service host they send to (istio_entry.go).
	istioEntries map[string][]istioEntry
	// lb indexes load balancers and disruption budgets (lb.go).
	lb *LB
	// mesh indexes Services, VirtualServices and DestinationRules (mesh.go).
	mesh *meshIndex
	// paths indexes GRPCRoutes (paths.go); InputHasEntries says whether the
	// input declares any load-balancer entry.
	paths           *pathIndex
	InputHasEntries bool
	// MixedDefault: some objects have no metadata.namespace and others are
	// in default; they are matched as one namespace (paths.go).
	MixedDefault bool
	namespaces   [2]bool
}

// Identify reads an object's identity without failing on a malformed one.
func Identify(n *yaml.RNode) *Object {
	y := n.YNode()
	return &Object{
		APIVersion: scalar(y, "apiVersion"),
		Kind:       scalar(y, "kind"),
		Namespace:  scalar(y, "metadata", "namespace"),
		Name:       scalar(y, "metadata", "name"),
		Node:       n,
	}
}

// checkShapes reports the fields that the companions read leniently when
// they have the wrong shape, so that a malformed object fails the run instead
// of being overlooked (and, say, a second VirtualService generated for the
// host of one the function could not read).
func checkShapes(r *reader, o *Object) {
	y := o.Node.YNode()
	switch {
	case o.APIVersion == "v1" && o.Kind == "Service":
		r.seqAt(y, "spec", "ports")
	case o.Group() == "networking.istio.io" && o.Kind == "VirtualService":
		r.seqAt(y, "spec", "hosts")
		r.seqAt(y, "spec", "gateways")
	case o.Group() == "networking.istio.io" && o.Kind == "DestinationRule":
		r.stringAt(y, "spec", "host")
	case o.Group() == "policy" && o.Kind == "PodDisruptionBudget":
		r.mapAt(y, "spec", "selector")
		checkPDB(r, y)
	}
	if IsWorkload(o.APIVersion, o.Kind) {
		checkPodTemplate(r, walk(y, "spec", "template", "spec"))
	}
	checkYAML(r, y)
	checkMeshShapes(r, o)
}

// IsWorkload reports whether apiVersion/kind is a supported workload.
func IsWorkload(apiVersion, kind string) bool {
	switch kind {
	case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet":
		return apiVersion == "apps/v1"
	case "Rollout":
		return apiVersion == "argoproj.io/v1alpha1"
	}
	return false
}

// New indexes the items.
func New(items []*yaml.RNode) *Index {
	ix := &Index{
		Namespaces: map[string]*Object{},
		services:   map[string]map[string][]*service{},
		hpas:       map[string]int{},
		claims:     map[string]bool{},
	}
	r := newReader()
	for i, n := range items {
		r.item = i
		y := n.YNode()
		if y.Kind != yaml.MappingNode {
			r.fail(nil, "item is not an object")
			continue
		}
		o := &Object{
			Item:       i,
			APIVersion: r.stringAt(y, "apiVersion"),
			Kind:       r.stringAt(y, "kind"),
			Namespace:  r.stringAt(y, "metadata", "namespace"),
			Name:       r.stringAt(y, "metadata", "name"),
			Path:       scalar(y, "metadata", "annotations", kioutil.PathAnnotation),
			Node:       n,
		}
		ix.Objects = append(ix.Objects, o)
		checkShapes(r, o)
		ix.noteNamespace(o)
		ix.indexLB(o)
		ix.indexPaths(o)
		ix.indexMultiCluster(o)
		ix.indexFlagger(o)
		ix.indexIstioEntries(o)
		ix.indexMesh(o)
		switch {
		case IsWorkload(o.APIVersion, o.Kind):
			ix.Workloads = append(ix.Workloads, readWorkload(r, o))
		case o.APIVersion == "v1" && o.Kind == "Service":
			ix.addService(r, o)
		case o.APIVersion == "v1" && o.Kind == "Namespace":
			ix.Namespaces[o.Name] = o
		case o.APIVersion == "v1" && o.Kind == "PersistentVolumeClaim":
			single := false
			for _, m := range lenientStrings(y, "spec", "accessModes") {
				single = single || m == "ReadWriteOnce" || m == "ReadWriteOncePod"
			}
			ix.claims[Key(o.Namespace, o.Name)] = single
		case o.Group() == "elbv2.k8s.aws" && o.Kind == "TargetGroupBinding":
			r.stringAt(y, "spec", "serviceRef", "name")
		case o.Group() == "autoscaling" && o.Kind == "HorizontalPodAutoscaler":
			kind := r.stringAt(y, "spec", "scaleTargetRef", "kind")
			name := r.stringAt(y, "spec", "scaleTargetRef", "name")
			minR := 1
			if m := r.intAt(y, "spec", "minReplicas"); m != nil {
				minR = *m
			}
			ix.hpas[Key(o.Namespace, kind+"/"+name)] = minR
		}
	}
	ix.InputHasEntries = ix.LB().hasEntries() || len(ix.istioEntries) > 0
	ix.linkWorkloadRefs()
	for _, w := range ix.Workloads {
		ix.link(w)
	}
	ix.linkShared()
	ix.Problems = *r.problems
	return ix
}

func (ix *Index) addService(r *reader, o *Object) {
	sel := r.stringMapAt(o.Node.YNode(), "spec", "selector")
	if len(sel) == 0 {
		return // selects no pods (endpoints managed by hand)
	}
	s := &service{name: o.Name, selector: sel}
	byLabel := ix.services[Namespace(o.Namespace)]
	if byLabel == nil {
		byLabel = map[string][]*service{}
		ix.services[Namespace(o.Namespace)] = byLabel
	}
	// One pair is enough to find the Service from any pod that matches it:
	// every matching pod carries all of its pairs. Use the smallest key for
	// a deterministic index.
	keys := make([]string, 0, len(sel))
	for k := range sel {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	pair := keys[0] + "=" + sel[keys[0]]
	byLabel[pair] = append(byLabel[pair], s)
}

// link fills the facts that depend on other objects.
func (ix *Index) link(w *Workload) {
	ix.linkMesh(w)
	byLabel := ix.services[Namespace(w.Namespace)]
	seen := map[string]bool{}
	for k, v := range w.PodLabels {
		for _, s := range byLabel[k+"="+v] {
			if seen[s.name] || !selects(s.selector, w.PodLabels) {
				continue
			}
			seen[s.name] = true
			w.Facts.Services = append(w.Facts.Services, s.name)
		}
	}
	ix.linkFlagger(w)
	sort.Strings(w.Facts.Services)
	ix.linkPaths(w)
	for _, c := range w.Facts.Claims {
		single, ok := ix.claims[Key(w.Namespace, c)]
		switch {
		case !ok:
			w.Facts.UnknownClaims = append(w.Facts.UnknownClaims, c)
		case single:
			w.Facts.SingleNodeClaims = append(w.Facts.SingleNodeClaims, c)
		}
	}
	if m, ok := ix.hpas[Key(w.Namespace, w.Kind+"/"+w.Name)]; ok && w.Facts.OwnerRollout == "" {
		w.Facts.HPAMinReplicas = &m
	}
}

// linkWorkloadRefs gives a Deployment that an Argo Rollout's workloadRef
// names the Rollout's replicas and minReadySeconds: the Rollout runs the
// pods from the Deployment's template, and the Deployment itself is scaled
// to 0.
func (ix *Index) linkWorkloadRefs() {
	for _, ro := range ix.Workloads {
		if ro.Kind != "Rollout" || ro.Facts.WorkloadRef == "" {
			continue
		}
		for _, d := range ix.Workloads {
			if d.Kind != "Deployment" || d.Name != ro.Facts.WorkloadRef || Namespace(d.Namespace) != Namespace(ro.Namespace) {
				continue
			}
			f := &d.Facts
			f.OwnerRollout = ro.Name
			f.Replicas = ro.Facts.Replicas
			if f.Replicas == nil {
				one := 1
				f.Replicas = &one // the Rollout's default
			}
			f.OwnerMinReady = ro.Facts.MinReady
			if m, ok := ix.hpas[Key(ro.Namespace, "Rollout/"+ro.Name)]; ok {
				f.HPAMinReplicas = &m
			}
		}
	}
}

// linkShared notes, for each workload, the other workloads behind one of
// its Services.
func (ix *Index) linkShared() {
	by := map[string][]*Workload{}
	for _, w := range ix.Workloads {
		for _, s := range w.Facts.Services {
			k := Key(w.Namespace, s)
			by[k] = append(by[k], w)
		}
	}
	for _, w := range ix.Workloads {
		seen := map[*Workload]bool{w: true}
		for _, s := range w.Facts.Services {
			for _, o := range by[Key(w.Namespace, s)] {
				if !seen[o] {
					seen[o] = true
					w.Facts.SharedWith = append(w.Facts.SharedWith, o.Kind+" "+o.Name)
				}
			}
		}
	}
}

// Selects reports whether a non-empty selector (matchLabels) selects
// pods with these labels.
func Selects(selector, labels map[string]string) bool {
	return len(selector) > 0 && selects(selector, labels)
}

func selects(selector, labels map[string]string) bool {
	for k, v := range selector {
		if lv, ok := labels[k]; !ok || lv != v {
			return false
		}
	}
	return true
}

var meshProxies = map[string]bool{"istio-proxy": true, "linkerd-proxy": true}

// execSleep matches an exec preStop that only sleeps: [sleep, N] or
// [sh|/bin/sh|bash, -c, "sleep N"].
var execSleep = regexp.MustCompile(`^(?:(?:/bin/|/usr/bin/)?(?:ba)?sh -c )?(?:/bin/)?sleep (\d+)$`)

func readWorkload(r *reader, o *Object) *Workload {
	y := o.Node.YNode()
	w := &Workload{Object: *o}
	f := &w.Facts
	f.Kind, f.Namespace, f.Name = o.Kind, o.Namespace, o.Name
	f.Annotations = r.stringMapAt(y, "metadata", "annotations")
	f.Replicas = r.intAt(y, "spec", "replicas")
	f.MinReady = r.intAt(y, "spec", "minReadySeconds")
	f.ProgressDeadline = r.intAt(y, "spec", "progressDeadlineSeconds")
	if o.Kind == "Rollout" && r.get(y, []string{"spec", "workloadRef"}) != nil && r.get(y, []string{"spec", "template"}) == nil {
		f.NoTemplate = true
		if scalar(y, "spec", "workloadRef", "kind") == "Deployment" {
			f.WorkloadRef = scalar(y, "spec", "workloadRef", "name")
		}
		return w
	}
	w.Labels = r.stringMapAt(y, "metadata", "labels")
	w.PodLabels = r.stringMapAt(y, "spec", "template", "metadata", "labels")
	pod := r.mapAt(y, "spec", "template", "spec")
	pr := r.at("spec", "template", "spec")
	f.Grace = pr.intAt(pod, "terminationGracePeriodSeconds")
	if hn := pr.get(pod, []string{"hostNetwork"}); hn != nil && hn.Kind == yaml.ScalarNode && hn.Value == "true" {
		f.HostNetwork = true
	}
	f.RequiredAntiAffinity = hostnameAntiAffinity(pod, w.PodLabels)
	f.Spot = selectsSpot(pod)
	if gates := pr.seqAt(pod, "readinessGates"); gates != nil {
		for i, g := range gates.Content {
			f.ReadinessGates = append(f.ReadinessGates, pr.at("readinessGates["+strconv.Itoa(i)+"]").stringAt(g, "conditionType"))
		}
	}
	if vols := pr.seqAt(pod, "volumes"); vols != nil {
		for _, v := range vols.Content {
			if lookup(v, "persistentVolumeClaim") != nil {
				f.HasPVC = true
				if name := scalar(v, "persistentVolumeClaim", "claimName"); name != "" {
					f.Claims = append(f.Claims, name)
				}
			}
		}
	}
	if cs := pr.seqAt(pod, "containers"); cs != nil {
		for i, c := range cs.Content {
			f.Containers = append(f.Containers, readContainer(pr.at("containers["+strconv.Itoa(i)+"]"), c, i))
		}
	}
	if o.Kind == "StatefulSet" && r.get(y, []string{"spec", "volumeClaimTemplates"}) != nil {
		f.HasPVC = true
	}
	readStrategy(r, y, o.Kind, &f.Strategy)
	return w
}

func readContainer(r *reader, c *yaml.Node, i int) plan.Container {
	if c.Kind != yaml.MappingNode {
		r.fail(nil, "expected a container map, got %s", describe(c))
		return plan.Container{Index: i}
	}
	ct := plan.Container{
		Index: i,
		Name:  r.stringAt(c, "name"),
		Image: r.stringAt(c, "image"),
	}
	ct.MeshProxy = meshProxies[ct.Name]
	ct.Helper = isHelperImage(ct.Image)
	if ports := r.seqAt(c, "ports"); ports != nil {
		for j, p := range ports.Content {
			if !IsMetricsPort(scalar(p, "name")) {
				ct.Ports++
			}
			if hp := r.at("ports["+strconv.Itoa(j)+"]").intAt(p, "hostPort"); hp != nil && *hp > 0 {
				ct.HostPort = true
			}
		}
	}
	ct.Readiness = r.get(c, []string{"readinessProbe"}) != nil
	pre := r.mapAt(c, "lifecycle", "preStop")
	ct.HookSeconds = -1
	switch {
	case pre == nil:
	case lookup(pre, "sleep") != nil:
		ct.Hook = plan.HookSleep
		if s := r.at("lifecycle", "preStop").intAt(pre, "sleep", "seconds"); s != nil {
			ct.HookSeconds = *s
		}
	case lookup(pre, "exec") != nil:
		ct.Hook = plan.HookExec
		if cmd := r.at("lifecycle", "preStop").seqAt(pre, "exec", "command"); cmd != nil {
			parts := make([]string, 0, len(cmd.Content))
			for _, p := range cmd.Content {
				parts = append(parts, strings.TrimSpace(p.Value))
			}
			if m := execSleep.FindStringSubmatch(strings.Join(parts, " ")); m != nil {
				ct.HookSeconds, _ = strconv.Atoi(m[1])
			}
		}
	case lookup(pre, "httpGet") != nil:
		ct.Hook = plan.HookHTTPGet
		ct.HookPath = scalar(pre, "httpGet", "path")
	default:
		ct.Hook = plan.HookOther
	}
	return ct
}

func readStrategy(r *reader, y *yaml.Node, kind string, s *plan.Strategy) {
	switch kind {
	case "Deployment":
		s.Type = r.stringAt(y, "spec", "strategy", "type")
		s.MaxUnavailable = r.intOrStringAt(y, "spec", "strategy", "rollingUpdate", "maxUnavailable")
		s.MaxSurge = r.intOrStringAt(y, "spec", "strategy", "rollingUpdate", "maxSurge")
	case "DaemonSet", "StatefulSet":
		s.Type = r.stringAt(y, "spec", "updateStrategy", "type")
		s.MaxUnavailable = r.intOrStringAt(y, "spec", "updateStrategy", "rollingUpdate", "maxUnavailable")
		s.MaxSurge = r.intOrStringAt(y, "spec", "updateStrategy", "rollingUpdate", "maxSurge")
	case "Rollout":
		s.BlueGreen = r.mapAt(y, "spec", "strategy", "blueGreen") != nil
		if r.mapAt(y, "spec", "strategy", "canary") != nil {
			s.Canary = true
			s.MaxUnavailable = r.intOrStringAt(y, "spec", "strategy", "canary", "maxUnavailable")
			s.MaxSurge = r.intOrStringAt(y, "spec", "strategy", "canary", "maxSurge")
		}
	}
}
