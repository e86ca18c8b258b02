package inventory

import (
	"fmt"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// reader reads typed fields from a YAML tree and records, instead of
// panicking or guessing, every field whose type is wrong.
type reader struct {
	problems *[]Problem
	item     int
	// prefix is the path of the node the reader's paths start from.
	prefix []string
}

func newReader() *reader { return &reader{problems: &[]Problem{}} }

// at returns a reader whose paths start below prefix.
func (r *reader) at(prefix ...string) *reader {
	return &reader{problems: r.problems, item: r.item, prefix: append(append([]string{}, r.prefix...), prefix...)}
}

// Problem is a field of an input object that cannot be read.
type Problem struct {
	Item  int
	Field string
	Msg   string
}

func (r *reader) fail(path []string, format string, args ...any) {
	full := append(append([]string{}, r.prefix...), path...)
	p := Problem{Item: r.item, Field: strings.Join(full, "."), Msg: fmt.Sprintf(format, args...)}
	// Several reads walk through the same malformed node (spec: "x" is met
	// by every read below spec): report it once. An item's problems are
	// recorded together, so only those are compared.
	for i := len(*r.problems) - 1; i >= 0 && (*r.problems)[i].Item == p.Item; i-- {
		if (*r.problems)[i] == p {
			return
		}
	}
	*r.problems = append(*r.problems, p)
}

// lookup returns the value at key of a mapping node, nil when absent.
func lookup(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			v := n.Content[i+1]
			if v.Kind == yaml.AliasNode {
				return v.Alias
			}
			return v
		}
	}
	return nil
}

// The lenient readers below are for bookkeeping reads that must not fail
// (a file path for a result, labels of objects the function only looks at):
// anything absent or of another shape reads as empty.

// walk follows a path of map keys; nil when anything on the way is absent.
func walk(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		n = lookup(n, k)
	}
	return n
}

// scalar returns the text at a path of map keys.
func scalar(n *yaml.Node, keys ...string) string {
	if n = walk(n, keys...); n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// lenientSeq returns the elements of the list at a path.
func lenientSeq(n *yaml.Node, keys ...string) []*yaml.Node {
	if n = walk(n, keys...); n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}

// lenientStrings returns the string elements of the list at a path.
func lenientStrings(n *yaml.Node, keys ...string) []string {
	var out []string
	for _, e := range lenientSeq(n, keys...) {
		if e.Kind == yaml.ScalarNode {
			out = append(out, e.Value)
		}
	}
	return out
}

// lenientMap returns the string entries of the map at a path.
func lenientMap(n *yaml.Node, keys ...string) map[string]string {
	if n = walk(n, keys...); n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	out := map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		v := n.Content[i+1]
		if v.Kind == yaml.AliasNode {
			v = v.Alias
		}
		if v.Kind == yaml.ScalarNode {
			out[n.Content[i].Value] = v.Value
		}
	}
	return out
}

func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

// get walks a path of map keys; nil when a key is absent or null. A node on
// the way that is not a map is a problem.
func (r *reader) get(n *yaml.Node, path []string) *yaml.Node {
	cur := n
	for i, k := range path {
		if isNull(cur) {
			return nil
		}
		if cur.Kind != yaml.MappingNode {
			r.fail(path[:i], "expected a map, got %s", describe(cur))
			return nil
		}
		cur = lookup(cur, k)
	}
	if isNull(cur) {
		return nil
	}
	return cur
}

func (r *reader) mapAt(n *yaml.Node, path ...string) *yaml.Node {
	v := r.get(n, path)
	if v != nil && v.Kind != yaml.MappingNode {
		r.fail(path, "expected a map, got %s", describe(v))
		return nil
	}
	return v
}

func (r *reader) seqAt(n *yaml.Node, path ...string) *yaml.Node {
	v := r.get(n, path)
	if v != nil && v.Kind != yaml.SequenceNode {
		r.fail(path, "expected a list, got %s", describe(v))
		return nil
	}
	return v
}

func (r *reader) stringAt(n *yaml.Node, path ...string) string {
	v := r.get(n, path)
	if v == nil {
		return ""
	}
	if v.Kind != yaml.ScalarNode {
		r.fail(path, "expected a string, got %s", describe(v))
		return ""
	}
	return v.Value
}

// intAt reads a non-negative int32 (every count and duration the function
// reads is one in the Kubernetes API).
func (r *reader) intAt(n *yaml.Node, path ...string) *int {
	v := r.get(n, path)
	if v == nil {
		return nil
	}
	if v.Kind != yaml.ScalarNode || (v.Tag != "!!int" && v.Tag != "") {
		r.fail(path, "expected a whole number, got %s", describe(v))
		return nil
	}
	i, err := strconv.ParseInt(v.Value, 10, 64)
	if err != nil || i < 0 || i > 1<<31-1 {
		r.fail(path, "expected a whole number between 0 and 2147483647, got %q", v.Value)
		return nil
	}
	n2 := int(i)
	return &n2
}

// intOrStringAt reads an IntOrString (maxSurge, maxUnavailable) as text.
func (r *reader) intOrStringAt(n *yaml.Node, path ...string) string {
	v := r.get(n, path)
	if v == nil {
		return ""
	}
	if v.Kind != yaml.ScalarNode {
		r.fail(path, "expected a number or a percentage, got %s", describe(v))
		return ""
	}
	return v.Value
}

// stringMapAt reads a map of strings (labels, selectors, annotations).
func (r *reader) stringMapAt(n *yaml.Node, path ...string) map[string]string {
	m := r.mapAt(n, path...)
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if v.Kind == yaml.AliasNode {
			v = v.Alias
		}
		if v.Kind != yaml.ScalarNode {
			r.fail(append(append([]string{}, path...), k.Value), "expected a string, got %s", describe(v))
			continue
		}
		out[k.Value] = v.Value
	}
	return out
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a map"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!str":
			return fmt.Sprintf("the string %q", n.Value)
		case "!!bool":
			return "a boolean"
		case "!!float":
			return "the number " + n.Value
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "an unexpected value"
}
