package e2e

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The binary the tests run is static (it must run on distroless/static) and
// is built by the same command as the images'.
func TestStaticBinaryAndImageRecipe(t *testing.T) {
	tools(t)
	bin, err := exec.LookPath("graceful-rollout")
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s has a dynamic loader (PT_INTERP): not static", bin)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("%s links shared libraries %v", bin, libs)
	}

	read := func(p string) string {
		b, err := os.ReadFile(filepath.Join("..", p))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for file, want := range map[string][]string{
		"Dockerfile": {
			"RUN hack/build.sh /out/graceful-rollout",
			"FROM gcr.io/distroless/static-debian12:nonroot",
			"USER nonroot:nonroot",
			`ENTRYPOINT ["/usr/local/bin/graceful-rollout"]`,
		},
		"examples/argocd/Dockerfile": {"RUN hack/build.sh /out/graceful-rollout", "kustomize/v5@v5.8.1", "USER 999"},
		"Makefile":                   {"hack/build.sh $(BIN)/graceful-rollout"},
	} {
		text := read(file)
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s does not contain %q", file, w)
			}
		}
	}
	if !strings.Contains(read("hack/build.sh"), "CGO_ENABLED=0 go build") {
		t.Errorf("hack/build.sh does not build with CGO_ENABLED=0")
	}
}
