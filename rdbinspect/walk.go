package rdbinspect

import (
	"container/heap"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"sort"
	"strconv"
	"unicode/utf8"
)

// Object types, src/rdb.h.
const (
	typeString         = 0
	typeList           = 1
	typeSet            = 2
	typeZSet           = 3
	typeHash           = 4
	typeZSet2          = 5
	typeModulePreGA    = 6
	typeModule2        = 7
	typeHashZipmap     = 9
	typeListZiplist    = 10
	typeSetIntset      = 11
	typeZSetZiplist    = 12
	typeHashZiplist    = 13
	typeListQuicklist  = 14
	typeStreamLP       = 15
	typeHashListpack   = 16
	typeZSetListpack   = 17
	typeListQuicklist2 = 18
	typeStreamLP2      = 19
	typeSetListpack    = 20
	typeStreamLP3      = 21
	typeHashMetaPreGA  = 22
	typeHashLPExPreGA  = 23
	typeHashMeta       = 24
	typeHashLPEx       = 25
)

type typeInfo struct{ name, encoding string }

// typeInfos names each object type as TYPE and OBJECT ENCODING would on
// the server that wrote it.
var typeInfos = [26]typeInfo{
	typeString:         {"string", "raw"},
	typeList:           {"list", "linkedlist"},
	typeSet:            {"set", "hashtable"},
	typeZSet:           {"zset", "skiplist"},
	typeHash:           {"hash", "hashtable"},
	typeZSet2:          {"zset", "skiplist"},
	typeModulePreGA:    {"module", "pre-ga"},
	typeModule2:        {"module", "module"},
	typeHashZipmap:     {"hash", "zipmap"},
	typeListZiplist:    {"list", "ziplist"},
	typeSetIntset:      {"set", "intset"},
	typeZSetZiplist:    {"zset", "ziplist"},
	typeHashZiplist:    {"hash", "ziplist"},
	typeListQuicklist:  {"list", "quicklist"},
	typeStreamLP:       {"stream", "listpacks"},
	typeHashListpack:   {"hash", "listpack"},
	typeZSetListpack:   {"zset", "listpack"},
	typeListQuicklist2: {"list", "quicklist"},
	typeStreamLP2:      {"stream", "listpacks"},
	typeSetListpack:    {"set", "listpack"},
	typeStreamLP3:      {"stream", "listpacks"},
	typeHashMetaPreGA:  {"hash", "hashtable-ttl"},
	typeHashLPExPreGA:  {"hash", "listpack-ttl"},
	typeHashMeta:       {"hash", "hashtable-ttl"},
	typeHashLPEx:       {"hash", "listpack-ttl"},
}

// valueWhat names a value in error messages; built once so the walk does
// not allocate per record.
var valueWhat = func() (a [len(typeInfos)]string) {
	for i, ti := range typeInfos {
		a[i] = ti.name + " value"
	}
	return a
}()

// TypeName returns the Redis type name of an RDB object type byte, or
// "unknown".
func TypeName(t int) string {
	if t >= 0 && t < len(typeInfos) && typeInfos[t].name != "" {
		return typeInfos[t].name
	}
	return "unknown"
}

// blob kinds whose header is checked against the blob's length.
const (
	blobNone = iota
	blobZiplist
	blobListpack
	blobIntset
	blobZipmap
	blobStreamID
)

// headCap bytes of a string are kept when a caller needs them: key names
// (up to the key-name cap) and container headers.
const headCap = 256

// selectedDB is one SELECTDB record: the database number and the offset of
// its opcode.
type selectedDB struct {
	db uint64
	at int64
}

// walker walks the records of an RDB file without decoding values.
type walker struct {
	ctx     context.Context
	s       *scanner
	version int
	// lengthsLie is set when the file ends like a finished dump, so a length
	// running past the end is a bad length rather than a cut file.
	lengthsLie bool
	keyCap     int
	topN       int

	err *CorruptionError

	// current record, for error messages and stats
	curType  int
	curKey   []byte
	keyStart int64
	inKey    bool

	head    [headCap]byte // captured prefix of the last string read
	headLen int
	lastB   byte // last byte of the last string read
	ulen    uint64

	ring [1 << 14]byte // LZF back-reference window

	blobCount int64 // entries in the last blob, -1 when its header does not say
	elems     int64 // elements of the last value, -1 when unknown

	db    uint64
	stats KeyStats
	dbIdx map[uint64]int
	types *[len(typeInfos)]TypeStats
	top   bigHeap
	// dbRange holds the SELECTDB records naming a database beyond the
	// default 16, so the report can say which server configuration loads them.
	dbRange []selectedDB
}

