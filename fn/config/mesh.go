package config

// The service-mesh settings: rows of the settings table (appended to it by
// init below, so that the ConfigMap keys, the typed paths under spec and the
// per-Service annotations all come from one place) and their validation
// against the mesh version.

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Istio holds the settings of the Istio companions and sidecar lifetime.
type Istio struct {
	Retries Retries
	// Timeout is the HTTP route timeout of generated VirtualServices; ""
	// for none (the default: a route timeout cuts every slower request).
	Timeout string
	Outlier Outlier
	// Drain is how a classic sidecar outlives the app: DrainDuration
	// (terminationDrainDuration) or DrainExitOnZero.
	Drain string
	// HoldApplication sets holdApplicationUntilProxyStarts on classic
	// sidecars.
	HoldApplication bool
	// NativeSidecars: "auto" (native when kubernetesVersion >= 1.33 and
	// meshVersion >= 1.27), "true" or "false".
	NativeSidecars string
	// DestinationRule: generate a DestinationRule for a Service that has
	// none in the input (false: only complete the ones the input has).
	DestinationRule bool
	// RootNamespace is Istio's root configuration namespace, whose
	// DestinationRules apply mesh-wide (meshConfig.rootNamespace).
	RootNamespace string
}

// Retries are the VirtualService retries.
type Retries struct {
	// Attempts: 0 means no retries (no VirtualService is generated).
	Attempts int
	RetryOn  []string
	// RetryOnSet: RetryOn was configured, not DefaultRetryOn's.
	RetryOnSet bool
	// PerTryTimeout: "" for none (the default).
	PerTryTimeout string
}

// Outlier is a DestinationRule's trafficPolicy.outlierDetection.
type Outlier struct {
	SplitExternalLocalOriginErrors bool
	ConsecutiveLocalOriginFailures int
	Consecutive5xxErrors           int
	ConsecutiveGatewayErrors       int
	Interval                       string
	BaseEjectionTime               string
	MaxEjectionPercent             int
	MinHealthPercent               int
}

// Linkerd holds the settings of Linkerd proxies.
type Linkerd struct {
	// NativeSidecars: the cluster injects linkerd-proxy as a native sidecar
	// (Helm value proxy.nativeSidecar).
	NativeSidecars bool
}

// Drain modes of a classic Istio sidecar.
const (
	DrainDuration   = "terminationDrainDuration"
	DrainExitOnZero = "exitOnZeroActiveConnections"
)

// Retry conditions. The default retries only what never reached the app
// (DefaultRetryOn); FieldReportRetryOn is story 2's list (README), whose
// reset and gateway-error can repeat a request the app has seen.
//
// Sources (istio/istio at the release tags): Istio's own default policy,
// used when a route sets no retries, is 2 attempts on
// "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes"
// (pilot/pkg/networking/core/route/retry/retry.go), with 503 as the
// retriable status code up to 1.23 only: 1.24 dropped it as "potentially
// unsafe" (EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY, istio/istio#52111). A
// VirtualService's retryOn replaces that list whole; status codes in it
// become retriable-status-codes (parseRetryOn, same file).
var (
	FieldReportRetryOn = []string{"connect-failure", "gateway-error", "reset", "refused-stream", "unavailable"}
	// unsafeRetryOn are the tokens that can resend a request the app has
	// received (or whose answer it has started): a reset after the request
	// was sent, a 502/504 (a timeout while the app worked), any 5xx, and
	// gRPC statuses an app returns after it ran the call.
	unsafeRetryOn = map[string]bool{"reset": true, "gateway-error": true, "5xx": true, "cancelled": true, "deadline-exceeded": true, "internal": true, "resource-exhausted": true, "retriable-4xx": true}
)

// DefaultRetryOn is the retryOn generated for an Istio version (unset: the
// tokens of every supported version):
//   - connect-failure: no connection to the pod (a starting or stopping pod
//     refuses it);
//   - refused-stream: the pod's proxy refused the HTTP/2 stream before any
//     processing (REFUSED_STREAM);
//   - unavailable: gRPC UNAVAILABLE, what a stopping gRPC server answers to
//     calls it does not run;
//   - 503: what the pod's own sidecar answers when it cannot reach the app
//     (503 UF/URX of a starting app, story 2 of the README);
//   - reset-before-request (Istio >= 1.23): a reset before the request was
//     sent upstream.
func DefaultRetryOn(v Version) []string {
	out := []string{"connect-failure", "refused-stream"}
	if v.AtLeast(1, 23) {
		out = append(out, "reset-before-request")
	}
	return append(out, "unavailable", "503")
}

