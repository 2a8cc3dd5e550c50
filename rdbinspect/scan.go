package rdbinspect

import (
	"errors"
	"fmt"
	"io"
)

// scanner is a forward reader over an io.ReaderAt limited to a snapshot
// size. It buffers one chunk and skips payloads by moving its offset, so a
// skipped value costs nothing however large it claims to be.
type scanner struct {
	r       io.ReaderAt
	end     int64
	buf     []byte
	base    int64 // file offset of buf[0]
	i, n    int
	ioErr   error
	refills int
}

func newScanner(r io.ReaderAt, start, end int64, bufSize int) *scanner {
	return &scanner{r: r, end: end, buf: make([]byte, bufSize), base: start}
}

func (s *scanner) off() int64  { return s.base + int64(s.i) }
func (s *scanner) left() int64 { return s.end - s.off() }

// ensure makes k bytes (k <= len(buf)) available at s.buf[s.i:]. It returns
// false when the snapshot ends first or the read fails (ioErr is set).
func (s *scanner) ensure(k int) bool {
	if s.n-s.i >= k {
		return true
	}
	if s.ioErr != nil {
		return false
	}
	copy(s.buf, s.buf[s.i:s.n])
	s.base += int64(s.i)
	s.n -= s.i
	s.i = 0
	want := min(int64(len(s.buf)-s.n), s.end-(s.base+int64(s.n)))
	if want > 0 {
		m, err := s.r.ReadAt(s.buf[s.n:s.n+int(want)], s.base+int64(s.n))
		s.n += m
		s.refills++
		if m < int(want) {
			if err == nil || errors.Is(err, io.EOF) {
				err = fmt.Errorf("file shrank below the %d bytes it had when reading started: %w", s.end, io.ErrUnexpectedEOF)
			}
			s.ioErr = err
		}
	}
	return s.n-s.i >= k
}

// skip advances n bytes; the caller has checked n <= left().
func (s *scanner) skip(n uint64) {
	if uint64(s.n-s.i) >= n {
		s.i += int(n)
		return
	}
	s.base = s.off() + int64(n)
	s.i, s.n = 0, 0
}

func (s *scanner) u8() byte {
	v := s.buf[s.i]
	s.i++
	return v
}

// readAtSmall reads up to len(p) bytes at off without moving the scanner; used
// for the last byte of a large blob.
func (s *scanner) readAtSmall(p []byte, off int64) bool {
	m, err := s.r.ReadAt(p, off)
	if m < len(p) {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		s.ioErr = err
		return false
	}
	return true
}