func (w *walker) fail(sentinel error, at int64, format string, args ...any) {
	if w.err != nil {
		return
	}
	w.err = &CorruptionError{Offset: at, Err: sentinel, Detail: fmt.Sprintf(format, args...)}
}

// need makes k bytes available or records a truncation at the current offset.
func (w *walker) need(k int, what string) bool {
	if w.err != nil {
		return false
	}
	if w.s.ensure(k) {
		return true
	}
	if w.s.ioErr != nil {
		w.fail(errIO{w.s.ioErr}, w.s.off(), "%v", w.s.ioErr)
		return false
	}
	w.fail(ErrTruncated, w.s.off(), "the file ends inside %s (%d of %d bytes present)", what, w.s.left(), k)
	return false
}

// errIO marks an operating-system read failure, which is not corruption.
type errIO struct{ err error }

func (e errIO) Error() string { return "read error: " + e.err.Error() }
func (e errIO) Unwrap() error { return e.err }

// claim checks that n bytes (or n items of at least unit bytes) fit in what
// is left, before anything uses n.
func (w *walker) claim(n, unit uint64, at int64, what string) bool {
	if w.err != nil {
		return false
	}
	left := uint64(w.s.left())
	if unit == 0 || n <= left/unit {
		return true
	}
	sentinel := ErrTruncated
	if w.lengthsLie {
		sentinel = ErrInvalidLength
	}
	if unit == 1 {
		w.fail(sentinel, at, "%s claims %d bytes but only %d remain", what, n, left)
	} else {
		w.fail(sentinel, at, "%s claims %d items but only %d bytes remain", what, n, left)
	}
	return false
}

func (w *walker) byte1(what string) byte {
	if !w.need(1, what) {
		return 0
	}
	return w.s.u8()
}

func (w *walker) fixed(n int, what string) {
	if w.need(n, what) {
		w.s.i += n
	}
}

// length reads an RDB length the way rdbLoadLen does: a special-encoding
// byte (11xxxxxx) yields its low six bits, as the server accepts it.
func (w *walker) length(what string) (n uint64, enc bool) {
	if !w.need(1, what) {
		return 0, false
	}
	at := w.s.off()
	b0 := w.s.buf[w.s.i]
	switch b0 >> 6 {
	case 0:
		w.s.i++
		return uint64(b0 & 0x3f), false
	case 1:
		if !w.need(2, what) {
			return 0, false
		}
		v := uint64(b0&0x3f)<<8 | uint64(w.s.buf[w.s.i+1])
		w.s.i += 2
		return v, false
	case 3:
		w.s.i++
		return uint64(b0 & 0x3f), true
	}
	switch b0 {
	case 0x80:
		if !w.need(5, what) {
			return 0, false
		}
		v := uint64(binary.BigEndian.Uint32(w.s.buf[w.s.i+1:]))
		w.s.i += 5
		return v, false
	case 0x81:
		if !w.need(9, what) {
			return 0, false
		}
		v := binary.BigEndian.Uint64(w.s.buf[w.s.i+1:])
		w.s.i += 9
		return v, false
	}
	w.fail(ErrInvalidEncoding, at, "unknown length encoding byte 0x%02x in %s", b0, what)
	return 0, false
}

// count reads a collection size and checks that many items of at least
// unit bytes each fit in what is left.
func (w *walker) count(unit uint64, what string) uint64 {
	at := w.s.off()
	n, _ := w.length(what)
	if !w.claim(n, unit, at, what) {
		return 0
	}
	return n
}

