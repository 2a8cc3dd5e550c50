package rdbinspect

import (
	"encoding/binary"
	"fmt"
	"strconv"
)

// A payload check walks one encoded container the way the server's
// validator walks its buffer (src/ziplist.c ziplistValidateIntegrity and
// zipEntrySafe, src/listpack.c lpValidateIntegrity and lpValidateNext,
// src/intset.c intsetValidateIntegrity, src/zipmap.c
// zipmapValidateIntegrity, src/t_stream.c streamValidateListpackIntegrity),
// pulling the bytes from a blobReader instead of indexing memory. Every
// bound is the server's, so a container passes here exactly when it passes
// there; only the order in which two faults of one container are found may
// differ, which changes the message, not the verdict.

// fault is the first rule a container breaks.
type fault struct {
	// shallow faults are caught by the header check the server always
	// runs; the others only by the deep walk.
	shallow bool
	// at is the plain offset of the failing byte in the container.
	at  uint64
	msg string
	// firstEntry: the deep walk failed on the first entry, which lpFirst
	// asserts on even when the server does not sanitize.
	firstEntry bool
	// dup: a duplicate element, an odd number of pair entries or a bad
	// field TTL: the layout itself holds.
	dup bool
	// empty: a stream listpack without entries.
	empty bool
	// count: the header's entry count is the only fault.
	count bool
}

func faultAt(at uint64, shallow bool, format string, args ...any) *fault {
	return &fault{shallow: shallow, at: at, msg: fmt.Sprintf(format, args...)}
}

// walkInfo is what a container walk learned besides its fault.
type walkInfo struct {
	// entries walked; equal to the real count when the walk completed.
	entries int64
	// header is the entry count the header declares, -1 when it says
	// "unknown" (0xFFFF) or was not read.
	header int64
	// complete: the walk reached the end byte, every entry well formed
	// (a header count or a duplicate may still be wrong).
	complete bool
	// dupUnchecked: more elements than the duplicate check keeps.
	dupUnchecked bool
}

// checker holds what payload checks reuse between containers.
type checker struct {
	h   *hasher
	set dupSet
	// hist holds the last bytes a listpack walk consumed, for the backward
	// decode of an entry's back-length, which may reach into the entry's
	// data and the entry before it.
	hist [8]byte
	// text is a short element kept whole (stream integers as strings).
	text [24]byte
	// fp is the fingerprint of the element just read.
	fp fingerprint
	// em, when set, receives every element in its string form; acc is the
	// value they belong to (a Visitor's).
	em  *emitter
	acc *valueAcc
}

// header tells the value accumulator the entry count a container
// declares (-1 when unknown).
func (c *checker) header(n int64) {
	if c.acc != nil {
		c.acc.header(n, &c.em)
	}
}

// readElem consumes n bytes of r into the hasher (hash) and the emitter
// (m), either of which may be off.
func (c *checker) readElem(r *blobReader, n uint64, hash bool, m *emitter) bool {
	for n > 0 {
		if !r.more() {
			return false
		}
		k := min(uint64(len(r.cur)), n)
		if hash {
			c.h.write(r.cur[:k])
		}
		if m != nil {
			m.write(r.cur[:k])
		}
		r.cur = r.cur[k:]
		n -= k
	}
	return true
}

func (c *checker) hasher() *hasher {
	if c.h == nil {
		c.h = newHasher()
	}
	return c.h
}

// dupCheck adds the element just fingerprinted (c.fp) to the set; true on
// a duplicate.
func (c *checker) dupCheck(info *walkInfo) bool {
	dup := c.set.add(c.fp)
	if c.set.full {
		info.dupUnchecked = true
	}
	return dup
}

// ---- ziplist ----

