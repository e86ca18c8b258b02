package profile

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// The README's profile table must say what the code does.
func TestREADMETable(t *testing.T) {
	b, err := os.ReadFile("../../docs/reference.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	start := strings.Index(s, "<!-- profile-table")
	end := strings.Index(s, "<!-- /profile-table -->")
	if start < 0 || end < start {
		t.Fatal("README has no profile-table markers")
	}
	var got []string
	for _, line := range strings.Split(s[start:end], "\n") {
		if strings.HasPrefix(line, "| ") && !strings.HasPrefix(line, "| profile") {
			got = append(got, line)
		}
	}
	var want []string
	for _, p := range All() {
		spot := "—"
		if p.SpotGraceCap > 0 {
			spot = fmt.Sprint(p.SpotGraceCap)
		}
		want = append(want, fmt.Sprintf("| %s | %d | %d | %d | %d | %d | %s | %s | %s |",
			p.Name, p.LBStopSeconds, p.PreStopSeconds, p.ShutdownSeconds, max(p.PreStopSeconds+p.ShutdownSeconds, 30),
			p.MinReadySeconds, p.Gate, spot, strings.Join(p.Sources, "; ")))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("README profile table is out of date; want:\n%s", strings.Join(want, "\n"))
	}
}

func TestLookup(t *testing.T) {
	for _, name := range Names() {
		p, err := Lookup(name)
		if err != nil || p.Name != name {
			t.Errorf("Lookup(%q) = %v, %v", name, p.Name, err)
		}
		if p.PreStopSeconds < p.LBStopSeconds {
			t.Errorf("%s: preStop %d ends before the load balancer stops sending (%d)", name, p.PreStopSeconds, p.LBStopSeconds)
		}
		if len(p.Sources) == 0 {
			t.Errorf("%s has no source", name)
		}
	}
	if _, err := Lookup("gke-gateway"); err == nil || !strings.Contains(err.Error(), "gke-neg") {
		t.Errorf("unknown profile error should list the known ones: %v", err)
	}
}
