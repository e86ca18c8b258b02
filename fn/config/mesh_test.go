package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestMesh_Defaults(t *testing.T) {
	c := Default()
	want := Istio{
		Retries: Retries{Attempts: 3, RetryOn: []string{"connect-failure", "refused-stream", "unavailable", "503"}},
		Outlier: Outlier{
			SplitExternalLocalOriginErrors: true, ConsecutiveLocalOriginFailures: 3, Consecutive5xxErrors: 0,
			ConsecutiveGatewayErrors: 5, Interval: "5s", BaseEjectionTime: "15s", MaxEjectionPercent: 50, MinHealthPercent: 50,
		},
		Drain: DrainDuration, HoldApplication: true, NativeSidecars: "auto",
		DestinationRule: true, RootNamespace: "istio-system",
	}
	if !reflect.DeepEqual(c.Istio, want) {
		t.Errorf("Default().Istio =\n%+v\nwant (story 2's outlier detection, retries that never resend what the app saw, no timeouts)\n%+v", c.Istio, want)
	}
	if bad := UnsafeRetryOn(c.Istio.Retries.RetryOn); len(bad) > 0 {
		t.Errorf("default retryOn has %v, which can resend a request the app saw", bad)
	}
}

// The default retryOn follows meshVersion: reset-before-request from 1.23,
// never a token that resends what the app saw, always accepted by the
// version (istio/istio supportedRetryOnPolicies at each release tag).
func TestMesh_DefaultRetryOnByVersion(t *testing.T) {
	for _, tc := range []struct {
		version, want string
	}{
		{"", "connect-failure,refused-stream,unavailable,503"},
		{"1.20", "connect-failure,refused-stream,unavailable,503"},
		{"1.22", "connect-failure,refused-stream,unavailable,503"},
		{"1.23", "connect-failure,refused-stream,reset-before-request,unavailable,503"},
		{"1.27", "connect-failure,refused-stream,reset-before-request,unavailable,503"},
	} {
		data := "  mesh: istio\n"
		if tc.version != "" {
			data += "  meshVersion: \"" + tc.version + "\"\n"
		}
		c, err := parse(t, "apiVersion: v1\nkind: ConfigMap\ndata:\n"+data)
		if err != nil {
			t.Fatalf("%s: %v", tc.version, err)
		}
		if got := strings.Join(c.Istio.Retries.RetryOn, ","); got != tc.want {
			t.Errorf("meshVersion %q: retryOn %s, want %s", tc.version, got, tc.want)
		}
		if err := CheckRetryOn(c.Istio.Retries.RetryOn, c.MeshVersion); err != nil {
			t.Errorf("meshVersion %q: %v", tc.version, err)
		}
	}
	// A configured list is kept whatever the version.
	c, err := parse(t, "apiVersion: v1\nkind: ConfigMap\ndata:\n  mesh: istio\n  meshVersion: \"1.24\"\n  istioRetryOn: connect-failure,gateway-error,reset,refused-stream,unavailable\n")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.Istio.Retries.RetryOn, ","); got != strings.Join(FieldReportRetryOn, ",") {
		t.Errorf("configured retryOn became %s", got)
	}
	if got := UnsafeRetryOn(c.Istio.Retries.RetryOn); strings.Join(got, ",") != "gateway-error,reset" {
		t.Errorf("UnsafeRetryOn(field report) = %v", got)
	}
	if c.Istio.Retries.PerTryTimeout != "" || c.Istio.Timeout != "" {
		t.Error("a timeout is on by default: it would cut every slow request")
	}
}

