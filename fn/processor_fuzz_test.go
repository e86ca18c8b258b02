package fn_test

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	kfn "github.com/kptdev/krm-functions-sdk/go/fn"

	"github.com/graceful-rollout/graceful-rollout/fn"
)

// FuzzProcess runs the whole function, as the binary does (kfn.Run), on a
// fuzzed ResourceList.
//
// Invariants: it never panics; when the SDK cannot read the input, nothing
// is written; a failed run writes every item as the SDK writes it when the
// function changes nothing (the identity processor); a successful run,
// given its own output, succeeds again and changes no item.
//
// The seed corpus in testdata/fuzz/FuzzProcess holds the input of every
// golden case (testdata/golden) and the hostile inputs of e2e/hostile_test.go.
func FuzzProcess(f *testing.F) {
	f.Add([]byte("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n"))
	f.Fuzz(func(t *testing.T, input []byte) { checkRun(t, input) })
}

// checkRun checks the invariants of FuzzProcess on one input.
func checkRun(t *testing.T, input []byte) {
	t.Helper()
	if sdkPanics(input) {
		// The SDK's getters panic on some input (an aliased apiVersion):
		// the binary refuses it, writes nothing and says where, in one line.
		var stdout bytes.Buffer
		err := fn.Main(bytes.NewReader(input), &stdout, fn.Process)
		if err == nil || stdout.Len() > 0 {
			t.Fatalf("the SDK panics on this input, yet fn.Main returned %v and wrote %d bytes", err, stdout.Len())
		}
		if msg := err.Error(); !strings.HasPrefix(msg, "failed to evaluate function: graceful-rollout: input: items[") || strings.ContainsAny(msg, "\n\r") {
			t.Fatalf("unclear message for input the SDK cannot read: %q", msg)
		}
		return
	}
	out, err := kfn.Run(kfn.ResourceListProcessorFunc(fn.Process), input)
	checkWriter(t, input, out, err)
	want, idErr := kfn.Run(kfn.ResourceListProcessorFunc(func(*kfn.ResourceList) (bool, error) { return true, nil }), input)
	if idErr != nil {
		// The SDK cannot read (or write) it: the function must fail too,
		// and the binary explains why in one line.
		if err == nil {
			t.Fatalf("the SDK fails on this input (%v) but the function succeeded", idErr)
		}
		if out == nil {
			msg := fn.ExplainInputError(input, err).Error()
			if !strings.HasPrefix(msg, "input: ") || strings.ContainsAny(msg, "\n\r") {
				t.Fatalf("unclear message for unreadable input: %q", msg)
			}
		}
		return
	}
	wantItems, ok := itemsOf(want)
	if !ok {
		// The SDK writes what it cannot read back (an alias to an anchor
		// in an item it sorted after, or outside the items): nothing
		// the function can keep equal.
		t.Skip("the identity output does not parse")
	}
	if err != nil {
		if out == nil {
			t.Fatalf("a failed run wrote nothing: %v", err)
		}
		if got, _ := itemsOf(out); got != wantItems {
			t.Fatalf("a failed run changed items (%v):\n%s", err, diffLines(wantItems, got))
		}
		return
	}
	if _, ok := itemsOf(out); !ok {
		t.Fatalf("the output does not parse, the identity output does:\n%s", out)
	}
	again, err := kfn.Run(kfn.ResourceListProcessorFunc(fn.Process), withoutResults(t, out))
	if err != nil {
		t.Fatalf("a second run on the output failed: %v\n--- output of the first run:\n%s", err, out)
	}
	if got, want := items(t, again), items(t, out); got != want {
		t.Fatalf("a second run changed items:\n%s", diffLines(want, got))
	}
}

// sdkPanics reports whether the SDK's getters of an item's identifier,
// which its sorting and duplicate check call, panic on input.
func sdkPanics(input []byte) (panicked bool) {
	defer func() {
		if recover() != nil {
			panicked = true
		}
	}()
	rl, err := kfn.ParseResourceList(input)
	if err != nil {
		return false
	}
	for _, o := range rl.Items {
		_ = o.GetAPIVersion() + o.GetKind() + o.GetNamespace() + o.GetName()
	}
	return false
}

// checkWriter checks that the binary's entry point (fn.Main) writes what
// the SDK's kfn.Run writes, byte for byte, and fails when it fails; and that
// the chunked writer gives the same bytes with a chunk boundary between
// every two items, and every three.
func checkWriter(t *testing.T, input, sdkOut []byte, sdkErr error) {
	t.Helper()
	var stdout bytes.Buffer
	mainErr := fn.Main(bytes.NewReader(input), &stdout, fn.Process)
	if (mainErr == nil) != (sdkErr == nil) {
		t.Fatalf("fn.Main error %v, kfn.Run error %v", mainErr, sdkErr)
	}
	if !bytes.Equal(stdout.Bytes(), sdkOut) {
		t.Fatalf("fn.Main wrote other bytes than kfn.Run:\n%s", diffLines(string(sdkOut), stdout.String()))
	}
	if mainErr != nil && !strings.Contains(mainErr.Error(), strings.TrimSpace(sdkErr.Error())) && sdkOut != nil {
		t.Fatalf("fn.Main error %q does not carry kfn.Run's %q", mainErr, sdkErr)
	}
	if sdkOut == nil {
		return
	}
	for _, chunk := range []int{1, 3} {
		rl, err := kfn.ParseResourceList(input)
		if err != nil {
			t.Fatal(err)
		}
		fn.Process(rl)
		var got bytes.Buffer
		if err := fn.WriteResourceListChunks(&got, rl, chunk); err != nil {
			t.Fatalf("chunks of %d: %v", chunk, err)
		}
		if !bytes.Equal(got.Bytes(), sdkOut) {
			t.Fatalf("chunks of %d: other bytes than kfn.Run:\n%s", chunk, diffLines(string(sdkOut), got.String()))
		}
	}
}

