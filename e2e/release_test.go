package e2e

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// releaseDir is the dist/ folder of `make release` (GR_DIST, which `make
// release-test` sets) and the version it was built for.
func releaseDir(t *testing.T) (dist, version string) {
	t.Helper()
	dist = os.Getenv("GR_DIST")
	if dist == "" {
		t.Skip("GR_DIST is not set: run make release-test")
	}
	b, err := os.ReadFile(filepath.Join("..", "VERSION"))
	if err != nil {
		t.Fatal(err)
	}
	return dist, strings.TrimSpace(string(b))
}

var platforms = [][2]string{{"linux", "amd64"}, {"linux", "arm64"}, {"darwin", "amd64"}, {"darwin", "arm64"}}

// Every artifact is there, and checksums.txt lists each one with its
// SHA-256, and nothing else.
func TestReleaseChecksums(t *testing.T) {
	dist, v := releaseDir(t)
	want := []string{"graceful-rollout_" + v + ".spdx.json"}
	for _, p := range platforms {
		for _, c := range commands {
			want = append(want, c.name+"_"+v+"_"+p[0]+"_"+p[1]+".tar.gz")
		}
	}
	if os.Getenv("GR_RELEASE_IMAGE") != "0" {
		want = append(want, "graceful-rollout_"+v+"_image.oci.tar", "calibrate-probe_"+v+"_image.oci.tar")
	}
	f, err := os.Open(filepath.Join(dist, "checksums.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var listed []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			t.Fatalf("checksums.txt: bad line %q", sc.Text())
		}
		listed = append(listed, name)
		if got := sha256File(t, filepath.Join(dist, name)); got != sum {
			t.Errorf("%s: sha256 %s, checksums.txt says %s", name, got, sum)
		}
	}
	sort.Strings(want)
	sort.Strings(listed)
	if !slices.Equal(want, listed) {
		t.Errorf("checksums.txt lists %v, want %v", listed, want)
	}
	entries, _ := os.ReadDir(dist)
	for _, e := range entries {
		if e.Name() != "checksums.txt" && !slices.Contains(want, e.Name()) {
			t.Errorf("dist/ holds %s, which is no artifact", e.Name())
		}
	}
}

// The release's two commands: each has an archive per platform, in one
// folder, holding its binary and these files besides (from the
// repository, byte for byte); its --version prints "NAME X.Y.Z".
var commands = []struct {
	name, module string
	files        map[string]string // name in the archive: path in the repository
}{
	{"graceful-rollout", "github.com/graceful-rollout/graceful-rollout",
		map[string]string{"LICENSE": "LICENSE", "README.md": "README.md", "CHANGELOG.md": "CHANGELOG.md"}},
	{"graceful-rollout-calibrate", "github.com/graceful-rollout/graceful-rollout/cmd/graceful-rollout-calibrate",
		map[string]string{"LICENSE": "LICENSE", "README.md": "cmd/graceful-rollout-calibrate/README.md",
			"rbac.yaml": "cmd/graceful-rollout-calibrate/rbac.yaml"}},
}

