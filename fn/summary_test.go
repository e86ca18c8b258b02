package fn_test

import (
	"strings"
	"testing"

	kfn "github.com/kptdev/krm-functions-sdk/go/fn"

	"github.com/graceful-rollout/graceful-rollout/fn"
)

const summaryInput = `apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: web
    namespace: shop
    annotations: {ANNOTATIONS}
  spec:
    replicas: 1
    selector: {matchLabels: {app: web}}
    template:
      metadata: {labels: {app: web}}
      spec:
        containers:
        - {name: web, image: example/web:1, ports: [{containerPort: 8080}], readinessProbe: {tcpSocket: {port: 8080}}}
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: batch, namespace: shop}
  spec:
    selector: {matchLabels: {app: batch}}
    template:
      metadata: {labels: {app: batch}}
      spec:
        containers: [{name: batch, image: example/batch:1}]
`

// The summary a successful run prints on stderr for kustomize and Argo CD:
// counts and one line per warning; none when kpt runs the function (its
// items carry kpt's path annotation), since kpt shows the results.
func TestSummary(t *testing.T) {
	for name, tc := range map[string]struct {
		annotations string
		show        bool
	}{
		"kustomize or direct": {annotations: "{}", show: true},
		"kpt":                 {annotations: "{internal.config.kubernetes.io/path: 'web.yaml'}", show: false},
	} {
		t.Run(name, func(t *testing.T) {
			rl, err := kfn.ParseResourceList([]byte(strings.Replace(summaryInput, "{ANNOTATIONS}", tc.annotations, 1)))
			if err != nil {
				t.Fatal(err)
			}
			var sum fn.Summary
			if ok, err := fn.ProcessSummary(rl, &sum); !ok || err != nil {
				t.Fatalf("run failed: %v", err)
			}
			if sum.Show() != tc.show {
				t.Errorf("Show() = %v, want %v", sum.Show(), tc.show)
			}
			got := sum.String()
			lines := strings.Split(strings.TrimSpace(got), "\n")
			if !strings.HasPrefix(lines[0], "graceful-rollout: 1 workload(s) planned, 1 changed, 1 left alone; 0 other object(s) edited, 0 added; 1 warning(s)") {
				t.Errorf("counts line: %q", lines[0])
			}
			if len(lines) != 2 || !strings.Contains(lines[1], "[warning] apps/v1/Deployment/shop/web spec.replicas: 1 replica") {
				t.Errorf("want one line per warning:\n%s", got)
			}
		})
	}
}
