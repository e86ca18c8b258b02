// Command sbom writes an SPDX 2.3 JSON software bill of materials for the
// release binaries from their Go build info (what `go version -m` shows):
// the main module and every module linked in, with versions, package URLs
// and the Go module checksums, and each binary as a file with its SHA-256.
//
//	go run ./hack/sbom -version 0.1.0 -o dist/graceful-rollout_0.1.0.spdx.json dist/*/graceful-rollout
package main

import (
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
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
	doc.DocumentNamespace = "https://github.com/graceful-rollout/graceful-rollout/releases/v" + version + "/sbom.spdx.json"
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
	var mainPkg pkg
	for _, bin := range binaries {
		bi, err := buildinfo.ReadFile(bin)
		if err != nil {
			return fmt.Errorf("%s: %v", bin, err)
		}
		doc.CreationInfo.Creators = []string{"Tool: graceful-rollout-hack-sbom", "Tool: " + bi.GoVersion}
		if mainPkg.Name == "" {
			mainPkg = pkg{
				SPDXID: "SPDXRef-Package-graceful-rollout", Name: bi.Main.Path, VersionInfo: "v" + version,
				DownloadLocation: "git+https://" + bi.Main.Path + "@v" + version,
				LicenseConcluded: "Apache-2.0", LicenseDeclared: "Apache-2.0", CopyrightText: "NOASSERTION",
				Supplier:     "Organization: graceful-rollout",
				ExternalRefs: []externalRef{{"PACKAGE-MANAGER", "purl", "pkg:golang/" + bi.Main.Path + "@v" + version}},
			}
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
		fid := spdxID("File", goos+"-"+goarch)
		doc.Files = append(doc.Files, file{
			SPDXID: fid, FileName: "./" + strings.TrimPrefix(name, "./"),
			Checksums:        []checksum{{"SHA256", sum}},
			LicenseConcluded: "Apache-2.0", CopyrightText: "NOASSERTION",
			Comment: fmt.Sprintf("graceful-rollout for %s/%s, built with %s", goos, goarch, bi.GoVersion),
		})
		doc.Relationships = append(doc.Relationships, relationship{mainPkg.SPDXID, "CONTAINS", fid})
	}
	doc.Packages = append(doc.Packages, mainPkg)
	ids := make([]string, 0, len(mods))
	for id := range mods {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		doc.Packages = append(doc.Packages, mods[id])
		doc.Relationships = append(doc.Relationships, relationship{mainPkg.SPDXID, "DEPENDS_ON", id})
	}
	doc.Relationships = append([]relationship{{"SPDXRef-DOCUMENT", "DESCRIBES", mainPkg.SPDXID}}, doc.Relationships...)
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
