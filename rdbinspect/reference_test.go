package rdbinspect

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/maphash"
	"strconv"

	"github.com/aoftool/aoftool/internal/rdbdamage"
)

// In-memory validators translated line by line from the C sources
// (pointer arithmetic on a slice), as the reference the streaming checks
// are compared with: same input, same pass/fail, same shallow/deep split.
// They return ok and, for a failure, whether the header part (which the
// server always runs) failed.

func refZiplist(zl []byte, pairs bool) (ok, shallow bool) {
	size := len(zl)
	if size < 11 {
		return false, true
	}
	if int(binary.LittleEndian.Uint32(zl)) != size || zl[size-1] != 0xff {
		return false, true
	}
	tail := int(binary.LittleEndian.Uint32(zl[4:]))
	if tail > size-1 {
		return false, true
	}
	header := int(binary.LittleEndian.Uint16(zl[8:]))
	first, last := 10, size-1
	out := func(p int) bool { return p < first || p > last }
	p, prev, prevRaw, count := 10, -1, 0, 0
	seen := map[string]bool{}
	for zl[p] != 0xff {
		if out(p) {
			return false, false
		}
		pls := 1
		if zl[p] >= 254 {
			pls = 5
		}
		if out(p + pls) {
			return false, false
		}
		enc := zl[p+pls]
		if enc < 0xc0 {
			enc &= 0xc0
		}
		var ls, l int
		switch {
		case enc == 0:
			ls, l = 1, int(zl[p+pls]&0x3f)
		case enc == 0x40:
			ls = 2
		case enc == 0x80:
			ls = 5
		case enc == 0xc0:
			ls, l = 1, 2
		case enc == 0xd0:
			ls, l = 1, 4
		case enc == 0xe0:
			ls, l = 1, 8
		case enc == 0xf0:
			ls, l = 1, 3
		case enc == 0xfe:
			ls, l = 1, 1
		case enc >= 0xf1 && enc <= 0xfd:
			ls = 1
		default:
			return false, false
		}
		if out(p + pls + ls) {
			return false, false
		}
		switch ls {
		case 2:
			l = int(zl[p+pls]&0x3f)<<8 | int(zl[p+pls+1])
		case 5:
			l = int(binary.BigEndian.Uint32(zl[p+pls+1:]))
		}
		prevLen := int(zl[p])
		if pls == 5 {
			prevLen = int(binary.LittleEndian.Uint32(zl[p+1:]))
		}
		hs := pls + ls
		if out(p+hs+l) || out(p-prevLen) || prevLen != prevRaw {
			return false, false
		}
		if pairs && count%2 == 0 {
			var k string
			if enc < 0xc0 {
				k = string(zl[p+hs : p+hs+l])
			} else {
				k = strconv.FormatInt(ziplistInt(enc, zl[p+hs:p+hs+l]), 10)
			}
			if seen[k] {
				return false, false
			}
			seen[k] = true
		}
		prevRaw = hs + l
		prev = p
		p += hs + l
		count++
	}
	if p != size-1 || (prev >= 0 && prev != tail) || (header != 0xffff && count != header) || (pairs && count%2 != 0) {
		return false, false
	}
	return true, false
}

func refLpSizeBytes(b byte) int { return int(lpEncodedSizeBytes(b)) }

func refLpEntryLen(p []byte) int {
	b := p[0]
	switch {
	case b&0x80 == 0:
		return 1
	case b&0xc0 == 0x80:
		return 1 + int(b&0x3f)
	case b&0xe0 == 0xc0:
		return 2
	case b == 0xf1:
		return 3
	case b == 0xf2:
		return 4
	case b == 0xf3:
		return 5
	case b == 0xf4:
		return 9
	case b&0xf0 == 0xe0:
		return 2 + (int(b&0x0f)<<8 | int(p[1]))
	case b == 0xf0:
		return 5 + int(binary.LittleEndian.Uint32(p[1:]))
	}
	return 1
}

// refLpNext is lpValidateNext: the offset of the next entry, -1 at the end
// byte, -2 on a fault.
func refLpNext(lp []byte, p int) int {
	size := len(lp)
	out := func(q int) bool { return q < 6 || q > size-1 }
	if out(p) {
		return -2
	}
	if lp[p] == 0xff {
		return -1
	}
	lb := refLpSizeBytes(lp[p])
	if lb == 0 || out(p+lb) {
		return -2
	}
	el := refLpEntryLen(lp[p:])
	bl := int(lpBacklenSize(uint64(el)))
	if out(p + el + bl) {
		return -2
	}
	q := p + el + bl
	var val, shift uint64
	for i := q - 1; ; i-- {
		val |= uint64(lp[i]&127) << shift
		if lp[i]&128 == 0 {
			break
		}
		shift += 7
		if shift > 28 {
			val = ^uint64(0)
			break
		}
	}
	if val+uint64(bl) != uint64(el+bl) {
		return -2
	}
	return q
}

