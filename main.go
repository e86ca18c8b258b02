// Command graceful-rollout is a KRM function that makes rollouts and pod
// moves stop dropping requests: preStop hooks, grace periods, minReadySeconds,
// readiness gates and rollout strategies, consistent with the platform.
//
// It reads a ResourceList on stdin (kpt, kustomize) and writes one on stdout.
// With arguments and a plain multi-document YAML stream on stdin it is a
// filter (a Helm post-renderer): graceful-rollout profile=gke-neg < in.yaml,
// or graceful-rollout config.yaml < in.yaml.
package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	kfn "github.com/kptdev/krm-functions-sdk/go/fn"

	"github.com/graceful-rollout/graceful-rollout/fn"
)

// main reads a ResourceList on stdin and writes the result on stdout; on any
// error it also prints one line per problem on stderr and exits 1. On
// success it prints a short summary on stderr (kustomize and Argo CD show
// nothing else), unless kpt runs it (kpt shows the results).
func main() {
	args := os.Args[1:]
	input, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(fmt.Errorf("failed to evaluate function: graceful-rollout: cannot read stdin: %v", err))
	}
	isRL := fn.IsResourceList(input)
	if len(args) > 0 && !isRL {
		if err := fn.Stream(input, args, os.Stdout, os.Stderr, fn.Process); err != nil {
			fail(err)
		}
		return
	}
	if len(args) > 0 {
		fmt.Fprintf(os.Stderr, "graceful-rollout: arguments %q ignored: the input is a ResourceList, whose functionConfig applies\n", args)
	}
	var sum fn.Summary
	process := func(rl *kfn.ResourceList) (bool, error) { return fn.ProcessSummary(rl, &sum) }
	if err := fn.Main(bytes.NewReader(input), os.Stdout, process); err != nil {
		if !isRL && bytes.Contains(input, []byte("apiVersion:")) {
			// Manifests without arguments: likely a Helm post-renderer
			// run without --post-renderer-args.
			err = fmt.Errorf("%v\n(plain manifests are read with the functionConfig as arguments: graceful-rollout profile=NAME [key=value...] or graceful-rollout CONFIG.yaml; with Helm: --post-renderer-args profile=NAME)", err)
		}
		fail(err)
	}
	if sum.Show() {
		fmt.Fprint(os.Stderr, sum.String())
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, strings.TrimRight(err.Error(), "\n"))
	os.Exit(1)
}
