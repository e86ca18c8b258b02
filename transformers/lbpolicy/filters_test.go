package lbpolicy

import (
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/graceful-rollout/graceful-rollout/internal/edit"
)

type filter interface {
	Apply(*yaml.RNode) ([]edit.Change, []Kept, error)
}

type filterCase struct {
	input, expectedOutput string
	filter                filter
	changes               int
	kept                  []Kept
	err                   string
}

// run applies a filter, checks the output, and checks that a second
// application changes nothing.
func runFilterCases(t *testing.T, cases map[string]filterCase) {
	t.Helper()
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			n := yaml.MustParse(tc.input)
			changes, kept, err := tc.filter.Apply(n)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one containing %q", err, tc.err)
				}
				if n.MustString() != yaml.MustParse(tc.input).MustString() {
					t.Errorf("a failed Apply changed the object:\n%s", n.MustString())
				}
				return
			}
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if len(changes) != tc.changes {
				t.Errorf("changes = %v, want %d", changes, tc.changes)
			}
			if !reflect.DeepEqual(kept, tc.kept) {
				t.Errorf("kept = %#v, want %#v", kept, tc.kept)
			}
			got := n.MustString()
			if strings.TrimSpace(got) != strings.TrimSpace(tc.expectedOutput) {
				t.Errorf("output:\n%s\nwant:\n%s", got, tc.expectedOutput)
			}
			again, kept2, err := tc.filter.Apply(n)
			if err != nil || len(again) != 0 || !reflect.DeepEqual(kept2, tc.kept) {
				t.Errorf("second Apply: %v, %v, %v; want no change", again, kept2, err)
			}
		})
	}
}

const ingress = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop # the storefront
  annotations:
`

func TestAttributes(t *testing.T) {
	f := Attributes{Annotation: ALBAttributes, Key: DeregistrationDelay, Value: "20"}
	runFilterCases(t, map[string]filterCase{
		"no annotation": {
			input: "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n",
			expectedOutput: `apiVersion: v1