// refLpGet is lpGet with an integer buffer: the entry's text.
func refLpGet(lp []byte, p int) (string, bool, int64) {
	b := lp[p]
	switch {
	case b&0xc0 == 0x80:
		return string(lp[p+1 : p+1+int(b&0x3f)]), false, 0
	case b&0xf0 == 0xe0:
		n := int(b&0x0f)<<8 | int(lp[p+1])
		return string(lp[p+2 : p+2+n]), false, 0
	case b == 0xf0:
		n := int(binary.LittleEndian.Uint32(lp[p+1:]))
		return string(lp[p+5 : p+5+n]), false, 0
	case b == 0xff:
		v := int64(12345678900000000 + 0xff)
		return strconv.FormatInt(v, 10), true, v
	}
	v := lpInt(b, lp[p+1:p+refLpEntryLen(lp[p:])])
	return strconv.FormatInt(v, 10), true, v
}

func refListpack(lp []byte, tuple int, ttl bool) (ok, shallow bool) {
	size := len(lp)
	if size < 7 || int(binary.LittleEndian.Uint32(lp)) != size || lp[size-1] != 0xff {
		return false, true
	}
	numele := int(binary.LittleEndian.Uint16(lp[4:]))
	p, count := 6, 0
	seen := map[string]bool{}
	lastExpire := int64(-1)
	for p >= 0 && lp[p] != 0xff {
		q := refLpNext(lp, p)
		if q == -2 {
			return false, false
		}
		if tuple > 0 {
			text, isInt, v := refLpGet(lp, p)
			switch count % tuple {
			case 0:
				if seen[text] {
					return false, false
				}
				seen[text] = true
			case 2:
				if ttl {
					if !isInt {
						var good bool
						if v, good = string2ll([]byte(text)); !good {
							return false, false
						}
					}
					if v < 0 || v > ebExpireTimeMax || (v != 0 && (lastExpire == 0 || v < lastExpire)) {
						return false, false
					}
					lastExpire = v
				}
			}
		}
		p = q
		count++
	}
	if p != size-1 || (numele != 0xffff && numele != count) || (tuple > 1 && count%tuple != 0) {
		return false, false
	}
	return true, false
}

func refStream(lp []byte) (ok, shallow bool) {
	size := len(lp)
	if size < 7 || int(binary.LittleEndian.Uint32(lp)) != size || lp[size-1] != 0xff {
		return false, true
	}
	const null = -1
	// validateNext on the C pointer pair: next == null is NULL.
	vnext := func(next *int) bool {
		if *next == null {
			return false
		}
		q := refLpNext(lp, *next)
		if q == -2 {
			return false
		}
		*next = q // -1 (end byte reached) becomes NULL
		return true
	}
	p := 6
	if lp[6] == 0xff {
		return false, false
	}
	next := p
	if !vnext(&next) {
		return false, false
	}
	integer := func(p int) (int64, bool) {
		text, isInt, v := refLpGet(lp, p)
		if isInt {
			return v, true
		}
		return string2ll([]byte(text))
	}
	step := func() bool {
		if next == null {
			return false
		}
		p = next
		return vnext(&next)
	}
	entryCount, ok1 := integer(p)
	if !ok1 || !step() {
		return false, false
	}
	deleted, ok1 := integer(p)
	if !ok1 || !step() {
		return false, false
	}
	masterFields, ok1 := integer(p)
	if !ok1 || !step() {
		return false, false
	}
	for j := int64(0); j < masterFields; j++ {
		if !step() {
			return false, false
		}
	}
	if z, ok1 := integer(p); !ok1 || z != 0 || !step() {
		return false, false
	}
	for ec := entryCount + deleted; ec != 0; ec-- {
		fields, extra := masterFields, int64(3)
		flags, ok1 := integer(p)
		if !ok1 || !step() {
			return false, false
		}
		for range 2 {
			if _, ok1 := integer(p); !ok1 || !step() {
				return false, false
			}
		}
		if flags&2 == 0 {
			if fields, ok1 = integer(p); !ok1 || !step() {
				return false, false
			}
			for j := int64(0); j < fields; j++ {
				if !step() {
					return false, false
				}
			}
			extra += fields + 1
		}
		for j := int64(0); j < fields; j++ {
			if !step() {
				return false, false
			}
		}
		lpCount, ok1 := integer(p)
		if !ok1 || lpCount != fields+extra || !step() {
			return false, false
		}
	}
	return next == null, false
}

