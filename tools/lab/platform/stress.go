package platform

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"
)

// z95 is the standard normal's 95th percentile: a log-normal draw
// exp(sigma*Z) has median 1 and p95 exp(sigma*z95).
const z95 = 1.6448536269514722

// Stress makes the platform slower and jittery, for the lab's stress runs
// (LAB_DELAY_FACTOR, LAB_JITTER, LAB_SEED): every attach and detach delay is
// multiplied by Factor and, when Jitter > 1, by a log-normal draw per event
// with median 1 and p95/median = Jitter, from a source seeded with Seed (the
// same seed gives the same sequence of draws). Health-check intervals and
// thresholds are the load balancer's configuration (the policy the function
// writes or reads), not delays, and stay as they are.
type Stress struct {
	Factor float64
	Jitter float64
	Seed   uint64
	sigma  float64
	rng    *rand.Rand
}

// NewStress checks the knobs: factor > 0, jitter >= 1.
func NewStress(factor, jitter float64, seed uint64) (*Stress, error) {
	if !(factor > 0) || math.IsInf(factor, 0) {
		return nil, fmt.Errorf("delay factor %g: must be > 0", factor)
	}
	if !(jitter >= 1) || math.IsInf(jitter, 0) {
		return nil, fmt.Errorf("jitter %g: must be >= 1 (p95/median of each delay)", jitter)
	}
	return &Stress{Factor: factor, Jitter: jitter, Seed: seed, sigma: math.Log(jitter) / z95,
		rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}, nil
}

// Multiplier draws the factor for one event: Factor times a log-normal draw
// (exactly Factor without jitter). A nil Stress is 1.
func (s *Stress) Multiplier() float64 {
	if s == nil {
		return 1
	}
	if s.sigma == 0 {
		return s.Factor
	}
	return s.Factor * math.Exp(s.sigma*s.rng.NormFloat64())
}

// Delay is base times one draw.
func (s *Stress) Delay(base time.Duration) time.Duration {
	if base <= 0 {
		return base
	}
	return time.Duration(float64(base) * s.Multiplier())
}

// P95 is the delay's true 95th percentile for a base delay: base × Factor ×
// Jitter.
func (s *Stress) P95(base float64) float64 {
	if s == nil {
		return base
	}
	return base * s.Factor * s.Jitter
}

// Quantile is the q-quantile (0..1) of xs by linear interpolation between
// closest ranks (xs is not changed); NaN for an empty slice.
func Quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	pos := q * float64(len(s)-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	return s[lo] + (s[hi]-s[lo])*(pos-float64(lo))
}
