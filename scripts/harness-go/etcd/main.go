// Command etcd is etcd's own server (go.etcd.io/etcd/server/v3), the version
// pinned in go.mod: the key-value store of pulltui's Kubernetes 1.35 test
// harness, built by scripts/test-cluster install (Debian's etcd 3.4 lacks
// the watch progress requests 1.35's API server uses for its cache).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