// Every mesh setting reads the same through both forms, and lands where the
// typed path says.
func TestMesh_BothFormsAgree(t *testing.T) {
	cm, err := parse(t, `
kind: ConfigMap
data:
  mesh: istio
  meshVersion: "1.23"
  istioRetryAttempts: "2"
  istioRetryOn: connect-failure, reset-before-request,503
  istioPerTryTimeout: 2s
  istioTimeout: 10s
  istioSplitExternalLocalOriginErrors: "false"
  istioConsecutiveLocalOriginFailures: "4"
  istioConsecutive5xxErrors: "6"
  istioConsecutiveGatewayErrors: "7"
  istioOutlierInterval: 500ms
  istioBaseEjectionTime: 1m
  istioMaxEjectionPercent: "30"
  istioMinHealthPercent: "0"
  istioDrain: exitOnZeroActiveConnections
  istioHoldApplicationUntilProxyStarts: "false"
  istioNativeSidecars: "true"
  istioDestinationRule: "false"
  istioRootNamespace: mesh-root
  linkerdNativeSidecars: "true"
`)
	if err != nil {
		t.Fatal(err)
	}
	typed, err := parse(t, `
apiVersion: graceful-rollout.dev/v1alpha1
kind: GracefulRollout
spec:
  mesh: istio
  meshVersion: "1.23"
  istio:
    retries:
      attempts: 2
      retryOn: [connect-failure, reset-before-request, "503"]
      perTryTimeout: 2s
    timeout: 10s
    outlierDetection:
      splitExternalLocalOriginErrors: false
      consecutiveLocalOriginFailures: 4
      consecutive5xxErrors: 6
      consecutiveGatewayErrors: 7
      interval: 500ms
      baseEjectionTime: 1m
      maxEjectionPercent: 30
      minHealthPercent: 0
    drain: exitOnZeroActiveConnections
    holdApplicationUntilProxyStarts: false
    nativeSidecars: "true"
    destinationRule: false
    rootNamespace: mesh-root
  linkerd:
    nativeSidecars: true
`)
	if err != nil {
		t.Fatal(err)
	}
	want := Istio{
		Retries: Retries{Attempts: 2, RetryOn: []string{"connect-failure", "reset-before-request", "503"}, RetryOnSet: true, PerTryTimeout: "2s"},
		Timeout: "10s",
		Outlier: Outlier{ConsecutiveLocalOriginFailures: 4, Consecutive5xxErrors: 6, ConsecutiveGatewayErrors: 7,
			Interval: "500ms", BaseEjectionTime: "1m", MaxEjectionPercent: 30},
		Drain: DrainExitOnZero, NativeSidecars: "true", RootNamespace: "mesh-root",
	}
	for name, c := range map[string]*Config{"ConfigMap": cm, "typed": typed} {
		if !reflect.DeepEqual(c.Istio, want) {
			t.Errorf("%s: Istio =\n%+v\nwant\n%+v", name, c.Istio, want)
		}
		if !c.Linkerd.NativeSidecars {
			t.Errorf("%s: linkerd.nativeSidecars not read", name)
		}
	}
}

func TestMesh_Errors(t *testing.T) {
	const typed = "apiVersion: graceful-rollout.dev/v1alpha1\nkind: GracefulRollout\n"
	testCases := map[string]struct {
		input string
		path  string
		msg   string
	}{
		"unknown token": {
			input: "kind: ConfigMap\ndata: {istioRetryOn: 'connect-failure,gateway-errors'}",
			path:  "data.istioRetryOn", msg: `unknown retryOn token "gateway-errors"`,
		},
		"token of a later Istio": {
			input: typed + "spec: {meshVersion: '1.22', istio: {retries: {retryOn: reset-before-request}}}",
			path:  "spec.istio.retries.retryOn", msg: `"reset-before-request" exists from Istio 1.23; meshVersion is 1.22`,
		},
		"token of a later Istio, version unset": {
			input: "kind: ConfigMap\ndata: {istioRetryOn: http3-post-connect-failure}",
			path:  "data.istioRetryOn", msg: "set meshVersion to 1.23 or later",
		},
		"empty retryOn": {
			input: "kind: ConfigMap\ndata: {istioRetryOn: ' , '}",
			path:  "data.istioRetryOn", msg: "at least one token",
		},
		"not an HTTP status": {
			input: "kind: ConfigMap\ndata: {istioRetryOn: '999'}",
			path:  "data.istioRetryOn", msg: `unknown retryOn token "999"`,
		},
		"duration without a unit": {
			input: typed + "spec: {istio: {retries: {perTryTimeout: 2}}}",
			path:  "spec.istio.retries.perTryTimeout", msg: "one number and one unit",
		},
		"duration with a bad unit": {
			input: typed + "spec: {istio: {outlierDetection: {baseEjectionTime: 15x}}}",
			path:  "spec.istio.outlierDetection.baseEjectionTime",
		},
		"duration under a millisecond": {
			input: "kind: ConfigMap\ndata: {istioTimeout: 0.5ms}",
			path:  "data.istioTimeout", msg: "at least 1ms",
		},
		"duration finer than a millisecond": {
			input: "kind: ConfigMap\ndata: {istioTimeout: 1.0005s}",
			path:  "data.istioTimeout", msg: "millisecond precision",
		},
		"negative attempts": {
			input: "kind: ConfigMap\ndata: {istioRetryAttempts: '-1'}",
			path:  "data.istioRetryAttempts",
		},
		"percentage over 100": {
			input: typed + "spec: {istio: {outlierDetection: {minHealthPercent: 101}}}",
			path:  "spec.istio.outlierDetection.minHealthPercent",
		},
		"unknown typed field": {
			input: typed + "spec: {istio: {retries: {attempt: 3}}}",
			path:  "spec.istio.retries.attempt", msg: "unknown field",
		},
		"istio is a map": {
			input: typed + "spec: {istio: on}",
			path:  "spec.istio", msg: "must be a map",
		},
		"drain": {
			input: "kind: ConfigMap\ndata: {istioDrain: '0'}",
			path:  "data.istioDrain", msg: "known: terminationDrainDuration, exitOnZeroActiveConnections",
		},
		"strict booleans": {
			input: typed + "spec: {istio: {holdApplicationUntilProxyStarts: yes}}",
			path:  "spec.istio.holdApplicationUntilProxyStarts",
		},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			_, err := parse(t, tc.input)
			es, ok := err.(Errors)
			if !ok || len(es) != 1 {
				t.Fatalf("err = %v, want one FieldError", err)
			}
			if es[0].Path != tc.path || !strings.Contains(es[0].Msg, tc.msg) {
				t.Errorf("got %s: %s; want %s: ...%s...", es[0].Path, es[0].Msg, tc.path, tc.msg)
			}
		})
	}
}

