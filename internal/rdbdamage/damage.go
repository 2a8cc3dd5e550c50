package rdbdamage

import (
	"encoding/binary"
	"fmt"
	"strconv"
)

// Splice replaces b[start:end] with repl and fixes the CRC of the result
// (RDB 5 and later).
func Splice(b []byte, start, end int, repl []byte) []byte {
	out := make([]byte, 0, len(b)-(end-start)+len(repl))
	out = append(out, b[:start]...)
	out = append(out, repl...)
	out = append(out, b[end:]...)
	return fixIfTrailer(out)
}

func fixIfTrailer(b []byte) []byte {
	if v, err := strconv.Atoi(string(b[5:9])); err == nil && v >= 5 && len(b) >= 18 {
		return FixCRC(b)
	}
	return b
}

// ReplaceString writes plain as a plain RDB string in place of s.
func ReplaceString(b []byte, s Span, plain []byte) []byte {
	return Splice(b, s.Start, s.End, String(plain))
}

// InsertRecord inserts record bytes (opcodes, type, key, value) just before
// the EOF opcode.
func InsertRecord(b []byte, record []byte) ([]byte, error) {
	f, err := Parse(b)
	if err != nil {
		return nil, err
	}
	return Splice(b, f.EOF, f.EOF, record), nil
}

// SetVersion rewrites the version digits of the signature.
func SetVersion(b []byte, v int) []byte {
	out := append([]byte(nil), b...)
	copy(out[5:9], fmt.Sprintf("%04d", v))
	return fixIfTrailer(out)
}

// Append adds bytes after the end of the file (after the checksum).
func Append(b []byte, extra []byte) []byte {
	return append(append([]byte(nil), b...), extra...)
}

func record(b []byte, key string) (*File, *Record, error) {
	f, err := Parse(b)
	if err != nil {
		return nil, nil, err
	}
	r := f.Record(key)
	if r == nil {
		return nil, nil, fmt.Errorf("rdbdamage: no key %q", key)
	}
	return f, r, nil
}

// container is the string holding the value's container: the single string
// of a ziplist/listpack/intset/zipmap value, or a quicklist's node.
func container(r *Record, node int) (Span, error) {
	if node >= len(r.Strings) {
		return Span{}, fmt.Errorf("rdbdamage: key %q has %d strings, not %d", r.Key, len(r.Strings), node+1)
	}
	return r.Strings[node], nil
}

// Kind of container a record type holds.
func kind(t byte) string {
	switch t {
	case 10, 12, 13, 14:
		return "ziplist"
	case 16, 17, 18, 20, 23, 25:
		return "listpack"
	case 11:
		return "intset"
	case 9:
		return "zipmap"
	}
	return ""
}

// EditContainer applies edit to the plain bytes of a key's container (node
// 0 of a quicklist, or node n) and writes the value back as a plain string.
func EditContainer(b []byte, key string, node int, edit func(c []byte) ([]byte, error)) ([]byte, error) {
	_, r, err := record(b, key)
	if err != nil {
		return nil, err
	}
	s, err := container(r, node)
	if err != nil {
		return nil, err
	}
	c, err := edit(append([]byte(nil), s.Plain...))
	if err != nil {
		return nil, err
	}
	return ReplaceString(b, s, c), nil
}

// SetHeaderCount changes the element count in a container's header, as a
// torn or buggy write would: ziplist zllen, listpack numele, intset length,
// zipmap count byte.
func SetHeaderCount(b []byte, key string, node int, count int) ([]byte, error) {
	_, r, err := record(b, key)
	if err != nil {
		return nil, err
	}
	k := kind(r.Type)
	return EditContainer(b, key, node, func(c []byte) ([]byte, error) {
		switch k {
		case "ziplist":
			binary.LittleEndian.PutUint16(c[8:], uint16(count))
		case "listpack":
			binary.LittleEndian.PutUint16(c[4:], uint16(count))
		case "intset":
			binary.LittleEndian.PutUint32(c[4:], uint32(count))
		case "zipmap":
			c[0] = byte(count)
		default:
			return nil, fmt.Errorf("rdbdamage: key %q (type %d) holds no container", key, r.Type)
		}
		return c, nil
	})
}

// Entry is where one entry of a ziplist or listpack lies in its container.
type Entry struct{ Start, End int }

