package lbpolicy

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// No BackendConfig CRD ships with this project (testdata/crds/), so the
// BackendConfigs the function writes are checked against the API types of
// the GKE Ingress controller instead: kubernetes/ingress-gce
// pkg/apis/backendconfig/v1/types.go (BackendConfig, BackendConfigSpec,
// ConnectionDrainingConfig, HealthCheckConfig; read at commit
// 14988384edcf3b1a329bbfd5127a7a5c2837c719). The structs below mirror those
// json fields; a strict decode rejects any field the controller's types do
// not have and any value of the wrong type.

type bcObject struct {
	APIVersion string          `json:"apiVersion"`
	Kind       string          `json:"kind"`
	Metadata   json.RawMessage `json:"metadata"`
	Spec       bcSpec          `json:"spec"`
	Status     *struct{}       `json:"status,omitempty"`
}

type bcSpec struct {
	Iap            json.RawMessage `json:"iap,omitempty"`
	Cdn            json.RawMessage `json:"cdn,omitempty"`
	SecurityPolicy *struct {
		Name string `json:"name"`
	} `json:"securityPolicy,omitempty"`
	TimeoutSec         *int64 `json:"timeoutSec,omitempty"`
	ConnectionDraining *struct {
		DrainingTimeoutSec int64 `json:"drainingTimeoutSec,omitempty"`
	} `json:"connectionDraining,omitempty"`
	SessionAffinity *struct {
		AffinityType         string `json:"affinityType,omitempty"`
		AffinityCookieTtlSec *int64 `json:"affinityCookieTtlSec,omitempty"`
	} `json:"sessionAffinity,omitempty"`
	CustomRequestHeaders *struct {
		Headers []string `json:"headers,omitempty"`
	} `json:"customRequestHeaders,omitempty"`
	CustomResponseHeaders *struct {
		Headers []string `json:"headers,omitempty"`
	} `json:"customResponseHeaders,omitempty"`
	HealthCheck *struct {
		CheckIntervalSec   *int64  `json:"checkIntervalSec,omitempty"`
		TimeoutSec         *int64  `json:"timeoutSec,omitempty"`
		HealthyThreshold   *int64  `json:"healthyThreshold,omitempty"`
		UnhealthyThreshold *int64  `json:"unhealthyThreshold,omitempty"`
		Type               *string `json:"type,omitempty"`
		Port               *int64  `json:"port,omitempty"`
		RequestPath        *string `json:"requestPath,omitempty"`
	} `json:"healthCheck,omitempty"`
	Logging *struct {
		Enable     bool     `json:"enable,omitempty"`
		SampleRate *float64 `json:"sampleRate,omitempty"`
	} `json:"logging,omitempty"`
}

// checkBackendConfig decodes a BackendConfig strictly and checks the values
// the function writes against the ranges GCP documents (backend services:
// connection draining 0-3600 s; health checks: HTTP, HTTPS or HTTP2, a port
// 1-65535, an absolute request path).
func checkBackendConfig(t *testing.T, where string, n *yaml.RNode) {
	t.Helper()
	b, err := n.MarshalJSON()
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var bc bcObject
	if err := dec.Decode(&bc); err != nil {
		t.Fatalf("%s: not a BackendConfig of kubernetes/ingress-gce: %v\n%s", where, err, b)
	}
	if bc.APIVersion != "cloud.google.com/v1" && bc.APIVersion != "cloud.google.com/v1beta1" {
		t.Errorf("%s: apiVersion %q", where, bc.APIVersion)
	}
	if d := bc.Spec.ConnectionDraining; d != nil && (d.DrainingTimeoutSec < 0 || d.DrainingTimeoutSec > 3600) {
		t.Errorf("%s: drainingTimeoutSec %d outside 0-3600", where, d.DrainingTimeoutSec)
	}
	if h := bc.Spec.HealthCheck; h != nil {
		if h.Type != nil && *h.Type != "HTTP" && *h.Type != "HTTPS" && *h.Type != "HTTP2" {
			t.Errorf("%s: healthCheck.type %q", where, *h.Type)
		}
		if h.Port != nil && (*h.Port < 1 || *h.Port > 65535) {
			t.Errorf("%s: healthCheck.port %d", where, *h.Port)
		}
		if h.RequestPath != nil && !ValidPath(*h.RequestPath) {
			t.Errorf("%s: healthCheck.requestPath %q", where, *h.RequestPath)
		}
	}
}

func TestNewBackendConfig_IngressGCETypes(t *testing.T) {
	checkBackendConfig(t, "drain only", NewBackendConfig("shop", "web-graceful-rollout", 10, nil))
	checkBackendConfig(t, "drain and health check", NewBackendConfig("shop", "web-graceful-rollout", 3600, &HealthCheck{Type: "HTTPS", Path: "/ready", Port: 8443}))
	completed := yaml.MustParse("apiVersion: cloud.google.com/v1\nkind: BackendConfig\nmetadata: {name: web}\nspec:\n  cdn: {enabled: true}\n  healthCheck: {checkIntervalSec: 15}\n")
	if _, _, err := (BackendConfigFields{Drain: 20, Check: &HealthCheck{Type: "HTTP", Path: "/", Port: 80}}).Apply(completed); err != nil {
		t.Fatal(err)
	}
	checkBackendConfig(t, "completed", completed)
}

// Every BackendConfig in the golden outputs and the examples' expected
// output has the controller's shape.
func TestOutputs_IngressGCETypes(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/golden/*/expected.yaml")
	more, _ := filepath.Glob("../../examples/*/.expected/*.yaml")
	n := 0
	for _, f := range append(files, more...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		// The reader unwraps a ResourceList into its items.
		nodes, err := kio.FromBytes(b)
		if err != nil {
			continue // not YAML objects (a kpt example's diff.patch)
		}
		for _, node := range nodes {
			if node.GetKind() == "BackendConfig" {
				checkBackendConfig(t, f+": "+node.GetName(), node)
				n++
			}
		}
	}
	if n == 0 {
		t.Fatal("no BackendConfig in any golden output")
	}
	t.Logf("%d BackendConfigs checked", n)
}
