package mesh

import (
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/graceful-rollout/graceful-rollout/fn/config"
)

func TestAPIVersion(t *testing.T) {
	for v, want := range map[config.Version]string{
		{}:                    "networking.istio.io/v1beta1",
		{Major: 1, Minor: 20}: "networking.istio.io/v1beta1",
		{Major: 1, Minor: 21}: "networking.istio.io/v1beta1",
		{Major: 1, Minor: 22}: "networking.istio.io/v1",
		{Major: 1, Minor: 24}: "networking.istio.io/v1",
	} {
		if got := APIVersion(v); got != want {
			t.Errorf("APIVersion(%s) = %s, want %s", v, got, want)
		}
	}
	if Served("networking.istio.io/v1", config.Version{Major: 1, Minor: 21}) || !Served("networking.istio.io/v1alpha3", config.Version{Major: 1, Minor: 24}) {
		t.Error("Served is wrong")
	}
}

func TestGenerated(t *testing.T) {
	is := config.DefaultIstio()
	dr := DestinationRule("networking.istio.io/v1beta1", Service{Namespace: "shop", Name: "cart"}, is.Outlier)
	want := `apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata:
  name: cart-graceful-rollout
  namespace: shop
  labels:
    app.kubernetes.io/managed-by: graceful-rollout
spec:
  host: cart
  trafficPolicy:
    outlierDetection:
      splitExternalLocalOriginErrors: true
      consecutiveLocalOriginFailures: 3
      consecutive5xxErrors: 0
      consecutiveGatewayErrors: 5
      interval: 5s
      baseEjectionTime: 15s
      maxEjectionPercent: 50
      minHealthPercent: 50
`
	if got := dr.MustString(); got != want {
		t.Errorf("DestinationRule =\n%s\nwant\n%s", got, want)
	}

	vs := VirtualService("networking.istio.io/v1", Service{Name: "cart"}, is)
	s := vs.MustString()
	if strings.Contains(s, "namespace:") || strings.Contains(s, "timeout") {
		t.Errorf("VirtualService has a namespace or a timeout by default:\n%s", s)
	}
	is.Retries.PerTryTimeout, is.Timeout = "2s", "10s"
	s = VirtualService("networking.istio.io/v1", Service{Name: "cart"}, is).MustString()
	if !strings.Contains(s, "    timeout: 10s\n    retries:\n      attempts: 3\n      retryOn: connect-failure,refused-stream,unavailable,503\n      perTryTimeout: 2s\n") {
		t.Errorf("opted-in timeouts missing:\n%s", s)
	}
}

func TestCompleteDestinationRule(t *testing.T) {
	od := OutlierDetection(config.DefaultIstio().Outlier)
	testCases := map[string]struct {
		in      string
		changed bool
		keep    []string
	}{
		"no trafficPolicy, subsets kept": {
			in:      "spec:\n  host: reviews\n  subsets:\n  - name: v1\n    labels: {version: v1}\n",
			changed: true, keep: []string{"subsets:", "name: v1"},
		},
		"trafficPolicy without outlierDetection": {
			in:      "spec:\n  host: reviews\n  trafficPolicy:\n    loadBalancer: {simple: LEAST_REQUEST} # tuned\n",
			changed: true, keep: []string{"LEAST_REQUEST} # tuned"},
		},
		"null trafficPolicy": {
			in: "spec:\n  host: reviews\n  trafficPolicy:\n", changed: true,
		},
		"outlierDetection of the user": {
			in:   "spec:\n  host: reviews\n  trafficPolicy:\n    outlierDetection: {consecutive5xxErrors: 7}\n",
			keep: []string{"consecutive5xxErrors: 7"},
		},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			n := yaml.MustParse("apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: reviews}\n" + tc.in)
			changes, err := CompleteDestinationRule(n, od)
			if err != nil {
				t.Fatal(err)
			}
			if (len(changes) > 0) != tc.changed {
				t.Errorf("changes = %v, want changed=%v", changes, tc.changed)
			}
			out := n.MustString()
			for _, k := range tc.keep {
				if !strings.Contains(out, k) {
					t.Errorf("lost %q:\n%s", k, out)
				}
			}
			if tc.changed && (changes[0].Field != "spec.trafficPolicy.outlierDetection" || !strings.Contains(out, "consecutiveLocalOriginFailures: 3")) {
				t.Errorf("changes %v, output\n%s", changes, out)
			}
			if again, _ := CompleteDestinationRule(n, od); len(again) != 0 {
				t.Errorf("second completion changed %v", again)
			}
		})
	}
	if _, err := CompleteDestinationRule(yaml.MustParse("spec: [a]"), od); err == nil {
		t.Error("spec that is not a map: no error")
	}
	if _, err := CompleteDestinationRule(yaml.MustParse("spec: {trafficPolicy: [a]}"), od); err == nil {
		t.Error("trafficPolicy that is not a map: no error")
	}
}

