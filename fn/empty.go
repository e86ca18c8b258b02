package fn

import (
	"bytes"
	"io"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/graceful-rollout/graceful-rollout/internal/edit"
)

// IsEmptyInput reports whether in holds no object: nothing, whitespace,
// comments, or empty documents (`---` alone, as a Helm chart that renders
// nothing gives). Input that is not valid YAML is not empty: the reader
// explains it.
func IsEmptyInput(in []byte) bool {
	if len(bytes.TrimSpace(in)) == 0 {
		return true // whitespace, tabs too (which YAML does not read)
	}
	dec := yaml.NewDecoder(bytes.NewReader(in))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err == io.EOF {
			return true
		} else if err != nil {
			return false
		}
		root := &doc
		if root.Kind == yaml.DocumentNode {
			if len(root.Content) == 0 {
				continue
			}
			root = root.Content[0]
		}
		if !edit.IsNull(root) {
			return false
		}
	}
}
