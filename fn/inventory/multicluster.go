package inventory

import (
	"github.com/graceful-rollout/graceful-rollout/fn/plan"
	"github.com/graceful-rollout/graceful-rollout/fn/profile"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// GKE multi-cluster Ingress (networking.gke.io/v1): a MultiClusterIngress
// sends to MultiClusterServices, each of which selects pods directly
// (spec.template.spec.selector) and derives a Service in every member
// cluster; a BackendConfig is named by the MultiClusterService's
// cloud.google.com/backend-config annotation (GKE docs, "Multi Cluster
// Ingress": MultiClusterService, BackendConfig support).

// MultiClusterService is one networking.gke.io MultiClusterService.
type MultiClusterService struct {
	*Object
	Selector    map[string]string
	Annotations map[string]string
}

func (ix *Index) indexMultiCluster(o *Object) {
	if o.Group() != "networking.gke.io" {
		return
	}
	lb := ix.LB()
	y := o.Node.YNode()
	switch o.Kind {
	case "MultiClusterService":
		if lb.MultiClusterServices == nil {
			lb.MultiClusterServices = map[string]*MultiClusterService{}
		}
		lb.MultiClusterServices[Key(o.Namespace, o.Name)] = &MultiClusterService{
			Object:      o,
			Selector:    lenientMap(y, "spec", "template", "spec", "selector"),
			Annotations: lenientMap(y, "metadata", "annotations"),
		}
	case "MultiClusterIngress":
		r := &Route{Object: o, Annotations: lenientMap(y, "metadata", "annotations"), Class: "gce"}
		add := func(b *yaml.Node) {
			if name := scalar(b, "serviceName"); name != "" {
				r.Backends = append(r.Backends, Backend{Service: Key(o.Namespace, name), Port: scalar(b, "servicePort")})
			}
		}
		if b := walk(y, "spec", "template", "spec", "backend"); b != nil {
			add(b)
		}
		for _, rule := range lenientSeq(y, "spec", "template", "spec", "rules") {
			for _, p := range lenientSeq(rule, "http", "paths") {
				if b := lookup(p, "backend"); b != nil {
					add(b)
				}
			}
		}
		lb.MultiClusterIngresses = append(lb.MultiClusterIngresses, r)
	}
}

// multiClusterPaths are the paths of MultiClusterIngresses to the
// MultiClusterServices that select the workload's pods.
func (lb *LB) multiClusterPaths(w *Workload) []plan.Path {
	var out []plan.Path
	for _, mci := range lb.MultiClusterIngresses {
		seen := map[string]bool{}
		for _, b := range mci.Backends {
			mcs := lb.MultiClusterServices[b.Service]
			if seen[b.Service] || mcs == nil || len(mcs.Selector) == 0 || Namespace(mcs.Namespace) != Namespace(w.Namespace) || !selects(mcs.Selector, w.PodLabels) {
				continue
			}
			seen[b.Service] = true
			out = append(out, plan.Path{
				Kind: profile.PathIngress, Class: "gce", ClassKnown: true,
				Via: "MultiClusterIngress " + shown(mci.Namespace, mci.Name) + " via MultiClusterService " + mcs.Name,
			})
		}
	}
	return out
}

// MultiClusterServicesSelecting lists the MultiClusterServices a
// MultiClusterIngress of the input sends to that select pods with these
// labels in a namespace.
func (lb *LB) MultiClusterServicesSelecting(namespace string, podLabels map[string]string) []*MultiClusterService {
	var out []*MultiClusterService
	seen := map[string]bool{}
	for _, mci := range lb.MultiClusterIngresses {
		for _, b := range mci.Backends {
			mcs := lb.MultiClusterServices[b.Service]
			if seen[b.Service] || mcs == nil || len(mcs.Selector) == 0 || Namespace(mcs.Namespace) != Namespace(namespace) || !selects(mcs.Selector, podLabels) {
				continue
			}
			seen[b.Service] = true
			out = append(out, mcs)
		}
	}
	return out
}