func TestCompleteVirtualService(t *testing.T) {
	retries := Retries(config.Retries{Attempts: 3, RetryOn: []string{"connect-failure"}, PerTryTimeout: "2s"}, false)
	n := yaml.MustParse(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - match: [{uri: {exact: /old}}]
    redirect: {uri: /new}
  - route: [{destination: {host: reviews, subset: v2}}]
    timeout: 3s
  - route: [{destination: {host: reviews, subset: v1}}]
    retries: {attempts: 0}
  - route: [{destination: {host: reviews, subset: v1}}]
    retries:
  - delegate: {name: reviews-routes}
  tcp:
  - route: [{destination: {host: reviews}}]
`)
	changes, err := CompleteVirtualService(n, retries)
	if err != nil {
		t.Fatal(err)
	}
	var fields []string
	for _, c := range changes {
		fields = append(fields, c.Field)
	}
	if strings.Join(fields, " ") != "spec.http[1].retries spec.http[3].retries" {
		t.Errorf("changed %v; want the route without retries and the null one", fields)
	}
	out := n.MustString()
	for _, k := range []string{"timeout: 3s", "retries: {attempts: 0}", "subset: v2", "redirect: {uri: /new}"} {
		if !strings.Contains(out, k) {
			t.Errorf("lost %q:\n%s", k, out)
		}
	}
	if strings.Contains(out, "perTryTimeout") {
		t.Errorf("a timeout was added to a route of the user:\n%s", out)
	}
	if again, _ := CompleteVirtualService(n, retries); len(again) != 0 {
		t.Errorf("second completion changed %v", again)
	}
	if _, err := CompleteVirtualService(yaml.MustParse("spec: {http: {a: b}}"), retries); err == nil {
		t.Error("http that is not a list: no error")
	}
	if c, err := CompleteVirtualService(yaml.MustParse("spec: {hosts: [a], tcp: []}"), retries); err != nil || len(c) != 0 {
		t.Errorf("no http routes: %v %v", c, err)
	}
}

func TestSync(t *testing.T) {
	is := config.DefaultIstio()
	old := DestinationRule("networking.istio.io/v1beta1", Service{Name: "cart"}, is.Outlier)
	old.YNode().Content[5].Content = append(old.YNode().Content[5].Content, yaml.NewStringRNode("annotations").YNode(), yaml.MustParse("{note: kept}").YNode())
	is.Outlier.BaseEjectionTime = "30s"
	want := DestinationRule("networking.istio.io/v1", Service{Name: "cart"}, is.Outlier)
	changes, err := Sync(old, want)
	if err != nil || len(changes) != 2 {
		t.Fatalf("changes = %v, %v", changes, err)
	}
	if !strings.Contains(old.MustString(), "baseEjectionTime: 30s") || !strings.Contains(old.MustString(), "note: kept") || old.GetApiVersion() != "networking.istio.io/v1" {
		t.Errorf("not synced:\n%s", old.MustString())
	}
	if again, _ := Sync(old, want); len(again) != 0 {
		t.Errorf("second sync changed %v", again)
	}
}

// A generated rule that overrides a wider one carries its trafficPolicy,
// subsets and exportTo; outlierDetection is added only when the wider rule
// has none; "." in a root-namespace rule's exportTo names that namespace.
func TestInheritedDestinationRule(t *testing.T) {
	from := yaml.MustParse(`apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: mesh-defaults, namespace: istio-system}
spec:
  host: "*.local" # everything
  trafficPolicy:
    tls: {mode: ISTIO_MUTUAL}
    connectionPool: &pool {tcp: {maxConnections: 10}}
  subsets:
  - {name: v1, labels: {version: v1}}
  exportTo: [".", "shop"]
`)
	is := config.DefaultIstio()
	n, kept, err := InheritedDestinationRule("networking.istio.io/v1", Service{Namespace: "shop", Name: "pay"}, is.Outlier, from, "istio-system")
	if err != nil || kept {
		t.Fatalf("kept=%v err=%v", kept, err)
	}
	want := `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: pay-graceful-rollout
  namespace: shop
  labels:
    app.kubernetes.io/managed-by: graceful-rollout
spec:
  host: pay
  trafficPolicy:
    tls:
      mode: ISTIO_MUTUAL
    connectionPool:
      tcp:
        maxConnections: 10
    outlierDetection:
      splitExternalLocalOriginErrors: true
      consecutiveLocalOriginFailures: 3
      consecutive5xxErrors: 0
      consecutiveGatewayErrors: 5
      interval: 5s
      baseEjectionTime: 15s
      maxEjectionPercent: 50
      minHealthPercent: 50
  subsets:
  - name: v1
    labels:
      version: v1
  exportTo:
  - istio-system
  - shop
`
	if got := n.MustString(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if strings.Contains(from.MustString(), "istio-system\n  - shop") {
		t.Error("the wider rule was changed")
	}

	// Its own outlierDetection is kept; "." stays in the same namespace.
	own := yaml.MustParse(`spec:
  host: "*"
  trafficPolicy: {outlierDetection: {consecutive5xxErrors: 7}}
  exportTo: ["."]
`)
	n, kept, err = InheritedDestinationRule("networking.istio.io/v1", Service{Namespace: "shop", Name: "pay"}, is.Outlier, own, "shop")
	if err != nil || !kept {
		t.Fatalf("kept=%v err=%v", kept, err)
	}
	s := n.MustString()
	if !strings.Contains(s, "outlierDetection:\n      consecutive5xxErrors: 7\n  exportTo:\n  - .\n") || strings.Contains(s, "splitExternal") {
		t.Errorf("own outlierDetection or exportTo not kept:\n%s", s)
	}
}
