// Package aofinspect reads Redis and Valkey AOF command files the way the
// server's loader does, without executing them: it reports the format,
// per-command counts, SELECTed databases, MULTI/EXEC balance, #TS
// timestamps, the last good offset and what redis-server does on start with
// the file, or with a multi-part set in load order.
//
// # Byte layout
//
// An AOF command file is a sequence of records:
//
//	*<argc>\r\n               argc ≥ 1, read with atoi (so it wraps like a C int)
//	$<len>\r\n<len bytes>\r\n  argc times; len read with strtol
//	#<text>\r\n               an annotation line, skipped by the loader;
//	                          "#TS:<unix seconds>" is written with
//	                          aof-timestamp-enabled yes (Redis 7.0+)
//
// The loader reads each '*', '$' and '#' line with fgets into a 1024-byte
// buffer, so a line longer than 1023 bytes is read as several and its
// remainder must itself start a record. The two bytes after a bulk are read
// and never checked. A file may start with an RDB body ("REDIS" + 4 digits,
// up to the EOF opcode 0xFF and an 8-byte CRC64): a 7.x base written with
// aof-use-rdb-preamble yes, or a Redis ≤ 6.2 appendonly.aof rewritten with a
// preamble; RESP records may follow it. Content, not the file name suffix,
// decides the format.
//
// Files: appendonlydir/<af>.<seq>.base.rdb|.aof and <af>.<seq>.incr.aof
// listed by <af>.manifest (Redis 7+, loaded base first, then each incr in
// manifest order), or one appendonly.aof in the data dir (Redis ≤ 6.2). The
// caller resolves the manifest (package manifest) and passes the ordered
// files to InspectSet.
//
// # What the server does
//
// Scan and InspectSet mirror src/aof.c (loadSingleAppendOnlyFile,
// loadAppendOnlyFiles) of Redis 7.0.15, checked against a real server:
//
//   - end of file inside a command: a short read. In the last file with
//     aof-load-truncated yes the server truncates the file in place at
//     valid_up_to, the end of the last complete command — which can lie
//     inside a MULTI block, leaving a MULTI without EXEC in the file (the
//     next start reverts it). Otherwise it exits.
//   - MULTI without EXEC at end of file: the same, cut at the MULTI (the
//     latest MULTI, when they nest).
//   - a torn file that is not the last: truncated in place, then the server
//     exits ("the truncated file is not the last file").
//   - a line not starting with '*' (or '#'), '*' with a count below 1, a
//     bulk header not starting with '$', an unknown command name: the
//     server exits ("Bad file format", "Unknown command").
//   - a negative bulk length: sdsnewlen's overflow assertion aborts the
//     server; a length of 2^47 or more: the allocation fails and it aborts.
//     Shorter lengths past the end of the file are a short read. An argc
//     that wraps (*99999999999, *-2147483649) is allocated lazily and, at
//     the end of the file, is a short read too.
//   - a short or corrupt RDB part: the server exits and never truncates it.
//
// redis-check-aof is stricter than the server (it checks the CRLF after a
// bulk, rejects EXEC without MULTI and nested MULTI) and laxer elsewhere
// (it accepts "*0", "*-1" and a bare "*"); those differences are findings,
// and the verdict follows the server.
//
// OKUpTo is the end of the last complete command outside MULTI/EXEC, where
// a repaired copy is cut (as redis-check-aof --fix cuts in place). After a
// bad record, Resync reads past it to count what such a cut loses.
//
// For a file a live server is still appending to, Options.Live turns a
// partial last command into Pending (not damage), and a scanner started at
// that offset (Options.BaseOffset) resumes once the file has grown.
//
// # Redis sources mirrored
//
// src/aof.c (loadSingleAppendOnlyFile, loadAppendOnlyFiles,
// catAppendOnlyGenericCommand, the #TS annotation), src/redis-check-aof.c
// (processRESP, processAnnotations, --truncate-to-timestamp),
// src/server.c (lookupCommand), src/sds.c (_sdsnewlen), src/crc64.c,
// src/commands/*.json (the command table, Redis 7.0.15 and unstable). The
// RDB part is verified by package rdbinspect.
//
// # Security
//
// Input files are untrusted. The scanner reads through one fixed buffer
// (256 KiB, less for small files); no length or count taken from a file
// sizes an allocation: bulks are skipped, only the command name (at most 64
// bytes) and SELECT's argument are kept (and, with Options.Args, the first
// arguments up to caps fixed by the caller, in one buffer of at most 4 MiB
// allocated per scanner), and a bulk length is compared with the bytes that
// remain before anything is read. Tables in a Report are
// capped (Limits). Readers take an io.Reader (or io.ReaderAt) and a size
// snapshotted by the caller, never a path; the package opens and writes
// nothing. Corruption is a *CorruptionError with a byte offset, never a
// panic.
package aofinspect