// ZiplistEntries lists a valid ziplist's entries.
func ZiplistEntries(zl []byte) ([]Entry, error) {
	var out []Entry
	for p := 10; p < len(zl) && zl[p] != 0xff; {
		start := p
		if zl[p] >= 254 {
			p += 5
		} else {
			p++
		}
		if p >= len(zl) {
			return nil, fmt.Errorf("rdbdamage: ziplist cut")
		}
		e := zl[p]
		switch {
		case e>>6 == 0:
			p += 1 + int(e&0x3f)
		case e>>6 == 1:
			p += 2 + (int(e&0x3f)<<8 | int(zl[p+1]))
		case e>>6 == 2:
			p += 5 + int(binary.BigEndian.Uint32(zl[p+1:]))
		case e == 0xc0:
			p += 3
		case e == 0xd0:
			p += 5
		case e == 0xe0:
			p += 9
		case e == 0xf0:
			p += 4
		case e == 0xfe:
			p += 2
		case e >= 0xf1 && e <= 0xfd:
			p++
		default:
			return nil, fmt.Errorf("rdbdamage: bad ziplist encoding 0x%02x", e)
		}
		out = append(out, Entry{start, p})
	}
	return out, nil
}

// ListpackEntries lists a valid listpack's entries (back-length included).
func ListpackEntries(lp []byte) ([]Entry, error) {
	var out []Entry
	for p := 6; p < len(lp) && lp[p] != 0xff; {
		start := p
		b0 := lp[p]
		var n int
		switch {
		case b0&0x80 == 0:
			n = 1
		case b0&0xc0 == 0x80:
			n = 1 + int(b0&0x3f)
		case b0&0xe0 == 0xc0:
			n = 2
		case b0 == 0xf1:
			n = 3
		case b0 == 0xf2:
			n = 4
		case b0 == 0xf3:
			n = 5
		case b0 == 0xf4:
			n = 9
		case b0&0xf0 == 0xe0:
			n = 2 + (int(b0&0x0f)<<8 | int(lp[p+1]))
		case b0 == 0xf0:
			n = 5 + int(binary.LittleEndian.Uint32(lp[p+1:]))
		default:
			return nil, fmt.Errorf("rdbdamage: bad listpack encoding 0x%02x", b0)
		}
		p += n + len(Backlen(uint64(n)))
		out = append(out, Entry{start, p})
	}
	return out, nil
}

// ListpackElements decodes a valid listpack's entries to their text.
func ListpackElements(lp []byte) ([]string, error) {
	es, err := ListpackEntries(lp)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range es {
		p := lp[e.Start:e.End]
		b0 := p[0]
		switch {
		case b0&0xc0 == 0x80:
			out = append(out, string(p[1:1+int(b0&0x3f)]))
		case b0&0xf0 == 0xe0:
			out = append(out, string(p[2:2+(int(b0&0x0f)<<8|int(p[1]))]))
		case b0 == 0xf0:
			out = append(out, string(p[5:5+int(binary.LittleEndian.Uint32(p[1:]))]))
		default:
			out = append(out, strconv.FormatInt(lpIntValue(p), 10))
		}
	}
	return out, nil
}

func lpIntValue(p []byte) int64 {
	b0 := p[0]
	switch {
	case b0&0x80 == 0:
		return int64(b0)
	case b0&0xe0 == 0xc0:
		u := uint64(b0&0x1f)<<8 | uint64(p[1])
		if u >= 1<<12 {
			return int64(u) - 1<<13
		}
		return int64(u)
	case b0 == 0xf1:
		return int64(int16(binary.LittleEndian.Uint16(p[1:])))
	case b0 == 0xf2:
		return int64(int32(uint32(p[1])<<8|uint32(p[2])<<16|uint32(p[3])<<24) >> 8)
	case b0 == 0xf3:
		return int64(int32(binary.LittleEndian.Uint32(p[1:])))
	}
	return int64(binary.LittleEndian.Uint64(p[1:]))
}