func refIntset(is []byte) (ok, shallow bool) {
	if len(is) < 8 {
		return false, true
	}
	enc := int(binary.LittleEndian.Uint32(is))
	n := uint64(binary.LittleEndian.Uint32(is[4:]))
	if enc != 2 && enc != 4 && enc != 8 {
		return false, true
	}
	if 8+n*uint64(enc) != uint64(len(is)) || n == 0 {
		return false, true
	}
	vals := rdbdamage.IntsetValues(is)
	for i := 1; i < len(vals); i++ {
		if vals[i] <= vals[i-1] {
			return false, false
		}
	}
	return true, false
}

func refZipmap(zm []byte) (ok, shallow bool) {
	size := len(zm)
	if size < 2 || zm[size-1] != 0xff {
		return false, true
	}
	out := func(p int) bool { return p < 2 || p > size-1 }
	dec := func(p int) int {
		if zm[p] < 254 {
			return int(zm[p])
		}
		return int(binary.LittleEndian.Uint32(zm[p+1:]))
	}
	sz := func(p int) int {
		if zm[p] < 254 {
			return 1
		}
		return 5
	}
	p, count := 1, 0
	seen := map[string]bool{}
	for zm[p] != 0xff {
		s := sz(p)
		if out(p + s) {
			return false, false
		}
		l := dec(p)
		f := p + s
		p += s + l
		if out(p) {
			return false, false
		}
		if seen[string(zm[f:p])] {
			return false, false
		}
		seen[string(zm[f:p])] = true
		s = sz(p)
		if out(p + s) {
			return false, false
		}
		l = dec(p)
		p += s
		e := int(zm[p])
		p++
		p += l + e
		count++
		if out(p) {
			return false, false
		}
	}
	if count == 0 || (zm[0] != 254 && int(zm[0]) != count) {
		return false, false
	}
	return true, false
}

// Container kinds the streaming checks are run on by checkBlob.
const (
	kindZiplist = iota
	kindZiplistPairs
	kindListpack
	kindListpackPairs
	kindListpackSet
	kindListpackTTL
	kindStream
	kindIntset
	kindZipmap
	numKinds
)

// reference runs the in-memory validator of a kind.
func reference(kind int, blob []byte) (ok, shallow bool) {
	switch kind {
	case kindZiplist, kindZiplistPairs:
		return refZiplist(blob, kind == kindZiplistPairs)
	case kindListpack:
		return refListpack(blob, 0, false)
	case kindListpackPairs:
		return refListpack(blob, 2, false)
	case kindListpackSet:
		return refListpack(blob, 1, false)
	case kindListpackTTL:
		return refListpack(blob, 3, true)
	case kindStream:
		return refStream(blob)
	case kindIntset:
		return refIntset(blob)
	}
	return refZipmap(blob)
}

// checkBlob runs the streaming check of a kind on blob, stored as a plain
// RDB string (lzf false) or LZF-compressed with literal runs only, read
// through blocks of pipeBlock bytes.
func checkBlob(kind int, blob []byte, lzf bool) (walkInfo, *fault, bool) {
	var in []byte
	if lzf && len(blob) > 0 {
		var comp []byte
		for i := 0; i < len(blob); i += 32 {
			run := blob[i:min(i+32, len(blob))]
			comp = append(comp, byte(len(run)-1))
			comp = append(comp, run...)
		}
		in = append([]byte{0xc3}, rdbdamage.Length(uint64(len(comp)))...)
		in = append(in, rdbdamage.Length(uint64(len(blob)))...)
		in = append(in, comp...)
	} else {
		in = rdbdamage.String(blob)
	}
	p := newPipeline(context.Background(), bytes.NewReader(in), int64(len(in)), 0, 1, nil)
	defer p.close()
	w := newWalker(context.Background(), p, bytes.NewReader(in), 0, int64(len(in)), 10, maphash.MakeSeed(), Options{})
	r := &w.br
	if !w.openString(r, "blob") {
		return walkInfo{}, nil, false
	}
	var info walkInfo
	var f *fault
	endFF := true
	switch kind {
	case kindZiplist, kindZiplistPairs:
		info, f = w.chk.ziplist(r, kind == kindZiplistPairs)
	case kindListpack:
		info, f = w.chk.listpack(r, lpMode{})
	case kindListpackPairs:
		info, f = w.chk.listpack(r, lpMode{tuple: 2})
	case kindListpackSet:
		info, f = w.chk.listpack(r, lpMode{tuple: 1})
	case kindListpackTTL:
		info, f = w.chk.listpack(r, lpMode{tuple: 3, ttl: true})
	case kindStream:
		info, _, f = w.chk.streamListpack(r)
	case kindIntset:
		info, f = w.chk.intset(r)
		endFF = false
	default:
		info, f = w.chk.zipmap(r)
	}
	last, good := r.drain()
	if !good || w.err != nil {
		return info, f, false
	}
	if endFF && last != 0xff && (f == nil || !f.shallow) && r.size > 0 {
		f = faultAt(r.size-1, true, "no end byte")
	}
	return info, f, true
}
