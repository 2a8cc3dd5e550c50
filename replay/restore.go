package replay

import (
	"encoding/binary"
	"math"
	"strconv"
)

// A DUMP payload (what RESTORE carries) is an RDB object: the type byte,
// the value as rdbSaveObject writes it, the RDB version (2 bytes) and a
// CRC-64 (8 bytes). payload decodes the encodings a 7.0 server writes for
// strings, lists, sets, sorted sets and hashes into the key's contents;
// streams and modules only by type. Every length is checked against the
// bytes that remain; a collection larger than max keeps its count only.
// The checksum is not verified: the server wrote the RESTORE, so it
// accepted the payload.

type payload struct {
	t       Type
	n       int64 // elements (bytes of a string); -1 unknown
	members []string
	scores  []float64
}

type rdbReader struct {
	b   []byte
	bad bool
}

func (r *rdbReader) take(n uint64) []byte {
	if r.bad || n > uint64(len(r.b)) {
		r.bad = true
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *rdbReader) byte1() byte {
	if p := r.take(1); p != nil {
		return p[0]
	}
	return 0
}

// length reads an RDB length (src/rdb.c rdbLoadLenByRef); enc reports the
// special string encodings (11xxxxxx), whose kind is then the value.
func (r *rdbReader) length() (n uint64, enc bool) {
	b := r.byte1()
	switch b >> 6 {
	case 0:
		return uint64(b & 0x3f), false
	case 1:
		return uint64(b&0x3f)<<8 | uint64(r.byte1()), false
	case 2:
		switch b {
		case 0x80:
			if p := r.take(4); p != nil {
				return uint64(binary.BigEndian.Uint32(p)), false
			}
		case 0x81:
			if p := r.take(8); p != nil {
				return binary.BigEndian.Uint64(p), false
			}
		default:
			r.bad = true
		}
		return 0, false
	}
	return uint64(b & 0x3f), true
}

// str reads an RDB string: raw, an integer, or LZF-compressed.
func (r *rdbReader) str() []byte {
	n, enc := r.length()
	if !enc {
		return r.take(n)
	}
	switch n {
	case 0:
		return []byte(strconv.Itoa(int(int8(r.byte1()))))
	case 1:
		if p := r.take(2); p != nil {
			return []byte(strconv.Itoa(int(int16(binary.LittleEndian.Uint16(p)))))
		}
	case 2:
		if p := r.take(4); p != nil {
			return []byte(strconv.Itoa(int(int32(binary.LittleEndian.Uint32(p)))))
		}
	case 3:
		clen, _ := r.length()
		ulen, _ := r.length()
		in := r.take(clen)
		if r.bad || ulen > 64*uint64(len(in))+64 {
			r.bad = true
			return nil
		}
		out, ok := lzfDecompress(in, int(ulen))
		if !ok {
			r.bad = true
		}
		return out
	default:
		r.bad = true
	}
	return nil
}

// lzfDecompress is liblzf's lzf_decompress, into exactly ulen bytes.
func lzfDecompress(in []byte, ulen int) ([]byte, bool) {
	out := make([]byte, 0, ulen)
	for i := 0; i < len(in); {
		ctrl := int(in[i])
		i++
		if ctrl < 32 {
			n := ctrl + 1
			if i+n > len(in) || len(out)+n > ulen {
				return nil, false
			}
			out = append(out, in[i:i+n]...)
			i += n
			continue
		}
		n := ctrl >> 5
		if n == 7 {
			if i >= len(in) {
				return nil, false
			}
			n += int(in[i])
			i++
		}
		if i >= len(in) {
			return nil, false
		}
		back := len(out) - ((ctrl&0x1f)<<8 | int(in[i])) - 1
		i++
		n += 2
		if back < 0 || len(out)+n > ulen {
			return nil, false
		}
		for k := 0; k < n; k++ {
			out = append(out, out[back+k])
		}
	}
	return out, len(out) == ulen
}

// listpack reads a listpack blob (src/listpack.c): how many entries it
// holds, and the first max of them as strings.
func listpack(b []byte, max int) ([]string, int, bool) {
	if len(b) < 7 || int(binary.LittleEndian.Uint32(b)) != len(b) {
		return nil, 0, false
	}
	var out []string
	count := 0
	p := b[6:]
	for len(p) > 0 {
		e := p[0]
		var v []byte
		var size int
		switch {
		case e == 0xff:
			return out, count, len(p) == 1
		case e&0x80 == 0:
			v, size = []byte(strconv.Itoa(int(e&0x7f))), 1
		case e&0xc0 == 0x80:
			size = 1 + int(e&0x3f)
			if size > len(p) {
				return nil, 0, false
			}
			v = p[1:size]
		case e&0xe0 == 0xc0:
			if len(p) < 2 {
				return nil, 0, false
			}
			x := int(e&0x1f)<<8 | int(p[1])
			if x >= 1<<12 {
				x -= 1 << 13
			}
			v, size = []byte(strconv.Itoa(x)), 2
		case e&0xf0 == 0xe0:
			if len(p) < 2 {
				return nil, 0, false
			}
			size = 2 + (int(e&0x0f)<<8 | int(p[1]))
			if size > len(p) {
				return nil, 0, false
			}
			v = p[2:size]
		case e == 0xf0:
			if len(p) < 5 {
				return nil, 0, false
			}
			l := binary.LittleEndian.Uint32(p[1:])
			if uint64(l)+5 > uint64(len(p)) {
				return nil, 0, false
			}
			size = 5 + int(l)
			v = p[5:size]
		case e >= 0xf1 && e <= 0xf4:
			w := map[byte]int{0xf1: 2, 0xf2: 3, 0xf3: 4, 0xf4: 8}[e]
			if len(p) < 1+w {
				return nil, 0, false
			}
			var u uint64
			for k := w; k >= 1; k-- {
				u = u<<8 | uint64(p[k])
			}
			x := int64(u<<(64-8*w)) >> (64 - 8*w) // sign-extended
			v, size = []byte(strconv.FormatInt(x, 10)), 1+w
		default:
			return nil, 0, false
		}
		// The entry's length, written backwards after it.
		back := 1
		switch {
		case size >= 268435455:
			back = 5
		case size >= 2097151:
			back = 4
		case size >= 16383:
			back = 3
		case size > 127:
			back = 2
		}
		if size+back > len(p) {
			return nil, 0, false
		}
		if len(out) < max {
			out = append(out, string(v))
		}
		count++
		p = p[size+back:]
	}
	return nil, 0, false
}

// decodePayload reads a DUMP payload; ok is false when it cannot say even
// the type.
func decodePayload(b []byte, max int) (payload, bool) {
	if len(b) < 11 {
		return payload{}, false
	}
	r := &rdbReader{b: b[1 : len(b)-10]}
	p := payload{n: -1}
	switch b[0] {
	case 0:
		p.t = TypeString
		if s := r.str(); !r.bad {
			p.n = int64(len(s))
		}
		return p, true
	case 15, 19:
		p.t = TypeStream
		return p, true
	case 6, 7:
		p.t = TypeModule
		return p, true
	case 1, 10, 14:
		p.t = TypeList
		return p, true // old list encodings: type only
	case 18: // quicklist 2: nodes of listpacks (PACKED) or single elements (PLAIN)
		p.t = TypeList
		nodes, _ := r.length()
		if nodes > uint64(len(r.b)) {
			return p, true
		}
		count := 0
		for i := uint64(0); i < nodes && !r.bad; i++ {
			container, _ := r.length()
			s := r.str()
			if container == 1 {
				p.members = append(p.members, string(s))
				count++
				continue
			}
			es, n, ok := listpack(s, max+1-min(len(p.members), max+1))
			if !ok {
				return payload{t: TypeList, n: -1}, true
			}
			p.members = append(p.members, es...)
			count += n
		}
		if r.bad || len(r.b) != 0 || count == 0 {
			return payload{t: TypeList, n: -1}, true
		}
		p.n = int64(count)
		if count > max || len(p.members) != count {
			p.members = nil
		}
		return p, true
	case 2, 3, 4, 5: // set, zset, zset2, hash: a count, then elements
		p.t = map[byte]Type{2: TypeSet, 3: TypeZSet, 4: TypeHash, 5: TypeZSet}[b[0]]
		n, _ := r.length()
		if n > uint64(len(r.b)) {
			return payload{t: p.t, n: -1}, true
		}
		for i := uint64(0); i < n && !r.bad; i++ {
			e := string(r.str())
			switch b[0] {
			case 3:
				if l := r.byte1(); l < 253 {
					v, err := strconv.ParseFloat(string(r.take(uint64(l))), 64)
					if err != nil {
						r.bad = true
					}
					p.scores = append(p.scores, v)
				} else {
					p.scores = append(p.scores, [...]float64{math.NaN(), math.Inf(1), math.Inf(-1)}[l-253])
				}
			case 5:
				if s := r.take(8); s != nil {
					p.scores = append(p.scores, math.Float64frombits(binary.LittleEndian.Uint64(s)))
				}
			case 4:
				r.str()
			}
			p.members = append(p.members, e)
		}
	case 11: // intset
		p.t = TypeSet
		s := r.str()
		if r.bad || len(s) < 8 {
			return payload{t: TypeSet, n: -1}, true
		}
		w, n := binary.LittleEndian.Uint32(s), binary.LittleEndian.Uint32(s[4:])
		if w != 2 && w != 4 && w != 8 || uint64(w)*uint64(n) != uint64(len(s)-8) {
			return payload{t: TypeSet, n: -1}, true
		}
		for i := 0; i < int(n); i++ {
			v := s[8+i*int(w):]
			var x int64
			switch w {
			case 2:
				x = int64(int16(binary.LittleEndian.Uint16(v)))
			case 4:
				x = int64(int32(binary.LittleEndian.Uint32(v)))
			default:
				x = int64(binary.LittleEndian.Uint64(v))
			}
			p.members = append(p.members, strconv.FormatInt(x, 10))
		}
	case 16, 17, 20: // hash, zset, set (7.2) as a listpack
		p.t = map[byte]Type{16: TypeHash, 17: TypeZSet, 20: TypeSet}[b[0]]
		per := 2
		if b[0] == 20 {
			per = 1
		}
		es, n, ok := listpack(r.str(), per*(max+1))
		if r.bad || !ok || n%per != 0 || len(r.b) != 0 || n == 0 {
			return payload{t: p.t, n: -1}, true
		}
		if len(es) < n {
			return payload{t: p.t, n: int64(n / per)}, true
		}
		if b[0] == 20 {
			p.members = es
			break
		}
		for i := 0; i+1 < len(es); i += 2 {
			p.members = append(p.members, es[i])
			if b[0] == 17 {
				v, err := strconv.ParseFloat(es[i+1], 64)
				if err != nil {
					return payload{t: p.t, n: -1}, true
				}
				p.scores = append(p.scores, v)
			}
		}
	default:
		p.t = TypeUnknown
		return p, true
	}
	if r.bad || len(r.b) != 0 || len(p.members) == 0 {
		return payload{t: p.t, n: -1}, true
	}
	p.n = int64(len(p.members))
	if len(p.members) > max {
		p.members, p.scores = nil, nil
	}
	return p, true
}
