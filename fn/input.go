package fn

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/graceful-rollout/graceful-rollout/internal/edit"
)

// ExplainInputError turns an error of the SDK's ResourceList reader into
// one line that says what is wrong with the input and where. It is only
// called when reading has failed, so the happy path parses the input once.
func ExplainInputError(in []byte, err error) error {
	var idErr *idError
	if errors.As(err, &idErr) {
		return explainIDError(in, idErr)
	}
	if len(bytes.TrimSpace(in)) == 0 {
		return errors.New("input: empty: expected a ResourceList (apiVersion: config.kubernetes.io/v1, kind: ResourceList) on stdin")
	}
	var docs []*yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(in))
	for {
		var n yaml.Node
		if derr := dec.Decode(&n); derr == io.EOF {
			break
		} else if derr != nil {
			return fmt.Errorf("input: not valid YAML: %s", oneLine(derr.Error()))
		}
		docs = append(docs, &n)
	}
	switch {
	case len(docs) == 0:
		return errors.New("input: no YAML document: expected a ResourceList (apiVersion: config.kubernetes.io/v1, kind: ResourceList) on stdin")
	case len(docs) > 1:
		return fmt.Errorf("input: %d YAML documents: expected exactly one, a ResourceList", len(docs))
	}
	root := docs[0]
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("input: %s: expected a ResourceList object", shape(root))
	}
	if k := edit.Field(root, "kind"); k == nil || k.Kind != yaml.ScalarNode || k.Value != kio.ResourceListKind {
		what := "no kind"
		if k != nil {
			what = "kind is " + shape(k)
		}
		return fmt.Errorf("input: %s: expected kind ResourceList (apiVersion: config.kubernetes.io/v1)", what)
	}
	if fc := edit.Field(root, "functionConfig"); fc != nil && fc.Kind != yaml.MappingNode && !edit.IsNull(fc) {
		return fmt.Errorf("input: functionConfig: expected an object, got %s", shape(fc))
	}
	if items := edit.Field(root, "items"); items != nil {
		if edit.IsNull(items) {
			return errors.New("input: items: null: expected a list of objects (items: [] when there are none)")
		}
		if items.Kind != yaml.SequenceNode {
			return fmt.Errorf("input: items: expected a list of objects, got %s", shape(items))
		}
		for i, it := range items.Content {
			if it.Kind != yaml.MappingNode {
				return fmt.Errorf("input: items[%d]: expected an object, got %s", i, shape(it))
			}
		}
	}
	return fmt.Errorf("input: %s", oneLine(err.Error()))
}

// explainIDError says why the SDK cannot read an item's identifying field:
// the first alias on the way to it.
func explainIDError(in []byte, e *idError) error {
	const why = "apiVersion, kind, metadata, metadata.name and metadata.namespace must be written out: the SDK reads no alias there"
	var root yaml.Node
	if yaml.Unmarshal(in, &root) == nil && root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		n, path := edit.Field(root.Content[0], "items"), fmt.Sprintf("items[%d]", e.Item)
		if n != nil && n.Kind == yaml.SequenceNode && e.Item < len(n.Content) {
			n = n.Content[e.Item]
			for _, key := range strings.Split(e.Field, ".") {
				if n = edit.Field(n, key); n == nil {
					break
				}
				path += "." + key
				if n.Kind == yaml.AliasNode {
					return fmt.Errorf("input: %s: %s: %s", path, shape(n), why)
				}
			}
		}
	}
	return fmt.Errorf("input: %s: %s", e, why)
}

// shape describes a node in a few words, for messages.
func shape(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a map"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias (*" + n.Value + ")"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		v := n.Value
		if len(v) > 40 {
			v = v[:40] + "..."
		}
		return fmt.Sprintf("%q", v)
	}
	return "an empty document"
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
