// Package rdbdamage builds damaged copies of RDB files written by a real
// server, for tests that ask the server what it does with them: it finds a
// key's record, decodes the container its value holds (ziplist, listpack,
// intset, zipmap, stream listpacks), breaks one rule the loader checks, writes
// the record back with the value as a plain string and fixes the CRC, so the
// damage is the only thing wrong with the file.
//
// It encodes containers byte for byte as Redis does (src/ziplist.c,
// src/listpack.c, src/intset.c, src/zipmap.c) so a test can also write a
// value no current server produces (a zipmap of Redis 2.4). It reads only
// files it is given by tests and trusts them less than a loader would: every
// length is checked against the bytes that remain.
package rdbdamage

import (
	"encoding/binary"
	"hash/crc64"
	"sort"
	"strconv"
)

// string2ll is Redis's strict integer parse: the text an integer entry
// stands for, and nothing else, parses.
func string2ll(s string) (int64, bool) {
	if len(s) == 0 || len(s) >= 21 {
		return 0, false
	}
	if s == "0" {
		return 0, true
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || strconv.FormatInt(v, 10) != s {
		return 0, false
	}
	return v, true
}

// ---- listpack ----

// ListpackEntry encodes one listpack entry (encoding, data, back-length)
// the way lpAppend does: integers when the text is one.
func ListpackEntry(s string) []byte {
	var e []byte
	if v, ok := string2ll(s); ok {
		e = lpInt(v)
	} else {
		n := len(s)
		switch {
		case n < 64:
			e = append([]byte{0x80 | byte(n)}, s...)
		case n < 4096:
			e = append([]byte{0xe0 | byte(n>>8), byte(n)}, s...)
		default:
			e = binary.LittleEndian.AppendUint32([]byte{0xf0}, uint32(n))
			e = append(e, s...)
		}
	}
	return append(e, Backlen(uint64(len(e)))...)
}

func lpInt(v int64) []byte {
	switch {
	case v >= 0 && v <= 127:
		return []byte{byte(v)}
	case v >= -4096 && v <= 4095:
		u := uint64(v) & 0x1fff
		return []byte{0xc0 | byte(u>>8), byte(u)}
	case v >= -32768 && v <= 32767:
		return binary.LittleEndian.AppendUint16([]byte{0xf1}, uint16(v))
	case v >= -8388608 && v <= 8388607:
		u := uint32(v)
		return []byte{0xf2, byte(u), byte(u >> 8), byte(u >> 16)}
	case v >= -2147483648 && v <= 2147483647:
		return binary.LittleEndian.AppendUint32([]byte{0xf3}, uint32(v))
	}
	return binary.LittleEndian.AppendUint64([]byte{0xf4}, uint64(v))
}

// Backlen is lpEncodeBacklen: the entry size written backwards after it.
func Backlen(l uint64) []byte {
	switch {
	case l <= 127:
		return []byte{byte(l)}
	case l < 16383:
		return []byte{byte(l >> 7), byte(l&127) | 128}
	case l < 2097151:
		return []byte{byte(l >> 14), byte((l>>7)&127) | 128, byte(l&127) | 128}
	case l < 268435455:
		return []byte{byte(l >> 21), byte((l>>14)&127) | 128, byte((l>>7)&127) | 128, byte(l&127) | 128}
	}
	return []byte{byte(l >> 28), byte((l>>21)&127) | 128, byte((l>>14)&127) | 128, byte((l>>7)&127) | 128, byte(l&127) | 128}
}

// Listpack builds a listpack of the elements.
func Listpack(elems ...string) []byte {
	body := []byte{}
	for _, s := range elems {
		body = append(body, ListpackEntry(s)...)
	}
	return ListpackRaw(len(elems), body)
}

// ListpackRaw wraps entry bytes with a header declaring count entries
// (0xFFFF from 65535 on) and the end byte.
func ListpackRaw(count int, entries []byte) []byte {
	n := 6 + len(entries) + 1
	b := binary.LittleEndian.AppendUint32(nil, uint32(n))
	b = binary.LittleEndian.AppendUint16(b, uint16(min(count, 0xffff)))
	b = append(b, entries...)
	return append(b, 0xff)
}

// ---- ziplist ----

// ZiplistEntry encodes one entry after an entry of prevLen bytes, as
// __ziplistInsert does.
func ZiplistEntry(prevLen int, s string) []byte {
	var e []byte
	if prevLen < 254 {
		e = []byte{byte(prevLen)}
	} else {
		e = binary.LittleEndian.AppendUint32([]byte{254}, uint32(prevLen))
	}
	if v, ok := string2ll(s); ok && len(s) <= 32 {
		switch {
		case v >= 0 && v <= 12:
			return append(e, 0xf1+byte(v))
		case v >= -128 && v <= 127:
			return append(e, 0xfe, byte(v))
		case v >= -32768 && v <= 32767:
			return binary.LittleEndian.AppendUint16(append(e, 0xc0), uint16(v))
		case v >= -8388608 && v <= 8388607:
			u := uint32(v)
			return append(e, 0xf0, byte(u), byte(u>>8), byte(u>>16))
		case v >= -2147483648 && v <= 2147483647:
			return binary.LittleEndian.AppendUint32(append(e, 0xd0), uint32(v))
		}
		return binary.LittleEndian.AppendUint64(append(e, 0xe0), uint64(v))
	}
	n := len(s)
	switch {
	case n <= 0x3f:
		e = append(e, byte(n))
	case n <= 0x3fff:
		e = append(e, 0x40|byte(n>>8), byte(n))
	default:
		e = binary.BigEndian.AppendUint32(append(e, 0x80), uint32(n))
	}
	return append(e, s...)
}

// Ziplist builds a ziplist of the elements.
func Ziplist(elems ...string) []byte {
	body := []byte{}
	prev, tail := 0, 10
	for _, s := range elems {
		e := ZiplistEntry(prev, s)
		tail = 10 + len(body)
		body = append(body, e...)
		prev = len(e)
	}
	b := binary.LittleEndian.AppendUint32(nil, uint32(10+len(body)+1))
	b = binary.LittleEndian.AppendUint32(b, uint32(tail))
	b = binary.LittleEndian.AppendUint16(b, uint16(min(len(elems), 0xffff)))
	b = append(b, body...)
	return append(b, 0xff)
}

// ---- intset, zipmap ----

// Intset builds an intset of the values in the order given (sort them for a
// valid one), with the smallest encoding that holds them all.
func Intset(vals ...int64) []byte {
	enc := 2
	for _, v := range vals {
		switch {
		case v < -2147483648 || v > 2147483647:
			enc = 8
		case (v < -32768 || v > 32767) && enc < 4:
			enc = 4
		}
	}
	b := binary.LittleEndian.AppendUint32(nil, uint32(enc))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(vals)))
	for _, v := range vals {
		switch enc {
		case 2:
			b = binary.LittleEndian.AppendUint16(b, uint16(v))
		case 4:
			b = binary.LittleEndian.AppendUint32(b, uint32(v))
		default:
			b = binary.LittleEndian.AppendUint64(b, uint64(v))
		}
	}
	return b
}

