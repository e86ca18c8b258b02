package fn

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	kfn "github.com/kptdev/krm-functions-sdk/go/fn"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/graceful-rollout/graceful-rollout/internal/edit"
)

// IsResourceList reports whether the first YAML document of in is an object
// of kind ResourceList: the input of a KRM function (kpt, kustomize), which
// Main handles. Anything else is a plain stream of manifests (Stream).
func IsResourceList(in []byte) bool {
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(in)).Decode(&doc); err != nil {
		return false
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return false
	}
	k := edit.Field(root, "kind")
	return k != nil && k.Kind == yaml.ScalarNode && k.Value == kio.ResourceListKind
}

// Stream runs process as a filter on a plain multi-document YAML stream (a
// Helm post-renderer: `helm template --post-renderer graceful-rollout
// --post-renderer-args profile=gke-neg`). The functionConfig comes from
// args: `key=value` pairs make a ConfigMap, as `kpt fn eval -- key=value`
// does; a single argument without `=` names a file that holds a typed
// GracefulRollout or a ConfigMap. The objects come out on stdout in the
// order they came in, new ones after them; the results go to stderr, one
// line each. On any error nothing is written to stdout and the returned
// error says how many results were errors.
func Stream(in []byte, args []string, stdout, stderr io.Writer, process kfn.ResourceListProcessorFunc) error {
	_, err := StreamResults(in, args, stdout, stderr, process)
	return err
}

// StreamResults is Stream that also returns the ResourceList of the run
// (its functionConfig and results, for a report; nil when the arguments
// could not be read) and the file each object came from, where Helm's
// "# Source:" comment names it.
func StreamResults(in []byte, args []string, stdout, stderr io.Writer, process kfn.ResourceListProcessorFunc) (*StreamRun, error) {
	fc, err := streamConfig(args)
	if err != nil {
		return nil, fmt.Errorf("graceful-rollout: %v", err)
	}
	run := &StreamRun{RL: &kfn.ResourceList{FunctionConfig: fc}, Files: map[string]string{}}
	return run, stream(in, run, stdout, stderr, process)
}

// StreamRun is what StreamResults returns.
type StreamRun struct {
	RL    *kfn.ResourceList
	Files map[string]string
}

func stream(in []byte, run *StreamRun, stdout, stderr io.Writer, process kfn.ResourceListProcessorFunc) error {
	nodes, err := streamObjects(in)
	if err != nil {
		return fmt.Errorf("graceful-rollout: input: %v", err)
	}
	for _, n := range nodes {
		c := n.YNode().HeadComment
		if len(n.YNode().Content) > 0 {
			c += "\n" + n.YNode().Content[0].HeadComment
		}
		if src := sourceComment(c); src != "" {
			run.Files[objectID(&kfn.ResourceRef{Kind: n.GetKind(), Namespace: n.GetNamespace(), Name: n.GetName()})] = src
		}
	}
	raw := rawDocuments(in, nodes)
	rl := run.RL
	rl.Items = make(kfn.KubeObjects, len(nodes))
	_, _, quiet := ReportOptions(rl)
	for i, n := range nodes {
		rl.Items[i] = kfn.MoveToKubeObject(n)
	}
	if _, err := itemIDs(rl.Items); err != nil {
		var idErr *idError
		if errors.As(err, &idErr) {
			return fmt.Errorf("graceful-rollout: input: document %d: %s: an alias: apiVersion, kind, metadata, metadata.name and metadata.namespace must be written out", idErr.Item+1, idErr.Field)
		}
		return fmt.Errorf("graceful-rollout: input: %v", err)
	}
	ok, perr := process(rl)
	errs := 0
	for _, r := range rl.Results {
		if r.Severity == kfn.Error {
			errs++
		}
		if quiet && r.Severity != kfn.Error && r.Severity != kfn.Warning {
			continue
		}
		fmt.Fprintf(stderr, "graceful-rollout: %s\n", oneLine(r.String()))
	}
	switch {
	case perr != nil && errs == 0:
		return fmt.Errorf("graceful-rollout: %v", strings.TrimSpace(perr.Error()))
	case perr != nil || !ok || errs > 0:
		return fmt.Errorf("graceful-rollout: %d error(s); nothing written", errs)
	}
	out := make([]*yaml.RNode, len(rl.Items))
	for i, o := range rl.Items {
		out[i] = o.MoveToResourceNode()
	}
	if len(out) == 0 {
		// Nothing rendered: no object to write, but a line that says so,
		// because Helm 4 refuses a post-renderer's empty output
		// (pkg/postrenderer: "produced empty output").
		_, err = io.WriteString(stdout, EmptyStreamOutput)
		return err
	}
	// Lists are indented as the input indents them (Helm charts mostly
	// indent them under their key).
	var buf bytes.Buffer
	wide := yaml.DeriveSeqIndentStyle(string(in)) == string(yaml.WideSequenceStyle)
	// An object the function did not change comes out as it went in (its
	// comments, indentation and quoting); the others are encoded.
	for i, n := range out {
		if i > 0 {
			buf.WriteString("---\n")
		}
		if text, ok := raw[n.YNode()]; ok {
			buf.WriteString(text)
			continue
		}
		var one bytes.Buffer
		enc := yaml.NewEncoder(&one)
		if wide {
			enc.DefaultSeqIndent()
		} else {
			enc.CompactSeqIndent()
		}
		if err := enc.Encode(n.Document()); err != nil {
			return fmt.Errorf("graceful-rollout: writing the output: %v", err)
		}
		if err := enc.Close(); err != nil {
			return fmt.Errorf("graceful-rollout: writing the output: %v", err)
		}
		buf.Write(bytes.TrimPrefix(one.Bytes(), []byte("---\n")))
	}
	_, err = stdout.Write(buf.Bytes())
	return err
}

