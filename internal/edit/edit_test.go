package edit

import (
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

func TestSet(t *testing.T) {
	testCases := map[string]struct {
		input, expectedOutput string
		prefix                string
		value                 *yaml.Node
		path                  []string
		change                *Change
	}{
		"new field, parents created": {
			input: `
a: 1 # one
`,
			expectedOutput: `
a: 1 # one
b:
  c:
    d: 5
`,
			value: Int(5), path: []string{"b", "c", "d"},
			change: &Change{Field: "b.c.d", To: "5"},
		},
		"prefix names the node": {
			input: `
x: 1
`,
			expectedOutput: `
x: 2
`,
			prefix: "spec.template.spec", value: Int(2), path: []string{"x"},
			change: &Change{Field: "spec.template.spec.x", From: "1", To: "2"},
		},
		"replaced in place, neighbours kept": {
			input: `
# head
a: 1
b: old # comment on b
c: 3 # comment on c
`,
			expectedOutput: `
# head
a: 1
b: new
c: 3 # comment on c
`,
			value: Str("new"), path: []string{"b"},
			change: &Change{Field: "b", From: "old", To: "new"},
		},
		"same text: no change": {
			input: `
s: {maxUnavailable: "0"}
`,
			expectedOutput: `
s: {maxUnavailable: "0"}
`,
			value: IntOrString("0"), path: []string{"s", "maxUnavailable"},
		},
		"a map replaced by a scalar": {
			input: `
a: {b: 1, c: [x, y]}
`,
			expectedOutput: `
a: 2
`,
			value: Int(2), path: []string{"a"},
			change: &Change{Field: "a", From: "{b: 1, c: [x, y]}", To: "2"},
		},
		"null value counts as unset": {
			input: `
a: null
`,
			expectedOutput: `
a: 1
`,
			value: Int(1), path: []string{"a"},
			// From is the text of the null node, not "" (absent).
			change: &Change{Field: "a", To: "1"},
		},
		"null parents are unset, replaced in place": {
			input: `
a: 1
b: # nothing yet
c: 3
`,
			expectedOutput: `
a: 1
b: # nothing yet
  x:
    y: 2
c: 3
`,
			value: Int(2), path: []string{"b", "x", "y"},
			change: &Change{Field: "b.x.y", To: "2"},
		},
		"tilde and explicit null parents": {
			input: `
s:
  strategy: ~
  other: null
`,
			expectedOutput: `
s:
  strategy:
    rollingUpdate:
      maxSurge: 1
  other: null
`,
			value: IntOrString("1"), path: []string{"s", "strategy", "rollingUpdate", "maxSurge"},
			change: &Change{Field: "s.strategy.rollingUpdate.maxSurge", To: "1"},
		},
		"a map value under a block map": {
			input: `
l:
  x: 1
`,
			expectedOutput: `
l:
  x: 1
  preStop:
    sleep:
      seconds: 3
`,
			value: &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
				Str("sleep"), {Kind: yaml.MappingNode, Content: []*yaml.Node{Str("seconds"), Int(3)}},
			}},
			path:   []string{"l", "preStop"},
			change: &Change{Field: "l.preStop", To: "{sleep: {seconds: 3}}"},
		},
		"a map value under a flow map stays flow": {
			input: `
l: {x: 1}
`,
			expectedOutput: `
l: {x: 1, preStop: {sleep: {seconds: 3}}}
`,
			value: &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
				Str("sleep"), {Kind: yaml.MappingNode, Content: []*yaml.Node{Str("seconds"), Int(3)}},
			}},
			path:   []string{"l", "preStop"},
			change: &Change{Field: "l.preStop", To: "{sleep: {seconds: 3}}"},
		},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			n := yaml.MustParse(tc.input)
			c, err := Set(n, tc.prefix, tc.value, tc.path...)
			if err != nil {
				t.Fatalf("Set: %v", err)
			}
			if (c == nil) != (tc.change == nil) || (c != nil && *c != *tc.change) {
				t.Errorf("change = %+v, want %+v", c, tc.change)
			}
			got := n.MustString()
			if strings.TrimSpace(got) != strings.TrimSpace(tc.expectedOutput) {
				t.Errorf("output:\n%s\nwant:\n%s", got, tc.expectedOutput)
			}
			if tc.value.Kind == yaml.ScalarNode {
				again, err := Set(n, tc.prefix, tc.value, tc.path...)
				if err != nil || again != nil {
					t.Errorf("second Set: %+v, %v; want no change", again, err)
				}
			}
		})
	}
}

func TestSet_Errors(t *testing.T) {
	testCases := map[string]struct {
		input string
		path  []string
		msg   string
	}{
		"parent is a list":   {input: "a: [1]\n", path: []string{"a", "b"}, msg: "p.a"},
		"parent is a scalar": {input: "a: {b: x}\n", path: []string{"a", "b", "c"}, msg: "p.a.b"},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			n := yaml.MustParse(tc.input)
			before := n.MustString()
			c, err := Set(n, "p", Int(1), tc.path...)
			if err == nil || c != nil {
				t.Fatalf("Set = %+v, %v; want an error", c, err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("err = %v, want it to name %q", err, tc.msg)
			}
			if n.MustString() != before {
				t.Errorf("a failed Set changed the node:\n%s", n.MustString())
			}
		})
	}
}

