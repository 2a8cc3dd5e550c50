package rdbinspect

import (
	"container/heap"
	"context"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"sort"

	"github.com/aoftool/aoftool/finding"
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
	keyLen   uint64
	keyStart int64
	inKey    bool

	head    [headCap]byte // captured prefix of the last string read
	headLen int
	// dup remembers the keys loaded so far. While hashingName is set a
	// name too long for head is hashed as it is read (nameSum, streamed).
	// expireAt is the expiry of the record being read (NoExpiry without
	// one); expiredAt, when set, is the moment keys are counted as expired
	// against, as a master's rdbLoad skips them.
	expireAt  int64
	expiredAt int64

	dup          dupCheck
	hashingName  bool
	nameStreamed bool
	nameSum      uint64
	lastB        byte // last byte of the last string read
	ulen         uint64

	ring [1 << 14]byte // LZF back-reference window
	br   blobReader    // the string being read through the window or blocks
	chk  checker

	elems int64 // elements of the last value, -1 when unknown

	// content holds what the server's load-time checks find in values.
	content contentState

	db    uint64
	stats KeyStats
	dbIdx map[uint64]int
	types *[len(typeInfos)]TypeStats
	top   bigHeap
	// dbRange holds the SELECTDB records naming a database beyond the
	// default 16, so the report can say which server configuration loads them.
	dbRange []selectedDB

	// vis describes every key to a Visitor; nil without one.
	vis *visitState

	// curDB indexes w.stats.DBs for w.db, -1 until looked up.
	curDB int

	// lanes are the chunks other lanes walk, which the first lane may take
	// over (lane.go) when it reaches nextSeam. A walker that is itself a
	// chunk's lane has lane set, stops at nextSeam and at the first record
	// it cannot simply count; laneSafe is the record boundary up to which
	// its counts are complete.
	lanes    *laneSet
	nextSeam int64
	lane     bool
	laneSafe int64
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
	if !capture && w.err == nil && w.skipShortRaw() {
		return
	}
	if !w.need(1, what) {
		return
	}
	if b0 := w.s.buf[w.s.i]; b0>>6 != 3 && !capture {
		// A raw string nobody reads is skipped by offset.
		at := w.s.off()
		n, _ := w.length(what)
		if w.err == nil && w.claim(n, 1, at, what) {
			w.ulen = n
			w.s.skip(n)
		}
		return
	}
	r := &w.br
	if !w.openString(r, what) {
		return
	}
	w.ulen = r.size
	if !capture {
		r.check()
		return
	}
	stream := w.hashingName && r.size > headCap
	if stream {
		w.dup.long.Reset()
	}
	for r.more() {
		if stream {
			w.dup.long.Write(r.cur)
		}
		if w.headLen < headCap {
			w.headLen += copy(w.head[w.headLen:], r.cur)
		}
		if r.enc == strRaw && r.left() > uint64(len(r.cur)) && w.headLen == headCap && !stream {
			// Only the last byte is still needed.
			r.cur = r.cur[:0]
			r.drain()
			break
		}
		r.cur = r.cur[:0]
	}
	w.lastB = r.last
	if stream {
		w.nameSum, w.nameStreamed = w.dup.long.Sum64(), true
	}
}

// skipShortRaw skips a raw string of a 6- or 14-bit length that ends in
// the block, the shape of most values, without the general reader, and
// says whether it did. A string that ends in the block ends in the file, so
// no claim can fail.
func (w *walker) skipShortRaw() bool {
	s := w.s
	if s.n-s.i < 2 {
		return false
	}
	var n, hl int
	switch b0 := s.buf[s.i]; b0 >> 6 {
	case 0:
		n, hl = int(b0), 1
	case 1:
		n, hl = int(b0&0x3f)<<8|int(s.buf[s.i+1]), 2
	default:
		return false
	}
	if s.n-s.i-hl < n {
		return false
	}
	w.ulen = uint64(n)
	s.i += hl + n
	return true
}