func TestCheckRetryOn(t *testing.T) {
	v := func(minor int) Version { return Version{Major: 1, Minor: minor} }
	for _, tc := range []struct {
		tokens []string
		v      Version
		ok     bool
	}{
		{DefaultRetryOn(Version{}), Version{}, true},
		{DefaultRetryOn(v(20)), v(20), true},
		{DefaultRetryOn(v(23)), v(23), true},
		{DefaultRetryOn(v(23)), v(22), false},
		{FieldReportRetryOn, v(20), true},
		{[]string{"retriable-headers", "envoy-ratelimited", "503", "deadline-exceeded"}, v(20), true},
		{[]string{"reset-before-request"}, v(22), false},
		{[]string{"reset-before-request"}, v(23), true},
		{[]string{"reset-before-request"}, Version{}, false},
		{[]string{"Reset"}, v(24), false},
		{[]string{"600"}, v(24), false},
	} {
		if err := CheckRetryOn(tc.tokens, tc.v); (err == nil) != tc.ok {
			t.Errorf("CheckRetryOn(%v, %s) = %v, want ok=%v", tc.tokens, tc.v, err, tc.ok)
		}
	}
}

func TestParseIstioDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"5s": 5 * time.Second, "500ms": 500 * time.Millisecond, "1.5s": 1500 * time.Millisecond, "2m": 2 * time.Minute, "1h": time.Hour, "1ms": time.Millisecond} {
		if got, err := ParseIstioDuration(in); err != nil || got != want {
			t.Errorf("ParseIstioDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "5", "s", "-5s", "1m30s", "5 s", "10us", "0s", "0.1ms", "25h", "5S"} {
		if _, err := ParseIstioDuration(in); err == nil {
			t.Errorf("ParseIstioDuration(%q) accepted", in)
		}
	}
}

func TestIstioFor(t *testing.T) {
	c := Default()
	c.MeshVersion = Version{Major: 1, Minor: 20}
	got, errs, unknown := c.IstioFor(map[string]string{
		"graceful-rollout.dev/istio-retry-attempts":         "5",
		"graceful-rollout.dev/istio-per-try-timeout":        "2s",
		"graceful-rollout.dev/istio-base-ejection-time":     "bad",
		"graceful-rollout.dev/istio-retry-on":               "reset-before-request",
		"graceful-rollout.dev/istio-retires":                "3",
		"graceful-rollout.dev/pre-stop-seconds":             "30", // a workload annotation: not ours
		"graceful-rollout.dev/istio-consecutive-5xx-errors": " 2 ",
	})
	if got.Retries.Attempts != 5 || got.Retries.PerTryTimeout != "2s" || got.Outlier.Consecutive5xxErrors != 2 {
		t.Errorf("overrides not applied: %+v", got)
	}
	if got.Outlier.BaseEjectionTime != "15s" {
		t.Errorf("a bad value changed the setting: %q", got.Outlier.BaseEjectionTime)
	}
	var paths []string
	for _, e := range errs {
		paths = append(paths, e.Path)
	}
	wantPaths := []string{"metadata.annotations.graceful-rollout.dev/istio-base-ejection-time", "metadata.annotations.graceful-rollout.dev/istio-retry-on"}
	if !reflect.DeepEqual(paths, wantPaths) {
		t.Errorf("error paths = %v, want %v", paths, wantPaths)
	}
	if !reflect.DeepEqual(unknown, []string{"graceful-rollout.dev/istio-retires"}) {
		t.Errorf("unknown = %v", unknown)
	}
	if c.Istio.Retries.Attempts != 3 {
		t.Error("IstioFor changed the config")
	}
	// Every annotation is a setting of the table.
	for _, a := range ServiceAnnotations() {
		if !strings.HasPrefix(a, ServiceAnnotationPrefix) {
			t.Errorf("%s does not start with %s", a, ServiceAnnotationPrefix)
		}
	}
}
