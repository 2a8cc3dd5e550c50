package aofinspect

import (
	"errors"
	"fmt"
)

// Sentinels for errors.Is. A CorruptionError wraps exactly one of them.
var (
	// ErrTruncated means the log ends inside a command: the bytes seen so
	// far are valid RESP but the command is incomplete. The server treats it
	// as a short read (truncates with aof-load-truncated yes).
	ErrTruncated = errors.New("aofinspect: log ends inside a command")
	// ErrProtocol means bytes that are not RESP as the server reads it: the
	// server refuses the file ("Bad file format") or aborts.
	ErrProtocol = errors.New("aofinspect: bytes are not RESP")
)

// CorruptionError locates a damaged record. Offset is where the record (the
// command, or the RDB part) starts; At is where the unexpected bytes are.
type CorruptionError struct {
	Path     string
	Offset   int64 // start of the damaged command
	Line     int64 // 1-based line of Offset
	At       int64 // byte where the damage itself was found
	Expected string
	Found    string
	Err      error // ErrTruncated or ErrProtocol
}

func (e *CorruptionError) Error() string {
	p := e.Path
	if p == "" {
		p = "aof"
	}
	msg := fmt.Sprintf("%s: offset %d (line %d): ", p, e.Offset, e.Line)
	if e.Expected != "" {
		msg += fmt.Sprintf("at %d expected %s, found %s: ", e.At, e.Expected, e.Found)
	}
	return msg + e.Err.Error()
}

func (e *CorruptionError) Unwrap() error { return e.Err }
