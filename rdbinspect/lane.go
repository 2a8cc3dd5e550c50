package rdbinspect

import (
	"context"
	"hash/maphash"
	"io"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
)

// A large dump is walked in lanes, one per core. Each lane reads and
// checksums its blocks on its own goroutine just before walking them, so
// the walk finds every byte in its core's cache; one goroutine reading and
// another walking cost the walk a cache miss per record.
//
// The file is cut into chunks of about laneChunk bytes. RDB records carry
// no markers, so a chunk starts at a guess: the first offset after its
// nominal start where laneProbeRecords records in a row parse
// (probeRecords). The first lane walks from the start of the file; the
// other lanes take chunks from the end backwards, so the lanes meet where
// their speeds put them and the one that arrives first waits at most for
// one chunk. A chunk's lane walks key records from its guess with every
// check the first lane runs, and stops at the first record boundary at or
// past the next chunk's guess, before anything that is not a plain key
// (SELECTDB, RESIZEDB, AUX, EOF...), before a record that fails or is
// flagged, and at the end of the file.
//
// When the first lane reaches a chunk's guess exactly, at a record
// boundary, the guess was a record boundary, and what that chunk's lane
// found from there is what the first lane would have found: it takes over
// the lane's counts, key hashes and checksum and jumps to where the lane
// stopped, and if that is the next chunk's guess it goes on with that
// chunk. A chunk no lane has taken yet, the first lane walks itself.
// Anything a lane left (the failing or flagged record, the next database)
// the first lane walks itself, so findings, their offsets and their order
// are those of a single walk. If the first lane passes a guess inside a
// record, the guess was wrong and it walks that chunk itself.

// laneMinSize: smaller files are walked in one lane; the other lanes'
// buffers, goroutines and probes would cost more than they save. Tests
// lower it.
var laneMinSize int64 = 32 << 20

// laneChunk is about how much a lane walks before it may meet the first
// lane: the first lane waits for at most one chunk's walk (about 15 ms at
// 32 MiB), and every chunk costs a probe and a block read twice.
var laneChunk int64 = 32 << 20

const (
	// laneProbeWindow is how much the probe reads at a chunk's start.
	laneProbeWindow = 64 << 10
	// maxLaneChunks bounds the chunks of a huge file.
	maxLaneChunks = 256
	// maxLanes bounds the lanes besides the first (their buffers).
	maxLanes = 7
)

// laneProbeRecords is how many records must parse in a row at the guess
// (fewer in the fuzz target's small files).
var laneProbeRecords = 32

// lanesWalkFirst, set by tests, makes the first lane start only when the
// other lanes have walked every chunk, so it takes over all of them.
var lanesWalkFirst bool

// Who walks a chunk.
const (
	claimNone  int32 = iota
	claimLane        // a lane walks it
	claimFirst       // the first lane walks it itself
)

// laneSet is the chunks of one walk and the lanes walking them.
type laneSet struct {
	ctx     context.Context
	cancel  context.CancelFunc
	r       io.ReaderAt
	size    int64
	crcEnd  int64
	version int
	opt     Options
	seed    maphash.Seed
	setup   func(*walker)
	chunks  []*chunk // chunks[0] starts the file: the first lane's own
	wg      sync.WaitGroup
	// keys is how many more key hashes the lanes may keep between them.
	keys atomic.Int64
	// next is the first chunk past the first lane (its goroutine only).
	next int
}

// chunk is one stretch of the file a lane may walk.
type chunk struct {
	from   int64 // nominal start, a block boundary: its lane reads from here
	probe  sync.Once
	seamAt int64 // where its records start (-1: no boundary found)
	state  atomic.Int32
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	res    laneResult
}

// laneResult is what a chunk's lane walked: records from the seam to stop,
// whose checksum (of [from, stop)) is crc; when stop is the next chunk's
// seam, crcNext is the checksum of [from, the next chunk's from).
type laneResult struct {
	w       *walker
	stop    int64
	crc     uint64
	crcNext uint64
	exact   bool
	ok      bool
}

