package config

import (
	"fmt"
	"sort"
	"strings"

	"github.com/graceful-rollout/graceful-rollout/fn/profile"
)

// ReportFormat is the format of the report file.
type ReportFormat string

const (
	// ReportJSON is the results as a JSON document (ReportSchema below).
	ReportJSON ReportFormat = "json"
	// ReportSARIF is SARIF 2.1.0, one result per finding.
	ReportSARIF ReportFormat = "sarif"
)

// OutputConfig is where the run's results go besides the ResourceList (or
// stderr): a report file, and how much stderr says.
type OutputConfig struct {
	// Report is the path of the report file ("": none).
	Report string
	// ReportFormat of the report file (default json).
	ReportFormat ReportFormat
	// Quiet keeps stderr to warnings and errors.
	Quiet bool
}

var outputSettings = []setting{
	{key: "report", typed: "report", read: func(c *Config, v string) error {
		c.Output.Report = v
		return nil
	}},
	{key: "reportFormat", typed: "reportFormat", read: func(c *Config, v string) error {
		switch f := ReportFormat(v); f {
		case ReportJSON, ReportSARIF:
			c.Output.ReportFormat = f
			return nil
		}
		return fmt.Errorf("unknown report format %q (known: json, sarif)%s", v, didYouMean(v, []string{"json", "sarif"}))
	}},
	{key: "quiet", typed: "quiet", read: func(c *Config, v string) (err error) {
		c.Output.Quiet, err = parseStrictBool(v)
		return err
	}},
}

func init() {
	settings = append(settings, outputSettings...)
	// An unknown profile name gets the nearest known one.
	for i := range settings {
		if settings[i].key == "profile" {
			read := settings[i].read
			settings[i].read = func(c *Config, v string) error {
				err := read(c, v)
				if err != nil {
					return fmt.Errorf("%v%s", err, didYouMean(v, profile.Names()))
				}
				return nil
			}
		}
	}
}

// Setting describes one row of the settings table, for documentation and
// its tests.
type Setting struct {
	// Key is the ConfigMap key; Typed the path under spec of the typed form.
	Key, Typed string
}

// Settings lists every setting in table order.
func Settings() []Setting {
	out := make([]Setting, len(settings))
	for i, s := range settings {
		out[i] = Setting{Key: s.key, Typed: s.typed}
	}
	return out
}

// didYouMean names the candidate nearest to s when it is close enough to be
// a typo ("; did you mean \"x\"?"), else "".
func didYouMean(s string, candidates []string) string {
	best, bestD := "", -1
	for _, c := range candidates {
		d := distance(strings.ToLower(s), strings.ToLower(c))
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	// A typo: up to a third of the word changed (at least 1, at most 3
	// edits), or the one candidate s is a prefix or a case variant of.
	limit := min(max(len(s)/3, 1), 3)
	if best == "" || (bestD > limit && !strings.HasPrefix(strings.ToLower(best), strings.ToLower(s))) || s == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

// UnknownAnnotation is the warning for an annotation of ours that is not
// one of known: the nearest when it is close enough to be a typo, else the
// list.
func UnknownAnnotation(key string, known []string) string {
	if hint := didYouMean(key, known); hint != "" {
		return "unknown annotation; it has no effect" + hint
	}
	return "unknown annotation (known: " + strings.Join(known, ", ") + "); it has no effect"
}

// distance is the Levenshtein distance of a and b, with a swap of two
// adjacent letters counted as one edit.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// typedPaths lists the typed paths of every setting, sorted.
func typedPaths() []string {
	out := make([]string, len(settings))
	for i, s := range settings {
		out[i] = s.typed
	}
	sort.Strings(out)
	return out
}
