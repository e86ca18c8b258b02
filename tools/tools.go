//go:build tools

// Package tools pins the Kubernetes binaries the tests build from the
// k8s.io/kubernetes module: kube-apiserver for server-side dry-run
// (hack/apiserver.sh), and the node components of the rollout lab (kubelet,
// kube-controller-manager, kube-scheduler, kube-proxy). Build them with
// hack/build-k8s.sh; one module, one cache for all of them.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
