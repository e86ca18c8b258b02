// Package sidecar writes the mesh-proxy part of a plan into the pod
// template: for a classic Istio sidecar the keys of the proxy.istio.io/config
// annotation (a ProxyConfig as YAML inside a string: merged, the user's keys
// and comments kept), for Linkerd proxy-wait-before-exit-seconds.
package sidecar

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/graceful-rollout/graceful-rollout/fn/config"
	"github.com/graceful-rollout/graceful-rollout/fn/plan"
	"github.com/graceful-rollout/graceful-rollout/internal/edit"
)

// Filter applies the Mesh part of a Plan to a workload.
type Filter struct {
	Plan *plan.Plan
}

var annotationsPath = []string{"spec", "template", "metadata", "annotations"}

// Apply edits the workload in place and returns what it changed.
func (f Filter) Apply(w *yaml.RNode) ([]edit.Change, error) {
	m := f.Plan.Mesh
	if m.Name == "" || m.Native {
		return nil, nil
	}
	switch m.Name {
	case config.MeshIstio:
		var sets []Set
		if m.ExitOnZero {
			// proxyMetadata is a map of strings: the agent's environment.
			sets = append(sets, Set{Path: []string{"proxyMetadata", "EXIT_ON_ZERO_ACTIVE_CONNECTIONS"}, Value: "true", String: true, Same: sameFold})
			if m.MinDrainSeconds > 0 {
				sets = append(sets, Set{Path: []string{"proxyMetadata", "MINIMUM_DRAIN_DURATION"}, Value: seconds(m.MinDrainSeconds), String: true, Same: sameDuration})
			}
		} else if m.DrainSeconds > 0 {
			sets = append(sets, Set{Path: []string{"terminationDrainDuration"}, Value: seconds(m.DrainSeconds), Same: sameDuration})
		}
		if m.Hold {
			sets = append(sets, Set{Path: []string{"holdApplicationUntilProxyStarts"}, Value: "true", Bool: true, Same: sameFold})
		}
		return setProxyConfig(w, sets)
	case config.MeshLinkerd:
		if m.WaitBeforeExit <= 0 {
			return nil, nil
		}
		if err := checkAnnotations(w); err != nil {
			return nil, err
		}
		c, err := edit.Set(w, "", edit.Str(strconv.Itoa(m.WaitBeforeExit)), append(annotationsPath, plan.LinkerdWaitBeforeExit)...)
		if err != nil || c == nil {
			return nil, err
		}
		return []edit.Change{*c}, nil
	}
	return nil, nil
}

func seconds(n int) string { return strconv.Itoa(n) + "s" }

// checkAnnotations fails on pod-template annotations that are not a map
// (edit.Set would fail less clearly).
func checkAnnotations(w *yaml.RNode) error {
	a, err := w.Pipe(yaml.Lookup(annotationsPath...))
	if err != nil {
		return err
	}
	if a != nil && a.YNode().Kind != yaml.MappingNode && !edit.IsNull(a.YNode()) {
		return fmt.Errorf("spec.template.metadata.annotations: expected a map")
	}
	return nil
}

// setProxyConfig merges sets into the proxy.istio.io/config annotation.
func setProxyConfig(w *yaml.RNode, sets []Set) ([]edit.Change, error) {
	if len(sets) == 0 {
		return nil, nil
	}
	if err := checkAnnotations(w); err != nil {
		return nil, err
	}
	field := plan.AnnotationField(plan.IstioProxyConfig)
	text := ""
	if a, _ := w.Pipe(yaml.Lookup(append(annotationsPath, plan.IstioProxyConfig)...)); a != nil {
		if a.YNode().Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("%s: expected a string", field)
		}
		text = a.YNode().Value
	}
	out, changes, err := Merge(text, sets)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	if len(changes) == 0 {
		return nil, nil
	}
	v := edit.Str(out)
	if strings.Contains(out, "\n") {
		v.Style = yaml.LiteralStyle
	}
	if _, err := edit.Set(w, "", v, append(annotationsPath, plan.IstioProxyConfig)...); err != nil {
		return nil, err
	}
	for i := range changes {
		changes[i].Field = field + "[" + changes[i].Field + "]"
	}
	return changes, nil
}

// Set is one key to make true in a YAML document.
type Set struct {
	// Path of map keys from the document's root.
	Path  []string
	Value string
	// String: the value is a string even when it reads as another type
	// ("true" in a map of strings); Bool: it is a boolean.
	String, Bool bool
	// Same reports whether the value there already means Value.
	Same func(have, want string) bool
}

func sameFold(have, want string) bool { return strings.EqualFold(have, want) }

