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
// read, anywhere in an object.
func checkYAML(r *reader, n *yaml.Node, path []string) {
	switch n.Kind {
	case yaml.MappingNode:
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Tag == "!!merge" || (k.Value == "<<" && k.Style == 0 && k.Tag != "!!str") {
				r.fail(path, "a YAML merge key (<<) inherits fields this function does not read (a preStop or a probe would be overlooked); write the fields out")
				continue
			}
			if seen[k.Value] {
				r.fail(append(append([]string{}, path...), k.Value), "duplicate key: YAML forbids it and readers differ (the API server keeps the last, strict clients refuse the object); keep one")
			}
			seen[k.Value] = true
			checkYAML(r, v, append(append([]string{}, path...), k.Value))
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := append([]string{}, path...)
			if len(p) > 0 {
				p[len(p)-1] += "[" + strconv.Itoa(i) + "]"
			} else {
				p = append(p, "["+strconv.Itoa(i)+"]")
			}
			checkYAML(r, c, p)
		}
	case yaml.DocumentNode:
		for _, c := range n.Content {
			checkYAML(r, c, path)
		}
	}
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
	if walk(y, "spec", "minAvailable") != nil && walk(y, "spec", "maxUnavailable") != nil &&
		scalar(y, "spec", "minAvailable") != "" && scalar(y, "spec", "maxUnavailable") != "" {
		r.fail([]string{"spec"}, "sets both minAvailable and maxUnavailable, which the API server rejects: it is not counted as the pods' budget; keep one")
		return false
	}
	return true
}
