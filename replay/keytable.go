package replay

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
)

// keyTable maps a generation id and a key name to a state index without a
// heap object per key. Entries live in 1 MiB byte chunks, each a length,
// the state index (4 bytes), then the 4-byte id and the key; the table is
// open addressing over uint32 references to entries. Some 10 bytes per
// key beyond the entry, where a Go map of strings costs about 50 and one
// allocation.
type keyTable struct {
	seed   maphash.Seed
	slots  []uint32 // entry reference + 1; 0 is empty
	used   int
	chunks [][]byte
}

const (
	keyChunkBits = 20
	keyChunk     = 1 << keyChunkBits
	// maxKeyEntry keeps an entry within a chunk.
	maxKeyEntry = keyChunk - binary.MaxVarintLen32 - 4
)

func newKeyTable() *keyTable {
	return &keyTable{seed: maphash.MakeSeed(), slots: make([]uint32, 1024)}
}

// entry returns the id+key and state index of the entry at ref.
func (t *keyTable) entry(ref uint32) ([]byte, int32) {
	c := t.chunks[ref>>keyChunkBits]
	off := int(ref & (keyChunk - 1))
	n, w := binary.Uvarint(c[off:])
	off += w
	idx := int32(binary.BigEndian.Uint32(c[off:]))
	return c[off+4 : off+4+int(n)], idx
}

// find returns the state index of k (id+key), or -1.
func (t *keyTable) find(k []byte) int32 {
	mask := uint64(len(t.slots) - 1)
	for i := maphash.Bytes(t.seed, k) & mask; ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == 0 {
			return -1
		}
		if name, idx := t.entry(s - 1); bytes.Equal(name, k) {
			return idx
		}
	}
}

// fits reports whether a key can be stored: 4 GiB of entries at most,
// and an entry within a chunk.
func (t *keyTable) fits(k []byte) bool {
	return len(k) <= maxKeyEntry && len(t.chunks) < 1<<(32-keyChunkBits)-1
}

// insert records k (not present) for state index idx.
func (t *keyTable) insert(k []byte, idx int32) {
	need := binary.MaxVarintLen32 + 4 + len(k)
	if n := len(t.chunks); n == 0 || keyChunk-len(t.chunks[n-1]) < need {
		t.chunks = append(t.chunks, make([]byte, 0, keyChunk))
	}
	ci := len(t.chunks) - 1
	c := t.chunks[ci]
	ref := uint32(ci)<<keyChunkBits | uint32(len(c))
	c = binary.AppendUvarint(c, uint64(len(k)))
	c = binary.BigEndian.AppendUint32(c, uint32(idx))
	t.chunks[ci] = append(c, k...)
	if (t.used+1)*4 > len(t.slots)*3 {
		t.grow()
	}
	t.place(k, ref)
	t.used++
}

func (t *keyTable) place(k []byte, ref uint32) {
	mask := uint64(len(t.slots) - 1)
	i := maphash.Bytes(t.seed, k) & mask
	for t.slots[i] != 0 {
		i = (i + 1) & mask
	}
	t.slots[i] = ref + 1
}

func (t *keyTable) grow() {
	old := t.slots
	t.slots = make([]uint32, len(old)*2)
	for _, s := range old {
		if s != 0 {
			name, _ := t.entry(s - 1)
			t.place(name, s-1)
		}
	}
}

// len is the number of keys.
func (t *keyTable) len() int { return t.used }

// each calls f for every key with its state index, in insertion order.
func (t *keyTable) each(f func(idKey []byte, idx int32) bool) {
	for ci, c := range t.chunks {
		for off := 0; off < len(c); {
			name, idx := t.entry(uint32(ci)<<keyChunkBits | uint32(off))
			if !f(name, idx) {
				return
			}
			n, w := binary.Uvarint(c[off:])
			off += w + 4 + int(n)
		}
	}
}
