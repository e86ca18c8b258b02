package plan

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/graceful-rollout/graceful-rollout/fn/config"
	"github.com/graceful-rollout/graceful-rollout/fn/profile"
)

// FuzzAnnotations plans one workload whose graceful-rollout.dev/ annotations
// carry fuzzed values, under a fuzzed profile, mode, spot and Kubernetes
// version, with a fuzzed grace period, minReadySeconds and existing preStop.
//
// Invariants: Make never panics and is deterministic; a bad annotation value
// is an error naming that annotation, and a good one is obeyed; a plan
// without errors keeps every sleep shorter than the grace period, the grace
// period within the spot cap and within int32 (the API's type), and either
// covers preStop + shutdown or says why in a warning.
func FuzzAnnotations(f *testing.F) {
	f.Add("20", "10", "60", "true", "false", "", "", uint8(0), uint8(0), uint32(0), uint32(0), int64(-1))
	f.Add("24", "", "", "", "", "graceful-rollout.dev/pre-stop", "5", uint8(3), uint8(1), uint32(30), uint32(0), int64(-1))
	f.Add(" 25 ", "-1", "99999999999999999999", "yes", "true", "", "", uint8(3), uint8(1), uint32(0), uint32(0), int64(-1))
	f.Add("0", "0", "0", "false", "", "graceful-rollout.dev/", "", uint8(2), uint8(2|4), uint32(1<<31-1), uint32(1<<31-1), int64(1<<31-1))
	f.Add("86400", "86400", "86400", "TRUE", "False", "x", "y", uint8(7), uint8(1|2|4|8), uint32(86400), uint32(10), int64(86400))
	f.Add("20s", "1e3", "0x10", "1", "0", "", "", uint8(5), uint8(8), uint32(90), uint32(0), int64(70))
	f.Fuzz(func(t *testing.T, preStop, shutdown, minReady, shell, skip, otherKey, otherValue string,
		prof, flags uint8, grace, minReadyHave uint32, hookSecs int64) {
		names := profile.Names()
		c := config.Default()
		p, err := profile.Lookup(names[int(prof)%len(names)])
		if err != nil {
			t.Fatal(err)
		}
		c.Profile = p
		c.Spot = flags&1 != 0
		if flags&2 != 0 {
			c.Mode = config.ModeEnforce
		}
		if flags&4 != 0 {
			c.KubernetesVersion = config.Version{Major: 1, Minor: 29}
			c.SleepEndpointPath, c.SleepEndpointPort = "/sleep/{seconds}", "http"
		}
		w := &Workload{
			Kind: "Deployment", Namespace: "shop", Name: "web",
			Replicas:    intp(3),
			Annotations: map[string]string{},
			Containers: []Container{
				{Name: "app", Index: 0, Image: "nginx:1.27", Ports: 1, Readiness: true, HookSeconds: -1},
				{Name: "helper", Index: 1, Image: "gcr.io/distroless/static:nonroot", HookSeconds: -1},
			},
			Services: []string{"web"},
		}
		if flags&8 != 0 {
			g := int(grace % (1 << 31))
			w.Grace = &g
			m := int(minReadyHave % (1 << 31))
			w.MinReady = &m
		}
		if hookSecs >= -1 && hookSecs < 1<<31 {
			// the helper has its own sleep hook (-1: of unknown length)
			w.Containers[1].Hook, w.Containers[1].HookSeconds = HookSleep, int(hookSecs)
			if hookSecs < 0 {
				w.Containers[1].Hook = HookOther
			}
		}
		set := func(k, v string) {
			if v != "" {
				w.Annotations[k] = v
			}
		}
		set(AnnotationPreStop, preStop)
		set(AnnotationShutdown, shutdown)
		set(AnnotationMinReady, minReady)
		set(AnnotationShell, shell)
		set(AnnotationSkip, skip)
		if otherKey != "" {
			w.Annotations[otherKey] = otherValue
		}

		pl := Make(w, c)
		if again := Make(w, c); !reflect.DeepEqual(pl, again) {
			t.Fatalf("Make is not deterministic:\n%s\n%s", dump(pl), dump(again))
		}
		for _, fd := range pl.Findings {
			if fd.Message == "" || strings.ContainsAny(fd.Message, "\n\r") {
				t.Fatalf("finding %q: empty or on several lines", fd.Message)
			}
		}
		if w.Annotations[AnnotationSkip] == "true" {
			if pl.Skip == "" || len(pl.Findings) > 0 {
				t.Fatalf("skip: \"true\" not obeyed: %s", dump(pl))
			}
			return
		}

		// Every annotation value: an error naming it when bad.
		bad := false
		for k, v := range w.Annotations {
			ok := true
			switch k {
			case AnnotationPreStop, AnnotationShutdown, AnnotationMinReady:
				_, err := config.ParseSeconds(strings.TrimSpace(v))
				ok = err == nil
			case AnnotationShell, AnnotationSkip:
				ok = v == "true" || v == "false"
			default:
				continue
			}
			if !ok {
				bad = true
				if len(find(pl, Error, "metadata.annotations."+k)) == 0 {
					t.Fatalf("bad %s: %q: no error names it:\n%s", k, v, dump(pl))
				}
			}
		}
		if bad {
			return
		}
		if strings.HasPrefix(otherKey, AnnotationPrefix) && !contains(knownAnnotations, otherKey) &&
			len(find(pl, Warning, "metadata.annotations."+otherKey)) == 0 {
			t.Fatalf("unknown annotation %s: no warning:\n%s", otherKey, dump(pl))
		}
		if pl.HasErrors() {
			return
		}
		if pl.Skip != "" {
			t.Fatalf("skipped without a reason to: %s", dump(pl))
		}

		cap := c.GraceCap()
		if cap > 0 && pl.Grace > cap {
			t.Fatalf("grace %d over the %d s cap: %s", pl.Grace, cap, dump(pl))
		}
		if pl.Grace > 1<<31-1 || pl.Grace < 0 {
			t.Fatalf("grace %d does not fit the API's int32: %s", pl.Grace, dump(pl))
		}
		for _, h := range pl.Hooks {
			if h.Seconds <= 0 || h.Seconds >= pl.Grace {
				t.Fatalf("hook of %d s under a grace period of %d s: %s", h.Seconds, pl.Grace, dump(pl))
			}
			if h.Mechanism == MechHTTPGet && h.HTTPPath != "/sleep/"+strconv.Itoa(h.Seconds) {
				t.Fatalf("an httpGet hook of %d s calls %s: %s", h.Seconds, h.HTTPPath, dump(pl))
			}
		}
		if pl.PreStop+pl.Shutdown > pl.Grace && len(find(pl, Warning, "*")) == 0 {
			t.Fatalf("preStop %d + shutdown %d > grace %d without a warning: %s", pl.PreStop, pl.Shutdown, pl.Grace, dump(pl))
		}
		// A good value is obeyed.
		if v, ok := w.Annotations[AnnotationPreStop]; ok {
			want, _ := config.ParseSeconds(strings.TrimSpace(v))
			for _, h := range pl.Hooks {
				if h.Seconds != want {
					t.Fatalf("pre-stop-seconds %q: hook of %d s: %s", v, h.Seconds, dump(pl))
				}
			}
			if want > 0 && len(pl.Hooks) == 0 {
				t.Fatalf("pre-stop-seconds %q: no hook for the app container: %s", v, dump(pl))
			}
		}
		if v, ok := w.Annotations[AnnotationMinReady]; ok {
			want, _ := config.ParseSeconds(strings.TrimSpace(v))
			if c.Mode != config.ModeEnforce && w.MinReady != nil {
				want = max(want, *w.MinReady)
			}
			if pl.MinReady != want {
				t.Fatalf("min-ready-seconds %q: planned %d, want %d: %s", v, pl.MinReady, want, dump(pl))
			}
		}
		if v, ok := w.Annotations[AnnotationShutdown]; ok {
			want, _ := config.ParseSeconds(strings.TrimSpace(v))
			if pl.Shutdown != want && len(find(pl, Warning, graceField)) == 0 {
				t.Fatalf("shutdown-seconds %q: planned %d without a warning: %s", v, pl.Shutdown, dump(pl))
			}
		}
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