// ziplist mirrors ziplistValidateIntegrity(deep=1) with the callbacks the
// loader passes when it converts the ziplist (ziplistGet on each entry; for
// hashes and zsets a duplicate test of every even entry and an even entry
// count, ziplistPairsConvertAndValidateIntegrity). The loader always runs
// it deep, whatever sanitize-dump-payload says, so every fault refuses.
func (c *checker) ziplist(r *blobReader, pairs bool) (walkInfo, *fault) {
	info := walkInfo{header: -1}
	size := r.size
	if size < 11 {
		return info, faultAt(0, true, "ziplist of %d bytes is shorter than its 10-byte header and end byte", size)
	}
	var hdr [10]byte
	if !r.read(hdr[:]) {
		return info, nil
	}
	zlbytes := uint64(binary.LittleEndian.Uint32(hdr[:]))
	tail := uint64(binary.LittleEndian.Uint32(hdr[4:]))
	count := binary.LittleEndian.Uint16(hdr[8:])
	if count != 0xffff {
		info.header = int64(count)
	}
	c.header(info.header)
	if zlbytes != size {
		return info, faultAt(0, true, "ziplist header says %d bytes, the string holds %d", zlbytes, size)
	}
	if tail > size-1 {
		return info, faultAt(4, true, "ziplist tail offset %d points past its end byte at %d", tail, size-1)
	}
	if pairs {
		c.hasher()
		c.set.reset()
	}
	last := size - 1 // offset of the end byte: no entry may reach past it
	pos := uint64(10)
	prevRaw := uint64(0)
	prevStart := int64(-1)
	var n int64
	var h [8]byte
	for {
		b0, ok := r.u8()
		if !ok {
			return info, nil
		}
		if b0 == 0xff {
			break
		}
		// zipEntrySafe: previous-entry length, encoding, entry length.
		prevLenSize, prevLen := uint64(1), uint64(b0)
		if b0 >= 254 {
			prevLenSize = 5
		}
		if pos+prevLenSize > last {
			return info, faultAt(pos, false, "ziplist entry %d at byte %d: its previous-length field runs into the end byte", n, pos)
		}
		if prevLenSize == 5 {
			if !r.read(h[:4]) {
				return info, nil
			}
			prevLen = uint64(binary.LittleEndian.Uint32(h[:4]))
		}
		e0, ok := r.u8()
		if !ok {
			return info, nil
		}
		enc := e0
		if enc < 0xc0 {
			enc &= 0xc0
		}
		var lenSize, dataLen uint64
		isInt := true
		switch {
		case enc == 0x00:
			lenSize, dataLen, isInt = 1, uint64(e0&0x3f), false
		case enc == 0x40:
			lenSize, isInt = 2, false
		case enc == 0x80:
			lenSize, isInt = 5, false
		case enc == 0xc0:
			lenSize, dataLen = 1, 2
		case enc == 0xd0:
			lenSize, dataLen = 1, 4
		case enc == 0xe0:
			lenSize, dataLen = 1, 8
		case enc == 0xf0:
			lenSize, dataLen = 1, 3
		case enc == 0xfe:
			lenSize, dataLen = 1, 1
		case enc >= 0xf1 && enc <= 0xfd:
			lenSize = 1
		default:
			return info, faultAt(pos+prevLenSize, false, "ziplist entry %d at byte %d: invalid encoding byte 0x%02x", n, pos, e0)
		}
		if pos+prevLenSize+lenSize > last {
			return info, faultAt(pos+prevLenSize, false, "ziplist entry %d at byte %d: its length field runs into the end byte", n, pos)
		}
		switch lenSize {
		case 2:
			b1, ok := r.u8()
			if !ok {
				return info, nil
			}
			dataLen = uint64(e0&0x3f)<<8 | uint64(b1)
		case 5:
			if !r.read(h[:4]) {
				return info, nil
			}
			dataLen = uint64(binary.BigEndian.Uint32(h[:4]))
		}
		header := prevLenSize + lenSize
		if pos+header+dataLen > last {
			return info, faultAt(pos, false, "ziplist entry %d at byte %d: %d data bytes run past the end byte at %d", n, pos, dataLen, last)
		}
		if prevLen > pos-10 {
			return info, faultAt(pos, false, "ziplist entry %d at byte %d: previous-entry length %d reaches before the first entry", n, pos, prevLen)
		}
		if prevLen != prevRaw {
			return info, faultAt(pos, false, "ziplist entry %d at byte %d: previous-entry length %d, but the entry before is %d bytes", n, pos, prevLen, prevRaw)
		}
		hashing := pairs && n%2 == 0
		if m := c.em; m != nil || hashing {
			if isInt {
				if !r.read(h[:dataLen]) {
					return info, nil
				}
				v := ziplistInt(enc, h[:dataLen])
				if hashing {
					c.fp = c.h.of(strconv.AppendInt(c.text[:0], v, 10))
				}
				if m != nil {
					m.integer(v)
				}
			} else {
				if hashing {
					c.h.reset()
				}
				if m != nil {
					m.begin()
				}
				if !c.readElem(r, dataLen, hashing, m) {
					return info, nil
				}
				if hashing {
					c.fp = c.h.sum()
				}
				if m != nil {
					m.end()
				}
			}
		}
		if hashing {
			if c.dupCheck(&info) {
				info.entries = n
				f := faultAt(pos, false, "ziplist entry %d at byte %d repeats an earlier field or member", n, pos)
				f.dup = true
				return info, f
			}
		} else if c.em == nil && !r.skip(dataLen) {
			return info, nil
		}
		prevRaw = header + dataLen
		prevStart = int64(pos)
		pos += prevRaw
		n++
	}
	info.entries = n
	if pos != last {
		return info, faultAt(pos, false, "ziplist end byte 0xFF at byte %d, before the last byte %d", pos, last)
	}
	if prevStart >= 0 && uint64(prevStart) != tail {
		return info, faultAt(4, false, "ziplist tail offset %d, but the last entry starts at byte %d", tail, prevStart)
	}
	if count != 0xffff && int64(count) != n {
		return info, faultAt(8, false, "ziplist header counts %d entries, it holds %d", count, n)
	}
	if pairs && n%2 != 0 {
		f := faultAt(8, false, "ziplist of field/value or member/score pairs holds an odd number of entries (%d)", n)
		f.dup = true
		return info, f
	}
	info.complete = true
	return info, nil
}

