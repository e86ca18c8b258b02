package lbpolicy

import "testing"

// A TargetGroupConfiguration's targetGroupAttributes list (the AWS Load
// Balancer Controller's Gateway API target group settings).
func TestAttributeList(t *testing.T) {
	f := func(overwrite bool) AttributeList {
		return AttributeList{Path: tgcAttributes, Key: DeregistrationDelay, Value: "20", Overwrite: overwrite}
	}
	head := "apiVersion: gateway.k8s.aws/v1beta1\nkind: TargetGroupConfiguration\nmetadata: {name: web}\nspec:\n  targetReference: {name: web}\n"
	runFilterCases(t, map[string]filterCase{
		"no defaultConfiguration: added": {
			input:          head,
			expectedOutput: head + "  defaultConfiguration:\n    targetGroupAttributes:\n    - key: deregistration_delay.timeout_seconds\n      value: \"20\"\n",
			filter:         f(false), changes: 1,
		},
		"other attributes kept, ours appended": {
			input:          head + "  defaultConfiguration:\n    targetType: ip # pods\n    targetGroupAttributes:\n    - {key: stickiness.enabled, value: \"true\"}\n",
			expectedOutput: head + "  defaultConfiguration:\n    targetType: ip # pods\n    targetGroupAttributes:\n    - {key: stickiness.enabled, value: \"true\"}\n    - key: deregistration_delay.timeout_seconds\n      value: \"20\"\n",
			filter:         f(false), changes: 1,
		},
		"the user's value kept in default": {
			input:          head + "  defaultConfiguration:\n    targetGroupAttributes:\n    - key: deregistration_delay.timeout_seconds\n      value: \"30\"\n",
			expectedOutput: head + "  defaultConfiguration:\n    targetGroupAttributes:\n    - key: deregistration_delay.timeout_seconds\n      value: \"30\"\n",
			filter:         f(false),
			kept:           []Kept{{Field: "spec.defaultConfiguration.targetGroupAttributes[key=deregistration_delay.timeout_seconds].value", Value: "30", Want: "20"}},
		},
		"overwritten in enforce": {
			input:          head + "  defaultConfiguration:\n    targetGroupAttributes:\n    - key: deregistration_delay.timeout_seconds\n      value: \"30\"\n",
			expectedOutput: head + "  defaultConfiguration:\n    targetGroupAttributes:\n    - key: deregistration_delay.timeout_seconds\n      value: \"20\"\n",
			filter:         f(true), changes: 1,
		},
		"not a list: an error": {
			input:  head + "  defaultConfiguration:\n    targetGroupAttributes: deregistration_delay.timeout_seconds=30\n",
			filter: f(false), err: "is not a list",
		},
	})
}
