package e2e

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// The function's image, run the ways users run it: kpt fn eval --image,
// kpt fn render with a Kptfile image:, kustomize's containerized functions,
// and podman itself. `make e2e` builds it (hack/build-image.sh) and sets
// GR_IMAGE and podman's private configuration (hack/podman.sh env).

func image(t *testing.T) (img, podman string) {
	t.Helper()
	tools(t)
	img = os.Getenv("GR_IMAGE")
	if img == "" {
		t.Skip("GR_IMAGE is not set: run make e2e")
	}
	podman, err := exec.LookPath("podman")
	if err != nil {
		t.Fatalf("podman not found: %v", err)
	}
	return img, podman
}

// recipe is what a Dockerfile's final stage puts in the image.
type recipe struct {
	From, User, Entrypoint string
	Copies                 []string // destinations
	Labels                 map[string]string
}

var labelRE = regexp.MustCompile(`([A-Za-z0-9._/-]+)="([^"]*)"`)

// parseRecipe reads the final stage of a Dockerfile (continuation lines
// joined).
func parseRecipe(t *testing.T, path string) recipe {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(b), "\\\n", " ")
	var r recipe
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		instr, rest, _ := strings.Cut(line, " ")
		rest = strings.TrimSpace(rest)
		switch strings.ToUpper(instr) {
		case "FROM":
			r = recipe{From: strings.Fields(rest)[0], Labels: map[string]string{}}
		case "USER":
			r.User = rest
		case "ENTRYPOINT":
			r.Entrypoint = rest
		case "COPY":
			f := strings.Fields(rest)
			r.Copies = append(r.Copies, f[len(f)-1])
		case "LABEL":
			for _, m := range labelRE.FindAllStringSubmatch(rest, -1) {
				r.Labels[m[1]] = m[2]
			}
		}
	}
	return r
}

// The release Dockerfile and the recipe the tests build agree on the
// binary's path, the user, the entrypoint and the labels; both build the
// binary with hack/build.sh.
func TestImageRecipesAgree(t *testing.T) {
	release := parseRecipe(t, filepath.Join("..", "Dockerfile"))
	local := parseRecipe(t, filepath.Join("..", "hack", "image", "Containerfile"))
	if release.From != "gcr.io/distroless/static-debian12:nonroot" || local.From != "scratch" {
		t.Errorf("bases: release %q, local %q; want distroless static nonroot and scratch", release.From, local.From)
	}
	const bin = "/usr/local/bin/graceful-rollout"
	if !reflect.DeepEqual(release.Copies, []string{bin}) {
		t.Errorf("release Dockerfile copies %v into its final stage; want only %s", release.Copies, bin)
	}
	if !reflect.DeepEqual(local.Copies, []string{"/etc/", bin}) {
		t.Errorf("hack/image/Containerfile copies %v; want /etc/ (passwd, group) and %s", local.Copies, bin)
	}
	if release.User != "nonroot:nonroot" || local.User != release.User {
		t.Errorf("users: release %q, local %q; want nonroot:nonroot in both", release.User, local.User)
	}
	if want := `["` + bin + `"]`; release.Entrypoint != want || local.Entrypoint != want {
		t.Errorf("entrypoints: release %s, local %s; want %s", release.Entrypoint, local.Entrypoint, want)
	}
	if len(release.Labels) == 0 || !reflect.DeepEqual(release.Labels, local.Labels) {
		t.Errorf("labels differ:\nrelease %v\nlocal   %v", release.Labels, local.Labels)
	}
	for _, f := range []string{"Dockerfile", "hack/build-image.sh"} {
		b, err := os.ReadFile(filepath.Join("..", f))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "hack/build.sh") {
			t.Errorf("%s does not build the binary with hack/build.sh", f)
		}
	}
}

