package platform

import (
	"math"
	"testing"
	"time"
)

func TestStressDraws(t *testing.T) {
	for _, tc := range []struct{ factor, jitter float64 }{{1, 2}, {1.5, 2}, {1, 3}, {2, 1.2}} {
		s, err := NewStress(tc.factor, tc.jitter, 42)
		if err != nil {
			t.Fatal(err)
		}
		xs := make([]float64, 40000)
		for i := range xs {
			xs[i] = s.Multiplier()
		}
		med, p95 := Quantile(xs, 0.5), Quantile(xs, 0.95)
		if math.Abs(med/tc.factor-1) > 0.03 {
			t.Errorf("factor %g jitter %g: median %g, want %g", tc.factor, tc.jitter, med, tc.factor)
		}
		if r := p95 / med; math.Abs(r/tc.jitter-1) > 0.04 {
			t.Errorf("factor %g jitter %g: p95/median %g, want %g", tc.factor, tc.jitter, r, tc.jitter)
		}
		if got := s.P95(10); math.Abs(got-10*tc.factor*tc.jitter) > 1e-9 {
			t.Errorf("P95(10) = %g", got)
		}
	}
}

func TestStressSeeded(t *testing.T) {
	a, _ := NewStress(1, 2, 7)
	b, _ := NewStress(1, 2, 7)
	c, _ := NewStress(1, 2, 8)
	same, differ := true, false
	for range 100 {
		x, y, z := a.Multiplier(), b.Multiplier(), c.Multiplier()
		same = same && x == y
		differ = differ || x != z
	}
	if !same || !differ {
		t.Fatalf("same seed same draws %v, other seed differs %v", same, differ)
	}
}

func TestStressNoJitter(t *testing.T) {
	s, _ := NewStress(1.5, 1, 1)
	for range 10 {
		if d := s.Delay(10 * time.Second); d != 15*time.Second {
			t.Fatalf("Delay = %s, want 15s", d)
		}
	}
	var none *Stress
	if none.Multiplier() != 1 || none.Delay(3*time.Second) != 3*time.Second || none.P95(4) != 4 {
		t.Fatal("nil Stress changes delays")
	}
	if s.Delay(0) != 0 {
		t.Fatal("a zero delay was stretched")
	}
	for _, bad := range [][2]float64{{0, 1}, {-1, 2}, {1, 0.5}, {math.NaN(), 1}, {1, math.Inf(1)}} {
		if _, err := NewStress(bad[0], bad[1], 1); err == nil {
			t.Errorf("NewStress(%g, %g) accepted", bad[0], bad[1])
		}
	}
}

func TestQuantile(t *testing.T) {
	xs := []float64{5, 1, 4, 2, 3}
	if Quantile(xs, 0.5) != 3 || Quantile(xs, 0) != 1 || Quantile(xs, 1) != 5 || Quantile(xs, 0.95) != 4.8 {
		t.Fatalf("quantiles %g %g %g %g", Quantile(xs, 0.5), Quantile(xs, 0), Quantile(xs, 1), Quantile(xs, 0.95))
	}
	if xs[0] != 5 {
		t.Fatal("Quantile sorted its input")
	}
	if !math.IsNaN(Quantile(nil, 0.5)) {
		t.Fatal("empty")
	}
}
