package rdbinspect

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
)

// HeaderWindow is the most ReadHeader reads from the start of a file. The
// aux section Redis writes is well under 1 KiB; 64 KiB leaves room for long
// custom aux values without ever making the cost proportional to the file.
const HeaderWindow = 64 << 10

// Sentinel errors. They are returned wrapped in a *CorruptionError that
// carries the byte offset, so test them with errors.Is.
var (
	// ErrNotRDB: the first bytes are not an RDB signature.
	ErrNotRDB = errors.New("rdbinspect: not an RDB file")
	// ErrTruncated: the file ends before the structure being read is complete.
	ErrTruncated = errors.New("rdbinspect: truncated")
	// ErrUnsupportedVersion: the signature is RDB but the version is one no
	// Redis accepts (0, or not a number).
	ErrUnsupportedVersion = errors.New("rdbinspect: unsupported RDB version")
	// ErrInvalidLength: a length or count claims more bytes than remain.
	ErrInvalidLength = errors.New("rdbinspect: invalid length")
	// ErrInvalidType: a byte is neither an opcode nor an object type.
	ErrInvalidType = errors.New("rdbinspect: invalid object type")
	// ErrInvalidOpcode: a module opcode, quicklist container or similar marker is wrong.
	ErrInvalidOpcode = errors.New("rdbinspect: invalid opcode")
	// ErrInvalidEncoding: a string encoding, LZF block, ziplist, listpack or
	// intset is malformed.
	ErrInvalidEncoding = errors.New("rdbinspect: invalid encoding")
)

// CorruptionError locates a problem: the byte offset where the structure
// stops making sense and the sentinel saying why.
type CorruptionError struct {
	Offset int64
	Err    error
	// Detail is a human sentence with the specifics (claimed length, byte seen).
	Detail string
}

func (e *CorruptionError) Error() string {
	if e.Detail != "" {
		return fmt.Sprintf("offset %d: %v: %s", e.Offset, e.Err, e.Detail)
	}
	return fmt.Sprintf("offset %d: %v", e.Offset, e.Err)
}

func (e *CorruptionError) Unwrap() error { return e.Err }

// AuxField is one AUX record (opcode FA) in file order. Offset is where its
// opcode byte is.
type AuxField struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Offset int64  `json:"offset"`
}

// Tail describes the last 9 bytes of the file.
type Tail struct {
	// LooksComplete is true when the file ends with FF and 8 checksum bytes
	// (FF alone before RDB 5). It is exact for an empty dataset (the FF
	// follows the aux section); otherwise it is a heuristic on one byte, not
	// a proof: use Verify for that.
	LooksComplete bool `json:"looks_complete"`
	// StoredCRC is the little-endian uint64 in the last 8 bytes, meaningful
	// only when LooksComplete.
	StoredCRC uint64 `json:"stored_crc,string"`
}

// Header is what the first bytes of an RDB file say.
type Header struct {
	Magic    string `json:"magic"`
	Version  int    `json:"version"`
	Producer string `json:"producer"` // "redis", "valkey" or "unknown"
	Releases string `json:"releases"` // which server releases write this version
	// Envelope is "VKCS" for a Valkey compressed envelope, empty otherwise.
	Envelope string `json:"envelope,omitempty"`

	Aux []AuxField `json:"aux,omitempty"`

	RedisVer     string    `json:"redis_ver,omitempty"`
	ValkeyVer    string    `json:"valkey_ver,omitempty"`
	Bits         int       `json:"bits,omitempty"`
	CTime        time.Time `json:"ctime,omitzero"`
	UsedMem      int64     `json:"used_mem,omitempty"`
	ReplStreamDB *int64    `json:"repl_stream_db,omitempty"`
	ReplID       string    `json:"repl_id,omitempty"`
	ReplOffset   *int64    `json:"repl_offset,omitempty"`
	AOFBase      *bool     `json:"aof_base,omitempty"`
	AOFPreamble  *bool     `json:"aof_preamble,omitempty"`

	// AuxEnd is the offset of the first opcode after the leading AUX
	// records, or -1 when the aux section runs past HeaderWindow.
	AuxEnd int64 `json:"aux_end"`
	// EmptyDataset is true when the opcode at AuxEnd is EOF: no keys,
	// functions or module data.
	EmptyDataset bool `json:"empty_dataset"`
	Tail         Tail `json:"tail"`
}