// Each archive holds its command's binary and files in one folder; each
// binary is built for its platform with the release version linked in;
// the one this machine runs says so.
func TestReleaseArchives(t *testing.T) {
	dist, v := releaseDir(t)
	for _, c := range commands {
		for _, p := range platforms {
			name := c.name + "_" + v + "_" + p[0] + "_" + p[1]
			files := untar(t, filepath.Join(dist, name+".tar.gz"))
			var names []string
			for n := range files {
				names = append(names, n)
			}
			sort.Strings(names)
			want := []string{name + "/" + c.name}
			for f, src := range c.files {
				want = append(want, name+"/"+f)
				if b, err := os.ReadFile(filepath.Join("..", src)); err != nil {
					t.Fatal(err)
				} else if got, ok := files[name+"/"+f]; ok && !bytes.Equal(got, b) {
					t.Errorf("%s: %s is not the repository's %s", name, f, src)
				}
			}
			sort.Strings(want)
			if !slices.Equal(names, want) {
				t.Errorf("%s holds %v, want %v", name, names, want)
				continue
			}
			bin := files[name+"/"+c.name]
			info, err := buildinfo.Read(bytes.NewReader(bin))
			if err != nil {
				t.Errorf("%s: no Go build info: %v", name, err)
				continue
			}
			settings := map[string]string{}
			for _, s := range info.Settings {
				settings[s.Key] = s.Value
			}
			if settings["GOOS"] != p[0] || settings["GOARCH"] != p[1] || settings["CGO_ENABLED"] != "0" {
				t.Errorf("%s: built for %s/%s CGO_ENABLED=%s", name, settings["GOOS"], settings["GOARCH"], settings["CGO_ENABLED"])
			}
			if info.Main.Path != c.module {
				t.Errorf("%s: main module %s, want %s", name, info.Main.Path, c.module)
			}
			// With -trimpath the build info leaves -ldflags out (they may hold
			// paths), so the linked version is looked for as the string the
			// linker wrote; a build of the function without GR_VERSION holds
			// no such string (the calibrate command holds VERSION's value
			// anyway: the one on this machine shows what it reports).
			if settings["-trimpath"] != "true" || !bytes.Contains(bin, []byte(v)) {
				t.Errorf("%s: -trimpath=%s, version %s linked in: %v", name, settings["-trimpath"], v, bytes.Contains(bin, []byte(v)))
			}
			if lic := string(files[name+"/LICENSE"]); !strings.Contains(lic, "Apache License") || !strings.Contains(lic, "Version 2.0") {
				t.Errorf("%s: LICENSE is not Apache-2.0", name)
			}
			if p[0] != runtime.GOOS || p[1] != runtime.GOARCH {
				continue
			}
			path := filepath.Join(t.TempDir(), c.name)
			if err := os.WriteFile(path, bin, 0o755); err != nil {
				t.Fatal(err)
			}
			args := []string{"--version"}
			if c.name == "graceful-rollout" {
				args = append(args, "version")
			}
			for _, arg := range args {
				r := run(t, ".", path, arg)
				if r.code != 0 || r.stdout != c.name+" "+v+"\n" {
					t.Errorf("%s %s: exit %d, %q; want %s %s", name, arg, r.code, r.stdout, c.name, v)
				}
			}
			// The calibrate command's default probe image is this release's.
			if c.name == "graceful-rollout-calibrate" {
				r := run(t, ".", path, "--help")
				if want := `(default "ghcr.io/graceful-rollout/calibrate-probe:v` + v + `")`; r.code != 0 || !strings.Contains(r.stderr, want) {
					t.Errorf("%s --help: exit %d, no %s in\n%s", name, r.code, want, r.stderr)
				}
			}
			// `go version -m` reads the same build info.
			if goBin, err := exec.LookPath("go"); err == nil {
				r := run(t, ".", goBin, "version", "-m", path)
				if !strings.Contains(r.stdout, "GOOS="+p[0]) || !strings.Contains(r.stdout, "GOARCH="+p[1]) || !strings.Contains(r.stdout, "CGO_ENABLED=0") {
					t.Errorf("go version -m %s:\n%s", name, r.stdout)
				}
			}
		}
	}
}

