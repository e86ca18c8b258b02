package profile

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// The README's load-balancer table must say what the code does.
func TestREADMELBTable(t *testing.T) {
	b, err := os.ReadFile("../../docs/reference.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	start := strings.Index(s, "<!-- lb-table")
	end := strings.Index(s, "<!-- /lb-table -->")
	if start < 0 || end < start {
		t.Fatal("README has no lb-table markers")
	}
	var got []string
	for _, line := range strings.Split(s[start:end], "\n") {
		if strings.HasPrefix(line, "| ") && !strings.HasPrefix(line, "| profile") {
			got = append(got, line)
		}
	}
	var want []string
	list := func(l []string) string {
		var uniq []string
		for _, x := range l {
			if !slices.Contains(uniq, x) {
				uniq = append(uniq, x)
			}
		}
		if len(uniq) == 0 {
			return "—"
		}
		return strings.Join(uniq, ", ")
	}
	for _, p := range All() {
		if !p.HasLB() {
			want = append(want, fmt.Sprintf("| %s | none | — | — | — | — | — |", p.Name))
			continue
		}
		ingress, gateway := p.LB.Names()
		want = append(want, fmt.Sprintf("| %s | %s | %d | %d | %s | %s | %s |",
			p.Name, p.LB.Kind, p.LB.DefaultDrainSeconds, p.LB.MaxDrainSeconds,
			list(ingress), list(gateway), strings.Join(p.LB.Sources, "; ")))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("README lb table is out of date; want:\n%s", strings.Join(want, "\n"))
	}
}

func TestLBRows(t *testing.T) {
	for _, p := range All() {
		if !p.HasLB() {
			continue
		}
		if p.LB.MaxDrainSeconds <= 0 || p.LB.DefaultDrainSeconds > p.LB.MaxDrainSeconds || len(p.LB.Sources) == 0 {
			t.Errorf("%s: load balancer row %+v", p.Name, p.LB)
		}
		if ingress, _ := p.LB.Names(); len(ingress) == 0 {
			t.Errorf("%s: no Ingress class", p.Name)
		}
	}
}