// ziplistInt decodes an integer entry as zipLoadInteger does.
func ziplistInt(enc byte, p []byte) int64 {
	switch enc {
	case 0xfe:
		return int64(int8(p[0]))
	case 0xc0:
		return int64(int16(binary.LittleEndian.Uint16(p)))
	case 0xd0:
		return int64(int32(binary.LittleEndian.Uint32(p)))
	case 0xf0:
		return int64(int32(uint32(p[0])<<8|uint32(p[1])<<16|uint32(p[2])<<24) >> 8)
	case 0xe0:
		return int64(binary.LittleEndian.Uint64(p))
	}
	return int64(enc&0x0f) - 1
}

// ---- listpack ----

// lpEntry is one listpack entry as lpGet sees it.
type lpEntry struct {
	eof   bool  // the entry position holds the end byte
	isInt bool  // integer encoding; value in ival
	ival  int64 // value of an integer entry
	slen  uint64
	// short: a string entry of at most len(checker.text) bytes, kept in
	// checker.text[:slen]
	short bool
}

// lpIter walks a listpack entry by entry with lpValidateNext's checks.
type lpIter struct {
	c    *checker
	r    *blobReader
	size uint64
	pos  uint64 // offset of the next entry
	n    int64  // entries validated
	// hash: fingerprint the entry being read (its canonical text).
	hash bool
	// keep: keep short strings whole (stream fields parsed as integers).
	keep bool
	// e is the entry next decoded.
	e lpEntry
}

// lpEncodedSizeBytes is lpCurrentEncodedSizeBytes: bytes of encoding and
// length before the data, 0 for an invalid encoding.
func lpEncodedSizeBytes(b byte) uint64 {
	switch {
	case b&0x80 == 0, b&0xc0 == 0x80, b&0xe0 == 0xc0:
		return 1
	case b >= 0xf1 && b <= 0xf4:
		return 1
	case b&0xf0 == 0xe0:
		return 2
	case b == 0xf0:
		return 5
	case b == 0xff:
		return 1
	}
	return 0
}

// lpBacklenSize is lpEncodeBacklen(NULL, l).
func lpBacklenSize(l uint64) uint64 {
	switch {
	case l <= 127:
		return 1
	case l < 16383:
		return 2
	case l < 2097151:
		return 3
	case l < 268435455:
		return 4
	}
	return 5
}

// push records consumed bytes in the history ring.
func (c *checker) push(p []byte) {
	if len(p) >= len(c.hist) {
		copy(c.hist[:], p[len(p)-len(c.hist):])
		return
	}
	copy(c.hist[:], c.hist[len(p):])
	copy(c.hist[len(c.hist)-len(p):], p)
}

// backlen decodes the back-length whose last byte is the last byte
// consumed, reading backwards as lpDecodeBacklen does (up to 5 bytes, which
// may lie before the back-length field itself).
func (c *checker) backlen() uint64 {
	var val, shift uint64
	for i := len(c.hist) - 1; ; i-- {
		b := c.hist[i]
		val |= uint64(b&127) << shift
		if b&128 == 0 {
			break
		}
		shift += 7
		if shift > 28 {
			return ^uint64(0)
		}
	}
	return val
}