// str skips one string object. With capture set it keeps the first headCap
// bytes in w.head and the last byte in w.lastB; w.ulen is the plain length.
func (w *walker) str(what string, capture bool) {
	w.headLen = 0
	w.ulen = 0
	at := w.s.off()
	n, enc := w.length(what)
	if w.err != nil {
		return
	}
	if !enc {
		if !w.claim(n, 1, at, what) {
			return
		}
		w.ulen = n
		if capture && n > 0 {
			k := int(min(n, headCap))
			if !w.need(k, what) {
				return
			}
			w.headLen = copy(w.head[:], w.s.buf[w.s.i:w.s.i+k])
			if n <= uint64(w.s.n-w.s.i) {
				w.lastB = w.s.buf[w.s.i+int(n)-1]
			} else {
				var b [1]byte
				if !w.s.readAtSmall(b[:], w.s.off()+int64(n)-1) {
					w.fail(errIO{w.s.ioErr}, w.s.off(), "%v", w.s.ioErr)
					return
				}
				w.lastB = b[0]
			}
		}
		w.s.skip(n)
		return
	}
	switch n {
	case 0, 1, 2:
		size := 1 << n
		if !w.need(size, what) {
			return
		}
		if capture {
			var v int64
			switch n {
			case 0:
				v = int64(int8(w.s.buf[w.s.i]))
			case 1:
				v = int64(int16(binary.LittleEndian.Uint16(w.s.buf[w.s.i:])))
			case 2:
				v = int64(int32(binary.LittleEndian.Uint32(w.s.buf[w.s.i:])))
			}
			d := strconv.AppendInt(w.head[:0], v, 10)
			w.headLen = len(d)
			w.ulen = uint64(len(d))
			w.lastB = d[len(d)-1]
		}
		w.s.i += size
		return
	case 3:
		cat := w.s.off()
		clen, _ := w.length("LZF compressed length")
		ulen, _ := w.length("LZF plain length")
		if w.err != nil || !w.claim(clen, 1, at, what) {
			return
		}
		if clen == 0 || ulen == 0 {
			w.fail(ErrInvalidEncoding, cat, "%s: LZF string with %d compressed and %d plain bytes", what, clen, ulen)
			return
		}
		w.lzf(clen, ulen, capture, what)
		w.ulen = ulen
		return
	}
	w.fail(ErrInvalidEncoding, at, "%s: unknown string encoding %d", what, n)
}

// lzf checks an LZF block by streaming through it with a 16 KiB window
// (LZF back-references reach at most 8 KiB): the block must decode to
// exactly ulen bytes using exactly clen input bytes, as src/lzf_d.c and
// rdbLoadLzfStringObject require. Nothing proportional to ulen is allocated.
func (w *walker) lzf(clen, ulen uint64, capture bool, what string) {
	start := w.s.off()
	end := start + int64(clen)
	var op uint64
	const mask = len(w.ring) - 1
	bad := func(why string) {
		w.fail(ErrInvalidEncoding, w.s.off(), "%s: invalid LZF compressed string (%s)", what, why)
	}
	for w.s.off() < end {
		if w.err != nil {
			return
		}
		if !w.need(1, what) {
			return
		}
		ctrl := uint64(w.s.u8())
		if ctrl < 32 {
			run := ctrl + 1
			if op+run > ulen {
				bad("output longer than declared")
				return
			}
			if w.s.off()+int64(run) > end {
				bad("literal run past the end of the block")
				return
			}
			if !w.need(int(run), what) {
				return
			}
			if capture {
				for _, c := range w.s.buf[w.s.i : w.s.i+int(run)] {
					if op < headCap {
						w.head[op] = c
					}
					w.ring[int(op)&mask] = c
					op++
				}
				w.lastB = w.s.buf[w.s.i+int(run)-1]
			} else {
				op += run
			}
			w.s.i += int(run)
			continue
		}
		l := ctrl >> 5
		dist := (ctrl&0x1f)<<8 + 1
		if w.s.off() >= end {
			bad("back-reference cut at the end of the block")
			return
		}
		if l == 7 {
			if !w.need(1, what) {
				return
			}
			l += uint64(w.s.u8())
			if w.s.off() >= end {
				bad("back-reference cut at the end of the block")
				return
			}
		}
		if !w.need(1, what) {
			return
		}
		dist += uint64(w.s.u8())
		if op+l+2 > ulen {
			bad("output longer than declared")
			return
		}
		if dist > op {
			bad("back-reference before the start of the output")
			return
		}
		if capture {
			for range l + 2 {
				c := w.ring[int(op-dist)&mask]
				if op < headCap {
					w.head[op] = c
				}
				w.ring[int(op)&mask] = c
				w.lastB = c
				op++
			}
		} else {
			op += l + 2
		}
	}
	if op != ulen {
		w.fail(ErrInvalidEncoding, start, "%s: invalid LZF compressed string (decodes to %d bytes, %d declared)", what, op, ulen)
		return
	}
	if capture {
		w.headLen = int(min(op, headCap))
	}
}

