// Command etcd is the etcd server, built from the pinned go.etcd.io/etcd/server/v3 module.
// etcd's own main package lives in a module that uses local replace lines, so it cannot be
// required; this is the same one-line entry point it has.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
