// Command identity is the floor the function is measured against: the same
// SDK version reading a ResourceList and writing it back, changing nothing.
package main

import (
	"os"

	kfn "github.com/kptdev/krm-functions-sdk/go/fn"
)

func main() {
	if err := kfn.AsMain(kfn.ResourceListProcessorFunc(func(*kfn.ResourceList) (bool, error) { return true, nil })); err != nil {
		os.Exit(1)
	}
}
