package lbpolicy

import (
	"encoding/json"
	"fmt"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/graceful-rollout/graceful-rollout/internal/edit"
)

// Kept is a value the user wrote that a filter left alone (mode default).
type Kept struct {
	Field string
	// Value is what is there; Want what the plan asked for.
	Value, Want string
}

// Fill sets Value at Path when nothing is there, or when Overwrite. A
// different value already there is kept (and returned) otherwise.
type Fill struct {
	Path      []string
	Value     *yaml.Node
	Overwrite bool
}

// Apply edits n in place.
func (f Fill) Apply(n *yaml.RNode) ([]edit.Change, []Kept, error) {
	if cur := at(n.YNode(), f.Path...); cur != nil && !edit.IsNull(cur) {
		if cur.Kind == yaml.ScalarNode && cur.Value == f.Value.Value {
			return nil, nil, nil
		}
		if !f.Overwrite {
			return nil, []Kept{{Field: strings.Join(f.Path, "."), Value: edit.Short(cur), Want: edit.Short(f.Value)}}, nil
		}
	}
	unflow(n.YNode(), f.Path...)
	c, err := set(n, f.Value, f.Path...)
	if err != nil || c == nil {
		return nil, nil, err
	}
	return []edit.Change{*c}, nil, nil
}

// unflow writes the empty flow maps ({}) on a path in block style, so that
// what is added to them reads like the rest of the object.
func unflow(n *yaml.Node, keys ...string) {
	for _, k := range keys {
		if n == nil || n.Kind != yaml.MappingNode {
			return
		}
		if n.Style&yaml.FlowStyle != 0 && len(n.Content) == 0 {
			n.Style &^= yaml.FlowStyle
		}
		n = at(n, k)
	}
	if n != nil && n.Kind == yaml.MappingNode && n.Style&yaml.FlowStyle != 0 && len(n.Content) == 0 {
		n.Style &^= yaml.FlowStyle
	}
}

// set is edit.Set keeping the comment on the line of a scalar it replaces.
func set(n *yaml.RNode, value *yaml.Node, path ...string) (*edit.Change, error) {
	if cur := at(n.YNode(), path...); cur != nil && cur.Kind == yaml.ScalarNode && value.Kind == yaml.ScalarNode {
		v := *value
		v.LineComment = cur.LineComment
		value = &v
	}
	return edit.Set(n, "", value, path...)
}

// Annotation is the path of an annotation.
func Annotation(key string) []string { return []string{"metadata", "annotations", key} }

// at walks map keys; nil when absent or not a map on the way.
func at(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
			}
		}
		n = next
	}
	return n
}

// Attributes merges one key=value into an AWS Load Balancer Controller
// stringMap annotation ("k1=v1,k2=v2"), keeping every other pair in its
// order. The controller splits the value on commas, trims each part and
// splits it at the first "=" (aws-load-balancer-controller
// pkg/annotations/parser.go ParseStringMapAnnotation); so does this.
type Attributes struct {
	Annotation, Key, Value string
	Overwrite              bool
}

type pair struct{ k, v string }

func parseStringMap(raw string) ([]pair, error) {
	var out []pair
	for _, part := range strings.Split(raw, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		kv := strings.SplitN(part, "=", 2)
		if len(kv) != 2 || kv[0] == "" {
			return nil, fmt.Errorf("%q is not a list of key=value pairs", raw)
		}
		out = append(out, pair{kv[0], kv[1]})
	}
	return out, nil
}

// Apply edits n in place.
func (f Attributes) Apply(n *yaml.RNode) ([]edit.Change, []Kept, error) {
	path := Annotation(f.Annotation)
	raw := ""
	if cur := at(n.YNode(), path...); cur != nil && cur.Kind == yaml.ScalarNode {
		raw = cur.Value
	}
	pairs, err := parseStringMap(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("metadata.annotations.%s: %v", f.Annotation, err)
	}
	found := false
	for i, p := range pairs {
		if p.k != f.Key {
			continue
		}
		found = true
		if p.v == f.Value {
			return nil, nil, nil
		}
		if !f.Overwrite {
			return nil, []Kept{{Field: strings.Join(path, ".") + "[" + f.Key + "]", Value: p.v, Want: f.Value}}, nil
		}
		pairs[i].v = f.Value
	}
	if !found {
		pairs = append(pairs, pair{f.Key, f.Value})
	}
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		parts[i] = p.k + "=" + p.v
	}
	c, err := set(n, edit.Str(strings.Join(parts, ",")), path...)
	if err != nil || c == nil {
		return nil, nil, err
	}
	return []edit.Change{*c}, nil, nil
}

// JSONKey sets one key of a JSON-object annotation (cloud.google.com/neg,
// cloud.google.com/backend-config), keeping the other keys. The result is
// compact JSON with sorted keys.
type JSONKey struct {
	Annotation, Key string
	Value           any
	Overwrite       bool
}

// Apply edits n in place.
func (f JSONKey) Apply(n *yaml.RNode) ([]edit.Change, []Kept, error) {
	path := Annotation(f.Annotation)
	obj := map[string]json.RawMessage{}
	if cur := at(n.YNode(), path...); cur != nil && cur.Kind == yaml.ScalarNode && strings.TrimSpace(cur.Value) != "" {
		if err := json.Unmarshal([]byte(cur.Value), &obj); err != nil {
			return nil, nil, fmt.Errorf("metadata.annotations.%s: %q is not a JSON object", f.Annotation, cur.Value)
		}
	}
	want, err := json.Marshal(f.Value)
	if err != nil {
		return nil, nil, err
	}
	if have, ok := obj[f.Key]; ok {
		if jsonEqual(have, want) {
			return nil, nil, nil
		}
		if !f.Overwrite {
			return nil, []Kept{{Field: strings.Join(path, ".") + "[" + f.Key + "]", Value: string(have), Want: string(want)}}, nil
		}
	}
	obj[f.Key] = want
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, nil, err
	}
	v := edit.Str(string(b))
	v.Style = yaml.SingleQuotedStyle // JSON reads best in single quotes
	c, err := set(n, v, path...)
	if err != nil || c == nil {
		return nil, nil, err
	}
	return []edit.Change{*c}, nil, nil
}

func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return string(xb) == string(yb)
}

// apply runs filters in order and collects what they changed and kept.
func apply(n *yaml.RNode, fs ...interface {
	Apply(*yaml.RNode) ([]edit.Change, []Kept, error)
}) ([]edit.Change, []Kept, error) {
	var changes []edit.Change
	var kept []Kept
	for _, f := range fs {
		c, k, err := f.Apply(n)
		if err != nil {
			return nil, nil, err
		}
		changes = append(changes, c...)
		kept = append(kept, k...)
	}
	return changes, kept, nil
}
