package rdbinspect

import (
	"encoding/binary"
)

// rdbBuilder writes RDB bytes for tests that need a structure real Redis
// does not produce on demand (a given length encoding, a lying count).
// Fixtures made by redis-server live in testdata; this covers the rest.
type rdbBuilder struct{ b []byte }

func newBuilder(version int) *rdbBuilder {
	return &rdbBuilder{b: []byte("REDIS" + pad4(version))}
}

func pad4(v int) string {
	s := []byte("0000")
	for i := 3; i >= 0 && v > 0; i-- {
		s[i] = byte('0' + v%10)
		v /= 10
	}
	return string(s)
}

func (w *rdbBuilder) raw(p ...byte) *rdbBuilder { w.b = append(w.b, p...); return w }

func (w *rdbBuilder) length(n uint64) *rdbBuilder {
	switch {
	case n < 1<<6:
		w.b = append(w.b, byte(n))
	case n < 1<<14:
		w.b = append(w.b, byte(n>>8)|0x40, byte(n))
	case n <= 0xffffffff:
		w.b = append(w.b, 0x80)
		w.b = binary.BigEndian.AppendUint32(w.b, uint32(n))
	default:
		w.b = append(w.b, 0x81)
		w.b = binary.BigEndian.AppendUint64(w.b, n)
	}
	return w
}

func (w *rdbBuilder) str(s string) *rdbBuilder {
	w.length(uint64(len(s)))
	w.b = append(w.b, s...)
	return w
}

func (w *rdbBuilder) aux(k, v string) *rdbBuilder { w.raw(opAux); w.str(k); w.str(v); return w }

// eof appends FF and the CRC of everything before it (0 when crc is false).
func (w *rdbBuilder) eof(crc bool) []byte {
	w.b = append(w.b, opEOF)
	var sum uint64
	if crc {
		sum = CRC64Update(0, w.b)
	}
	return binary.LittleEndian.AppendUint64(w.b, sum)
}
