// Package manifest reads the Redis 7+ AOF manifest (appendonlydir/<af>.manifest)
// exactly as the server's loader does, and checks it against the files in its
// directory, so aoftool can say what Redis would do at its next start.
//
// # Byte layout
//
// The manifest is text, one line per AOF part, written by aofInfoFormat and
// getAofManifestAsString in src/aof.c:
//
//	file appendonly.aof.2.base.rdb seq 2 type b\n
//	file appendonly.aof.1.incr.aof seq 1 type h\n   (history, only with aof-disable-auto-gc yes or mid-rewrite)
//	file appendonly.aof.2.incr.aof seq 2 type i\n
//
// The base comes first, then history lines (newest first), then incr lines in
// ascending seq. A name with blanks, quotes, backslashes or non-printable bytes
// is written double-quoted with sdscatrepr escapes (\\ \" \n \r \t \a \b \xHH).
// Redis 8 may append "startoffset <n> endoffset <n>" to incr lines.
//
// The loader (aofLoadManifestFromFile, shared with redis-check-aof and
// unchanged from Redis 7.0 to Valkey) reads with fgets into a 1025-byte buffer:
// each read is one line number; a read starting with '#' is a comment (checked
// before the length rule, so a comment longer than 1023 bytes continues as a
// new line); a read without '\n' (too long, a NUL byte, or a last line without
// newline) is fatal; the line is trimmed of " \t\r\n" and split with
// sdssplitargs; keys are case-insensitive, the last value of a repeated key
// wins, unknown pairs are ignored; seq is atoll; the type is the value's first
// byte. Parse reproduces each rule and reports Redis's own message with the
// line number and byte offset of the line.
//
// Redis's writer quotes a name only when sdsneedsrepr says so, which misses the
// single quote: a name such as it's.rdb is written bare and the next start
// refuses the manifest (observed on 7.0.15). Parse warns about every line the
// writer would turn into one its loader refuses; MarshalText quotes such names
// (and writes an empty name as "") so its own output always reads back.
//
// Inspect's verdict covers what Redis 7.x decides from the manifest, names,
// file types and first bytes (RDB magic, RESP command or annotation, empty);
// whether each part's content loads to the end is for the rdb and aof
// inspectors.
//
// Part names are "<af>.<seq>.base.rdb", "<af>.<seq>.base.aof" and
// "<af>.<seq>.incr.aof"; transient names are "temp-<af>.manifest" and
// "temp-<af>.incr". Inspect discovers <af> from "*.manifest" when it is not
// given.
//
// # Security
//
// Manifests come from damaged or hostile directories. Parse never holds more
// than one 1024-byte read of a line, whatever the file's size, so a 10 MB line
// costs 1 KiB of memory. Names taken from a manifest are never joined into a
// path when they contain '/' or '\' (the loader refuses them) or are "", "."
// or ".."; other names are opened only through internal/ropen, read-only,
// without following symbolic links unless asked, and never when they are
// FIFOs, devices or sockets. Inspect reads names, stat information and at most
// the first bytes of each part; it writes nothing anywhere.
package manifest