// The image that was built carries what its recipe says, and nothing but
// the binary the other tests run (byte for byte), /etc/passwd and
// /etc/group: no shell, no other file.
func TestImageContents(t *testing.T) {
	img, podman := image(t)
	var cfg struct {
		Config struct {
			User       string
			Entrypoint []string
			Labels     map[string]string
		}
	}
	r := run(t, ".", podman, "image", "inspect", "--format", "{{json .Config}}", img)
	if r.code != 0 {
		t.Fatalf("podman image inspect: %s", r.stderr)
	}
	if err := json.Unmarshal([]byte(r.stdout), &cfg.Config); err != nil {
		t.Fatal(err)
	}
	want := parseRecipe(t, filepath.Join("..", "Dockerfile"))
	if cfg.Config.User != want.User {
		t.Errorf("image user %q, want %q", cfg.Config.User, want.User)
	}
	if got, _ := json.Marshal(cfg.Config.Entrypoint); string(got) != want.Entrypoint {
		t.Errorf("image entrypoint %s, want %s", got, want.Entrypoint)
	}
	for k, v := range want.Labels {
		if strings.Contains(v, "${GR_VERSION}") {
			// The build argument: the binary's own version.
			v = strings.ReplaceAll(v, "${GR_VERSION}", binaryVersion(t))
		}
		if cfg.Config.Labels[k] != v {
			t.Errorf("image label %s = %q, want %q", k, cfg.Config.Labels[k], v)
		}
	}

	r = run(t, ".", podman, "create", img)
	if r.code != 0 {
		t.Fatalf("podman create: %s", r.stderr)
	}
	id := strings.TrimSpace(r.stdout)
	defer run(t, ".", podman, "rm", "-f", id)
	tarball := filepath.Join(t.TempDir(), "fs.tar")
	if r := run(t, ".", podman, "export", "-o", tarball, id); r.code != 0 {
		t.Fatalf("podman export: %s", r.stderr)
	}
	f, err := os.Open(tarball)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	files := map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeDir {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[strings.TrimPrefix(h.Name, "./")] = b
	}
	var names []string
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	// podman export adds the mount points of a container's runtime files.
	var extra []string
	for _, n := range names {
		switch n {
		case "etc/passwd", "etc/group", "usr/local/bin/graceful-rollout":
		case "etc/hostname", "etc/hosts", "etc/resolv.conf", ".containerenv", "run/.containerenv":
			if len(files[n]) > 0 {
				extra = append(extra, n+" (not empty)")
			}
		default:
			extra = append(extra, n)
		}
	}
	if len(extra) > 0 {
		t.Errorf("the image has files besides the binary, passwd and group: %v", extra)
	}
	bin, _ := exec.LookPath("graceful-rollout")
	local, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(files["usr/local/bin/graceful-rollout"], local) {
		t.Errorf("the image's binary differs from %s (built by the same hack/build.sh)", bin)
	}
	passwd := string(files["etc/passwd"])
	for _, u := range []string{"nobody:x:65534:65534:", "nonroot:x:65532:65532:"} {
		if !strings.Contains(passwd, "\n"+u) {
			t.Errorf("/etc/passwd has no line %q...:\n%s", u, passwd)
		}
	}
}