// startLanes starts the lanes when the file is large enough, more than one
// core runs Go code and a record boundary is found where a chunk starts.
// setup configures a lane's walker as the first lane's.
func startLanes(ctx context.Context, r io.ReaderAt, size, crcEnd int64, version int, opt Options, seed maphash.Seed, setup func(*walker)) *laneSet {
	lanes := min(runtime.GOMAXPROCS(0), maxLanes+1)
	if opt.Workers >= 2 {
		lanes = min(lanes, opt.Workers)
	}
	if size < laneMinSize || lanes < 2 || opt.Visit != nil {
		return nil
	}
	bs := int64(pipeBlock)
	n := min(max(2, size/max(laneChunk, bs)), maxLaneChunks)
	ls := &laneSet{r: r, size: size, crcEnd: crcEnd, version: version, opt: opt, seed: seed, setup: setup}
	ls.ctx, ls.cancel = context.WithCancel(ctx)
	ls.keys.Store(int64(maxCheckedKeys))
	for i := range n {
		c := &chunk{from: i * size / n / bs * bs, done: make(chan struct{})}
		c.ctx, c.cancel = context.WithCancel(ls.ctx)
		ls.chunks = append(ls.chunks, c)
	}
	ls.chunks[0].seamAt = 9
	ls.chunks[0].probe.Do(func() {})
	ls.chunks[0].state.Store(claimFirst)
	if ls.next = ls.after(0); ls.next == len(ls.chunks) {
		ls.cancel()
		return nil
	}
	for range min(lanes-1, int(n)-1) {
		ls.wg.Add(1)
		go ls.work()
	}
	if lanesWalkFirst {
		ls.wg.Wait()
	}
	return ls
}

// seam returns where chunk i's records start, probing for it the first
// time it is asked; -1 when no record boundary was found there.
func (ls *laneSet) seam(i int) int64 {
	if i >= len(ls.chunks) {
		return math.MaxInt64
	}
	c := ls.chunks[i]
	c.probe.Do(func() {
		c.seamAt = -1
		buf := probeBuffers.Get().(*[]byte)
		defer probeBuffers.Put(buf)
		window := (*buf)[:min(laneProbeWindow, ls.size-c.from)]
		if n, _ := ls.r.ReadAt(window, c.from); n < len(window) {
			return
		}
		for j := 0; j+1 < len(window)/2; j++ {
			if probeRecords(window, j, laneProbeRecords) {
				c.seamAt = c.from + int64(j)
				return
			}
		}
	})
	return c.seamAt
}

var probeBuffers = sync.Pool{New: func() any {
	b := make([]byte, laneProbeWindow)
	return &b
}}

// after returns the first chunk after i whose seam was found
// (len(ls.chunks) when none): where chunk i's stretch ends.
func (ls *laneSet) after(i int) int {
	for i++; i < len(ls.chunks) && ls.seam(i) < 0; i++ {
	}
	return i
}

// work is one lane: it walks chunks from the end of the file backwards
// until it meets the first lane.
func (ls *laneSet) work() {
	defer ls.wg.Done()
	p := newOwnPipeline(ls.r, 0, ls.size, ls.crcEnd, ls.opt.Progress)
	defer p.close()
	// One store for the key hashes of every chunk the lane walks: a store
	// per chunk would leave a partly filled chunk in each partition.
	store := new(hashStore)
	for i := len(ls.chunks) - 1; i >= 1; i-- {
		c := ls.chunks[i]
		if c.state.Load() == claimFirst {
			return
		}
		if ls.seam(i) < 0 || !c.state.CompareAndSwap(claimNone, claimLane) {
			continue
		}
		ls.walkChunk(i, p, store)
	}
}

