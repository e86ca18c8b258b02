package inventory

import (
	"strconv"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Input that YAML, the API server or this function would read differently is
// refused by name, never guessed at.

// checkYAML reports duplicate mapping keys (YAML forbids them; decoders
// differ: the API server keeps the last, strict clients refuse) and YAML
// merge keys (<<: *base), whose inherited fields this function does not
// read, anywhere in an object. It walks with one reused stack of steps; a
// finding's path is rendered only then.
func checkYAML(r *reader, n *yaml.Node) {
	w := yamlWalk{r: r}
	w.walk(n)
}

type yamlWalk struct {
	r     *reader
	steps []yamlStep
}

// yamlStep is one key (index -1) or list index on the way down.
type yamlStep struct {
	key   string
	index int
}

func (w *yamlWalk) walk(n *yaml.Node) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			w.walk(c)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if c.Kind == yaml.MappingNode || c.Kind == yaml.SequenceNode {
				w.steps = append(w.steps, yamlStep{index: i})
				w.walk(c)
				w.steps = w.steps[:len(w.steps)-1]
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Tag == "!!merge" || (k.Value == "<<" && k.Style == 0 && k.Tag != "!!str") {
				w.r.fail(w.path(), "a YAML merge key (<<) inherits fields this function does not read (a preStop or a probe would be overlooked); write the fields out")
				continue
			}
			w.steps = append(w.steps, yamlStep{key: k.Value, index: -1})
			for j := 0; j < i; j += 2 {
				if n.Content[j].Value == k.Value {
					w.r.fail(w.path(), "duplicate key: YAML forbids it and readers differ (the API server keeps the last, strict clients refuse the object); keep one")
					break
				}
			}
			if v.Kind == yaml.MappingNode || v.Kind == yaml.SequenceNode {
				w.walk(v)
			}
			w.steps = w.steps[:len(w.steps)-1]
		}
	}
}

// path renders the steps as reader paths: keys, with [i] on the key of a
// list.
func (w *yamlWalk) path() []string {
	var out []string
	for _, s := range w.steps {
		if s.index < 0 {
			out = append(out, s.key)
			continue
		}
		idx := "[" + strconv.Itoa(s.index) + "]"
		if len(out) > 0 {
			out[len(out)-1] += idx
		} else {
			out = append(out, idx)
		}
	}
	return out
}

// checkPodTemplate reports what the API server rejects in a pod template:
// no containers, and two containers (or init containers) of one name.
func checkPodTemplate(r *reader, pod *yaml.Node) {
	if pod == nil || pod.Kind != yaml.MappingNode {
		return
	}
	cs := lookup(pod, "containers")
	if cs == nil || (cs.Kind == yaml.SequenceNode && len(cs.Content) == 0) || cs.Tag == yaml.NodeTagNull {
		r.fail([]string{"spec", "template", "spec", "containers"}, "a pod template needs at least one container (the API server rejects it)")
		return
	}
	seen := map[string]string{}
	for _, list := range []string{"initContainers", "containers"} {
		for i, c := range lenientSeq(pod, list) {
			name := scalar(c, "name")
			if name == "" {
				continue
			}
			field := list + "[" + strconv.Itoa(i) + "]"
			if first, ok := seen[name]; ok {
				r.fail([]string{"spec", "template", "spec", field, "name"}, "container name %q is also %s: names must be unique in a pod (the API server rejects it)", name, first)
				continue
			}
			seen[name] = field
		}
	}
}

// checkPDB reports a budget the API server rejects: policy/v1 allows one of
// minAvailable and maxUnavailable (pkg/apis/policy/validation:
// "minAvailable and maxUnavailable cannot be both set"). It is not read as
// the pods' budget.
func checkPDB(r *reader, y *yaml.Node) bool {
	if scalar(y, "spec", "minAvailable") != "" && scalar(y, "spec", "maxUnavailable") != "" {
		r.fail([]string{"spec"}, "sets both minAvailable and maxUnavailable, which the API server rejects: it is not counted as the pods' budget; keep one")
		return false
	}
	return true
}