// UnsafeRetryOn lists the tokens of a retryOn that can resend a request
// the app may have processed.
func UnsafeRetryOn(tokens []string) []string {
	var out []string
	for _, t := range tokens {
		if unsafeRetryOn[t] {
			out = append(out, t)
		}
	}
	return out
}

// DefaultRootNamespace is meshConfig.rootNamespace's default: "Defaults to
// istio-system" (istio/api mesh/v1alpha1/config.proto).
const DefaultRootNamespace = "istio-system"

// DefaultIstio is story 2 of the README, without its timeouts: a per-try or
// route timeout cuts every request slower than it, not only failing ones,
// so they are opt-in.
func DefaultIstio() Istio {
	return Istio{
		Retries: Retries{Attempts: 3, RetryOn: DefaultRetryOn(Version{})},
		Outlier: Outlier{
			SplitExternalLocalOriginErrors: true,
			ConsecutiveLocalOriginFailures: 3,
			Consecutive5xxErrors:           0,
			ConsecutiveGatewayErrors:       5,
			Interval:                       "5s",
			BaseEjectionTime:               "15s",
			MaxEjectionPercent:             50,
			MinHealthPercent:               50,
		},
		Drain:           DrainDuration,
		HoldApplication: true,
		NativeSidecars:  "auto",
		DestinationRule: true,
		RootNamespace:   DefaultRootNamespace,
	}
}

// retryOnSince lists the retryOn tokens Istio's validation accepts
// (supportedRetryOnPolicies in istio/istio pkg/config/validation/
// validation.go), with the first Istio minor version that accepts each.
// 0 means every version this function supports. reset-before-request came
// with Istio 1.23 ("Added support for the new reset-before-request retry
// policy added in Envoy 1.31", istio/istio.io content/en/news/releases/
// 1.23.x/announcing-1.23/change-notes); http3-post-connect-failure appears
// in the same list only after that change, so it is held to 1.23 as well.
// Besides these tokens Istio accepts HTTP status codes ("503").
var retryOnSince = map[string]int{
	// x-envoy-retry-on
	"5xx": 0, "gateway-error": 0, "reset": 0, "connect-failure": 0, "retriable-4xx": 0,
	"refused-stream": 0, "retriable-status-codes": 0, "retriable-headers": 0, "envoy-ratelimited": 0,
	"reset-before-request": 23, "http3-post-connect-failure": 23,
	// x-envoy-retry-grpc-on
	"cancelled": 0, "deadline-exceeded": 0, "internal": 0, "resource-exhausted": 0, "unavailable": 0,
}