// next validates the entry at it.pos (lpValidateNext) and decodes it. A
// false ok with a nil fault means the string itself ended or broke.
func (it *lpIter) next() (f *fault, ok bool) {
	c, r := it.c, it.r
	e := &it.e
	*e = lpEntry{}
	last := it.size - 1
	at := it.pos
	if at > last {
		return faultAt(at, false, "listpack entry %d at byte %d starts past the end byte", it.n, at), false
	}
	if len(r.cur) >= 6 && !lpSlowOnly {
		if f, done := it.nextInChunk(); done {
			return f, f == nil
		}
	}
	b0, ok := r.u8()
	if !ok {
		return nil, false
	}
	c.push([]byte{b0})
	if b0 == 0xff {
		e.eof = true
		return nil, true
	}
	lenBytes := lpEncodedSizeBytes(b0)
	if lenBytes == 0 {
		return faultAt(at, false, "listpack entry %d at byte %d: invalid encoding byte 0x%02x", it.n, at, b0), false
	}
	if at+lenBytes > last {
		return faultAt(at, false, "listpack entry %d at byte %d: its length field runs into the end byte", it.n, at), false
	}
	var h [8]byte
	if lenBytes > 1 {
		if !r.read(h[:lenBytes-1]) {
			return nil, false
		}
		c.push(h[:lenBytes-1])
	}
	// lpCurrentEncodedSizeUnsafe: encoding, length and data bytes.
	var entryLen uint64
	e.isInt = true
	switch {
	case b0&0x80 == 0:
		entryLen = 1
	case b0&0xc0 == 0x80:
		e.isInt, e.slen = false, uint64(b0&0x3f)
		entryLen = 1 + e.slen
	case b0&0xe0 == 0xc0:
		entryLen = 2
	case b0 == 0xf1:
		entryLen = 3
	case b0 == 0xf2:
		entryLen = 4
	case b0 == 0xf3:
		entryLen = 5
	case b0 == 0xf4:
		entryLen = 9
	case b0&0xf0 == 0xe0:
		e.isInt, e.slen = false, uint64(b0&0x0f)<<8|uint64(h[0])
		entryLen = 2 + e.slen
	case b0 == 0xf0:
		e.isInt, e.slen = false, uint64(binary.LittleEndian.Uint32(h[:4]))
		entryLen = 5 + e.slen
	}
	back := lpBacklenSize(entryLen)
	total := entryLen + back
	if at+total > last {
		return faultAt(at, false, "listpack entry %d at byte %d: %d bytes run past the end byte at %d", it.n, at, total, last), false
	}
	data := entryLen - lenBytes
	if e.isInt {
		var p [8]byte
		if data > 0 {
			if !r.read(p[:data]) {
				return nil, false
			}
			c.push(p[:data])
		}
		e.ival = lpInt(b0, p[:data])
		if it.hash {
			c.fp = c.h.of(strconv.AppendInt(c.text[:0], e.ival, 10))
		}
		if c.em != nil {
			c.em.integer(e.ival)
		}
	} else {
		if it.hash {
			c.h.reset()
		}
		m := c.em
		if m != nil {
			m.begin()
		}
		e.short = it.keep && data <= uint64(len(c.text))
		switch {
		case e.short:
			if !r.read(c.text[:data]) {
				return nil, false
			}
			c.push(c.text[:data])
			if it.hash {
				c.h.write(c.text[:data])
			}
			if m != nil {
				m.write(c.text[:data])
			}
		case it.hash || m != nil:
			// Hash all but the tail, then read the tail through the
			// history: the back-length decode may need it.
			k := min(data, uint64(len(c.hist)))
			if !c.readElem(r, data-k, it.hash, m) {
				return nil, false
			}
			if !r.read(h[:k]) {
				return nil, false
			}
			if it.hash {
				c.h.write(h[:k])
			}
			if m != nil {
				m.write(h[:k])
			}
			c.push(h[:k])
		default:
			k := min(data, uint64(len(c.hist)))
			if !r.skip(data - k) {
				return nil, false
			}
			if !r.read(h[:k]) {
				return nil, false
			}
			c.push(h[:k])
		}
	}
	if it.hash && !e.isInt {
		c.fp = c.h.sum()
	}
	if c.em != nil && !e.isInt {
		c.em.end()
	}
	if !r.read(h[:back]) {
		return nil, false
	}
	c.push(h[:back])
	if got := c.backlen(); got+back != total {
		f := faultAt(at+total-1, false, "listpack entry %d at byte %d: back-length says %d bytes, the entry has %d", it.n, at, int64(got), entryLen)
		f.firstEntry = it.n == 0
		return f, false
	}
	it.pos += total
	it.n++
	return nil, true
}

// lpSlowOnly makes every entry go through the piecewise path; tests set
// it to compare both paths.
var lpSlowOnly = false

