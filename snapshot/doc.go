// Package snapshot turns a Redis or Valkey data directory into data: every
// artifact the server leaves there (dump.rdb, temp files of BGSAVE, replica
// transfers and AOF rewrites, the multi-part AOF set in appendonlydir, the
// legacy appendonly.aof, nodes.conf), with its stat data, what its name
// encodes (pid, Unix time, sequence number), what its first bytes are, the
// RDB header summary and the manifest role it plays.
//
// A Snapshot comes from three sources:
//
//   - Capture reads a live or copied directory. It reads names, stat data,
//     headers and tails only, so its cost grows with the number of files and
//     never with their size: a 100 GiB dump.rdb costs a few kilobytes of reads.
//   - FromListing reads the text of pasted `ls -l` style listings (ls -l, -la,
//     -lh, -alF, --full-time, -lR, --time-style, -i, busybox). A listing cannot
//     know inodes (without -i), exact sizes (with -h), ctimes or contents; each
//     entry says what is unknown.
//   - Load reads a snapshot saved as JSON by Save (schema in SCHEMA.md).
//
// Diff compares two snapshots and explains each change in Redis terms (a
// temp-<pid>.rdb renamed to dump.rdb is a BGSAVE child that finished). The
// watcher (internal/watch) produces the same events live from inotify plus polling, fast
// enough to see a temp-rewriteaof-bg-<pid>.aof that lives for 30 ms.
//
// # Naming rules
//
// Names are decoded as Redis 7.x writes them (src/rdb.c rdbSave,
// src/replication.c readSyncBulkPayload, src/aof.c): temp-<pid>.rdb,
// temp-<unixtime>.<pid>.rdb, temp-rewriteaof-<pid>.aof,
// temp-rewriteaof-bg-<pid>.aof, and inside appendonlydir
// <af>.<seq>.base.{rdb,aof}, <af>.<seq>.incr.aof, <af>.manifest,
// temp-<af>.incr and temp-<af>.manifest. "History" is not a name: it is a
// role a manifest gives to a file, recorded in Entry.ManifestRole.
//
// # Security
//
// Inspected files are opened only through internal/ropen: read-only, never a
// FIFO, socket or device, symbolic links only when asked. Nothing is ever
// written inside the inspected directory. Lengths read from files (manifest
// size, RDB header fields) are bounded before any allocation; a listing's
// entry count is bounded by its number of lines.
package snapshot