// Run as kpt and kustomize run functions, with no network, a read-only root
// filesystem and no capabilities, the image writes what the binary writes;
// it runs as uid 65532 (nonroot); it has no shell to run.
func TestImageRuns(t *testing.T) {
	img, podman := image(t)
	// A ResourceList of microservices-demo with profile gke-neg in its
	// functionConfig (the golden case's output, run again).
	in, err := os.ReadFile(filepath.Join("..", "testdata", "golden", "md-gke-neg", "expected.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	locked := []string{"run", "--rm", "-i", "--network", "none", "--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges"}
	for _, tc := range []struct {
		name, profile string
		code          int
	}{
		{"gke-neg", `profile: "gke-neg"`, 0},
		{"bad-profile", `profile: "gke"`, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			input := bytes.Replace(in, []byte(`profile: "gke-neg"`), []byte(tc.profile), 1)
			direct := pipe(t, nil, input, "graceful-rollout")
			contained := pipe(t, nil, input, podman, append(locked, img)...)
			if direct.code != tc.code || contained.code != tc.code {
				t.Fatalf("exit codes: binary %d, image %d; want %d (stderr: %s)", direct.code, contained.code, tc.code, contained.stderr)
			}
			if direct.stdout != contained.stdout || direct.stderr != contained.stderr {
				t.Errorf("the image's output differs from the binary's:\n--- binary\n%s\n%s\n--- image\n%s\n%s", clip(direct.stdout), direct.stderr, clip(contained.stdout), contained.stderr)
			}
		})
	}

	// The user: read from the kernel while the function waits for stdin.
	r := run(t, ".", podman, "run", "-d", "-i", "--network", "none", "--read-only", img)
	if r.code != 0 {
		t.Fatalf("podman run -d: %s", r.stderr)
	}
	id := strings.TrimSpace(r.stdout)
	defer run(t, ".", podman, "rm", "-f", id)
	r = run(t, ".", podman, "inspect", "--format", "{{.State.Pid}}", id)
	status, err := os.ReadFile("/proc/" + strings.TrimSpace(r.stdout) + "/status")
	if err != nil {
		t.Fatalf("the container's process: %v (%s)", err, r.stderr)
	}
	if m := regexp.MustCompile(`(?m)^Uid:\s+(\d+)\s+(\d+)`).FindStringSubmatch(string(status)); m == nil || m[1] != "65532" || m[2] != "65532" {
		t.Errorf("the image runs as %v, want uid 65532 (nonroot)", m)
	}

	// No shell to run.
	r = run(t, ".", podman, "run", "--rm", "--network", "none", "--entrypoint", "/bin/sh", img, "-c", "true")
	if r.code == 0 {
		t.Errorf("/bin/sh ran in the image")
	}
}

// pipe runs name with stdin and env added to the environment.
func pipe(t *testing.T, env []string, stdin []byte, name string, args ...string) result {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s %v: %v", name, args, err)
	}
	return result{out.String(), errb.String(), code}
}

// kpt fn eval --image with kpt's podman runtime gives what the golden test
// of the same config pins, as kpt fn eval --exec does.
func TestImageKptEval(t *testing.T) {
	img, _ := image(t)
	kpt, _ := tools(t)
	dir := corpusCopy(t, "kustomize-base")
	start := time.Now()
	cmd := exec.Command(kpt, "fn", "eval", "--image", img, dir, "--", "profile=gke-neg")
	cmd.Env = append(os.Environ(), "KPT_FN_RUNTIME=podman")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("KPT_FN_RUNTIME=podman kpt fn eval --image: %v\n%s", err, out)
	}
	t.Logf("kpt fn eval --image: %s", time.Since(start).Round(time.Millisecond))
	got := objects(t, readDir(t, dir))
	delete(got, "Kustomization//")
	sameObjects(t, goldenItems(t, "md-gke-neg"), got)

	// A bad argument fails the run with the field named, files unchanged.
	before := snapshot(t, dir)
	cmd = exec.Command(kpt, "fn", "eval", "--image", img, dir, "--", "profile=gke-gateway")
	cmd.Env = append(os.Environ(), "KPT_FN_RUNTIME=podman")
	out, err = cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("kpt fn eval --image with a bad profile succeeded:\n%s", out)
	}
	if want := `data.profile: unknown profile "gke-gateway"`; !strings.Contains(string(out), want) {
		t.Errorf("kpt's output does not say %q:\n%s", want, out)
	}
	if after := snapshot(t, dir); !reflect.DeepEqual(before, after) {
		t.Errorf("a failed run changed files")
	}
}

