package replay

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
)

// keyTable maps a generation id and a key name to a state index without a
// heap object per key. Entries live in 1 MiB byte chunks, each a 4-byte
// length, the state index (4 bytes), then the 4-byte id and the key; the table is
// open addressing over slots that hold a reference to an entry and 32 bits
// of the key's hash, so a probe reads an entry only when the hash bits
// match (a miss costs no cache line of the chunks). Some 14 bytes per key
// beyond the entry, where a Go map of strings costs about 50 and one
// allocation.
type keyTable struct {
	seed   maphash.Seed
	slots  []uint64 // hash bits << 32 | entry reference + 1; 0 is empty
	used   int
	chunks [][]byte
}

const (
	keyChunkBits = 20
	keyChunk     = 1 << keyChunkBits
	// maxKeyEntry keeps an entry within a chunk.
	maxKeyEntry = keyChunk - 8
)

func newKeyTable() *keyTable {
	return &keyTable{seed: maphash.MakeSeed(), slots: make([]uint64, 64)}
}

// entry returns the id+key and state index of the entry at ref.
func (t *keyTable) entry(ref uint32) ([]byte, int32) {
	c := t.chunks[ref>>keyChunkBits]
	off := int(ref & (keyChunk - 1))
	n := binary.LittleEndian.Uint32(c[off:])
	idx := int32(binary.LittleEndian.Uint32(c[off+4:]))
	return c[off+8 : off+8+int(n)], idx
}

// find returns the state index of k (id+key), or -1, and k's hash for
// an insert that follows.
func (t *keyTable) find(k []byte) (int32, uint64) {
	h := maphash.Bytes(t.seed, k)
	mask := uint64(len(t.slots) - 1)
	tag := h >> 32
	for i := h & mask; ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == 0 {
			return -1, h
		}
		if s>>32 != tag {
			continue
		}
		if name, idx := t.entry(uint32(s) - 1); bytes.Equal(name, k) {
			return idx, h
		}
	}
}

// fits reports whether a key can be stored: 4 GiB of entries at most,
// and an entry within a chunk.
func (t *keyTable) fits(k []byte) bool {
	return len(k) <= maxKeyEntry && len(t.chunks) < 1<<(32-keyChunkBits)-1
}

// insert records k (not present, h its hash from find) for state index
// idx.
func (t *keyTable) insert(k []byte, h uint64, idx int32) {
	need := 8 + len(k)
	if n := len(t.chunks); n == 0 || cap(t.chunks[n-1])-len(t.chunks[n-1]) < need {
		// Chunks grow from 4 KiB to 1 MiB, so a model of a few keys (a
		// check of a small set, a fuzz call) does not allocate a megabyte.
		size := keyChunk
		if n < 8 {
			size = 4096 << n
		}
		t.chunks = append(t.chunks, make([]byte, 0, max(size, need)))
	}
	ci := len(t.chunks) - 1
	c := t.chunks[ci]
	ref := uint32(ci)<<keyChunkBits | uint32(len(c))
	c = binary.LittleEndian.AppendUint32(c, uint32(len(k)))
	c = binary.LittleEndian.AppendUint32(c, uint32(idx))
	t.chunks[ci] = append(c, k...)
	if (t.used+1)*4 > len(t.slots)*3 {
		t.grow()
	}
	t.place(h, ref)
	t.used++
}

func (t *keyTable) place(h uint64, ref uint32) {
	mask := uint64(len(t.slots) - 1)
	i := h & mask
	for t.slots[i] != 0 {
		i = (i + 1) & mask
	}
	t.slots[i] = h>>32<<32 | uint64(ref+1)
}

func (t *keyTable) grow() {
	old := t.slots
	t.slots = make([]uint64, len(old)*2)
	for _, s := range old {
		if s != 0 {
			name, _ := t.entry(uint32(s) - 1)
			t.place(maphash.Bytes(t.seed, name), uint32(s)-1)
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
			off += 8 + int(binary.LittleEndian.Uint32(c[off:]))
		}
	}
}
