package plan

import (
	"testing"

	"github.com/graceful-rollout/graceful-rollout/fn/config"
	"github.com/graceful-rollout/graceful-rollout/fn/profile"
)

// BenchmarkMake is the planning cost of one typical workload: two
// containers, a Service, every profile.
func BenchmarkMake(b *testing.B) {
	cfgs := make([]*config.Config, 0, len(profile.Names()))
	for _, name := range profile.Names() {
		c := config.Default()
		c.Profile, _ = profile.Lookup(name)
		cfgs = append(cfgs, c)
	}
	three := 3
	w := &Workload{
		Kind: "Deployment", Namespace: "shop", Name: "checkout",
		Annotations: map[string]string{"graceful-rollout.dev/min-ready-seconds": "20"},
		Replicas:    &three,
		Containers: []Container{
			{Name: "server", Index: 0, Image: "registry.example.com/checkout:1.0", Ports: 1, Readiness: true, HookSeconds: -1},
			{Name: "log-shipper", Index: 1, Image: "registry.example.com/shipper:2.1", HookSeconds: -1},
		},
		Services:            []string{"checkout"},
		TargetGroupBindings: []string{"checkout-tg"},
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if p := Make(w, cfgs[i%len(cfgs)]); p.HasErrors() {
			b.Fatal(p.Findings)
		}
	}
}
