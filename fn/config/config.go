// Package config is the functionConfig API of graceful-rollout: a ConfigMap
// with flat string keys (what `kpt fn eval -- k=v` sends) or a typed
// GracefulRollout object with the same settings under spec. Both forms are
// read through one table of settings, so they cannot drift apart.
package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/graceful-rollout/graceful-rollout/fn/profile"
)

const (
	// APIVersion and Kind of the typed functionConfig.
	APIVersion = "graceful-rollout.dev/v1alpha1"
	Kind       = "GracefulRollout"
	// MaxSeconds bounds every duration setting: a day is more than any
	// platform allows a pod to take to stop.
	MaxSeconds = 86400
)

// Mode says how the plan treats values the user already wrote.
type Mode string

const (
	// ModeDefault fills what is missing and raises what is inconsistent.
	ModeDefault Mode = "default"
	// ModeEnforce sets the profile's values.
	ModeEnforce Mode = "enforce"
	// ModeAudit changes nothing and reports what default would change as errors.
	ModeAudit Mode = "audit"
)

// Mesh names a service mesh.
type Mesh string

const (
	MeshNone    Mesh = "none"
	MeshIstio   Mesh = "istio"
	MeshLinkerd Mesh = "linkerd"
	MeshAuto    Mesh = "auto"
)

// Exposure says which workloads are behind the platform's load balancer
// when no load-balancer entry in the input reaches them.
type Exposure string

const (
	// ExposureAuto: when the input declares any load-balancer entry, the
	// workloads none reaches are in-cluster; when it declares none, the
	// routes live elsewhere and every serving workload is behind the load
	// balancer.
	ExposureAuto Exposure = "auto"
	// ExposureAll: every serving workload is behind the load balancer.
	ExposureAll Exposure = "all"
	// ExposureRouted: only the workloads an entry in the input reaches are.
	ExposureRouted Exposure = "routed"
)

// SupportedKinds are the workload kinds the function plans for.
var SupportedKinds = []string{"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Rollout"}

// Selector chooses the workloads to plan for. Empty fields select all.
type Selector struct {
	Kinds      []string
	Namespaces []string
	Names      []string
	Labels     labels.Selector
}

// Config is the parsed functionConfig.
type Config struct {
	// Source says where the config came from: "none", "ConfigMap" or Kind.
	Source            string
	Profile           profile.Profile
	Spot              bool
	Mode              Mode
	KubernetesVersion Version
	Mesh              Mesh
	MeshVersion       Version
	// Numbers set in the config; nil means "the profile's".
	PreStopSeconds  *int
	ShutdownSeconds *int
	MinReadySeconds *int
	// MaxSurge for Deployments and Rollouts (an int or a percentage), and
	// for DaemonSets when MaxSurgeSet (their default surge is 1 pod).
	MaxSurge    string
	MaxSurgeSet bool
	// Exposure decides the path of workloads no entry in the input reaches.
	Exposure Exposure
	// SleepEndpointPath/Port: an HTTP endpoint of the app that sleeps, used
	// as the preStop of shell-less images on clusters without the sleep
	// action. "{seconds}" in the path is replaced by the preStop seconds.
	SleepEndpointPath string
	SleepEndpointPort string
	// ShelllessImages are extra image-name substrings known to have no shell.
	ShelllessImages []string
	Selector        Selector
	// Istio and Linkerd configure the mesh companions and sidecar lifetime
	// (mesh.go, which also appends their rows to the settings table).
	Istio   Istio
	Linkerd Linkerd
	// LoadBalancer and PDB configure the companions of those names (lb.go).
	LoadBalancer LoadBalancerConfig
	PDB          PDBConfig
	// Output: the report file and how much stderr says (output.go).
	Output OutputConfig
	// Measured: figures measured on the user's cluster (measured.go).
	Measured Measurement
}

// FieldError is a config error at one field path.
type FieldError struct {
	Path string
	Msg  string
}

func (e FieldError) Error() string { return e.Path + ": " + e.Msg }

// Errors is every problem found in a functionConfig.
type Errors []FieldError

func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "; ")
}

// setting is one row of the settings table: its flat ConfigMap key, its path
// under spec in the typed form, and how to read it.
type setting struct {
	key   string
	typed string
	list  bool
	read  func(c *Config, v string) error
}

