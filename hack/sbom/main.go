// Command sbom writes an SPDX 2.3 JSON software bill of materials for the
// release binaries from their Go build info (what `go version -m` shows):
// each main module (the function's, the calibrate command's) as a package
// that depends on exactly the modules linked into its binaries, with
// versions, package URLs and the Go module checksums, and each binary as a
// file with its SHA-256 that its main module's package contains.
//
//	go run ./hack/sbom -version 0.1.0 -o dist/graceful-rollout_0.1.0.spdx.json dist/*/graceful-rollout dist/*/graceful-rollout-calibrate
package main

import (
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

type checksum struct {
	Algorithm     string `json:"algorithm"`
	ChecksumValue string `json:"checksumValue"`
}

type externalRef struct {
	ReferenceCategory string `json:"referenceCategory"`
	ReferenceType     string `json:"referenceType"`
	ReferenceLocator  string `json:"referenceLocator"`
}

type pkg struct {
	SPDXID           string        `json:"SPDXID"`
	Name             string        `json:"name"`
	VersionInfo      string        `json:"versionInfo"`
	DownloadLocation string        `json:"downloadLocation"`
	FilesAnalyzed    bool          `json:"filesAnalyzed"`
	LicenseConcluded string        `json:"licenseConcluded"`
	LicenseDeclared  string        `json:"licenseDeclared"`
	CopyrightText    string        `json:"copyrightText"`
	Supplier         string        `json:"supplier,omitempty"`
	Comment          string        `json:"comment,omitempty"`
	ExternalRefs     []externalRef `json:"externalRefs,omitempty"`
}

type file struct {
	SPDXID           string     `json:"SPDXID"`
	FileName         string     `json:"fileName"`
	Checksums        []checksum `json:"checksums"`
	LicenseConcluded string     `json:"licenseConcluded"`
	CopyrightText    string     `json:"copyrightText"`
	Comment          string     `json:"comment,omitempty"`
}

type relationship struct {
	Element string `json:"spdxElementId"`
	Type    string `json:"relationshipType"`
	Related string `json:"relatedSpdxElement"`
}

type document struct {
	SPDXVersion       string `json:"spdxVersion"`
	DataLicense       string `json:"dataLicense"`
	SPDXID            string `json:"SPDXID"`
	Name              string `json:"name"`
	DocumentNamespace string `json:"documentNamespace"`
	CreationInfo      struct {
		Created  string   `json:"created"`
		Creators []string `json:"creators"`
	} `json:"creationInfo"`
	Packages      []pkg          `json:"packages"`
	Files         []file         `json:"files"`
	Relationships []relationship `json:"relationships"`
}

// repo is the repository every main module is in.
const repo = "github.com/graceful-rollout/graceful-rollout"

var idUnsafe = regexp.MustCompile(`[^A-Za-z0-9.-]+`)

func spdxID(prefix, s string) string {
	return "SPDXRef-" + prefix + "-" + idUnsafe.ReplaceAllString(s, "-")
}

func main() {
	version := flag.String("version", "", "the release version (X.Y.Z)")
	out := flag.String("o", "", "output file (default stdout)")
	flag.Parse()
	if *version == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: sbom -version X.Y.Z [-o FILE] BINARY...")
		os.Exit(2)
	}
	if err := run(*version, *out, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "sbom:", err)
		os.Exit(1)
	}
}

