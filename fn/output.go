package fn

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"sort"

	kfn "github.com/kptdev/krm-functions-sdk/go/fn"
)

// writeChunk is how many items (or results) are encoded at a time by
// WriteResourceList: 8 wrote fastest and allocated least in BenchmarkWrite
// (against 1, 64 and 512).
const writeChunk = 8

// rlHeader is how the SDK starts every ResourceList it writes.
const rlHeader = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n"

// WriteResourceList writes rl exactly as the SDK's ResourceList.ToYAML
// does (same bytes: items sorted, then functionConfig and results), but a
// few items at a time.
//
// ToYAML encodes the whole list as one YAML document, and the YAML encoder
// keeps every event of a document until the document ends: its memory and
// time grow with the whole output, and dominate a run on a large input.
// Here the SDK encodes the items, and then the results, in chunks of
// writeChunk, each as the items (results) of a small ResourceList whose
// header is cut off. Block sequence entries are written independently of
// one another at the same indentation, so the chunks joined are the items
// of the whole list, byte for byte (the fuzz invariants check this on every
// seed input, with chunks of one and of three).
func WriteResourceList(w io.Writer, rl *kfn.ResourceList) error {
	return writeResourceList(w, rl, writeChunk)
}

func writeResourceList(w io.Writer, rl *kfn.ResourceList, chunk int) error {
	if err := sortItems(rl.Items); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	bw.WriteString(rlHeader)
	// The items, then functionConfig, then the results, as ToYAML orders
	// them; the items and the results a chunk at a time.
	for i := 0; i < len(rl.Items); i += chunk {
		part := &kfn.ResourceList{Items: rl.Items[i:min(i+chunk, len(rl.Items))]}
		if err := writeSection(bw, part, "items:\n", i == 0); err != nil {
			return err
		}
	}
	if fc := rl.FunctionConfig; fc != nil {
		if err := writeSection(bw, &kfn.ResourceList{FunctionConfig: fc}, "", true); err != nil {
			return err
		}
	}
	for i := 0; i < len(rl.Results); i += chunk {
		part := &kfn.ResourceList{Results: rl.Results[i:min(i+chunk, len(rl.Results))]}
		if err := writeSection(bw, part, "results:\n", i == 0); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// writeSection writes what the SDK writes for part after its header and,
// unless first, after the line that opens the section (key).
func writeSection(w *bufio.Writer, part *kfn.ResourceList, key string, first bool) error {
	if part.FunctionConfig == nil {
		part.FunctionConfig = kfn.NewEmptyKubeObject()
	}
	out, err := part.ToYAML()
	if err != nil {
		return err
	}
	head := rlHeader
	if !first {
		head += key
	}
	body, ok := bytes.CutPrefix(out, []byte(head))
	if !ok {
		n := min(len(out), len(head))
		return fmt.Errorf("writing the output: the SDK's ResourceList starts %q, expected %q", out[:n], head)
	}
	_, err = w.Write(body)
	return err
}

// sortItems sorts items as ResourceList.Sort does, with the same sort.Sort
// and the same comparisons, so the same order results even among objects
// with equal identifiers; but each item's identifier string is built once,
// not twice per comparison. (ToYAML sorts each chunk again: a sorted chunk
// costs one comparison per item and stays as it is.)
func sortItems(items kfn.KubeObjects) error {
	ids, err := itemIDs(items)
	if err != nil {
		return err
	}
	sort.Sort(byID{items, ids})
	return nil
}

// itemIDs is the identifier the SDK sorts each item by (apiVersion, kind,
// namespace, name). The SDK's getters panic on a field they cannot read (a
// YAML alias on the way); that is returned as an idError naming the item
// and the field.
func itemIDs(items kfn.KubeObjects) ([]string, error) {
	ids := make([]string, len(items))
	for i, o := range items {
		var parts [4]string
		for j, get := range []struct {
			field string
			get   func() string
		}{{"apiVersion", o.GetAPIVersion}, {"kind", o.GetKind}, {"metadata.namespace", o.GetNamespace}, {"metadata.name", o.GetName}} {
			v, ok := safely(get.get)
			if !ok {
				return nil, &idError{Item: i, Field: get.field}
			}
			parts[j] = v
		}
		ids[i] = parts[0] + " " + parts[1] + " " + parts[2] + " " + parts[3]
	}
	return ids, nil
}

// safely calls get and reports whether it returned rather than panicked.
func safely(get func() string) (v string, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return get(), true
}

// idError is an item whose identifying field the SDK cannot read.
type idError struct {
	Item  int
	Field string
}

func (e *idError) Error() string {
	return fmt.Sprintf("items[%d].%s: the SDK cannot read it", e.Item, e.Field)
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

// Main is the function's entry point, the SDK's fn.AsMain with three
// changes: input that cannot be read as a ResourceList is explained in one
// line that says where the problem is; so is an item whose apiVersion,
// kind, name or namespace the SDK cannot read (its getters would panic);
// and the output is written by WriteResourceList. Like AsMain it writes the output even when the
// processor fails, and returns the error, which main prints on stderr.
func Main(in io.Reader, out io.Writer, process kfn.ResourceListProcessorFunc) error {
	_, err := MainResults(in, out, process)
	return err
}

// MainResults is Main that also returns the ResourceList after the run (its
// results, for a report), or nil when the input could not be read.
func MainResults(in io.Reader, out io.Writer, process kfn.ResourceListProcessorFunc) (*kfn.ResourceList, error) {
	input, err := io.ReadAll(in)
	if err != nil {
		return nil, fmt.Errorf("failed to evaluate function: graceful-rollout: cannot read stdin: %v", err)
	}
	rl, err := kfn.ParseResourceList(input)
	if err == nil {
		// What the SDK needs to sort and write the items, before anything
		// else reads them.
		_, err = itemIDs(rl.Items)
	}
	if err != nil {
		return nil, fmt.Errorf("failed to evaluate function: graceful-rollout: %v", ExplainInputError(input, err))
	}
	ok, perr := process(rl)
	if err := WriteResourceList(out, rl); err != nil {
		return rl, fmt.Errorf("failed to evaluate function: graceful-rollout: %v", err)
	}
	switch {
	case perr != nil:
		return rl, fmt.Errorf("failed to evaluate function: %v", perr)
	case !ok:
		return rl, fmt.Errorf("failed to evaluate function: error: function failure")
	}
	return rl, nil
}