// blob skips a string holding an encoded container and checks its header
// against its length, as the server's integrity checks would on load.
func (w *walker) blob(kind int, what string) {
	at := w.s.off()
	w.str(what, kind != blobNone)
	if w.err != nil || kind == blobNone {
		return
	}
	h := w.head[:w.headLen]
	n := w.ulen
	w.blobCount = -1
	defer func() {
		if w.err != nil {
			w.blobCount = -1
		}
	}()
	badf := func(format string, args ...any) {
		w.fail(ErrInvalidEncoding, at, what+": "+format, args...)
	}
	switch kind {
	case blobZiplist:
		if n < 11 || len(h) < 10 {
			badf("ziplist of %d bytes is shorter than its header", n)
		} else if zl := binary.LittleEndian.Uint32(h); uint64(zl) != n {
			badf("ziplist header says %d bytes, the string holds %d", zl, n)
		} else if tail := binary.LittleEndian.Uint32(h[4:]); uint64(tail) >= n {
			badf("ziplist tail offset %d is outside its %d bytes", tail, n)
		} else if w.lastB != 0xff {
			badf("ziplist does not end with 0xFF")
		} else if c := binary.LittleEndian.Uint16(h[8:]); c != 0xffff {
			w.blobCount = int64(c)
		}
	case blobListpack:
		if n < 7 || len(h) < 6 {
			badf("listpack of %d bytes is shorter than its header", n)
		} else if lp := binary.LittleEndian.Uint32(h); uint64(lp) != n {
			badf("listpack header says %d bytes, the string holds %d", lp, n)
		} else if w.lastB != 0xff {
			badf("listpack does not end with 0xFF")
		} else if c := binary.LittleEndian.Uint16(h[4:]); c != 0xffff {
			w.blobCount = int64(c)
		}
	case blobIntset:
		if n < 8 || len(h) < 8 {
			badf("intset of %d bytes is shorter than its header", n)
			return
		}
		enc := uint64(binary.LittleEndian.Uint32(h))
		cnt := uint64(binary.LittleEndian.Uint32(h[4:]))
		if enc != 2 && enc != 4 && enc != 8 {
			badf("intset encoding %d is not 2, 4 or 8", enc)
		} else if 8+enc*cnt != n {
			badf("intset of %d %d-byte integers needs %d bytes, the string holds %d", cnt, enc, 8+enc*cnt, n)
		} else {
			w.blobCount = int64(cnt)
		}
	case blobZipmap:
		if n < 2 || w.lastB != 0xff {
			badf("zipmap does not end with 0xFF")
		} else if h[0] < 254 {
			w.blobCount = int64(h[0])
		}
	case blobStreamID:
		if n != 16 {
			badf("stream node key is %d bytes, not a 16-byte ID", n)
		}
	}
}

// double skips a score written by rdbSaveDoubleValue (RDB < 8 zsets).
func (w *walker) double(what string) {
	n := w.byte1(what)
	if w.err != nil || n >= 253 {
		return
	}
	at := w.s.off()
	if w.claim(uint64(n), 1, at, what) && w.need(int(n), what) {
		w.s.i += int(n)
	}
}

// moduleValue skips a module value until its EOF opcode, as
// rdbLoadCheckModuleValue does in redis-check-rdb.
func (w *walker) moduleValue(what string) {
	for w.err == nil {
		at := w.s.off()
		op, _ := w.length("module opcode")
		if w.err != nil {
			return
		}
		switch op {
		case 0:
			return
		case 1, 2:
			w.length("module integer")
		case 3:
			w.fixed(4, "module float")
		case 4:
			w.fixed(8, "module double")
		case 5:
			w.str("module string", false)
		default:
			w.fail(ErrInvalidOpcode, at, "%s: unknown module opcode %d", what, op)
		}
		if w.s.refills&0xff == 0 && w.ctx.Err() != nil {
			w.fail(w.ctx.Err(), w.s.off(), "cancelled")
		}
	}
}

// blobElems converts the entry count of the last blob into elements.
func (w *walker) blobElems(t int) int64 {
	if w.blobCount < 0 {
		return -1
	}
	return w.blobCount / perBlob(t)
}

