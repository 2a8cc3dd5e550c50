package rdbdamage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
)

// Span is one RDB string of a value: where its encoding starts and ends in
// the file, and its plain bytes (an integer as its decimal text, LZF
// decompressed).
type Span struct {
	Start, End int
	Plain      []byte
}

// Fixed is a fixed-size field of a value (a stream PEL entry's ID, a
// binary zset score): its offset and length.
type Fixed struct{ Off, Len int }

// Record is one key of the file.
type Record struct {
	// Start is the offset of the record's first opcode (its expire, if
	// any); End is just past its value.
	Start, End int
	DB         uint64
	Type       byte
	Key        string
	// ExpireMS is the offset of the 8 bytes of an EXPIRETIME_MS, -1 without.
	ExpireMS int
	// TypeAt is the offset of the type byte; ValueStart follows the key.
	TypeAt, ValueStart int
	// Strings are the value's strings in file order: the container of a
	// ziplist/listpack/intset/zipmap value, the nodes of a quicklist, the
	// elements (and for hashes the values) of a plain collection, the node
	// keys and listpacks of a stream.
	Strings []Span
	// Stream is set for stream values.
	Stream *Stream
}

// Stream locates the parts of a stream value that damage builders change.
type Stream struct {
	Nodes  []Span // node key, listpack, node key, listpack, ...
	Length Fixed  // the length field (an RDB length, Len bytes)
	Groups []Group
}

// Group is one consumer group.
type Group struct {
	Name      Span
	PEL       []Fixed // 16-byte IDs of the group's pending entries
	PELCount  Fixed   // the PEL size field
	Consumers []Consumer
}

// Consumer is one consumer of a group.
type Consumer struct {
	Name     Span
	PEL      []Fixed // 16-byte IDs it owns
	PELCount Fixed
}

// File is a parsed RDB.
type File struct {
	Data    []byte
	Version int
	Records []*Record
	// EOF is the offset of the EOF opcode.
	EOF int
}

// Record returns the record of a key, or nil.
func (f *File) Record(key string) *Record {
	for _, r := range f.Records {
		if r.Key == key {
			return r
		}
	}
	return nil
}

var errShort = errors.New("rdbdamage: file ends early")

type reader struct {
	b   []byte
	pos int
}

func (r *reader) byte() (byte, error) {
	if r.pos >= len(r.b) {
		return 0, errShort
	}
	r.pos++
	return r.b[r.pos-1], nil
}

func (r *reader) skip(n int) error {
	if n < 0 || n > len(r.b)-r.pos {
		return errShort
	}
	r.pos += n
	return nil
}

func (r *reader) length() (uint64, bool, error) {
	b0, err := r.byte()
	if err != nil {
		return 0, false, err
	}
	switch b0 >> 6 {
	case 0:
		return uint64(b0 & 0x3f), false, nil
	case 1:
		b1, err := r.byte()
		return uint64(b0&0x3f)<<8 | uint64(b1), false, err
	case 3:
		return uint64(b0 & 0x3f), true, nil
	}
	switch b0 {
	case 0x80:
		if err := r.skip(4); err != nil {
			return 0, false, err
		}
		return uint64(binary.BigEndian.Uint32(r.b[r.pos-4:])), false, nil
	case 0x81:
		if err := r.skip(8); err != nil {
			return 0, false, err
		}
		return binary.BigEndian.Uint64(r.b[r.pos-8:]), false, nil
	}
	return 0, false, fmt.Errorf("rdbdamage: bad length byte 0x%02x at %d", b0, r.pos-1)
}

func (r *reader) str() (Span, error) {
	s := Span{Start: r.pos}
	n, enc, err := r.length()
	if err != nil {
		return s, err
	}
	if !enc {
		if n > uint64(len(r.b)-r.pos) {
			return s, errShort
		}
		s.Plain = r.b[r.pos : r.pos+int(n)]
		r.pos += int(n)
		s.End = r.pos
		return s, nil
	}
	switch n {
	case 0, 1, 2:
		w := 1 << n
		if err := r.skip(w); err != nil {
			return s, err
		}
		p := r.b[r.pos-w : r.pos]
		var v int64
		switch w {
		case 1:
			v = int64(int8(p[0]))
		case 2:
			v = int64(int16(binary.LittleEndian.Uint16(p)))
		default:
			v = int64(int32(binary.LittleEndian.Uint32(p)))
		}
		s.Plain = []byte(strconv.FormatInt(v, 10))
	case 3:
		clen, _, err := r.length()
		if err != nil {
			return s, err
		}
		ulen, _, err := r.length()
		if err != nil {
			return s, err
		}
		if clen > uint64(len(r.b)-r.pos) || ulen > 1<<30 {
			return s, errShort
		}
		out, ok := lzf(r.b[r.pos:r.pos+int(clen)], int(ulen))
		if !ok {
			return s, fmt.Errorf("rdbdamage: bad LZF string at %d", s.Start)
		}
		r.pos += int(clen)
		s.Plain = out
	default:
		return s, fmt.Errorf("rdbdamage: bad string encoding at %d", s.Start)
	}
	s.End = r.pos
	return s, nil
}

