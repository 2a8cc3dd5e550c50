package rdbinspect

import (
	"encoding/binary"
	"hash/maphash"
	"strconv"
)

// String encodings of an RDB string object (rdbGenericLoadStringObject).
const (
	strRaw = iota
	strInt
	strLZF
)

// lzfBatch is how much LZF output is decoded before it is handed to the
// reader. Back-references reach 8 KiB behind the output and the window is
// 16 KiB, so a batch (plus one 264-byte back-reference) never overwrites
// bytes a later back-reference needs.
const lzfBatch = 4 << 10

// blobReader hands out the plain bytes of one RDB string in chunks, however
// it is encoded: a raw string straight from the scanner's blocks, an integer
// as its decimal text, an LZF string through the walker's 16 KiB window. A
// container check pulls bytes from it as the server's validator walks its
// buffer, so a listpack of hundreds of megabytes is checked without being
// held in memory.
type blobReader struct {
	w    *walker
	what string
	enc  int
	size uint64 // plain length
	got  uint64 // plain bytes handed out, including cur
	cur  []byte // handed out, not yet consumed
	// fileAt is the file offset of plain byte 0 for a raw string, -1 for
	// an encoded one (whose bytes have no file offset).
	fileAt int64
	last   byte // last byte handed out
	failed bool // the string itself is broken; w.err is set

	intText [24]byte

	// LZF: the compressed input ends at lzEnd; op bytes were decoded,
	// flushed of them handed out.
	lzEnd   int64
	op      uint64
	flushed uint64
	// count: decode without producing output, for a string only checked.
	count bool
}

// openString reads the header of the string at the scanner and sets r up
// to deliver its plain bytes. It returns false when the header is broken
// (w.err says why).
func (w *walker) openString(r *blobReader, what string) bool {
	*r = blobReader{w: w, what: what, fileAt: -1}
	at := w.s.off()
	n, enc := w.length(what)
	if w.err != nil {
		r.failed = true
		return false
	}
	if !enc {
		if !w.claim(n, 1, at, what) {
			r.failed = true
			return false
		}
		r.enc, r.size, r.fileAt = strRaw, n, w.s.off()
		return true
	}
	switch n {
	case 0, 1, 2:
		size := 1 << n
		if !w.need(size, what) {
			r.failed = true
			return false
		}
		var v int64
		switch n {
		case 0:
			v = int64(int8(w.s.buf[w.s.i]))
		case 1:
			v = int64(int16(binary.LittleEndian.Uint16(w.s.buf[w.s.i:])))
		case 2:
			v = int64(int32(binary.LittleEndian.Uint32(w.s.buf[w.s.i:])))
		}
		w.s.i += size
		t := strconv.AppendInt(r.intText[:0], v, 10)
		r.enc, r.size = strInt, uint64(len(t))
		return true
	case 3:
		cat := w.s.off()
		clen, _ := w.length("LZF compressed length")
		ulen, _ := w.length("LZF plain length")
		if w.err != nil || !w.claim(clen, 1, at, what) {
			r.failed = true
			return false
		}
		if clen == 0 || ulen == 0 {
			w.fail(ErrInvalidEncoding, cat, "%s: LZF string with %d compressed and %d plain bytes", what, clen, ulen)
			r.failed = true
			return false
		}
		r.enc, r.size, r.lzEnd = strLZF, ulen, w.s.off()+int64(clen)
		return true
	}
	w.fail(ErrInvalidEncoding, at, "%s: unknown string encoding %d", what, n)
	r.failed = true
	return false
}

// pos is the plain offset of the next byte the reader will consume.
func (r *blobReader) pos() uint64 { return r.got - uint64(len(r.cur)) }

// left is how many plain bytes remain unconsumed.
func (r *blobReader) left() uint64 { return r.size - r.pos() }

// more makes r.cur non-empty; false at the end of the string or when the
// string is broken.
func (r *blobReader) more() bool {
	if len(r.cur) > 0 {
		return true
	}
	if r.failed || r.got >= r.size {
		return false
	}
	w := r.w
	switch r.enc {
	case strInt:
		r.cur = r.intText[:r.size]
	case strRaw:
		s := w.s
		if s.i >= s.n && !w.need(1, r.what) {
			r.failed = true
			return false
		}
		k := min(uint64(s.n-s.i), r.size-r.got)
		r.cur = s.buf[s.i : s.i+int(k)]
		s.i += int(k)
	case strLZF:
		if r.flushed == r.op && !r.decode() {
			r.failed = true
			return false
		}
		const mask = len(w.ring) - 1
		from := int(r.flushed) & mask
		k := min(r.op-r.flushed, uint64(len(w.ring)-from))
		r.cur = w.ring[from : from+int(k)]
		r.flushed += k
	}
	r.got += uint64(len(r.cur))
	r.last = r.cur[len(r.cur)-1]
	return true
}

