package inventory

// The mesh part of the index: what each workload's pod template and
// Namespace say about injection and the proxy, the Services with their
// ports, and the VirtualServices and DestinationRules of the input by the
// Service host they name. Every lookup is a map access: the mesh companion
// never scans workloads against objects.

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/graceful-rollout/graceful-rollout/fn/plan"
)

// managedBy is the label and value every object the function generates
// carries.
const managedByLabel, managedByValue = "app.kubernetes.io/managed-by", "graceful-rollout"

// MeshService is a Service of the input with what the mesh companions read.
type MeshService struct {
	*Object
	Annotations map[string]string
	Ports       []MeshPort
}

// MeshPort is one port of a Service.
type MeshPort struct {
	Name, AppProtocol, Protocol string
	Port                        int
}

// httpProtocols are Istio's protocols with HTTP routing (retries): a port
// named <protocol> or <protocol>-<suffix>, or with that appProtocol
// (Istio "Protocol Selection").
var httpProtocols = map[string]bool{"http": true, "http2": true, "grpc": true, "grpc-web": true}

// HTTP reports whether Istio routes the port as HTTP or gRPC.
func (p MeshPort) HTTP() bool {
	ap := strings.ToLower(p.AppProtocol)
	if ap == "kubernetes.io/h2c" {
		return true
	}
	if ap != "" {
		return httpProtocols[ap]
	}
	name := strings.ToLower(p.Name)
	if i := strings.IndexByte(name, '-'); i >= 0 && !httpProtocols[name] {
		name = name[:i]
	}
	return httpProtocols[name]
}

// HTTP reports whether any port of the Service is HTTP or gRPC.
func (s *MeshService) HTTP() bool {
	for _, p := range s.Ports {
		if p.HTTP() {
			return true
		}
	}
	return false
}

// MeshObject is a VirtualService or DestinationRule of the input.
type MeshObject struct {
	*Object
	// Hosts are spec.hosts (VirtualService) or spec.host (DestinationRule).
	Hosts []string
	// Gateways are a VirtualService's spec.gateways.
	Gateways []string
	// ExportTo is spec.exportTo.
	ExportTo []string
	// Managed: the object carries app.kubernetes.io/managed-by:
	// graceful-rollout (the function generated it).
	Managed bool
}

// Mesh reports whether a VirtualService applies to sidecars: no gateways,
// or "mesh" among them.
func (m *MeshObject) Mesh() bool {
	if len(m.Gateways) == 0 {
		return true
	}
	for _, g := range m.Gateways {
		if g == "mesh" {
			return true
		}
	}
	return false
}

type meshIndex struct {
	services map[string]*MeshService
	// vs, gatewayVS and dr are keyed by hostKey.
	vs, gatewayVS, dr map[string][]*MeshObject
	// byName[kind/namespace/name] is every VirtualService and
	// DestinationRule, for name collisions.
	byName map[string]*MeshObject
	// wildDR are the DestinationRules with a wildcard host (*,
	// *.ns.svc.cluster.local, ...) and no workloadSelector, in input order.
	wildDR []*MeshObject
}

func (ix *Index) meshIx() *meshIndex {
	if ix.mesh == nil {
		ix.mesh = &meshIndex{
			services:  map[string]*MeshService{},
			vs:        map[string][]*MeshObject{},
			gatewayVS: map[string][]*MeshObject{},
			dr:        map[string][]*MeshObject{},
			byName:    map[string]*MeshObject{},
		}
	}
	return ix.mesh
}

