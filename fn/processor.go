// Package fn is the graceful-rollout KRM function: it reads the
// functionConfig, indexes the input, plans every selected workload, and only
// when nothing is in error applies the plans through the transformers.
package fn

import (
	"fmt"
	"slices"
	"strings"

	kfn "github.com/kptdev/krm-functions-sdk/go/fn"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/graceful-rollout/graceful-rollout/fn/companion"
	"github.com/graceful-rollout/graceful-rollout/fn/config"
	"github.com/graceful-rollout/graceful-rollout/fn/inventory"
	"github.com/graceful-rollout/graceful-rollout/fn/plan"
	"github.com/graceful-rollout/graceful-rollout/fn/profile"
	"github.com/graceful-rollout/graceful-rollout/internal/edit"
	"github.com/graceful-rollout/graceful-rollout/transformers/lbpolicy"
	"github.com/graceful-rollout/graceful-rollout/transformers/lifecycle"
	"github.com/graceful-rollout/graceful-rollout/transformers/mesh"
	"github.com/graceful-rollout/graceful-rollout/transformers/nslabel"
	"github.com/graceful-rollout/graceful-rollout/transformers/pdb"
	"github.com/graceful-rollout/graceful-rollout/transformers/readiness"
	"github.com/graceful-rollout/graceful-rollout/transformers/sidecar"
	"github.com/graceful-rollout/graceful-rollout/transformers/strategy"
)

// Process is the ResourceList processor. On any error-severity result it
// leaves every item as it came and returns an error whose text (one line
// per problem) the SDK prints on stderr.
func Process(rl *kfn.ResourceList) (bool, error) {
	return ProcessSummary(rl, nil)
}

// ProcessSummary is Process that also fills sum (when not nil) with what a
// successful run did, for the summary main prints on stderr.
func ProcessSummary(rl *kfn.ResourceList, sum *Summary) (bool, error) {
	r := &run{sum: sum}
	if sum != nil {
		sum.fromKpt = fromKpt(rl)
	}
	if _, err := itemIDs(rl.Items); err != nil {
		// The SDK's getters would panic in its duplicate check (fn.Main
		// refuses such input before calling Process).
		r.result(kfn.Error, nil, "", "input: %v", err)
		return r.finish(rl)
	}
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

	nodes := make([]*yaml.RNode, 0, len(rl.Items))
	for _, o := range rl.Items {
		nodes = append(nodes, r.flattenList(o.MoveToResourceNode())...)
	}
	nodes = r.transform(cfg, nodes)
	rl.Items = make(kfn.KubeObjects, len(nodes))
	ok := !r.hasErrors()
	for i, n := range nodes {
		if ok {
			// The SDK would write an empty null in a flow map ({preStop})
			// as '', a string, which the next reader (the function's
			// second run, the API server) takes for a value. (A failed run
			// writes every item as the SDK does.)
			edit.KeepNulls(n.YNode(), true)
		}
		rl.Items[i] = kfn.MoveToKubeObject(n)
	}
	return r.finish(rl)
}

// companions run after the workload pass, in this order.
var companions = []companion.Companion{
	nslabel.Companion{},
	lbpolicy.Companion{},
	pdb.Companion{},
	mesh.Companion{},
}

// flattenList returns the items of a v1 List (kubectl's export format, what
// "kubectl get -o yaml" writes) in its place, as kustomize flattens one
// before a function sees it, so that every client plans them alike; any
// other object alone. The items keep the List's file annotations.
func (r *run) flattenList(n *yaml.RNode) []*yaml.RNode {
	if n.GetApiVersion() != "v1" || n.GetKind() != "List" {
		return []*yaml.RNode{n}
	}
	items := n.Field("items")
	if items == nil || items.Value.YNode().Kind != yaml.SequenceNode {
		return []*yaml.RNode{n}
	}
	path := n.GetAnnotations(kioutil.PathAnnotation, kioutil.LegacyPathAnnotation)
	var out []*yaml.RNode
	for _, it := range items.Value.YNode().Content {
		item := yaml.NewRNode(it)
		for _, k := range []string{kioutil.PathAnnotation, kioutil.LegacyPathAnnotation} {
			if v, ok := path[k]; ok && item.GetAnnotations(k)[k] == "" {
				_ = item.PipeE(yaml.SetAnnotation(k, v))
			}
		}
		out = append(out, item)
	}
	r.result(kfn.Info, nil, "", "a v1 List%s was flattened into its %d items, planned one by one (as kustomize flattens it); the output has them as separate objects", listWhere(path), len(out))
	return out
}

func listWhere(path map[string]string) string {
	for _, k := range []string{kioutil.PathAnnotation, kioutil.LegacyPathAnnotation} {
		if v := path[k]; v != "" {
			return " in " + v
		}
	}
	return ""
}

// run collects the results of one invocation.
type run struct {
	results kfn.Results
	sum     *Summary
}

