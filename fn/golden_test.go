package fn_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	kfn "github.com/kptdev/krm-functions-sdk/go/fn"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/graceful-rollout/graceful-rollout/fn"
)

var update = flag.Bool("update", false, "rewrite the expected files of the golden cases (read the diff before committing)")

// A golden case is a folder under testdata/golden with
//   - input.yaml: a whole ResourceList (for input kpt's reader would refuse),
//     or
//   - config.yaml: the functionConfig (absent: none),
//   - items.yaml and/or corpus.txt (folders under testdata, one per line,
//     whose *.yaml files are the items, as kpt reads a package),
//   - expected.yaml: the ResourceList the function writes,
//   - expected-error.txt: present when the run must fail; its stderr text.
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob("../testdata/golden/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			input := buildInput(t, dir)
			out, runErr := kfn.Run(kfn.ResourceListProcessorFunc(fn.Process), input)
			checkFile(t, filepath.Join(dir, "expected.yaml"), out)
			errFile := filepath.Join(dir, "expected-error.txt")
			if runErr != nil {
				checkFile(t, errFile, []byte(runErr.Error()))
				// A failed run changes no item.
				if got, want := items(t, out), items(t, identity(t, input)); got != want {
					t.Errorf("a failed run changed items:\n%s", diffLines(want, got))
				}
				return
			}
			if _, err := os.Stat(errFile); err == nil && !*update {
				t.Fatalf("expected an error, the run succeeded")
			} else if *update {
				os.Remove(errFile)
			}
			// Running on its own output changes nothing.
			again, err := kfn.Run(kfn.ResourceListProcessorFunc(fn.Process), withoutResults(t, out))
			if err != nil {
				t.Fatalf("second run failed: %v", err)
			}
			if got, want := items(t, again), items(t, out); got != want {
				t.Errorf("second run changed items:\n%s", diffLines(want, got))
			}
		})
	}
}

func buildInput(t *testing.T, dir string) []byte {
	t.Helper()
	if b, err := os.ReadFile(filepath.Join(dir, "input.yaml")); err == nil {
		return b // a whole ResourceList, for input no client would read
	}
	var nodes []*yaml.RNode
	read := func(path, rel string) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		r := kio.ByteReader{Reader: bytes.NewReader(b), SetAnnotations: map[string]string{kioutil.PathAnnotation: rel}}
		ns, err := r.Read()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		nodes = append(nodes, ns...)
	}
	if _, err := os.Stat(filepath.Join(dir, "items.yaml")); err == nil {
		read(filepath.Join(dir, "items.yaml"), "items.yaml")
	}
	if b, err := os.ReadFile(filepath.Join(dir, "corpus.txt")); err == nil {
		for _, line := range strings.Fields(string(b)) {
			files, _ := filepath.Glob(filepath.Join("../testdata", line, "*.yaml"))
			sort.Strings(files)
			for _, f := range files {
				if filepath.Base(f) != "kustomization.yaml" {
					read(f, filepath.Base(f))
				}
			}
		}
	}
	var cfg *yaml.RNode
	if b, err := os.ReadFile(filepath.Join(dir, "config.yaml")); err == nil {
		if cfg, err = yaml.Parse(string(b)); err != nil {
			t.Fatalf("config.yaml: %v", err)
		}
	}
	var buf bytes.Buffer
	w := kio.ByteWriter{Writer: &buf, FunctionConfig: cfg, WrappingKind: kio.ResourceListKind, WrappingAPIVersion: kio.ResourceListAPIVersion, KeepReaderAnnotations: true}
	if err := w.Write(nodes); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// identity is what the SDK writes for the input when the function changes
// nothing: the floor every comparison of items is made against.
func identity(t *testing.T, input []byte) []byte {
	t.Helper()
	out, err := kfn.Run(kfn.ResourceListProcessorFunc(func(*kfn.ResourceList) (bool, error) { return true, nil }), input)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// items renders only the items of a ResourceList.
func items(t *testing.T, rl []byte) string {
	t.Helper()
	parsed, err := kfn.ParseResourceList(rl)
	if err != nil {
		t.Fatal(err)
	}
	return parsed.Items.String()
}

func withoutResults(t *testing.T, rl []byte) []byte {
	t.Helper()
	parsed, err := kfn.ParseResourceList(rl)
	if err != nil {
		t.Fatal(err)
	}
	parsed.Results = nil
	b, err := parsed.ToYAML()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func checkFile(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./fn -run TestGolden -update, then read the diff)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs:\n%s", path, diffLines(string(want), string(got)))
	}
}

// diffLines shows the first lines that differ.
func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("line " + strconv.Itoa(i+1) + ":\n  want: " + wl + "\n  got:  " + gl + "\n")
			if shown++; shown == 10 {
				break
			}
		}
	}
	return b.String()
}