// nextInChunk is next for an entry that lies whole in the reader's current
// chunk (the usual case): the same checks on one slice, without per-piece
// calls. done is false when the entry does not fit the chunk (or is the
// end byte); nothing was consumed then.
func (it *lpIter) nextInChunk() (f *fault, done bool) {
	c, r := it.c, it.r
	e := &it.e
	cur := r.cur
	last := it.size - 1
	at := it.pos
	b0 := cur[0]
	if b0 == 0xff {
		return nil, false
	}
	lenBytes := lpEncodedSizeBytes(b0)
	if lenBytes == 0 || at+lenBytes > last {
		return nil, false // the piecewise path reports it
	}
	var entryLen uint64
	e.isInt = true
	switch {
	case b0&0x80 == 0:
		entryLen = 1
	case b0&0xc0 == 0x80:
		e.isInt, e.slen = false, uint64(b0&0x3f)
		entryLen = 1 + e.slen
	case b0&0xe0 == 0xc0:
		entryLen = 2
	case b0 == 0xf1:
		entryLen = 3
	case b0 == 0xf2:
		entryLen = 4
	case b0 == 0xf3:
		entryLen = 5
	case b0 == 0xf4:
		entryLen = 9
	case b0&0xf0 == 0xe0:
		e.isInt, e.slen = false, uint64(b0&0x0f)<<8|uint64(cur[1])
		entryLen = 2 + e.slen
	case b0 == 0xf0:
		e.isInt, e.slen = false, uint64(binary.LittleEndian.Uint32(cur[1:5]))
		entryLen = 5 + e.slen
	}
	back := lpBacklenSize(entryLen)
	total := entryLen + back
	if at+total > last || total > uint64(len(cur)) {
		return nil, false
	}
	ent := cur[:total]
	data := ent[lenBytes:entryLen]
	if e.isInt {
		e.ival = lpInt(b0, data)
		if it.hash {
			c.fp = c.h.of(strconv.AppendInt(c.text[:0], e.ival, 10))
		}
	} else {
		if it.keep && e.slen <= uint64(len(c.text)) {
			e.short = true
			copy(c.text[:], data)
		}
		if it.hash {
			c.fp = c.h.of(data)
		}
	}
	if m := c.em; m != nil {
		if e.isInt {
			m.integer(e.ival)
		} else {
			m.whole(data)
		}
	}
	// lpDecodeBacklen reads backwards from the entry's last byte, into the
	// bytes before the entry when the entry is shorter than 5 bytes.
	var val, shift uint64
	for i := int(total) - 1; ; i-- {
		var b byte
		if i >= 0 {
			b = ent[i]
		} else {
			b = c.hist[len(c.hist)+i]
		}
		val |= uint64(b&127) << shift
		if b&128 == 0 {
			break
		}
		shift += 7
		if shift > 28 {
			val = ^uint64(0)
			break
		}
	}
	c.push(ent)
	r.cur = cur[total:]
	if val+back != total {
		f = faultAt(at+total-1, false, "listpack entry %d at byte %d: back-length says %d bytes, the entry has %d", it.n, at, int64(val), entryLen)
		f.firstEntry = it.n == 0
		return f, true
	}
	it.pos += total
	it.n++
	return nil, true
}

// lpInt decodes an integer entry as lpGetWithSize does.
func lpInt(b0 byte, p []byte) int64 {
	var uval, negstart, negmax uint64
	switch {
	case b0&0x80 == 0:
		return int64(b0 & 0x7f)
	case b0&0xe0 == 0xc0:
		uval, negstart, negmax = uint64(b0&0x1f)<<8|uint64(p[0]), 1<<12, 8191
	case b0 == 0xf1:
		uval, negstart, negmax = uint64(binary.LittleEndian.Uint16(p)), 1<<15, 0xffff
	case b0 == 0xf2:
		uval, negstart, negmax = uint64(p[0])|uint64(p[1])<<8|uint64(p[2])<<16, 1<<23, 0xffffff
	case b0 == 0xf3:
		uval, negstart, negmax = uint64(binary.LittleEndian.Uint32(p)), 1<<31, 0xffffffff
	case b0 == 0xf4:
		uval, negstart, negmax = binary.LittleEndian.Uint64(p), 1<<63, ^uint64(0)
	}
	if uval >= negstart {
		return -int64(negmax-uval) - 1
	}
	return int64(uval)
}

// lpMode says what the loader checks besides the layout.
type lpMode struct {
	// tuple is the logical element size: 1 for a set (7.2 set listpack), 2
	// for hash field/value and zset member/score pairs, 3 for 7.4 hashes
	// with field TTLs; 0 for lists (no duplicate test).
	tuple int
	// ttl: the third entry of each tuple is a field's expire time
	// (_lpEntryValidation of Redis 7.4).
	ttl bool
}

// ebExpireTimeMax is EB_EXPIRE_TIME_MAX of Redis 7.4 (48 bits).
const ebExpireTimeMax = 1<<48 - 1

