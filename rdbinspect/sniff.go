package rdbinspect

import "bytes"

// Content kinds of a persistence file by its first bytes.
const (
	ContentRDB     = "rdb"
	ContentRESP    = "resp"
	ContentEmpty   = "empty"
	ContentUnknown = "unknown"
)

// SniffBytes is how much of a file Sniff needs.
const SniffBytes = 16

// Sniff decides what a persistence file holds from its first bytes, as the
// server's loaders decide it (src/aof.c loadSingleAppendOnlyFile): "REDIS"
// (or Valkey's "VALKEY") starts an RDB, '*' a command and '#' an
// annotation line of an AOF. The suffix of a name never decides: a
// .base.aof may hold an RDB.
func Sniff(head []byte) string {
	switch {
	case len(head) == 0:
		return ContentEmpty
	case bytes.HasPrefix(head, []byte("REDIS")), bytes.HasPrefix(head, []byte("VALKEY")):
		return ContentRDB
	case head[0] == '*' || head[0] == '#':
		return ContentRESP
	}
	return ContentUnknown
}