// kpt fn render of every kpt example, its Kptfile naming the image instead
// of the binary, changes the package exactly as the exec example expects.
func TestImageKptRender(t *testing.T) {
	img, _ := image(t)
	kpt, _ := tools(t)
	kptfiles, _ := filepath.Glob(filepath.Join("..", "examples", "*", "Kptfile"))
	if len(kptfiles) == 0 {
		t.Fatal("no kpt examples")
	}
	for _, kf := range kptfiles {
		ex := filepath.Dir(kf)
		t.Run(filepath.Base(ex), func(t *testing.T) {
			root := t.TempDir()
			pkg := filepath.Join(root, filepath.Base(ex))
			copyTree(t, ex, pkg)
			replaceIn(t, filepath.Join(pkg, "Kptfile"), "- exec: graceful-rollout\n", "- image: "+img+"\n")
			gitSnapshot(t, root)
			results := filepath.Join(t.TempDir(), "results")
			cmd := exec.Command(kpt, "fn", "render", "--results-dir", results, filepath.Base(ex))
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "KPT_FN_RUNTIME=podman")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("kpt fn render: %v\n%s", err, out)
			}
			same(t, filepath.Join(ex, ".expected", "diff.patch"), gitDiff(t, root))
			res, err := os.ReadFile(filepath.Join(results, "results.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			// kpt names the function by how it ran it.
			named := strings.ReplaceAll(string(res), "- image: "+img+"\n", "- exec: graceful-rollout\n")
			if named == string(res) {
				t.Errorf("results.yaml does not name the image %s:\n%s", img, clip(string(res)))
			}
			same(t, filepath.Join(ex, ".expected", "results.yaml"), named)
		})
	}
}

// kustomize build of every kustomize example, its transformer a container
// function (config.kubernetes.io/function: container: image:), gives the
// exec example's expected output or error. kustomize runs containers with
// `docker run --rm -i -a STDIN -a STDOUT -a STDERR --network none --user
// nobody --security-opt=no-new-privileges`; a docker that runs podman is on
// PATH for these runs only.
func TestImageKustomize(t *testing.T) {
	img, podman := image(t)
	_, kustomize := tools(t)
	shims := t.TempDir()
	if err := os.WriteFile(filepath.Join(shims, "docker"), []byte("#!/bin/sh\nexec "+podman+" \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=" + shims + string(os.PathListSeparator) + os.Getenv("PATH")}
	dirs, _ := filepath.Glob(filepath.Join("..", "examples", "*", "kustomization.yaml"))
	if len(dirs) == 0 {
		t.Fatal("no kustomize examples")
	}
	for _, kz := range dirs {
		ex := filepath.Dir(kz)
		t.Run(filepath.Base(ex), func(t *testing.T) {
			// The overlays refer to ../../testdata: keep that layout.
			root := t.TempDir()
			overlay := filepath.Join(root, "examples", filepath.Base(ex))
			copyTree(t, ex, overlay)
			copyTree(t, filepath.Join("..", "testdata", "corpus"), filepath.Join(root, "testdata", "corpus"))
			replaceIn(t, filepath.Join(overlay, "graceful-rollout.yaml"), "exec:\n        path: graceful-rollout\n", "container:\n        image: "+img+"\n")
			cmd := exec.Command(kustomize, "build", "--enable-alpha-plugins", ".")
			cmd.Dir = overlay
			cmd.Env = append(os.Environ(), env...)
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			err := cmd.Run()
			if _, serr := os.Stat(filepath.Join(ex, ".expected", "stderr.txt")); serr == nil {
				if err == nil {
					t.Fatalf("kustomize build succeeded; the example expects a failure")
				}
				same(t, filepath.Join(ex, ".expected", "stderr.txt"), errb.String())
				return
			}
			if err != nil {
				t.Fatalf("kustomize build with the container function: %v\n%s", err, errb.String())
			}
			same(t, filepath.Join(ex, ".expected", "output.yaml"), out.String())
		})
	}
}

func replaceIn(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("%s does not contain %q", path, old)
	}
	if err := os.WriteFile(path, bytes.ReplaceAll(b, []byte(old), []byte(new)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// same compares got with the exec example's expected file; the image runs
// never rewrite it (-update is for the exec runs).
func same(t *testing.T, path, got string) {
	t.Helper()
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != got {
		t.Errorf("%s differs from what the image produced:\n--- want\n%s\n--- got\n%s", path, clip(string(want)), clip(got))
	}
}