// perBlob is how many blob entries make one element: hashes and zsets
// store two per field or member, hashes with field TTLs three.
func perBlob(t int) int64 {
	switch t {
	case typeZSetZiplist, typeHashZiplist, typeHashListpack, typeZSetListpack:
		return 2
	case typeHashLPExPreGA, typeHashLPEx:
		return 3
	}
	return 1
}

// value skips the value of one record of type t and sets w.elems to its
// number of elements (list items, set members, hash fields, stream
// entries), or -1 when the encoding does not say.
func (w *walker) value(t int) {
	w.elems = -1
	what := valueWhat[t]
	switch t {
	case typeString:
		w.str(what, false)
	case typeList, typeSet:
		n := w.count(1, "list or set length")
		w.elems = int64(n)
		for i := uint64(0); i < n && w.err == nil; i++ {
			w.str("element", false)
		}
	case typeZSet, typeZSet2:
		n := w.count(2, "zset length")
		w.elems = int64(n)
		for i := uint64(0); i < n && w.err == nil; i++ {
			w.str("zset member", false)
			if t == typeZSet2 {
				w.fixed(8, "zset score")
			} else {
				w.double("zset score")
			}
		}
	case typeHash:
		n := w.count(2, "hash length")
		w.elems = int64(n)
		for i := uint64(0); i < n && w.err == nil; i++ {
			w.str("hash field", false)
			w.str("hash value", false)
		}
	case typeHashMeta, typeHashMetaPreGA:
		if t == typeHashMeta {
			w.fixed(8, "hash minimum expire time")
		}
		n := w.count(3, "hash length")
		w.elems = int64(n)
		for i := uint64(0); i < n && w.err == nil; i++ {
			w.length("hash field TTL")
			w.str("hash field", false)
			w.str("hash value", false)
		}
	case typeHashZipmap:
		w.blob(blobZipmap, what)
		w.elems = w.blobCount
	case typeListZiplist, typeZSetZiplist, typeHashZiplist:
		w.blob(blobZiplist, what)
		w.elems = w.blobElems(t)
	case typeSetIntset:
		w.blob(blobIntset, what)
		w.elems = w.blobCount
	case typeHashListpack, typeZSetListpack, typeSetListpack, typeHashLPExPreGA:
		w.blob(blobListpack, what)
		w.elems = w.blobElems(t)
	case typeHashLPEx:
		w.fixed(8, "hash minimum expire time")
		w.blob(blobListpack, what)
		w.elems = w.blobElems(t)
	case typeListQuicklist:
		n := w.count(1, "quicklist node count")
		total := int64(0)
		for i := uint64(0); i < n && w.err == nil; i++ {
			w.blob(blobZiplist, "quicklist node")
			if total >= 0 && w.blobCount >= 0 {
				total += w.blobCount
			} else {
				total = -1
			}
		}
		w.elems = total
	case typeListQuicklist2:
		n := w.count(2, "quicklist node count")
		total := int64(0)
		defer func() { w.elems = total }()
		for i := uint64(0); i < n && w.err == nil; i++ {
			at := w.s.off()
			c, _ := w.length("quicklist container")
			if w.err != nil {
				return
			}
			switch c {
			case 1: // plain node: one large element
				w.str("quicklist plain node", false)
				if total >= 0 {
					total++
				}
			case 2:
				w.blob(blobListpack, "quicklist node")
				if total >= 0 && w.blobCount >= 0 {
					total += w.blobCount
				} else {
					total = -1
				}
			default:
				w.fail(ErrInvalidOpcode, at, "quicklist node container %d is neither 1 (plain) nor 2 (packed)", c)
			}
			if w.err == nil && w.ulen == 0 {
				w.fail(ErrInvalidEncoding, at, "empty quicklist node")
			}
		}
	case typeStreamLP, typeStreamLP2, typeStreamLP3:
		w.stream(t)
	case typeModule2:
		w.length("module id")
		w.moduleValue("module value")
	}
}

