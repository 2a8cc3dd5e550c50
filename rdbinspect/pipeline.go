package rdbinspect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
)

// pipeBlock is the read unit of the pipeline: small enough that a block
// read into a buffer is still in the core's cache when it is checksummed
// and walked (256 KiB measured faster than 1 MiB with two lanes); tests
// shrink it to cross block boundaries often.
var pipeBlock = 256 << 10

// carryRoom is the space in front of each block buffer where the scanner
// copies the unread tail of the previous block, so a record that straddles
// two blocks is contiguous without copying whole blocks. It bounds ensure.
const carryRoom = 512

// block is one read unit: its bytes, and the CRC of the part of it that lies
// below the checksum end.
type block struct {
	res    chan *block // where the worker hands the filled block over; reused
	off    int64
	mem    []byte // carryRoom + data
	n      int    // data bytes
	crc    uint64
	crcOff int64 // where the checksummed part starts: off, or later after a resume
	crcLen int64
	err    error
}

func (b *block) data() []byte { return b.mem[carryRoom : carryRoom+b.n] }

// reset readies a block to hold the n bytes at off, nothing summed yet.
func (b *block) reset(off int64, n int) {
	b.off, b.n, b.crc, b.crcOff, b.crcLen, b.err = off, n, 0, off, 0, nil
}

// pipeline reads [0, size) once, in order, with several goroutines that
// each pread a block and checksum it; the walk consumes the same buffers, so
// every byte is read from the kernel once and checksummed in parallel.
// Memory is a fixed number of block buffers whatever the file size.
type pipeline struct {
	r      io.ReaderAt
	size   int64
	crcEnd int64
	order  chan chan *block
	pool   chan *block
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// CRC of [0, accEnd): every released block except the last one, whose
	// sum is kept apart so a prefix ending inside it can still be formed.
	acc     uint64
	accEnd  int64
	last    block
	hasLast bool
	op      *[64]uint64
	done    bool
	readErr error

	// single is the one block of a file no larger than a block, read on
	// the caller's goroutine: no goroutines start, so a small file (and a
	// fuzz input) costs one read and behaves the same on every run.
	single   *block
	progress func(int64)

	// own, when set, are the two buffers of a pipeline that reads and
	// checksums each block on the walk's own goroutine when it asks for
	// it (a lane: see lane.go), so the walk finds the block in its core's
	// cache. ownNext is the offset of the next block; crcFrom is where the
	// checksum resumes after the walk skipped a range another lane summed.
	own     [2]*block
	ownNext int64
	ownTurn int
	crcFrom int64
}

func newPipeline(ctx context.Context, r io.ReaderAt, size, crcEnd int64, workers int, progress func(int64)) *pipeline {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	bs := int64(pipeBlock)
	nblocks := (size + bs - 1) / bs
	workers = int(max(1, min(int64(workers), nblocks)))
	nbuf := int(min(int64(2*workers+2), nblocks+1))
	ctx, cancel := context.WithCancel(ctx)
	p := &pipeline{
		r: r, size: size, crcEnd: crcEnd,
		order:  make(chan chan *block, nbuf),
		pool:   make(chan *block, nbuf),
		cancel: cancel,
	}
	bufSize := carryRoom + int(min(bs, max(size, 1)))
	if nblocks <= 1 {
		cancel()
		p.order, p.pool = nil, nil
		p.single = &block{mem: blockMem(bufSize)}
		p.progress = progress
		if nblocks == 0 {
			p.done = true
		}
		return p
	}
	// A fixed set of blocks circulates: pool -> worker -> walk -> pool, so
	// nothing is allocated per block.
	for range nbuf {
		p.pool <- &block{mem: blockMem(bufSize), res: make(chan *block, 1)}
	}
	jobs := make(chan *block)
	// The dispatcher hands out buffers in block order, so the block the walk
	// waits for always has one, whatever order the workers finish in.
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer close(jobs)
		defer close(p.order)
		for off := int64(0); off < size; off += bs {
			var b *block
			select {
			case b = <-p.pool:
			case <-ctx.Done():
				return
			}
			b.reset(off, int(min(bs, size-off)))
			select {
			case jobs <- b:
			case <-ctx.Done():
				return
			}
			select {
			case p.order <- b.res:
			case <-ctx.Done():
				return
			}
		}
	}()
	for range workers {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for b := range jobs {
				n := int64(b.n)
				p.fill(b)
				b.res <- b
				if progress != nil {
					progress(n)
				}
			}
		}()
	}
	return p
}

