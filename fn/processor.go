// Package fn is the graceful-rollout KRM function: it reads the
// functionConfig, indexes the input, plans every selected workload, and only
// when nothing is in error applies the plans through the transformers.
package fn

import (
	"fmt"
	"sort"
	"strings"

	kfn "github.com/kptdev/krm-functions-sdk/go/fn"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/graceful-rollout/graceful-rollout/fn/config"
	"github.com/graceful-rollout/graceful-rollout/fn/inventory"
	"github.com/graceful-rollout/graceful-rollout/fn/plan"
	"github.com/graceful-rollout/graceful-rollout/fn/profile"
	"github.com/graceful-rollout/graceful-rollout/transformers/edit"
	"github.com/graceful-rollout/graceful-rollout/transformers/lifecycle"
	"github.com/graceful-rollout/graceful-rollout/transformers/nslabel"
	"github.com/graceful-rollout/graceful-rollout/transformers/readiness"
	"github.com/graceful-rollout/graceful-rollout/transformers/strategy"
)

// Process is the ResourceList processor. On any error-severity result it
// leaves every item as it came and returns an error whose text (one line
// per problem) the SDK prints on stderr.
func Process(rl *kfn.ResourceList) (bool, error) {
	r := &run{}
	if err := kfn.CheckResourceDuplication(rl); err != nil {
		r.result(kfn.Error, nil, "", "input: %v", err)
		return r.finish(rl)
	}
	cfg, err := config.Parse(functionConfigNode(rl))
	if err != nil {
		fc := functionConfigObject(rl)
		var errs config.Errors
		if asErrors(err, &errs) {
			for _, e := range errs {
				r.result(kfn.Error, fc, e.Path, "%s", e.Msg)
			}
		} else {
			r.result(kfn.Error, fc, "", "%v", err)
		}
		return r.finish(rl)
	}
	if cfg.Source == "none" {
		r.result(kfn.Info, nil, "", "no functionConfig: using profile generic, mode default and the profile's numbers")
	}

	nodes := make([]*yaml.RNode, len(rl.Items))
	for i, o := range rl.Items {
		nodes[i] = o.MoveToResourceNode()
	}
	defer func() {
		for i, n := range nodes {
			rl.Items[i] = kfn.MoveToKubeObject(n)
		}
	}()
	r.transform(cfg, nodes)
	return r.finish(rl)
}

// run collects the results of one invocation.
type run struct {
	results kfn.Results
}

func (r *run) finish(rl *kfn.ResourceList) (bool, error) {
	rl.Results = append(rl.Results, r.results...)
	var msgs []string
	for _, res := range r.results {
		if res.Severity == kfn.Error {
			msgs = append(msgs, "  "+res.String())
		}
	}
	if len(msgs) == 0 {
		return true, nil
	}
	return false, fmt.Errorf("graceful-rollout: %d error(s); no item was changed:\n%s\n", len(msgs), strings.Join(msgs, "\n"))
}

// transform plans every selected workload, then applies the plans when no
// plan is in error. Staged copies replace nodes only at the end, so a
// failed run leaves every item as it came.
func (r *run) transform(cfg *config.Config, nodes []*yaml.RNode) {
	ix := inventory.New(nodes)
	for _, p := range ix.Problems {
		var o *inventory.Object
		for _, obj := range ix.Objects {
			if obj.Item == p.Item {
				o = obj
			}
		}
		r.result(kfn.Error, o, p.Field, "%s", p.Msg)
	}
	if len(ix.Problems) > 0 {
		return
	}

	staged := map[int]*yaml.RNode{}
	failed := false
	servingNamespaces := map[string]*inventory.Workload{}
	for _, w := range ix.Workloads {
		if !selected(cfg.Selector, w) {
			continue
		}
		p := plan.Make(&w.Facts, cfg)
		for _, f := range p.Findings {
			r.result(severity(f.Severity), &w.Object, f.Field, "%s", f.Message)
		}
		if p.Skip != "" {
			r.result(kfn.Info, &w.Object, "", "left alone: %s", p.Skip)
			continue
		}
		if p.HasErrors() {
			failed = true
			continue
		}
		if _, ok := servingNamespaces[w.Namespace]; !ok {
			servingNamespaces[w.Namespace] = w
		}
		cp := w.Node.Copy()
		changes, err := applyWorkload(cp, w.Kind, p)
		if err != nil {
			r.result(kfn.Error, &w.Object, "", "cannot apply the plan: %v", err)
			failed = true
			continue
		}
		r.report(cfg, &w.Object, p, changes)
		if len(changes) > 0 {
			staged[w.Item] = cp
		}
	}
	if cfg.Profile.Gate == profile.GateAWSTargetHealth {
		r.labelNamespaces(cfg, ix, servingNamespaces, staged)
	}
	if failed || cfg.Mode == config.ModeAudit {
		return
	}
	for i, n := range staged {
		if !r.hasErrors() {
			nodes[i] = n
		}
	}
}

// applyWorkload runs each concern's transformer on a workload.
func applyWorkload(n *yaml.RNode, kind string, p *plan.Plan) ([]edit.Change, error) {
	var all []edit.Change
	for _, t := range []interface {
		Apply(*yaml.RNode) ([]edit.Change, error)
	}{
		lifecycle.Filter{Plan: p},
		readiness.Filter{Plan: p},
		strategy.Filter{Kind: kind, Plan: p},
	} {
		cs, err := t.Apply(n)
		if err != nil {
			return nil, err
		}
		all = append(all, cs...)
	}
	return all, nil
}