func (r *run) finish(rl *kfn.ResourceList) (bool, error) {
	rl.Results = append(rl.Results, r.results...)
	if r.sum != nil {
		for _, res := range r.results {
			if res.Severity == kfn.Warning {
				r.sum.Warnings = append(r.sum.Warnings, res.String())
			}
		}
	}
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

// transform plans every selected workload, applies the plans to staged
// copies, runs the companions, and returns the output items: the input with
// the staged copies in place and new objects appended, or the input as it
// came when anything is in error or the mode is audit.
func (r *run) transform(cfg *config.Config, nodes []*yaml.RNode) []*yaml.RNode {
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
		return nodes
	}

	ctx := companion.New(cfg, ix)
	if ix.MixedDefault {
		ctx.Report(plan.Info, nil, "", "some objects have no metadata.namespace and others are in namespace default: they are matched as one namespace (default), as kubectl applies them; set the namespace on every object if they are meant for another")
	}
	unplannedKinds(ctx, ix)
	for _, w := range ix.Workloads {
		if !selected(cfg.Selector, w) {
			continue
		}
		p := plan.Make(&w.Facts, cfg)
		for _, f := range p.Findings {
			ctx.Report(f.Severity, &w.Object, f.Field, "%s", f.Message)
		}
		if p.Skip != "" {
			ctx.Report(plan.Info, &w.Object, "", "left alone: %s", p.Skip)
			if r.sum != nil {
				r.sum.LeftAlone++
			}
			continue
		}
		if p.HasErrors() {
			continue
		}
		for _, f := range plan.CheckHookVersions(&w.Facts, cfg, p) {
			ctx.Report(f.Severity, &w.Object, f.Field, "%s", f.Message)
		}
		ctx.Planned = append(ctx.Planned, companion.Planned{Workload: w, Plan: p})
		changes, err := ctx.Update(&w.Object, func(n *yaml.RNode) ([]edit.Change, error) {
			return applyWorkload(n, w.Kind, p)
		})
		if err != nil {
			ctx.Report(plan.Error, &w.Object, "", "cannot apply the plan: %v", err)
			continue
		}
		if r.sum != nil {
			r.sum.Planned++
			if len(changes) > 0 {
				r.sum.Changed++
			}
		}
		reportPlan(ctx, &w.Object, p, changes)
		ctx.Report(plan.Info, &w.Object, "", "%s", plan.ExplainLine(&w.Facts, cfg, p))
	}
	for _, c := range companions {
		if err := c.Apply(ctx); err != nil {
			ctx.Report(plan.Error, nil, "", "%v", err)
		}
	}
	runFindings(ctx, ix)
	ctx.NameServers()
	for _, res := range ctx.Results {
		r.result(severity(res.Severity), res.Object, res.Field, "%s", res.Message)
	}
	if r.hasErrors() || ctx.Audit() {
		return nodes
	}
	for i, n := range ctx.Staged() {
		nodes[i] = n
	}
	if r.sum != nil {
		r.sum.Added = len(ctx.Added())
		r.sum.Edited = len(ctx.Staged()) - r.sum.Changed
	}
	return append(nodes, ctx.Added()...)
}

// runFindings states once per run what holds for every workload planned:
// how workloads no route in the input reaches are treated, and which
// preStop mechanism needs which Kubernetes version.
func runFindings(ctx *companion.Context, ix *inventory.Index) {
	cfg := ctx.Config
	unrouted, native := 0, false
	var noService []string
	for _, p := range ctx.Planned {
		f := &p.Workload.Facts
		if len(f.Paths) == 0 && f.Annotations[plan.AnnotationExposed] == "" {
			if len(f.Services) == len(f.MetricsServices) {
				noService = append(noService, p.Workload.Kind+" "+inventory.Shown(p.Workload.Namespace, p.Workload.Name))
			} else {
				unrouted++
			}
		}
		for _, h := range p.Plan.Hooks {
			native = native || h.Mechanism == plan.MechSleep
		}
	}
	inCluster := cfg.Profile.ForPath(profile.PathInCluster).Name
	if len(noService) > 0 && inCluster != cfg.Profile.Name {
		ctx.Report(plan.Info, nil, "", "no Service in the input selects %s: every load-balancer path reaches pods through a Service, so they are planned as in-cluster (%s numbers) although they declare ports; annotate one %s: \"true\" if a load balancer does reach it",
			strings.Join(noService, ", "), inCluster, plan.AnnotationExposed)
	}
	if unrouted > 0 && cfg.Exposure == config.ExposureAuto && !ix.InputHasEntries && inCluster != cfg.Profile.Name {
		ctx.Report(plan.Info, nil, "", "the input declares no load-balancer entry (Ingress, HTTPRoute or GRPCRoute on a Gateway, TargetGroupBinding, LoadBalancer Service, standalone NEG), so the routes live elsewhere: every serving workload is planned as behind the load balancer of profile %s (exposure auto). Set %s: routed to plan them as in-cluster, or annotate each workload %s: \"true\" or \"false\"",
			cfg.Profile.Name, cfg.Path("exposure"), plan.AnnotationExposed)
	}
	if native && !cfg.KubernetesVersion.IsSet() {
		ctx.Report(plan.Info, nil, "", "kubernetesVersion is not set: preStop hooks use the native sleep action, which needs Kubernetes 1.30 or later (on by default from 1.30, GA in 1.34); set %s for an older cluster", cfg.Path("kubernetesVersion"))
	}
}