// listpack mirrors lpValidateIntegrity: the header part the server always
// runs (shallow faults) and the deep walk of lpValidateIntegrityAndDups
// that only sanitize-dump-payload yes and redis-check-rdb run.
func (c *checker) listpack(r *blobReader, mode lpMode) (walkInfo, *fault) {
	info := walkInfo{header: -1}
	size := r.size
	if size < 7 {
		return info, faultAt(0, true, "listpack of %d bytes is shorter than its 6-byte header and end byte", size)
	}
	var hdr [6]byte
	if !r.read(hdr[:]) {
		return info, nil
	}
	c.push(hdr[:])
	total := uint64(binary.LittleEndian.Uint32(hdr[:]))
	numele := binary.LittleEndian.Uint16(hdr[4:])
	if numele != 0xffff {
		info.header = int64(numele)
	}
	c.header(info.header)
	if total != size {
		return info, faultAt(0, true, "listpack header says %d bytes, the string holds %d", total, size)
	}
	it := lpIter{c: c, r: r, size: size, pos: 6, hash: mode.tuple > 0}
	if it.hash {
		c.hasher()
		c.set.reset()
	}
	// The first duplicate is remembered and the walk goes on without
	// duplicate tests, so the caller learns whether the layout itself holds
	// (what decides a start without sanitization).
	var dup *fault
	lastExpire := int64(-1)
	for {
		k, start := it.n, it.pos
		f, ok := it.next()
		e := &it.e
		if f != nil {
			f.firstEntry = k == 0
			info.entries = it.n
			return info, f
		}
		if !ok {
			return info, nil
		}
		if e.eof {
			break
		}
		if mode.tuple == 0 || dup != nil {
			continue
		}
		switch k % int64(mode.tuple) {
		case 0:
			if c.dupCheck(&info) {
				dup = faultAt(start, false, "listpack entry %d at byte %d repeats an earlier element", k, start)
				dup.dup = true
				it.hash = false
			}
		case 2:
			if !mode.ttl {
				break
			}
			v, valid := e.ival, e.isInt
			if !valid && e.short {
				v, valid = string2ll(c.text[:e.slen])
			}
			switch {
			case !valid:
				dup = faultAt(start, false, "listpack entry %d: a field's expire time is not an integer", k)
			case v < 0 || v > ebExpireTimeMax:
				dup = faultAt(start, false, "listpack entry %d: field expire time %d is outside 0..2^48-1", k, v)
			case v != 0 && (lastExpire == 0 || v < lastExpire):
				dup = faultAt(start, false, "listpack entry %d: field expire time %d is out of order (fields with a TTL come first, ascending)", k, v)
			}
			if dup != nil {
				dup.dup = true
				it.hash = false
			}
			lastExpire = v
		}
	}
	info.entries = it.n
	if it.pos != size-1 {
		return info, faultAt(it.pos, false, "listpack end byte 0xFF at byte %d, before the last byte %d", it.pos, size-1)
	}
	info.complete = true
	if dup != nil {
		return info, dup
	}
	if numele != 0xffff && int64(numele) != it.n {
		f := faultAt(4, false, "listpack header counts %d entries, it holds %d", numele, it.n)
		f.count = true
		return info, f
	}
	if mode.tuple > 1 && it.n%int64(mode.tuple) != 0 {
		f := faultAt(4, false, "listpack of %d-entry tuples holds %d entries", mode.tuple, it.n)
		f.dup = true
		return info, f
	}
	return info, nil
}