func lzf(in []byte, ulen int) ([]byte, bool) {
	out := make([]byte, 0, ulen)
	for ip := 0; ip < len(in); {
		ctrl := int(in[ip])
		ip++
		if ctrl < 32 {
			ctrl++
			if ip+ctrl > len(in) || len(out)+ctrl > ulen {
				return nil, false
			}
			out = append(out, in[ip:ip+ctrl]...)
			ip += ctrl
			continue
		}
		l := ctrl >> 5
		if ip >= len(in) {
			return nil, false
		}
		if l == 7 {
			l += int(in[ip])
			ip++
			if ip >= len(in) {
				return nil, false
			}
		}
		ref := len(out) - ((ctrl & 0x1f) << 8) - 1 - int(in[ip])
		ip++
		if ref < 0 || len(out)+l+2 > ulen {
			return nil, false
		}
		for k := 0; k < l+2; k++ {
			out = append(out, out[ref+k])
		}
	}
	return out, len(out) == ulen
}

func (r *reader) fixed(n int) (Fixed, error) {
	f := Fixed{Off: r.pos, Len: n}
	return f, r.skip(n)
}

func (r *reader) lenField() (Fixed, uint64, error) {
	at := r.pos
	n, _, err := r.length()
	return Fixed{Off: at, Len: r.pos - at}, n, err
}

// Parse reads an RDB written by a server: every record, with the offsets
// of its value's parts. Module values and unknown types stop it.
func Parse(b []byte) (*File, error) {
	if len(b) < 9 || string(b[:5]) != "REDIS" {
		return nil, errors.New("rdbdamage: not an RDB file")
	}
	v, err := strconv.Atoi(string(b[5:9]))
	if err != nil {
		return nil, err
	}
	f := &File{Data: b, Version: v}
	r := &reader{b: b, pos: 9}
	var db uint64
	start, expire := -1, -1
	for {
		at := r.pos
		op, err := r.byte()
		if err != nil {
			return nil, err
		}
		if start < 0 {
			start = at
		}
		switch op {
		case 0xff:
			f.EOF = at
			return f, nil
		case 0xfe:
			if db, _, err = r.length(); err != nil {
				return nil, err
			}
			start = -1
			continue
		case 0xfb:
			r.length()
			if _, _, err = r.length(); err != nil {
				return nil, err
			}
			start = -1
			continue
		case 0xfa:
			r.str()
			if _, err = r.str(); err != nil {
				return nil, err
			}
			start = -1
			continue
		case 0xf5:
			if _, err = r.str(); err != nil {
				return nil, err
			}
			start = -1
			continue
		case 0xf4:
			r.length()
			r.length()
			if _, _, err = r.length(); err != nil {
				return nil, err
			}
			start = -1
			continue
		case 0xfd:
			if err = r.skip(4); err != nil {
				return nil, err
			}
			continue
		case 0xfc:
			expire = r.pos
			if err = r.skip(8); err != nil {
				return nil, err
			}
			continue
		case 0xf9:
			if err = r.skip(1); err != nil {
				return nil, err
			}
			continue
		case 0xf8:
			if _, _, err = r.length(); err != nil {
				return nil, err
			}
			continue
		}
		rec := &Record{Start: start, DB: db, Type: op, TypeAt: at, ExpireMS: expire}
		key, err := r.str()
		if err != nil {
			return nil, err
		}
		rec.Key = string(key.Plain)
		rec.ValueStart = r.pos
		if err := r.value(rec, f.Version); err != nil {
			return nil, fmt.Errorf("key %q: %w", rec.Key, err)
		}
		rec.End = r.pos
		f.Records = append(f.Records, rec)
		start, expire = -1, -1
	}
}

