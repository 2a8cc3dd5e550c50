// Command aoftool inspects Redis and Valkey persistence files and data
// directories, read-only: manifests, RDB and AOF files, directory snapshots
// over time, the persistence phase a server is in, and post-mortems.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