// MaxVersion is the newest RDB version whose structure rdbinspect walks.
const MaxVersion = 12

// Releases names the server releases that write an RDB version. Versions
// past MaxVersion come from single source files and are marked unverified.
func Releases(magic string, version int) string {
	if magic == "VALKEY" {
		switch version {
		case 80:
			return "Valkey 9.0 (unverified)"
		case 81:
			return "Valkey 9.2 (unverified)"
		}
		return fmt.Sprintf("unknown Valkey format %d", version)
	}
	switch version {
	case 1:
		return "Redis 2.2"
	case 2:
		return "Redis 2.4"
	case 3, 4, 5:
		return "Redis 2.6 development"
	case 6:
		return "Redis 2.6, 2.8, 3.0"
	case 7:
		return "Redis 3.2"
	case 8:
		return "Redis 4.0"
	case 9:
		return "Redis 5.0, 6.0, 6.2"
	case 10:
		return "Redis 7.0"
	case 11:
		return "Redis 7.2; Valkey 7.2, 8.0, 8.1"
	case 12:
		return "Redis 7.4, 8.0, 8.2, 8.4"
	case 13:
		return "Redis 8.6 (unverified)"
	case 14:
		return "Redis 8.8 (unverified)"
	case 15:
		return "Redis 8.10 (unverified)"
	}
	if version > MaxVersion {
		return fmt.Sprintf("unknown (newer than RDB %d)", MaxVersion)
	}
	return "unknown"
}

// parseMagic reads the signature. It returns the magic word, the version and
// the signature's length (9 for both REDIS0011 and VALKEY080).
func parseMagic(b []byte) (magic string, version int, err error) {
	if len(b) >= 4 && string(b[:4]) == "VKCS" {
		return "VKCS", 0, nil
	}
	prefixOK := func(p string) bool { return len(b) < len(p) && string(b) == p[:len(b)] }
	switch {
	case len(b) >= 5 && string(b[:5]) == "REDIS":
		if len(b) < 9 {
			return "REDIS", 0, ErrTruncated
		}
		v, ok := digits(b[5:9])
		if !ok || v < 1 {
			return "REDIS", v, ErrUnsupportedVersion
		}
		return "REDIS", v, nil
	case len(b) >= 6 && string(b[:6]) == "VALKEY":
		if len(b) < 9 {
			return "VALKEY", 0, ErrTruncated
		}
		v, ok := digits(b[6:9])
		if !ok || v < 80 {
			return "VALKEY", v, ErrUnsupportedVersion
		}
		return "VALKEY", v, nil
	case prefixOK("REDIS") || prefixOK("VALKEY") || prefixOK("VKCS"):
		return "", 0, ErrTruncated
	}
	return "", 0, ErrNotRDB
}