// newOwnPipeline reads [lo, size) block by block on the caller's goroutine:
// each block is read and checksummed when the walk asks for it. lo is a
// block boundary; the running checksum covers [lo, crcEnd).
func newOwnPipeline(r io.ReaderAt, lo, size, crcEnd int64, progress func(int64)) *pipeline {
	bufSize := carryRoom + int(min(int64(pipeBlock), max(size-lo, 1)))
	p := &pipeline{r: r, size: size, crcEnd: crcEnd, cancel: func() {}, progress: progress,
		accEnd: lo, ownNext: lo, crcFrom: lo}
	for i := range p.own {
		p.own[i] = &block{mem: blockMem(bufSize)}
	}
	return p
}

// resume makes an own pipeline go on at off, skipping what lies between:
// sum is the checksum of [0, off), which another lane completed.
func (p *pipeline) resume(off int64, sum uint64) {
	bs := int64(pipeBlock)
	p.acc, p.accEnd, p.hasLast = sum, off, false
	p.crcFrom, p.ownNext, p.done = off, off/bs*bs, false
}

// restart makes an own pipeline read from lo again, for another chunk.
func (p *pipeline) restart(lo int64) {
	p.resume(lo, 0)
	p.readErr = nil
}

// fill reads a block and checksums the part of it below crcEnd.
func (p *pipeline) fill(b *block) {
	m, err := p.r.ReadAt(b.data(), b.off)
	if m < b.n {
		if err == nil || errors.Is(err, io.EOF) {
			err = fmt.Errorf("file shrank below the %d bytes it had when reading started: %w", p.size, io.ErrUnexpectedEOF)
		}
		b.err = err
		return
	}
	from := max(b.off, p.crcFrom)
	if to := min(b.off+int64(b.n), p.crcEnd); from < to {
		b.crcOff, b.crcLen = from, to-from
		b.crc = CRC64Update(0, b.data()[from-b.off:to-b.off])
	}
}

// next returns the next block in file order, or nil after the last one.
func (p *pipeline) next() *block {
	if p.done {
		return nil
	}
	if p.own[0] != nil {
		if p.ownNext >= p.size {
			p.done = true
			return nil
		}
		b := p.own[p.ownTurn]
		p.ownTurn ^= 1
		b.reset(p.ownNext, int(min(int64(pipeBlock), p.size-p.ownNext)))
		p.ownNext += int64(b.n)
		p.fill(b)
		if b.err != nil && p.readErr == nil {
			p.readErr = b.err
		}
		if p.progress != nil {
			p.progress(int64(b.n))
		}
		return b
	}
	if p.single != nil {
		p.done = true
		b := p.single
		b.reset(0, int(p.size))
		p.fill(b)
		if b.err != nil {
			p.readErr = b.err
		}
		if p.progress != nil {
			p.progress(int64(b.n))
		}
		return b
	}
	res, ok := <-p.order
	if !ok {
		p.done = true
		return nil
	}
	b := <-res
	if b.err != nil && p.readErr == nil {
		p.readErr = b.err
	}
	return b
}

// release folds a consumed block into the running CRC and recycles its
// buffer.
func (p *pipeline) release(b *block) {
	if b == nil {
		return
	}
	if p.hasLast {
		p.fold(p.last.crc, p.last.crcLen)
	}
	p.last = block{off: b.off, n: b.n, crc: b.crc, crcOff: b.crcOff, crcLen: b.crcLen}
	p.hasLast = true
	if p.single == nil && p.own[0] == nil {
		p.pool <- b
	}
}

func (p *pipeline) fold(sum uint64, n int64) {
	if n == int64(pipeBlock) {
		if p.op == nil {
			p.op = zerosOperator(n)
		}
		p.acc = gf2Times(p.op, p.acc) ^ sum
	} else {
		p.acc = CRC64Combine(p.acc, sum, n)
	}
	p.accEnd += n
}

// errBehindSum: a prefix ends before what the running checksum already
// covers, so it cannot be formed from it.
var errBehindSum = errors.New("rdbinspect: prefix ends inside the summed part")