var settings = []setting{
	{key: "profile", typed: "profile", read: func(c *Config, v string) (err error) {
		c.Profile, err = profile.Lookup(v)
		return err
	}},
	{key: "spot", typed: "spot", read: func(c *Config, v string) (err error) {
		c.Spot, err = parseBool(v)
		return err
	}},
	{key: "mode", typed: "mode", read: func(c *Config, v string) error {
		switch m := Mode(v); m {
		case ModeDefault, ModeEnforce, ModeAudit:
			c.Mode = m
			return nil
		}
		return fmt.Errorf("unknown mode %q (known: default, enforce, audit)", v)
	}},
	{key: "kubernetesVersion", typed: "kubernetesVersion", read: func(c *Config, v string) (err error) {
		c.KubernetesVersion, err = parseReleaseVersion(v)
		return err
	}},
	{key: "mesh", typed: "mesh", read: func(c *Config, v string) error {
		switch m := Mesh(v); m {
		case MeshNone, MeshIstio, MeshLinkerd, MeshAuto:
			c.Mesh = m
			return nil
		}
		return fmt.Errorf("unknown mesh %q (known: none, istio, linkerd, auto)", v)
	}},
	{key: "meshVersion", typed: "meshVersion", read: func(c *Config, v string) (err error) {
		c.MeshVersion, err = parseReleaseVersion(v)
		return err
	}},
	{key: "preStopSeconds", typed: "preStopSeconds", read: func(c *Config, v string) (err error) {
		c.PreStopSeconds, err = parseSecondsPtr(v)
		return err
	}},
	{key: "shutdownSeconds", typed: "shutdownSeconds", read: func(c *Config, v string) (err error) {
		c.ShutdownSeconds, err = parseSecondsPtr(v)
		return err
	}},
	{key: "minReadySeconds", typed: "minReadySeconds", read: func(c *Config, v string) (err error) {
		c.MinReadySeconds, err = parseSecondsPtr(v)
		return err
	}},
	{key: "maxSurge", typed: "maxSurge", read: func(c *Config, v string) error {
		if err := ValidateSurge(v); err != nil {
			return err
		}
		c.MaxSurge, c.MaxSurgeSet = v, true
		return nil
	}},
	{key: "exposure", typed: "exposure", read: func(c *Config, v string) error {
		switch e := Exposure(v); e {
		case ExposureAuto, ExposureAll, ExposureRouted:
			c.Exposure = e
			return nil
		}
		return fmt.Errorf("unknown exposure %q (known: auto, all, routed)", v)
	}},
	{key: "sleepEndpointPath", typed: "sleepEndpoint.path", read: func(c *Config, v string) error {
		if !strings.HasPrefix(v, "/") {
			return fmt.Errorf("%q must be an absolute HTTP path starting with /", v)
		}
		c.SleepEndpointPath = v
		return nil
	}},
	{key: "sleepEndpointPort", typed: "sleepEndpoint.port", read: func(c *Config, v string) error {
		if n, err := strconv.Atoi(v); err == nil {
			if n < 1 || n > 65535 {
				return fmt.Errorf("port %d is not between 1 and 65535", n)
			}
		} else if !validPortName(v) {
			return fmt.Errorf("%q is neither a port number nor a port name", v)
		}
		c.SleepEndpointPort = v
		return nil
	}},
	{key: "shelllessImages", typed: "shelllessImages", list: true, read: func(c *Config, v string) error {
		c.ShelllessImages = splitList(v)
		return nil
	}},
	{key: "loadBalancerEnabled", typed: "loadBalancer.enabled", read: readLBEnabled},
	{key: "loadBalancerDrainSeconds", typed: "loadBalancer.drainSeconds", read: readLBDrain},
	{key: "loadBalancerHealthCheck", typed: "loadBalancer.healthCheck", read: readLBHealthCheck},
	{key: "pdbEnabled", typed: "pdb.enabled", read: readPDBEnabled},
	{key: "pdbMaxUnavailable", typed: "pdb.maxUnavailable", read: readPDBMaxUnavailable},
	{key: "kinds", typed: "selector.kinds", list: true, read: func(c *Config, v string) error {
		for _, k := range splitList(v) {
			if !contains(SupportedKinds, k) {
				return fmt.Errorf("unsupported kind %q (supported: %s)", k, strings.Join(SupportedKinds, ", "))
			}
			c.Selector.Kinds = append(c.Selector.Kinds, k)
		}
		return nil
	}},
	{key: "namespaces", typed: "selector.namespaces", list: true, read: func(c *Config, v string) error {
		c.Selector.Namespaces = splitList(v)
		return nil
	}},
	{key: "names", typed: "selector.names", list: true, read: func(c *Config, v string) error {
		c.Selector.Names = splitList(v)
		return nil
	}},
	{key: "labelSelector", typed: "selector.labelSelector", read: func(c *Config, v string) error {
		sel, err := labels.Parse(v)
		if err != nil {
			return fmt.Errorf("invalid label selector %q: %v", v, err)
		}
		c.Selector.Labels = sel
		return nil
	}},
}