// SortedIntset is Intset over the values in ascending order.
func SortedIntset(vals ...int64) []byte {
	s := append([]int64(nil), vals...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return Intset(s...)
}

// Zipmap builds a Redis 2.4 zipmap of field/value pairs (no free bytes).
func Zipmap(pairs ...string) []byte {
	b := []byte{byte(min(len(pairs)/2, 254))}
	zlen := func(n int) []byte {
		if n < 254 {
			return []byte{byte(n)}
		}
		return binary.LittleEndian.AppendUint32([]byte{254}, uint32(n))
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		b = append(b, zlen(len(pairs[i]))...)
		b = append(b, pairs[i]...)
		b = append(b, zlen(len(pairs[i+1]))...)
		b = append(b, 0)
		b = append(b, pairs[i+1]...)
	}
	return append(b, 0xff)
}

// ---- RDB pieces ----

// Length encodes an RDB length.
func Length(n uint64) []byte {
	switch {
	case n < 1<<6:
		return []byte{byte(n)}
	case n < 1<<14:
		return []byte{byte(n>>8) | 0x40, byte(n)}
	case n <= 0xffffffff:
		return binary.BigEndian.AppendUint32([]byte{0x80}, uint32(n))
	}
	return binary.BigEndian.AppendUint64([]byte{0x81}, n)
}

// String encodes b as a plain (not compressed, not integer) RDB string.
func String(b []byte) []byte { return append(Length(uint64(len(b))), b...) }

var crcTable = crc64.MakeTable(0x95ac9329ac4bc9b5)

// CRC is the RDB checksum (CRC-64 Jones) of b.
func CRC(b []byte) uint64 { return ^crc64.Update(^uint64(0), crcTable, b) }

// FixCRC rewrites the 8-byte trailer of a complete RDB to match its bytes,
// so a test's damage is the only fault of the file.
func FixCRC(b []byte) []byte {
	out := append([]byte(nil), b...)
	n := len(out) - 8
	binary.LittleEndian.PutUint64(out[n:], CRC(out[:n]))
	return out
}

// ModuleID encodes a 9-character module type name and an encoding version
// as a module id (moduleTypeEncodeId).
func ModuleID(name string, version uint64) uint64 {
	const cset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var id uint64
	for i := 0; i < 9; i++ {
		c := byte('A')
		if i < len(name) {
			c = name[i]
		}
		k := 0
		for k < len(cset) && cset[k] != c {
			k++
		}
		id = id<<6 | uint64(k&63)
	}
	return id<<10 | version&1023
}

// ModuleRecord is a type-7 record of a module value holding one unsigned
// integer, as RedisModule_SaveUnsigned writes it.
func ModuleRecord(key, module string, v uint64) []byte {
	b := append([]byte{7}, String([]byte(key))...)
	b = append(b, Length(ModuleID(module, 1))...)
	b = append(b, 2)
	b = append(b, Length(v)...)
	return append(b, 0)
}
