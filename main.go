// Command graceful-rollout is a KRM function that makes rollouts and pod
// moves stop dropping requests: preStop hooks, grace periods, minReadySeconds,
// readiness gates and rollout strategies, consistent with the platform.
package main

import (
	"os"

	kfn "github.com/kptdev/krm-functions-sdk/go/fn"

	"github.com/graceful-rollout/graceful-rollout/fn"
)

func main() {
	if err := kfn.AsMain(kfn.ResourceListProcessorFunc(fn.Process)); err != nil {
		os.Exit(1)
	}
}
