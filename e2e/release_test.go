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
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
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
		want = append(want, "graceful-rollout_"+v+"_"+p[0]+"_"+p[1]+".tar.gz")
	}
	if os.Getenv("GR_RELEASE_IMAGE") != "0" {
		want = append(want, "graceful-rollout_"+v+"_image.oci.tar")
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

// Each archive holds the binary, LICENSE, README.md and CHANGELOG.md in one
// folder; each binary is built for its platform with the release version
// linked in; the one this machine runs says so.
func TestReleaseArchives(t *testing.T) {
	dist, v := releaseDir(t)
	for _, p := range platforms {
		name := "graceful-rollout_" + v + "_" + p[0] + "_" + p[1]
		files := untar(t, filepath.Join(dist, name+".tar.gz"))
		var names []string
		for n := range files {
			names = append(names, n)
		}
		sort.Strings(names)
		want := []string{name + "/CHANGELOG.md", name + "/LICENSE", name + "/README.md", name + "/graceful-rollout"}
		if !slices.Equal(names, want) {
			t.Errorf("%s holds %v, want %v", name, names, want)
			continue
		}
		bin := files[name+"/graceful-rollout"]
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
		// With -trimpath the build info leaves -ldflags out (they may hold
		// paths), so the linked version is looked for as the string the
		// linker wrote; a build without GR_VERSION holds no such string.
		if settings["-trimpath"] != "true" || !bytes.Contains(bin, []byte(v)) {
			t.Errorf("%s: -trimpath=%s, version %s linked in: %v", name, settings["-trimpath"], v, bytes.Contains(bin, []byte(v)))
		}
		if lic := string(files[name+"/LICENSE"]); !strings.Contains(lic, "Apache License") || !strings.Contains(lic, "Version 2.0") {
			t.Errorf("%s: LICENSE is not Apache-2.0", name)
		}
		if p[0] != runtime.GOOS || p[1] != runtime.GOARCH {
			continue
		}
		path := filepath.Join(t.TempDir(), "graceful-rollout")
		if err := os.WriteFile(path, bin, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, arg := range []string{"--version", "version"} {
			r := run(t, ".", path, arg)
			if r.code != 0 || r.stdout != "graceful-rollout "+v+"\n" {
				t.Errorf("%s %s: exit %d, %q; want graceful-rollout %s", name, arg, r.code, r.stdout, v)
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

// The SBOM is SPDX 2.3 JSON describing the release, every module linked in,
// and each binary by its SHA-256.
func TestReleaseSBOM(t *testing.T) {
	dist, v := releaseDir(t)
	var doc struct {
		SPDXVersion string `json:"spdxVersion"`
		Packages    []struct {
			Name        string `json:"name"`
			VersionInfo string `json:"versionInfo"`
		} `json:"packages"`
		Files []struct {
			FileName  string `json:"fileName"`
			Checksums []struct {
				Algorithm, ChecksumValue string
			} `json:"checksums"`
		} `json:"files"`
		Relationships []struct {
			Type string `json:"relationshipType"`
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
	var names []string
	for _, p := range doc.Packages {
		names = append(names, p.Name)
	}
	for _, m := range []string{"sigs.k8s.io/kustomize/kyaml", "github.com/kptdev/krm-functions-sdk/go/fn"} {
		if !slices.Contains(names, m) {
			t.Errorf("SBOM lacks module %s", m)
		}
	}
	if len(doc.Files) != len(platforms) {
		t.Fatalf("SBOM names %d files, want %d", len(doc.Files), len(platforms))
	}
	for _, f := range doc.Files {
		name := strings.TrimPrefix(f.FileName, "./")
		archive := strings.Split(name, "/")[0] + ".tar.gz"
		bin := untar(t, filepath.Join(dist, archive))[name]
		sum := sha256.Sum256(bin)
		if len(f.Checksums) != 1 || f.Checksums[0].ChecksumValue != hex.EncodeToString(sum[:]) {
			t.Errorf("SBOM checksum of %s does not match the archive's binary", name)
		}
	}
}

// The image archive is an OCI layout whose index tags vX.Y.Z, vX.Y and vX
// (never latest), each an index of a linux/amd64 and a linux/arm64 image.
func TestReleaseImage(t *testing.T) {
	dist, v := releaseDir(t)
	if os.Getenv("GR_RELEASE_IMAGE") == "0" {
		t.Skip("GR_RELEASE_IMAGE=0: no image")
	}
	files := untar(t, filepath.Join(dist, "graceful-rollout_"+v+"_image.oci.tar"))
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
			t.Fatalf("blob %s missing from the layout", digest)
		}
		return b
	}
	if err := json.Unmarshal(files["./index.json"], &index); err != nil {
		t.Fatalf("index.json: %v", err)
	}
	parts := strings.Split(v, ".")
	wantTags := []string{"v" + v, "v" + parts[0] + "." + parts[1], "v" + parts[0]}
	var tags []string
	for _, m := range index.Manifests {
		tag := m.Annotations["org.opencontainers.image.ref.name"]
		tags = append(tags, tag)
		var list struct {
			Manifests []descriptor `json:"manifests"`
		}
		if err := json.Unmarshal(blob(m.Digest), &list); err != nil {
			t.Fatalf("%s: %v", tag, err)
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
					Labels map[string]string `json:"Labels"`
				} `json:"config"`
			}
			if err := json.Unmarshal(blob(manifest.Config.Digest), &cfg); err != nil {
				t.Fatal(err)
			}
			if l := cfg.Config.Labels; l["org.opencontainers.image.version"] != v || l["org.opencontainers.image.licenses"] != "Apache-2.0" {
				t.Errorf("%s %s: labels %v", tag, cfg.Architecture, l)
			}
		}
		sort.Strings(plats)
		if !slices.Equal(plats, []string{"linux/amd64", "linux/arm64"}) {
			t.Errorf("%s: platforms %v, want linux/amd64 and linux/arm64", tag, plats)
		}
	}
	sort.Strings(tags)
	sort.Strings(wantTags)
	if !slices.Equal(tags, wantTags) {
		t.Errorf("tags %v, want %v (never latest)", tags, wantTags)
	}
	// The images hack/release.sh left in local storage answer with the
	// version (this machine's architecture; FROM scratch needs no
	// emulation to build the other, but running it would).
	if podman, err := exec.LookPath("podman"); err == nil {
		for _, tag := range wantTags {
			r := run(t, ".", podman, "run", "--rm", "--network", "none", "localhost/graceful-rollout:"+tag, "--version")
			if r.code != 0 || r.stdout != "graceful-rollout "+v+"\n" {
				t.Errorf("podman run localhost/graceful-rollout:%s --version: exit %d, %q %s", tag, r.code, r.stdout, r.stderr)
			}
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