// RetryOnTokens lists the known tokens, sorted.
func RetryOnTokens() []string {
	out := make([]string, 0, len(retryOnSince))
	for k := range retryOnSince {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// CheckRetryOn checks retryOn tokens against an Istio version (unset: only
// the tokens every supported version accepts).
func CheckRetryOn(tokens []string, v Version) error {
	for _, t := range tokens {
		if n, err := strconv.Atoi(t); err == nil && http.StatusText(n) != "" {
			continue
		}
		since, ok := retryOnSince[t]
		if !ok {
			return fmt.Errorf("unknown retryOn token %q (known: %s, or an HTTP status code)", t, strings.Join(RetryOnTokens(), ", "))
		}
		if since > 0 && !v.AtLeast(1, since) {
			if !v.IsSet() {
				return fmt.Errorf("retryOn token %q exists from Istio 1.%d: set meshVersion to 1.%d or later to use it", t, since, since)
			}
			return fmt.Errorf("retryOn token %q exists from Istio 1.%d; meshVersion is %s", t, since, v)
		}
	}
	return nil
}

// istioDuration is a number and one unit: Istio's CRDs check durations
// with CEL duration() and istiod refuses those under 1ms or finer than a
// millisecond (agent.ValidateDuration); compound forms (1m30s) are refused
// here to stay within what every parser on the way reads.
var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

var istioDuration = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)$`)

// ParseIstioDuration reads an Istio duration setting: 500ms, 5s, 1.5s, 2m.
func ParseIstioDuration(v string) (time.Duration, error) {
	if !istioDuration.MatchString(v) {
		return 0, fmt.Errorf("%q is not a duration of one number and one unit (ms, s, m, h), like 5s, 500ms or 2m", v)
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration like 5s, 500ms or 2m", v)
	}
	if d < time.Millisecond {
		return 0, fmt.Errorf("%q: Istio needs a duration of at least 1ms", v)
	}
	if d%time.Millisecond != 0 {
		return 0, fmt.Errorf("%q: Istio supports durations to millisecond precision only", v)
	}
	if d > 24*time.Hour {
		return 0, fmt.Errorf("%q is longer than a day", v)
	}
	return d, nil
}

func parseCount(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 1<<31-1 {
		return 0, fmt.Errorf("%q is not a whole number of at least 0", v)
	}
	return n, nil
}

func parsePercent(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 100 {
		return 0, fmt.Errorf("%q is not a percentage between 0 and 100", v)
	}
	return n, nil
}

func parseRetryOn(v string) ([]string, error) {
	tokens := splitList(v)
	if len(tokens) == 0 {
		return nil, fmt.Errorf("needs at least one token (known: %s)", strings.Join(RetryOnTokens(), ", "))
	}
	// Unknown tokens fail now; tokens of a newer version fail in validate,
	// once meshVersion is known.
	if err := CheckRetryOn(tokens, Version{Major: 1, Minor: 999}); err != nil {
		return nil, err
	}
	return tokens, nil
}

func durationSetting(dst func(*Istio) *string) func(*Config, string) error {
	return func(c *Config, v string) error {
		if _, err := ParseIstioDuration(v); err != nil {
			return err
		}
		*dst(&c.Istio) = v
		return nil
	}
}

func intSetting(parse func(string) (int, error), dst func(*Istio) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := parse(v)
		if err != nil {
			return err
		}
		*dst(&c.Istio) = n
		return nil
	}
}

// meshSetting is a row of the settings table with, for the numbers and
// tokens of the mesh objects, the per-Service annotation that overrides it.
type meshSetting struct {
	setting
	// annotation is the name after graceful-rollout.dev/ ("" for none).
	annotation string
}

var meshSettings = []meshSetting{
	{setting{key: "istioRetryAttempts", typed: "istio.retries.attempts", read: intSetting(parseCount, func(i *Istio) *int { return &i.Retries.Attempts })}, "istio-retry-attempts"},
	{setting{key: "istioRetryOn", typed: "istio.retries.retryOn", list: true, read: func(c *Config, v string) (err error) {
		c.Istio.Retries.RetryOn, err = parseRetryOn(v)
		c.Istio.Retries.RetryOnSet = err == nil
		return err
	}}, "istio-retry-on"},
	{setting{key: "istioPerTryTimeout", typed: "istio.retries.perTryTimeout", read: durationSetting(func(i *Istio) *string { return &i.Retries.PerTryTimeout })}, "istio-per-try-timeout"},
	{setting{key: "istioTimeout", typed: "istio.timeout", read: durationSetting(func(i *Istio) *string { return &i.Timeout })}, "istio-timeout"},
	{setting{key: "istioSplitExternalLocalOriginErrors", typed: "istio.outlierDetection.splitExternalLocalOriginErrors", read: func(c *Config, v string) (err error) {
		c.Istio.Outlier.SplitExternalLocalOriginErrors, err = parseStrictBool(v)
		return err
	}}, "istio-split-external-local-origin-errors"},
	{setting{key: "istioConsecutiveLocalOriginFailures", typed: "istio.outlierDetection.consecutiveLocalOriginFailures", read: intSetting(parseCount, func(i *Istio) *int { return &i.Outlier.ConsecutiveLocalOriginFailures })}, "istio-consecutive-local-origin-failures"},
	{setting{key: "istioConsecutive5xxErrors", typed: "istio.outlierDetection.consecutive5xxErrors", read: intSetting(parseCount, func(i *Istio) *int { return &i.Outlier.Consecutive5xxErrors })}, "istio-consecutive-5xx-errors"},
	{setting{key: "istioConsecutiveGatewayErrors", typed: "istio.outlierDetection.consecutiveGatewayErrors", read: intSetting(parseCount, func(i *Istio) *int { return &i.Outlier.ConsecutiveGatewayErrors })}, "istio-consecutive-gateway-errors"},
	{setting{key: "istioOutlierInterval", typed: "istio.outlierDetection.interval", read: durationSetting(func(i *Istio) *string { return &i.Outlier.Interval })}, "istio-outlier-interval"},
	{setting{key: "istioBaseEjectionTime", typed: "istio.outlierDetection.baseEjectionTime", read: durationSetting(func(i *Istio) *string { return &i.Outlier.BaseEjectionTime })}, "istio-base-ejection-time"},
	{setting{key: "istioMaxEjectionPercent", typed: "istio.outlierDetection.maxEjectionPercent", read: intSetting(parsePercent, func(i *Istio) *int { return &i.Outlier.MaxEjectionPercent })}, "istio-max-ejection-percent"},
	{setting{key: "istioMinHealthPercent", typed: "istio.outlierDetection.minHealthPercent", read: intSetting(parsePercent, func(i *Istio) *int { return &i.Outlier.MinHealthPercent })}, "istio-min-health-percent"},
	{setting{key: "istioDrain", typed: "istio.drain", read: func(c *Config, v string) error {
		switch v {
		case DrainDuration, DrainExitOnZero:
			c.Istio.Drain = v
			return nil
		}
		return fmt.Errorf("unknown drain %q (known: %s, %s)", v, DrainDuration, DrainExitOnZero)
	}}, ""},
	{setting{key: "istioHoldApplicationUntilProxyStarts", typed: "istio.holdApplicationUntilProxyStarts", read: func(c *Config, v string) (err error) {
		c.Istio.HoldApplication, err = parseStrictBool(v)
		return err
	}}, ""},
	{setting{key: "istioNativeSidecars", typed: "istio.nativeSidecars", read: func(c *Config, v string) error {
		switch v {
		case "auto", "true", "false":
			c.Istio.NativeSidecars = v
			return nil
		}
		return fmt.Errorf("%q is not auto, true or false", v)
	}}, ""},
	{setting{key: "istioDestinationRule", typed: "istio.destinationRule", read: func(c *Config, v string) (err error) {
		c.Istio.DestinationRule, err = parseStrictBool(v)
		return err
	}}, ""},
	{setting{key: "istioRootNamespace", typed: "istio.rootNamespace", read: func(c *Config, v string) error {
		if !dnsLabel.MatchString(v) {
			return fmt.Errorf("%q is not a namespace name (lowercase letters, digits and '-', at most 63)", v)
		}
		c.Istio.RootNamespace = v
		return nil
	}}, ""},
	{setting{key: "linkerdNativeSidecars", typed: "linkerd.nativeSidecars", read: func(c *Config, v string) (err error) {
		c.Linkerd.NativeSidecars, err = parseStrictBool(v)
		return err
	}}, ""},
}

func init() {
	for _, m := range meshSettings {
		settings = append(settings, m.setting)
	}
}

func parseStrictBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("%q is not true or false", v)
}

// validateMesh checks the mesh settings against each other and the mesh
// version, once every setting is read.
func (c *Config) validateMesh() Errors {
	var errs Errors
	if !c.Istio.Retries.RetryOnSet {
		c.Istio.Retries.RetryOn = DefaultRetryOn(c.MeshVersion)
	}
	if err := CheckRetryOn(c.Istio.Retries.RetryOn, c.MeshVersion); err != nil {
		errs = append(errs, FieldError{c.path("istioRetryOn"), err.Error()})
	}
	return errs
}

// ServiceAnnotationPrefix starts every per-Service mesh annotation.
const ServiceAnnotationPrefix = "graceful-rollout.dev/istio-"

// ServiceAnnotations lists the per-Service annotations, sorted.
func ServiceAnnotations() []string {
	var out []string
	for _, m := range meshSettings {
		if m.annotation != "" {
			out = append(out, "graceful-rollout.dev/"+m.annotation)
		}
	}
	sort.Strings(out)
	return out
}

// IstioFor returns the Istio settings for one Service: the config's,
// overridden by the Service's graceful-rollout.dev/istio-* annotations.
// Errors name the annotation (metadata.annotations.<key>); unknown lists the
// annotations with the prefix that are not settings (likely typos).
func (c *Config) IstioFor(annotations map[string]string) (Istio, Errors, []string) {
	byName := map[string]meshSetting{}
	for _, m := range meshSettings {
		if m.annotation != "" {
			byName["graceful-rollout.dev/"+m.annotation] = m
		}
	}
	cp := *c
	cp.Istio.Retries.RetryOn = append([]string(nil), c.Istio.Retries.RetryOn...)
	var errs Errors
	var unknown []string
	keys := make([]string, 0, len(annotations))
	for k := range annotations {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !strings.HasPrefix(k, ServiceAnnotationPrefix) {
			continue
		}
		m, ok := byName[k]
		if !ok {
			unknown = append(unknown, k)
			continue
		}
		field := "metadata.annotations." + k
		if err := m.read(&cp, strings.TrimSpace(annotations[k])); err != nil {
			errs = append(errs, FieldError{field, err.Error()})
			continue
		}
		if m.key == "istioRetryOn" {
			if err := CheckRetryOn(cp.Istio.Retries.RetryOn, c.MeshVersion); err != nil {
				errs = append(errs, FieldError{field, err.Error()})
			}
		}
	}
	return cp.Istio, errs, unknown
}
