package aofinspect

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/aoftool/aoftool/finding"
	"github.com/aoftool/aoftool/rdbinspect"
)

// The RDB part of an AOF file (a 7.x base written with
// aof-use-rdb-preamble yes, or a ≤ 6.2 appendonly.aof rewritten with a
// preamble) has no length field: the server parses the whole RDB, then reads
// the 8-byte CRC64 after the EOF opcode (0xFF) and continues with RESP.
//
// locating its end does not need an RDB parser: the end is the first 0xFF
// byte whose following 8 bytes equal the CRC64 (rdbinspect.CRC64Update)
// of everything up to and including it. A false match has probability 2^-64
// per 0xFF byte. The structure of the RDB body itself is verified by
// rdbinspect; this only finds where RESP resumes and whether the checksum
// holds.

// RDBPart describes the RDB body at the start of an AOF file.
type RDBPart struct {
	Version string `json:"version"`
	// End is the offset right after the checksum, where RESP resumes.
	End int64 `json:"end_offset"`
	// ChecksumZero: the part carries a zero checksum (rdbchecksum no), so
	// its end was taken at an 0xFF followed by 8 zero bytes and then the end
	// of file or a RESP record.
	ChecksumZero bool `json:"checksum_zero,omitempty"`
	// Verified says rdbinspect checked the body structurally; otherwise only
	// the checksum was.
	Verified bool `json:"structure_verified"`
}

// skipRDB consumes an RDB part starting at the current offset and returns
// what it found. An error is a *CorruptionError: the part never ends with a
// matching checksum (truncated or corrupt RDB), which the server refuses
// without truncating anything.
func (s *Scanner) skipRDB() (*RDBPart, error) {
	start, line := s.Offset(), s.line()+1
	hdr := s.peek(9)
	part := &RDBPart{}
	magic, digits := 5, 4 // "REDIS0011"
	if bytes.HasPrefix(hdr, []byte("VALKEY")) {
		magic, digits = 6, 3 // "VALKEY080"
	}
	if len(hdr) == 9 {
		part.Version = strings.TrimLeft(string(hdr[magic:magic+digits]), "0")
	}
	if len(hdr) < 9 || !isDigits(hdr[magic:magic+digits]) {
		s.done = true
		if len(hdr) < 9 {
			s.err = &CorruptionError{Path: s.opt.Path, Offset: start, Line: line, At: start, Expected: "RDB header REDIS<4 digits>", Found: "end of file", Err: ErrTruncated}
		} else {
			s.err = &CorruptionError{Path: s.opt.Path, Offset: start, Line: line, At: start + 5, Expected: "RDB version digits", Found: quoteLine(hdr), Err: ErrProtocol}
		}
		return part, s.err
	}
	var crc uint64
	for {
		if s.rp == s.wp {
			if s.eof || s.rerr != nil {
				break
			}
			s.restart()
			s.fill()
			continue
		}
		chunk := s.buf[s.rp:s.wp]
		i := bytes.IndexByte(chunk, 0xff)
		if i < 0 {
			crc = rdbinspect.CRC64Update(crc, chunk)
			s.rp = s.wp
			continue
		}
		crc = rdbinspect.CRC64Update(crc, chunk[:i+1])
		s.rp += i + 1
		t := s.peek(9)
		if len(t) < 8 {
			continue
		}
		stored := binary.LittleEndian.Uint64(t)
		if stored == crc {
			s.skip(8)
			part.End = s.Offset()
			return part, nil
		}
		if stored == 0 && (len(t) == 8 || t[8] == '*' || t[8] == '#') {
			s.skip(8)
			part.End = s.Offset()
			part.ChecksumZero = true
			return part, nil
		}
	}
	s.done = true
	if s.rerr != nil {
		s.err = s.rerr
		return part, s.err
	}
	s.err = &CorruptionError{Path: s.opt.Path, Offset: start, Line: line, At: s.Offset(),
		Expected: "an RDB end marker with a matching CRC64", Found: fmt.Sprintf("end of file after %d bytes", s.Offset()-start), Err: ErrTruncated}
	return part, s.err
}

func isDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

// verifyRDB checks the RDB part with rdbinspect (structure and checksum)
// and returns a scanner positioned after it. On failure the returned
// scanner has stopped with a *CorruptionError so the report says the server
// refuses the file.
func (rep *Report) verifyRDB(ctx context.Context, ra io.ReaderAt, size int64, opt Options) *Scanner {
	vr := rdbinspect.Verify(ctx, ra, size, rdbinspect.Options{Path: opt.Path, AOFPreamble: true})
	part := &RDBPart{Verified: vr.StructureChecked, ChecksumZero: vr.Checksum.Status == rdbinspect.ChecksumDisabled}
	if vr.Header != nil {
		part.Version = strconv.Itoa(vr.Header.Version)
	}
	rep.RDB = part
	for _, f := range vr.Findings {
		if f.Code == finding.RDBAOFTail {
			continue
		}
		rep.Findings = append(rep.Findings, f)
	}
	// The RESP part follows when the RDB loader gets through the part: it
	// ends with a matching checksum and no check inside a value stops the
	// default server (a check that changes the data, or that only
	// sanitize-dump-payload yes refuses, is a finding of its own).
	loads := vr.Load != nil && vr.Load.Default != rdbinspect.Refuses && vr.Load.Default != rdbinspect.Crashes
	if vr.Complete && vr.RDBEnd > 0 && vr.Err == nil && vr.StoppedAt == nil && vr.Checksum.Status != rdbinspect.ChecksumMismatch && loads {
		part.End = vr.RDBEnd
		o := opt
		o.Size = size
		s := newScannerAt(io.NewSectionReader(ra, vr.RDBEnd, size-vr.RDBEnd), o, vr.RDBEnd, make([]byte, bufFor(size-vr.RDBEnd)))
		s.opt.Size = size
		return s
	}
	s := newScannerAt(nil, opt, 0, nil)
	s.done = true
	at := int64(0)
	found := vr.Verdict
	if vr.StoppedAt != nil {
		at = *vr.StoppedAt
	}
	switch {
	case vr.Err != nil:
		s.err = vr.Err
	default:
		s.err = &CorruptionError{Path: opt.Path, Offset: 0, Line: 1, At: at, Expected: "a complete RDB part", Found: found, Err: ErrTruncated}
	}
	return s
}