// ZiplistElements decodes a valid ziplist's entries to their text.
func ZiplistElements(zl []byte) ([]string, error) {
	es, err := ZiplistEntries(zl)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range es {
		p := zl[e.Start:e.End]
		if p[0] >= 254 {
			p = p[5:]
		} else {
			p = p[1:]
		}
		c := p[0]
		switch {
		case c>>6 == 0:
			out = append(out, string(p[1:]))
		case c>>6 == 1:
			out = append(out, string(p[2:]))
		case c>>6 == 2:
			out = append(out, string(p[5:]))
		case c == 0xfe:
			out = append(out, strconv.Itoa(int(int8(p[1]))))
		case c == 0xc0:
			out = append(out, strconv.Itoa(int(int16(binary.LittleEndian.Uint16(p[1:])))))
		case c == 0xd0:
			out = append(out, strconv.Itoa(int(int32(binary.LittleEndian.Uint32(p[1:])))))
		case c == 0xe0:
			out = append(out, strconv.FormatInt(int64(binary.LittleEndian.Uint64(p[1:])), 10))
		case c == 0xf0:
			out = append(out, strconv.Itoa(int(int32(uint32(p[1])<<8|uint32(p[2])<<16|uint32(p[3])<<24)>>8)))
		default:
			out = append(out, strconv.Itoa(int(c&0x0f)-1))
		}
	}
	return out, nil
}

// IntsetValues decodes an intset.
func IntsetValues(is []byte) []int64 {
	enc := int(binary.LittleEndian.Uint32(is))
	n := int(binary.LittleEndian.Uint32(is[4:]))
	var out []int64
	for i := 0; i < n && 8+(i+1)*enc <= len(is); i++ {
		p := is[8+i*enc:]
		switch enc {
		case 2:
			out = append(out, int64(int16(binary.LittleEndian.Uint16(p))))
		case 4:
			out = append(out, int64(int32(binary.LittleEndian.Uint32(p))))
		default:
			out = append(out, int64(binary.LittleEndian.Uint64(p)))
		}
	}
	return out
}

// ZiplistPrevlen adds delta to the previous-entry length of entry i (>= 1)
// of a key's ziplist (node 0 of a quicklist): the entry no longer points
// at the one before it.
func ZiplistPrevlen(b []byte, key string, i int, delta int) ([]byte, error) {
	return EditContainer(b, key, 0, func(zl []byte) ([]byte, error) {
		es, err := ZiplistEntries(zl)
		if err != nil {
			return nil, err
		}
		if i < 1 || i >= len(es) || zl[es[i].Start] >= 254 {
			return nil, fmt.Errorf("rdbdamage: entry %d has no one-byte prevlen", i)
		}
		zl[es[i].Start] = byte(int(zl[es[i].Start]) + delta)
		return zl, nil
	})
}

// ListpackBacklen adds delta to the last byte of entry i's back-length in a
// key's listpack (node n of a quicklist).
func ListpackBacklen(b []byte, key string, node, i int, delta int) ([]byte, error) {
	return EditContainer(b, key, node, func(lp []byte) ([]byte, error) {
		es, err := ListpackEntries(lp)
		if err != nil {
			return nil, err
		}
		if i >= len(es) {
			return nil, fmt.Errorf("rdbdamage: listpack has %d entries", len(es))
		}
		lp[es[i].End-1] = byte(int(lp[es[i].End-1]) + delta)
		return lp, nil
	})
}