// unplannedKinds names the objects with a pod template (spec.template.spec.
// containers) of a kind the function does not plan (OpenKruise CloneSet, an
// operator's own kind, an old apiVersion): their pods keep their preStop,
// grace period and rollout as written. Jobs are not serving workloads.
func unplannedKinds(ctx *companion.Context, ix *inventory.Index) {
	for _, o := range ix.Objects {
		if inventory.IsWorkload(o.APIVersion, o.Kind) || o.Kind == "Job" || o.Kind == "PodTemplate" {
			continue
		}
		if c, err := o.Node.Pipe(yaml.Lookup("spec", "template", "spec", "containers")); err != nil || c == nil {
			continue
		}
		ctx.Report(plan.Warning, o, "spec.template", "has a pod template, but %s %s is not a kind this function plans (Deployment, StatefulSet, DaemonSet, ReplicaSet of apps/v1, Argo Rollouts Rollout): its pods keep their preStop, grace period and rollout as written; if they serve traffic, apply the same settings by hand", o.APIVersion, o.Kind)
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
		sidecar.Filter{Plan: p},
	} {
		cs, err := t.Apply(n)
		if err != nil {
			return nil, err
		}
		all = append(all, cs...)
	}
	return all, nil
}

// reportPlan adds the one-line timeline of a planned workload and what
// changed; in audit mode, one error per change default mode would make.
func reportPlan(ctx *companion.Context, o *inventory.Object, p *plan.Plan, changes []edit.Change) {
	line := Timeline(p)
	switch {
	case len(changes) == 0:
		ctx.Report(plan.Info, o, "", "no change needed: %s", line)
	case ctx.Audit():
		for _, c := range changes {
			from := c.From
			if from == "" {
				from = "unset"
			}
			ctx.Report(plan.Error, o, c.Field, "audit: would change %s -> %s", from, c.To)
		}
		ctx.Report(plan.Info, o, "", "audit: the plan is: %s", line)
	default:
		parts := make([]string, len(changes))
		for i, c := range changes {
			parts[i] = c.String()
		}
		ctx.Report(plan.Info, o, "", "%s; changed: %s", line, strings.Join(parts, "; "))
	}
	ctx.MarkPlan(o) // companions name themselves in this line
	if m := plan.MarginLine(p); m != "" {
		ctx.Report(plan.Info, o, "", "%s", m)
	}
}

// Timeline explains a plan in one line: the path that reaches the pods, the
// shutdown timeline, and what minReadySeconds does for the workload's kind.
func Timeline(p *plan.Plan) string {
	var b strings.Builder
	if p.Path != "" {
		b.WriteString(p.Path + ": ")
	}
	sender := "LB stops sending"
	if p.InCluster {
		sender = "endpoints removed"
	}
	switch {
	case p.ScriptPreStop && p.PreStop == 0:
		// A script's length is unknown: no timeline as if it took 0 s.
		fmt.Fprintf(&b, "%s by %ds, preStop is a script of unknown length (it must keep the pod serving that long), hard kill at %ds", sender, p.LBStop, p.Grace)
	default:
		fmt.Fprintf(&b, "%s by %ds, preStop ends at %ds", sender, p.LBStop, p.PreStop)
		if p.ScriptPreStop {
			b.WriteString(" or later (a script of unknown length)")
		} else if p.PreStop < p.LBStop {
			fmt.Fprintf(&b, " (%ds too early)", p.LBStop-p.PreStop)
		}
		fmt.Fprintf(&b, ", app has %ds to drain, hard kill at %ds", p.Grace-p.PreStop, p.Grace)
	}
	if p.MinReady > 0 {
		switch {
		case p.Kind == "DaemonSet":
			fmt.Fprintf(&b, "; node by node, each node's new pod is Ready %ds before the next node's pod goes (%ds per node)", p.MinReady, p.MinReady)
		case p.Kind == "StatefulSet":
			fmt.Fprintf(&b, "; one pod at a time, each new pod is Ready %ds before the next old one stops", p.MinReady)
		case p.NoSurge:
			fmt.Fprintf(&b, "; no surge: each new pod is Ready %ds before the rollout goes on", p.MinReady)
		default:
			fmt.Fprintf(&b, "; new pods serve %ds before old ones go", p.MinReady)
		}
	}
	if len(p.Gates) > 0 {
		fmt.Fprintf(&b, "; gated on %s", strings.Join(p.Gates, ", "))
	}
	return b.String()
}

func selected(s config.Selector, w *inventory.Workload) bool {
	in := func(list []string, v string) bool { return len(list) == 0 || slices.Contains(list, v) }
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