// shortKey reads the name of a key as str("key", true) does when it is a
// raw string short enough for curKey and held whole in the block, the
// shape of almost every key, straight into curKey, and returns its hash.
func (w *walker) shortKey() (uint64, bool) {
	s := w.s
	if s.i >= s.n {
		return 0, false
	}
	n := int(s.buf[s.i])
	if n >= 64 || n > w.keyCap || s.n-s.i-1 < n {
		return 0, false
	}
	name := s.buf[s.i+1 : s.i+1+n]
	// Hashed from the block, not from the copy: reading back bytes just
	// stored in pieces stalls on store forwarding.
	h := w.dup.nameHash(name)
	w.curKey = append(w.curKey[:0], name...)
	w.keyLen, w.ulen, w.headLen = uint64(n), uint64(n), 0
	s.i += 1 + n
	return h, true
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
		if recStart < 0 {
			if at >= w.nextSeam {
				if w.lane {
					w.laneSafe = at
					return -1 // the next chunk's
				}
				w.joinLanes(at)
				at = w.s.off()
			}
			w.laneSafe = at
		}
		if w.s.left() == 0 {
			return -1 // a clean end between records: the caller reports it
		}
		op := w.byte1("opcode")
		if w.err != nil {
			return -1
		}
		if w.lane && op >= opSlotInfo && op != opExpireTime && op != opExpireTimeMS && op != opIdle && op != opFreq {
			return -1 // not a key: the first lane walks it
		}
		if recStart < 0 {
			recStart = at
		}
		if op == typeString && w.vis == nil && w.plainString(recStart, expires) {
			expires = false
			recStart = -1
			continue
		}
		switch op {
		case opEOF:
			if recStart != at {
				w.fail(ErrInvalidType, at, "EOF opcode after an expire or LRU/LFU prefix that belongs to a key")
				return -1
			}
			w.endSection()
			return w.s.off()
		case opSelectDB:
			w.endSection()
			w.db, _ = w.length("SELECTDB database number")
			w.dbStats()
			if w.db > 15 || (w.content.databases > 0 && w.db >= w.content.databases) {
				w.dbRange = append(w.dbRange, selectedDB{db: w.db, at: at})
			}
			recStart = -1
			continue
		case opResizeDB:
			w.endSection()
			keys, _ := w.length("RESIZEDB key count")
			exp, _ := w.length("RESIZEDB expires count")
			w.content.resize, w.content.resizeKeys, w.content.resizeExp = at, keys, exp
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
			idAt := w.s.off()
			id, _ := w.length("module id")
			wat := w.s.off()
			when, _ := w.length("module aux when-opcode")
			if w.err == nil && when != 2 {
				w.fail(ErrInvalidOpcode, wat, "module aux when-opcode is %d, Redis requires 2 (bad when_opcode)", when)
				return -1
			}
			w.length("module aux when")
			w.moduleValue("module aux value")
			if w.err == nil {
				w.content.recAt = at
				w.module(id, idAt, "module aux data")
			}
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
			if w.need(4, "expire time") {
				// rdbLoadTime reads a signed 32-bit count of seconds.
				w.expireAt = int64(int32(binary.LittleEndian.Uint32(w.s.buf[w.s.i:]))) * 1000
				if w.vis != nil {
					w.vis.expire = w.expireAt
				}
				w.s.i += 4
			}
			expires = true
			continue
		case opExpireTimeMS:
			if w.need(8, "expire time") {
				// rdbLoadMillisecondTime returns -1 for all ones, which the
				// loader takes for "no expire".
				w.content.expireAllFF = binary.LittleEndian.Uint64(w.s.buf[w.s.i:]) == ^uint64(0)
				w.expireAt = int64(binary.LittleEndian.Uint64(w.s.buf[w.s.i:]))
				if w.vis != nil {
					w.vis.expire = w.expireAt
				}
				w.s.i += 8
			}
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
		// A key whose name is cut short is no key yet: messages must not
		// name the one before it.
		w.curKey, w.keyLen = w.curKey[:0], 0
		var nameHash uint64
		fast := false
		if w.vis == nil {
			nameHash, fast = w.shortKey()
		}
		if !fast {
			w.hashingName, w.nameStreamed = true, false
			if w.vis != nil {
				w.readKey()
			} else {
				w.str("key", true)
			}
			w.hashingName = false
			if w.err != nil {
				return -1
			}
			w.curKey = append(w.curKey[:0], w.head[:min(w.headLen, w.keyCap)]...)
			w.keyLen = w.ulen
			nameHash = w.keyNameHash()
		}
		w.content.recAt = recStart
		if w.content.targetKnown && !w.content.limits.acceptsType(t) {
			w.flag(ClassObjectType, finding.RDBTypeUnsupported, verdictAllRefuse, "object type %s is unknown to %s (Unknown RDB encoding type)", typeDescription(t), w.content.target)
		}
		if w.content.expireAllFF {
			w.flag(ClassExpire, finding.RDBExpireLost, verdictChanged, "its expire time is all ones, which the loader reads as \"no expire\": the key loads without its TTL")
			w.content.expireAllFF = false
		}
		if w.vis != nil {
			w.beginValue(t)
		}
		emptyBefore := w.content.skipped[0]
		w.value(t)
		if w.err != nil {
			return -1
		}
		if w.lane && w.content.flagged() {
			return -1 // the first lane walks it and reports what it finds
		}
		w.inKey = false
		// The loader drops an empty key before adding it.
		w.keyDone(t, expires, recStart, nameHash, w.content.skipped[0] == emptyBefore)
		if w.vis != nil {
			w.visitRecord(t, w.s.off()-recStart, recStart)
		}
		expires = false
		recStart = -1
	}
	return -1
}

