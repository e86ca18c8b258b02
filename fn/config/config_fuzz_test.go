package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// FuzzConfig fuzzes the functionConfig parser three ways at once:
//   - raw: a whole functionConfig document (ConfigMap, GracefulRollout or
//     anything else) parsed from fuzzed bytes;
//   - one setting of the table, chosen by idx, given the fuzzed value in the
//     ConfigMap form (data.<key>) and in the typed form (spec.<path>): both
//     forms must agree, value for value and error for error.
//
// Invariants: Parse never panics; it returns a Config or a non-empty Errors,
// never both nor neither; every error names a field and fits on one line;
// an accepted Config is within the documented bounds; parsing is
// deterministic.
//
// The seed corpus is in testdata/fuzz/FuzzConfig (the golden functionConfigs
// and hostile ones); more seeds are added below from ../../testdata/golden.
func FuzzConfig(f *testing.F) {
	golden, _ := filepath.Glob("../../testdata/golden/*/config.yaml")
	for i, path := range golden {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint8(i), "")
	}
	f.Add([]byte("apiVersion: v1\nkind: ConfigMap\ndata: {preStopSeconds: \"86401\"}\n"), uint8(6), "86400")
	f.Add([]byte("apiVersion: graceful-rollout.dev/v1alpha1\nkind: GracefulRollout\nspec: {profile: gke-autopilot, spot: true, preStopSeconds: 24}\n"), uint8(0), "gke-autopilot")
	f.Fuzz(func(t *testing.T, raw []byte, idx uint8, value string) {
		if node, err := yaml.Parse(string(raw)); err == nil {
			checkParse(t, node)
		}

		s := settings[int(idx)%len(settings)]
		cm := yaml.MustParse("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fuzz}\ndata: {}\n")
		if err := cm.PipeE(yaml.Lookup("data"), yaml.SetField(s.key, yaml.NewStringRNode(value))); err != nil {
			t.Fatal(err)
		}
		typed := yaml.MustParse("apiVersion: " + APIVersion + "\nkind: " + Kind + "\nmetadata: {name: fuzz}\nspec: {}\n")
		path := append([]string{"spec"}, strings.Split(s.typed, ".")...)
		parent, err := typed.Pipe(yaml.LookupCreate(yaml.MappingNode, path[:len(path)-1]...))
		if err != nil {
			t.Fatal(err)
		}
		if err := parent.PipeE(yaml.SetField(path[len(path)-1], yaml.NewStringRNode(value))); err != nil {
			t.Fatal(err)
		}
		c1, e1 := checkParse(t, cm)
		c2, e2 := checkParse(t, typed)
		if (e1 == nil) != (e2 == nil) {
			t.Fatalf("setting %s=%q: ConfigMap error %v, typed error %v", s.key, value, e1, e2)
		}
		if e1 != nil {
			m1, m2 := messages(e1), messages(e2)
			if !reflect.DeepEqual(m1, m2) {
				t.Fatalf("setting %s=%q: the forms disagree:\nConfigMap: %v\ntyped:     %v", s.key, value, m1, m2)
			}
			for _, fe := range e1.(Errors) {
				if fe.Path != "data."+s.key {
					t.Fatalf("ConfigMap error names %q, want data.%s: %v", fe.Path, s.key, fe)
				}
			}
			for _, fe := range e2.(Errors) {
				if fe.Path != "spec."+s.typed {
					t.Fatalf("typed error names %q, want spec.%s: %v", fe.Path, s.typed, fe)
				}
			}
			return
		}
		if a, b := summary(c1), summary(c2); a != b {
			t.Fatalf("setting %s=%q: the forms disagree:\nConfigMap: %s\ntyped:     %s", s.key, value, a, b)
		}
	})
}

