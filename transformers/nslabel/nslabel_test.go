package nslabel

import (
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/graceful-rollout/graceful-rollout/internal/edit"
)

const field = "metadata.labels.elbv2.k8s.aws/pod-readiness-gate-inject"

func TestFilter(t *testing.T) {
	testCases := map[string]struct {
		input, expectedOutput string
		overwrite             bool
		changes               []edit.Change
		kept                  string
	}{
		"namespace without labels": {
			input: `
# the shop
apiVersion: v1
kind: Namespace
metadata:
  name: shop # prod
`,
			expectedOutput: `
# the shop
apiVersion: v1
kind: Namespace
metadata:
  name: shop # prod
  labels:
    elbv2.k8s.aws/pod-readiness-gate-inject: enabled
`,
			changes: []edit.Change{{Field: field, To: "enabled"}},
		},
		"other labels kept in order": {
			input: `
apiVersion: v1
kind: Namespace
metadata:
  labels:
    team: web # owners
    istio-injection: enabled
  name: shop
`,
			expectedOutput: `
apiVersion: v1
kind: Namespace
metadata:
  labels:
    team: web # owners
    istio-injection: enabled
    elbv2.k8s.aws/pod-readiness-gate-inject: enabled
  name: shop
`,
			changes: []edit.Change{{Field: field, To: "enabled"}},
		},
		"labels null": {
			input: `
apiVersion: v1
kind: Namespace
metadata:
  labels:
  name: shop
`,
			expectedOutput: `
apiVersion: v1
kind: Namespace
metadata:
  labels:
    elbv2.k8s.aws/pod-readiness-gate-inject: enabled
  name: shop
`,
			changes: []edit.Change{{Field: field, To: "enabled"}},
		},
		"already labelled: no change": {
			input: `
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {elbv2.k8s.aws/pod-readiness-gate-inject: enabled}
`,
			expectedOutput: `
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {elbv2.k8s.aws/pod-readiness-gate-inject: enabled}
`,
		},
		"user's other value kept and reported": {
			input: `
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels:
    elbv2.k8s.aws/pod-readiness-gate-inject: disabled
`,
			expectedOutput: `
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels:
    elbv2.k8s.aws/pod-readiness-gate-inject: disabled
`,
			kept: "disabled",
		},
		"user's other value overwritten": {
			input: `
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels:
    elbv2.k8s.aws/pod-readiness-gate-inject: disabled
`,
			expectedOutput: `
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels:
    elbv2.k8s.aws/pod-readiness-gate-inject: enabled
`,
			overwrite: true,
			changes:   []edit.Change{{Field: field, From: "disabled", To: "enabled"}},
		},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			ns := yaml.MustParse(tc.input)
			f := Filter{Label: AWSGateInject, Value: "enabled", Overwrite: tc.overwrite}
			changes, kept, err := f.Apply(ns)
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if kept != tc.kept {
				t.Errorf("kept = %q, want %q", kept, tc.kept)
			}
			if !reflect.DeepEqual(changes, tc.changes) {
				t.Errorf("changes = %#v, want %#v", changes, tc.changes)
			}
			got := ns.MustString()
			if strings.TrimSpace(got) != strings.TrimSpace(tc.expectedOutput) {
				t.Errorf("output:\n%s\nwant:\n%s", got, tc.expectedOutput)
			}
			if v := ns.GetLabels()[AWSGateInject]; tc.kept == "" && v != "enabled" {
				t.Errorf("label = %q after Apply", v)
			}
			again, kept2, err := f.Apply(ns)
			if err != nil || len(again) != 0 || kept2 != tc.kept {
				t.Errorf("second Apply: %v, %q, %v; want no changes", again, kept2, err)
			}
			if ns.MustString() != got {
				t.Errorf("second Apply changed the output:\n%s", ns.MustString())
			}
		})
	}
}

// A Namespace whose labels are not a map is an error, not a panic.
func TestFilter_Errors(t *testing.T) {
	for _, labels := range []string{"[a]", "x"} {
		ns := yaml.MustParse("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: " + labels + "}\n")
		_, _, err := Filter{Label: AWSGateInject, Value: "enabled"}.Apply(ns)
		if err == nil || !strings.Contains(err.Error(), "metadata.labels") {
			t.Errorf("labels %s: err = %v, want one naming metadata.labels", labels, err)
		}
	}
}
