package rdbinspect

import (
	"context"
	"hash/maphash"
	"io"
	"runtime"
)

// A large dump is walked in two lanes, one per core. Each lane reads and
// checksums its blocks on its own goroutine just before walking them, so
// the walk finds every byte in its core's cache; one lane reading and
// another walking cost the walk a cache miss per record.
//
// RDB records carry no markers, so the second lane starts at a guess: the
// first offset after the middle of the file where laneProbeRecords records
// in a row parse (probeRecords). It walks key records from there with every
// check the first lane runs, and stops before anything that is not a plain
// key (SELECTDB, RESIZEDB, AUX, EOF...), before a record that fails or is
// flagged, and at the end of the file. The first lane walks from the start;
// when it reaches the guessed offset exactly, at a record boundary, the guess
// was a record boundary, and what the second lane found from there is what
// the first lane would have found: it takes over the second lane's counts,
// key hashes and checksum and jumps to where that lane stopped. Anything
// the second lane left (the failing or flagged record, the next database)
// the first lane walks itself, so findings, their offsets and their order
// are those of a single walk. If the first lane passes the guessed offset
// inside a record, the guess was wrong and it walks on alone.

// laneMinSize: smaller files are walked in one lane; the second lane's
// buffers, goroutine and probe would cost more than they save. Tests lower it.
var laneMinSize int64 = 32 << 20

const (
	// laneProbeWindow is how much the probe reads at the middle of the
	// file.
	laneProbeWindow = 64 << 10
)

// laneProbeRecords is how many records must parse in a row at the guess
// (fewer in the fuzz target's small files).
var laneProbeRecords = 32

// lane is the second lane as the first one sees it.
type lane struct {
	from   int64 // first byte the lane read and checksummed (a block boundary)
	seam   int64 // where it started walking
	cancel context.CancelFunc
	done   chan struct{}
	res    laneResult
}

// laneResult is what the second lane walked: records from seam to stop,
// whose checksum (of [from, stop)) is crc.
type laneResult struct {
	w    *walker
	stop int64
	crc  uint64
	ok   bool
}

// startLane starts the second lane when the file is large enough, more than
// one core runs Go code, and a record boundary is found near the middle.
// setup configures the lane's walker as the first lane's.
func startLane(ctx context.Context, r io.ReaderAt, size, crcEnd int64, version int, opt Options, seed maphash.Seed, setup func(*walker)) *lane {
	if size < laneMinSize || runtime.GOMAXPROCS(0) < 2 || opt.Visit != nil {
		return nil
	}
	bs := int64(pipeBlock)
	from := size / 2 / bs * bs
	window := make([]byte, min(laneProbeWindow, size-from))
	if n, _ := r.ReadAt(window, from); n < len(window) {
		return nil
	}
	at := -1
	for i := 0; i+1 < len(window)/2; i++ {
		if probeRecords(window, i, laneProbeRecords) {
			at = i
			break
		}
	}
	if at < 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	l := &lane{from: from, seam: from + int64(at), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(l.done)
		p := newOwnPipeline(r, from, size, crcEnd, opt.Progress)
		w := newWalker(ctx, p, r, l.seam, size, version, seed, opt)
		setup(w)
		w.lane = true
		w.laneSafe = l.seam
		w.dup.inLane()
		w.run()
		w.dup.flush()
		stop := w.laneSafe
		res := laneResult{w: w, stop: stop, ok: stop > l.seam && ctx.Err() == nil}
		if res.ok && crcEnd > 0 {
			if stop > crcEnd {
				res.ok = false
			} else if sum, err := p.prefixCRC(w.s.cur, stop); err != nil {
				res.ok = false
			} else {
				res.crc = sum
			}
		}
		l.res = res
	}()
	return l
}

// stop abandons the lane and waits for its goroutine.
func (l *lane) stop() {
	if l == nil {
		return
	}
	l.cancel()
	<-l.done
}

// joinLane is called by the first lane at the record boundary at, the first
// one at or past the second lane's seam.
func (w *walker) joinLane(at int64) {
	l := w.join
	w.join = nil
	if at != l.seam {
		l.stop()
		return
	}
	<-l.done
	res := l.res
	// The second lane counted its keys in database 0.
	if !res.ok || w.db != 0 {
		return
	}
	p := w.s.p
	var sum uint64
	if p.crcEnd > 0 {
		left, err := p.prefixCRC(w.s.cur, l.from)
		if err != nil {
			return
		}
		sum = CRC64Combine(left, res.crc, res.stop-l.from)
	}
	p.resume(res.stop, sum)
	w.s.jump(res.stop)
	w.absorb(res.w)
	if onLaneJoin != nil {
		onLaneJoin(l.seam, res.stop)
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