func (w *walker) stream(t int) {
	n := w.count(2, "stream listpack count")
	for i := uint64(0); i < n && w.err == nil; i++ {
		w.blob(blobStreamID, "stream node key")
		w.blob(blobListpack, "stream listpack")
	}
	length, _ := w.length("stream length")
	w.elems = int64(length)
	if length > 1<<62 {
		w.elems = -1
	}
	w.length("stream last ID")
	w.length("stream last ID")
	if t >= typeStreamLP2 {
		for range 5 {
			w.length("stream first/max-deleted ID or entries added")
		}
	}
	groups := w.count(3, "stream consumer group count")
	for g := uint64(0); g < groups && w.err == nil; g++ {
		w.str("consumer group name", false)
		w.length("consumer group ID")
		w.length("consumer group ID")
		if t >= typeStreamLP2 {
			w.length("consumer group offset")
		}
		pel := w.count(17, "consumer group PEL size")
		for p := uint64(0); p < pel && w.err == nil; p++ {
			w.fixed(16, "PEL entry ID")
			w.fixed(8, "PEL delivery time")
			w.length("PEL delivery count")
		}
		consumers := w.count(10, "consumer count")
		for c := uint64(0); c < consumers && w.err == nil; c++ {
			w.str("consumer name", false)
			w.fixed(8, "consumer seen time")
			if t >= typeStreamLP3 {
				w.fixed(8, "consumer active time")
			}
			cp := w.count(16, "consumer PEL size")
			for p := uint64(0); p < cp && w.err == nil; p++ {
				w.fixed(16, "consumer PEL entry ID")
			}
		}
	}
}

// run walks records from just after the signature until EOF or the first
// problem. It returns the offset just past the EOF opcode, or -1.
func (w *walker) run() int64 {
	var expires bool
	recStart := int64(-1)
	for w.err == nil {
		if w.s.refills&0x3f == 0 && w.ctx.Err() != nil {
			w.fail(w.ctx.Err(), w.s.off(), "cancelled")
			return -1
		}
		at := w.s.off()
		if w.s.left() == 0 {
			return -1 // a clean end between records: the caller reports it
		}
		op := w.byte1("opcode")
		if w.err != nil {
			return -1
		}
		if recStart < 0 {
			recStart = at
		}
		switch op {
		case opEOF:
			if recStart != at {
				w.fail(ErrInvalidType, at, "EOF opcode after an expire or LRU/LFU prefix that belongs to a key")
				return -1
			}
			return w.s.off()
		case opSelectDB:
			w.db, _ = w.length("SELECTDB database number")
			w.dbStats()
			if w.db > 15 {
				w.dbRange = append(w.dbRange, selectedDB{db: w.db, at: at})
			}
			recStart = -1
			continue
		case opResizeDB:
			w.length("RESIZEDB key count")
			w.length("RESIZEDB expires count")
			recStart = -1
			continue
		case opSlotInfo:
			w.length("slot id")
			w.length("slot size")
			w.length("slot expires size")
			recStart = -1
			continue
		case opAux:
			w.str("aux key", false)
			w.str("aux value", false)
			recStart = -1
			continue
		case opModuleAux:
			w.length("module id")
			wat := w.s.off()
			when, _ := w.length("module aux when-opcode")
			if w.err == nil && when != 2 {
				w.fail(ErrInvalidOpcode, wat, "module aux when-opcode is %d, Redis requires 2 (bad when_opcode)", when)
				return -1
			}
			w.length("module aux when")
			w.moduleValue("module aux value")
			w.stats.ModuleAux++
			recStart = -1
			continue
		case opFunctionPreGA:
			w.fail(ErrInvalidOpcode, at, "pre-release function format (Redis 7.0 release candidates) is not supported by any released server")
			return -1
		case opFunction2:
			w.str("function library", false)
			w.stats.Functions++
			recStart = -1
			continue
		case opExpireTime:
			w.fixed(4, "expire time")
			expires = true
			continue
		case opExpireTimeMS:
			w.fixed(8, "expire time")
			expires = true
			continue
		case opFreq:
			w.fixed(1, "LFU frequency")
			continue
		case opIdle:
			w.length("LRU idle time")
			continue
		}
		t := int(op)
		if t >= len(typeInfos) || typeInfos[t].name == "" || t == typeModulePreGA {
			if t == typeModulePreGA {
				w.fail(ErrInvalidType, at, "object type 6 is the pre-release module format, which Redis refuses")
			} else {
				w.fail(ErrInvalidType, at, "byte 0x%02x (%d) is neither an opcode nor an object type (Invalid object type)", op, op)
			}
			return -1
		}
		w.curType = t
		w.inKey = true
		w.keyStart = w.s.off()
		w.str("key", true)
		if w.err != nil {
			return -1
		}
		w.curKey = append(w.curKey[:0], w.head[:min(w.headLen, w.keyCap)]...)
		keyLen := w.ulen
		w.value(t)
		if w.err != nil {
			return -1
		}
		w.inKey = false
		w.record(t, expires, w.s.off()-recStart, recStart, keyLen)
		expires = false
		recStart = -1
	}
	return -1
}