func TestIsNull(t *testing.T) {
	for in, want := range map[string]bool{"a: null": true, "a: ~": true, "a:": true, "a: 'null'": false, "a: 0": false, "a: {}": false, "a: []": false} {
		v := yaml.MustParse(in).Field("a").Value.YNode()
		if got := IsNull(v); got != want {
			t.Errorf("IsNull(%s) = %v, want %v", in, got, want)
		}
	}
	if IsNull(nil) {
		t.Error("IsNull(nil) = true")
	}
}

func TestChange_String(t *testing.T) {
	testCases := []struct {
		c    Change
		want string
	}{
		{Change{Field: "spec.minReadySeconds", To: "60"}, "spec.minReadySeconds unset -> 60"},
		{Change{Field: "spec.minReadySeconds", From: "10", To: "60"}, "spec.minReadySeconds 10 -> 60"},
	}
	for _, tc := range testCases {
		if got := tc.c.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
}

func TestNodes(t *testing.T) {
	testCases := []struct {
		n        *yaml.Node
		tag, val string
	}{
		{Int(30), yaml.NodeTagInt, "30"},
		{Str("RollingUpdate"), yaml.NodeTagString, "RollingUpdate"},
		{Str("0"), yaml.NodeTagString, "0"},
		{IntOrString("0"), yaml.NodeTagInt, "0"},
		{IntOrString("1"), yaml.NodeTagInt, "1"},
		{IntOrString("25%"), yaml.NodeTagString, "25%"},
	}
	for _, tc := range testCases {
		if tc.n.Kind != yaml.ScalarNode || tc.n.Tag != tc.tag || tc.n.Value != tc.val {
			t.Errorf("node %+v, want %s %q", tc.n, tc.tag, tc.val)
		}
	}
	// A string "0" must render quoted, an IntOrString 0 bare.
	m := yaml.NewMapRNode(nil)
	if err := m.PipeE(yaml.SetField("s", yaml.NewRNode(Str("0")))); err != nil {
		t.Fatal(err)
	}
	if err := m.PipeE(yaml.SetField("i", yaml.NewRNode(IntOrString("0")))); err != nil {
		t.Fatal(err)
	}
	if got := m.MustString(); got != "s: \"0\"\ni: 0\n" {
		t.Errorf("rendered %q", got)
	}
}

func TestShort(t *testing.T) {
	testCases := []struct {
		in, want string
	}{
		{`{exec: {command: [/bin/sh, -c, "sleep 5"]}}`, "{exec: {command: [/bin/sh, -c, sleep 5]}}"},
		{`{empty: {}, list: []}`, "{empty: {}, list: []}"},
		{`plain`, "plain"},
		{`"a\r\nb"`, `"a\r\nb"`},
		{`{k: "tab\there"}`, `{k: "tab\there"}`},
	}
	for _, tc := range testCases {
		got := Short(yaml.MustParse(tc.in).YNode())
		if got != tc.want {
			t.Errorf("Short(%s) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestKeepNulls(t *testing.T) {
	testCases := []struct {
		name, input, expectedOutput string
		rootKeys                    bool
	}{
		{name: "flow map entry without a value", input: "a: {preStop}\n", expectedOutput: "a: {preStop: null}\n"},
		{name: "flow map entry with an empty value", input: "a: {b: , c: 1}\n", expectedOutput: "a: {b: null, c: 1}\n"},
		{name: "inside a flow list", input: "a: [{b: }]\n", expectedOutput: "a: [{b: null}]\n"},
		{name: "block null stays empty", input: "a:\nb: {c: ~}\n", expectedOutput: "a:\nb: {c: ~}\n"},
		{name: "empty quoted string stays a string", input: "a: {b: ''}\n", expectedOutput: "a: {b: ''}\n"},
		{name: "empty key below the root", input: "a:\n  ? \n  : 1\n", expectedOutput: "a:\n  null: 1\n"},
		{name: "empty key of the root kept without rootKeys", input: "? \n: 1\n", expectedOutput: "'': 1\n"},
		{name: "empty key of the root spelled with rootKeys", input: "? \n: 1\n", expectedOutput: "null: 1\n", rootKeys: true},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			n := yaml.MustParse(tc.input)
			KeepNulls(n.YNode(), tc.rootKeys)
			out, err := n.String()
			if err != nil {
				t.Fatal(err)
			}
			if out != tc.expectedOutput {
				t.Errorf("got\n%s\nwant\n%s", out, tc.expectedOutput)
			}
			// What is written reads back with the same values.
			if !sameValues(yaml.MustParse(out).YNode(), yaml.MustParse(tc.input).YNode()) && !strings.HasPrefix(tc.name, "empty key of the root kept") {
				t.Errorf("the values changed: %q -> %q", tc.input, out)
			}
		})
	}
}

// sameValues compares two YAML trees by kind, tag and value, whichever way
// a null is spelled.
func sameValues(a, b *yaml.Node) bool {
	if a.Kind != b.Kind || a.Tag != b.Tag || (a.Tag != yaml.NodeTagNull && a.Value != b.Value) || len(a.Content) != len(b.Content) {
		return false
	}
	for i := range a.Content {
		if !sameValues(a.Content[i], b.Content[i]) {
			return false
		}
	}
	return true
}
