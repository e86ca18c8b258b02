package inventory

import (
	"fmt"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// items builds n Deployments and n Services over the given namespaces.
func benchItems(b *testing.B, n, namespaces int) []*yaml.RNode {
	b.Helper()
	out := make([]*yaml.RNode, 0, 2*n)
	for i := 0; i < n; i++ {
		ns, name := fmt.Sprintf("team-%02d", i%namespaces), fmt.Sprintf("svc-%05d", i)
		d, err := yaml.Parse(fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: %[1]s, namespace: %[2]s}
spec:
  replicas: 3
  selector: {matchLabels: {app: %[1]s}}
  template:
    metadata: {labels: {app: %[1]s, tier: backend, version: v1}}
    spec:
      containers:
      - name: server
        image: registry.example.com/%[1]s:1.0
        ports: [{containerPort: 8080}]
        readinessProbe: {httpGet: {path: /ready, port: 8080}}
`, name, ns))
		if err != nil {
			b.Fatal(err)
		}
		s, err := yaml.Parse(fmt.Sprintf(`apiVersion: v1
kind: Service
metadata: {name: %[1]s, namespace: %[2]s}
spec:
  selector: {app: %[1]s, tier: backend}
  ports: [{port: 80, targetPort: 8080}]
`, name, ns))
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, d, s)
	}
	return out
}

// BenchmarkNew indexes the input and matches every workload with the
// Services that select it. ns/op per workload must stay flat from 500 to
// 5000 workloads, also when all of them share one namespace (Services are
// indexed by namespace and selector label, never scanned per workload).
func BenchmarkNew(b *testing.B) {
	for _, tc := range []struct{ n, namespaces int }{{500, 50}, {5000, 50}, {5000, 1}} {
		b.Run(fmt.Sprintf("workloads=%d/namespaces=%d", tc.n, tc.namespaces), func(b *testing.B) {
			items := benchItems(b, tc.n, tc.namespaces)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				ix := New(items)
				if len(ix.Workloads) != tc.n || len(ix.Workloads[tc.n-1].Facts.Services) != 1 {
					b.Fatal("wrong index")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(tc.n), "ns/workload")
		})
	}
}