// sameDuration compares durations in whole seconds, rounded up, as the plan
// reads them.
func sameDuration(have, want string) bool {
	h, err1 := time.ParseDuration(strings.TrimSpace(have))
	w, err2 := time.ParseDuration(want)
	return err1 == nil && err2 == nil && math.Ceil(h.Seconds()) == w.Seconds()
}

// Merge makes every Set true in the YAML (or JSON) document text and
// returns the new text, or text itself when nothing changed. Keys it does
// not set keep their values, order and comments; a JSON document stays
// JSON. The output is a function of the input alone, so merging it again
// changes nothing.
func Merge(text string, sets []Set) (string, []edit.Change, error) {
	var root *yaml.Node
	if strings.TrimSpace(text) == "" {
		root = &yaml.Node{Kind: yaml.MappingNode}
	} else {
		n, err := yaml.Parse(text)
		if err != nil {
			return "", nil, fmt.Errorf("cannot read the YAML: %v", err)
		}
		root = n.YNode()
		if root.Kind != yaml.MappingNode {
			return "", nil, fmt.Errorf("expected a map, got %s", edit.Short(root))
		}

	}
	flow := root.Style&yaml.FlowStyle != 0
	var changes []edit.Change
	for _, s := range sets {
		parent := root
		for i, k := range s.Path[:len(s.Path)-1] {
			child := lookup(parent, k)
			if child == nil || edit.IsNull(child) {
				m := &yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap}
				if flow {
					m.Style = yaml.FlowStyle
				}
				if child != nil {
					*child = *m
				} else {
					parent.Content = append(parent.Content, key(k, flow), m)
				}
				child = lookup(parent, k)
			}
			if child.Kind != yaml.MappingNode {
				return "", nil, fmt.Errorf("%s: expected a map, got %s", strings.Join(s.Path[:i+1], "."), edit.Short(child))
			}
			parent = child
		}
		k := s.Path[len(s.Path)-1]
		v := value(s, flow)
		old := lookup(parent, k)
		if old != nil && old.Kind == yaml.ScalarNode && s.Same(old.Value, s.Value) {
			continue
		}
		ch := edit.Change{Field: strings.Join(s.Path, "."), To: s.Value}
		if old != nil {
			ch.From = edit.Short(old)
			v.LineComment, v.HeadComment, v.FootComment = old.LineComment, old.HeadComment, old.FootComment
			*old = *v
		} else {
			parent.Content = append(parent.Content, key(k, flow), v)
		}
		changes = append(changes, ch)
	}
	if len(changes) == 0 {
		return text, nil, nil
	}
	if err := unwritable(root); err != nil {
		return "", nil, err
	}
	edit.KeepNulls(root, false)
	out, err := yaml.NewRNode(root).String()
	if err != nil {
		return "", nil, err
	}
	if flow {
		out = strings.TrimSuffix(out, "\n")
	}
	return out, changes, nil
}

// unwritable reports the first node the encoder cannot write back as it
// was read, and a ProxyConfig has no use for: an anchor or alias, or a tag
// that is not one of YAML's own (!%21 reads as "!!" and is written so).
func unwritable(n *yaml.Node) error {
	if n.Anchor != "" || n.Kind == yaml.AliasNode {
		return fmt.Errorf("YAML anchors and aliases (&, *) are not supported in a ProxyConfig annotation the function has to change; write the values out")
	}
	if n.Style&yaml.TaggedStyle != 0 {
		switch n.Tag {
		case yaml.NodeTagString, yaml.NodeTagInt, yaml.NodeTagBool, yaml.NodeTagFloat, yaml.NodeTagNull, yaml.NodeTagMap, yaml.NodeTagSeq:
		default:
			return fmt.Errorf("the YAML tag %s is not supported in a ProxyConfig annotation the function has to change; remove it", strconv.Quote(n.Tag))
		}
	}
	for _, c := range n.Content {
		if err := unwritable(c); err != nil {
			return err
		}
	}
	return nil
}

// lookup finds the value of a plain (scalar) key; a map or list used as a
// key never matches.
func lookup(m *yaml.Node, k string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Kind == yaml.ScalarNode && m.Content[i].Value == k {
			return m.Content[i+1]
		}
	}
	return nil
}

// key is a map key; in a flow (JSON) document, double-quoted.
func key(k string, flow bool) *yaml.Node {
	n := edit.Str(k)
	if flow {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

func value(s Set, flow bool) *yaml.Node {
	switch {
	case s.Bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagBool, Value: s.Value}
	case flow || s.String:
		n := edit.Str(s.Value)
		n.Style = yaml.DoubleQuotedStyle
		return n
	}
	return edit.Str(s.Value)
}
