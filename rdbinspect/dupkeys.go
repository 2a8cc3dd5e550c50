package rdbinspect

import (
	"context"
	"encoding/binary"
	"hash/maphash"
	"io"
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
)

// Redis 7.0 stops with "Duplicated key found in RDB file" (a panic) when
// rdbLoad adds a key its database already holds; redis-check-rdb does not
// look. The walk remembers every key by a 64-bit hash of database and name,
// up to maxCheckedKeys (32 MiB); keys past that are not checked, and the
// report says so.
//
// A hash table probed per key would cost a cache miss per key, a third of
// the walk. The walker appends the hashes to a buffer instead; full buffers
// go to a goroutine (or, with lanes, are taken on each lane's own) that
// splits them into 64 partitions by their top bits (few enough that the
// chunks being filled stay in the TLB); the lanes share one budget of
// maxCheckedKeys between them. When the walk ends each partition
// is checked through a bitset and a table small enough for the cache. Small
// files never start the goroutine. Finding where a duplicate is takes a
// second walk, looking for those hashes only; it runs only when there is
// one.

const (
	partitionBits = 6
	partitions    = 1 << partitionBits
	chunkKeys     = 1024    // a partition's chunks grow to this
	bufferKeys    = 1 << 14 // the walker's buffer
)

// maxCheckedKeys bounds the key hashes one walk keeps (tests lower it).
var maxCheckedKeys = 4 << 20

