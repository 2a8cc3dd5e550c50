// Package serverlog reads the log of a Redis or Valkey server, as a log
// file or `kubectl logs` gives it, and says what the server's persistence
// is doing: the events of each line in the domain's terms (a BGSAVE child
// started, a full sync began, a payload is loading, an AOF rewrite is
// being installed, the AOF was truncated at an offset, the server
// crashed), and a State derived from them: the server's lifetimes, the
// persistence job running at the end of the log mapped to the contract's
// phase names and the replica rebuild step, progress where the log has it,
// and the story (failures and why, full-sync loops, how long the last load
// and rewrite took, the child pids to match against temp file names).
//
// Use:
//
//	lg, err := serverlog.Read(r, serverlog.Options{})
//	st := lg.State // phase, step, confidence, failures, ...
//
// or, to stream: NewScanner(r, opts) yields Events one at a time, and a
// Tracker folds them into a State (Derive does it for a slice). Tracker
// and State are pure: no I/O, no clock; the time of the last timestamped
// line is the log's "now" (State.AsOf).
//
// # Formats
//
// Line layouts, from serverLogRaw in src/server.c (Redis 6.2.16 to 7.4.1,
// Valkey 7.2.7 and 8.0.1; Valkey's configurable formats read at commit
// 55bbbe09 of valkey-io/valkey, "Configurable log and timestamp formats",
// released in 8.1):
//
//	pid:R dd Mon yyyy hh:mm:ss.mmm L message      legacy (every version)
//	pid:R yyyy-mm-ddThh:mm:ss.mmm+hh:mm L message log-timestamp-format iso8601
//	pid:R 1729809392123 L message                 log-timestamp-format milliseconds
//	pid=1 role=primary timestamp="..." level=notice message="..."   log-format logfmt
//	pid:signal-handler (unixtime) message         written from a signal handler
//
// R is M (master), S (replica), C (fork child, and the server itself before
// its pid is set: the first lines of a start), X (sentinel); logfmt says
// primary, replica, RDB/AOF, sentinel. L is . - * # (debug, verbose,
// notice, warning). Legacy timestamps carry no zone: Options.Location
// (UTC by default) gives it. Lines without a header are the ASCII-art
// logo, the body of a bug report, and the manifest error banner.
//
// What a paste adds is removed or counted, never fatal: CRLF, the kubectl
// --timestamps prefix and --prefix "[pod/name/container] ", shell prompts
// and command lines, blank lines. A line cut by a terminal or a chat is
// read as the one message it can still be (Event.Cut), or counted as
// unknown when two messages share what is left. Several server starts in
// one paste are several lifetimes; a start with no exit line before it
// ends the previous lifetime as "vanished" (SIGKILL, the OOM killer).
//
// # Wording
//
// Every message the package understands is one row of Patterns: the
// event kind, the server's format string with named fields, and the
// versions that word it so. Wordings differ: Valkey 8 says PRIMARY and
// primary where Redis and Valkey 7.2 say MASTER and master; Redis 6.2
// names no file in the AOF truncation, short read, bad format and
// "loaded anyway" messages and lacks the multi-part AOF messages; the
// sync-load failure ends with ": <errno text>" on 7.0, ", check server
// logs." on 7.2+ and nothing on 6.2; "Ready to accept connections" gains
// the connection type on 7.2+; "Loading RDB produced by" names the
// producer on Valkey ("Redis version", "valkey version" on 7.2, "Valkey
// version" on 8); the copy-on-write report is "Fork CoW for ..." from 7.0
// and "...: N MB of memory used by copy-on-write" on 6.2; the bug report
// banner says VALKEY on Valkey 8.
//
// # Memory
//
// A read keeps a 64 KiB line buffer, a bounded sample of unknown lines,
// the last Options.KeepPerKind events of each kind, interned field values
// (at most 4096), and a Tracker of fixed size (the last lifetimes,
// failures, children and evidence, and counters), whatever the log's
// length: a 1 GiB log is read with about 1 MiB of heap. Nothing is
// allocated per line; texts (evidence, failure explanations) are rendered
// only when the State is asked for.
//
// # Security
//
// The log is untrusted text. The package reads only the io.Reader it is
// given; lines longer than Options.MaxLineBytes (16 KiB by default) are
// cut there and the rest is skipped without being kept; numbers saturate
// instead of overflowing; field values are capped at 256 bytes and the
// retained state has fixed bounds, so no input makes it allocate in
// proportion to its size. It opens no file, runs nothing, and never acts
// on what a log says.
package serverlog