// walkChunk walks chunk i in a lane, reading through p, its key hashes
// going to store.
func (ls *laneSet) walkChunk(i int, p *pipeline, store *hashStore) {
	c := ls.chunks[i]
	defer close(c.done)
	j := ls.after(i)
	end := ls.seam(j)
	p.restart(c.from)
	w := newWalker(c.ctx, p, ls.r, c.seamAt, ls.size, ls.version, ls.seed, ls.opt)
	ls.setup(w)
	w.lane = true
	w.laneSafe = c.seamAt
	w.nextSeam = end
	w.dup.inLane(&ls.keys, store)
	w.run()
	w.dup.flush()
	stop := w.laneSafe
	res := laneResult{w: w, stop: stop, ok: stop > c.seamAt && c.ctx.Err() == nil}
	res.exact = res.ok && stop == end
	if res.ok && ls.crcEnd > 0 {
		var err error
		switch {
		case stop > ls.crcEnd:
			res.ok = false
		case res.exact:
			if res.crcNext, err = p.prefixCRC(w.s.cur, ls.chunks[j].from); err != nil {
				res.exact = false
			}
		}
		if res.ok {
			if res.crc, err = p.prefixCRC(w.s.cur, stop); err != nil {
				res.ok = false
			}
		}
	}
	c.res = res
}

// discard drops what chunk c's lane walked, if a lane walks it: the first
// lane walks the chunk itself, and the key hashes the lane kept go back to
// the budget.
func (ls *laneSet) discard(c *chunk) {
	if c.state.Load() != claimLane {
		return
	}
	c.cancel()
	<-c.done
	ls.keys.Add(int64(c.res.w.dup.kept))
}

// stop abandons the lanes and waits for them.
func (ls *laneSet) stop() {
	if ls == nil {
		return
	}
	ls.cancel()
	ls.wg.Wait()
}

// joinLanes is called by the first lane at a record boundary at or past the
// next chunk's seam. It takes over what lanes walked from there, chunk
// after chunk while each lane stopped at the next one's seam, or leaves
// the chunk to the first lane.
func (w *walker) joinLanes(at int64) {
	ls, p := w.lanes, w.s.p
	var left uint64 // the checksum of [0, from) of the chunk at hand
	leftOK := false
	stopAt, stopSum := int64(-1), uint64(0)
	for at >= w.nextSeam {
		i := ls.next
		c := ls.chunks[i]
		j := ls.after(i)
		ls.next, w.nextSeam = j, ls.seam(j)
		// A chunk no lane took is the first lane's from now on.
		walked := !c.state.CompareAndSwap(claimNone, claimFirst) && at == c.seamAt && w.db == 0
		if walked {
			<-c.done
			walked = c.res.ok
		}
		if walked && stopAt < 0 {
			// The first chunk taken over in this call: the walk's own
			// pipeline holds the checksum up to it.
			leftOK = true
			if p.crcEnd > 0 {
				var err error
				left, err = p.prefixCRC(w.s.cur, c.from)
				leftOK = err == nil
			}
		}
		if !walked || !leftOK {
			// The lane counted its keys in database 0, or found nothing
			// to count, or was never started: the first lane walks it.
			ls.discard(c)
			continue
		}
		res := c.res
		w.absorb(res.w)
		if onLaneJoin != nil {
			onLaneJoin(c.seamAt, res.stop)
		}
		stopAt, stopSum = res.stop, combine(left, res.crc, res.stop-c.from)
		at = res.stop
		leftOK = res.exact
		if leftOK {
			left = combine(left, res.crcNext, ls.chunks[j].from-c.from)
		}
	}
	if stopAt >= 0 {
		p.resume(stopAt, stopSum)
		w.s.jump(stopAt)
	}
}

// absorb adds the counts of the records another lane walked in the
// current database to this walker's.
func (w *walker) absorb(o *walker) {
	w.stats.Keys += o.stats.Keys
	w.stats.Expires += o.stats.Expires
	w.stats.Expired += o.stats.Expired
	w.content.sectionKeys += o.content.sectionKeys
	w.content.sectionExp += o.content.sectionExp
	if len(o.stats.DBs) > 0 {
		d, od := w.dbStats(), o.stats.DBs[0]
		d.Keys += od.Keys
		d.Expires += od.Expires
		d.Expired += od.Expired
		d.Bytes += od.Bytes
	}
	if w.types != nil && o.types != nil {
		for t := range w.types {
			w.types[t].Keys += o.types[t].Keys
			w.types[t].Bytes += o.types[t].Bytes
		}
	}
	for _, bk := range o.top {
		w.offerBig(bk)
	}
	w.dup.lanes = append(w.dup.lanes, &o.dup)
}

