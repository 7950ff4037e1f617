//go:build tools

// Package tools pins the Kubernetes commands the tests build; nothing here is product code.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
)
