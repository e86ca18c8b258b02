// Command graceful-rollout is a KRM function that makes rollouts and pod
// moves stop dropping requests: preStop hooks, grace periods, minReadySeconds,
// readiness gates and rollout strategies, consistent with the platform.
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/graceful-rollout/graceful-rollout/fn"
)

// main reads a ResourceList on stdin and writes the result on stdout; on any
// error it also prints one line per problem on stderr and exits 1.
func main() {
	if err := fn.Main(os.Stdin, os.Stdout, fn.Process); err != nil {
		fmt.Fprintln(os.Stderr, strings.TrimRight(err.Error(), "\n"))
		os.Exit(1)
	}
}
