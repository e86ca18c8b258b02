// Package mesh writes the Istio objects of story 2 (README): per Service that
// selects a meshed workload, a DestinationRule with outlierDetection and,
// for HTTP and gRPC Services, a VirtualService with retries. Existing
// objects for the same host are completed, never duplicated: Istio drops
// duplicate mesh VirtualServices and merges DestinationRules first-wins.
//
// This file builds and completes the objects (pure YAML, table-tested
// alone); companion.go decides which and reports them.
package mesh

import (
	"fmt"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/graceful-rollout/graceful-rollout/fn/companion"
	"github.com/graceful-rollout/graceful-rollout/fn/config"
	"github.com/graceful-rollout/graceful-rollout/internal/edit"
)

// Labels and names of the objects the function generates.
const (
	ManagedByLabel = "app.kubernetes.io/managed-by"
	ManagedByValue = "graceful-rollout"
	group          = "networking.istio.io"
)

// APIVersion is the networking API version to generate for an Istio
// version: v1 exists from Istio 1.22 ("the Istio community decided to
// promote these APIs to v1 in Istio 1.22", istio.io blog 2024/v1-apis);
// v1beta1 is served by every version this function supports, so it is the
// choice when the version is unknown.
func APIVersion(v config.Version) string {
	if v.AtLeast(1, 22) {
		return group + "/v1"
	}
	return group + "/v1beta1"
}

// Served reports whether an Istio version serves a networking apiVersion
// (unset: assume it does).
func Served(apiVersion string, v config.Version) bool {
	if !v.IsSet() {
		return true
	}
	switch apiVersion {
	case group + "/v1":
		return v.AtLeast(1, 22)
	case group + "/v1beta1", group + "/v1alpha3":
		return true
	}
	return true
}

// OutlierDetection is the outlierDetection map of the settings, in the
// order of story 2 (README).
func OutlierDetection(o config.Outlier) *yaml.Node {
	return mapNode(
		"splitExternalLocalOriginErrors", boolNode(o.SplitExternalLocalOriginErrors),
		"consecutiveLocalOriginFailures", edit.Int(o.ConsecutiveLocalOriginFailures),
		"consecutive5xxErrors", edit.Int(o.Consecutive5xxErrors),
		"consecutiveGatewayErrors", edit.Int(o.ConsecutiveGatewayErrors),
		"interval", edit.Str(o.Interval),
		"baseEjectionTime", edit.Str(o.BaseEjectionTime),
		"maxEjectionPercent", edit.Int(o.MaxEjectionPercent),
		"minHealthPercent", edit.Int(o.MinHealthPercent),
	)
}

// Retries is an HTTP route's retries map. withTimeout adds the per-try
// timeout when one is set: only on generated routes, never on a route the
// user wrote.
func Retries(r config.Retries, withTimeout bool) *yaml.Node {
	m := mapNode(
		"attempts", edit.Int(r.Attempts),
		"retryOn", edit.Str(strings.Join(r.RetryOn, ",")),
	)
	if withTimeout && r.PerTryTimeout != "" {
		m.Content = append(m.Content, edit.Str("perTryTimeout"), edit.Str(r.PerTryTimeout))
	}
	return m
}

// Service identifies the Service an object is generated for.
type Service struct {
	Namespace, Name string
}

// Name is the name of the objects generated for a Service: the name
// scheme every companion shares (companion.ObjectName).
func Name(service string) string { return companion.ObjectName(service) }

// DestinationRule generates the DestinationRule of a Service.
func DestinationRule(apiVersion string, s Service, o config.Outlier) *yaml.RNode {
	spec := mapNode(
		"host", edit.Str(s.Name),
		"trafficPolicy", mapNode("outlierDetection", OutlierDetection(o)),
	)
	return object(apiVersion, "DestinationRule", s, spec)
}