// docMarker is a line that starts a YAML document.
var docMarker = regexp.MustCompile(`(?m)^---[ \t]*(?:#.*)?$`)

// rawDocuments maps each object read from in to the text of its document,
// when every document of in can be told apart by its "---" line (nil
// otherwise: everything is then encoded anew). The nodes are parsed again
// from each text and compared, so that a text is used only for its object.
func rawDocuments(in []byte, nodes []*yaml.RNode) map[*yaml.Node]string {
	parts := docMarker.Split(string(in), -1)
	out := map[*yaml.Node]string{}
	j := 0
	for _, part := range parts {
		text := strings.TrimPrefix(part, "\n")
		if strings.TrimSpace(text) == "" {
			continue
		}
		doc, err := streamObjects([]byte(text))
		if err != nil {
			return nil
		}
		if len(doc) == 0 {
			continue // comments only, or an empty document
		}
		if len(doc) != 1 || j >= len(nodes) || !edit.Same(doc[0].YNode(), nodes[j].YNode()) {
			return nil
		}
		if !strings.HasSuffix(text, "\n") {
			text += "\n"
		}
		out[nodes[j].YNode()] = text
		j++
	}
	if j != len(nodes) {
		return nil
	}
	return out
}

// EmptyStreamOutput is what a stream without objects gives: a YAML comment,
// no object.
const EmptyStreamOutput = "# graceful-rollout: no objects in the input\n"

// sourceComment is the path of Helm's "# Source: chart/templates/x.yaml"
// comment, "" when there is none.
func sourceComment(c string) string {
	for _, l := range strings.Split(c, "\n") {
		if p, ok := strings.CutPrefix(strings.TrimSpace(l), "# Source:"); ok {
			return strings.TrimSpace(p)
		}
	}
	return ""
}

// streamObjects reads the objects of a multi-document YAML stream. Empty
// documents (a Helm template that renders nothing) are dropped; a document
// that is not an object is an error naming it.
func streamObjects(in []byte) ([]*yaml.RNode, error) {
	var nodes []*yaml.RNode
	dec := yaml.NewDecoder(bytes.NewReader(in))
	for i := 1; ; i++ {
		var doc yaml.Node
		if err := dec.Decode(&doc); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("not valid YAML: %s", oneLine(err.Error()))
		}
		root := &doc
		if root.Kind == yaml.DocumentNode {
			if len(root.Content) == 0 {
				continue
			}
			root = root.Content[0]
		}
		if edit.IsNull(root) {
			continue
		}
		if root.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("document %d: %s: expected an object (a Kubernetes manifest)", i, shape(root))
		}
		// Comments before the document's first key (Helm's "# Source:")
		// stay with the object.
		if doc.HeadComment != "" {
			root.HeadComment = strings.TrimSpace(doc.HeadComment + "\n" + root.HeadComment)
		}
		n := yaml.NewRNode(root)
		for _, f := range []string{"apiVersion", "kind"} {
			v := edit.Field(root, f)
			if v == nil || v.Kind != yaml.ScalarNode || v.Value == "" {
				return nil, fmt.Errorf("document %d: %s: missing: every manifest needs apiVersion and kind", i, f)
			}
		}
		nodes = append(nodes, n)
	}
	return nodes, nil
}

// streamConfig builds the functionConfig from the arguments.
func streamConfig(args []string) (*kfn.KubeObject, error) {
	var pairs []string
	var files []string
	for _, a := range args {
		switch {
		case strings.HasPrefix(a, "-"):
			return nil, fmt.Errorf("argument %q: flags are not supported; give key=value pairs (profile=gke-neg) or one functionConfig file", a)
		case strings.Contains(a, "="):
			pairs = append(pairs, a)
		default:
			files = append(files, a)
		}
	}
	switch {
	case len(files) > 1:
		return nil, fmt.Errorf("arguments %q: one functionConfig file at most", files)
	case len(files) == 1 && len(pairs) > 0:
		return nil, fmt.Errorf("arguments: a functionConfig file (%s) and key=value pairs (%s): give one or the other", files[0], strings.Join(pairs, " "))
	case len(files) == 1:
		b, err := os.ReadFile(files[0])
		if err != nil {
			return nil, fmt.Errorf("functionConfig file: %v", err)
		}
		nodes, err := streamObjects(b)
		if err != nil {
			return nil, fmt.Errorf("functionConfig file %s: %v", files[0], err)
		}
		if len(nodes) != 1 {
			return nil, fmt.Errorf("functionConfig file %s: %d objects: expected one (kind GracefulRollout or ConfigMap)", files[0], len(nodes))
		}
		return kfn.MoveToKubeObject(nodes[0]), nil
	}
	cm := kfn.NewEmptyKubeObject()
	if err := cm.SetAPIVersion("v1"); err != nil {
		return nil, err
	}
	if err := cm.SetKind("ConfigMap"); err != nil {
		return nil, err
	}
	if err := cm.SetName("function-input"); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, p := range pairs {
		k, v, _ := strings.Cut(p, "=")
		if k == "" {
			return nil, fmt.Errorf("argument %q: no key before '='", p)
		}
		if seen[k] {
			return nil, fmt.Errorf("argument %q: %s given twice", p, k)
		}
		seen[k] = true
		if err := cm.SetNestedString(v, "data", k); err != nil {
			return nil, err
		}
	}
	return cm, nil
}
