package companion

import (
	"strconv"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/graceful-rollout/graceful-rollout/fn/inventory"
	"github.com/graceful-rollout/graceful-rollout/internal/edit"
)

// NameSuffix ends the name of every object the function adds, after the
// name of the object it serves (a Service or a workload): a second run finds
// the object by that name and its managed-by label, and updates it.
const NameSuffix = "-graceful-rollout"

// ObjectName is the name of the companion object of an object named base,
// within the 253 characters of a DNS subdomain.
func ObjectName(base string) string {
	const maxLen = 253
	if len(base)+len(NameSuffix) > maxLen {
		base = base[:maxLen-len(NameSuffix)]
	}
	return base + NameSuffix
}

// NewObject starts a new object with the managed-by label; the caller adds
// its spec.
func NewObject(apiVersion, kind, namespace, name string) *yaml.RNode {
	n := yaml.NewMapRNode(nil)
	set := func(v *yaml.Node, path ...string) {
		// Setting scalars into a fresh map cannot fail.
		_, _ = edit.Set(n, "", v, path...)
	}
	set(edit.Str(apiVersion), "apiVersion")
	set(edit.Str(kind), "kind")
	set(edit.Str(name), "metadata", "name")
	if namespace != "" {
		set(edit.Str(namespace), "metadata", "namespace")
	}
	set(edit.Str(inventory.ManagedBy), "metadata", "labels", inventory.ManagedByLabel)
	return n
}

// Path and index annotations say where in a package an object lives (kpt;
// the SDK keeps both the current and the legacy keys).
var (
	pathAnnotations  = []string{"internal.config.kubernetes.io/path", "config.kubernetes.io/path"}
	indexAnnotations = []string{"internal.config.kubernetes.io/index", "config.kubernetes.io/index"}
)

// Place puts a new object at the end of the file of the object it serves,
// so that kpt writes it there (and a diff of the package shows it): the
// file's path, and an index after every object already in the file.
func (c *Context) Place(n *yaml.RNode, o *inventory.Object) {
	if o == nil || o.Node == nil || o.Path == "" {
		return
	}
	if c.serving.nextIndex == nil {
		c.serving.nextIndex = map[string]int{}
		for _, obj := range c.Index.Objects {
			if obj.Path == "" || obj.Node == nil {
				continue
			}
			i, err := strconv.Atoi(obj.Node.GetAnnotations()[indexAnnotations[0]])
			if err != nil {
				i, _ = strconv.Atoi(obj.Node.GetAnnotations()[indexAnnotations[1]])
			}
			c.serving.nextIndex[obj.Path] = max(c.serving.nextIndex[obj.Path], i+1)
		}
	}
	ann := o.Node.GetAnnotations()
	index := strconv.Itoa(c.serving.nextIndex[o.Path])
	c.serving.nextIndex[o.Path]++
	for i, k := range pathAnnotations {
		if v, ok := ann[k]; ok {
			_, _ = edit.Set(n, "", edit.Str(v), "metadata", "annotations", k)
			_, _ = edit.Set(n, "", edit.Str(index), "metadata", "annotations", indexAnnotations[i])
		}
	}
}