// dupCheck collects the key hashes of a walk.
type dupCheck struct {
	seed maphash.Seed
	// short seeds the hash of names of up to 16 bytes, derived from seed
	// so a second walk with the same seed hashes alike.
	short uint64
	// long is fed a name too long for the walker's head buffer while it
	// is read.
	long maphash.Hash
	buf  []uint64      // hashes not yet partitioned
	work chan []uint64 // full buffers for the partitioning goroutine
	free chan []uint64 // buffers given back
	done chan struct{}
	// store is where the hashes are partitioned: the walk's own, or the
	// store a lane shares across the chunks it walks, from mark on.
	store *hashStore
	mark  storeMark
	// parts are the hashes of this walk by partition, once flushed.
	parts     [partitions][][]uint64
	kept      int
	unchecked int64
	// limit is how many hashes may be kept so far: maxCheckedKeys for a
	// walk of its own; a lane takes batches from the budget its walk
	// shares. lanes holds the checks of lanes whose keys this walk took
	// over.
	limit  int
	budget *atomic.Int64
	lanes  []*dupCheck
	// inline partitions on the walk's goroutine: with lanes every core
	// walks, and a goroutine per lane would only add switches.
	inline bool

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

// setSeed seeds the name hashes; walks whose hashes are compared (the two
// lanes, the second walk that locates duplicates) share a seed.
func (d *dupCheck) setSeed(seed maphash.Seed) {
	d.seed = seed
	d.long.SetSeed(seed)
	d.short = maphash.String(seed, "short key names") | 1
}

// nameHash hashes a key name held whole. Most names are short, and a
// general hash call costs more than the rest of the walk spends on a
// string record; names of up to 16 bytes take two multiplications
// (wyhash's mixing) instead.
func (d *dupCheck) nameHash(name []byte) uint64 {
	if len(name) > 16 {
		return maphash.Bytes(d.seed, name)
	}
	return shortHash(d.short, name)
}

// shortHash hashes up to 16 bytes under seed with wyhash's mixing.
func shortHash(seed uint64, name []byte) uint64 {
	n := len(name)
	var a, b uint64
	switch {
	case n >= 8:
		a, b = binary.LittleEndian.Uint64(name), binary.LittleEndian.Uint64(name[n-8:])
	case n >= 4:
		a, b = uint64(binary.LittleEndian.Uint32(name)), uint64(binary.LittleEndian.Uint32(name[n-4:]))
	case n > 0:
		a = uint64(name[0])<<16 | uint64(name[n>>1])<<8 | uint64(name[n-1])
	}
	const k1, k2 = 0xa0761d6478bd642f, 0xe7037ed1a0b428db
	return mix(k1^uint64(n), mix(a^k1, b^seed^k2))
}

func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
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
	if d.kept >= d.limit && !d.allow() {
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
	if d.inline {
		d.partition(d.buf)
		d.buf = d.buf[:0]
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
	if d.store == nil {
		d.store = new(hashStore)
	}
	d.store.partition(b)
}

// flush waits for the goroutine, partitions what is left and takes the
// walk's hashes out of the store. Later calls do nothing: a lane's store
// goes on filling with the next chunk's hashes.
func (d *dupCheck) flush() {
	if d.work != nil {
		close(d.work)
		<-d.done
		d.work = nil
	}
	if len(d.buf) > 0 {
		d.partition(d.buf)
	}
	if d.budget != nil {
		// What this walk did not use goes back to the other lanes.
		d.budget.Add(int64(d.limit - d.kept))
		d.limit = d.kept
	}
	if d.store != nil {
		// A lane's store lends the buffer to the walk of its next chunk.
		d.store.buf = d.buf[:0]
		d.parts = d.store.since(d.mark)
		d.store = nil
	}
	d.buf = nil
}

// hashStore holds key hashes by partition in chunks, filled without
// pointer writes (a count per partition rather than the slice), which keeps
// write barriers out of the loop while the collector runs.
type hashStore struct {
	buf   []uint64               // the walker's buffer, between a lane's chunks
	parts [partitions][][]uint64 // full chunks
	cur   [partitions][]uint64   // the chunk each partition fills
	fill  [partitions]int32      // how much of it is filled
}

// storeMark is where each partition of a store stood.
type storeMark struct {
	chunks [partitions]int32
	fill   [partitions]int32
}

func (s *hashStore) partition(b []uint64) {
	for _, h := range b {
		i := h >> (64 - partitionBits)
		c, n := s.cur[i], s.fill[i]
		if int(n) == len(c) {
			c, n = s.nextChunk(i), 0
		}
		c[n] = h
		s.fill[i] = n + 1
	}
}

// nextChunk files partition i's full chunk and starts another; chunks start
// small so a small file costs little.
func (s *hashStore) nextChunk(i uint64) []uint64 {
	size := 8
	if c := s.cur[i]; c != nil {
		s.parts[i] = append(s.parts[i], c)
		size = min(chunkKeys, 2*len(c))
	}
	s.cur[i] = make([]uint64, size)
	return s.cur[i]
}

func (s *hashStore) mark() storeMark {
	var m storeMark
	for i := range m.chunks {
		m.chunks[i], m.fill[i] = int32(len(s.parts[i])), s.fill[i]
	}
	return m
}

// since returns the hashes added after m, by partition. They stay where
// they are: later hashes go after them.
func (s *hashStore) since(m storeMark) [partitions][][]uint64 {
	var out [partitions][][]uint64
	for i := range out {
		var pieces [][]uint64
		add := func(c []uint64) {
			if len(c) > 0 {
				pieces = append(pieces, c)
			}
		}
		if k := int(m.chunks[i]); k == len(s.parts[i]) {
			add(s.cur[i][m.fill[i]:s.fill[i]])
		} else {
			add(s.parts[i][k][m.fill[i]:])
			for _, c := range s.parts[i][k+1:] {
				add(c)
			}
			add(s.cur[i][:s.fill[i]])
		}
		out[i] = pieces
	}
	return out
}

// inLane makes d one lane's part of a walk in lanes: it keeps the hashes
// budget allows, and partitions them on the lane's own goroutine into store
// (nil: its own), from where store stands now.
func (d *dupCheck) inLane(budget *atomic.Int64, store *hashStore) {
	d.budget = budget
	d.inline = true
	if store != nil {
		d.store, d.mark = store, store.mark()
		d.buf = store.buf
	}
}

// budgetBatch is how many hashes a lane takes from the shared budget at a
// time: few enough that the budget stays exact, enough that lanes rarely
// touch the shared counter.
const budgetBatch = 4096

// allow raises the limit when there is budget left.
func (d *dupCheck) allow() bool {
	if d.budget == nil {
		if d.limit == 0 {
			d.limit = maxCheckedKeys
		}
		return d.kept < d.limit
	}
	for {
		left := d.budget.Load()
		if left <= 0 {
			return false
		}
		n := min(left, budgetBatch)
		if d.budget.CompareAndSwap(left, left-n) {
			d.limit += int(n)
			return true
		}
	}
}

// twice returns the hashes added more than once, checking one partition
// at a time in a table that stays in the cache, on every core.
func (d *dupCheck) twice() map[uint64]bool {
	d.flush()
	for _, o := range d.lanes {
		o.flush()
		for i := range d.parts {
			d.parts[i] = append(d.parts[i], o.parts[i]...)
			o.parts[i] = nil
		}
		d.kept += o.kept
		d.unchecked += o.unchecked
	}
	d.lanes = nil
	workers := min(runtime.GOMAXPROCS(0), partitions)
	if d.kept < bufferKeys {
		workers = 1
	}
	found := make([][]uint64, workers)
	var wg sync.WaitGroup
	for wi := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var sc twiceScratch
			for p := wi; p < partitions; p += workers {
				found[wi] = twiceIn(d.parts[p], &sc, found[wi])
				d.parts[p] = nil
			}
		}()
	}
	wg.Wait()
	var out map[uint64]bool
	for _, f := range found {
		for _, h := range f {
			if out == nil {
				out = map[uint64]bool{}
			}
			out[h] = true
		}
	}
	return out
}