// Default returns the configuration used without a functionConfig.
func Default() *Config {
	p, _ := profile.Lookup("generic")
	return &Config{Source: "none", Profile: p, Mode: ModeDefault, Mesh: MeshNone, MaxSurge: "25%", Exposure: ExposureAuto, Istio: DefaultIstio()}
}

// Parse reads a functionConfig. A nil or empty node gives Default().
func Parse(node *yaml.RNode) (*Config, error) {
	c := Default()
	if node == nil || node.IsNilOrEmpty() || len(node.Content()) == 0 {
		return c, nil
	}
	var errs Errors
	kind := fieldString(node, "kind")
	apiVersion := fieldString(node, "apiVersion")
	switch {
	case kind == "ConfigMap" && (apiVersion == "v1" || apiVersion == ""):
		c.Source = "ConfigMap"
		errs = c.readConfigMap(node)
	case kind == Kind:
		c.Source = Kind
		if apiVersion != APIVersion {
			errs = append(errs, FieldError{"apiVersion", fmt.Sprintf("%q is not served; use %s", apiVersion, APIVersion)})
			break
		}
		errs = c.readTyped(node)
	default:
		errs = append(errs, FieldError{"kind", fmt.Sprintf("functionConfig of kind %q (apiVersion %q) is not supported; use a ConfigMap or %s/%s", kind, apiVersion, APIVersion, Kind)})
	}
	if len(errs) == 0 {
		errs = c.validate()
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return c, nil
}

func (c *Config) readConfigMap(node *yaml.RNode) Errors {
	var errs Errors
	for _, key := range fieldKeys(node) {
		switch key {
		case "apiVersion", "kind", "metadata":
		case "data":
		default:
			errs = append(errs, FieldError{keyName(key), "unknown field; settings go under data"})
		}
	}
	data := node.Field("data")
	if data == nil || data.Value.IsNilOrEmpty() {
		return errs
	}
	if data.Value.YNode().Kind != yaml.MappingNode {
		return append(errs, FieldError{"data", "must be a map of string keys to string values"})
	}
	byKey := map[string]setting{}
	for _, s := range settings {
		byKey[s.key] = s
	}
	for _, key := range fieldKeys(data.Value) {
		path := "data." + keyName(key)
		s, ok := byKey[key]
		if !ok {
			errs = append(errs, FieldError{path, "unknown setting" + didYouMean(key, settingKeys()) + " (known: " + strings.Join(settingKeys(), ", ") + ")"})
			continue
		}
		v := data.Value.Field(key).Value.YNode()
		if v.Kind != yaml.ScalarNode {
			errs = append(errs, FieldError{path, "must be a string"})
			continue
		}
		if err := s.read(c, strings.TrimSpace(v.Value)); err != nil {
			errs = append(errs, FieldError{path, err.Error()})
		}
	}
	return errs
}

func (c *Config) readTyped(node *yaml.RNode) Errors {
	var errs Errors
	for _, key := range fieldKeys(node) {
		switch key {
		case "apiVersion", "kind", "metadata", "spec":
		default:
			errs = append(errs, FieldError{keyName(key), "unknown field"})
		}
	}
	spec := node.Field("spec")
	if spec == nil || spec.Value.IsNilOrEmpty() {
		return errs
	}
	byPath := map[string]setting{}
	groups := map[string]bool{}
	for _, s := range settings {
		byPath[s.typed] = s
		if i := strings.LastIndex(s.typed, "."); i >= 0 {
			groups[s.typed[:i]] = true
		}
	}
	var walk func(n *yaml.RNode, prefix string)
	walk = func(n *yaml.RNode, prefix string) {
		if n.YNode().Kind != yaml.MappingNode {
			errs = append(errs, FieldError{"spec" + dotted(prefix), "must be a map"})
			return
		}
		for _, key := range fieldKeys(n) {
			rel := key
			if prefix != "" {
				rel = prefix + "." + key
			}
			path := "spec." + strings.TrimSuffix(rel, key) + keyName(key)
			v := n.Field(key).Value
			if groups[rel] {
				walk(v, rel)
				continue
			}
			s, ok := byPath[rel]
			if !ok {
				errs = append(errs, FieldError{path, "unknown field" + didYouMean(rel, typedPaths())})
				continue
			}
			text, err := scalarOrList(v, s.list)
			if err != nil {
				errs = append(errs, FieldError{path, err.Error()})
				continue
			}
			if err := s.read(c, text); err != nil {
				errs = append(errs, FieldError{path, err.Error()})
			}
		}
	}
	walk(spec.Value, "")
	return errs
}

// validate checks settings against each other and the profile's cap.
func (c *Config) validate() Errors {
	var errs Errors
	if c.SleepEndpointPort != "" && c.SleepEndpointPath == "" {
		errs = append(errs, FieldError{c.path("sleepEndpointPort"), "needs sleepEndpointPath as well"})
	}
	if cap := c.GraceCap(); cap > 0 && c.PreStopSeconds != nil && *c.PreStopSeconds >= cap {
		errs = append(errs, FieldError{c.path("preStopSeconds"), fmt.Sprintf(
			"%d s cannot fit under the %d s grace-period cap of profile %s with spot: the sleep must end before the grace period does (at most %d s)",
			*c.PreStopSeconds, cap, c.Profile.Name, cap-1)})
	}
	errs = append(errs, c.validateLB()...)
	errs = append(errs, c.validateMesh()...)
	errs = append(errs, c.validateMeasured()...)
	return errs
}

// GraceCap is the cap on terminationGracePeriodSeconds, 0 for none.
func (c *Config) GraceCap() int {
	if c.Spot {
		return c.Profile.SpotGraceCap
	}
	return 0
}

// path names a setting the way the user wrote it, for messages.
func (c *Config) path(key string) string {
	for _, s := range settings {
		if s.key == key {
			if c.Source == Kind {
				return "spec." + s.typed
			}
			return "data." + key
		}
	}
	return key
}

// Path is the exported form of path, for results about a setting.
func (c *Config) Path(key string) string { return c.path(key) }

// keyName names a key in messages; an empty (or null) key as "".
func keyName(k string) string {
	if k == "" {
		return `""`
	}
	return k
}

func fieldKeys(n *yaml.RNode) []string {
	keys, _ := n.Fields()
	return keys
}

func fieldString(n *yaml.RNode, key string) string {
	f := n.Field(key)
	if f == nil || f.Value.YNode().Kind != yaml.ScalarNode {
		return ""
	}
	return f.Value.YNode().Value
}

func scalarOrList(n *yaml.RNode, list bool) (string, error) {
	y := n.YNode()
	switch {
	case y.Kind == yaml.ScalarNode:
		return strings.TrimSpace(y.Value), nil
	case y.Kind == yaml.SequenceNode && list:
		var parts []string
		for _, e := range y.Content {
			if e.Kind != yaml.ScalarNode {
				return "", fmt.Errorf("must be a list of strings")
			}
			parts = append(parts, e.Value)
		}
		return strings.Join(parts, ","), nil
	case list:
		return "", fmt.Errorf("must be a list of strings or a comma-separated string")
	}
	return "", fmt.Errorf("must be a single value, not a %s", kindName(y.Kind))
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "map"
	case yaml.SequenceNode:
		return "list"
	}
	return "value"
}

