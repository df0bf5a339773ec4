//go:build tools

// Package harness pins the Kubernetes binaries that pulltui's test harness
// builds from the Go module proxy (scripts/test-cluster install). Nothing
// here is pulltui code: go.mod/go.sum fix every module version, so each
// machine builds the same kube-apiserver and kube-controller-manager.
package harness

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
)