// string2ll is Redis's strict integer parse (src/util.c): no sign but a
// leading '-', no leading zeros, no spaces, at most 20 characters.
func string2ll(s []byte) (int64, bool) {
	if len(s) == 0 || len(s) >= 21 {
		return 0, false
	}
	if len(s) == 1 && s[0] == '0' {
		return 0, true
	}
	neg := s[0] == '-'
	if neg {
		s = s[1:]
		if len(s) == 0 {
			return 0, false
		}
	}
	if s[0] < '1' || s[0] > '9' {
		return 0, false
	}
	var v uint64
	for _, d := range s {
		if d < '0' || d > '9' {
			return 0, false
		}
		if v > ^uint64(0)/10 {
			return 0, false
		}
		v *= 10
		if v > ^uint64(0)-uint64(d-'0') {
			return 0, false
		}
		v += uint64(d - '0')
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > 1<<63-1 {
		return 0, false
	}
	return int64(v), true
}

// ---- stream listpack ----

// streamListpack mirrors streamValidateListpackIntegrity(deep=1): the
// listpack's layout entry by entry, the master entry (count, deleted,
// fields, the zero terminator) and every entry's flags, ID, fields, values
// and lp-count. The header's entry count is not checked for streams.
// entries is the number of stream entries the master entry declares.
func (c *checker) streamListpack(r *blobReader) (info walkInfo, entries int64, f *fault) {
	info.header = -1
	size := r.size
	if size < 7 {
		return info, 0, faultAt(0, true, "listpack of %d bytes is shorter than its 6-byte header and end byte", size)
	}
	var hdr [6]byte
	if !r.read(hdr[:]) {
		return info, 0, nil
	}
	c.push(hdr[:])
	if total := uint64(binary.LittleEndian.Uint32(hdr[:])); total != size {
		return info, 0, faultAt(0, true, "listpack header says %d bytes, the string holds %d", total, size)
	}
	it := lpIter{c: c, r: r, size: size, pos: 6, keep: true}
	// The server keeps two cursors: p, the entry it interprets, and next,
	// the entry after it, validated before p is read. cur is p.
	var cur lpEntry
	atEOF := false
	broken := false
	// sd digests the entries (DEBUG DIGEST-VALUE walks them with a stream
	// iterator); curSHA is the SHA-1 of cur's string form.
	sd := c.streamDigester()
	var curSHA [20]byte
	move := func() *fault {
		if atEOF {
			// lpValidateNext on the NULL that followed the end byte.
			return faultAt(it.pos, false, "stream listpack ends before the entries its master entry declares")
		}
		f, ok := it.next()
		if f != nil {
			return f
		}
		if !ok {
			broken = true
			return nil
		}
		cur = it.e
		atEOF = cur.eof
		if sd != nil {
			curSHA = c.em.e.sha
		}
		return nil
	}
	integer := func(what string) (int64, *fault) {
		if cur.eof {
			// lpGet on the end byte falls through to its integer branch.
			return 12345678900000000 + 0xff, nil
		}
		if cur.isInt {
			return cur.ival, nil
		}
		if cur.short {
			if v, ok := string2ll(c.text[:cur.slen]); ok {
				return v, nil
			}
		}
		return 0, faultAt(it.pos, false, "stream listpack: the %s is not an integer", what)
	}
	step := func(what string) (int64, *fault) {
		v, f := integer(what)
		if f != nil {
			return 0, f
		}
		return v, move()
	}
	if f := move(); f != nil || broken {
		return info, 0, firstEntryFault(f)
	}
	if cur.eof {
		f := faultAt(6, false, "the listpack holds no entries (Empty listpack inside stream)")
		f.empty = true
		return info, 0, f
	}
	count, f := step("master entry count")
	if f != nil || broken {
		return info, 0, f
	}
	deleted, f := step("master deleted count")
	if f != nil || broken {
		return info, 0, f
	}
	masterFields, f := step("master field count")
	if f != nil || broken {
		return info, 0, f
	}
	if sd != nil {
		sd.master = sd.master[:0]
	}
	for j := int64(0); j < masterFields; j++ {
		if sd != nil {
			sd.masterField(curSHA)
		}
		if f := move(); f != nil || broken {
			return info, 0, f
		}
	}
	zero, f := integer("master entry terminator")
	if f != nil {
		return info, 0, f
	}
	if zero != 0 {
		return info, 0, faultAt(it.pos, false, "stream listpack: the master entry does not end with 0")
	}
	if f := move(); f != nil || broken {
		return info, 0, f
	}
	for ec := count + deleted; ec != 0; ec-- {
		fields, extra := masterFields, int64(3)
		flags, f := step("entry flags")
		if f != nil || broken {
			return info, 0, f
		}
		msDiff, f := step("entry ID")
		if f != nil || broken {
			return info, 0, f
		}
		seqDiff, f := step("entry ID")
		if f != nil || broken {
			return info, 0, f
		}
		live := sd != nil && flags&1 == 0 // not STREAM_ITEM_FLAG_DELETED
		if live {
			sd.entry(uint64(msDiff), uint64(seqDiff))
		}
		if flags&2 == 0 { // STREAM_ITEM_FLAG_SAMEFIELDS
			// Its own fields: field-1, value-1, ... field-N, value-N.
			if fields, f = step("entry field count"); f != nil || broken {
				return info, 0, f
			}
			var name [20]byte
			for half := 0; half < 2; half++ {
				for j := int64(0); j < fields; j++ {
					if live {
						if (int64(half)*fields+j)%2 == 0 {
							name = curSHA
						} else {
							sd.field(&name, &curSHA)
						}
					}
					if f := move(); f != nil || broken {
						return info, 0, f
					}
				}
			}
			extra += fields + 1
		} else {
			for j := int64(0); j < fields; j++ {
				if live && j < int64(len(sd.master)) {
					sd.field(&sd.master[j], &curSHA)
				}
				if f := move(); f != nil || broken {
					return info, 0, f
				}
			}
		}
		lpCount, f := integer("entry lp-count")
		if f != nil {
			return info, 0, f
		}
		if lpCount != fields+extra {
			return info, 0, faultAt(it.pos, false, "stream listpack: an entry's lp-count is %d, its fields make %d", lpCount, fields+extra)
		}
		if f := move(); f != nil || broken {
			return info, 0, f
		}
	}
	if !atEOF {
		return info, 0, faultAt(it.pos, false, "stream listpack holds entries beyond the %d its master entry declares", count+deleted)
	}
	// Unlike lpValidateIntegrity, the stream walk does not require the end
	// byte it met to be the listpack's last byte.
	info.entries = it.n
	info.complete = true
	return info, count, nil
}

func firstEntryFault(f *fault) *fault {
	if f != nil {
		f.firstEntry = true
	}
	return f
}

// ---- intset ----

// intset mirrors intsetValidateIntegrity: the header, size and non-empty
// checks run on every load (shallow), the order check (sorted, no
// duplicates) only when sanitizing deeply.
func (c *checker) intset(r *blobReader) (walkInfo, *fault) {
	info := walkInfo{header: -1}
	size := r.size
	if size < 8 {
		return info, faultAt(0, true, "intset of %d bytes is shorter than its 8-byte header", size)
	}
	var hdr [8]byte
	if !r.read(hdr[:]) {
		return info, nil
	}
	enc := uint64(binary.LittleEndian.Uint32(hdr[:]))
	count := uint64(binary.LittleEndian.Uint32(hdr[4:]))
	info.header = int64(count)
	c.header(info.header)
	if enc != 2 && enc != 4 && enc != 8 {
		return info, faultAt(0, true, "intset encoding %d is not 2, 4 or 8", enc)
	}
	if 8+count*enc != size {
		return info, faultAt(4, true, "intset of %d %d-byte integers needs %d bytes, the string holds %d", count, enc, 8+count*enc, size)
	}
	if count == 0 {
		return info, faultAt(4, true, "intset holds no integers")
	}
	var b [8]byte
	var prev int64
	for i := uint64(0); i < count; i++ {
		if !r.read(b[:enc]) {
			return info, nil
		}
		var v int64
		switch enc {
		case 2:
			v = int64(int16(binary.LittleEndian.Uint16(b[:])))
		case 4:
			v = int64(int32(binary.LittleEndian.Uint32(b[:])))
		default:
			v = int64(binary.LittleEndian.Uint64(b[:]))
		}
		if c.em != nil {
			c.em.integer(v)
		}
		if i > 0 && v <= prev {
			info.entries = int64(i)
			f := faultAt(8+i*enc, false, "intset integer %d (%d) does not follow %d in ascending order", i, v, prev)
			f.dup = v == prev
			return info, f
		}
		prev = v
	}
	info.entries = int64(count)
	info.complete = true
	return info, nil
}

// ---- zipmap ----

// zipmap mirrors zipmapValidateIntegrity(deep=1), which the loader always
// runs, and the duplicate test of its conversion to a hash.
func (c *checker) zipmap(r *blobReader) (walkInfo, *fault) {
	info := walkInfo{header: -1}
	size := r.size
	if size < 2 {
		return info, faultAt(0, true, "zipmap of %d bytes is shorter than its count byte and end byte", size)
	}
	zmCount, ok := r.u8()
	if !ok {
		return info, nil
	}
	if zmCount < 254 {
		info.header = int64(zmCount)
	}
	c.hasher()
	c.set.reset()
	last := size - 1
	pos := uint64(1)
	var n int64
	var h [4]byte
	length := func(b0 byte) (uint64, bool) {
		if b0 < 254 {
			return uint64(b0), true
		}
		if !r.read(h[:]) {
			return 0, false
		}
		return uint64(binary.LittleEndian.Uint32(h[:])), true
	}
	for {
		b0, ok := r.u8()
		if !ok {
			return info, nil
		}
		if b0 == 0xff {
			break
		}
		s := uint64(1)
		if b0 >= 254 {
			s = 5
		}
		if pos+s > last {
			return info, faultAt(pos, false, "zipmap field %d at byte %d: its length runs into the end byte", n, pos)
		}
		l, ok := length(b0)
		if !ok {
			return info, nil
		}
		fieldAt := pos
		pos += s + l
		if pos > last {
			return info, faultAt(fieldAt, false, "zipmap field %d at byte %d: %d bytes run past the end byte", n, fieldAt, l)
		}
		c.h.reset()
		m := c.em
		if m != nil {
			m.begin()
		}
		if !c.readElem(r, l, true, m) {
			return info, nil
		}
		if m != nil {
			m.end()
		}
		c.fp = c.h.sum()
		if c.dupCheck(&info) {
			info.entries = n
			f := faultAt(fieldAt, false, "zipmap field %d at byte %d repeats an earlier field (Hash zipmap with dup elements)", n, fieldAt)
			f.dup = true
			return info, f
		}
		v0, ok := r.u8()
		if !ok {
			return info, nil
		}
		s = 1
		if v0 >= 254 {
			s = 5
		}
		if pos+s > last {
			return info, faultAt(pos, false, "zipmap value %d at byte %d: its length runs into the end byte", n, pos)
		}
		l, ok = length(v0)
		if !ok {
			return info, nil
		}
		pos += s
		free, ok := r.u8()
		if !ok {
			return info, nil
		}
		pos++
		valueAt := pos
		pos += l + uint64(free)
		n++
		if pos > last {
			return info, faultAt(valueAt, false, "zipmap value %d at byte %d: %d bytes and %d free bytes run past the end byte", n-1, valueAt, l, free)
		}
		if m != nil {
			m.begin()
			if !m.emitBytes(r, l) {
				return info, nil
			}
			m.end()
			l = 0
		}
		if !r.skip(l + uint64(free)) {
			return info, nil
		}
	}
	info.entries = n
	if n == 0 {
		return info, faultAt(0, false, "zipmap holds no fields")
	}
	if zmCount != 254 && uint64(zmCount) != uint64(n) {
		return info, faultAt(0, false, "zipmap count byte says %d fields, it holds %d", zmCount, n)
	}
	// Like the server, the walk stops at the first 0xFF where a field
	// would start; it need not be the last byte.
	info.complete = true
	return info, nil
}
