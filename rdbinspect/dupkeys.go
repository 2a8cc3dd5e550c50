package rdbinspect

import (
	"context"
	"hash/maphash"
	"io"
)

// Redis 7.0 stops with "Duplicated key found in RDB file" (a panic) when
// rdbLoad adds a key its database already holds; redis-check-rdb does not
// look. The walk remembers every key by a 64-bit hash of database and name,
// up to maxCheckedKeys (32 MiB); keys past that are not checked, and the
// report says so.
//
// A hash table probed per key would cost a cache miss per key, a third of
// the walk. The walker appends the hashes to a buffer instead; full buffers
// go to a goroutine that splits them into 256 partitions by their top bits;
// when the walk ends each partition is checked in a table small enough for
// the cache. Small files never start the goroutine. Finding where a
// duplicate is takes a second walk, looking for those hashes only; it runs
// only when there is one.

const (
	partitionBits  = 8
	partitions     = 1 << partitionBits
	chunkKeys      = 1024    // a partition's chunks grow to this
	bufferKeys     = 1 << 14 // the walker's buffer
	maxCheckedKeys = 4 << 20
)

// dupCheck collects the key hashes of a walk.
type dupCheck struct {
	seed maphash.Seed
	// long is fed a name too long for the walker's head buffer while it
	// is read.
	long      maphash.Hash
	buf       []uint64      // hashes not yet partitioned
	work      chan []uint64 // full buffers for the partitioning goroutine
	free      chan []uint64 // buffers given back
	done      chan struct{}
	parts     [partitions][][]uint64 // chunks of hashes
	kept      int
	unchecked int64

	// lookFor, in a second walk, holds the hashes found twice; seen and
	// found record where their keys are.
	lookFor map[uint64]bool
	seen    map[uint64]bool
	found   []duplicateKey
}

// duplicateKey is a record whose key its database already holds.
type duplicateKey struct {
	at   int64
	db   uint64
	name []byte
	size uint64 // the name's full length
}

// init seeds the hashes once per walk.
func (d *dupCheck) init() {
	if d.seed == (maphash.Seed{}) {
		d.seed = maphash.MakeSeed()
		d.long.SetSeed(d.seed)
	}
}

// nameHash hashes a key name held whole.
func (d *dupCheck) nameHash(name []byte) uint64 {
	return maphash.Bytes(d.seed, name)
}

// keyHash mixes a database number into a name's hash; never 0, which marks
// a free slot.
func keyHash(db uint64, name uint64) uint64 {
	h := name ^ db*0x9E3779B97F4A7C15
	h ^= h >> 29
	if h == 0 {
		h = 1
	}
	return h
}

// add takes the key just walked.
func (d *dupCheck) add(h uint64, w *walker, at int64) {
	if d.lookFor != nil {
		if d.lookFor[h] {
			if d.seen[h] {
				d.found = append(d.found, duplicateKey{at: at, db: w.db, name: append([]byte(nil), w.curKey...), size: w.keyLen})
			}
			d.seen[h] = true
		}
		return
	}
	if d.kept >= maxCheckedKeys {
		d.unchecked++
		return
	}
	d.kept++
	if d.buf == nil {
		d.buf = make([]uint64, 0, 64)
	}
	d.buf = append(d.buf, h)
	if len(d.buf) < bufferKeys {
		return
	}
	if d.work == nil {
		d.work, d.free, d.done = make(chan []uint64, 1), make(chan []uint64, 2), make(chan struct{})
		d.free <- make([]uint64, 0, bufferKeys)
		go d.partitionAll()
	}
	d.work <- d.buf
	d.buf = (<-d.free)[:0]
}

func (d *dupCheck) partitionAll() {
	defer close(d.done)
	for b := range d.work {
		d.partition(b)
		d.free <- b
	}
}

// partition appends hashes to their partitions.
func (d *dupCheck) partition(b []uint64) {
	for _, h := range b {
		p := &d.parts[h>>(64-partitionBits)]
		n := len(*p)
		if n == 0 || len((*p)[n-1]) == cap((*p)[n-1]) {
			// Chunks start small so a small file costs little.
			size := 8
			if n > 0 {
				size = min(chunkKeys, 2*cap((*p)[n-1]))
			}
			*p = append(*p, make([]uint64, 0, size))
			n++
		}
		(*p)[n-1] = append((*p)[n-1], h)
	}
}

// flush waits for the goroutine and partitions what is left.
func (d *dupCheck) flush() {
	if d.work != nil {
		close(d.work)
		<-d.done
		d.work = nil
	}
	d.partition(d.buf)
	d.buf = nil
}

// twice returns the hashes added more than once, checking one partition
// at a time in a table that stays in the cache.
func (d *dupCheck) twice() map[uint64]bool {
	d.flush()
	var out map[uint64]bool
	var slots []uint64
	for p := range d.parts {
		n := 0
		for _, c := range d.parts[p] {
			n += len(c)
		}
		if n == 0 {
			continue
		}
		size := 64
		for size < 2*n {
			size *= 2
		}
		if cap(slots) < size {
			slots = make([]uint64, size)
		}
		slots = slots[:size]
		clear(slots)
		mask := uint64(size - 1)
		for _, c := range d.parts[p] {
			for _, h := range c {
				for i := h & mask; ; i = (i + 1) & mask {
					if slots[i] == 0 {
						slots[i] = h
						break
					}
					if slots[i] == h {
						if out == nil {
							out = map[uint64]bool{}
						}
						out[h] = true
						break
					}
				}
			}
		}
		d.parts[p] = nil
	}
	return out
}

// locateDuplicates walks the file again to find the records whose hash is
// in twice: the second and later of each name are the duplicates.
func locateDuplicates(ctx context.Context, r io.ReaderAt, size int64, version int, opt Options, seed maphash.Seed, twice map[uint64]bool) []duplicateKey {
	p := newPipeline(ctx, r, size, 0, 1, nil)
	defer p.close()
	w := newWalker(ctx, p, r, 9, size, version, Options{Limits: opt.Limits})
	w.dup.seed = seed
	w.dup.long.SetSeed(seed)
	w.dup.lookFor, w.dup.seen = twice, map[uint64]bool{}
	w.run()
	return w.dup.found
}