// The SBOM is SPDX 2.3 JSON describing the release: a package per command's
// main module, each depending on exactly the modules linked into its own
// binaries and containing them, each binary by its SHA-256.
func TestReleaseSBOM(t *testing.T) {
	dist, v := releaseDir(t)
	var doc struct {
		SPDXVersion string `json:"spdxVersion"`
		Packages    []struct {
			SPDXID      string `json:"SPDXID"`
			Name        string `json:"name"`
			VersionInfo string `json:"versionInfo"`
		} `json:"packages"`
		Files []struct {
			SPDXID    string `json:"SPDXID"`
			FileName  string `json:"fileName"`
			Checksums []struct {
				Algorithm, ChecksumValue string
			} `json:"checksums"`
		} `json:"files"`
		Relationships []struct {
			Element string `json:"spdxElementId"`
			Type    string `json:"relationshipType"`
			Related string `json:"relatedSpdxElement"`
		} `json:"relationships"`
	}
	b, err := os.ReadFile(filepath.Join(dist, "graceful-rollout_"+v+".spdx.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.SPDXVersion != "SPDX-2.3" || len(doc.Packages) < 5 || doc.Packages[0].VersionInfo != "v"+v {
		t.Fatalf("SBOM: %s with %d packages, first %+v", doc.SPDXVersion, len(doc.Packages), doc.Packages[0])
	}
	ids := map[string]string{"SPDXRef-DOCUMENT": "DOCUMENT"} // SPDXID: package or file name
	for _, p := range doc.Packages {
		if _, dup := ids[p.SPDXID]; dup {
			t.Errorf("SBOM: SPDXID %s twice", p.SPDXID)
		}
		ids[p.SPDXID] = p.Name
	}
	for _, f := range doc.Files {
		if _, dup := ids[f.SPDXID]; dup {
			t.Errorf("SBOM: SPDXID %s twice", f.SPDXID)
		}
		ids[f.SPDXID] = strings.TrimPrefix(f.FileName, "./")
	}
	rel := map[string]map[string][]string{} // type: element's name: related names
	for _, r := range doc.Relationships {
		if rel[r.Type] == nil {
			rel[r.Type] = map[string][]string{}
		}
		rel[r.Type][ids[r.Element]] = append(rel[r.Type][ids[r.Element]], ids[r.Related])
	}
	fn, cal := commands[0].module, commands[1].module
	if d := rel["DESCRIBES"]["DOCUMENT"]; len(d) != 2 || !slices.Contains(d, fn) || !slices.Contains(d, cal) {
		t.Errorf("SBOM describes %v, want %s and %s", d, fn, cal)
	}
	for mod, want := range map[string][2][]string{
		fn:  {{"sigs.k8s.io/kustomize/kyaml", "github.com/kptdev/krm-functions-sdk/go/fn"}, {"k8s.io/client-go"}},
		cal: {{"k8s.io/client-go", "k8s.io/api", "k8s.io/apimachinery"}, {"sigs.k8s.io/kustomize/kyaml", "github.com/kptdev/krm-functions-sdk/go/fn"}},
	} {
		deps := rel["DEPENDS_ON"][mod]
		for _, m := range want[0] {
			if !slices.Contains(deps, m) {
				t.Errorf("SBOM: %s does not depend on %s", mod, m)
			}
		}
		for _, m := range want[1] {
			if slices.Contains(deps, m) {
				t.Errorf("SBOM: %s depends on %s, which is not linked into it", mod, m)
			}
		}
	}
	if len(doc.Files) != len(commands)*len(platforms) {
		t.Fatalf("SBOM names %d files, want %d", len(doc.Files), len(commands)*len(platforms))
	}
	for _, f := range doc.Files {
		name := strings.TrimPrefix(f.FileName, "./")
		archive := strings.Split(name, "/")[0] + ".tar.gz"
		bin := untar(t, filepath.Join(dist, archive))[name]
		sum := sha256.Sum256(bin)
		if len(f.Checksums) != 1 || f.Checksums[0].ChecksumValue != hex.EncodeToString(sum[:]) {
			t.Errorf("SBOM checksum of %s does not match the archive's binary", name)
		}
		bi, err := buildinfo.Read(bytes.NewReader(bin))
		if err != nil {
			t.Errorf("%s: %v", name, err)
		} else if c := rel["CONTAINS"][bi.Main.Path]; !slices.Contains(c, name) {
			t.Errorf("SBOM: %s (module %s) is not contained in its module's package: %v", name, bi.Main.Path, c)
		}
	}
}

// releaseImage checks the image archive dist/NAME_X.Y.Z_image.oci.tar: an
// OCI layout whose index tags vX.Y.Z, vX.Y and vX (never latest), each an
// index of a linux/amd64 and a linux/arm64 image whose labels carry the
// version and the licence and whose user is user. It returns the tags.
func releaseImage(t *testing.T, name, user string) (tags []string) {
	t.Helper()
	dist, v := releaseDir(t)
	if os.Getenv("GR_RELEASE_IMAGE") == "0" {
		t.Skip("GR_RELEASE_IMAGE=0: no image")
	}
	files := untar(t, filepath.Join(dist, name+"_"+v+"_image.oci.tar"))
	type descriptor struct {
		MediaType   string            `json:"mediaType"`
		Digest      string            `json:"digest"`
		Annotations map[string]string `json:"annotations"`
		Platform    struct {
			OS           string `json:"os"`
			Architecture string `json:"architecture"`
		} `json:"platform"`
	}
	var index struct {
		Manifests []descriptor `json:"manifests"`
	}
	blob := func(digest string) []byte {
		b, ok := files["./blobs/"+strings.Replace(digest, ":", "/", 1)]
		if !ok {
			t.Fatalf("%s: blob %s missing from the layout", name, digest)
		}
		return b
	}
	if err := json.Unmarshal(files["./index.json"], &index); err != nil {
		t.Fatalf("%s: index.json: %v", name, err)
	}
	parts := strings.Split(v, ".")
	wantTags := []string{"v" + v, "v" + parts[0] + "." + parts[1], "v" + parts[0]}
	for _, m := range index.Manifests {
		tag := m.Annotations["org.opencontainers.image.ref.name"]
		tags = append(tags, tag)
		var list struct {
			Manifests []descriptor `json:"manifests"`
		}
		if err := json.Unmarshal(blob(m.Digest), &list); err != nil {
			t.Fatalf("%s:%s: %v", name, tag, err)
		}
		var plats []string
		for _, im := range list.Manifests {
			plats = append(plats, im.Platform.OS+"/"+im.Platform.Architecture)
			var manifest struct {
				Config descriptor `json:"config"`
			}
			if err := json.Unmarshal(blob(im.Digest), &manifest); err != nil {
				t.Fatal(err)
			}
			var cfg struct {
				Architecture string `json:"architecture"`
				Config       struct {
					User   string            `json:"User"`
					Labels map[string]string `json:"Labels"`
				} `json:"config"`
			}
			if err := json.Unmarshal(blob(manifest.Config.Digest), &cfg); err != nil {
				t.Fatal(err)
			}
			if l := cfg.Config.Labels; l["org.opencontainers.image.version"] != v || l["org.opencontainers.image.licenses"] != "Apache-2.0" ||
				l["org.opencontainers.image.title"] != name {
				t.Errorf("%s:%s %s: labels %v", name, tag, cfg.Architecture, l)
			}
			if cfg.Config.User != user {
				t.Errorf("%s:%s %s: user %q, want %q", name, tag, cfg.Architecture, cfg.Config.User, user)
			}
		}
		sort.Strings(plats)
		if !slices.Equal(plats, []string{"linux/amd64", "linux/arm64"}) {
			t.Errorf("%s:%s: platforms %v, want linux/amd64 and linux/arm64", name, tag, plats)
		}
	}
	sort.Strings(tags)
	sort.Strings(wantTags)
	if !slices.Equal(tags, wantTags) {
		t.Errorf("%s: tags %v, want %v (never latest)", name, tags, wantTags)
	}
	return wantTags
}

// The function's image archive; the images hack/release.sh left in local
// storage answer with the version (this machine's architecture; FROM
// scratch needs no emulation to build the other, but running it would).
func TestReleaseImage(t *testing.T) {
	_, v := releaseDir(t)
	tags := releaseImage(t, "graceful-rollout", "nonroot:nonroot")
	if podman, err := exec.LookPath("podman"); err == nil {
		for _, tag := range tags {
			r := run(t, ".", podman, "run", "--rm", "--network", "none", "localhost/graceful-rollout:"+tag, "--version")
			if r.code != 0 || r.stdout != "graceful-rollout "+v+"\n" {
				t.Errorf("podman run localhost/graceful-rollout:%s --version: exit %d, %q %s", tag, r.code, r.stdout, r.stderr)
			}
		}
	}
}

// The calibrate command's probe image archive (uid 65532, numeric); the
// images in local storage serve as the command's probe pods do (its
// environment, read-only, no capabilities): GET / answers "pod
// <hostname>" and /healthz is 200.
func TestReleaseProbeImage(t *testing.T) {
	tags := releaseImage(t, "calibrate-probe", "65532:65532")
	podman, err := exec.LookPath("podman")
	if err != nil {
		return
	}
	for _, tag := range tags {
		const host = "calibrate-probe-test"
		r := run(t, ".", podman, "run", "-d", "--rm", "--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
			"--hostname", host, "-p", "127.0.0.1::8080", "-e", "LAB_HTTP=:8080", "-e", "LAB_GRPC=0", "-e", "LAB_ON_SIGTERM=exit",
			"localhost/calibrate-probe:"+tag)
		if r.code != 0 {
			t.Errorf("podman run localhost/calibrate-probe:%s: exit %d, %s", tag, r.code, r.stderr)
			continue
		}
		id := strings.TrimSpace(r.stdout)
		t.Cleanup(func() { run(t, ".", podman, "rm", "-f", "-t", "0", id) })
		r = run(t, ".", podman, "port", id, "8080/tcp")
		addr := strings.TrimSpace(r.stdout)
		if r.code != 0 || addr == "" {
			t.Errorf("podman port %s 8080/tcp: exit %d, %q %s", tag, r.code, r.stdout, r.stderr)
			continue
		}
		get := func(path string) (int, string) {
			resp, err := http.Get("http://" + addr + path)
			if err != nil {
				return 0, err.Error()
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		code, body := 0, ""
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			if code, body = get("/healthz"); code == http.StatusOK {
				break
			}
		}
		if code != http.StatusOK {
			logs := run(t, ".", podman, "logs", id)
			t.Errorf("calibrate-probe:%s GET /healthz: %d %q; logs:\n%s%s", tag, code, body, logs.stdout, logs.stderr)
			continue
		}
		if code, body = get("/"); code != http.StatusOK || body != "pod "+host+"\n" {
			t.Errorf("calibrate-probe:%s GET /: %d %q, want 200 %q", tag, code, body, "pod "+host+"\n")
		}
	}
}

func untar(t *testing.T, path string) map[string][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		r = gz
	}
	out := map[string][]byte{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out[h.Name] = b
	}
	return out
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
