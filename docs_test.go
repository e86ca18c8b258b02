package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The README stays short: what, why, install, a quick start per client,
// links; the rest lives in docs/.
func TestREADMELength(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "\n"); n > 250 {
		t.Errorf("README.md has %d lines; keep it under 250 and move detail to docs/", n)
	}
	for _, want := range []string{"kubectl kustomize", "--enable-exec", "skipped without a word", "did not run", "Apache-2.0", "go install", "helm plugin install"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("README.md does not say %q", want)
		}
	}
}

// No file names a document that is not in the repository (the design notes
// the project started from live elsewhere).
func TestNoOutsideDocuments(t *testing.T) {
	out, err := exec.Command("git", "ls-files").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	for _, f := range strings.Fields(string(out)) {
		if strings.HasPrefix(f, "testdata/crds/") || strings.HasSuffix(f, ".png") || strings.HasSuffix(f, "_test.go") && f == "docs_test.go" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			continue // deleted in the work tree
		}
		if strings.Contains(string(b), "DESIGN") {
			t.Errorf("%s refers to DESIGN, which is not in the repository", f)
		}
	}
}

// Every relative link of the README and docs/ reaches a file.
func TestDocLinks(t *testing.T) {
	files, _ := filepath.Glob("docs/*.md")
	files = append(files, "README.md", "CHANGELOG.md")
	ex, _ := filepath.Glob("examples/*/README.md")
	files = append(files, ex...)
	link := regexp.MustCompile(`\]\(([^)#\s]+)(#[^)]*)?\)`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllStringSubmatch(string(b), -1) {
			target := m[1]
			if strings.Contains(target, "://") {
				continue
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(f), target)); err != nil {
				t.Errorf("%s links to %s, which does not exist", f, target)
			}
		}
	}
}

// Every example folder has a README that says what it shows, how to run
// it and what comes out (e2e checks that its command is the one it runs).
func TestExampleREADMEs(t *testing.T) {
	dirs, _ := filepath.Glob("examples/*")
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "README.md"))
		if err != nil {
			t.Errorf("%s has no README.md", d)
			continue
		}
		for _, want := range []string{"## Run it", "## Expected result", "```sh"} {
			if !strings.Contains(string(b), want) {
				t.Errorf("%s/README.md lacks %q", d, want)
			}
		}
	}
}

// The licence and the version are the same everywhere they are written.
func TestLicenceAndVersion(t *testing.T) {
	read := func(p string) string {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if lic := read("LICENSE"); !strings.Contains(lic, "Apache License") || !strings.Contains(lic, "Version 2.0, January 2004") {
		t.Error("LICENSE is not the Apache License 2.0")
	}
	v := strings.TrimSpace(read("VERSION"))
	if !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(v) {
		t.Fatalf("VERSION %q is not X.Y.Z", v)
	}
	if !strings.Contains(read("helm/graceful-rollout/plugin.yaml"), "\nversion: "+v+"\n") {
		t.Errorf("helm/graceful-rollout/plugin.yaml does not carry version %s", v)
	}
	if !strings.Contains(read("helm/graceful-rollout/plugin.yaml"), "Apache-2.0") {
		t.Errorf("helm/graceful-rollout/plugin.yaml does not name the licence")
	}
	if !strings.Contains(read("CHANGELOG.md"), "## ["+v+"]") {
		t.Errorf("CHANGELOG.md has no section for %s", v)
	}
	for _, f := range []string{"Dockerfile", "hack/image/Containerfile"} {
		text := read(f)
		if !strings.Contains(text, `org.opencontainers.image.licenses="Apache-2.0"`) || !strings.Contains(text, `org.opencontainers.image.version="${GR_VERSION}"`) {
			t.Errorf("%s lacks the licence or version label", f)
		}
	}
}
