// Command bench times graceful-rollout against the identity function (same
// SDK, parse and write only) on generated ResourceLists, alternating runs,
// and reports medians of wall time and peak RSS with their ratios.
//
// Usage: go run ./hack/bench [-runs 7] [-mesh] [-only name] [-keep dir] [-fn bin/graceful-rollout] [-id bin/identity]
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

type input struct {
	name       string
	n          int
	namespaces int
	config     string
}

func main() {
	runs := flag.Int("runs", 7, "runs of each binary per input (alternating)")
	fnBin := flag.String("fn", "bin/graceful-rollout", "the function")
	idBin := flag.String("id", "bin/identity", "the identity function")
	mesh := flag.Bool("mesh", false, "also measure mesh: istio and meshVersion 1.24")
	keep := flag.String("keep", "", "keep the generated inputs and outputs in this folder")
	only := flag.String("only", "", "measure only the inputs whose name contains this")
	flag.Parse()

	dir := *keep
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "gr-bench"); err != nil {
			fail(err)
		}
		defer os.RemoveAll(dir)
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		fail(err)
	}

	inputs := []input{
		{"tiny (5 objects)", 2, 1, "profile: generic"},
		{"N=500, 50 ns", 500, 50, "profile: generic"},
		{"N=5000, 50 ns", 5000, 50, "profile: generic"},
		{"N=5000, 1 ns", 5000, 1, "profile: generic"},
	}
	if *mesh {
		inputs = append(inputs, input{"N=5000, 50 ns, mesh istio", 5000, 50, "profile: generic\n    mesh: istio\n    meshVersion: \"1.24\""})
	}
	fmt.Println("id: the SDK's identity function (fn.AsMain, parse and write only) on the input: the floor of the targets.")
	fmt.Println("fn: the function. ids: identity through the function's own reader and writer (fn.Main) on the input;")
	fmt.Println("ids(out): the same on the function's output, the floor of reading this input and writing that output.")
	fmt.Println("Medians of alternating runs; wall time in ms, peak RSS in MB.")
	fmt.Printf("%-26s %7s %7s %7s %8s %6s %6s %8s %6s %6s %6s %6s %6s\n", "input", "id", "fn", "ids", "ids(out)", "fn/id", "fn/ids", "fn/out", "RSS id", "fn", "ids", "fn/id", "fn/ids")
	type row struct{ idWall, fnWall, idsWall, idRSS, fnRSS, idsRSS float64 }
	rows := map[string]row{}
	for _, in := range inputs {
		if !strings.Contains(in.name, *only) {
			continue
		}
		path := filepath.Join(dir, strings.NewReplacer(" ", "", ",", "", "(", "", ")", "").Replace(in.name)+".yaml")
		if err := os.WriteFile(path, generate(in), 0o644); err != nil {
			fail(err)
		}
		outPath := path + ".out"
		if err := os.WriteFile(outPath, output(*fnBin, path), 0o644); err != nil {
			fail(err)
		}
		var idW, fnW, idsW, outW, idR, fnR, idsR []float64
		for i := 0; i < *runs; i++ {
			w, r := measure(path, *idBin)
			idW, idR = append(idW, w), append(idR, r)
			w, r = measure(path, *fnBin)
			fnW, fnR = append(fnW, w), append(fnR, r)
			w, r = measure(path, *idBin, "-writer", "fn")
			idsW, idsR = append(idsW, w), append(idsR, r)
			w, _ = measure(outPath, *idBin, "-writer", "fn")
			outW = append(outW, w)
		}
		rw := row{median(idW), median(fnW), median(idsW), median(idR), median(fnR), median(idsR)}
		rows[in.name] = rw
		ow := median(outW)
		fmt.Printf("%-26s %7.0f %7.0f %7.0f %8.0f %5.2fx %5.2fx %7.2fx %6.0f %6.0f %6.0f %5.2fx %5.2fx\n", in.name,
			rw.idWall, rw.fnWall, rw.idsWall, ow, rw.fnWall/rw.idWall, rw.fnWall/rw.idsWall, rw.fnWall/ow,
			rw.idRSS, rw.fnRSS, rw.idsRSS, rw.fnRSS/rw.idRSS, rw.fnRSS/rw.idsRSS)
	}
	growth := func(big string) {
		a, b := rows["N=500, 50 ns"], rows[big]
		if a.idWall == 0 || b.idWall == 0 {
			return
		}
		idG, fnG, idsG := b.idWall/a.idWall, b.fnWall/a.fnWall, b.idsWall/a.idsWall
		fmt.Printf("growth 500 -> %-16s id %5.2fx, fn %5.2fx, ids %5.2fx; fn/id %4.2f, fn/ids %4.2f\n", big+":", idG, fnG, idsG, fnG/idG, fnG/idsG)
	}
	growth("N=5000, 50 ns")
	growth("N=5000, 1 ns")
}