func (r *reader) strings(rec *Record, n uint64) error {
	for i := uint64(0); i < n; i++ {
		s, err := r.str()
		if err != nil {
			return err
		}
		rec.Strings = append(rec.Strings, s)
	}
	return nil
}

func (r *reader) value(rec *Record, version int) error {
	switch rec.Type {
	case 0:
		return r.strings(rec, 1)
	case 1, 2:
		n, _, err := r.length()
		if err != nil {
			return err
		}
		return r.strings(rec, n)
	case 3, 5:
		n, _, err := r.length()
		if err != nil {
			return err
		}
		for i := uint64(0); i < n; i++ {
			if err := r.strings(rec, 1); err != nil {
				return err
			}
			if rec.Type == 5 {
				if err := r.skip(8); err != nil {
					return err
				}
			} else {
				l, err := r.byte()
				if err != nil {
					return err
				}
				if l < 253 {
					if err := r.skip(int(l)); err != nil {
						return err
					}
				}
			}
		}
		return nil
	case 4:
		n, _, err := r.length()
		if err != nil {
			return err
		}
		return r.strings(rec, 2*n)
	case 9, 10, 11, 12, 13, 16, 17, 20, 23:
		return r.strings(rec, 1)
	case 25:
		if err := r.skip(8); err != nil {
			return err
		}
		return r.strings(rec, 1)
	case 22, 24:
		if rec.Type == 24 {
			if err := r.skip(8); err != nil {
				return err
			}
		}
		n, _, err := r.length()
		if err != nil {
			return err
		}
		for i := uint64(0); i < n; i++ {
			if _, _, err := r.length(); err != nil {
				return err
			}
			if err := r.strings(rec, 2); err != nil {
				return err
			}
		}
		return nil
	case 14, 18:
		n, _, err := r.length()
		if err != nil {
			return err
		}
		for i := uint64(0); i < n; i++ {
			if rec.Type == 18 {
				if _, _, err := r.length(); err != nil {
					return err
				}
			}
			if err := r.strings(rec, 1); err != nil {
				return err
			}
		}
		return nil
	case 15, 19, 21:
		return r.stream(rec)
	}
	return fmt.Errorf("rdbdamage: type %d not handled", rec.Type)
}

func (r *reader) stream(rec *Record) error {
	s := &Stream{}
	rec.Stream = s
	n, _, err := r.length()
	if err != nil {
		return err
	}
	for i := uint64(0); i < 2*n; i++ {
		sp, err := r.str()
		if err != nil {
			return err
		}
		s.Nodes = append(s.Nodes, sp)
		rec.Strings = append(rec.Strings, sp)
	}
	if s.Length, _, err = r.lenField(); err != nil {
		return err
	}
	ids := 2
	if rec.Type >= 19 {
		ids += 5
	}
	for range ids {
		if _, _, err := r.length(); err != nil {
			return err
		}
	}
	groups, _, err := r.length()
	if err != nil {
		return err
	}
	for g := uint64(0); g < groups; g++ {
		var gr Group
		if gr.Name, err = r.str(); err != nil {
			return err
		}
		r.length()
		r.length()
		if rec.Type >= 19 {
			r.length()
		}
		var pel uint64
		if gr.PELCount, pel, err = r.lenField(); err != nil {
			return err
		}
		for p := uint64(0); p < pel; p++ {
			id, err := r.fixed(16)
			if err != nil {
				return err
			}
			gr.PEL = append(gr.PEL, id)
			r.skip(8)
			if _, _, err := r.length(); err != nil {
				return err
			}
		}
		cons, _, err := r.length()
		if err != nil {
			return err
		}
		for c := uint64(0); c < cons; c++ {
			var cn Consumer
			if cn.Name, err = r.str(); err != nil {
				return err
			}
			r.skip(8)
			if rec.Type >= 21 {
				r.skip(8)
			}
			var cp uint64
			if cn.PELCount, cp, err = r.lenField(); err != nil {
				return err
			}
			for p := uint64(0); p < cp; p++ {
				id, err := r.fixed(16)
				if err != nil {
					return err
				}
				cn.PEL = append(cn.PEL, id)
			}
			gr.Consumers = append(gr.Consumers, cn)
		}
		s.Groups = append(s.Groups, gr)
	}
	return nil
}
