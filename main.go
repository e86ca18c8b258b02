// Command graceful-rollout is a KRM function that makes rollouts and pod
// moves stop dropping requests: preStop hooks, grace periods, minReadySeconds,
// readiness gates and rollout strategies, consistent with the platform.
//
// It reads a ResourceList on stdin (kpt, kustomize) and writes one on stdout.
// With arguments and a plain multi-document YAML stream on stdin it is a
// filter (a Helm post-renderer): graceful-rollout profile=gke-neg < in.yaml,
// or graceful-rollout config.yaml < in.yaml. `graceful-rollout --help`
// prints the usage (cli.go).
package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	kfn "github.com/kptdev/krm-functions-sdk/go/fn"

	"github.com/graceful-rollout/graceful-rollout/fn"
	"github.com/graceful-rollout/graceful-rollout/internal/version"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run reads a ResourceList (or, with arguments, a plain stream) on stdin
// and writes the result on stdout; on any error it also prints one line per
// problem on stderr. On success it prints a short summary on stderr
// (kustomize and Argo CD show nothing else), unless kpt runs it (kpt shows
// the results). It returns the exit code (fn.ExitOK, fn.ExitFailed,
// fn.ExitAuditFindings).
func run(args []string, stdin *os.File, stdout, stderr io.Writer) int {
	if code, done := command(args, stdin, stdout, stderr); done {
		return code
	}
	input, err := io.ReadAll(stdin)
	if err != nil {
		return fail(stderr, fmt.Errorf("failed to evaluate function: graceful-rollout: cannot read stdin: %v", err))
	}
	isRL := fn.IsResourceList(input)
	if len(args) > 0 && !isRL {
		res, err := fn.StreamResults(input, args, stdout, stderr, fn.Process)
		if res == nil {
			return fail(stderr, err)
		}
		code := fn.ExitCode(res.RL.Results, err != nil)
		if rerr := writeReport(res.RL, res.Files); rerr != nil {
			fmt.Fprintf(stderr, "graceful-rollout: %v\n", rerr)
			code = max(code, fn.ExitFailed)
		}
		if err != nil {
			fmt.Fprintln(stderr, strings.TrimRight(err.Error(), "\n"))
		}
		return code
	}
	if len(args) == 0 && fn.IsEmptyInput(input) {
		// A stream with no object (a Helm chart that renders nothing,
		// comments, a lone ---): nothing to do.
		return fn.ExitOK
	}
	if len(args) > 0 {
		fmt.Fprintf(stderr, "graceful-rollout: arguments %q ignored: the input is a ResourceList, whose functionConfig applies\n", args)
	}
	sum := fn.Summary{Version: version.Get()}
	process := func(rl *kfn.ResourceList) (bool, error) {
		_, _, sum.Quiet = fn.ReportOptions(rl)
		return fn.ProcessSummary(rl, &sum)
	}
	rl, err := fn.MainResults(bytes.NewReader(input), stdout, process)
	code := fn.ExitOK
	if rl != nil {
		code = fn.ExitCode(rl.Results, err != nil)
		if rerr := writeReport(rl, nil); rerr != nil {
			fmt.Fprintf(stderr, "graceful-rollout: %v\n", rerr)
			code = max(code, fn.ExitFailed)
		}
	} else if err != nil {
		code = fn.ExitFailed
	}
	if err != nil {
		if !isRL && bytes.Contains(input, []byte("apiVersion:")) {
			// Manifests without arguments: likely a Helm post-renderer
			// run without --post-renderer-args.
			err = fmt.Errorf("%v\n(plain manifests are read with the functionConfig as arguments: graceful-rollout profile=NAME [key=value...] or graceful-rollout CONFIG.yaml; with Helm: --post-renderer-args profile=NAME)", err)
		}
		fmt.Fprintln(stderr, strings.TrimRight(err.Error(), "\n"))
		return code
	}
	if sum.Show() {
		fmt.Fprint(stderr, sum.String())
	}
	return code
}

// writeReport writes the report file the functionConfig asks for, if any.
func writeReport(rl *kfn.ResourceList, files map[string]string) error {
	path, format, _ := fn.ReportOptions(rl)
	if path == "" {
		return nil
	}
	rep := fn.Report{Version: version.Get(), Results: rl.Results, Files: files}
	return rep.Write(path, format)
}

func fail(stderr io.Writer, err error) int {
	fmt.Fprintln(stderr, strings.TrimRight(err.Error(), "\n"))
	return fn.ExitFailed
}