// decode runs the LZF decoder (src/lzf_d.c) for about one batch of output,
// with the checks rdbLoadLzfStringObject relies on: the block decodes to
// exactly the declared plain length using exactly its compressed bytes.
func (r *blobReader) decode() bool {
	w := r.w
	const mask = len(w.ring) - 1
	ulen, end := r.size, r.lzEnd
	op := r.op
	bad := func(why string) bool {
		w.fail(ErrInvalidEncoding, w.s.off(), "%s: invalid LZF compressed string (%s)", r.what, why)
		return false
	}
	for op-r.flushed < lzfBatch {
		if w.s.off() >= end {
			if op != ulen {
				w.fail(ErrInvalidEncoding, end, "%s: invalid LZF compressed string (decodes to %d bytes, %d declared)", r.what, op, ulen)
				return false
			}
			break
		}
		if !w.need(1, r.what) {
			return false
		}
		ctrl := uint64(w.s.u8())
		if ctrl < 32 {
			run := ctrl + 1
			if op+run > ulen {
				return bad("output longer than declared")
			}
			if w.s.off()+int64(run) > end {
				return bad("literal run past the end of the block")
			}
			if !w.need(int(run), r.what) {
				return false
			}
			if r.count {
				op += run
			} else {
				for _, c := range w.s.buf[w.s.i : w.s.i+int(run)] {
					w.ring[int(op)&mask] = c
					op++
				}
			}
			w.s.i += int(run)
			continue
		}
		l := ctrl >> 5
		dist := (ctrl&0x1f)<<8 + 1
		if w.s.off() >= end {
			return bad("back-reference cut at the end of the block")
		}
		if l == 7 {
			if !w.need(1, r.what) {
				return false
			}
			l += uint64(w.s.u8())
			if w.s.off() >= end {
				return bad("back-reference cut at the end of the block")
			}
		}
		if !w.need(1, r.what) {
			return false
		}
		dist += uint64(w.s.u8())
		if op+l+2 > ulen {
			return bad("output longer than declared")
		}
		if dist > op {
			return bad("back-reference before the start of the output")
		}
		if r.count {
			op += l + 2
			continue
		}
		for range l + 2 {
			w.ring[int(op)&mask] = w.ring[int(op-dist)&mask]
			op++
		}
	}
	r.op = op
	if op == ulen && w.s.off() != end {
		// The output is complete but compressed bytes remain: lzf_decompress
		// would run out of output space on them.
		return bad("output longer than declared")
	}
	return op > r.flushed
}

// u8 consumes one byte.
func (r *blobReader) u8() (byte, bool) {
	if !r.more() {
		return 0, false
	}
	b := r.cur[0]
	r.cur = r.cur[1:]
	return b, true
}

// read fills p; false when the string ends first.
func (r *blobReader) read(p []byte) bool {
	for len(p) > 0 {
		if !r.more() {
			return false
		}
		k := copy(p, r.cur)
		r.cur = r.cur[k:]
		p = p[k:]
	}
	return true
}

// skip consumes n bytes; a raw string skips whole blocks unseen.
func (r *blobReader) skip(n uint64) bool {
	for n > 0 {
		if k := uint64(len(r.cur)); k > 0 {
			k = min(k, n)
			r.cur = r.cur[k:]
			n -= k
			continue
		}
		if r.enc == strRaw && !r.failed && r.got+n <= r.size && n > 1 && n > uint64(r.w.s.n-r.w.s.i) {
			// Jump to the last byte to skip, so the last byte handed out
			// stays right.
			s := r.w.s
			s.skip(n - 1)
			r.got += n - 1
			n = 1
			if s.ioErr != nil {
				r.w.fail(errIO{s.ioErr}, s.off(), "%v", s.ioErr)
				r.failed = true
				return false
			}
		}
		if !r.more() {
			return false
		}
	}
	return true
}

// check consumes a string nobody reads: an LZF block is decoded without
// output, only to check it; false when the string is broken.
func (r *blobReader) check() bool {
	if r.enc == strLZF && r.got == 0 {
		r.count = true
		for r.op < r.size || r.w.s.off() < r.lzEnd {
			r.flushed = r.op
			if !r.decode() {
				r.failed = true
				return false
			}
		}
		r.got = r.size
		return true
	}
	_, ok := r.drain()
	return ok
}