// DuplicateElement makes the second element (field, member) of a key's
// value repeat the first: in a ziplist, listpack or intset container, or
// in a plain set, zset or hash.
func DuplicateElement(b []byte, key string) ([]byte, error) {
	f, r, err := record(b, key)
	if err != nil {
		return nil, err
	}
	_ = f
	tuple := 1
	switch r.Type {
	case 12, 13, 16, 17:
		tuple = 2
	case 23, 25:
		tuple = 3
	}
	switch kind(r.Type) {
	case "ziplist":
		return EditContainer(b, key, 0, func(zl []byte) ([]byte, error) {
			el, err := ZiplistElements(zl)
			if err != nil || len(el) < 2*tuple {
				return nil, fmt.Errorf("rdbdamage: ziplist too short to duplicate (%v)", err)
			}
			el[tuple] = el[0]
			return Ziplist(el...), nil
		})
	case "listpack":
		return EditContainer(b, key, 0, func(lp []byte) ([]byte, error) {
			el, err := ListpackElements(lp)
			if err != nil || len(el) < 2*tuple {
				return nil, fmt.Errorf("rdbdamage: listpack too short to duplicate (%v)", err)
			}
			el[tuple] = el[0]
			return Listpack(el...), nil
		})
	case "intset":
		return EditContainer(b, key, 0, func(is []byte) ([]byte, error) {
			v := IntsetValues(is)
			if len(v) < 2 {
				return nil, fmt.Errorf("rdbdamage: intset too short")
			}
			v[1] = v[0]
			return Intset(v...), nil
		})
	}
	switch r.Type {
	case 2, 3, 5:
		if len(r.Strings) < 2 {
			return nil, fmt.Errorf("rdbdamage: too few elements")
		}
		return ReplaceString(b, r.Strings[1], r.Strings[0].Plain), nil
	case 4, 22, 24:
		if len(r.Strings) < 4 {
			return nil, fmt.Errorf("rdbdamage: too few fields")
		}
		return ReplaceString(b, r.Strings[2], r.Strings[0].Plain), nil
	}
	return nil, fmt.Errorf("rdbdamage: key %q (type %d) has no elements to duplicate", key, r.Type)
}

// EmptyCollection rewrites a key's value as a collection of its type with
// no elements, as servers before 6.2 could write.
func EmptyCollection(b []byte, key string) ([]byte, error) {
	_, r, err := record(b, key)
	if err != nil {
		return nil, err
	}
	var v []byte
	switch r.Type {
	case 1, 2, 3, 4, 5, 14, 18:
		v = Length(0)
	case 10, 12, 13:
		v = String(Ziplist())
	case 16, 17, 20:
		v = String(Listpack())
	default:
		return nil, fmt.Errorf("rdbdamage: key %q (type %d) cannot be emptied", key, r.Type)
	}
	return Splice(b, r.ValueStart, r.End, v), nil
}

// ExpireAllOnes sets a key's EXPIRETIME_MS to all ones.
func ExpireAllOnes(b []byte, key string) ([]byte, error) {
	_, r, err := record(b, key)
	if err != nil {
		return nil, err
	}
	if r.ExpireMS < 0 {
		return nil, fmt.Errorf("rdbdamage: key %q has no millisecond expire", key)
	}
	ff := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	return Splice(b, r.ExpireMS, r.ExpireMS+8, ff), nil
}

// InsertBeforeKey inserts bytes (an opcode record) just before a key's
// record.
func InsertBeforeKey(b []byte, key string, ins []byte) ([]byte, error) {
	_, r, err := record(b, key)
	if err != nil {
		return nil, err
	}
	return Splice(b, r.Start, r.Start, ins), nil
}

// ---- streams ----

func stream(b []byte, key string) (*Record, error) {
	_, r, err := record(b, key)
	if err != nil {
		return nil, err
	}
	if r.Stream == nil {
		return nil, fmt.Errorf("rdbdamage: key %q is not a stream", key)
	}
	return r, nil
}

// StreamUnclaimPEL removes every pending entry from the first consumer of
// the first group, so those entries have no owner.
func StreamUnclaimPEL(b []byte, key string) ([]byte, error) {
	r, err := stream(b, key)
	if err != nil {
		return nil, err
	}
	if len(r.Stream.Groups) == 0 || len(r.Stream.Groups[0].Consumers) == 0 || len(r.Stream.Groups[0].Consumers[0].PEL) == 0 {
		return nil, fmt.Errorf("rdbdamage: stream %q has no consumer with pending entries", key)
	}
	c := r.Stream.Groups[0].Consumers[0]
	end := c.PEL[len(c.PEL)-1].Off + 16
	return Splice(b, c.PELCount.Off, end, Length(0)), nil
}

// StreamForeignNACK changes the last byte of the first consumer's first
// pending ID, so it names an entry the group's PEL does not hold.
func StreamForeignNACK(b []byte, key string) ([]byte, error) {
	r, err := stream(b, key)
	if err != nil {
		return nil, err
	}
	if len(r.Stream.Groups) == 0 || len(r.Stream.Groups[0].Consumers) == 0 || len(r.Stream.Groups[0].Consumers[0].PEL) == 0 {
		return nil, fmt.Errorf("rdbdamage: stream %q has no consumer with pending entries", key)
	}
	id := r.Stream.Groups[0].Consumers[0].PEL[0]
	at := id.Off + 15
	return Splice(b, at, at+1, []byte{b[at] ^ 0x80}), nil
}