func (w *walker) dbStats() *DBStats {
	i, ok := w.dbIdx[w.db]
	if !ok {
		w.stats.DBs = append(w.stats.DBs, DBStats{DB: w.db})
		i = len(w.stats.DBs) - 1
		w.dbIdx[w.db] = i
	}
	return &w.stats.DBs[i]
}

func (w *walker) record(t int, expires bool, size, at int64, keyLen uint64) {
	w.stats.Keys++
	d := w.dbStats()
	d.Keys++
	d.Bytes += size
	if expires {
		w.stats.Expires++
		d.Expires++
	}
	if w.types != nil {
		w.types[t].Keys++
		w.types[t].Bytes += size
	}
	if w.topN > 0 && (len(w.top) < w.topN || size > w.top[0].Bytes) {
		bk := BigKey{DB: w.db, Key: printableKey(w.curKey, keyLen), Type: typeInfos[t].name, Encoding: typeInfos[t].encoding, Bytes: size, Offset: at, Expires: expires}
		if w.elems >= 0 {
			e := w.elems
			bk.Elements = &e
		}
		if len(w.top) < w.topN {
			heap.Push(&w.top, bk)
		} else {
			w.top[0] = bk
			heap.Fix(&w.top, 0)
		}
	}
}

// printableKey renders a key name for reports: valid UTF-8 stays as is,
// other bytes are escaped, and a name cut at the cap says how long it was.
func printableKey(b []byte, full uint64) string {
	var s string
	if utf8.Valid(b) {
		s = string(b)
	} else {
		q := strconv.Quote(string(b))
		s = q[1 : len(q)-1]
	}
	if uint64(len(b)) < full {
		s += fmt.Sprintf("…(%d bytes)", full)
	}
	return s
}

type bigHeap []BigKey

func (h bigHeap) Len() int           { return len(h) }
func (h bigHeap) Less(i, j int) bool { return h[i].Bytes < h[j].Bytes }
func (h bigHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *bigHeap) Push(x any)        { *h = append(*h, x.(BigKey)) }
func (h *bigHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// finish sorts the statistics for the report.
func (w *walker) finish(withTypes bool) KeyStats {
	st := w.stats
	if st.DBs == nil {
		st.DBs = []DBStats{}
	}
	sort.Slice(st.DBs, func(i, j int) bool { return st.DBs[i].DB < st.DBs[j].DB })
	if withTypes {
		// Types 3 and 5 (and other pairs) share a name and encoding.
		merged := map[[2]string]int{}
		for t, ts := range w.types {
			if ts.Keys == 0 {
				continue
			}
			k := [2]string{typeInfos[t].name, typeInfos[t].encoding}
			i, ok := merged[k]
			if !ok {
				st.Types = append(st.Types, TypeStats{Type: k[0], Encoding: k[1]})
				i = len(st.Types) - 1
				merged[k] = i
			}
			st.Types[i].Keys += ts.Keys
			st.Types[i].Bytes += ts.Bytes
		}
		sort.Slice(st.Types, func(i, j int) bool {
			if st.Types[i].Bytes != st.Types[j].Bytes {
				return st.Types[i].Bytes > st.Types[j].Bytes
			}
			return st.Types[i].Type+st.Types[i].Encoding < st.Types[j].Type+st.Types[j].Encoding
		})
		st.Biggest = append([]BigKey(nil), w.top...)
		sort.Slice(st.Biggest, func(i, j int) bool {
			if st.Biggest[i].Bytes != st.Biggest[j].Bytes {
				return st.Biggest[i].Bytes > st.Biggest[j].Bytes
			}
			return st.Biggest[i].Offset < st.Biggest[j].Offset
		})
	}
	return st
}

func newWalker(ctx context.Context, p *pipeline, r io.ReaderAt, start, size int64, version int, opt Options) *walker {
	w := &walker{
		ctx:     ctx,
		s:       newScanner(p, r, start, size),
		version: version,
		keyCap:  opt.Limits.keyName(),
		dbIdx:   map[uint64]int{},
	}
	if opt.Keys {
		w.types = new([len(typeInfos)]TypeStats)
		w.topN = opt.top()
	}
	return w
}
