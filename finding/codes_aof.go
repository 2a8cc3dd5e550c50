package finding

// Codes of the aof command (package aofinspect). The server's own wording is
// quoted in the messages; these meanings are what the README's table shows.
var (
	AOFEmpty              = define("aof-empty", Info, "an AOF file is empty or holds no complete command; the server loads nothing from it")
	AOFTruncatedTail      = define("aof-truncated-tail", Error, "the last AOF file ends inside a command; the server truncates it in place (aof-load-truncated yes) or refuses to start (no)")
	AOFTruncatedNotLast   = define("aof-truncated-not-last", Error, "an AOF file other than the last ends inside a command or transaction; the server truncates it in place and then refuses to start, and the next start silently loses that tail")
	AOFIncompleteMulti    = define("aof-incomplete-multi", Error, "a MULTI has no EXEC before the end of the file; the server reverts the transaction by truncating the file")
	AOFBadFormat          = define("aof-bad-format", Error, "bytes that are not RESP as the server reads it (no '*' or '$', a count below 1, a negative or unallocatable length); the server refuses to start or aborts")
	AOFRDBPreambleCorrupt = define("aof-rdb-preamble-corrupt", Error, "the RDB part at the start of an AOF file is short or its checksum never matches; the server refuses the file and never truncates it")
	AOFRDBUnverified      = define("aof-rdb-structure-unverified", Info, "the RDB part of an AOF file was located and its checksum verified, but its structure was not parsed")
	AOFTimestampInvalid   = define("aof-timestamp-invalid", Warning, "a '#' annotation line is not '#TS:<seconds>\\r\\n'; the server skips it, redis-check-aof --truncate-to-timestamp stops on it")
	AOFTimestampBackwards = define("aof-timestamp-backwards", Warning, "a #TS annotation is earlier than the one before it (the clock moved back); cutting at a timestamp is ambiguous")
	AOFMissingCRLF        = define("aof-missing-crlf", Warning, "a bulk argument is not followed by \\r\\n; the server skips the two bytes unchecked and loads, redis-check-aof calls the file invalid")
	AOFUnknownCommand     = define("aof-unknown-command", Error, "a command name Redis does not have; the server refuses to start with \"Unknown command\" unless a module provides it")
	AOFModuleCommand      = define("aof-module-command", Warning, "a command name shaped like a module command (PREFIX.NAME); the server loads it only if that module is loaded")
	AOFUnmatchedExec      = define("aof-unmatched-exec", Warning, "an EXEC outside a transaction; the server ignores it, redis-check-aof rejects the file")
	AOFNestedMulti        = define("aof-nested-multi", Warning, "a MULTI inside a transaction; the server queues it, redis-check-aof rejects the file")
	AOFCutInsideMulti     = define("aof-cut-inside-multi", Error, "the torn command lies inside a transaction: the server's in-place cut leaves a MULTI without EXEC, and the next start reverts it together with every write acknowledged in between")
	AOFLegacyUpgrade      = define("aof-legacy-upgrade", Info, "a single-file appendonly.aof (Redis ≤ 6.2); Redis 7 moves it into the AOF directory and writes a manifest on its first start")
	AOFSetFileMissing     = define("aof-set-file-missing", Error, "a base or incr file listed in the manifest is missing or unreadable; the server refuses to start")
	AOFSelectOutOfRange   = define("aof-select-out-of-range", Warning, "a SELECT of a database beyond the default 16; while loading, the server ignores a SELECT it cannot honour and applies the following commands to the previous database")
	AOFNotLoaded          = define("aof-not-loaded", Info, "a file the server never reaches because an earlier file stops the load")
	AOFOddHeader          = define("aof-odd-header", Warning, "a '*' or '$' header line is not written the way Redis writes it (\"*2\\f\\n\", \"*3abc\", \"$03\"); the server reads the same numbers from it, but the file was altered or written by another tool")
	AOFTornAnnotation     = define("aof-torn-annotation", Error, "the last file ends in a '#' annotation line without its newline: the server skips it and loads, and once it appends a write behind it the next start refuses with \"Bad file format\"")
	AOFPendingCommand     = define("aof-pending-command", Info, "the last command of a file the server is appending to is not complete yet: a write in progress, not a torn tail (--server-stopped judges it as a copy)")
)