// plainString walks the rest of a string record the way the general path
// does when it has the shape of almost every record of a cache: a raw name
// of under 64 bytes and a raw value of under 16 KiB, both in the block,
// nothing to flag. It reads nothing and returns false otherwise.
func (w *walker) plainString(recStart int64, expires bool) bool {
	if w.content.expireAllFF || w.chk.em != nil {
		return false
	}
	at := w.s.i
	h, ok := w.shortKey()
	if !ok {
		return false
	}
	if !w.skipShortRaw() {
		w.s.i = at // the general path reads the record again
		return false
	}
	w.curType, w.keyStart, w.elems = typeString, w.s.base+int64(at), -1
	w.content.recAt = recStart
	w.keyDone(typeString, expires, recStart, h, true)
	return true
}

// keyDone counts the key record that ends here: in the duplicate check
// when the loader adds it, as expired, and in the statistics.
func (w *walker) keyDone(t int, expires bool, recStart int64, nameHash uint64, added bool) {
	if added {
		w.dup.add(keyHash(w.db, nameHash), w, recStart)
		if w.expiredAt != 0 && w.expireAt != NoExpiry && w.expireAt < w.expiredAt {
			w.dbStats().Expired++
			w.stats.Expired++
		}
	}
	w.expireAt = NoExpiry
	w.record(t, expires, w.s.off()-recStart, recStart, w.keyLen)
}

// keyNameHash is the hash of the name just read, for the duplicate check.
func (w *walker) keyNameHash() uint64 {
	if w.nameStreamed {
		return w.nameSum
	}
	return w.dup.nameHash(w.head[:w.headLen])
}

