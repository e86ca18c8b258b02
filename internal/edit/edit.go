// Package edit holds the small YAML edits every transformer makes, each one
// reported as a Change so that results (and audit mode) can list them.
package edit

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Change is one field a transformer set.
type Change struct {
	// Field is the path, e.g. spec.template.spec.terminationGracePeriodSeconds.
	Field string
	// From is the value before ("" when absent); To the value after.
	From, To string
}

func (c Change) String() string {
	if c.From == "" && strings.HasPrefix(c.To, "+") {
		return c.Field + " " + c.To
	}
	from := c.From
	if from == "" {
		from = "unset"
	}
	return fmt.Sprintf("%s %s -> %s", c.Field, from, c.To)
}

// Int is a scalar node holding a whole number.
func Int(v int) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagInt, Value: strconv.Itoa(v)}
}

// Str is a scalar node holding a string.
func Str(v string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagString, Value: v}
}

// IntOrString is a scalar node for an IntOrString field ("0", "25%").
func IntOrString(v string) *yaml.Node {
	if _, err := strconv.Atoi(v); err == nil {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagInt, Value: v}
	}
	return Str(v)
}

// Set puts value at path (map keys; missing or null maps on the way are
// created in place) unless the scalar already there has the same text, and
// reports the change. prefix is the path of node itself, for the report.
// It edits the node tree directly: keys it does not touch keep their order
// and comments.
func Set(node *yaml.RNode, prefix string, value *yaml.Node, path ...string) (*Change, error) {
	cur := node.YNode()
	for i, k := range path[:len(path)-1] {
		if cur.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("%s: expected a map", join(prefix, path[:i]))
		}
		next := Field(cur, k)
		switch {
		case next == nil:
			next = &yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap}
			cur.Content = append(cur.Content, Str(k), next)
		case IsNull(next):
			// "lifecycle:" with nothing after it: the API reads null as unset.
			next.Kind, next.Tag, next.Value, next.Style = yaml.MappingNode, yaml.NodeTagMap, "", 0
		}
		cur = next
	}
	if cur.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: expected a map", join(prefix, path[:len(path)-1]))
	}
	key := path[len(path)-1]
	from := ""
	for i := 0; i+1 < len(cur.Content); i += 2 {
		if cur.Content[i].Value != key {
			continue
		}
		old := cur.Content[i+1]
		if old.Kind == yaml.ScalarNode && value.Kind == yaml.ScalarNode && old.Value == value.Value {
			return nil, nil
		}
		if !IsNull(old) {
			from = Short(old)
		}
		cur.Content[i+1] = value
		return &Change{Field: join(prefix, path), From: from, To: Short(value)}, nil
	}
	cur.Content = append(cur.Content, Str(key), value)
	return &Change{Field: join(prefix, path), To: Short(value)}, nil
}

// Field returns the value of key in a mapping node; nil when absent or when
// m is not a mapping.
func Field(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// Same compares two YAML trees by value, ignoring style and comments.
func Same(a, b *yaml.Node) bool {
	if a.Kind != b.Kind || a.Value != b.Value || len(a.Content) != len(b.Content) {
		return false
	}
	for i := range a.Content {
		if !Same(a.Content[i], b.Content[i]) {
			return false
		}
	}
	return true
}

// IsNull reports a null scalar (null, ~ or nothing after the key).
func IsNull(n *yaml.Node) bool {
	return n != nil && n.Kind == yaml.ScalarNode && n.Tag == yaml.NodeTagNull
}

// KeepNulls spells out as null the empty nulls ({a: }, {a}, and an empty
// key) that the YAML encoder would write back as an empty single-quoted
// string, which reads as a string, not null: those inside a flow (JSON) map or
// list, and empty keys. With rootKeys false the keys of n itself stay as
// written.
func KeepNulls(n *yaml.Node, rootKeys bool) {
	keepNulls(n, false, rootKeys, true)
}

func keepNulls(n *yaml.Node, flow, rootKeys, root bool) {
	flow = flow || (n.Kind != yaml.ScalarNode && n.Style&yaml.FlowStyle != 0)
	for i, c := range n.Content {
		key := n.Kind == yaml.MappingNode && i%2 == 0
		if key && root && !rootKeys {
			continue
		}
		if c.Kind == yaml.ScalarNode {
			if (flow || key) && c.Value == "" && c.Tag == yaml.NodeTagNull {
				c.Value = "null"
			}
			continue
		}
		keepNulls(c, flow, rootKeys, false)
	}
}

// Short renders a node on one line for reports: {sleep: {seconds: 20}}.
func Short(n *yaml.Node) string {
	switch n.Kind {
	case yaml.ScalarNode:
		if strings.IndexFunc(n.Value, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
			return strconv.Quote(n.Value) // a line break or control character: one line
		}
		return n.Value
	case yaml.AliasNode:
		return "*" + n.Value
	case yaml.SequenceNode:
		parts := make([]string, len(n.Content))
		for i, e := range n.Content {
			parts[i] = Short(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case yaml.MappingNode:
		parts := make([]string, 0, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			parts = append(parts, n.Content[i].Value+": "+Short(n.Content[i+1]))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return ""
}

func join(prefix string, path []string) string {
	parts := append([]string{}, path...)
	if prefix != "" {
		parts = append([]string{prefix}, parts...)
	}
	return strings.Join(parts, ".")
}
