package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/graceful-rollout/graceful-rollout/fn"
	"github.com/graceful-rollout/graceful-rollout/fn/config"
	"github.com/graceful-rollout/graceful-rollout/fn/profile"
)

// runWith runs the binary's main logic on input, with a pipe for stdin.
func runWith(t *testing.T, input string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		w.WriteString(input)
		w.Close()
	}()
	defer r.Close()
	var out, errb bytes.Buffer
	code = run(args, r, &out, &errb)
	return code, out.String(), errb.String()
}

// --help names every setting and profile, the modes, the exit codes and a
// command for every client.
func TestHelp(t *testing.T) {
	for _, arg := range []string{"--help", "-h", "help"} {
		code, out, errOut := runWith(t, "", arg)
		if code != 0 || errOut != "" {
			t.Fatalf("%s: exit %d, stderr %q", arg, code, errOut)
		}
		for _, s := range config.Settings() {
			if !strings.Contains(out, s.Key) {
				t.Errorf("%s does not name setting %s", arg, s.Key)
			}
		}
		for _, p := range profile.Names() {
			if !strings.Contains(out, p) {
				t.Errorf("%s does not name profile %s", arg, p)
			}
		}
		for _, want := range []string{"kpt fn eval --exec", "kpt fn eval --image", "kustomize build --enable-alpha-plugins --enable-exec", "--post-renderer graceful-rollout", "Argo CD", "audit", "enforce", "Exit codes", "reportFormat=json|sarif"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s does not say %q", arg, want)
			}
		}
	}
}

func TestVersionAndFlags(t *testing.T) {
	for _, arg := range []string{"--version", "version"} {
		code, out, _ := runWith(t, "", arg)
		if code != 0 || !strings.HasPrefix(out, "graceful-rollout ") {
			t.Errorf("%s: exit %d, %q", arg, code, out)
		}
	}
	code, out, errOut := runWith(t, "", "--frobnicate")
	if code != 1 || out != "" || !strings.Contains(errOut, `unknown flag "--frobnicate"`) {
		t.Errorf("unknown flag: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// No object in, nothing out, success: in either mode.
func TestEmptyInput(t *testing.T) {
	for _, in := range []string{"", "\n", "# only a comment\n", "---\n", "---\n# c\n---\n"} {
		// A ResourceList function's empty input gives nothing; a stream
		// (Helm) gives a comment and no object.
		for args, want := range map[string]string{"": "", "profile=gke-neg": fn.EmptyStreamOutput} {
			code, out, errOut := runWith(t, in, strings.Fields(args)...)
			if code != 0 || out != want || errOut != "" {
				t.Errorf("%q %v: exit %d, stdout %q, stderr %q", in, args, code, out, errOut)
			}
		}
	}
	code, out, _ := runWith(t, "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n")
	if code != 0 || strings.Contains(out, "items:\n-") {
		t.Errorf("empty ResourceList: exit %d\n%s", code, out)
	}
	// A typo is still an error when nothing is rendered.
	if code, _, errOut := runWith(t, "", "profle=gke-neg"); code != 1 || !strings.Contains(errOut, `did you mean "profile"`) {
		t.Errorf("typo on empty input: exit %d, %s", code, errOut)
	}
}
