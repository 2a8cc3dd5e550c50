package rdbinspect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
)

// pipeBlock is the read unit of the pipeline; tests shrink it to cross
// block boundaries often.
var pipeBlock = 1 << 20

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
	crcLen int64
	err    error
}

func (b *block) data() []byte { return b.mem[carryRoom : carryRoom+b.n] }

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
		p.single = &block{mem: make([]byte, bufSize)}
		p.progress = progress
		if nblocks == 0 {
			p.done = true
		}
		return p
	}
	// A fixed set of blocks circulates: pool -> worker -> walk -> pool, so
	// nothing is allocated per block.
	for range nbuf {
		p.pool <- &block{mem: make([]byte, bufSize), res: make(chan *block, 1)}
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
			b.off, b.n, b.crc, b.crcLen, b.err = off, int(min(bs, size-off)), 0, 0, nil
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

// fill reads a block and checksums the part of it below crcEnd.
func (p *pipeline) fill(b *block) {
	m, err := p.r.ReadAt(b.data(), b.off)
	if m < b.n {
		if err == nil || errors.Is(err, io.EOF) {
			err = fmt.Errorf("file shrank below the %d bytes it had when reading started: %w", p.size, io.ErrUnexpectedEOF)
		}
		b.err = err
	} else if b.off < p.crcEnd {
		b.crcLen = min(int64(b.n), p.crcEnd-b.off)
		b.crc = CRC64Update(0, b.data()[:b.crcLen])
	}
}

// next returns the next block in file order, or nil after the last one.
func (p *pipeline) next() *block {
	if p.done {
		return nil
	}
	if p.single != nil {
		p.done = true
		b := p.single
		b.off, b.n, b.crc, b.crcLen, b.err = 0, int(p.size), 0, 0, nil
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
	p.last = block{off: b.off, n: b.n, crc: b.crc, crcLen: b.crcLen}
	p.hasLast = true
	if p.single == nil {
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

// prefixCRC returns the CRC of [0, l) while cur (the block the scanner is
// in, or nil) is still held. l must not exceed crcEnd.
func (p *pipeline) prefixCRC(cur *block, l int64) (uint64, error) {
	sum := p.acc
	if p.hasLast {
		if l >= p.last.off+p.last.crcLen {
			sum = combine(sum, p.last.crc, p.last.crcLen)
		} else {
			// l falls inside the last released block, whose buffer is gone:
			// read that part again (at most one block).
			part, err := crcRange(p.r, p.last.off, l)
			if err != nil {
				return 0, err
			}
			return combine(sum, part, l-p.last.off), nil
		}
	}
	if cur != nil && l > cur.off {
		k := l - cur.off
		sum = combine(sum, CRC64Update(0, cur.data()[:k]), k)
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

// close stops the readers and waits for them.
func (p *pipeline) close() {
	p.cancel()
	if p.single != nil {
		return
	}
	// Unblock a dispatcher waiting to queue a block nobody will consume.
	go func() {
		for range p.order {
		}
	}()
	p.wg.Wait()
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