// InheritedDestinationRule generates the DestinationRule of a Service
// whose host a wider rule (from, in namespace fromNs) covers. Istio applies
// one DestinationRule per host, the most specific, without merging rules
// of different hosts; so the generated rule carries the wider rule's whole
// trafficPolicy (outlierDetection added when it has none), its subsets and
// its exportTo ("." turned into fromNs, so that the same namespaces see it).
//
// kept reports that the wider rule's own outlierDetection was carried.
func InheritedDestinationRule(apiVersion string, s Service, o config.Outlier, from *yaml.RNode, fromNs string) (n *yaml.RNode, kept bool, err error) {
	tp, err := mapAt(from, "spec", "trafficPolicy")
	if err != nil {
		return nil, false, err
	}
	policy := mapNode()
	if tp != nil {
		policy = bareCopy(tp.YNode())
	}
	if f := yaml.NewRNode(policy).Field("outlierDetection"); f == nil || edit.IsNull(f.Value.YNode()) {
		if f != nil {
			_, _ = yaml.NewRNode(policy).Pipe(yaml.Clear("outlierDetection"))
		}
		policy.Content = append(policy.Content, edit.Str("outlierDetection"), OutlierDetection(o))
	} else {
		kept = true
	}
	spec := mapNode("host", edit.Str(s.Name), "trafficPolicy", policy)
	if subsets, err := from.Pipe(yaml.Lookup("spec", "subsets")); err == nil && subsets != nil && subsets.YNode().Kind == yaml.SequenceNode && len(subsets.YNode().Content) > 0 {
		spec.Content = append(spec.Content, edit.Str("subsets"), bareCopy(subsets.YNode()))
	}
	if export, err := from.Pipe(yaml.Lookup("spec", "exportTo")); err == nil && export != nil && export.YNode().Kind == yaml.SequenceNode && len(export.YNode().Content) > 0 {
		list := bareCopy(export.YNode())
		if fromNs != s.Namespace {
			for _, e := range list.Content {
				if e.Value == "." {
					e.Value = fromNs
				}
			}
		}
		spec.Content = append(spec.Content, edit.Str("exportTo"), list)
	}
	return object(apiVersion, "DestinationRule", s, spec), kept, nil
}

// bareCopy copies a node for a generated object: aliases resolved, without
// anchors, comments or styles.
func bareCopy(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return bareCopy(n.Alias)
	}
	c := *n
	c.Anchor, c.HeadComment, c.LineComment, c.FootComment = "", "", "", ""
	c.Style = 0 // block style and plain scalars, as the rest of the object (the encoder quotes what needs it)
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, e := range n.Content {
		c.Content[i] = bareCopy(e)
	}
	return &c
}

// VirtualService generates the VirtualService of an HTTP or gRPC Service:
// one route to the Service with retries, and the route timeout only when
// one is set.
func VirtualService(apiVersion string, s Service, is config.Istio) *yaml.RNode {
	route := mapNode("route", seqNode(mapNode("destination", mapNode("host", edit.Str(s.Name)))))
	if is.Timeout != "" {
		route.Content = append(route.Content, edit.Str("timeout"), edit.Str(is.Timeout))
	}
	route.Content = append(route.Content, edit.Str("retries"), Retries(is.Retries, true))
	spec := mapNode(
		"hosts", seqNode(edit.Str(s.Name)),
		"http", seqNode(route),
	)
	return object(apiVersion, "VirtualService", s, spec)
}

func object(apiVersion, kind string, s Service, spec *yaml.Node) *yaml.RNode {
	meta := mapNode("name", edit.Str(Name(s.Name)))
	if s.Namespace != "" {
		meta.Content = append(meta.Content, edit.Str("namespace"), edit.Str(s.Namespace))
	}
	meta.Content = append(meta.Content, edit.Str("labels"), mapNode(ManagedByLabel, edit.Str(ManagedByValue)))
	return yaml.NewRNode(mapNode(
		"apiVersion", edit.Str(apiVersion),
		"kind", edit.Str(kind),
		"metadata", meta,
		"spec", spec,
	))
}

