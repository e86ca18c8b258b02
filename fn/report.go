package fn

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	kfn "github.com/kptdev/krm-functions-sdk/go/fn"

	"github.com/graceful-rollout/graceful-rollout/fn/config"
)

// Exit codes of the binary (docs/reference.md, "Exit codes").
const (
	// ExitOK: the run succeeded (also on empty input).
	ExitOK = 0
	// ExitFailed: the function could not run or refused the input: bad
	// input or functionConfig, a workload that cannot be made safe, a
	// report that cannot be written.
	ExitFailed = 1
	// ExitAuditFindings: mode audit found changes to make, and nothing
	// else failed.
	ExitAuditFindings = 2
)

// Rules classify results in reports: every result has one.
var Rules = []Rule{
	{"audit-change", "error", "mode audit: a change mode default would make (a field or a companion object)"},
	{"hook-version", "error", "a preStop hook that cannot run on the declared kubernetesVersion (the native sleep action needs 1.30)"},
	{"input", "error", "the input cannot be read: not YAML, not a ResourceList, duplicate or unreadable objects"},
	{"config", "error", "the functionConfig is invalid: an unknown or mistyped setting, a bad value, a contradiction"},
	{"unsafe", "error", "a workload that cannot be made safe as configured (a preStop over a platform cap, a shell-less image without a sleep mechanism, a bad annotation)"},
	{"risk", "warning", "a risk the function cannot fix or that a setting left in place"},
	{"plan", "note", "what the function planned or changed, its numbers, their sources and what the plan costs"},
}

// Rule is one kind of finding in a report.
type Rule struct {
	ID, Level, Description string
}

// RuleOf classifies a result.
func RuleOf(r *kfn.Result) string {
	msg := r.Message
	switch {
	case strings.HasPrefix(msg, "audit: would"):
		return "audit-change"
	case strings.Contains(msg, "cannot run on Kubernetes"):
		return "hook-version"
	case strings.HasPrefix(msg, "input:"):
		return "input"
	case r.ResourceRef != nil && (r.ResourceRef.Kind == config.Kind || r.ResourceRef.Kind == "ConfigMap" && r.Field != nil && (strings.HasPrefix(r.Field.Path, "data.") || r.Field.Path == "kind" || r.Field.Path == "apiVersion")):
		if r.Severity == kfn.Error {
			return "config"
		}
	}
	switch r.Severity {
	case kfn.Error:
		return "unsafe"
	case kfn.Warning:
		return "risk"
	}
	return "plan"
}

// ExitCode is the binary's exit code for a run whose results are these and
// that failed (failed) or not.
func ExitCode(results kfn.Results, failed bool) int {
	if !failed {
		return ExitOK
	}
	audit := 0
	for _, r := range results {
		if r.Severity != kfn.Error {
			continue
		}
		if rule := RuleOf(r); rule != "audit-change" && rule != "hook-version" {
			return ExitFailed
		}
		audit++
	}
	if audit == 0 {
		return ExitFailed
	}
	return ExitAuditFindings
}

// Report is what the report file is about: the results of one run, the
// tool's version, and each object's file where the input names it.
type Report struct {
	Version string
	Results kfn.Results
	// Files names the file of objects whose results carry none ("Kind
	// namespace/name" -> path), from Helm's "# Source:" comments.
	Files map[string]string
}

// Write writes the report to path in format (json when empty).
func (rep *Report) Write(path string, format config.ReportFormat) error {
	var doc any
	switch format {
	case config.ReportSARIF:
		doc = rep.sarif()
	default:
		doc = rep.json()
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("report: %v", err)
	}
	return nil
}

// ReportOptions reads the report settings of a functionConfig that may not
// parse: a run that fails on its config still writes its report.
func ReportOptions(rl *kfn.ResourceList) (path string, format config.ReportFormat, quiet bool) {
	fc := rl.FunctionConfig
	if fc == nil || fc.IsEmpty() {
		return "", "", false
	}
	get := func(key string) string {
		for _, p := range [][]string{{"data", key}, {"spec", key}} {
			if v, ok, err := fc.NestedString(p...); ok && err == nil {
				return strings.TrimSpace(v)
			}
			if b, ok, err := fc.NestedBool(p...); ok && err == nil && key == "quiet" {
				return fmt.Sprint(b)
			}
		}
		return ""
	}
	return get("report"), config.ReportFormat(get("reportFormat")), get("quiet") == "true"
}