func (r *run) labelNamespaces(cfg *config.Config, ix *inventory.Index, serving map[string]*inventory.Workload, staged map[int]*yaml.RNode) {
	names := make([]string, 0, len(serving))
	for ns := range serving {
		names = append(names, ns)
	}
	sort.Strings(names)
	f := nslabel.Filter{Label: nslabel.AWSGateInject, Value: "enabled", Overwrite: cfg.Mode == config.ModeEnforce}
	for _, ns := range names {
		obj, ok := ix.Namespaces[ns]
		if !ok {
			where := "namespace " + ns
			if ns == "" {
				where = "the namespace these workloads are deployed to"
			}
			r.result(kfn.Warning, &serving[ns].Object, "metadata.namespace", "%s is not in the input: label it %s=enabled so that the AWS Load Balancer Controller injects target-health readiness gates into its pods", where, nslabel.AWSGateInject)
			continue
		}
		cp := obj.Node.Copy()
		changes, kept, err := f.Apply(cp)
		switch {
		case err != nil:
			r.result(kfn.Error, obj, "metadata.labels", "cannot label: %v", err)
		case kept != "":
			r.result(kfn.Warning, obj, "metadata.labels."+nslabel.AWSGateInject, "is %q: the AWS Load Balancer Controller will not inject target-health readiness gates into its pods (kept in mode default)", kept)
		case len(changes) > 0:
			if cfg.Mode == config.ModeAudit {
				r.result(kfn.Error, obj, changes[0].Field, "audit: would set %s so that the AWS Load Balancer Controller injects target-health readiness gates", changes[0])
				continue
			}
			r.result(kfn.Info, obj, changes[0].Field, "set %s: the AWS Load Balancer Controller injects target-health readiness gates into pods of labelled namespaces", changes[0])
			staged[obj.Item] = cp
		}
	}
}

// report adds the one-line timeline of a planned workload and, in audit
// mode, one error per change default mode would make.
func (r *run) report(cfg *config.Config, o *inventory.Object, p *plan.Plan, changes []edit.Change) {
	line := Timeline(p)
	if cfg.Mode == config.ModeAudit {
		for _, c := range changes {
			from := c.From
			if from == "" {
				from = "unset"
			}
			r.result(kfn.Error, o, c.Field, "audit: would change %s -> %s", from, c.To)
		}
		if len(changes) == 0 {
			r.result(kfn.Info, o, "", "no change needed: %s", line)
		} else {
			r.result(kfn.Info, o, "", "audit: the plan is: %s", line)
		}
		return
	}
	if len(changes) == 0 {
		r.result(kfn.Info, o, "", "no change needed: %s", line)
		return
	}
	parts := make([]string, len(changes))
	for i, c := range changes {
		parts[i] = c.String()
	}
	r.result(kfn.Info, o, "", "%s; changed: %s", line, strings.Join(parts, "; "))
}

// Timeline explains a plan in one line.
func Timeline(p *plan.Plan) string {
	var b strings.Builder
	fmt.Fprintf(&b, "LB stops sending by %ds, preStop ends at %ds", p.LBStop, p.PreStop)
	if p.PreStop < p.LBStop {
		fmt.Fprintf(&b, " (%ds too early)", p.LBStop-p.PreStop)
	}
	fmt.Fprintf(&b, ", app has %ds to drain, hard kill at %ds", p.Grace-p.PreStop, p.Grace)
	if p.MinReady > 0 {
		fmt.Fprintf(&b, "; new pods serve %ds before old ones go", p.MinReady)
	}
	if len(p.Gates) > 0 {
		fmt.Fprintf(&b, "; gated on %s", strings.Join(p.Gates, ", "))
	}
	return b.String()
}

func selected(s config.Selector, w *inventory.Workload) bool {
	in := func(list []string, v string) bool {
		if len(list) == 0 {
			return true
		}
		for _, x := range list {
			if x == v {
				return true
			}
		}
		return false
	}
	if !in(s.Kinds, w.Kind) || !in(s.Namespaces, w.Namespace) || !in(s.Names, w.Name) {
		return false
	}
	if s.Labels != nil {
		return s.Labels.Matches(labels.Set(w.Labels))
	}
	return true
}

func severity(s plan.Severity) kfn.Severity {
	switch s {
	case plan.Error:
		return kfn.Error
	case plan.Warning:
		return kfn.Warning
	}
	return kfn.Info
}

func (r *run) hasErrors() bool {
	for _, res := range r.results {
		if res.Severity == kfn.Error {
			return true
		}
	}
	return false
}

func (r *run) result(sev kfn.Severity, o *inventory.Object, field, format string, args ...any) {
	res := &kfn.Result{Severity: sev, Message: fmt.Sprintf(format, args...)}
	if o != nil {
		res.ResourceRef = resourceRef(o)
		if o.Path != "" {
			res.File = &kfn.File{Path: o.Path}
		}
	}
	if field != "" {
		res.Field = &kfn.Field{Path: field}
	}
	r.results = append(r.results, res)
}

func resourceRef(o *inventory.Object) *kfn.ResourceRef {
	return &kfn.ResourceRef{APIVersion: o.APIVersion, Kind: o.Kind, Name: o.Name, Namespace: o.Namespace}
}

// functionConfigObject identifies the functionConfig in results.
func functionConfigObject(rl *kfn.ResourceList) *inventory.Object {
	n := functionConfigNode(rl)
	if n == nil {
		return nil
	}
	return inventory.Identify(n)
}

func functionConfigNode(rl *kfn.ResourceList) *yaml.RNode {
	if rl.FunctionConfig == nil || rl.FunctionConfig.IsEmpty() {
		return nil
	}
	return rl.FunctionConfig.CopyToResourceNode()
}

func asErrors(err error, target *config.Errors) bool {
	es, ok := err.(config.Errors)
	if ok {
		*target = es
	}
	return ok
}