// drain consumes the rest of the string and returns its last byte; false
// when the string itself is broken (a cut file, bad LZF).
func (r *blobReader) drain() (last byte, ok bool) {
	if r.left() > 0 && !r.skip(r.left()) {
		return 0, false
	}
	if r.failed {
		return 0, false
	}
	return r.last, true
}

// fileOffset is the file offset of plain byte p of a raw string, or -1.
func (r *blobReader) fileOffset(p uint64) int64 {
	if r.fileAt < 0 {
		return -1
	}
	return r.fileAt + int64(p)
}

// fingerprint is a 128-bit hash of one element, taken with two independent
// seeds: a duplicate test on 2^18 elements has a false match probability
// near 2^-93, far below anything a disk can do to a file.
type fingerprint struct{ a, b uint64 }

// hasher computes fingerprints of elements delivered whole (of) or in
// pieces (reset, write, sum); both give the same fingerprint for the same
// bytes. Elements of up to 16 bytes (most fields, members and integers)
// take the two-multiplication hash of short key names under two seeds;
// longer ones maphash (Bytes equals Write then Sum64 under one seed).
type hasher struct {
	s1, s2 maphash.Seed
	k1, k2 uint64 // seeds of the short hash
	h1, h2 maphash.Hash
	short  [16]byte // the first bytes written, while they fit
	n      int      // bytes written since reset
}

func newHasher() *hasher {
	h := &hasher{s1: maphash.MakeSeed(), s2: maphash.MakeSeed()}
	h.h1.SetSeed(h.s1)
	h.h2.SetSeed(h.s2)
	h.k1 = maphash.String(h.s1, "short elements") | 1
	h.k2 = maphash.String(h.s2, "short elements") | 1
	return h
}

func (h *hasher) of(p []byte) fingerprint {
	if len(p) <= len(h.short) {
		return fingerprint{shortHash(h.k1, p), shortHash(h.k2, p)}
	}
	return fingerprint{maphash.Bytes(h.s1, p), maphash.Bytes(h.s2, p)}
}

func (h *hasher) reset() { h.h1.Reset(); h.h2.Reset(); h.n = 0 }
func (h *hasher) write(p []byte) {
	if h.n+len(p) <= len(h.short) {
		copy(h.short[h.n:], p)
	}
	h.n += len(p)
	h.h1.Write(p)
	h.h2.Write(p)
}
func (h *hasher) sum() fingerprint {
	if h.n <= len(h.short) {
		return h.of(h.short[:h.n])
	}
	return fingerprint{h.h1.Sum64(), h.h2.Sum64()}
}

// maxDupElements bounds the duplicate check of one collection: the server
// converts containers far smaller than this, and the table stays within
// 8 MiB. A larger collection is reported as not checked for duplicates.
const maxDupElements = 1 << 18

// dupSet is an open-addressing set of fingerprints, reused for every
// collection.
type dupSet struct {
	slots []fingerprint
	n     int
	full  bool // more than maxDupElements were offered
}

func (d *dupSet) reset() {
	if d.n > 0 {
		if len(d.slots) > 1<<12 {
			d.slots = nil
		} else {
			clear(d.slots)
		}
	}
	d.n, d.full = 0, false
}

// add inserts f and reports whether it was already present. Past the cap
// it reports false and marks the set full.
func (d *dupSet) add(f fingerprint) bool {
	if f == (fingerprint{}) {
		f.b = 1 // the zero value marks an empty slot
	}
	if d.n >= maxDupElements {
		d.full = true
		return false
	}
	if 2*(d.n+1) > len(d.slots) {
		d.grow()
	}
	mask := uint64(len(d.slots) - 1)
	for i := f.a & mask; ; i = (i + 1) & mask {
		switch d.slots[i] {
		case fingerprint{}:
			d.slots[i] = f
			d.n++
			return false
		case f:
			return true
		}
	}
}

func (d *dupSet) grow() {
	old := d.slots
	n := max(64, 2*len(old))
	d.slots = make([]fingerprint, n)
	d.n = 0
	mask := uint64(n - 1)
	for _, f := range old {
		if f == (fingerprint{}) {
			continue
		}
		i := f.a & mask
		for d.slots[i] != (fingerprint{}) {
			i = (i + 1) & mask
		}
		d.slots[i] = f
		d.n++
	}
}