// indexMesh indexes one object, once, as New reads it. Malformed fields
// are skipped, not reported: the reader of the core pass reports what it
// needs, and a mesh object the function cannot read is left alone.
func (ix *Index) indexMesh(o *Object) {
	y := o.Node.YNode()
	m := ix.meshIx()
	switch {
	case o.APIVersion == "v1" && o.Kind == "Service":
		s := &MeshService{Object: o, Annotations: lenientMap(y, "metadata", "annotations")}
		if ports := walk(y, "spec", "ports"); ports != nil && ports.Kind == yaml.SequenceNode {
			for _, p := range ports.Content {
				port, _ := strconv.Atoi(scalar(p, "port"))
				s.Ports = append(s.Ports, MeshPort{Name: scalar(p, "name"), AppProtocol: scalar(p, "appProtocol"), Protocol: scalar(p, "protocol"), Port: port})
			}
		}
		m.services[o.Namespace+"/"+o.Name] = s
	case o.Group() == "networking.istio.io" && (o.Kind == "VirtualService" || o.Kind == "DestinationRule"):
		mo := &MeshObject{Object: o, Managed: lenientMap(y, "metadata", "labels")[managedByLabel] == managedByValue, ExportTo: lenientStrings(y, "spec", "exportTo")}
		m.byName[o.Kind+"/"+o.Namespace+"/"+o.Name] = mo
		if o.Kind == "DestinationRule" {
			// A DestinationRule with a workloadSelector applies to some
			// clients only; it neither covers a host nor is completed.
			if walk(y, "spec", "workloadSelector") != nil {
				return
			}
			if h := scalar(y, "spec", "host"); h != "" {
				mo.Hosts = []string{h}
				if strings.HasPrefix(h, "*") && !mo.Managed {
					m.wildDR = append(m.wildDR, mo)
				}
			}
		} else {
			mo.Hosts = lenientStrings(y, "spec", "hosts")
			mo.Gateways = lenientStrings(y, "spec", "gateways")
		}
		seen := map[string]bool{}
		for _, h := range mo.Hosts {
			k, ok := hostKey(h, o.Namespace)
			if !ok || seen[k] {
				continue
			}
			seen[k] = true
			switch {
			case o.Kind == "DestinationRule":
				m.dr[k] = append(m.dr[k], mo)
			case mo.Mesh():
				m.vs[k] = append(m.vs[k], mo)
			default:
				m.gatewayVS[k] = append(m.gatewayVS[k], mo)
			}
		}
	}
}

// checkMeshShapes reports the mesh fields read leniently below when they
// have the wrong shape: an exportTo that is not a list would be carried
// wrong, and a Rollout's traffic routing the function cannot read would
// let it generate a second VirtualService for the Rollout's host.
func checkMeshShapes(r *reader, o *Object) {
	y := o.Node.YNode()
	switch {
	case o.Group() == "networking.istio.io" && (o.Kind == "DestinationRule" || o.Kind == "VirtualService"):
		if exp := r.seqAt(y, "spec", "exportTo"); exp != nil {
			for i, e := range exp.Content {
				r.at("spec", "exportTo["+strconv.Itoa(i)+"]").stringAt(e)
			}
		}
	case o.APIVersion == "argoproj.io/v1alpha1" && o.Kind == "Rollout":
		path := []string{"spec", "strategy", "canary", "trafficRouting", "istio"}
		ist := r.mapAt(y, path...)
		if ist == nil {
			return
		}
		ir := r.at(path...)
		ir.stringAt(ist, "virtualService", "name")
		if vss := ir.seqAt(ist, "virtualServices"); vss != nil {
			for i, v := range vss.Content {
				ir.at("virtualServices["+strconv.Itoa(i)+"]").stringAt(v, "name")
			}
		}
		ir.stringAt(ist, "destinationRule", "name")
		ir.stringAt(ist, "destinationRule", "canarySubsetName")
		ir.stringAt(ist, "destinationRule", "stableSubsetName")
	}
}

// hostKey turns a host of a mesh object in namespace ns into
// "namespace/name" of the Service it names: a short name is in ns;
// name.namespace, name.namespace.svc and name.namespace.svc.<domain> name
// their namespace. Wildcards and other hosts name no Service.
func hostKey(host, ns string) (string, bool) {
	if host == "" || strings.ContainsAny(host, "*/") {
		return "", false
	}
	parts := strings.Split(host, ".")
	switch {
	case len(parts) == 1:
		return ns + "/" + parts[0], true
	case len(parts) == 2:
		return parts[1] + "/" + parts[0], true
	case parts[2] == "svc":
		return parts[1] + "/" + parts[0], true
	}
	return "", false
}

// serviceKeys are the keys a Service's host is indexed under. Objects
// without a namespace are taken to be in "default" (where kubectl puts
// them without a context namespace), so that an FQDN naming default
// matches them.
func serviceKeys(ns, name string) []string {
	switch ns {
	case "":
		return []string{"/" + name, "default/" + name}
	case "default":
		return []string{"default/" + name, "/" + name}
	}
	return []string{ns + "/" + name}
}

