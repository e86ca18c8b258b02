package fn_test

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	kfn "github.com/kptdev/krm-functions-sdk/go/fn"

	"github.com/graceful-rollout/graceful-rollout/fn"
)

// benchInput is a ResourceList of n Deployments and n Services in 50
// namespaces, shaped like microservices-demo's (hack/bench generates the
// larger inputs of `make bench`).
func benchInput(n int) []byte {
	var b strings.Builder
	b.WriteString("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nfunctionConfig:\n  apiVersion: graceful-rollout.dev/v1alpha1\n  kind: GracefulRollout\n  metadata: {name: bench}\n  spec: {profile: generic}\nitems:\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: svc-%[1]d, namespace: team-%[2]d, labels: {app: svc-%[1]d}}
  spec:
    replicas: 3
    selector: {matchLabels: {app: svc-%[1]d}}
    template:
      metadata: {labels: {app: svc-%[1]d}}
      spec:
        securityContext: {fsGroup: 1000, runAsGroup: 1000, runAsNonRoot: true, runAsUser: 1000}
        containers:
        - name: server
          image: registry.example.com/svc-%[1]d:v1
          ports: [{containerPort: 5050}]
          readinessProbe: {grpc: {port: 5050}}
          env: [{name: PORT, value: "5050"}, {name: ADDR, value: "productcatalogservice:3550"}]
          resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {cpu: 200m, memory: 128Mi}}
- apiVersion: v1
  kind: Service
  metadata: {name: svc-%[1]d, namespace: team-%[2]d}
  spec:
    selector: {app: svc-%[1]d}
    ports: [{name: grpc, port: 5050, targetPort: 5050}]
`, i, i%50)
	}
	return []byte(b.String())
}

// BenchmarkWrite compares writing the function's output on 500 workloads
// with the SDK's ToYAML (one document) and with WriteResourceList in chunks
// of several sizes.
func BenchmarkWrite(b *testing.B) {
	input := benchInput(500)
	processed := func(b *testing.B) *kfn.ResourceList {
		rl, err := kfn.ParseResourceList(input)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := fn.Process(rl); err != nil {
			b.Fatal(err)
		}
		return rl
	}
	b.Run("sdk", func(b *testing.B) {
		rl := processed(b)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := rl.ToYAML(); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, chunk := range []int{1, 8, 64, 512} {
		b.Run(fmt.Sprintf("chunk-%d", chunk), func(b *testing.B) {
			rl := processed(b)
			b.ReportAllocs()
			for b.Loop() {
				if err := fn.WriteResourceListChunks(io.Discard, rl, chunk); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMain is the whole function (fn.Main with fn.Process) against the
// identity through the same entry point, on 500 workloads.
func BenchmarkMain(b *testing.B) {
	input := benchInput(500)
	for _, c := range []struct {
		name string
		p    kfn.ResourceListProcessorFunc
	}{
		{"identity", func(*kfn.ResourceList) (bool, error) { return true, nil }},
		{"function", fn.Process},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := fn.Main(bytes.NewReader(input), io.Discard, c.p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
