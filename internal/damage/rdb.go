package damage

import (
	"bytes"
	"encoding/binary"
	"hash/crc64"
)

// jones is CRC-64 Jones, the checksum of RDB trailers.
var jones = crc64.MakeTable(0x95ac9329ac4bc9b5)

// CRC is the RDB checksum of b (every byte from the magic through EOF).
func CRC(b []byte) uint64 { return ^crc64.Update(^uint64(0), jones, b) }

// WithCRC appends EOF and a correct CRC-64 trailer, so a crafted body is
// judged on its structure alone, not caught by the checksum.
func WithCRC(body []byte) []byte {
	out := append(append([]byte{}, body...), 0xFF)
	return binary.LittleEndian.AppendUint64(out, CRC(out))
}

// Resum recomputes the trailer of a complete RDB whose body was patched.
func Resum(rdb []byte) []byte {
	out := append([]byte{}, rdb...)
	if len(out) < 9 {
		return out
	}
	binary.LittleEndian.PutUint64(out[len(out)-8:], CRC(out[:len(out)-8]))
	return out
}

// RDBString is a string of fewer than 64 bytes with its 6-bit length.
func RDBString(s string) []byte { return append([]byte{byte(len(s))}, s...) }

// RDBLen encodes a length the way rdbSaveLen does.
func RDBLen(n uint64) []byte {
	switch {
	case n < 1<<6:
		return []byte{byte(n)}
	case n < 1<<14:
		return []byte{0x40 | byte(n>>8), byte(n)}
	case n <= 0xFFFFFFFF:
		return binary.BigEndian.AppendUint32([]byte{0x80}, uint32(n))
	}
	return Len64(n)
}

// RDBBlob is a string of any length with its length prefix.
func RDBBlob(b []byte) []byte { return append(RDBLen(uint64(len(b))), b...) }

// Len64 is the 8-byte length form (0x81), able to claim any length.
func Len64(n uint64) []byte { return binary.BigEndian.AppendUint64([]byte{0x81}, n) }

// RDBHeader is a version-10 header with the aux fields a 7.0.15 dump opens
// with (no replication info).
func RDBHeader() []byte {
	b := []byte("REDIS0010")
	aux := func(k, v string) { b = append(append(append(b, 0xFA), RDBString(k)...), RDBString(v)...) }
	aux("redis-ver", "7.0.15")
	aux("redis-bits", "64")
	aux("ctime", "1700000000")
	aux("used-mem", "1000000")
	aux("aof-base", "0")
	return b
}

// RDBPrefix is a valid header, one aux field and SELECTDB 0.
func RDBPrefix() []byte {
	b := []byte("REDIS0010")
	b = append(b, 0xFA)
	b = append(b, RDBString("redis-ver")...)
	b = append(b, RDBString("7.0.15")...)
	return append(b, 0xFE, 0x00)
}

// Record is one key of a hand-built RDB: the type byte, the key and the
// value encoded as the loader reads it.
type Record struct {
	Type    byte
	Key     string
	Value   []byte
	Expires []byte // an FC/FD opcode with its time, written before the type
}

// StringRecord is a plain string key.
func StringRecord(key, value string) Record {
	return Record{Type: 0, Key: key, Value: RDBBlob([]byte(value))}
}

// BuildRDB writes a complete RDB: header, one SELECTDB per database used
// with a RESIZEDB hint, the records, EOF and the checksum.
func BuildRDB(dbs map[int][]Record) []byte {
	b := RDBHeader()
	for db := 0; db < 64; db++ {
		recs, ok := dbs[db]
		if !ok {
			continue
		}
		b = append(b, 0xFE)
		b = append(b, RDBLen(uint64(db))...)
		expires := 0
		for _, r := range recs {
			if r.Expires != nil {
				expires++
			}
		}
		b = append(b, 0xFB)
		b = append(b, RDBLen(uint64(len(recs)))...)
		b = append(b, RDBLen(uint64(expires))...)
		for _, r := range recs {
			b = append(b, r.Expires...)
			b = append(b, r.Type)
			b = append(b, RDBBlob([]byte(r.Key))...)
			b = append(b, r.Value...)
		}
	}
	return WithCRC(b)
}

// Ziplist builds a ziplist of short string entries; count overrides the
// header's entry count when not negative (a lying header).
func Ziplist(entries []string, count int) []byte {
	var body bytes.Buffer
	prev := 0
	lastOffset := 10
	for i, e := range entries {
		start := 10 + body.Len()
		if i > 0 {
			lastOffset = start
		}
		if prev < 254 {
			body.WriteByte(byte(prev))
		} else {
			body.WriteByte(0xFE)
			_ = binary.Write(&body, binary.LittleEndian, uint32(prev))
		}
		body.WriteByte(byte(len(e))) // 00pppppp: string up to 63 bytes
		body.WriteString(e)
		prev = 10 + body.Len() - start
	}
	n := len(entries)
	if count >= 0 {
		n = count
	}
	total := 10 + body.Len() + 1
	out := binary.LittleEndian.AppendUint32(nil, uint32(total))
	out = binary.LittleEndian.AppendUint32(out, uint32(lastOffset))
	out = binary.LittleEndian.AppendUint16(out, uint16(n))
	out = append(out, body.Bytes()...)
	return append(out, 0xFF)
}

// Listpack builds a listpack of short string entries; count overrides the
// header's element count when not negative.
func Listpack(entries []string, count int) []byte {
	var body bytes.Buffer
	for _, e := range entries {
		body.WriteByte(0x80 | byte(len(e))) // 10xxxxxx: string up to 63 bytes
		body.WriteString(e)
		body.WriteByte(byte(1 + len(e))) // backlen: encoding byte + data
	}
	n := len(entries)
	if count >= 0 {
		n = count
	}
	total := 6 + body.Len() + 1
	out := binary.LittleEndian.AppendUint32(nil, uint32(total))
	out = binary.LittleEndian.AppendUint16(out, uint16(n))
	out = append(out, body.Bytes()...)
	return append(out, 0xFF)
}

// ModuleID is the 64-bit id of a module type: a 9-character name in the
// module charset and a 10-bit encoding version.
func ModuleID(name string, version uint64) uint64 {
	const charset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var id uint64
	for i := 0; i < 9; i++ {
		id = id<<6 | uint64(bytes.IndexByte([]byte(charset), name[i]))
	}
	return id<<10 | version
}

// SetVersion patches the 4-digit version of a complete RDB and fixes its
// checksum, so only the version makes a loader refuse it.
func SetVersion(rdb []byte, version int) []byte {
	out := append([]byte{}, rdb...)
	copy(out[5:9], []byte{byte('0' + version/1000%10), byte('0' + version/100%10), byte('0' + version/10%10), byte('0' + version%10)})
	return Resum(out)
}
