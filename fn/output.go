package fn

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"sort"

	kfn "github.com/kptdev/krm-functions-sdk/go/fn"
)

// writeChunk is how many items are encoded at a time by WriteResourceList.
const writeChunk = 64

// rlHeader is how the SDK starts every ResourceList it writes.
const rlHeader = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n"

// WriteResourceList writes rl exactly as the SDK's ResourceList.ToYAML
// does (same bytes: items sorted, then functionConfig and results), but a
// few items at a time.
//
// ToYAML encodes the whole list as one YAML document, and the YAML encoder
// keeps every event of a document until the document ends: its memory and
// time grow with the whole output, and dominate a run on a large input.
// Here the SDK encodes the items in chunks of writeChunk, each as the items
// of a small ResourceList, whose header is cut off. Block sequence entries
// are written independently of one another at the same indentation, so the
// chunks joined are the items of the whole list, byte for byte (a test
// checks this on every golden and fuzz input, with chunks of one item).
func WriteResourceList(w io.Writer, rl *kfn.ResourceList) error {
	return writeResourceList(w, rl, writeChunk)
}

func writeResourceList(w io.Writer, rl *kfn.ResourceList, chunk int) error {
	sortItems(rl.Items)
	fc := rl.FunctionConfig
	if fc == nil {
		fc = kfn.NewEmptyKubeObject()
	}
	rest, err := (&kfn.ResourceList{FunctionConfig: fc, Results: rl.Results}).ToYAML()
	if err != nil {
		return err
	}
	tail, err := cutHeader(rest, rlHeader)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	bw.WriteString(rlHeader)
	if len(rl.Items) > 0 {
		bw.WriteString("items:\n")
	}
	for i := 0; i < len(rl.Items); i += chunk {
		part := &kfn.ResourceList{Items: rl.Items[i:min(i+chunk, len(rl.Items))], FunctionConfig: kfn.NewEmptyKubeObject()}
		out, err := part.ToYAML()
		if err != nil {
			return err
		}
		body, err := cutHeader(out, rlHeader+"items:\n")
		if err != nil {
			return err
		}
		if _, err := bw.Write(body); err != nil {
			return err
		}
	}
	bw.Write(tail)
	return bw.Flush()
}

// sortItems sorts items as ResourceList.Sort does, with the same sort.Sort
// and the same comparisons, so the same order results even among objects
// with equal identifiers; but each item's identifier string is built once,
// not twice per comparison. (ToYAML sorts each chunk again: a sorted chunk
// costs one comparison per item and stays as it is.)
func sortItems(items kfn.KubeObjects) {
	ids := make([]string, len(items))
	for i, o := range items {
		ids[i] = o.GetAPIVersion() + " " + o.GetKind() + " " + o.GetNamespace() + " " + o.GetName()
	}
	sort.Sort(byID{items, ids})
}

type byID struct {
	items kfn.KubeObjects
	ids   []string
}

func (s byID) Len() int           { return len(s.items) }
func (s byID) Less(i, j int) bool { return s.ids[i] < s.ids[j] }
func (s byID) Swap(i, j int) {
	s.items[i], s.items[j] = s.items[j], s.items[i]
	s.ids[i], s.ids[j] = s.ids[j], s.ids[i]
}

func cutHeader(out []byte, header string) ([]byte, error) {
	body, ok := bytes.CutPrefix(out, []byte(header))
	if !ok {
		n := min(len(out), len(header))
		return nil, fmt.Errorf("writing the output: the SDK's ResourceList starts %q, expected %q", out[:n], header)
	}
	return body, nil
}

// Main is the function's entry point, the SDK's fn.AsMain with two changes:
// input that cannot be read as a ResourceList is explained in one line that
// says where the problem is, and the output is written by
// WriteResourceList. Like AsMain it writes the output even when the
// processor fails, and returns the error, which main prints on stderr.
func Main(in io.Reader, out io.Writer, process kfn.ResourceListProcessorFunc) error {
	input, err := io.ReadAll(in)
	if err != nil {
		return fmt.Errorf("failed to evaluate function: graceful-rollout: cannot read stdin: %v", err)
	}
	rl, err := kfn.ParseResourceList(input)
	if err != nil {
		return fmt.Errorf("failed to evaluate function: graceful-rollout: %v", ExplainInputError(input, err))
	}
	ok, perr := process(rl)
	if err := WriteResourceList(out, rl); err != nil {
		return fmt.Errorf("failed to evaluate function: graceful-rollout: %v", err)
	}
	switch {
	case perr != nil:
		return fmt.Errorf("failed to evaluate function: %v", perr)
	case !ok:
		return fmt.Errorf("failed to evaluate function: error: function failure")
	}
	return nil
}
