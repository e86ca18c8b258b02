// Command graceful-rollout is a KRM function that makes rollouts and pod
// moves stop dropping requests: preStop hooks, grace periods, minReadySeconds,
// readiness gates and rollout strategies, consistent with the platform.
package main

import (
	"fmt"
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
	var sum fn.Summary
	process := func(rl *kfn.ResourceList) (bool, error) { return fn.ProcessSummary(rl, &sum) }
	if err := fn.Main(os.Stdin, os.Stdout, process); err != nil {
		fmt.Fprintln(os.Stderr, strings.TrimRight(err.Error(), "\n"))
		os.Exit(1)
	}
	if sum.Show() {
		fmt.Fprint(os.Stderr, sum.String())
	}
}