// measure runs bin with the file on stdin and returns wall ms and peak RSS MB.
func measure(path, bin string, args ...string) (float64, float64) {
	in, err := os.Open(path)
	if err != nil {
		fail(err)
	}
	defer in.Close()
	cmd := exec.Command(bin, args...)
	cmd.Stdin = in
	var errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = nil, &errb
	start := time.Now()
	if err := cmd.Run(); err != nil {
		fail(fmt.Errorf("%s: %v: %s", bin, err, errb.String()))
	}
	wall := float64(time.Since(start).Microseconds()) / 1000
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return wall, float64(ru.Maxrss) / 1024
}

// output is what bin writes for the file.
func output(bin, path string) []byte {
	in, err := os.Open(path)
	if err != nil {
		fail(err)
	}
	defer in.Close()
	cmd := exec.Command(bin)
	cmd.Stdin = in
	out, err := cmd.Output()
	if err != nil {
		fail(fmt.Errorf("%s: %v", bin, err))
	}
	return out
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// generate writes a ResourceList of n Deployments and n Services spread over
// the given number of namespaces, shaped like real manifests.
func generate(in input) []byte {
	var b strings.Builder
	b.WriteString("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nfunctionConfig:\n  apiVersion: graceful-rollout.dev/v1alpha1\n  kind: GracefulRollout\n  metadata:\n    name: bench\n  spec:\n    " + in.config + "\nitems:\n")
	for i := 0; i < in.n; i++ {
		ns := fmt.Sprintf("team-%02d", i%in.namespaces)
		name := fmt.Sprintf("svc-%05d", i)
		// Shaped like a microservices-demo service (kustomize-base/
		// checkoutservice.yaml): security contexts, gRPC probes, env, resources.
		fmt.Fprintf(&b, `- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: %[1]s
    namespace: %[2]s
    labels:
      app: %[1]s
  spec:
    replicas: 3
    selector:
      matchLabels:
        app: %[1]s
    template:
      metadata:
        labels:
          app: %[1]s
      spec:
        serviceAccountName: %[1]s
        securityContext:
          fsGroup: 1000
          runAsGroup: 1000
          runAsNonRoot: true
          runAsUser: 1000
        containers:
          - name: server
            securityContext:
              allowPrivilegeEscalation: false
              capabilities:
                drop:
                  - ALL
              privileged: false
              readOnlyRootFilesystem: true
            image: registry.example.com/%[1]s:v0.10.%[3]d
            ports:
            - containerPort: 5050
            readinessProbe:
              grpc:
                port: 5050
            livenessProbe:
              grpc:
                port: 5050
            env:
            - name: PORT
              value: "5050"
            - name: PRODUCT_CATALOG_SERVICE_ADDR
              value: "productcatalogservice:3550"
            - name: SHIPPING_SERVICE_ADDR
              value: "shippingservice:50051"
            - name: PAYMENT_SERVICE_ADDR
              value: "paymentservice:50051"
            - name: EMAIL_SERVICE_ADDR
              value: "emailservice:5000"
            - name: CURRENCY_SERVICE_ADDR
              value: "currencyservice:7000"
            - name: CART_SERVICE_ADDR
              value: "cartservice:7070"
            resources:
              requests:
                cpu: 100m
                memory: 64Mi
              limits:
                cpu: 200m
                memory: 128Mi
- apiVersion: v1
  kind: Service
  metadata:
    name: %[1]s
    namespace: %[2]s
    labels:
      app: %[1]s
  spec:
    type: ClusterIP
    selector:
      app: %[1]s
    ports:
    - name: grpc
      port: 5050
      targetPort: 5050
`, name, ns, i%100)
	}
	if in.n < 5 { // the tiny case: one extra object to make five
		b.WriteString("- apiVersion: v1\n  kind: Namespace\n  metadata:\n    name: team-00\n")
	}
	return []byte(b.String())
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}
