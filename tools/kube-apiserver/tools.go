//go:build tools

// Package tools pins the kube-apiserver used by hack/apiserver.sh for
// server-side dry-run tests. Build it with hack/build-apiserver.sh.
package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