// StreamDuplicatePEL makes the second pending ID of the first group repeat
// the first.
func StreamDuplicatePEL(b []byte, key string) ([]byte, error) {
	r, err := stream(b, key)
	if err != nil {
		return nil, err
	}
	if len(r.Stream.Groups) == 0 || len(r.Stream.Groups[0].PEL) < 2 {
		return nil, fmt.Errorf("rdbdamage: stream %q has no group with two pending entries", key)
	}
	p := r.Stream.Groups[0].PEL
	return Splice(b, p[1].Off, p[1].Off+16, b[p[0].Off:p[0].Off+16]), nil
}

// StreamDuplicateGroupName renames the second group to the first's name.
func StreamDuplicateGroupName(b []byte, key string) ([]byte, error) {
	r, err := stream(b, key)
	if err != nil {
		return nil, err
	}
	if len(r.Stream.Groups) < 2 {
		return nil, fmt.Errorf("rdbdamage: stream %q has fewer than two groups", key)
	}
	g := r.Stream.Groups
	return ReplaceString(b, g[1].Name, g[0].Name.Plain), nil
}

// StreamMasterCount adds delta to the entry count of the first node's
// master entry, so the listpack holds other entries than it declares.
func StreamMasterCount(b []byte, key string, delta int) ([]byte, error) {
	r, err := stream(b, key)
	if err != nil {
		return nil, err
	}
	if len(r.Stream.Nodes) < 2 {
		return nil, fmt.Errorf("rdbdamage: stream %q has no nodes", key)
	}
	s := r.Stream.Nodes[1]
	el, err := ListpackElements(s.Plain)
	if err != nil {
		return nil, err
	}
	n, _ := strconv.Atoi(el[0])
	el[0] = strconv.Itoa(n + delta)
	return ReplaceString(b, s, Listpack(el...)), nil
}

// StreamEmptyNode replaces the first node's listpack with an empty one.
func StreamEmptyNode(b []byte, key string) ([]byte, error) {
	r, err := stream(b, key)
	if err != nil {
		return nil, err
	}
	if len(r.Stream.Nodes) < 2 {
		return nil, fmt.Errorf("rdbdamage: stream %q has no nodes", key)
	}
	return ReplaceString(b, r.Stream.Nodes[1], Listpack()), nil
}

// AsListpack rewrites a plain-encoded hash (type 4) as a listpack-encoded
// one (type 16) of the same fields and values: a hash above the loader's
// conversion threshold, which no server writes but a torn write or an old
// configuration can leave.
func AsListpack(b []byte, key string) ([]byte, error) {
	_, r, err := record(b, key)
	if err != nil {
		return nil, err
	}
	if r.Type != 4 {
		return nil, fmt.Errorf("rdbdamage: key %q is type %d, not a plain hash", key, r.Type)
	}
	el := make([]string, len(r.Strings))
	for i, s := range r.Strings {
		el[i] = string(s.Plain)
	}
	rec := append([]byte{16}, String([]byte(key))...)
	rec = append(rec, String(Listpack(el...))...)
	return Splice(b, r.TypeAt, r.End, rec), nil
}

// AsPlainHash rewrites a listpack-encoded hash (type 16) as a plain one
// (type 4) of the same fields and values, as a server that held it in a
// hash table writes it; edit, when set, changes the field/value list first.
func AsPlainHash(b []byte, key string, edit func(el []string) []string) ([]byte, error) {
	_, r, err := record(b, key)
	if err != nil {
		return nil, err
	}
	if r.Type != 16 {
		return nil, fmt.Errorf("rdbdamage: key %q is type %d, not a listpack hash", key, r.Type)
	}
	el, err := ListpackElements(r.Strings[0].Plain)
	if err != nil {
		return nil, err
	}
	if edit != nil {
		el = edit(el)
	}
	rec := append([]byte{4}, String([]byte(key))...)
	rec = append(rec, Length(uint64(len(el)/2))...)
	for _, s := range el {
		rec = append(rec, String([]byte(s))...)
	}
	return Splice(b, r.TypeAt, r.End, rec), nil
}
