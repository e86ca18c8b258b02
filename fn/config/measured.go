package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/graceful-rollout/graceful-rollout/fn/profile"
)

// Measurement is what graceful-rollout-calibrate measured on the user's own
// cluster, per path (keyed by the profile name whose numbers the path uses:
// gke-neg, eks-alb, generic, ...). With it the plan derives preStop and
// minReadySeconds from the figures plus a margin instead of the profile's
// flat constants; without it nothing is shortened.
//
// Typed: spec.measured.{cluster,date} and spec.measured.<path>.{attachSeconds,
// detachSeconds,marginSeconds,samples}; ConfigMap: the same paths as flat
// keys (measured.cluster, measured.gke-neg.detachSeconds, ...).
type Measurement struct {
	// Cluster and Date name the measurement in results ("measured on
	// cluster prod-eu on 2026-12-05").
	Cluster string
	Date    string
	// Paths by profile name.
	Paths map[string]*Measured
}

// Measured is one path's figures, in seconds (p95 of the samples).
type Measured struct {
	// Attach: a new pod Ready -> the first request it serves through the
	// entry (the load balancer's attach and health checks, whatever of
	// them a readiness gate does not already hold the pod back for).
	Attach *float64
	// Detach: a pod terminating -> the last request it receives (L).
	Detach *float64
	// Margin added to each figure (nil: DefaultMargin of the figure).
	Margin *float64
	// Samples the figures are p95 of (0: not stated).
	Samples int
}

// DefaultMargin is the margin the plan adds to a measured figure when the
// config states none: a quarter of the figure, at least 2 s.
func DefaultMargin(figure float64) float64 { return math.Max(2, figure/4) }

// MarginFor is m's margin for a figure.
func (m *Measured) MarginFor(figure float64) float64 {
	if m.Margin != nil {
		return *m.Margin
	}
	return DefaultMargin(figure)
}

// Source names the measurement: "measured on cluster X on DATE".
func (ms Measurement) Source() string {
	s := "measured"
	if ms.Cluster != "" {
		s += " on cluster " + ms.Cluster
	}
	if ms.Date != "" {
		s += " on " + ms.Date
	}
	return s
}

// For returns the figures measured for a path (nil: none).
func (ms Measurement) For(path string) *Measured {
	if m := ms.Paths[path]; m != nil && (m.Attach != nil || m.Detach != nil) {
		return m
	}
	return nil
}

func (ms *Measurement) path(name string) *Measured {
	if ms.Paths == nil {
		ms.Paths = map[string]*Measured{}
	}
	if ms.Paths[name] == nil {
		ms.Paths[name] = &Measured{}
	}
	return ms.Paths[name]
}

// ParseDecimalSeconds reads seconds with a fraction ("12.4"), 0 to MaxSeconds.
func ParseDecimalSeconds(v string) (float64, error) {
	x, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, fmt.Errorf("%q is not a number of seconds", v)
	}
	if x < 0 || x > MaxSeconds {
		return 0, fmt.Errorf("%g is out of range: seconds must be between 0 and %d", x, MaxSeconds)
	}
	return x, nil
}

func measuredSettings() []setting {
	out := []setting{
		{key: "measured.cluster", typed: "measured.cluster", read: func(c *Config, v string) error {
			c.Measured.Cluster = v
			return nil
		}},
		{key: "measured.date", typed: "measured.date", read: func(c *Config, v string) error {
			if _, err := time.Parse(time.DateOnly, v); err != nil {
				if _, err := time.Parse(time.RFC3339, v); err != nil {
					return fmt.Errorf("%q is not a date (2026-12-05) or an RFC 3339 time", v)
				}
			}
			c.Measured.Date = v
			return nil
		}},
	}
	for _, name := range profile.Names() {
		k := "measured." + name + "."
		secs := func(dst func(m *Measured) **float64) func(c *Config, v string) error {
			return func(c *Config, v string) error {
				x, err := ParseDecimalSeconds(v)
				if err != nil {
					return err
				}
				*dst(c.Measured.path(name)) = &x
				return nil
			}
		}
		out = append(out,
			setting{key: k + "attachSeconds", typed: k + "attachSeconds", read: secs(func(m *Measured) **float64 { return &m.Attach })},
			setting{key: k + "detachSeconds", typed: k + "detachSeconds", read: secs(func(m *Measured) **float64 { return &m.Detach })},
			setting{key: k + "marginSeconds", typed: k + "marginSeconds", read: secs(func(m *Measured) **float64 { return &m.Margin })},
			setting{key: k + "samples", typed: k + "samples", read: func(c *Config, v string) error {
				n, err := strconv.Atoi(v)
				if err != nil || n < 1 {
					return fmt.Errorf("%q is not a whole number of samples above 0", v)
				}
				c.Measured.path(name).Samples = n
				return nil
			}},
		)
	}
	return out
}

func init() {
	settings = append(settings, measuredSettings()...)
}

// validateMeasured: a margin or a sample count alone measures nothing.
func (c *Config) validateMeasured() Errors {
	var errs Errors
	for _, name := range profile.Names() {
		m := c.Measured.Paths[name]
		if m != nil && m.Attach == nil && m.Detach == nil {
			errs = append(errs, FieldError{c.path("measured." + name + ".attachSeconds"), "a margin or sample count without attachSeconds or detachSeconds measures nothing"})
		}
	}
	return errs
}

// collapseMeasured folds the per-path measured keys of a key list into one
// entry, so that messages listing the known settings stay readable.
func collapseMeasured(keys []string) []string {
	out := keys[:0:0]
	added := false
	for _, k := range keys {
		if strings.HasPrefix(k, "measured.") && strings.Count(k, ".") == 2 {
			if !added {
				out = append(out, "measured.<path>.{attachSeconds,detachSeconds,marginSeconds,samples} (path: a profile name)")
				added = true
			}
			continue
		}
		out = append(out, k)
	}
	return out
}
