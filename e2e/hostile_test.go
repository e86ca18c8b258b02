package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	kfn "github.com/kptdev/krm-functions-sdk/go/fn"
)

// The hostile-input battery runs the binary on $PATH (as make e2e sets it
// up) on input no client would send, and checks what users and pipelines
// rely on: exit code 1 with a message on stderr that names the field or the
// object, the items written back unchanged (exactly as the SDK writes them
// when the function changes nothing), no panic, and bounded time and memory.

const (
	maxWall  = 5 * time.Second
	maxRSSKB = 200 * 1024
)

func binary(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("graceful-rollout")
	if err != nil {
		t.Skip("graceful-rollout is not on $PATH: run make e2e")
	}
	return bin
}

type binRun struct {
	stdout, stderr string
	code           int
	wall           time.Duration
	maxRSSKB       int64
}

// runStdin runs the binary with input on stdin and measures it.
func runStdin(t *testing.T, bin string, input []byte) binRun {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Stdin = bytes.NewReader(input)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("the binary did not finish within 30 s (killed)")
	}
	r := binRun{stdout: out.String(), stderr: errb.String(), wall: time.Since(start)}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.maxRSSKB = ru.Maxrss // kilobytes on Linux
	}
	return r
}

// identityItems is how the SDK writes the items of input when the function
// changes nothing; ok is false when the SDK cannot read the input at all.
func identityItems(t *testing.T, input []byte) (items string, readable bool) {
	t.Helper()
	defer func() {
		if recover() != nil { // the SDK panics on some input (an aliased apiVersion)
			items, readable = "", false
		}
	}()
	out, err := kfn.Run(kfn.ResourceListProcessorFunc(func(*kfn.ResourceList) (bool, error) { return true, nil }), input)
	if err != nil {
		return "", false
	}
	rl, err := kfn.ParseResourceList(out)
	if err != nil {
		t.Fatalf("the identity output does not parse: %v", err)
	}
	return rl.Items.String(), true
}

// rl wraps items (YAML list entries, indented by two) and an optional
// functionConfig into a ResourceList.
func rl(config string, items ...string) string {
	var b strings.Builder
	b.WriteString("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n")
	if config != "" {
		b.WriteString("functionConfig:\n" + indent(config, "  "))
	}
	if len(items) == 0 {
		b.WriteString("items: []\n")
	} else {
		b.WriteString("items:\n")
		for _, it := range items {
			b.WriteString("- " + strings.TrimPrefix(indent(it, "  "), "  "))
		}
	}
	return b.String()
}

func indent(s, by string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = by + l
	}
	return strings.Join(lines, "\n") + "\n"
}

