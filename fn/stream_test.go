package fn

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

const streamIn = `---
# Source: web/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: web # the front door
spec:
  selector:
    app: web
  ports:
    - port: 80
      targetPort: 8080
---
# Source: web/templates/empty.yaml
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: nginx
          ports:
            - containerPort: 8080
`

func TestStream(t *testing.T) {
	var out, errb bytes.Buffer
	if err := Stream([]byte(streamIn), []string{"profile=gke-neg"}, &out, &errb, Process); err != nil {
		t.Fatalf("Stream: %v\n%s", err, errb.String())
	}
	got := out.String()
	// The Service is untouched: comments, order and list indentation kept;
	// the empty document is dropped; the Deployment comes next, changed.
	wantService := "# Source: web/templates/service.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: web # the front door\nspec:\n  selector:\n    app: web\n  ports:\n    - port: 80\n      targetPort: 8080\n---\napiVersion: apps/v1\nkind: Deployment\n"
	if !strings.HasPrefix(got, wantService) {
		t.Errorf("output does not start with the unchanged Service:\n%s", got)
	}
	for _, want := range []string{"        - name: web\n", "seconds: 40", "minReadySeconds: 60"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "config.kubernetes.io") || strings.Contains(got, "empty.yaml") {
		t.Errorf("output carries reader annotations or the empty document:\n%s", got)
	}
	if !regexp.MustCompile(`(?m)^graceful-rollout: \[info\] apps/v1/Deployment/web: .*LB stops sending by 20s`).MatchString(errb.String()) {
		t.Errorf("stderr has no result line for the Deployment:\n%s", errb.String())
	}
}

func TestStreamErrorsWriteNothing(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		in   string
		want string
	}{
		{"unknown-profile", []string{"profile=gke"}, streamIn, `[error] v1/ConfigMap/function-input data.profile: unknown profile "gke"`},
		{"twice", []string{"profile=gke-neg", "profile=generic"}, streamIn, `"profile=generic": profile given twice`},
		{"no-key", []string{"=gke-neg"}, streamIn, "no key before '='"},
		{"two-files", []string{"a.yaml", "b.yaml"}, streamIn, "one functionConfig file at most"},
		{"scalar", []string{"profile=generic"}, "just text\n", `document 1: "just text": expected an object`},
		{"workload-error", []string{"profile=generic"}, strings.Replace(streamIn, "replicas: 1", "replicas: one", 1), "spec.replicas"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			err := Stream([]byte(tc.in), tc.args, &out, &errb, Process)
			if err == nil {
				t.Fatalf("no error; stdout:\n%s", out.String())
			}
			if out.Len() > 0 {
				t.Errorf("wrote to stdout on error:\n%s", out.String())
			}
			if msg := err.Error() + "\n" + errb.String(); !strings.Contains(msg, tc.want) {
				t.Errorf("error and stderr do not say %q:\n%s", tc.want, msg)
			}
		})
	}
}

func TestIsResourceList(t *testing.T) {
	for in, want := range map[string]bool{
		"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n": true,
		"---\n# c\nkind: ResourceList\n":                                       true,
		"apiVersion: v1\nkind: Service\n":                                      false,
		"- kind: ResourceList\n":                                               false,
		"":                                                                     false,
		"kind: [\n":                                                            false,
	} {
		if got := IsResourceList([]byte(in)); got != want {
			t.Errorf("IsResourceList(%q) = %v, want %v", in, got, want)
		}
	}
}

// Objects the function does not change come out byte for byte as they went
// in: the spacing before a comment, an indentation the encoder would not
// write, quoting, and a comment at the end of the document.
func TestStreamKeepsUnchangedText(t *testing.T) {
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: '1'   # two spaces before\nlist:\n    - a\n    - b\n# end of the document\n"
	in := cm + "---\n" + strings.SplitN(streamIn, "---\n", 4)[3]
	var out, errb bytes.Buffer
	if err := Stream([]byte(in), []string{"profile=generic"}, &out, &errb, Process); err != nil {
		t.Fatalf("Stream: %v\n%s", err, errb.String())
	}
	if !strings.HasPrefix(out.String(), cm+"---\n") {
		t.Errorf("the ConfigMap did not come out as it went in:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "sleep:") {
		t.Errorf("the Deployment was not planned:\n%s", out.String())
	}
}

// A v1 List (kubectl get -o yaml) through a Helm post-renderer or a pipe is
// planned item by item, as kustomize flattens it, and said so.
func TestStreamList(t *testing.T) {
	in := "apiVersion: v1\nkind: List\nitems:\n- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: web}\n  spec:\n    replicas: 2\n    selector: {matchLabels: {app: web}}\n    template:\n      metadata: {labels: {app: web}}\n      spec:\n        containers: [{name: web, image: nginx, ports: [{containerPort: 80}]}]\n- apiVersion: v1\n  kind: Service\n  metadata: {name: web}\n  spec: {selector: {app: web}, ports: [{port: 80}]}\n"
	var out, errb bytes.Buffer
	if err := Stream([]byte(in), []string{"profile=generic"}, &out, &errb, Process); err != nil {
		t.Fatalf("Stream: %v\n%s", err, errb.String())
	}
	if strings.Contains(out.String(), "kind: List") || !strings.Contains(out.String(), "sleep:") || strings.Count(out.String(), "\nkind: ") < 2 {
		t.Errorf("the List was not flattened and planned:\n%s", out.String())
	}
	if !strings.Contains(errb.String(), "a v1 List was flattened into its 2 items") {
		t.Errorf("stderr does not say the List was flattened:\n%s", errb.String())
	}
}
