package lbpolicy

import (
	"fmt"
	"regexp"
	"strconv"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/graceful-rollout/graceful-rollout/fn/companion"
	"github.com/graceful-rollout/graceful-rollout/internal/edit"
)

// GKE objects and annotations. Sources:
//   - GCPBackendPolicy and HealthCheckPolicy (networking.gke.io/v1): the CRDs
//     of GoogleCloudPlatform/gke-gateway-api config/crd/ (testdata/crds/):
//     spec.targetRef {group, kind, name} (group "" for a Service);
//     spec.default.connectionDraining.drainingTimeoutSec (0-3600, default
//     0); spec.default.config {type, httpHealthCheck|httpsHealthCheck
//     {requestPath, port, portSpecification}}, where a port needs
//     portSpecification USE_FIXED_PORT (a CEL rule of the CRD). GKE docs,
//     "Configure Gateway resources using Policies": one GCPBackendPolicy per
//     Service (the oldest wins), in the Service's namespace.
//   - BackendConfig (cloud.google.com/v1): kubernetes/ingress-gce
//     pkg/apis/backendconfig/v1/types.go: spec.connectionDraining
//     .drainingTimeoutSec, spec.healthCheck {type, requestPath, port, ...};
//     with container-native load balancing the health-check port is the
//     Pod's container port.
//   - Service annotations, kubernetes/ingress-gce pkg/annotations/service.go:
//     cloud.google.com/neg is a JSON object ({"ingress": true},
//     {"exposed_ports": {...}}, or both); cloud.google.com/backend-config
//     (beta.cloud.google.com/backend-config before GA; the GA key wins when
//     both are set) is {"default": "name"} and/or {"ports": {"<port name or
//     number>": "name"}}.
const (
	NEGAnnotation               = "cloud.google.com/neg"
	BackendConfigAnnotation     = "cloud.google.com/backend-config"
	BetaBackendConfigAnnotation = "beta.cloud.google.com/backend-config"
	GKEPolicyAPIVersion         = "networking.gke.io/v1"
	BackendConfigAPIVersion     = "cloud.google.com/v1"
)

// HealthCheck is a load balancer's HTTP(S) health check, copied from a
// container's readinessProbe.
type HealthCheck struct {
	// Type is HTTP, HTTPS or GRPC.
	Type string
	// Path of an HTTP(S) check; Service the gRPC service a GRPC check asks
	// about ("" for the server's overall health).
	Path    string
	Service string
	// Port is the container port the probe uses.
	Port int
	// Host is the probe's Host header ("" when it sends none): an app that
	// routes by Host answers the load balancer's check as it answers the
	// probe only with the same header.
	Host string
	// ServingPort is the container port the Service sends traffic to (0:
	// unknown); a check on the serving port only probes the readiness
	// endpoint when the two are the same.
	ServingPort int
}

func (h HealthCheck) String() string {
	if h.Type == "GRPC" {
		if h.Service != "" {
			return fmt.Sprintf("GRPC service %s on port %d", h.Service, h.Port)
		}
		return fmt.Sprintf("GRPC on port %d", h.Port)
	}
	if h.Host != "" {
		return fmt.Sprintf("%s %s on port %d, Host %s", h.Type, h.Path, h.Port, h.Host)
	}
	return fmt.Sprintf("%s %s on port %d", h.Type, h.Path, h.Port)
}

// requestPath is the pattern of the HealthCheckPolicy CRD's requestPath.
var requestPath = regexp.MustCompile(`^/[A-Za-z0-9/\-._~%!?$&'()*+,;=:]*$`)

// ValidPath reports whether the load balancers accept path as a
// health-check request path.
func ValidPath(path string) bool { return requestPath.MatchString(path) }

var (
	gcpDrainPath = []string{"spec", "default", "connectionDraining", "drainingTimeoutSec"}
	bcDrainPath  = []string{"spec", "connectionDraining", "drainingTimeoutSec"}
)

func targetRef(n *yaml.RNode, service string) {
	_, _ = edit.Set(n, "", edit.Str(""), "spec", "targetRef", "group")
	_, _ = edit.Set(n, "", edit.Str("Service"), "spec", "targetRef", "kind")
	_, _ = edit.Set(n, "", edit.Str(service), "spec", "targetRef", "name")
}