// CompleteDestinationRule adds outlierDetection to a DestinationRule whose
// trafficPolicy has none (or that has no trafficPolicy). Nothing the user
// set changes: subsets, their policies and every other field stay.
func CompleteDestinationRule(dr *yaml.RNode, od *yaml.Node) ([]edit.Change, error) {
	spec, err := mapAt(dr, "spec")
	if err != nil || spec == nil {
		return nil, fmt.Errorf("spec: expected a map")
	}
	tp, err := mapAt(dr, "spec", "trafficPolicy")
	if err != nil {
		return nil, err
	}
	if tp != nil {
		if f := tp.Field("outlierDetection"); f != nil && !edit.IsNull(f.Value.YNode()) {
			return nil, nil
		}
	}
	c, err := edit.Set(dr, "", od, "spec", "trafficPolicy", "outlierDetection")
	if err != nil || c == nil {
		return nil, err
	}
	return []edit.Change{*c}, nil
}

// CompleteVirtualService adds retries to every HTTP route that sends to
// destinations (route:) and has no retries. It never adds a timeout:
// routes the user wrote keep their timing.
func CompleteVirtualService(vs *yaml.RNode, retries *yaml.Node) ([]edit.Change, error) {
	http, err := vs.Pipe(yaml.Lookup("spec", "http"))
	if err != nil {
		return nil, err
	}
	if http == nil || edit.IsNull(http.YNode()) {
		return nil, nil
	}
	if http.YNode().Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("spec.http: expected a list")
	}
	var changes []edit.Change
	for i, r := range http.YNode().Content {
		if r.Kind != yaml.MappingNode {
			continue
		}
		rn := yaml.NewRNode(r)
		if f := rn.Field("route"); f == nil || edit.IsNull(f.Value.YNode()) {
			continue // a redirect, direct response or delegate
		}
		if f := rn.Field("retries"); f != nil && !edit.IsNull(f.Value.YNode()) {
			continue
		}
		c, err := edit.Set(rn, "spec.http["+strconv.Itoa(i)+"]", copyNode(retries), "retries")
		if err != nil {
			return nil, err
		}
		if c != nil {
			changes = append(changes, *c)
		}
	}
	return changes, nil
}

// Sync makes a generated object what it would be generated as now: its
// apiVersion and spec; labels and annotations stay.
func Sync(have, want *yaml.RNode) ([]edit.Change, error) {
	var changes []edit.Change
	for _, f := range []string{"apiVersion", "spec"} {
		w := want.Field(f).Value.YNode()
		h := have.Field(f)
		if h != nil && edit.Same(h.Value.YNode(), w) {
			continue
		}
		c, err := edit.Set(have, "", copyNode(w), f)
		if err != nil {
			return nil, err
		}
		if c != nil {
			changes = append(changes, *c)
		}
	}
	return changes, nil
}

func mapAt(n *yaml.RNode, path ...string) (*yaml.RNode, error) {
	v, err := n.Pipe(yaml.Lookup(path...))
	if err != nil {
		return nil, err
	}
	if v == nil || edit.IsNull(v.YNode()) {
		return nil, nil
	}
	if v.YNode().Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: expected a map", strings.Join(path, "."))
	}
	return v, nil
}

func copyNode(n *yaml.Node) *yaml.Node {
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, e := range n.Content {
		c.Content[i] = copyNode(e)
	}
	return &c
}

// mapNode builds a map from key, value pairs.
func mapNode(kv ...any) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap}
	for i := 0; i+1 < len(kv); i += 2 {
		m.Content = append(m.Content, edit.Str(kv[i].(string)), kv[i+1].(*yaml.Node))
	}
	return m
}

func seqNode(items ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Tag: yaml.NodeTagSeq, Content: items}
}

func boolNode(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagBool, Value: strconv.FormatBool(b)}
}
