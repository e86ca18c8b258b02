// Command identity is the floor the function is measured against: the same
// SDK version reading a ResourceList and writing it back, changing nothing.
//
// By default it is the SDK's own fn.AsMain. With -writer fn it reads and
// writes through the function's entry point (fn.Main: the SDK's reader, and
// the SDK's writer a few items at a time), so that what remains between it
// and the function is the function's own work and its larger output.
package main

import (
	"flag"
	"fmt"
	"os"

	kfn "github.com/kptdev/krm-functions-sdk/go/fn"

	"github.com/graceful-rollout/graceful-rollout/fn"
)

func main() {
	writer := flag.String("writer", "sdk", "sdk: the SDK's fn.AsMain; fn: the function's fn.Main")
	flag.Parse()
	nothing := kfn.ResourceListProcessorFunc(func(*kfn.ResourceList) (bool, error) { return true, nil })
	var err error
	switch *writer {
	case "sdk":
		err = kfn.AsMain(nothing)
	case "fn":
		if err = fn.Main(os.Stdin, os.Stdout, nothing); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	default:
		err = fmt.Errorf("-writer %q: want sdk or fn", *writer)
		fmt.Fprintln(os.Stderr, err)
	}
	if err != nil {
		os.Exit(1)
	}
}
