package rdbinspect

import "io"

// scanner is the walk's forward reader over the pipeline's blocks. buf is a
// view of the current block (with the unread tail of the previous block
// copied in front of it), so the walker indexes bytes directly; payloads
// are skipped by moving the offset, releasing whole blocks unseen.
type scanner struct {
	p       *pipeline
	r       io.ReaderAt
	end     int64
	cur     *block
	buf     []byte
	base    int64 // file offset of buf[0]
	i, n    int
	ioErr   error
	refills int
}

func newScanner(p *pipeline, r io.ReaderAt, start, end int64) *scanner {
	s := &scanner{p: p, r: r, end: end, base: 0}
	if !s.ensure(1) {
		s.base = start
		return s
	}
	if start-s.base <= int64(s.n) {
		s.i = int(start - s.base)
	} else {
		s.skip(uint64(start - s.off()))
	}
	return s
}

// jump moves the scanner forward to off, past bytes another lane walked:
// the blocks between are neither read nor summed here (the pipeline was
// told with resume), and the block the scanner was in is dropped.
func (s *scanner) jump(off int64) {
	s.cur, s.buf, s.base, s.i, s.n = nil, nil, off, 0, 0
	nb := s.p.next()
	if nb == nil {
		return
	}
	s.cur = nb
	s.refills++
	if nb.err != nil {
		s.ioErr = nb.err
		return
	}
	s.buf, s.base, s.n = nb.data(), nb.off, nb.n
	s.i = int(off - nb.off)
}

func (s *scanner) off() int64  { return s.base + int64(s.i) }
func (s *scanner) left() int64 { return s.end - s.off() }

// ensure makes k bytes (k <= carryRoom) available at s.buf[s.i:]. It
// returns false when the snapshot ends first or a read failed (ioErr).
func (s *scanner) ensure(k int) bool {
	for s.n-s.i < k {
		if s.ioErr != nil {
			return false
		}
		nb := s.p.next()
		if nb == nil {
			return false
		}
		if nb.err != nil {
			s.ioErr = nb.err
			return false
		}
		rem := s.n - s.i
		copy(nb.mem[carryRoom-rem:carryRoom], s.buf[s.i:s.n])
		s.p.release(s.cur)
		s.cur = nb
		s.buf = nb.mem[carryRoom-rem : carryRoom+nb.n]
		s.base = nb.off - int64(rem)
		s.i, s.n = 0, len(s.buf)
		s.refills++
	}
	return true
}

// skip advances n bytes; the caller has checked n <= left().
func (s *scanner) skip(n uint64) {
	if uint64(s.n-s.i) >= n {
		s.i += int(n)
		return
	}
	target := s.off() + int64(n)
	for {
		nb := s.p.next()
		if nb == nil {
			s.buf, s.base, s.i, s.n = nil, target, 0, 0
			return
		}
		if nb.err != nil {
			s.ioErr = nb.err
			s.buf, s.base, s.i, s.n = nil, target, 0, 0
			return
		}
		s.p.release(s.cur)
		s.cur = nb
		s.refills++
		if end := nb.off + int64(nb.n); end > target {
			s.buf, s.base, s.n = nb.data(), nb.off, nb.n
			s.i = int(target - nb.off)
			return
		}
	}
}

func (s *scanner) u8() byte {
	v := s.buf[s.i]
	s.i++
	return v
}
