package lbpolicy

import (
	"strings"
	"testing"

	"github.com/graceful-rollout/graceful-rollout/fn/plan"
)

func p(l, pre, d, t int) *plan.Plan {
	return &plan.Plan{LBStop: l, PreStop: pre, Shutdown: d, Grace: t}
}

func TestCompute(t *testing.T) {
	testCases := map[string]struct {
		plans   []*plan.Plan
		limit   int
		pinned  *int
		want    Drain
		problem string
	}{
		"gke-neg profile: P + D - L = D = T - L": {
			plans: []*plan.Plan{p(20, 20, 10, 30)},
			want:  Drain{Seconds: 10, Low: 10, High: 10, Want: 10, Source: "plan"},
		},
		"eks-alb profile": {
			plans: []*plan.Plan{p(70, 70, 20, 90)},
			want:  Drain{Seconds: 20, Low: 20, High: 20, Want: 20, Source: "plan"},
		},
		"user grace longer than P + D: the drain stops when the app exits": {
			plans: []*plan.Plan{p(70, 70, 20, 300)},
			want:  Drain{Seconds: 20, Low: 20, High: 230, Want: 20, Source: "plan"},
		},
		"preStop longer than L: in-flight requests run until P + D": {
			plans: []*plan.Plan{p(5, 30, 20, 50)},
			want:  Drain{Seconds: 45, Low: 20, High: 45, Want: 45, Source: "plan"},
		},
		"preStop shortened below L by a cap: at least D, never past T - L": {
			plans:   []*plan.Plan{p(20, 15, 10, 25)},
			want:    Drain{Seconds: 5, Low: 10, High: 5, Want: 5, Source: "plan"},
			problem: "shorter than the 10 s",
		},
		"pods killed before the LB stops: 0": {
			plans:   []*plan.Plan{p(20, 14, 1, 15)},
			want:    Drain{Seconds: 0, Low: 1, High: -5, Want: -5, Source: "plan"},
			problem: "killed 5 s before",
		},
		"several workloads: the longest need, the shortest life": {
			plans: []*plan.Plan{p(20, 20, 10, 40), p(20, 20, 15, 35)},
			want:  Drain{Seconds: 15, Low: 15, High: 15, Want: 15, Source: "plan"},
		},
		"platform limit": {
			plans:   []*plan.Plan{p(0, 0, 5000, 6000)},
			limit:   3600,
			want:    Drain{Seconds: 3600, Low: 5000, High: 6000, Want: 5000, Source: "plan"},
			problem: "shorter than the 5000 s",
		},
		"pinned beyond T - L": {
			plans:   []*plan.Plan{p(70, 70, 20, 90)},
			pinned:  intp(300),
			want:    Drain{Seconds: 300, Low: 20, High: 20, Want: 20, Source: "setting"},
			problem: "300 s outlives the pods",
		},
		"pinned within bounds": {
			plans:  []*plan.Plan{p(5, 10, 20, 60)},
			pinned: intp(30),
			want:   Drain{Seconds: 30, Low: 20, High: 55, Want: 25, Source: "setting"},
		},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			got := Compute(tc.plans, tc.limit, tc.pinned, "setting")
			if got != tc.want {
				t.Errorf("Compute = %+v, want %+v", got, tc.want)
			}
			if pr := got.Problem(); (tc.problem == "") != (pr == "") || !strings.Contains(pr, tc.problem) {
				t.Errorf("Problem() = %q, want one containing %q", pr, tc.problem)
			}
		})
	}
}

// Over every profile-like combination, a computed drain never outlives the
// pod and covers the shutdown whenever the timeline allows it.
func TestCompute_Bounds(t *testing.T) {
	for l := 0; l <= 30; l += 5 {
		for pre := 0; pre <= 40; pre += 5 {
			for d := 0; d <= 30; d += 5 {
				for extra := 0; extra <= 20; extra += 10 {
					tt := pre + d + extra
					got := Compute([]*plan.Plan{p(l, pre, d, tt)}, 3600, nil, "")
					if got.Seconds < 0 || (got.High >= 0 && got.Seconds > got.High) {
						t.Fatalf("L%d P%d D%d T%d: drain %d outside [0, T-L %d]", l, pre, d, tt, got.Seconds, got.High)
					}
					if got.Low <= got.High && got.Seconds < got.Low {
						t.Fatalf("L%d P%d D%d T%d: drain %d below D although T-L allows it", l, pre, d, tt, got.Seconds)
					}
					if got.Low <= got.High && got.Problem() != "" {
						t.Fatalf("L%d P%d D%d T%d: unexpected problem %q", l, pre, d, tt, got.Problem())
					}
				}
			}
		}
	}
}

func intp(i int) *int { return &i }