func dotted(p string) string {
	if p == "" {
		return ""
	}
	return "." + p
}

func settingKeys() []string {
	keys := make([]string, len(settings))
	for i, s := range settings {
		keys[i] = s.key
	}
	sort.Strings(keys)
	return collapseMeasured(keys)
}

// parseReleaseVersion reads a Kubernetes or mesh version. Versions 1.0-1.9
// predate every release the function knows, and they are what 1.10 ... 1.40
// become when a tool reads an unquoted version as a number (kustomize does,
// before the function runs), so they are refused with that explanation.
func parseReleaseVersion(s string) (Version, error) {
	v, err := ParseVersion(s)
	if err != nil {
		return v, err
	}
	if v.Major == 1 && v.Minor < 10 {
		return v, fmt.Errorf("%q reads as 1.%d, older than any release this function supports; if you wrote 1.%d0, a YAML tool read it as a number and dropped the trailing zero (kustomize does): quote it, \"1.%d0\"", s, v.Minor, v.Minor, v.Minor)
	}
	return v, nil
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "true":
		return true, nil
	case "false", "":
		return false, nil
	}
	return false, fmt.Errorf("%q is not true or false", v)
}

// ParseSeconds reads a whole number of seconds between 0 and MaxSeconds.
func ParseSeconds(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("%q is not a whole number of seconds", v)
	}
	if n < 0 || n > MaxSeconds {
		return 0, fmt.Errorf("%d is out of range: seconds must be between 0 and %d", n, MaxSeconds)
	}
	return n, nil
}

func parseSecondsPtr(v string) (*int, error) {
	n, err := ParseSeconds(v)
	if err != nil {
		return nil, err
	}
	return &n, nil
}

// ValidateSurge checks a maxSurge value: a positive int or a percentage.
func ValidateSurge(v string) error {
	t := strings.TrimSuffix(v, "%")
	n, err := strconv.Atoi(t)
	if err != nil || n < 0 || (t != v && n > 100) {
		return fmt.Errorf("%q is not a whole number or a percentage", v)
	}
	if n == 0 {
		return fmt.Errorf("%q: maxSurge must be above 0 when maxUnavailable is 0, or the rollout cannot progress", v)
	}
	return nil
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func validPortName(s string) bool {
	if len(s) == 0 || len(s) > 15 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}