// flagDuplicates finds the keys walked twice in a database, and where:
// the server's rdbLoad panics on the first, redis-check-rdb does not look.
func (w *walker) flagDuplicates(ctx context.Context, r io.ReaderAt, size int64, opt Options) int64 {
	twice := w.dup.twice()
	if len(twice) == 0 {
		return w.dup.unchecked
	}
	// The messages name their own key, not the one a cut walk stopped in.
	inKey, recAt := w.inKey, w.content.recAt
	defer func() { w.inKey, w.content.recAt = inKey, recAt }()
	w.inKey = false
	for _, k := range locateDuplicates(ctx, r, size, w.version, opt, w.dup.seed, twice) {
		w.content.recAt = k.at
		w.flag(ClassDuplicateKey, finding.RDBDuplicateKey, verdictDuplicateKey, "key %s (db %d) at offset %d is already in its database (Duplicated key found in RDB file)", finding.QuoteBytes(k.name, int64(k.size), -1), k.db, k.at)
	}
	return w.dup.unchecked
}

func (w *walker) dbStats() *DBStats {
	if w.curDB >= 0 && w.stats.DBs[w.curDB].DB == w.db {
		return &w.stats.DBs[w.curDB]
	}
	i, ok := w.dbIdx[w.db]
	if !ok {
		w.stats.DBs = append(w.stats.DBs, DBStats{DB: w.db})
		i = len(w.stats.DBs) - 1
		w.dbIdx[w.db] = i
	}
	w.curDB = i
	return &w.stats.DBs[i]
}

func (w *walker) record(t int, expires bool, size, at int64, keyLen uint64) {
	w.stats.Keys++
	w.content.sectionKeys++
	if expires {
		w.content.sectionExp++
	}
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
		w.offerBig(bk)
	}
}

// offerBig keeps bk if it is among the topN biggest records: by size, and
// the earlier of two of a size, so the set does not depend on the order
// records are offered in (lanes offer them out of order).
func (w *walker) offerBig(bk BigKey) {
	switch {
	case len(w.top) < w.topN:
		heap.Push(&w.top, bk)
	case bigLess(w.top[0], bk):
		w.top[0] = bk
		heap.Fix(&w.top, 0)
	}
}

// bigLess orders records from the least to the most worth keeping.
func bigLess(a, b BigKey) bool {
	if a.Bytes != b.Bytes {
		return a.Bytes < b.Bytes
	}
	return a.Offset > b.Offset
}

// printableKey renders a key name for reports and JSON: escaped once
// (finding.EscapeBytes), and a name cut at the cap says how long it was.
func printableKey(b []byte, full uint64) string {
	// Valid UTF-8 may still hold control bytes (an escape sequence in a
	// hostile name would reach the operator's terminal).
	s := finding.EscapeBytes(b)
	if uint64(len(b)) < full {
		s += fmt.Sprintf("…(%d bytes)", full)
	}
	return s
}

// quotedKey is the key being read, as messages name it: quoted, escaped
// once and cut to a readable length with its full length and offset.
func (w *walker) quotedKey() string {
	return finding.QuoteBytes(w.curKey, int64(w.keyLen), w.keyStart)
}

type bigHeap []BigKey

func (h bigHeap) Len() int           { return len(h) }
func (h bigHeap) Less(i, j int) bool { return bigLess(h[i], h[j]) }
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

func newWalker(ctx context.Context, p *pipeline, r io.ReaderAt, start, size int64, version int, seed maphash.Seed, opt Options) *walker {
	w := &walker{
		ctx:       ctx,
		s:         newScanner(p, r, start, size),
		version:   version,
		keyCap:    opt.Limits.keyName(),
		expireAt:  NoExpiry,
		expiredAt: opt.ExpiredAt,
		dbIdx:     map[uint64]int{},
		curDB:     -1,
		nextSeam:  math.MaxInt64,
	}
	if opt.Keys {
		w.types = new([len(typeInfos)]TypeStats)
		w.topN = opt.top()
	}
	if opt.Visit != nil {
		w.vis = newVisitState(opt.Visit)
	}
	w.content.resize = -1
	w.dup.setSeed(seed)
	if len(opt.Modules) > 0 {
		w.content.modules = map[string]bool{}
		for _, m := range opt.Modules {
			w.content.modules[m] = true
		}
	}
	return w
}