func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return n, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// ReadHeader reads the signature, the leading AUX records and the last 9
// bytes. It reads at most HeaderWindow bytes from the start plus 9 from the
// end, whatever the file size, so it is safe on a multi-gigabyte file and on
// one still being written (size is the caller's snapshot of the length).
//
// A header that is cut short returns ErrTruncated in a *CorruptionError with
// what was parsed so far; a bad signature returns ErrNotRDB; an aux section
// longer than the window is not an error (AuxEnd is -1).
func ReadHeader(r io.ReaderAt, size int64) (*Header, error) {
	n := min(size, HeaderWindow)
	if n < 0 {
		n = 0
	}
	buf := make([]byte, n)
	if n > 0 {
		if m, err := r.ReadAt(buf, 0); m < len(buf) {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return nil, fmt.Errorf("rdbinspect: read header: %w", err)
		}
	}
	h := &Header{AuxEnd: -1, Producer: "unknown"}
	magic, version, err := parseMagic(buf)
	h.Magic, h.Version = magic, version
	if magic != "" && magic != "VKCS" && len(buf) >= 9 {
		h.Magic = string(buf[:9])
	}
	if err != nil {
		return h, &CorruptionError{Offset: 0, Err: err, Detail: magicDetail(buf, err)}
	}
	if magic == "VKCS" {
		h.Envelope = "VKCS"
		h.Producer = "valkey"
		h.Releases = "Valkey compressed envelope"
		return h, nil
	}
	if magic == "VALKEY" {
		h.Producer = "valkey"
	}
	h.Releases = Releases(magic, version)

	c := &cursor{b: buf, limit: size}
	c.pos = 9
	for {
		op, ok := c.byte()
		if !ok {
			if c.truncated() {
				return h, &CorruptionError{Offset: c.pos, Err: ErrTruncated, Detail: "the file ends inside the aux section"}
			}
			break // window exhausted: aux section continues beyond it
		}
		if op != opAux {
			h.AuxEnd = c.pos - 1
			h.EmptyDataset = op == opEOF
			break
		}
		start := c.pos - 1
		k, err := c.str(maxAuxValue)
		var v string
		if err == nil {
			v, err = c.str(maxAuxValue)
		}
		if errors.Is(err, errWindow) {
			break
		}
		if err != nil {
			if errors.Is(err, ErrTruncated) {
				return h, &CorruptionError{Offset: c.errAt, Err: ErrTruncated, Detail: "the file ends inside the aux field at offset " + strconv.FormatInt(start, 10)}
			}
			return h, &CorruptionError{Offset: c.errAt, Err: sentinelOf(err), Detail: err.Error() + " in the aux field at offset " + strconv.FormatInt(start, 10)}
		}
		h.Aux = append(h.Aux, AuxField{Key: k, Value: v, Offset: start})
		h.applyAux(k, v)
	}

	if size >= 9 {
		var t [9]byte
		if _, err := r.ReadAt(t[:], size-9); err == nil {
			if version >= 5 {
				h.Tail.StoredCRC = binary.LittleEndian.Uint64(t[1:])
				if h.EmptyDataset {
					h.Tail.LooksComplete = h.AuxEnd == size-9
				} else {
					h.Tail.LooksComplete = t[0] == opEOF && size-9 > h.AuxEnd
				}
			} else {
				h.Tail.LooksComplete = t[8] == opEOF
			}
		}
	}
	return h, nil
}

// sentinelOf returns the package sentinel err wraps, so a CorruptionError
// always unwraps to one of them.
func sentinelOf(err error) error {
	for _, s := range []error{ErrTruncated, ErrInvalidLength, ErrInvalidType, ErrInvalidOpcode, ErrInvalidEncoding, ErrUnsupportedVersion, ErrNotRDB} {
		if errors.Is(err, s) {
			return s
		}
	}
	return err
}

func magicDetail(b []byte, err error) string {
	n := min(len(b), 9)
	switch {
	case errors.Is(err, ErrTruncated):
		return fmt.Sprintf("the file has only %d bytes, fewer than the 9-byte signature", len(b))
	case errors.Is(err, ErrUnsupportedVersion):
		return fmt.Sprintf("signature %q carries no valid version", b[:n])
	}
	return fmt.Sprintf("first bytes are %q", b[:n])
}

const maxAuxValue = 1 << 20

func (h *Header) applyAux(k, v string) {
	num := func() (int64, bool) {
		n, err := strconv.ParseInt(v, 10, 64)
		return n, err == nil
	}
	switch k {
	case "redis-ver":
		h.RedisVer = v
		if h.Producer == "unknown" {
			h.Producer = "redis"
		}
	case "valkey-ver":
		h.ValkeyVer = v
		h.Producer = "valkey"
	case "redis-bits":
		if n, ok := num(); ok {
			h.Bits = int(n)
		}
	case "ctime":
		if n, ok := num(); ok {
			h.CTime = time.Unix(n, 0).UTC()
		}
	case "used-mem":
		if n, ok := num(); ok {
			h.UsedMem = n
		}
	case "repl-stream-db":
		if n, ok := num(); ok {
			h.ReplStreamDB = &n
		}
	case "repl-id":
		h.ReplID = v
	case "repl-offset":
		if n, ok := num(); ok {
			h.ReplOffset = &n
		}
	case "aof-base":
		if n, ok := num(); ok {
			b := n != 0
			h.AOFBase = &b
		}
	case "aof-preamble":
		if n, ok := num(); ok {
			b := n != 0
			h.AOFPreamble = &b
		}
	}
}