// twiceScratch is one checking goroutine's memory, reused across
// partitions.
type twiceScratch struct {
	seen, again []uint64 // bitsets
	cand, slots []uint64
}

// twiceIn appends to out the hashes that chunks hold more than once. A
// partition holds tens of thousands of hashes; probing a table for each
// costs more than the rest of the check, so a bitset (16 bits a hash, 84
// KiB for the 42,000 of a 2.7-million-key dump, in the core's cache;
// indexed by hash bits the partition does not use) first finds the few
// positions hit twice, and only the hashes at those positions go through
// an exact table.
func twiceIn(chunks [][]uint64, sc *twiceScratch, out []uint64) []uint64 {
	n := 0
	for _, c := range chunks {
		n += len(c)
	}
	if n == 0 {
		return out
	}
	bits := 1 << 10
	for bits < 16*n && bits < 1<<24 {
		bits *= 2
	}
	words := bits / 64
	if cap(sc.seen) < words {
		sc.seen, sc.again = make([]uint64, words), make([]uint64, words)
	}
	seen, again := sc.seen[:words], sc.again[:words]
	clear(seen)
	clear(again)
	mask := uint64(bits - 1)
	for _, c := range chunks {
		for _, h := range c {
			i := h & mask
			w, b := i>>6, uint64(1)<<(i&63)
			again[w] |= seen[w] & b
			seen[w] |= b
		}
	}
	cand := sc.cand[:0]
	for _, c := range chunks {
		for _, h := range c {
			i := h & mask
			if again[i>>6]&(1<<(i&63)) != 0 {
				cand = append(cand, h)
			}
		}
	}
	sc.cand = cand
	if len(cand) < 2 {
		return out
	}
	size := 64
	for size < 2*len(cand) {
		size *= 2
	}
	if cap(sc.slots) < size {
		sc.slots = make([]uint64, size)
	}
	slots := sc.slots[:size]
	clear(slots)
	smask := uint64(size - 1)
	for _, h := range cand {
		// The low bits placed h in the bitset; the table takes others.
		for i := (h >> 24) & smask; ; i = (i + 1) & smask {
			if slots[i] == 0 {
				slots[i] = h
				break
			}
			if slots[i] == h {
				out = append(out, h)
				break
			}
		}
	}
	return out
}

// locateDuplicates walks the file again to find the records whose hash is
// in twice: the second and later of each name are the duplicates.
func locateDuplicates(ctx context.Context, r io.ReaderAt, size int64, version int, opt Options, seed maphash.Seed, twice map[uint64]bool) []duplicateKey {
	p := newPipeline(ctx, r, size, 0, 1, nil)
	defer p.close()
	w := newWalker(ctx, p, r, 9, size, version, seed, Options{Limits: opt.Limits})
	w.dup.lookFor, w.dup.seen = twice, map[uint64]bool{}
	w.run()
	return w.dup.found
}