// prefixCRC returns the CRC of [0, l) (of [lo, l) for an own pipeline
// started at lo) while cur (the block the scanner is in, or nil) is still
// held. l must not exceed crcEnd.
func (p *pipeline) prefixCRC(cur *block, l int64) (uint64, error) {
	if l < p.accEnd {
		return 0, errBehindSum
	}
	sum := p.acc
	if p.hasLast {
		if l >= p.last.crcOff+p.last.crcLen {
			sum = combine(sum, p.last.crc, p.last.crcLen)
		} else {
			// l falls inside the last released block, whose buffer is gone:
			// read that part again (at most one block).
			part, err := crcRange(p.r, p.last.crcOff, l)
			if err != nil {
				return 0, err
			}
			return combine(sum, part, l-p.last.crcOff), nil
		}
	}
	if cur != nil && l > cur.crcOff {
		from := cur.crcOff - cur.off
		k := l - cur.crcOff
		sum = combine(sum, CRC64Update(0, cur.data()[from:from+k]), k)
	}
	return sum, nil
}

func combine(a, b uint64, n int64) uint64 { return CRC64Combine(a, b, n) }

// drain consumes every remaining block, so the running CRC covers
// [0, crcEnd).
func (p *pipeline) drain(cur *block) uint64 {
	p.release(cur)
	for b := p.next(); b != nil; b = p.next() {
		p.release(b)
	}
	if p.hasLast {
		p.fold(p.last.crc, p.last.crcLen)
		p.hasLast = false
	}
	return p.acc
}

// close stops the readers, waits for them and gives the buffers of the
// blocks the walk is done with to the next walk. It is called once, when
// nothing reads the blocks any more.
func (p *pipeline) close() {
	p.cancel()
	if p.single != nil || p.own[0] != nil {
		for _, b := range []*block{p.single, p.own[0], p.own[1]} {
			if b != nil {
				recycleBlockMem(b.mem)
			}
		}
		return
	}
	// Unblock a dispatcher waiting to queue a block nobody will consume.
	go func() {
		for range p.order {
		}
	}()
	p.wg.Wait()
	// The blocks in the pool were released by the walk and are no longer
	// handed out; blocks still queued are left to the collector.
	for {
		select {
		case b := <-p.pool:
			recycleBlockMem(b.mem)
		default:
			return
		}
	}
}

// blockBuffers keeps block buffers from one walk to the next: check reads
// several files of a directory, and serve reads them again and again. A
// list of its own rather than a sync.Pool, whose per-core slots another
// core cannot take from: a walk's lanes run on every core.
var blockBuffers struct {
	sync.Mutex
	free [][]byte
}

// keptBlockBuffers bounds what is kept between walks (4 MiB): enough for a
// walk on eight cores.
const keptBlockBuffers = 16

// blockMem returns a block buffer of n bytes, a kept one when it is large
// enough.
func blockMem(n int) []byte {
	if n >= carryRoom+pipeBlock {
		blockBuffers.Lock()
		defer blockBuffers.Unlock()
		if k := len(blockBuffers.free); k > 0 && cap(blockBuffers.free[k-1]) >= n {
			b := blockBuffers.free[k-1]
			blockBuffers.free = blockBuffers.free[:k-1]
			return b[:n]
		}
	}
	return make([]byte, n)
}

// recycleBlockMem keeps a full-size block buffer for the next walk; the
// buffers of small files are left to the collector.
func recycleBlockMem(b []byte) {
	if cap(b) < carryRoom+pipeBlock {
		return
	}
	blockBuffers.Lock()
	defer blockBuffers.Unlock()
	if len(blockBuffers.free) < keptBlockBuffers {
		blockBuffers.free = append(blockBuffers.free, b)
	}
}

// crcRange computes the CRC of [lo, hi) from a zero start.
func crcRange(r io.ReaderAt, lo, hi int64) (uint64, error) {
	buf := make([]byte, min(int64(readChunk), max(hi-lo, 1)))
	var sum uint64
	for off := lo; off < hi; {
		n := min(int64(len(buf)), hi-off)
		m, err := r.ReadAt(buf[:n], off)
		if int64(m) < n {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
		sum = CRC64Update(sum, buf[:n])
		off += n
	}
	return sum, nil
}