func run(version, out string, binaries []string) error {
	var doc document
	doc.SPDXVersion = "SPDX-2.3"
	doc.DataLicense = "CC0-1.0"
	doc.SPDXID = "SPDXRef-DOCUMENT"
	doc.Name = "graceful-rollout-" + version
	doc.DocumentNamespace = "https://" + repo + "/releases/v" + version + "/sbom.spdx.json"
	// The commit time makes the document reproducible (SOURCE_DATE_EPOCH).
	created := time.Now().UTC()
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		var sec int64
		if _, err := fmt.Sscan(s, &sec); err == nil {
			created = time.Unix(sec, 0).UTC()
		}
	}
	doc.CreationInfo.Created = created.Format(time.RFC3339)

	mods := map[string]pkg{}
	// One package per main module (the function's, the calibrate
	// command's), in the order of the arguments; each depends on the
	// modules linked into its own binaries and contains those binaries.
	var mains []pkg
	deps := map[string]map[string]bool{}
	for _, bin := range binaries {
		bi, err := buildinfo.ReadFile(bin)
		if err != nil {
			return fmt.Errorf("%s: %v", bin, err)
		}
		doc.CreationInfo.Creators = []string{"Tool: graceful-rollout-hack-sbom", "Tool: " + bi.GoVersion}
		mainID := spdxID("Package", path.Base(bi.Main.Path))
		if deps[mainID] == nil {
			deps[mainID] = map[string]bool{}
			location := "git+https://" + repo + "@v" + version
			if sub, ok := strings.CutPrefix(bi.Main.Path, repo+"/"); ok {
				location += "#" + sub
			} else if bi.Main.Path != repo {
				return fmt.Errorf("%s: main module %s is not in %s", bin, bi.Main.Path, repo)
			}
			mains = append(mains, pkg{
				SPDXID: mainID, Name: bi.Main.Path, VersionInfo: "v" + version,
				DownloadLocation: location,
				LicenseConcluded: "Apache-2.0", LicenseDeclared: "Apache-2.0", CopyrightText: "NOASSERTION",
				Supplier:     "Organization: graceful-rollout",
				ExternalRefs: []externalRef{{"PACKAGE-MANAGER", "purl", "pkg:golang/" + bi.Main.Path + "@v" + version}},
			})
		}
		for _, m := range bi.Deps {
			if m.Replace != nil {
				m = m.Replace
			}
			id := spdxID("Package", m.Path+"-"+m.Version)
			p := pkg{
				SPDXID: id, Name: m.Path, VersionInfo: m.Version,
				DownloadLocation: "NOASSERTION", LicenseConcluded: "NOASSERTION", LicenseDeclared: "NOASSERTION",
				CopyrightText: "NOASSERTION",
				ExternalRefs:  []externalRef{{"PACKAGE-MANAGER", "purl", "pkg:golang/" + m.Path + "@" + m.Version}},
			}
			if m.Sum != "" {
				p.Comment = "go.sum " + m.Sum
			}
			mods[id] = p
			deps[mainID][id] = true
		}
		sum, err := sha256File(bin)
		if err != nil {
			return err
		}
		var goos, goarch string
		for _, s := range bi.Settings {
			switch s.Key {
			case "GOOS":
				goos = s.Value
			case "GOARCH":
				goarch = s.Value
			}
		}
		name := filepath.ToSlash(bin)
		base := path.Base(name)
		fid := spdxID("File", base+"-"+goos+"-"+goarch)
		doc.Files = append(doc.Files, file{
			SPDXID: fid, FileName: "./" + strings.TrimPrefix(name, "./"),
			Checksums:        []checksum{{"SHA256", sum}},
			LicenseConcluded: "Apache-2.0", CopyrightText: "NOASSERTION",
			Comment: fmt.Sprintf("%s for %s/%s, built with %s", base, goos, goarch, bi.GoVersion),
		})
		doc.Relationships = append(doc.Relationships, relationship{mainID, "CONTAINS", fid})
	}
	doc.Packages = append(doc.Packages, mains...)
	ids := make([]string, 0, len(mods))
	for id := range mods {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		doc.Packages = append(doc.Packages, mods[id])
	}
	var describes []relationship
	for _, m := range mains {
		describes = append(describes, relationship{"SPDXRef-DOCUMENT", "DESCRIBES", m.SPDXID})
		for _, id := range ids {
			if deps[m.SPDXID][id] {
				doc.Relationships = append(doc.Relationships, relationship{m.SPDXID, "DEPENDS_ON", id})
			}
		}
	}
	doc.Relationships = append(describes, doc.Relationships...)
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if out == "" {
		_, err = os.Stdout.Write(b)
		return err
	}
	return os.WriteFile(out, b, 0o644)
}

func sha256File(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:]), nil
}