kind: Service
metadata:
  name: web
  annotations:
    alb.ingress.kubernetes.io/target-group-attributes: deregistration_delay.timeout_seconds=20`,
			filter: f, changes: 1,
		},
		"merged after the others, in their order": {
			input:          ingress + "    alb.ingress.kubernetes.io/scheme: internal\n    alb.ingress.kubernetes.io/target-group-attributes: stickiness.enabled=true,slow_start.duration_seconds=30 # warm-up\n",
			expectedOutput: ingress + "    alb.ingress.kubernetes.io/scheme: internal\n    alb.ingress.kubernetes.io/target-group-attributes: stickiness.enabled=true,slow_start.duration_seconds=30,deregistration_delay.timeout_seconds=20 # warm-up",
			filter:         f, changes: 1,
		},
		"spaces and line breaks, as the controller trims them": {
			input:          ingress + "    alb.ingress.kubernetes.io/target-group-attributes: >-\n      stickiness.enabled=true,\n      stickiness.lb_cookie.duration_seconds=60\n",
			expectedOutput: ingress + "    alb.ingress.kubernetes.io/target-group-attributes: stickiness.enabled=true,stickiness.lb_cookie.duration_seconds=60,deregistration_delay.timeout_seconds=20",
			filter:         f, changes: 1,
		},
		"same value: no change": {
			input:          ingress + "    alb.ingress.kubernetes.io/target-group-attributes: deregistration_delay.timeout_seconds=20, stickiness.enabled=true\n",
			expectedOutput: ingress + "    alb.ingress.kubernetes.io/target-group-attributes: deregistration_delay.timeout_seconds=20, stickiness.enabled=true",
			filter:         f,
		},
		"user's value kept": {
			input:          ingress + "    alb.ingress.kubernetes.io/target-group-attributes: deregistration_delay.timeout_seconds=300\n",
			expectedOutput: ingress + "    alb.ingress.kubernetes.io/target-group-attributes: deregistration_delay.timeout_seconds=300",
			filter:         f,
			kept:           []Kept{{Field: "metadata.annotations.alb.ingress.kubernetes.io/target-group-attributes[deregistration_delay.timeout_seconds]", Value: "300", Want: "20"}},
		},
		"user's value replaced in place": {
			input:          ingress + "    alb.ingress.kubernetes.io/target-group-attributes: deregistration_delay.timeout_seconds=300,stickiness.enabled=true\n",
			expectedOutput: ingress + "    alb.ingress.kubernetes.io/target-group-attributes: deregistration_delay.timeout_seconds=20,stickiness.enabled=true",
			filter:         Attributes{Annotation: ALBAttributes, Key: DeregistrationDelay, Value: "20", Overwrite: true}, changes: 1,
		},
		"not a stringMap": {
			input:  ingress + "    alb.ingress.kubernetes.io/target-group-attributes: stickiness\n",
			filter: f, err: "not a list of key=value pairs",
		},
	})
}

func TestJSONKey(t *testing.T) {
	neg := JSONKey{Annotation: NEGAnnotation, Key: "ingress", Value: true}
	svc := "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  annotations:\n"
	runFilterCases(t, map[string]filterCase{
		"absent": {
			input:          "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n",
			expectedOutput: svc + "    cloud.google.com/neg: '{\"ingress\":true}'",
			filter:         neg, changes: 1,
		},
		"other keys kept": {
			input:          svc + "    cloud.google.com/neg: '{\"exposed_ports\": {\"8080\":{}}}'\n",
			expectedOutput: svc + "    cloud.google.com/neg: '{\"exposed_ports\":{\"8080\":{}},\"ingress\":true}'",
			filter:         neg, changes: 1,
		},
		"already true, spelled differently: no change": {
			input:          svc + "    cloud.google.com/neg: '{ \"ingress\" : true }'\n",
			expectedOutput: svc + "    cloud.google.com/neg: '{ \"ingress\" : true }'",
			filter:         neg,
		},
		"false kept": {
			input:          svc + "    cloud.google.com/neg: '{\"ingress\": false}'\n",
			expectedOutput: svc + "    cloud.google.com/neg: '{\"ingress\": false}'",
			filter:         neg,
			kept:           []Kept{{Field: "metadata.annotations.cloud.google.com/neg[ingress]", Value: "false", Want: "true"}},
		},
		"backend-config default added beside ports": {
			input:          svc + "    cloud.google.com/backend-config: '{\"ports\": {\"grpc\": \"cart\"}}'\n",
			expectedOutput: svc + "    cloud.google.com/backend-config: '{\"default\":\"web-graceful-rollout\",\"ports\":{\"grpc\":\"cart\"}}'",
			filter:         JSONKey{Annotation: BackendConfigAnnotation, Key: "default", Value: "web-graceful-rollout", Overwrite: true}, changes: 1,
		},
		"not JSON": {
			input:  svc + "    cloud.google.com/neg: 'ingress=true'\n",
			filter: neg, err: "is not a JSON object",
		},
	})
}

func TestFill(t *testing.T) {
	obj := "apiVersion: networking.gke.io/v1\nkind: GCPBackendPolicy\nmetadata: {name: web}\nspec:\n"
	runFilterCases(t, map[string]filterCase{
		"empty flow map turns block": {
			input:          obj + "  default: {}\n",
			expectedOutput: obj + "  default:\n    connectionDraining:\n      drainingTimeoutSec: 10",
			filter:         GCPBackendPolicyDrain(10, false), changes: 1,
		},
		"beside other settings": {
			input:          obj + "  default:\n    timeoutSec: 60 # exports\n",
			expectedOutput: obj + "  default:\n    timeoutSec: 60 # exports\n    connectionDraining:\n      drainingTimeoutSec: 10",
			filter:         GCPBackendPolicyDrain(10, false), changes: 1,
		},
		"user's value kept": {
			input:          obj + "  default:\n    connectionDraining: {drainingTimeoutSec: 60}\n",
			expectedOutput: obj + "  default:\n    connectionDraining: {drainingTimeoutSec: 60}",
			filter:         GCPBackendPolicyDrain(10, false),
			kept:           []Kept{{Field: "spec.default.connectionDraining.drainingTimeoutSec", Value: "60", Want: "10"}},
		},
		"overwritten": {
			input:          obj + "  default:\n    connectionDraining: {drainingTimeoutSec: 60}\n",
			expectedOutput: obj + "  default:\n    connectionDraining: {drainingTimeoutSec: 10}",
			filter:         GCPBackendPolicyDrain(10, true), changes: 1,
		},
		"not a map on the way": {
			input:  obj + "  default: [x]\n",
			filter: GCPBackendPolicyDrain(10, false), err: "spec.default",
		},
	})
}

func TestHealthCheckPolicyConfig(t *testing.T) {
	h := HealthCheck{Type: "HTTP", Path: "/ready", Port: 8080, ServingPort: 8080}
	admin := HealthCheck{Type: "HTTP", Path: "/ready", Port: 9090, ServingPort: 8080}
	obj := "apiVersion: networking.gke.io/v1\nkind: HealthCheckPolicy\nmetadata: {name: web}\nspec:\n  default:\n"
	full := obj + "    config:\n      type: HTTP\n      httpHealthCheck:\n        portSpecification: USE_FIXED_PORT\n        port: 8080\n        requestPath: /ready"
	runFilterCases(t, map[string]filterCase{
		"no config": {
			input:          obj + "    checkIntervalSec: 5\n",
			expectedOutput: obj + "    checkIntervalSec: 5\n    config:\n      type: HTTP\n      httpHealthCheck:\n        portSpecification: USE_FIXED_PORT\n        port: 8080\n        requestPath: /ready",
			filter:         HealthCheckPolicyConfig{Check: h}, changes: 1,
		},
		"same type without path or port: completed": {
			input:          obj + "    config:\n      type: HTTP\n      httpHealthCheck:\n        host: web.example.com\n",
			expectedOutput: obj + "    config:\n      type: HTTP\n      httpHealthCheck:\n        host: web.example.com\n        requestPath: /ready\n        portSpecification: USE_FIXED_PORT\n        port: 8080",
			filter:         HealthCheckPolicyConfig{Check: h}, changes: 3,
		},
		"same type with its own port and path: kept": {
			input:          obj + "    config:\n      type: HTTP\n      httpHealthCheck: {portSpecification: USE_SERVING_PORT, requestPath: /healthz}\n",
			expectedOutput: obj + "    config:\n      type: HTTP\n      httpHealthCheck: {portSpecification: USE_SERVING_PORT, requestPath: /healthz}",
			filter:         HealthCheckPolicyConfig{Check: h},
			kept:           []Kept{{Field: "spec.default.config.httpHealthCheck.requestPath", Value: "/healthz", Want: "/ready"}},
		},
		"serving port kept although the probe uses another": {
			input:          obj + "    config:\n      type: HTTP\n      httpHealthCheck: {portSpecification: USE_SERVING_PORT, requestPath: /ready}\n",
			expectedOutput: obj + "    config:\n      type: HTTP\n      httpHealthCheck: {portSpecification: USE_SERVING_PORT, requestPath: /ready}",
			filter:         HealthCheckPolicyConfig{Check: admin},
			kept:           []Kept{{Field: "spec.default.config.httpHealthCheck.portSpecification", Value: "USE_SERVING_PORT", Want: "USE_FIXED_PORT 9090"}},
		},
		"fixed port of the probe: nothing to say": {
			input:          obj + "    config:\n      type: HTTP\n      httpHealthCheck: {portSpecification: USE_FIXED_PORT, port: 9090, requestPath: /ready}\n",
			expectedOutput: obj + "    config:\n      type: HTTP\n      httpHealthCheck: {portSpecification: USE_FIXED_PORT, port: 9090, requestPath: /ready}",
			filter:         HealthCheckPolicyConfig{Check: admin},
		},
		"same type, overwritten, portName dropped": {
			input:          obj + "    config:\n      type: HTTP\n      httpHealthCheck:\n        portSpecification: USE_NAMED_PORT\n        portName: http\n        requestPath: /\n",
			expectedOutput: obj + "    config:\n      type: HTTP\n      httpHealthCheck:\n        portSpecification: USE_FIXED_PORT\n        requestPath: /ready\n        port: 8080",
			filter:         HealthCheckPolicyConfig{Check: h, Overwrite: true}, changes: 4,
		},
		"another type kept": {
			input:          obj + "    config:\n      type: TCP\n      tcpHealthCheck: {port: 8080, portSpecification: USE_FIXED_PORT}\n",
			expectedOutput: obj + "    config:\n      type: TCP\n      tcpHealthCheck: {port: 8080, portSpecification: USE_FIXED_PORT}",
			filter:         HealthCheckPolicyConfig{Check: h},
			kept:           []Kept{{Field: "spec.default.config.type", Value: "TCP", Want: "HTTP"}},
		},
		"another type replaced": {
			input:          obj + "    config:\n      type: TCP\n      tcpHealthCheck: {port: 8080, portSpecification: USE_FIXED_PORT}\n",
			expectedOutput: full,
			filter:         HealthCheckPolicyConfig{Check: h, Overwrite: true}, changes: 1,
		},
		"HTTPS": {
			input:          obj + "    config: null\n",
			expectedOutput: obj + "    config:\n      type: HTTPS\n      httpsHealthCheck:\n        portSpecification: USE_FIXED_PORT\n        port: 8443\n        requestPath: /ready",
			filter:         HealthCheckPolicyConfig{Check: HealthCheck{Type: "HTTPS", Path: "/ready", Port: 8443}}, changes: 1,
		},
	})
}

func TestBackendConfigFields(t *testing.T) {
	h := &HealthCheck{Type: "HTTP", Path: "/ready", Port: 8080}
	obj := "apiVersion: cloud.google.com/v1\nkind: BackendConfig\nmetadata: {name: web}\nspec:\n"
	runFilterCases(t, map[string]filterCase{
		"CDN only": {
			input:          obj + "  cdn: {enabled: true}\n",
			expectedOutput: obj + "  cdn: {enabled: true}\n  connectionDraining:\n    drainingTimeoutSec: 10\n  healthCheck:\n    type: HTTP\n    requestPath: /ready\n    port: 8080",
			filter:         BackendConfigFields{Drain: 10, Check: h}, changes: 4,
		},
		"health check of the same type: missing fields filled": {
			input:          obj + "  healthCheck:\n    checkIntervalSec: 15\n    requestPath: /deep\n",
			expectedOutput: obj + "  healthCheck:\n    checkIntervalSec: 15\n    requestPath: /deep\n    type: HTTP\n    port: 8080\n  connectionDraining:\n    drainingTimeoutSec: 10",
			filter:         BackendConfigFields{Drain: 10, Check: h}, changes: 3,
			kept: []Kept{{Field: "spec.healthCheck.requestPath", Value: "/deep", Want: "/ready"}},
		},
		"another type kept, drain still set": {
			input:          obj + "  healthCheck: {type: HTTP2, port: 8080}\n",
			expectedOutput: obj + "  healthCheck: {type: HTTP2, port: 8080}\n  connectionDraining:\n    drainingTimeoutSec: 10",
			filter:         BackendConfigFields{Drain: 10, Check: h}, changes: 1,
			kept: []Kept{{Field: "spec.healthCheck.type", Value: "HTTP2", Want: "HTTP"}},
		},
		"no health check to write": {
			input:          obj + "  connectionDraining: {drainingTimeoutSec: 10}\n",
			expectedOutput: obj + "  connectionDraining: {drainingTimeoutSec: 10}",
			filter:         BackendConfigFields{Drain: 10},
		},
	})
}

func TestValidPath(t *testing.T) {
	for path, want := range map[string]bool{"/": true, "/healthz": true, "/ready?full=1": true, "healthz": false, "/a b": false, "": false} {
		if got := ValidPath(path); got != want {
			t.Errorf("ValidPath(%q) = %v, want %v", path, got, want)
		}
	}
}