// probeRecords says whether k key records (with their expire, LRU and LFU
// prefixes) parse one after another from b[i:] without leaving b. It looks
// at lengths and types only; it is a guess the first lane confirms.
func probeRecords(b []byte, i, k int) bool {
	for range k {
	prefixes:
		for i < len(b) {
			switch b[i] {
			case opExpireTimeMS:
				i += 9
			case opExpireTime:
				i += 5
			case opFreq:
				i += 2
			case opIdle:
				n, j, ok := probeLen(b, i+1)
				if !ok || n > uint64(len(b)) {
					return false
				}
				i = j
			default:
				break prefixes
			}
		}
		if i >= len(b) {
			return false
		}
		t := b[i]
		// An empty name is legal but rare, and a run of zero bytes (the
		// padding of DEBUG POPULATE values) reads as empty strings.
		if i+1 >= len(b) || b[i+1] == 0 {
			return false
		}
		var ok bool
		if i, ok = probeStr(b, i+1); !ok {
			return false
		}
		items, per := uint64(1), 1 // strings per item
		extra := 0                 // fixed bytes per item
		switch t {
		case typeString, typeHashZipmap, typeListZiplist, typeSetIntset, typeZSetZiplist,
			typeHashZiplist, typeHashListpack, typeZSetListpack, typeSetListpack:
		case typeList, typeSet, typeListQuicklist:
			items, i, ok = probeLen(b, i)
		case typeHash:
			items, i, ok = probeLen(b, i)
			per = 2
		case typeZSet2:
			items, i, ok = probeLen(b, i)
			extra = 8
		case typeListQuicklist2:
			items, i, ok = probeLen(b, i)
			per = 2 // container kind as a length, then the node
		default:
			return false
		}
		if !ok || items == 0 || items > uint64(len(b)-i) {
			return false
		}
		for range items {
			for s := 0; s < per; s++ {
				if t == typeListQuicklist2 && s == 0 {
					if _, i, ok = probeLen(b, i); !ok {
						return false
					}
					continue
				}
				if i, ok = probeStr(b, i); !ok {
					return false
				}
			}
			if i += extra; i > len(b) {
				return false
			}
		}
	}
	return true
}

// probeLen reads an RDB length at b[i:], rejecting the special encodings.
// It is cursor.length without the error values: the probe fails on most
// offsets it tries, and building an error for each slowed it sevenfold.
func probeLen(b []byte, i int) (uint64, int, bool) {
	if i >= len(b) {
		return 0, i, false
	}
	b0 := b[i]
	switch b0 >> 6 {
	case 0:
		return uint64(b0 & 0x3f), i + 1, true
	case 1:
		if i+2 > len(b) {
			return 0, i, false
		}
		return uint64(b0&0x3f)<<8 | uint64(b[i+1]), i + 2, true
	}
	switch {
	case b0 == 0x80 && i+5 <= len(b):
		return uint64(b[i+1])<<24 | uint64(b[i+2])<<16 | uint64(b[i+3])<<8 | uint64(b[i+4]), i + 5, true
	case b0 == 0x81 && i+9 <= len(b):
		var v uint64
		for _, c := range b[i+1 : i+9] {
			v = v<<8 | uint64(c)
		}
		return v, i + 9, true
	}
	return 0, i, false
}

// probeStr skips a string object at b[i:] and returns where it ends.
func probeStr(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return i, false
	}
	if b0 := b[i]; b0>>6 == 3 {
		switch b0 & 0x3f {
		case 0, 1, 2:
			j := i + 1 + 1<<(b0&0x3f)
			return j, j <= len(b)
		case 3:
			clen, j, ok := probeLen(b, i+1)
			if !ok {
				return i, false
			}
			ulen, j, ok := probeLen(b, j)
			if !ok || clen == 0 || ulen == 0 || clen > uint64(len(b)-j) {
				return i, false
			}
			return j + int(clen), true
		}
		return i, false
	}
	n, j, ok := probeLen(b, i)
	if !ok || n > uint64(len(b)-j) {
		return i, false
	}
	return j + int(n), true
}

// onLaneJoin, when set (by tests), is told of every lane taken over.
var onLaneJoin func(seam, stop int64)
