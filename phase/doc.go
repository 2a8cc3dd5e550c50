// Package phase tells which persistence job a Redis or Valkey server is
// running from what its data directory holds: a steady state, a BGSAVE, a
// replica's full-sync transfer or load, an AOF rewrite, or the short install
// of a rewritten base. It also names the leftovers of killed or crashed jobs
// and says whether each is safe to delete and what the next start does.
//
// Classify is a pure function of snapshots (package snapshot): it does no
// I/O and never reads the clock; a snapshot's TakenAt is "now". One snapshot
// is a moment; several over time add growth, which is the only proof that a
// job is alive (files never prove a process exists).
//
// # Rules
//
// The decision is a table of rules (Rules) evaluated in the tie-break order
// of the domain reference (docs/redis-persistence.md §7.1):
//
//  1. Set aside stale artifacts: temp files that did not grow across
//     snapshots, that are older than newer evidence (a transfer file older
//     than dump.rdb or than another transfer; a rewrite file older than the
//     current base; a temp incr older than the manifest) or superseded by a
//     newer fork child (only one child runs at a time), or that stopped
//     changing while other files kept changing.
//  2. A live rewrite-bg or rewrite file beats dump.rdb evidence; a live
//     transfer beats everything but a rewrite child the replica kills at
//     the end of the transfer.
//  3. A temp incr without a rewrite file is a rewrite about to be retried,
//     or a server that died waiting for it.
//  4. When two readings survive, the one with decisive evidence wins with a
//     lowered confidence and the other is listed in Alternatives.
//
// The first rule that matches gives the phase. Stale artifacts become
// findings (codes in finding/codes_phase.go), never phases.
//
// Layouts: Redis 7.0 to 8.x and Valkey multi-part AOF (appendonlydir and its
// manifest), Redis <= 6.2 (one appendonly.aof in the data dir, rewrites over
// it), AOF off (no appendonlydir), and snapshots from ls listings (sizes
// approximate, no inodes, no content).
package phase