// NewGCPBackendPolicy is the connection-draining policy of a Service.
func NewGCPBackendPolicy(namespace, service, name string, drain int) *yaml.RNode {
	n := companion.NewObject(GKEPolicyAPIVersion, "GCPBackendPolicy", namespace, name)
	_, _ = edit.Set(n, "", edit.Int(drain), gcpDrainPath...)
	targetRef(n, service)
	return n
}

// GCPBackendPolicyDrain completes an existing GCPBackendPolicy.
func GCPBackendPolicyDrain(drain int, overwrite bool) Fill {
	return Fill{Path: gcpDrainPath, Value: edit.Int(drain), Overwrite: overwrite}
}

// checkKey is the field of HealthCheckPolicy's config that holds a check of
// a type.
func checkKey(typ string) string {
	switch typ {
	case "HTTPS":
		return "httpsHealthCheck"
	case "GRPC":
		return "grpcHealthCheck"
	}
	return "httpHealthCheck"
}

func policyConfig(h HealthCheck) *yaml.Node {
	n := yaml.NewMapRNode(nil)
	_, _ = edit.Set(n, "", edit.Str(h.Type), "type")
	k := checkKey(h.Type)
	_, _ = edit.Set(n, "", edit.Str("USE_FIXED_PORT"), k, "portSpecification")
	_, _ = edit.Set(n, "", edit.Int(h.Port), k, "port")
	if h.Type == "GRPC" {
		if h.Service != "" {
			_, _ = edit.Set(n, "", edit.Str(h.Service), k, "grpcServiceName")
		}
		return n.YNode()
	}
	_, _ = edit.Set(n, "", edit.Str(h.Path), k, "requestPath")
	if h.Host != "" {
		// HealthCheckPolicy httpHealthCheck.host: "the value of the host
		// header in the HTTP health check request" (gke-healthcheckpolicies
		// CRD in testdata/crds).
		_, _ = edit.Set(n, "", edit.Str(h.Host), k, "host")
	}
	return n.YNode()
}

// NewHealthCheckPolicy is the health check of a Service's backends.
func NewHealthCheckPolicy(namespace, service, name string, h HealthCheck) *yaml.RNode {
	n := companion.NewObject(GKEPolicyAPIVersion, "HealthCheckPolicy", namespace, name)
	_, _ = edit.Set(n, "", policyConfig(h), "spec", "default", "config")
	targetRef(n, service)
	return n
}

// HealthCheckPolicyConfig completes an existing HealthCheckPolicy: a missing
// config is written whole; a config of the same type gets the request path
// and a fixed port where it names none; another type is kept unless
// Overwrite, which replaces it.
type HealthCheckPolicyConfig struct {
	Check     HealthCheck
	Overwrite bool
}

// Apply edits n in place.
func (f HealthCheckPolicyConfig) Apply(n *yaml.RNode) ([]edit.Change, []Kept, error) {
	base := []string{"spec", "default", "config"}
	cfg := at(n.YNode(), base...)
	if cfg == nil || edit.IsNull(cfg) || (f.Overwrite && scalarAt(cfg, "type") != f.Check.Type) {
		c, err := edit.Set(n, "", policyConfig(f.Check), base...)
		if err != nil || c == nil {
			return nil, nil, err
		}
		return []edit.Change{*c}, nil, nil
	}
	if t := scalarAt(cfg, "type"); t != f.Check.Type {
		return nil, []Kept{{Field: "spec.default.config.type", Value: t, Want: f.Check.Type}}, nil
	}
	k := checkKey(f.Check.Type)
	check := append(append([]string{}, base...), k)
	var fs []interface {
		Apply(*yaml.RNode) ([]edit.Change, []Kept, error)
	}
	if f.Check.Type == "GRPC" {
		if f.Check.Service != "" {
			fs = append(fs, Fill{Path: append(append([]string{}, check...), "grpcServiceName"), Value: edit.Str(f.Check.Service), Overwrite: f.Overwrite})
		}
	} else {
		fs = append(fs, Fill{Path: append(append([]string{}, check...), "requestPath"), Value: edit.Str(f.Check.Path), Overwrite: f.Overwrite})
	}
	if f.Check.Host != "" {
		fs = append(fs, Fill{Path: append(append([]string{}, check...), "host"), Value: edit.Str(f.Check.Host), Overwrite: f.Overwrite})
	}
	hc := at(n.YNode(), check...)
	noPort := at(hc, "port") == nil && at(hc, "portName") == nil && at(hc, "portSpecification") == nil
	if noPort || f.Overwrite {
		fs = append(fs,
			Fill{Path: append(append([]string{}, check...), "portSpecification"), Value: edit.Str("USE_FIXED_PORT"), Overwrite: true},
			Fill{Path: append(append([]string{}, check...), "port"), Value: edit.Int(f.Check.Port), Overwrite: true})
	}
	changes, kept, err := apply(n, fs...)
	if err != nil {
		return nil, nil, err
	}
	if !noPort && !f.Overwrite {
		// The user's port is kept: say so when it is not the probe's.
		spec, port := scalarAt(hc, "portSpecification"), 0
		switch spec {
		case "USE_FIXED_PORT":
			port, _ = strconv.Atoi(scalarAt(hc, "port"))
		case "", "USE_SERVING_PORT":
			port = f.Check.ServingPort
		}
		if port != f.Check.Port {
			have := spec
			if spec == "USE_FIXED_PORT" {
				have += " " + scalarAt(hc, "port")
			} else if spec == "USE_NAMED_PORT" {
				have += " " + scalarAt(hc, "portName")
			}
			kept = append(kept, Kept{Field: joinPath(check) + ".portSpecification", Value: have, Want: "USE_FIXED_PORT " + itoa(f.Check.Port)})
		}
	}
	if f.Overwrite && at(hc, "portName") != nil {
		// USE_FIXED_PORT forbids a portName (a CEL rule of the CRD).
		from := edit.Short(at(hc, "portName"))
		if err := n.PipeE(yaml.Lookup(check...), yaml.Clear("portName")); err != nil {
			return nil, nil, err
		}
		changes = append(changes, edit.Change{Field: joinPath(check) + ".portName", From: from, To: "(removed)"})
	}
	return changes, kept, nil
}

