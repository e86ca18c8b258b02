package profile

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// docTable returns the rows of a marked table of docs/reference.md.
func docTable(t *testing.T, marker string) []string {
	t.Helper()
	b, err := os.ReadFile("../../docs/reference.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	start := strings.Index(s, "<!-- "+marker)
	end := strings.Index(s, "<!-- /"+marker+" -->")
	if start < 0 || end < start {
		t.Fatalf("docs/reference.md has no %s markers", marker)
	}
	var rows []string
	for _, line := range strings.Split(s[start:end], "\n")[1:] {
		if strings.HasPrefix(line, "| ") && !strings.HasPrefix(line, "|---") {
			rows = append(rows, line)
		}
	}
	return rows[1:] // the header
}

func join(l []string) string {
	if len(l) == 0 {
		return "—"
	}
	return strings.Join(l, ", ")
}

// The reference's entry-point tables must say what the code does.
func TestDocsControllerTables(t *testing.T) {
	var want []string
	for _, c := range Controllers() {
		platform := string(c.Platform)
		if c.InCluster() {
			platform = "in-cluster proxy"
		}
		want = append(want, fmt.Sprintf("| %s | %s | %s | %s | %s | %s | %s |", c.Name, platform, c.Profile,
			join(append(append([]string{}, c.IngressClasses...), c.IngressControllers...)),
			join(append(append(append([]string{}, c.GatewayClasses...), c.GatewayClassPrefixes...), c.GatewayControllers...)),
			join(c.LoadBalancerClasses), strings.Join(c.Sources, "; ")))
	}
	if got := docTable(t, "controller-table"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("docs/reference.md controller table is out of date; want:\n%s", strings.Join(want, "\n"))
	}
	want = nil
	for _, p := range Proxies() {
		want = append(want, fmt.Sprintf("| %s | %d | %d | %s |", p.Name, p.LBStopSeconds, p.PreStopSeconds, strings.Join(p.Sources, "; ")))
	}
	if got := docTable(t, "proxy-table"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("docs/reference.md proxy table is out of date; want:\n%s", strings.Join(want, "\n"))
	}
}

// Every controller row names a row that exists, has a source and a name
// to be found by; every proxy row stops sending before its preStop ends.
func TestControllerRows(t *testing.T) {
	for _, c := range Controllers() {
		if _, ok := lookupRow(c.Profile); !ok {
			t.Errorf("%s: row %q is neither a profile nor a proxy row", c.Name, c.Profile)
		}
		if len(c.Sources) == 0 {
			t.Errorf("%s has no source", c.Name)
		}
		if len(c.IngressClasses)+len(c.IngressControllers)+len(c.GatewayClasses)+len(c.GatewayClassPrefixes)+len(c.GatewayControllers)+len(c.LoadBalancerClasses) == 0 {
			t.Errorf("%s has no name to be found by", c.Name)
		}
	}
	for _, p := range Proxies() {
		if p.PreStopSeconds < p.LBStopSeconds || len(p.Sources) == 0 {
			t.Errorf("proxy row %+v", p)
		}
	}
	// A controller name is found whatever the case of the class name.
	if c, ok := FindController(EntryIngress, "ALB", ""); !ok || c.Product != "alb" {
		t.Errorf("class ALB not found: %+v", c)
	}
	if _, ok := FindController(EntryIngress, "", "example.com/unknown"); ok {
		t.Errorf("an unknown controller was found")
	}
	// An IngressClass in the input that names an unknown controller is not
	// matched by its name: the name says nothing of the controller.
	if _, ok := FindController(EntryIngress, "alb", "example.com/unknown"); ok {
		t.Errorf("class alb with an unknown controller matched by name")
	}
}