func (m *meshIndex) lookup(idx map[string][]*MeshObject, ns, name string) []*MeshObject {
	var out []*MeshObject
	seen := map[*MeshObject]bool{}
	for _, k := range serviceKeys(ns, name) {
		for _, o := range idx[k] {
			if !seen[o] {
				seen[o] = true
				out = append(out, o)
			}
		}
	}
	// In input order, whichever key found them.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Item < out[j-1].Item; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// MeshService returns the Service namespace/name of the input, nil if none.
func (ix *Index) MeshService(namespace, name string) *MeshService {
	return ix.meshIx().services[namespace+"/"+name]
}

// VirtualServices are the VirtualServices of the input that apply to
// sidecars and name the Service's host, in input order.
func (ix *Index) VirtualServices(namespace, name string) []*MeshObject {
	m := ix.meshIx()
	return m.lookup(m.vs, namespace, name)
}

// GatewayVirtualServices are those that name the host but are bound only
// to gateways.
func (ix *Index) GatewayVirtualServices(namespace, name string) []*MeshObject {
	m := ix.meshIx()
	return m.lookup(m.gatewayVS, namespace, name)
}

// DestinationRules are the DestinationRules of the input for the Service's
// host (without a workloadSelector), in input order.
func (ix *Index) DestinationRules(namespace, name string) []*MeshObject {
	m := ix.meshIx()
	return m.lookup(m.dr, namespace, name)
}

// ClusterDomain is the DNS domain of Service hosts (Kubernetes' default,
// which Istio's hosts assume).
const ClusterDomain = "cluster.local"

// CoveringDestinationRules are the DestinationRules of the input that
// apply to the Service's host when it has no rule of its own, most
// specific first, the way istiod picks one (PushContext.destinationRule,
// istio/istio pilot/pkg/model/push_context.go): a wildcard host in the
// Service's namespace (any exportTo: that namespace's clients look there
// first), the longest matching host first; then, in the root namespace,
// rules exported to the Service's namespace (exportTo unset, "*" or naming
// it). Rules with a workloadSelector and generated ones never count.
func (ix *Index) CoveringDestinationRules(namespace, name, root string) []*MeshObject {
	ns := namespace
	if ns == "" {
		ns = "default"
	}
	fqdn := name + "." + ns + ".svc." + ClusterDomain
	var local, mesh []*MeshObject
	for _, dr := range ix.meshIx().wildDR {
		h := dr.Hosts[0]
		if !strings.HasSuffix(fqdn, h[1:]) {
			continue
		}
		drNs := dr.Namespace
		if drNs == "" {
			drNs = "default"
		}
		switch {
		case drNs == ns:
			local = append(local, dr)
		case drNs == root && exportedTo(dr.ExportTo, ns):
			mesh = append(mesh, dr)
		}
	}
	longest := func(list []*MeshObject) {
		sort.SliceStable(list, func(i, j int) bool { return len(list[i].Hosts[0]) > len(list[j].Hosts[0]) })
	}
	longest(local)
	longest(mesh)
	return append(local, mesh...)
}

// exportedTo reports whether an exportTo list makes a rule visible to
// clients in ns (unset: everywhere, Istio's default).
func exportedTo(list []string, ns string) bool {
	if len(list) == 0 {
		return true
	}
	for _, e := range list {
		if e == "*" || e == ns {
			return true
		}
	}
	return false
}

// MeshObjectNamed returns the VirtualService or DestinationRule
// kind/namespace/name of the input, nil if none.
func (ix *Index) MeshObjectNamed(kind, namespace, name string) *MeshObject {
	return ix.meshIx().byName[kind+"/"+namespace+"/"+name]
}

// linkMesh fills the mesh facts of a workload: its pod template's and its
// Namespace object's injection settings, and its proxy configuration.
func (ix *Index) linkMesh(w *Workload) {
	y := w.Node.YNode()
	labels := lenientMap(y, "spec", "template", "metadata", "labels")
	ann := lenientMap(y, "spec", "template", "metadata", "annotations")
	f := &w.Facts.Mesh
	f.IstioInject = labels[plan.IstioInject]
	if f.IstioInject == "" {
		f.IstioInject = ann[plan.IstioInject]
	}
	f.IstioRev = labels[plan.IstioRev]
	f.IstioDataplane = labels[plan.IstioDataplaneMode]
	f.IstioWaypoint = labels[plan.IstioUseWaypoint]
	f.IstioNative = ann[plan.IstioNativeSidecar]
	f.LinkerdInject = ann[plan.LinkerdInject]
	f.LinkerdNative = ann[plan.LinkerdNativeSidecar]
	if f.LinkerdNative == "" {
		f.LinkerdNative = ann[plan.LinkerdNativeSidecarAlpha]
	}
	if ns, ok := ix.Namespaces[w.Namespace]; ok && w.Namespace != "" {
		ny := ns.Node.YNode()
		nl := lenientMap(ny, "metadata", "labels")
		f.Namespace = &plan.NamespaceMesh{
			IstioInjection: nl[plan.IstioInjection],
			IstioRev:       nl[plan.IstioRev],
			IstioDataplane: nl[plan.IstioDataplaneMode],
			IstioWaypoint:  nl[plan.IstioUseWaypoint],
			LinkerdInject:  lenientMap(ny, "metadata", "annotations")[plan.LinkerdInject],
		}
	}
	f.HostNetwork = scalar(y, "spec", "template", "spec", "hostNetwork") == "true"
	if w.Kind == "Rollout" {
		f.Routing = readIstioRouting(walk(y, "spec", "strategy", "canary", "trafficRouting", "istio"), w.Namespace)
	}
	if v, ok := ann[plan.LinkerdWaitBeforeExit]; ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 {
			f.LinkerdWaitError = "\"" + v + "\" is not a whole number of seconds"
		} else {
			f.LinkerdWait = &n
		}
	}
	if v, ok := ann[plan.IstioProxyConfig]; ok {
		readProxyConfig(v, f)
	} else if a := walk(y, "spec", "template", "metadata", "annotations", plan.IstioProxyConfig); a != nil {
		f.IstioConfigError = "expected a string holding a ProxyConfig in YAML, got " + describe(a)
	}
}

