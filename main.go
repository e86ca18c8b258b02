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

	"github.com/graceful-rollout/graceful-rollout/fn"
)

// main reads a ResourceList on stdin and writes the result on stdout; on any
// error it also prints one line per problem on stderr and exits 1.
func main() {
	args := os.Args[1:]
	var in io.Reader = os.Stdin
	if len(args) > 0 {
		input, err := io.ReadAll(os.Stdin)
		if err != nil {
			fail(fmt.Errorf("graceful-rollout: cannot read stdin: %v", err))
		}
		if !fn.IsResourceList(input) {
			if err := fn.Stream(input, args, os.Stdout, os.Stderr, fn.Process); err != nil {
				fail(err)
			}
			return
		}
		fmt.Fprintf(os.Stderr, "graceful-rollout: arguments %q ignored: the input is a ResourceList, whose functionConfig applies\n", args)
		in = bytes.NewReader(input)
	}
	if err := fn.Main(in, os.Stdout, fn.Process); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, strings.TrimRight(err.Error(), "\n"))
	os.Exit(1)
}
