package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/graceful-rollout/graceful-rollout/fn"
	"github.com/graceful-rollout/graceful-rollout/fn/config"
	"github.com/graceful-rollout/graceful-rollout/fn/profile"
	"github.com/graceful-rollout/graceful-rollout/internal/version"
)

// usage is what --help prints (kpt fn doc --image shows it too).
const usage = `graceful-rollout %s: a KRM function that rewrites Kubernetes workloads so
that rollouts, restarts and node drains drop no requests. It sets preStop
hooks, terminationGracePeriodSeconds, minReadySeconds, readiness gates and
rollout strategies, consistent with each other and with the platform that
routes traffic to the pods, and explains every number in its results.

Usage:
  graceful-rollout < resourcelist.yaml              a ResourceList (kpt, kustomize)
  graceful-rollout KEY=VALUE... < manifests.yaml    plain manifests (Helm post-renderer)
  graceful-rollout CONFIG.yaml < manifests.yaml     the same, the settings in a file
  graceful-rollout --help | -h | help               this text
  graceful-rollout --version | version              the version

Settings (ConfigMap keys; the typed GracefulRollout has them under spec):
  %s

Profiles: %s
Modes: default (fill what is missing, raise what is inconsistent, never lower
  a user's value), enforce (set the plan's values), audit (change nothing;
  report what default would change; exit 2 on findings).
Reports: report=FILE reportFormat=json|sarif writes every result to FILE;
  quiet=true keeps stderr to warnings and errors.
Exit codes: 0 success (also on empty input), 1 could not run (bad input or
  settings, a workload that cannot be made safe), 2 audit findings only.

Examples:
  kpt fn eval --exec graceful-rollout DIR -- profile=gke-neg kubernetesVersion=1.31
  kpt fn eval --image IMAGE DIR -- profile=eks-alb mode=audit
  kustomize build --enable-alpha-plugins --enable-exec DIR   (a transformer with
      config.kubernetes.io/function: {exec: {path: graceful-rollout}}; kubectl
      kustomize cannot run exec functions and skips them without a word)
  helm template NAME CHART --post-renderer graceful-rollout --post-renderer-args profile=gke-neg
      (Helm 4: helm plugin install helm/graceful-rollout first)
  Argo CD: a config management plugin sidecar running the kustomize command above
  graceful-rollout profile=generic mode=audit report=out.sarif reportFormat=sarif < app.yaml

Docs: https://github.com/graceful-rollout/graceful-rollout (README.md, docs/)
`

// Usage is the --help text.
func Usage() string {
	keys := make([]string, 0, len(config.Settings()))
	for _, s := range config.Settings() {
		keys = append(keys, s.Key)
	}
	return fmt.Sprintf(usage, version.Get(), wrap(keys, 76, "  "), strings.Join(profile.Names(), ", "))
}

// wrap joins words with ", " in lines of at most width characters.
func wrap(words []string, width int, indent string) string {
	var b strings.Builder
	line := 0
	for i, w := range words {
		if i > 0 {
			b.WriteString(",")
			line++
			if line+len(w)+1 > width {
				b.WriteString("\n" + indent)
				line = 0
			} else {
				b.WriteString(" ")
				line++
			}
		}
		b.WriteString(w)
		line += len(w)
	}
	return b.String()
}

// command handles the arguments that are commands rather than settings:
// help, version, a flag, and a terminal on stdin (nothing will come: print
// the usage rather than wait). done reports whether the run is over.
func command(args []string, stdin *os.File, stdout, stderr io.Writer) (code int, done bool) {
	for _, a := range args {
		switch a {
		case "--help", "-h", "-help", "help":
			fmt.Fprint(stdout, Usage())
			return fn.ExitOK, true
		}
	}
	if len(args) == 1 && (args[0] == "--version" || args[0] == "version" || args[0] == "-version") {
		fmt.Fprintf(stdout, "graceful-rollout %s\n", version.Get())
		return fn.ExitOK, true
	}
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			fmt.Fprintf(stderr, "graceful-rollout: unknown flag %q: the flags are --help and --version; settings are key=value pairs (profile=gke-neg) or one functionConfig file\n", a)
			return fn.ExitFailed, true
		}
	}
	if isTerminal(stdin) {
		fmt.Fprint(stderr, Usage())
		fmt.Fprintln(stderr, "\ngraceful-rollout: nothing on stdin (a terminal): give it a ResourceList or manifests, e.g. graceful-rollout profile=generic < app.yaml")
		return fn.ExitOK, true
	}
	return 0, false
}

// isTerminal reports whether f is a terminal (not a pipe, a file or
// /dev/null).
func isTerminal(f *os.File) bool {
	return f != nil && term.IsTerminal(int(f.Fd()))
}