// readIstioRouting reads an Argo Rollout's trafficRouting.istio: the
// VirtualServices ("name" or "name.namespace", as Argo Rollouts splits
// them) and the DestinationRule it manages. nil when it names none.
func readIstioRouting(ist *yaml.Node, ns string) *plan.IstioRouting {
	if ist == nil || ist.Kind != yaml.MappingNode {
		return nil
	}
	r := &plan.IstioRouting{}
	add := func(ref string) {
		if ref == "" {
			return
		}
		name, vsNs, _ := strings.Cut(ref, ".")
		if vsNs == "" {
			vsNs = ns
		} else if i := strings.IndexByte(vsNs, '.'); i >= 0 {
			vsNs = vsNs[:i]
		}
		r.VirtualServices = append(r.VirtualServices, vsNs+"/"+name)
	}
	add(scalar(ist, "virtualService", "name"))
	for _, v := range lenientSeq(ist, "virtualServices") {
		add(scalar(v, "name"))
	}
	if d := scalar(ist, "destinationRule", "name"); d != "" {
		r.DestinationRule = ns + "/" + d
		r.CanarySubset = scalar(ist, "destinationRule", "canarySubsetName")
		r.StableSubset = scalar(ist, "destinationRule", "stableSubsetName")
	}
	if len(r.VirtualServices) == 0 && r.DestinationRule == "" {
		return nil
	}
	return r
}

// readProxyConfig reads the keys of a proxy.istio.io/config annotation the
// plan needs.
func readProxyConfig(text string, f *plan.MeshFacts) {
	if strings.TrimSpace(text) == "" {
		return
	}
	n, err := yaml.Parse(text)
	if err != nil {
		f.IstioConfigError = "cannot read the ProxyConfig YAML: " + err.Error()
		return
	}
	y := n.YNode()
	if y.Kind != yaml.MappingNode {
		f.IstioConfigError = "expected a ProxyConfig map, got " + describe(y)
		return
	}
	secs := func(key, v string) *int {
		d, err := parseAnyDuration(v)
		if err != nil {
			f.IstioConfigError = key + ": " + err.Error()
			return nil
		}
		s := int(math.Ceil(d))
		return &s
	}
	if v := lookup(y, "terminationDrainDuration"); v != nil {
		f.IstioDrain = secs("terminationDrainDuration", v.Value)
	}
	if v := lookup(y, "holdApplicationUntilProxyStarts"); v != nil {
		b := v.Value == "true"
		f.IstioHold = &b
	}
	md := lookup(y, "proxyMetadata")
	if v := lookup(md, "EXIT_ON_ZERO_ACTIVE_CONNECTIONS"); v != nil {
		f.IstioExitOnZero = strings.EqualFold(v.Value, "true")
	}
	if v := lookup(md, "MINIMUM_DRAIN_DURATION"); v != nil {
		f.IstioMinDrain = secs("proxyMetadata.MINIMUM_DRAIN_DURATION", v.Value)
	}
}

// parseAnyDuration reads a duration the user wrote (Go syntax: "30s",
// "1m30s") in seconds.
func parseAnyDuration(v string) (float64, error) {
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a duration like 30s", v)
	}
	return d.Seconds(), nil
}