// deployment is a serving Deployment in namespace shop; spec replaces the
// default pod spec body when given.
func deployment(name, extraMeta, podSpec string) string {
	if podSpec == "" {
		podSpec = "containers:\n- name: app\n  image: example/app:1\n  ports: [{containerPort: 8080}]\n  readinessProbe: {httpGet: {path: /, port: 8080}}\n"
	}
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %s
  namespace: shop
%sspec:
  replicas: 3
  selector: {matchLabels: {app: %s}}
  template:
    metadata: {labels: {app: %s}}
    spec:
%s`, name, indent2(extraMeta, "  "), name, name, indent(podSpec, "      "))
}

func indent2(s, by string) string {
	if s == "" {
		return ""
	}
	return indent(s, by)
}

const service = `apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
`

const cmProfile = `apiVersion: v1
kind: ConfigMap
metadata: {name: graceful-rollout}
data:
`

const typedHead = `apiVersion: graceful-rollout.dev/v1alpha1
kind: GracefulRollout
metadata: {name: graceful-rollout}
spec:
`

// bomb is a billion-laughs anchor chain: 9^levels strings once expanded.
func bomb(levels int) string {
	var b strings.Builder
	b.WriteString("l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i <= levels; i++ {
		p := fmt.Sprintf("*l%d", i-1)
		fmt.Fprintf(&b, "l%d: &l%d [%s, %s, %s, %s, %s, %s, %s, %s, %s]\n", i, i, p, p, p, p, p, p, p, p, p)
	}
	return b.String()
}

type hostileCase struct {
	name  string
	input string
	// code is the exit code; 1 unless the input is fine.
	code int
	// stderr must contain each of these.
	stderr []string
}

func hostileCases() []hostileCase {
	dep := deployment("web", "", "")
	top := bomb(9)
	return []hostileCase{
		// No object at all (a Helm chart that renders nothing): empty
		// output, success.
		{name: "empty-zero-bytes", input: "", code: 0},
		{name: "empty-whitespace", input: " \n\t\n", code: 0},
		{name: "only-a-comment", input: "# nothing here\n", code: 0},
		{name: "only-a-separator", input: "---\n", code: 0},
		{name: "separators-and-comments", input: "# Source: x\n---\n# more\n---\n", code: 0},
		// Not readable as a ResourceList: nothing is written, one line says why.
		{name: "malformed-yaml-flow", input: "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: [{a: b\n", code: 1, stderr: []string{"input: not valid YAML", "line"}},
		{name: "malformed-yaml-indent", input: "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- kind: Deployment\n   name: x\n  - y\n", code: 1, stderr: []string{"input: not valid YAML"}},
		{name: "malformed-yaml-tab", input: "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n\t- a\n", code: 1, stderr: []string{"input: not valid YAML"}},
		{name: "undefined-alias", input: "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: [*nothing]\n", code: 1, stderr: []string{"input: not valid YAML", "unknown anchor"}},
		// The SDK's getters panic on an alias in an item's identifying fields.
		{name: "aliased-apiversion", input: "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: &v apps/v1\n  kind: Deployment\n  metadata: {name: a}\n- apiVersion: *v\n  kind: Deployment\n  metadata: {name: b}\n", code: 1, stderr: []string{"input: items[1].apiVersion: an alias (*v)"}},
		{name: "aliased-metadata", input: "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: &m {name: a}\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: *m\n", code: 1, stderr: []string{"input: items[1].metadata: an alias (*m)"}},
		{name: "aliased-namespace", input: "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata: {name: &n shop}\n- apiVersion: v1\n  kind: Service\n  metadata: {name: a, namespace: *n}\n", code: 1, stderr: []string{"input: items[1].metadata.namespace: an alias (*n)"}},
		{name: "not-a-resourcelist-configmap", input: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", code: 1, stderr: []string{`input: kind is "ConfigMap": expected kind ResourceList`}},
		{name: "not-a-resourcelist-list", input: "apiVersion: v1\nkind: List\nitems: []\n", code: 1, stderr: []string{`kind is "List"`}},
		{name: "not-a-resourcelist-sequence", input: "- apiVersion: v1\n  kind: ResourceList\n", code: 1, stderr: []string{"input: a list: expected a ResourceList object"}},
		{name: "not-a-resourcelist-scalar", input: "ResourceList\n", code: 1, stderr: []string{`input: "ResourceList": expected a ResourceList object`}},
		{name: "no-kind", input: "apiVersion: config.kubernetes.io/v1\nitems: []\n", code: 1, stderr: []string{"input: no kind"}},
		{name: "two-documents", input: rl("") + "---\n" + rl(""), code: 1, stderr: []string{"input: 2 YAML documents"}},
		{name: "items-a-map", input: "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: {a: b}\n", code: 1, stderr: []string{"input: items: expected a list of objects, got a map"}},
		{name: "items-scalars", input: "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: [a, b]\n", code: 1, stderr: []string{`input: items[0]: expected an object, got "a"`}},
		{name: "functionConfig-a-list", input: "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nfunctionConfig: [profile]\nitems: []\n", code: 1, stderr: []string{"input: functionConfig: expected an object, got a list"}},

		// Empty but well-formed: nothing to do, success.
		{name: "empty-resourcelist", input: rl(""), code: 0},
		{name: "empty-resourcelist-no-items-key", input: "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n", code: 0},
		// The SDK cannot read a null items (kpt and kustomize never send one).
		{name: "null-items", input: "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: null\n", code: 1, stderr: []string{"input: items: null: expected a list of objects"}},
		{name: "empty-resourcelist-with-config", input: rl(cmProfile + "  profile: eks-alb\n"), code: 0},

		// Alias bombs: never expanded, so fast and small. In an object the
		// function does not read, it passes through; where the function reads
		// a field, the field has the wrong shape and is named.
		{name: "alias-bomb-passthrough", input: rl("", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb, namespace: shop}\ndata:\n"+indent(top, "  ")), code: 0},
		{name: "alias-bomb-in-workload", input: "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n" +
			"- apiVersion: apps/v1\n  kind: Deployment\n  bomb:\n" + indent(top, "    ") + "  metadata: {name: web, namespace: shop, labels: *l9, annotations: {a: *l9}}\n  spec:\n    replicas: *l9\n    template:\n      metadata: {labels: *l9}\n      spec: {containers: *l9}\n" +
			"- apiVersion: v1\n  kind: Service\n  bomb:\n" + indent(top, "    ") + "  metadata: {name: web, namespace: shop}\n  spec: {selector: *l9}\n",
			code: 1, stderr: []string{"apps/v1/Deployment/shop/web metadata.labels: expected a map, got a list", "spec.replicas", "v1/Service/shop/web spec.selector: expected a map, got a list"}},
		{name: "alias-bomb-in-config", input: "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nfunctionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: graceful-rollout}\n  bomb:\n" + indent(top, "    ") + "  data: {profile: *l9}\nitems: []\n",
			code: 1, stderr: []string{"data.profile: must be a string"}},
		{name: "alias-bomb-in-results", input: "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nresults:\n- bomb:\n" + indent(bomb(12), "    ") + "  message: *l12\n  severity: *l12\n",
			code: 1, stderr: []string{"input:"}},

		// Duplicate objects.
		{name: "duplicate-objects", input: rl("", dep, service, dep), code: 1, stderr: []string{"duplicate Resource(apiVersion=apps/v1, kind=Deployment, Namespace=shop, Name=web)"}},

		// Wrong types in every field the function reads.
		{name: "replicas-string", input: rl("", strings.Replace(dep, "replicas: 3", `replicas: "three"`, 1), service), code: 1,
			stderr: []string{`apps/v1/Deployment/shop/web spec.replicas: expected a whole number, got the string "three"`}},
		{name: "replicas-list", input: rl("", strings.Replace(dep, "replicas: 3", "replicas: [3]", 1), service), code: 1,
			stderr: []string{"apps/v1/Deployment/shop/web spec.replicas: expected a whole number, got a list"}},
		{name: "minReadySeconds-list", input: rl("", strings.Replace(dep, "replicas: 3", "replicas: 3\n  minReadySeconds: [60]", 1), service), code: 1,
			stderr: []string{"apps/v1/Deployment/shop/web spec.minReadySeconds: expected a whole number, got a list"}},
		{name: "minReadySeconds-float", input: rl("", strings.Replace(dep, "replicas: 3", "replicas: 3\n  minReadySeconds: 1.5", 1), service), code: 1,
			stderr: []string{"spec.minReadySeconds: expected a whole number, got the number 1.5"}},
		{name: "grace-string", input: rl("", deployment("web", "", "terminationGracePeriodSeconds: thirty\ncontainers: [{name: app, image: a, ports: [{containerPort: 80}]}]"), service), code: 1,
			stderr: []string{`spec.template.spec.terminationGracePeriodSeconds: expected a whole number, got the string "thirty"`}},
		{name: "grace-map", input: rl("", deployment("web", "", "terminationGracePeriodSeconds: {seconds: 30}\ncontainers: [{name: app, image: a, ports: [{containerPort: 80}]}]"), service), code: 1,
			stderr: []string{"spec.template.spec.terminationGracePeriodSeconds: expected a whole number, got a map"}},
		{name: "containers-map", input: rl("", deployment("web", "", "containers: {name: app, image: a}"), service), code: 1,
			stderr: []string{"apps/v1/Deployment/shop/web spec.template.spec.containers: expected a list, got a map"}},
		{name: "containers-string", input: rl("", deployment("web", "", "containers: app"), service), code: 1,
			stderr: []string{`spec.template.spec.containers: expected a list, got the string "app"`}},
		{name: "container-not-a-map", input: rl("", deployment("web", "", "containers: [app]"), service), code: 1,
			stderr: []string{"spec.template.spec.containers[0]: expected a container map"}},
		{name: "container-name-list", input: rl("", deployment("web", "", "containers: [{name: [app], image: a}]"), service), code: 1,
			stderr: []string{"spec.template.spec.containers[0].name: expected a string, got a list"}},
		{name: "ports-map", input: rl("", deployment("web", "", "containers: [{name: app, image: a, ports: {containerPort: 80}}]"), service), code: 1,
			stderr: []string{"spec.template.spec.containers[0].ports: expected a list, got a map"}},
		{name: "hostPort-string", input: rl("", deployment("web", "", "containers: [{name: app, image: a, ports: [{containerPort: 80, hostPort: eighty}]}]"), service), code: 1,
			stderr: []string{`spec.template.spec.containers[0].ports[0].hostPort: expected a whole number, got the string "eighty"`}},
		{name: "lifecycle-list", input: rl("", deployment("web", "", "containers: [{name: app, image: a, lifecycle: [preStop]}]"), service), code: 1,
			stderr: []string{"spec.template.spec.containers[0].lifecycle: expected a map, got a list"}},
		{name: "preStop-sleep-seconds-string", input: rl("", deployment("web", "", "containers: [{name: app, image: a, lifecycle: {preStop: {sleep: {seconds: ten}}}}]"), service), code: 1,
			stderr: []string{`spec.template.spec.containers[0].lifecycle.preStop.sleep.seconds: expected a whole number, got the string "ten"`}},
		{name: "preStop-exec-command-string", input: rl("", deployment("web", "", "containers: [{name: app, image: a, lifecycle: {preStop: {exec: {command: sleep 5}}}}]"), service), code: 1,
			stderr: []string{"spec.template.spec.containers[0].lifecycle.preStop.exec.command: expected a list"}},
		{name: "readinessGates-map", input: rl("", deployment("web", "", "readinessGates: {conditionType: x}\ncontainers: [{name: app, image: a}]"), service), code: 1,
			stderr: []string{"spec.template.spec.readinessGates: expected a list, got a map"}},
		{name: "labels-list", input: rl("", deployment("web", "labels: [app, web]", ""), service), code: 1,
			stderr: []string{"apps/v1/Deployment/shop/web metadata.labels: expected a map, got a list"}},
		{name: "label-value-map", input: rl("", deployment("web", "labels: {app: {x: y}}", ""), service), code: 1,
			stderr: []string{"metadata.labels.app: expected a string, got a map"}},
		{name: "pod-labels-list", input: rl("", strings.Replace(dep, "metadata: {labels: {app: web}}", "metadata: {labels: [web]}", 1), service), code: 1,
			stderr: []string{"spec.template.metadata.labels: expected a map, got a list"}},
		{name: "annotations-list", input: rl("", deployment("web", "annotations: [graceful-rollout.dev/skip]", ""), service), code: 1,
			stderr: []string{"apps/v1/Deployment/shop/web metadata.annotations: expected a map, got a list"}},
		{name: "annotation-value-list", input: rl("", deployment("web", "annotations: {graceful-rollout.dev/pre-stop-seconds: [20]}", ""), service), code: 1,
			stderr: []string{"metadata.annotations.graceful-rollout.dev/pre-stop-seconds: expected a string, got a list"}},
		{name: "strategy-list", input: rl("", strings.Replace(dep, "replicas: 3", "replicas: 3\n  strategy: {rollingUpdate: [maxSurge]}", 1), service), code: 1,
			stderr: []string{"spec.strategy.rollingUpdate: expected a map, got a list"}},
		{name: "service-selector-list", input: rl("", dep, strings.Replace(service, "selector: {app: web}", "selector: [app, web]", 1)), code: 1,
			stderr: []string{"v1/Service/shop/web spec.selector: expected a map, got a list"}},
		{name: "service-selector-value-list", input: rl("", dep, strings.Replace(service, "selector: {app: web}", "selector: {app: [web]}", 1)), code: 1,
			stderr: []string{"v1/Service/shop/web spec.selector.app: expected a string, got a list"}},
		{name: "hpa-minReplicas-string", input: rl("", dep, service, "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web, namespace: shop}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  minReplicas: two\n  maxReplicas: 5\n"), code: 1,
			stderr: []string{`autoscaling/v2/HorizontalPodAutoscaler/shop/web spec.minReplicas: expected a whole number, got the string "two"`}},
		{name: "hpa-scaleTargetRef-list", input: rl("", dep, service, "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web, namespace: shop}\nspec:\n  scaleTargetRef: [Deployment, web]\n  maxReplicas: 5\n"), code: 1,
			stderr: []string{"autoscaling/v2/HorizontalPodAutoscaler/shop/web spec.scaleTargetRef: expected a map, got a list"}},
		{name: "tgb-serviceRef-list", input: rl(cmProfile+"  profile: eks-alb\n", dep, service, "apiVersion: elbv2.k8s.aws/v1beta1\nkind: TargetGroupBinding\nmetadata: {name: web-tgb, namespace: shop}\nspec:\n  serviceRef: [web, 80]\n  targetGroupARN: arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/web/1\n"), code: 1,
			stderr: []string{"elbv2.k8s.aws/v1beta1/TargetGroupBinding/shop/web-tgb spec.serviceRef: expected a map, got a list"}},
		{name: "tgb-serviceRef-name-map", input: rl(cmProfile+"  profile: eks-alb\n", dep, service, "apiVersion: elbv2.k8s.aws/v1beta1\nkind: TargetGroupBinding\nmetadata: {name: web-tgb, namespace: shop}\nspec:\n  serviceRef: {name: {svc: web}, port: 80}\n"), code: 1,
			stderr: []string{"spec.serviceRef.name: expected a string, got a map"}},
		{name: "metadata-list", input: rl("", "apiVersion: apps/v1\nkind: Deployment\nmetadata: [web]\nspec: {}\n"), code: 1,
			stderr: []string{"apps/v1/Deployment metadata: expected a map, got a list"}},
		{name: "name-map", input: rl("", strings.Replace(dep, "name: web", "name: {web: true}", 1), service), code: 1,
			stderr: []string{"metadata.name: expected a string, got a map"}},
		{name: "spec-string", input: rl("", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec: everything\n"), code: 1,
			stderr: []string{`apps/v1/Deployment/shop/web spec: expected a map, got the string "everything"`}},
		{name: "template-number", input: rl("", "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: shop}\nspec: {template: 7}\n"), code: 1,
			stderr: []string{`apps/v1/StatefulSet/shop/db spec.template: expected a map, got "7"`}},

		// Huge and negative numbers.
		{name: "replicas-huge", input: rl("", strings.Replace(dep, "replicas: 3", "replicas: 99999999999999999999", 1), service), code: 1,
			stderr: []string{"spec.replicas: expected a whole number, got the number 99999999999999999999"}},
		{name: "replicas-negative", input: rl("", strings.Replace(dep, "replicas: 3", "replicas: -3", 1), service), code: 1,
			stderr: []string{`spec.replicas: expected a whole number between 0 and 2147483647, got "-3"`}},
		{name: "minReadySeconds-over-int32", input: rl("", strings.Replace(dep, "replicas: 3", "replicas: 3\n  minReadySeconds: 4294967296", 1), service), code: 1,
			stderr: []string{`spec.minReadySeconds: expected a whole number between 0 and 2147483647, got "4294967296"`}},
		{name: "grace-negative", input: rl("", deployment("web", "", "terminationGracePeriodSeconds: -5\ncontainers: [{name: app, image: a, ports: [{containerPort: 80}]}]"), service), code: 1,
			stderr: []string{`spec.template.spec.terminationGracePeriodSeconds: expected a whole number between 0 and 2147483647, got "-5"`}},
		{name: "sleep-seconds-negative", input: rl("", deployment("web", "", "containers: [{name: app, image: a, lifecycle: {preStop: {sleep: {seconds: -1}}}}]"), service), code: 1,
			stderr: []string{`lifecycle.preStop.sleep.seconds: expected a whole number between 0 and 2147483647, got "-1"`}},
		{name: "sleep-seconds-overflow", input: rl("", deployment("web", "", "containers: [{name: app, image: a, lifecycle: {preStop: {sleep: {seconds: 18446744073709551617}}}}]"), service), code: 1,
			stderr: []string{"lifecycle.preStop.sleep.seconds: expected a whole number"}},
		{name: "hpa-minReplicas-negative", input: rl("", dep, service, "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web, namespace: shop}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  minReplicas: -1\n"), code: 1,
			stderr: []string{`HorizontalPodAutoscaler/shop/web spec.minReplicas: expected a whole number between 0 and 2147483647, got "-1"`}},

		// Overflowing seconds in the config and in annotations.
		{name: "config-seconds-overflow", input: rl(cmProfile+"  preStopSeconds: \"9223372036854775808\"\n  shutdownSeconds: \"86401\"\n  minReadySeconds: \"-1\"\n", dep, service), code: 1,
			stderr: []string{`data.preStopSeconds: "9223372036854775808" is not a whole number of seconds`, "data.shutdownSeconds: 86401 is out of range", "data.minReadySeconds: -1 is out of range"}},
		{name: "typed-seconds-overflow", input: rl(typedHead+"  preStopSeconds: 99999999999999999999\n  minReadySeconds: 1e9\n", dep, service), code: 1,
			stderr: []string{`spec.preStopSeconds: "99999999999999999999" is not a whole number of seconds`, `spec.minReadySeconds: "1e9" is not a whole number of seconds`}},
		{name: "annotation-seconds-overflow", input: rl("", deployment("web", "annotations:\n  graceful-rollout.dev/pre-stop-seconds: \"99999999999999999999\"\n  graceful-rollout.dev/shutdown-seconds: \"-20\"\n  graceful-rollout.dev/min-ready-seconds: \"86401\"", ""), service), code: 1,
			stderr: []string{
				`apps/v1/Deployment/shop/web metadata.annotations.graceful-rollout.dev/pre-stop-seconds: "99999999999999999999" is not a whole number of seconds`,
				"metadata.annotations.graceful-rollout.dev/shutdown-seconds: -20 is out of range",
				"metadata.annotations.graceful-rollout.dev/min-ready-seconds: 86401 is out of range",
			}},

		// Config errors.
		{name: "unknown-profile", input: rl(cmProfile+"  profile: gke-gateway\n", dep, service), code: 1,
			stderr: []string{`v1/ConfigMap/graceful-rollout data.profile: unknown profile "gke-gateway"`}},
		{name: "unknown-profile-typed", input: rl(typedHead+"  profile: [gke-neg]\n", dep, service), code: 1,
			stderr: []string{"spec.profile: must be a single value, not a list"}},
		{name: "unknown-typed-field", input: rl(typedHead+"  profile: gke-neg\n  preStopSecond: 20\n", dep, service), code: 1,
			stderr: []string{"graceful-rollout.dev/v1alpha1/GracefulRollout/graceful-rollout spec.preStopSecond: unknown field"}},
		{name: "unknown-top-level-field", input: rl(typedHead+"  profile: gke-neg\nstatus: {}\n", dep, service), code: 1,
			stderr: []string{"GracefulRollout/graceful-rollout status: unknown field"}},
		{name: "config-data-list", input: rl("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: graceful-rollout}\ndata: [profile, generic]\n", dep, service), code: 1,
			stderr: []string{"v1/ConfigMap/graceful-rollout data: must be a map of string keys to string values"}},
		{name: "config-wrong-kind", input: rl("apiVersion: v1\nkind: Secret\nmetadata: {name: graceful-rollout}\n", dep, service), code: 1,
			stderr: []string{`kind: functionConfig of kind "Secret"`}},
		{name: "prestop-over-spot-cap-config", input: rl(typedHead+"  profile: gke-autopilot\n  spot: true\n  preStopSeconds: 25\n", dep, service), code: 1,
			stderr: []string{"spec.preStopSeconds: 25 s cannot fit under the 25 s grace-period cap of profile gke-autopilot"}},
		{name: "prestop-over-spot-cap-annotation", input: rl(cmProfile+"  profile: gke-autopilot\n  spot: \"true\"\n", deployment("web", "annotations: {graceful-rollout.dev/pre-stop-seconds: \"40\"}", ""), service), code: 1,
			stderr: []string{"apps/v1/Deployment/shop/web metadata.annotations.graceful-rollout.dev/pre-stop-seconds: a 40 s preStop cannot fit under the 25 s grace-period cap"}},
		// The mesh, load-balancer and PDB companions read these objects too.
		{name: "proxy-config-list", input: rl(cmProfile+"  profile: gke-neg\n  mesh: istio\n", strings.Replace(dep, "metadata: {labels: {app: web}}", "metadata: {labels: {app: web}, annotations: {proxy.istio.io/config: [a]}}", 1), service), code: 1,
			stderr: []string{"spec.template.metadata.annotations.proxy.istio.io/config: expected a string holding a ProxyConfig in YAML, got a list"}},
		{name: "proxy-config-bad-yaml", input: rl(cmProfile+"  profile: gke-neg\n  mesh: istio\n", strings.Replace(dep, "metadata: {labels: {app: web}}", "metadata: {labels: {app: web}, annotations: {proxy.istio.io/config: '{terminationDrainDuration: [5s'}}", 1), service), code: 1,
			stderr: []string{"proxy.istio.io/config: cannot read the ProxyConfig YAML"}},
		{name: "proxy-config-overflowing-duration", input: rl(cmProfile+"  profile: gke-neg\n  mesh: istio\n", strings.Replace(dep, "metadata: {labels: {app: web}}", "metadata: {labels: {app: web}, annotations: {proxy.istio.io/config: 'terminationDrainDuration: 9999999999h'}}", 1), service), code: 1,
			stderr: []string{`proxy.istio.io/config: terminationDrainDuration: "9999999999h"`}},
		{name: "service-ports-map", input: rl(cmProfile+"  profile: gke-neg\n  mesh: istio\n", dep, strings.Replace(service, "ports: [{port: 80, targetPort: 8080}]", "ports: {port: 80}", 1)), code: 1,
			stderr: []string{"v1/Service/shop/web spec.ports"}},
		{name: "virtualservice-hosts-string", input: rl(cmProfile+"  profile: gke-neg\n  mesh: istio\n", dep, service, "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: web, namespace: shop}\nspec: {hosts: web, http: [{route: [{destination: {host: web}}]}]}\n"), code: 1,
			stderr: []string{"VirtualService/shop/web spec.hosts"}},
		{name: "destinationrule-host-list", input: rl(cmProfile+"  profile: gke-neg\n  mesh: istio\n", dep, service, "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: web, namespace: shop}\nspec: {host: [web]}\n"), code: 1,
			stderr: []string{"DestinationRule/shop/web spec.host"}},
		{name: "pdb-selector-list", input: rl(cmProfile+"  profile: gke-neg\n", dep, service, "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web, namespace: shop}\nspec: {selector: [app, web], maxUnavailable: 1}\n"), code: 1,
			stderr: []string{"PodDisruptionBudget/shop/web spec.selector"}},
		{name: "namespace-labels-list", input: rl(cmProfile+"  profile: eks-alb\n  mesh: auto\n", dep, service, "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: [istio-injection]}\n"), code: 1,
			stderr: []string{"v1/Namespace/shop metadata.labels"}},
		{name: "user-prestop-over-spot-cap", input: rl(cmProfile+"  profile: gke-autopilot\n  spot: \"true\"\n", deployment("web", "", "containers: [{name: app, image: a, ports: [{containerPort: 80}], lifecycle: {preStop: {sleep: {seconds: 40}}}}]"), service), code: 1,
			stderr: []string{"apps/v1/Deployment/shop/web spec.template.spec.containers: a preStop of 40 s cannot end before the 25 s grace-period cap"}},
	}
}

func TestHostileInput(t *testing.T) {
	bin := binary(t)
	for _, tc := range hostileCases() {
		t.Run(tc.name, func(t *testing.T) {
			input := []byte(tc.input)
			r := runStdin(t, bin, input)
			checkBounded(t, r)
			if r.code != tc.code {
				t.Fatalf("exit code %d, want %d\nstderr:\n%s", r.code, tc.code, r.stderr)
			}
			for _, want := range tc.stderr {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr does not say %q:\n%s", want, r.stderr)
				}
			}
			if tc.code != 0 {
				// One line per problem, each naming something, and the
				// function's name first: what kustomize shows the user.
				if !strings.HasSuffix(r.stderr, "\n") || !strings.HasPrefix(r.stderr, "failed to evaluate function: graceful-rollout: ") {
					t.Errorf("stderr is not a terminated graceful-rollout message:\n%q", r.stderr)
				}
				seen := map[string]bool{}
				for _, line := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
					if seen[line] {
						t.Errorf("stderr says twice: %s", line)
					}
					seen[line] = true
				}
			} else if r.stderr != "" && !isSummary(r.stderr) {
				// A successful run prints only its summary (for kustomize).
				t.Errorf("a successful run wrote on stderr:\n%s", r.stderr)
			}
			want, readable := identityItems(t, input)
			if !readable {
				if r.stdout != "" {
					t.Errorf("input the SDK cannot read, yet stdout has:\n%s", clip(r.stdout))
				}
				return
			}
			out, err := kfn.ParseResourceList([]byte(r.stdout))
			if err != nil {
				t.Fatalf("stdout is not a ResourceList: %v\n%s", err, clip(r.stdout))
			}
			if tc.code != 0 && out.Items.String() != want {
				t.Errorf("a failed run changed items:\n--- want\n%s\n--- got\n%s", clip(want), clip(out.Items.String()))
			}
			if tc.code == 0 && !strings.Contains(tc.name, "bomb") && len(out.Items) != 0 {
				t.Errorf("items from an empty input: %s", clip(out.Items.String()))
			}
			if tc.code == 0 && strings.Contains(tc.name, "bomb") && out.Items.String() != want {
				t.Errorf("an object the function does not touch changed:\n%s", clip(out.Items.String()))
			}
		})
	}
}

// Large but well-formed input (deep nesting, a 2 MB scalar, a thousand
// containers, twenty thousand annotations, two hundred workloads) stays
// within the same bounds. (Scaling to thousands of workloads is measured
// against the SDK's own floor by make bench, not here.)
func TestHostileInputLarge(t *testing.T) {
	bin := binary(t)
	many := func(n int, format string) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, format, i, i, i)
		}
		return b.String()
	}
	var objects []string
	for i := 0; i < 200; i++ {
		objects = append(objects, strings.ReplaceAll(deployment("web", "", ""), "web", fmt.Sprintf("web%d", i)),
			strings.ReplaceAll(service, "web", fmt.Sprintf("web%d", i)))
	}
	for _, tc := range []struct {
		name  string
		input string
		code  int
	}{
		{"deep-nesting", rl("", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata: "+strings.Repeat("[", 5000)+strings.Repeat("]", 5000)+"\n"), 0},
		{"long-scalar", rl("", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: long}\ndata: {x: "+strings.Repeat("x", 2<<20)+"}\n"), 0},
		{"many-containers", rl("", deployment("web", "", "containers:\n"+many(1000, "- {name: c%d, image: a%d, ports: [{containerPort: %d}]}\n")), service), 0},
		{"many-annotations", rl("", deployment("web", "annotations:\n"+many(20000, "  a%d: \"%d-%d\"\n"), ""), service), 0},
		{"many-workloads", rl(cmProfile+"  profile: eks-alb\n", objects...), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runStdin(t, bin, []byte(tc.input))
			checkBounded(t, r)
			if r.code != tc.code {
				t.Fatalf("exit code %d, want %d\nstderr:\n%s", r.code, tc.code, clip(r.stderr))
			}
			t.Logf("%d bytes in, %v, %d MB max RSS", len(tc.input), r.wall.Round(time.Millisecond), r.maxRSSKB/1024)
		})
	}
}

func checkBounded(t *testing.T, r binRun) {
	t.Helper()
	if strings.Contains(r.stderr, "panic:") || strings.Contains(r.stderr, "goroutine ") {
		t.Fatalf("the binary panicked:\n%s", clip(r.stderr))
	}
	if r.wall > maxWall {
		t.Errorf("took %v (limit %v)", r.wall, maxWall)
	}
	if r.maxRSSKB > maxRSSKB {
		t.Errorf("max RSS %d MB (limit %d MB)", r.maxRSSKB/1024, maxRSSKB/1024)
	}
}

// The binary makes no network call and writes no file: it reads stdin and
// writes stdout and stderr, nothing else. Checked with strace on a
// successful run (every profile's concerns on, mesh included), a failed one
// and an unreadable input. Skips when strace is not installed (Debian:
// apt-get install -y strace).
func TestNoNetworkNoFileWrites(t *testing.T) {
	bin := binary(t)
	strace, err := exec.LookPath("strace")
	if err != nil {
		t.Skip("strace is not installed (apt-get install -y strace): cannot check the binary's system calls")
	}
	dep := deployment("web", "", "")
	inputs := map[string]string{
		"success-eks-alb": rl(cmProfile+"  profile: eks-alb\n", dep, service, "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n",
			"apiVersion: elbv2.k8s.aws/v1beta1\nkind: TargetGroupBinding\nmetadata: {name: web-tgb, namespace: shop}\nspec:\n  serviceRef: {name: web, port: 80}\n"),
		"success-istio":     rl(cmProfile+"  profile: gke-neg\n  mesh: istio\n  meshVersion: \"1.24\"\n", strings.Replace(dep, "labels: {app: web}", "labels: {app: web, sidecar.istio.io/inject: \"true\"}", 1), service),
		"success-no-config": rl("", dep, service),
		"config-error":      rl(cmProfile+"  profile: gke-gateway\n", dep, service),
		"unreadable":        "items: [\n",
	}
	network := regexp.MustCompile(`^(socket|connect|bind|listen|accept4?|sendto|sendmsg|sendmmsg|recvfrom|recvmsg|socketpair|shutdown|getsockname|getpeername|setsockopt|getsockopt)\(`)
	writes := regexp.MustCompile(`^(creat|mkdir|mkdirat|rmdir|unlink|unlinkat|rename|renameat2?|link|linkat|symlink|symlinkat|chmod|fchmodat|chown|fchownat|lchown|truncate|utimensat|utimes|mknod|mknodat)\(`)
	open := regexp.MustCompile(`^(?:open|openat|openat2)\((?:[^,]*, )?"([^"]*)", ([A-Z_|]+)`)
	allowed := map[string]bool{"/dev/null": true, "/dev/stdout": true, "/dev/stderr": true}
	for name, input := range inputs {
		t.Run(name, func(t *testing.T) {
			trace := filepath.Join(t.TempDir(), "trace")
			cmd := exec.Command(strace, "-f", "-qq", "-e", "trace=network,file", "-o", trace, bin)
			cmd.Stdin = strings.NewReader(input)
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			err := cmd.Run()
			if _, ok := err.(*exec.ExitError); err != nil && !ok {
				t.Fatal(err)
			}
			if strings.Contains(errb.String(), "PTRACE") || strings.Contains(errb.String(), "strace:") {
				t.Skipf("strace cannot trace here: %s", errb.String())
			}
			b, err := os.ReadFile(trace)
			if err != nil {
				t.Fatal(err)
			}
			calls := 0
			for _, line := range strings.Split(string(b), "\n") {
				// "PID  syscall(args) = result"
				f := strings.SplitN(strings.TrimSpace(line), " ", 2)
				if len(f) < 2 {
					continue
				}
				call := strings.TrimSpace(f[1])
				if strings.HasPrefix(call, "---") || strings.HasPrefix(call, "+++") {
					continue
				}
				calls++
				if network.MatchString(call) {
					t.Errorf("network system call: %s", call)
				}
				if writes.MatchString(call) {
					t.Errorf("file system change: %s", call)
				}
				if m := open.FindStringSubmatch(call); m != nil && !allowed[m[1]] &&
					regexp.MustCompile(`O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|O_APPEND`).MatchString(m[2]) {
					t.Errorf("opened for writing: %s", call)
				}
			}
			if calls == 0 {
				t.Fatalf("strace recorded nothing:\n%s", b)
			}
		})
	}
}

// isSummary reports whether stderr is the summary of a successful run: a
// line of counts, then one indented line per warning.
func isSummary(stderr string) bool {
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	if !strings.HasPrefix(lines[0], "graceful-rollout: ") || !strings.HasSuffix(stderr, "\n") {
		return false
	}
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l, "  [warning] ") {
			return false
		}
	}
	return true
}