// checkParse parses node twice and checks the invariants of one result.
func checkParse(t *testing.T, node *yaml.RNode) (*Config, error) {
	t.Helper()
	c, err := Parse(node)
	c2, err2 := Parse(node)
	if fmt.Sprint(err) != fmt.Sprint(err2) || summary(c) != summary(c2) {
		t.Fatalf("Parse is not deterministic: %v / %v", err, err2)
	}
	if (c == nil) == (err == nil) {
		t.Fatalf("Parse returned config %v and error %v", c, err)
	}
	if err != nil {
		es, ok := err.(Errors)
		if !ok || len(es) == 0 {
			t.Fatalf("Parse returned %T %v, want a non-empty Errors", err, err)
		}
		for _, e := range es {
			if e.Path == "" || e.Msg == "" {
				t.Fatalf("an error without a field or a message: %#v", e)
			}
			if strings.ContainsAny(e.Error(), "\n\r") {
				t.Fatalf("an error on more than one line: %q", e.Error())
			}
		}
		return nil, err
	}
	if c.Profile.Name == "" {
		t.Fatalf("no profile")
	}
	switch c.Mode {
	case ModeDefault, ModeEnforce, ModeAudit:
	default:
		t.Fatalf("mode %q", c.Mode)
	}
	switch c.Mesh {
	case MeshNone, MeshIstio, MeshLinkerd, MeshAuto:
	default:
		t.Fatalf("mesh %q", c.Mesh)
	}
	for _, p := range []*int{c.PreStopSeconds, c.ShutdownSeconds, c.MinReadySeconds} {
		if p != nil && (*p < 0 || *p > MaxSeconds) {
			t.Fatalf("seconds %d out of range", *p)
		}
	}
	if cap := c.GraceCap(); cap > 0 && c.PreStopSeconds != nil && *c.PreStopSeconds >= cap {
		t.Fatalf("preStopSeconds %d accepted under a %d s cap", *c.PreStopSeconds, cap)
	}
	if err := ValidateSurge(c.MaxSurge); err != nil {
		t.Fatalf("maxSurge %q accepted: %v", c.MaxSurge, err)
	}
	for _, k := range c.Selector.Kinds {
		if !contains(SupportedKinds, k) {
			t.Fatalf("kind %q accepted", k)
		}
	}
	if c.SleepEndpointPort != "" && c.SleepEndpointPath == "" {
		t.Fatalf("sleepEndpointPort without a path accepted")
	}
	return c, nil
}

func messages(err error) []string {
	var out []string
	for _, e := range err.(Errors) {
		out = append(out, e.Msg)
	}
	return out
}

// summary renders a Config without its source, for comparing the forms:
// every field by value, pointers followed, the label selector as text.
func summary(c *Config) string {
	if c == nil {
		return "<nil>"
	}
	cp := *c
	cp.Source = ""
	sel := ""
	if cp.Selector.Labels != nil {
		sel = cp.Selector.Labels.String()
	}
	cp.Selector.Labels = nil
	var b strings.Builder
	dumpValue(&b, reflect.ValueOf(cp))
	return b.String() + " labels=" + strconv.Quote(sel)
}

func dumpValue(b *strings.Builder, v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			b.WriteString("nil")
			return
		}
		dumpValue(b, v.Elem())
	case reflect.Struct:
		b.WriteString("{")
		for i := 0; i < v.NumField(); i++ {
			b.WriteString(v.Type().Field(i).Name + ":")
			dumpValue(b, v.Field(i))
			b.WriteString(" ")
		}
		b.WriteString("}")
	case reflect.Slice, reflect.Array:
		b.WriteString("[")
		for i := 0; i < v.Len(); i++ {
			dumpValue(b, v.Index(i))
			b.WriteString(" ")
		}
		b.WriteString("]")
	case reflect.Map:
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
		b.WriteString("map[")
		for _, k := range keys {
			fmt.Fprintf(b, "%v:", k)
			dumpValue(b, v.MapIndex(k))
			b.WriteString(" ")
		}
		b.WriteString("]")
	case reflect.Func, reflect.Chan, reflect.UnsafePointer:
		b.WriteString("<" + v.Kind().String() + ">")
	default:
		fmt.Fprintf(b, "%v", v)
	}
}