func scalarAt(n *yaml.Node, keys ...string) string {
	v := at(n, keys...)
	if v == nil || v.Kind != yaml.ScalarNode {
		return ""
	}
	return v.Value
}

func joinPath(p []string) string {
	s := ""
	for i, k := range p {
		if i > 0 {
			s += "."
		}
		s += k
	}
	return s
}

// NewBackendConfig is the BackendConfig of a Service behind a GKE Ingress:
// connection draining and, when h is set, the health check.
func NewBackendConfig(namespace, name string, drain int, h *HealthCheck) *yaml.RNode {
	n := companion.NewObject(BackendConfigAPIVersion, "BackendConfig", namespace, name)
	_, _ = edit.Set(n, "", edit.Int(drain), bcDrainPath...)
	if h != nil {
		_, _ = edit.Set(n, "", edit.Str(h.Type), "spec", "healthCheck", "type")
		_, _ = edit.Set(n, "", edit.Str(h.Path), "spec", "healthCheck", "requestPath")
		_, _ = edit.Set(n, "", edit.Int(h.Port), "spec", "healthCheck", "port")
	}
	return n
}

// BackendConfigFields completes an existing BackendConfig: the drain and,
// when the health check is unset or of the same type, its missing fields.
type BackendConfigFields struct {
	Drain     int
	Check     *HealthCheck
	Overwrite bool
}

// Apply edits n in place.
func (f BackendConfigFields) Apply(n *yaml.RNode) ([]edit.Change, []Kept, error) {
	fs := []interface {
		Apply(*yaml.RNode) ([]edit.Change, []Kept, error)
	}{Fill{Path: bcDrainPath, Value: edit.Int(f.Drain), Overwrite: f.Overwrite}}
	if f.Check != nil {
		hc := []string{"spec", "healthCheck"}
		t := scalarAt(n.YNode(), "spec", "healthCheck", "type")
		if t != "" && t != f.Check.Type && !f.Overwrite {
			changes, kept, err := apply(n, fs...)
			return changes, append(kept, Kept{Field: "spec.healthCheck.type", Value: t, Want: f.Check.Type}), err
		}
		fs = append(fs,
			Fill{Path: append(append([]string{}, hc...), "type"), Value: edit.Str(f.Check.Type), Overwrite: f.Overwrite},
			Fill{Path: append(append([]string{}, hc...), "requestPath"), Value: edit.Str(f.Check.Path), Overwrite: f.Overwrite},
			Fill{Path: append(append([]string{}, hc...), "port"), Value: edit.Int(f.Check.Port), Overwrite: f.Overwrite})
	}
	return apply(n, fs...)
}

// itoa is strconv.Itoa, for messages.
func itoa(i int) string { return strconv.Itoa(i) }