// FuzzProcessFields puts fuzzed text (one line of YAML: a number, a string,
// a list, a map, an alias...) into the fields the function reads of a
// Deployment, its Service and its functionConfig, under a fuzzed profile,
// kind, spot, mode and mesh: where byte-level mutation of whole
// ResourceLists mostly breaks the YAML, this explores what the function
// does with values. Same invariants as FuzzProcess.
func FuzzProcessFields(f *testing.F) {
	f.Add(uint8(2), uint8(0), uint8(0), "", "", "3", "", "", "", "", "")
	f.Add(uint8(3), uint8(1), uint8(1|2), `"24"`, `"5"`, "1", "25", "{preStop: {sleep: {seconds: 40}}}", "{type: Recreate}", "", "[{containerPort: 80, hostPort: 80}]")
	f.Add(uint8(4), uint8(4), uint8(4), "x", "-1", "[3]", "-5", "{preStop: {exec: {command: [sh, -c, sleep 99999999999]}}}", "{rollingUpdate: {maxSurge: 0, maxUnavailable: 0%}}", "'terminationDrainDuration: 1m'", "{containerPort: 80}")
	f.Add(uint8(7), uint8(2), uint8(8|16), `"0"`, `"0"`, "99999999999999999999", "2147483647", "{preStop: {httpGet: {path: /q, port: 80}}}", "{canary: {maxSurge: 1}}", "'{\"holdApplicationUntilProxyStarts\": false}'", "null")
	f.Add(uint8(1), uint8(3), uint8(32), "~", "1e3", "0x10", "1.5", "[preStop]", "OnDelete", "[a]", "[{containerPort: [80]}]")
	f.Fuzz(func(t *testing.T, prof, kind, flags uint8, preStop, shutdown, replicas, grace, lifecycle, strategy, proxyConfig, ports string) {
		profiles := []string{"generic", "ingress-nginx", "gke-neg", "gke-autopilot", "eks-alb", "eks-nlb", "eks-fargate-alb", "aks-agic"}
		kinds := [][2]string{{"apps/v1", "Deployment"}, {"apps/v1", "StatefulSet"}, {"apps/v1", "DaemonSet"}, {"apps/v1", "ReplicaSet"}, {"argoproj.io/v1alpha1", "Rollout"}}
		k := kinds[int(kind)%len(kinds)]
		mode := []string{"default", "enforce", "audit", "default"}[flags>>1&3]
		mesh := []string{"none", "istio", "linkerd", "auto"}[flags>>3&3]
		strategyKey := "strategy"
		if k[1] == "DaemonSet" || k[1] == "StatefulSet" {
			strategyKey = "updateStrategy"
		}
		line := func(s string) string { return strings.NewReplacer("\n", " ", "\r", " ").Replace(s) }
		input := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nfunctionConfig:\n" +
			"  apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: graceful-rollout}\n" +
			"  data: {profile: " + profiles[int(prof)%len(profiles)] + ", spot: \"" + strconv.FormatBool(flags&1 != 0) + "\", mode: " + mode + ", mesh: " + mesh + ", meshVersion: \"1.24\"}\n" +
			"items:\n" +
			"- apiVersion: " + k[0] + "\n  kind: " + k[1] + "\n" +
			"  metadata:\n    name: web\n    namespace: shop\n" +
			"    annotations:\n      graceful-rollout.dev/pre-stop-seconds: " + line(preStop) + "\n      graceful-rollout.dev/shutdown-seconds: " + line(shutdown) + "\n" +
			"  spec:\n    replicas: " + line(replicas) + "\n    selector: {matchLabels: {app: web}}\n    " + strategyKey + ": " + line(strategy) + "\n" +
			"    template:\n      metadata:\n        labels: {app: web}\n        annotations:\n          proxy.istio.io/config: " + line(proxyConfig) + "\n" +
			"      spec:\n        terminationGracePeriodSeconds: " + line(grace) + "\n        containers:\n" +
			"        - name: app\n          image: example/app:1\n          ports: " + line(ports) + "\n          lifecycle: " + line(lifecycle) + "\n" +
			"        - name: istio-proxy\n          image: istio/proxyv2:1.24.0\n" +
			"- apiVersion: v1\n  kind: Service\n  metadata: {name: web, namespace: shop}\n  spec:\n    selector: {app: web}\n    ports: [{name: http, port: 80, targetPort: 8080}]\n" +
			"- apiVersion: v1\n  kind: Namespace\n  metadata: {name: shop, labels: {istio-injection: enabled}}\n"
		checkRun(t, []byte(input))
	})
}

// itemsOf renders the items of a ResourceList; false when it does not parse.
func itemsOf(rl []byte) (string, bool) {
	parsed, err := kfn.ParseResourceList(rl)
	if err != nil {
		return "", false
	}
	return parsed.Items.String(), true
}
