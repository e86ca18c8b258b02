// Command graceful-rollout is a KRM function that makes rollouts and pod
// moves stop dropping requests: preStop hooks, grace periods, minReadySeconds,
// readiness gates and rollout strategies, consistent with the platform.
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

// main runs the function through the SDK's kfn.AsMain (read stdin, run,
// write stdout even on failure, exit 1 on error) and adds two things around
// it: input the SDK cannot read as a ResourceList is explained in one line
// that says where the problem is, and every message ends with a newline (the
// SDK's does not).
func main() {
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		exit(fmt.Sprintf("failed to evaluate function: graceful-rollout: cannot read stdin: %v", err))
	}
	if err := feedStdin(in); err != nil {
		exit(fmt.Sprintf("failed to evaluate function: graceful-rollout: %v", err))
	}
	ran := false
	var logged bytes.Buffer
	restore, err := captureStderr(&logged)
	if err != nil {
		exit(fmt.Sprintf("failed to evaluate function: graceful-rollout: %v", err))
	}
	err = kfn.AsMain(kfn.ResourceListProcessorFunc(func(rl *kfn.ResourceList) (bool, error) {
		ran = true
		return fn.Process(rl)
	}))
	restore()
	if err == nil {
		os.Stderr.Write(logged.Bytes())
		return
	}
	msg := logged.String()
	if !ran {
		msg = "failed to evaluate function: graceful-rollout: " + fn.ExplainInputError(in, err).Error()
	}
	exit(msg)
}

// feedStdin makes the bytes already read the process's stdin again.
func feedStdin(in []byte) error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	go func() {
		w.Write(in)
		w.Close()
	}()
	os.Stdin = r
	return nil
}

// captureStderr sends what is written to os.Stderr into buf until restore.
func captureStderr(buf *bytes.Buffer) (restore func(), err error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	orig, done := os.Stderr, make(chan struct{})
	go func() {
		io.Copy(buf, r)
		close(done)
	}()
	os.Stderr = w
	return func() {
		w.Close()
		<-done
		os.Stderr = orig
	}, nil
}

func exit(msg string) {
	fmt.Fprintln(os.Stderr, strings.TrimRight(msg, "\n"))
	os.Exit(1)
}
