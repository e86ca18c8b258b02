package config

import (
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// The settings tables of docs/reference.md list exactly the settings this
// package reads: each row's ConfigMap key and typed path.
func TestReferenceSettingsTable(t *testing.T) {
	b, err := os.ReadFile("../../docs/reference.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `([A-Za-z0-9.<>-]+)` \\| `([A-Za-z0-9.<>-]+)`")
	var documented []string
	for _, m := range row.FindAllStringSubmatch(string(b), -1) {
		documented = append(documented, m[1]+" = spec."+m[2])
	}
	// The measured figures of each path are one row per field, the
	// profile written <profile>.
	perPath := regexp.MustCompile(`^measured\.[a-z0-9-]+\.(attachSeconds|detachSeconds|marginSeconds|samples)$`)
	var want []string
	seen := map[string]bool{}
	for _, s := range Settings() {
		key, typed := s.Key, s.Typed
		if m := perPath.FindStringSubmatch(key); m != nil {
			key, typed = "measured.<profile>."+m[1], "measured.<profile>."+m[1]
		}
		if !seen[key] {
			seen[key] = true
			want = append(want, key+" = spec."+typed)
		}
	}
	sort.Strings(documented)
	sort.Strings(want)
	if strings.Join(documented, "\n") != strings.Join(want, "\n") {
		t.Errorf("docs/reference.md settings tables differ from the config schema:\n--- documented\n%s\n--- schema\n%s",
			strings.Join(documented, "\n"), strings.Join(want, "\n"))
	}
}