func objectID(r *kfn.ResourceRef) string {
	if r == nil {
		return ""
	}
	id := r.Kind + " "
	if r.Namespace != "" {
		id += r.Namespace + "/"
	}
	return id + r.Name
}

func (rep *Report) file(r *kfn.Result) string {
	if r.File != nil && r.File.Path != "" {
		return r.File.Path
	}
	return rep.Files[objectID(r.ResourceRef)]
}

type jsonResult struct {
	Rule     string           `json:"rule"`
	Severity string           `json:"severity"`
	Message  string           `json:"message"`
	Object   *kfn.ResourceRef `json:"object,omitempty"`
	File     string           `json:"file,omitempty"`
	Field    string           `json:"field,omitempty"`
}

func (rep *Report) json() any {
	counts := map[string]int{"error": 0, "warning": 0, "info": 0}
	results := []jsonResult{}
	for _, r := range rep.Results {
		counts[string(r.Severity)]++
		jr := jsonResult{Rule: RuleOf(r), Severity: string(r.Severity), Message: r.Message, Object: r.ResourceRef, File: rep.file(r)}
		if r.Field != nil {
			jr.Field = r.Field.Path
		}
		results = append(results, jr)
	}
	return map[string]any{
		"tool":    "graceful-rollout",
		"version": rep.Version,
		"summary": counts,
		"results": results,
	}
}

// SARIF 2.1.0 (OASIS), the subset code-scanning tools read.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string       `json:"id"`
	ShortDescription     sarifMessage `json:"shortDescription"`
	DefaultConfiguration struct {
		Level string `json:"level"`
	} `json:"defaultConfiguration"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID     string          `json:"ruleId"`
	RuleIndex  int             `json:"ruleIndex"`
	Level      string          `json:"level"`
	Message    sarifMessage    `json:"message"`
	Locations  []sarifLocation `json:"locations,omitempty"`
	Properties map[string]any  `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysical `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
	Message          *sarifMessage  `json:"message,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation struct {
		URI string `json:"uri"`
	} `json:"artifactLocation"`
}

type sarifLogical struct {
	Name               string `json:"name,omitempty"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

func (rep *Report) sarif() any {
	run := sarifRun{Tool: sarifTool{Driver: sarifDriver{
		Name:           "graceful-rollout",
		Version:        rep.Version,
		InformationURI: "https://github.com/graceful-rollout/graceful-rollout",
	}}, Results: []sarifResult{}}
	index := map[string]int{}
	for i, r := range Rules {
		sr := sarifRule{ID: r.ID, ShortDescription: sarifMessage{r.Description}}
		sr.DefaultConfiguration.Level = r.Level
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sr)
		index[r.ID] = i
	}
	for _, r := range rep.Results {
		rule := RuleOf(r)
		res := sarifResult{RuleID: rule, RuleIndex: index[rule], Level: sarifLevel(r.Severity), Message: sarifMessage{r.Message}}
		var loc sarifLocation
		if f := rep.file(r); f != "" {
			loc.PhysicalLocation = &sarifPhysical{}
			loc.PhysicalLocation.ArtifactLocation.URI = f
		}
		if id := objectID(r.ResourceRef); id != "" {
			obj := strings.ReplaceAll(id, " ", "/")
			loc.LogicalLocations = append(loc.LogicalLocations, sarifLogical{Name: r.ResourceRef.Name, FullyQualifiedName: obj, Kind: "object"})
			if r.Field != nil && r.Field.Path != "" {
				loc.LogicalLocations = append(loc.LogicalLocations, sarifLogical{Name: r.Field.Path, FullyQualifiedName: obj + ":" + r.Field.Path, Kind: "member"})
			}
		}
		if loc.PhysicalLocation != nil || loc.LogicalLocations != nil {
			res.Locations = []sarifLocation{loc}
		}
		if r.Field != nil && r.Field.Path != "" {
			res.Properties = map[string]any{"field": r.Field.Path}
		}
		run.Results = append(run.Results, res)
	}
	return sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{run},
	}
}

func sarifLevel(s kfn.Severity) string {
	switch s {
	case kfn.Error:
		return "error"
	case kfn.Warning:
		return "warning"
	}
	return "note"
}
