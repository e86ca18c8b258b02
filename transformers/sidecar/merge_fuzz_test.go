package sidecar

import (
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// FuzzMerge fuzzes the proxy.istio.io/config merge: the user's annotation
// text (YAML or JSON, any shape) and what the plan sets (drain seconds,
// EXIT_ON_ZERO_ACTIVE_CONNECTIONS with a minimum drain, hold).
//
// Invariants: Merge never panics; on success every set holds in the output,
// every top-level key it does not set keeps its value, the output is a map
// (JSON stays one line), and merging the output again changes nothing.
func FuzzMerge(f *testing.F) {
	for _, s := range []string{
		"",
		"terminationDrainDuration: 5s\n",
		"# drain\nterminationDrainDuration: 30s # keep\nholdApplicationUntilProxyStarts: false\n",
		`{"terminationDrainDuration": "10s", "proxyMetadata": {"ISTIO_META_DNS_CAPTURE": "true"}}`,
		"proxyMetadata:\n  EXIT_ON_ZERO_ACTIVE_CONNECTIONS: 'false'\n  MINIMUM_DRAIN_DURATION: 1m\n",
		"proxyMetadata: null\nconcurrency: 2\n",
		"proxyMetadata: [a]\n",
		"- a\n- b\n",
		"just text",
		"a: &x {b: *x}\n",
		"terminationDrainDuration: [5s]\n",
		"{\"a\": 1,}",
		"tracing:\n  zipkin: {address: zipkin:9411}\nterminationDrainDuration: 1m30s\n",
	} {
		f.Add(s, uint16(25), false, uint16(0), true)
		f.Add(s, uint16(0), true, uint16(20), false)
	}
	f.Fuzz(func(t *testing.T, text string, drain uint16, exitOnZero bool, minDrain uint16, hold bool) {
		// The sets Filter.Apply makes.
		var sets []Set
		if exitOnZero {
			sets = append(sets, Set{Path: []string{"proxyMetadata", "EXIT_ON_ZERO_ACTIVE_CONNECTIONS"}, Value: "true", String: true, Same: sameFold})
			if minDrain > 0 {
				sets = append(sets, Set{Path: []string{"proxyMetadata", "MINIMUM_DRAIN_DURATION"}, Value: seconds(int(minDrain)), String: true, Same: sameDuration})
			}
		} else if drain > 0 {
			sets = append(sets, Set{Path: []string{"terminationDrainDuration"}, Value: seconds(int(drain)), Same: sameDuration})
		}
		if hold {
			sets = append(sets, Set{Path: []string{"holdApplicationUntilProxyStarts"}, Value: "true", Bool: true, Same: sameFold})
		}
		out, changes, err := Merge(text, sets)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\r") {
				t.Fatalf("an error message with a carriage return: %q", err)
			}
			return
		}
		if len(changes) == 0 {
			if out != text {
				t.Fatalf("no change, yet the text changed:\n%q\n%q", text, out)
			}
		}
		if len(changes) > 0 || strings.TrimSpace(out) != "" {
			root := parseMap(t, out)
			for _, s := range sets {
				n := root
				for _, k := range s.Path {
					n = lookup(n, k)
					if n == nil {
						t.Fatalf("%s missing from the merged text:\n%s", strings.Join(s.Path, "."), out)
					}
				}
				if n.Kind != yaml.ScalarNode || !s.Same(n.Value, s.Value) {
					t.Fatalf("%s is %q, want %q:\n%s", strings.Join(s.Path, "."), n.Value, s.Value, out)
				}
			}
			if strings.TrimSpace(text) != "" {
				before := parseMap(t, text)
				touched := map[string]bool{}
				for _, s := range sets {
					touched[s.Path[0]] = true
				}
				count := map[string]int{}
				for i := 0; i+1 < len(before.Content); i += 2 {
					count[before.Content[i].Value]++
				}
				for i := 0; i+1 < len(before.Content); i += 2 {
					k := before.Content[i].Value
					if touched[k] || before.Content[i].Kind != yaml.ScalarNode || count[k] > 1 {
						continue // a key that is a map or a list, or that two keys spell
					}
					if a, b := render(before.Content[i+1]), render(lookup(root, k)); a != b {
						t.Fatalf("key %s changed from %s to %s", k, a, b)
					}
				}
				if before.Style&yaml.FlowStyle != 0 && strings.Contains(out, "\n") && !strings.Contains(text, "\n") {
					t.Fatalf("a one-line JSON document became several lines:\n%s", out)
				}
			}
		}
		again, changes2, err := Merge(out, sets)
		if err != nil {
			t.Fatalf("merging the merged text fails: %v\n%s", err, out)
		}
		if len(changes2) > 0 || again != out {
			t.Fatalf("merging again changes %v:\n%s\n---\n%s", changes2, out, again)
		}
	})
}

func parseMap(t *testing.T, text string) *yaml.Node {
	t.Helper()
	n, err := yaml.Parse(text)
	if err != nil {
		t.Fatalf("the text does not parse: %v\n%s", err, text)
	}
	if n.YNode().Kind != yaml.MappingNode {
		t.Fatalf("not a map:\n%s", text)
	}
	return n.YNode()
}

// render is a node's value as YAML, comments left out.
func render(n *yaml.Node) string {
	if n == nil {
		return "<absent>"
	}
	c := yaml.CopyYNode(n)
	var strip func(*yaml.Node)
	strip = func(n *yaml.Node) {
		n.HeadComment, n.LineComment, n.FootComment = "", "", ""
		n.Style = 0
		if n.Kind == yaml.ScalarNode && n.Tag == yaml.NodeTagNull {
			n.Value = "null" // ~, null, or nothing at all
		}
		for i, k := range n.Content {
			strip(k)
			if n.Kind == yaml.MappingNode && i%2 == 0 && k.Kind == yaml.ScalarNode && (k.Tag == yaml.NodeTagNull || k.Value == "") {
				// An empty key: whether null or "" is not worth a difference
				// (no ProxyConfig field is spelled so).
				k.Tag, k.Value = yaml.NodeTagString, ""
			}
		}
	}
	strip(c)
	s, err := yaml.NewRNode(c).String()
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return strconv.Quote(s)
}
