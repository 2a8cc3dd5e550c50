package aofinspect

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"strconv"

	"github.com/aoftool/aoftool/finding"
)

const (
	// lineMax is what one fgets into the server's 1024-byte buffer
	// (AOF_ANNOTATION_LINE_MAX_LEN) returns at most: a longer line is read
	// as several, and the remainder must itself start a valid record.
	lineMax = 1023
	bufSize = 256 << 10
)

// Limits bounds what the scanner keeps from the file. Nothing else taken
// from the file ever sizes an allocation.
type Limits struct {
	// MaxNameLen caps the bytes of a command name kept (default 32).
	MaxNameLen int
	// MaxDistinctNames caps the per-command table of a Report (default
	// 512); further names are counted under "(other)".
	MaxDistinctNames int
	// MaxDBs caps the distinct SELECTed databases a Report lists (default 256).
	MaxDBs int
	// ServerMaxAlloc is the bulk length from which the server's up-front
	// allocation fails and it aborts instead of reading the bulk (default
	// 1<<47, the x86-64 user address space; observed on 7.0.15: 2^46 bytes
	// were "allocated" lazily, 2^47 aborted). Lengths below it that exceed
	// the file are a truncated tail, as the server sees them.
	ServerMaxAlloc uint64
}

// DefaultLimits are the limits used when Options.Limits is zero.
var DefaultLimits = Limits{MaxNameLen: 32, MaxDistinctNames: 512, MaxDBs: 256, ServerMaxAlloc: 1 << 47}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.MaxNameLen > 0 && l.MaxNameLen <= 64 {
		d.MaxNameLen = l.MaxNameLen
	}
	if l.MaxDistinctNames > 0 {
		d.MaxDistinctNames = l.MaxDistinctNames
	}
	if l.MaxDBs > 0 {
		d.MaxDBs = l.MaxDBs
	}
	if l.ServerMaxAlloc > 0 {
		d.ServerMaxAlloc = l.ServerMaxAlloc
	}
	return d
}

// Options configure a Scanner or a Scan.
type Options struct {
	// Path names the file in errors and findings only; it is never opened.
	Path string
	// Size is the file's size; 0 or less means unknown. When known, a bulk
	// longer than what remains is reported without reading the rest.
	Size int64
	// Limits; zero fields take DefaultLimits.
	Limits Limits
	// NotLast marks a file that is not the last one the server loads (a
	// base or an incr followed by another incr): a truncated tail there is
	// fatal to the server. Zero value: the file is the last one.
	NotLast bool
	// Progress, when set, is called now and then with the offset reached.
	Progress func(offset int64)
	// BaseOffset is the file offset of the reader's first byte, for a
	// scanner resumed in the middle of a file (see Live).
	BaseOffset int64
	// Each, when set, is handed every record Scan reads, in order (with
	// Args, a command's arguments too), so a consumer reads the file in
	// the same pass. The Command is valid during the call. InspectSet
	// passes the file's index in the set.
	Each func(file int, c *Command)
	// File is the index Each is given; InspectSet sets it.
	File int
	// Args, when its MaxArgs is set, makes the scanner keep the first
	// arguments of every command in Command.Args. The zero value keeps
	// none, and the scan is as fast as ever.
	Args ArgLimits
	// Live marks a file a server may still be appending to: the end of the
	// input inside a command is not an error but a pending command. Next
	// returns false with a nil Err, and Pending says where the partial
	// command starts, which is where a new scanner resumes once the file
	// has grown (Options.BaseOffset).
	Live bool
}

// ArgLimits bounds the arguments a scanner keeps per command. The bytes
// kept live in one buffer of at most MaxArgs×MaxArgBytes bytes (and never
// more than maxArgArena), allocated once per scanner.
type ArgLimits struct {
	// MaxArgs is how many arguments, the name first, are kept (at most
	// 65536); 0 keeps none.
	MaxArgs int
	// MaxArgBytes is how many bytes of each argument are kept (default
	// 512, at most 1 MiB); a longer argument is cut and Arg.Len says how
	// long it was.
	MaxArgBytes int
}

// DefaultArgLimits keep what a model of a command's effect needs: keys,
// members, counts, times and flags, for commands of up to 1024 arguments.
var DefaultArgLimits = ArgLimits{MaxArgs: 1024, MaxArgBytes: 512}

// maxArgArena caps the buffer kept arguments share; arguments past it keep
// no bytes (and are reported cut).
const maxArgArena = 4 << 20

func (a ArgLimits) arena() int {
	if a.MaxArgs <= 0 {
		return 0
	}
	n := int64(a.MaxArgs) * int64(a.MaxArgBytes)
	if n > maxArgArena {
		n = maxArgArena
	}
	return int(n)
}

func (a ArgLimits) withDefaults() ArgLimits {
	if a.MaxArgs <= 0 {
		return ArgLimits{}
	}
	if a.MaxArgs > 1<<16 {
		a.MaxArgs = 1 << 16
	}
	if a.MaxArgBytes <= 0 {
		a.MaxArgBytes = DefaultArgLimits.MaxArgBytes
	}
	if a.MaxArgBytes > 1<<20 {
		a.MaxArgBytes = 1 << 20
	}
	return a
}

// Arg is one kept argument. Data aliases the scanner's buffer and is valid
// until the next call to Next.
type Arg struct {
	Data []byte
	// Len is the argument's full length in the file.
	Len uint64
}

// Cut reports whether the argument was longer than what was kept.
func (a Arg) Cut() bool { return uint64(len(a.Data)) < a.Len }

// Kind tells commands from annotation lines.
type Kind uint8

const (
	KindCommand    Kind = iota + 1 // a RESP array the server executes
	KindAnnotation                 // a line starting with '#' the server skips
)

// Command is one record. Name aliases the scanner's buffer and is valid
// until the next call to Next.
type Command struct {
	Kind   Kind
	Offset int64 // first byte
	End    int64 // one past the last byte
	Line   int64 // 1-based line of Offset
	// Argc is the argument count as the server computes it (atoi, so it
	// wraps like a C int).
	Argc int64
	// Name is the command name upper-cased, at most Limits.MaxNameLen bytes.
	Name []byte
	// NameLen is the name's full length in the file.
	NameLen uint64
	// DB is SELECT's argument, -1 for other commands or an unparsable one.
	DB int64
	// Timestamp is the seconds of a "#TS:<secs>" annotation; TSValid says
	// whether the annotation had that form exactly.
	Timestamp int64
	TSValid   bool
	// BadCRLF counts bulks of this command not followed by "\r\n" (the
	// server skips those two bytes unchecked; redis-check-aof rejects them).
	BadCRLF int
	// FirstBadCRLF is the offset of the first such pair, or -1.
	FirstBadCRLF int64
	// Unterminated: an annotation line ended by the end of the file, not
	// by a newline.
	Unterminated bool
	// OddHeaders counts the header lines ("*<argc>", "$<len>") of this
	// command not written the way Redis writes them ("*2\f\n", "*3abc",
	// "$03"): the server reads the same numbers from them; FirstOddHeader
	// is the offset of the first, or -1.
	OddHeaders     int
	FirstOddHeader int64
	// Args holds the first arguments as written (the name first, not
	// upper-cased) when Options.Args asks for them; fewer than Argc when
	// the command has more than ArgLimits.MaxArgs.
	Args []Arg
}

// IsAnnotation reports whether the record is a '#' line.
func (c *Command) IsAnnotation() bool { return c.Kind == KindAnnotation }

type lineState uint8

const (
	lineNone   lineState = iota // end of file, nothing read (fgets returns NULL)
	lineNL                      // ends with '\n'
	lineCapped                  // lineMax bytes without '\n'
	lineEOF                     // ended by end of file without '\n'
)

// Scanner reads an AOF command stream record by record over a fixed
// buffer, following the rules of the server's loader
// (src/aof.c loadSingleAppendOnlyFile). Memory does not grow with the file
// or with any length written in it.
type Scanner struct {
	r    io.Reader
	opt  Options
	lim  Limits
	buf  []byte
	rp   int
	wp   int
	base int64 // file offset of buf[0]
	eof  bool
	rerr error

	lines   int64 // newlines in the input before buf[counted]
	counted int
	// lazyLines: no record needs its line number (a chunk of a parallel
	// scan), so lines are counted only when the buffer is recycled.
	lazyLines bool
	cmd       Command
	name      [64]byte
	err       error
	done      bool

	okUpTo      int64 // end of the last complete command outside MULTI/EXEC
	serverValid int64 // the server's valid_up_to: end of the last complete command
	beforeMulti int64 // the server's valid_before_multi
	inMulti     bool
	multiStart  int64
	multiCmds   int64
	openAtEOF   bool
	nextReport  int64
	pending     int64 // start of a partial command at end of a live file, or -1

	// After Resync: records are read past damage the server stops at, and
	// no longer move OKUpTo or the server's offsets.
	resynced    bool
	resume      [lineMax]byte
	resumeLen   int
	resumeStart int64
	resumeLine  int64

	// Kept arguments (Options.Args): their bytes share one buffer.
	argLim   ArgLimits
	argBytes []byte
	args     []Arg
}

// NewScanner returns a scanner reading r from its current position, which
// is taken as offset 0.
func NewScanner(r io.Reader, opt Options) *Scanner {
	if opt.Size <= 0 {
		opt.Size = -1 // unknown: an empty input ends the scan anyway
	}
	return newScannerAt(r, opt, opt.BaseOffset, make([]byte, bufFor(opt.Size-opt.BaseOffset)))
}

// bufFor sizes the buffer: small files need no more than themselves, but
// never less than a few server lines.
func bufFor(size int64) int {
	if size > 0 && size < bufSize-4096 {
		return int(size) + 4096
	}
	return bufSize
}

func newScannerAt(r io.Reader, opt Options, base int64, buf []byte) *Scanner {
	s := &Scanner{}
	s.init(r, opt, base, buf)
	return s
}

// init starts s afresh over r, whose first byte is at offset base, reusing
// buf.
func (s *Scanner) init(r io.Reader, opt Options, base int64, buf []byte) {
	*s = Scanner{r: r, opt: opt, lim: opt.Limits.withDefaults(), buf: buf, base: base, okUpTo: base, serverValid: base, beforeMulti: base, nextReport: base + 64<<20, pending: -1}
	if s.argLim = opt.Args.withDefaults(); s.argLim.MaxArgs > 0 {
		// A command keeps no more bytes than the file has left: a small
		// file (a fuzz call) does not allocate the whole arena.
		arena := int64(s.argLim.arena())
		if rest := opt.Size - base; opt.Size > 0 && rest < arena {
			arena = max(rest, 0)
		}
		s.argBytes = make([]byte, 0, arena)
		s.args = make([]Arg, 0, min(s.argLim.MaxArgs, 64))
	}
}

// Offset is the offset of the next byte the scanner will read: after the
// last record returned, or where scanning stopped. It never moves back.
func (s *Scanner) Offset() int64 { return s.base + int64(s.rp) }

// Command returns the record Next just read.
func (s *Scanner) Command() *Command { return &s.cmd }

// Err returns the error that stopped the scan: nil at a clean end of file,
// a *CorruptionError wrapping ErrTruncated or ErrProtocol, or a read error.
func (s *Scanner) Err() error { return s.err }

// OKUpTo is the end of the last complete command outside a MULTI/EXEC
// block: the offset a repaired file is cut at.
func (s *Scanner) OKUpTo() int64 { return s.okUpTo }

// ServerValidUpTo is the server's valid_up_to: the end of the last complete
// command, inside a transaction or not.
func (s *Scanner) ServerValidUpTo() int64 { return s.serverValid }

// OpenMulti reports a MULTI without EXEC so far: where it starts and how
// many complete commands (MULTI included) it holds.
func (s *Scanner) OpenMulti() (start, commands int64, open bool) {
	return s.multiStart, s.multiCmds, s.inMulti
}

// ServerCut returns where the server truncates the file when it treats the
// end as a short read, and whether it does: inside a command it cuts at
// valid_up_to (which may lie inside a transaction), after a MULTI left open
// at end of file at valid_before_multi. Meaningful once Next returned false.
func (s *Scanner) ServerCut() (int64, bool) {
	if s.pending >= 0 {
		return 0, false
	}
	if errors.Is(s.err, ErrTruncated) {
		return s.serverValid, true
	}
	if s.err == nil && s.done && s.openAtEOF {
		return s.beforeMulti, true
	}
	return 0, false
}

// fill reads more input, compacting the buffer first when it is full.
func (s *Scanner) fill() {
	if s.eof || s.rerr != nil {
		return
	}
	if s.wp == len(s.buf) {
		if s.rp == 0 {
			return // cannot happen: callers never need a whole buffer
		}
		s.line()
		n := copy(s.buf, s.buf[s.rp:s.wp])
		s.base += int64(s.rp)
		s.rp, s.wp, s.counted = 0, n, 0
	}
	for i := 0; i < 100; i++ {
		n, err := s.r.Read(s.buf[s.wp:])
		s.wp += n
		if err == io.EOF {
			s.eof = true
			return
		}
		if err != nil {
			s.rerr = err
			return
		}
		if n > 0 {
			return
		}
	}
	s.rerr = io.ErrNoProgress
}

// readLine is fgets(buf, 1024, fp).
func (s *Scanner) readLine() ([]byte, lineState) {
	for {
		avail := s.buf[s.rp:s.wp]
		lim := len(avail)
		if lim > lineMax {
			lim = lineMax
		}
		if i := indexNL(avail[:lim]); i >= 0 {
			s.rp += i + 1
			return avail[:i+1], lineNL
		}
		if lim == lineMax {
			s.rp += lineMax
			return avail[:lineMax], lineCapped
		}
		if s.eof || s.rerr != nil {
			if len(avail) == 0 {
				return nil, lineNone
			}
			s.rp = s.wp
			return avail, lineEOF
		}
		s.fill()
	}
}

// peek returns up to n (≤ 64) bytes without consuming them; fewer only at
// end of input.
func (s *Scanner) peek(n int) []byte {
	for s.wp-s.rp < n && !s.eof && s.rerr == nil {
		s.fill()
	}
	if s.wp-s.rp < n {
		return s.buf[s.rp:s.wp]
	}
	return s.buf[s.rp : s.rp+n]
}

// skip consumes n bytes, reading and dropping them; false when the input
// ends first (everything left is then consumed).
func (s *Scanner) skip(n uint64) bool {
	for n > 0 {
		if s.rp == s.wp {
			if s.eof || s.rerr != nil {
				return false
			}
			// Everything buffered is consumed: restart at the front so a
			// long bulk streams through the whole buffer.
			s.restart()
			s.fill()
			continue
		}
		k := s.wp - s.rp
		if uint64(k) > n {
			k = int(n)
		}
		s.rp += k
		n -= uint64(k)
	}
	return true
}

var nl = []byte{'\n'}

// line returns the number of newlines before the read position.
func (s *Scanner) line() int64 {
	s.lines += int64(bytes.Count(s.buf[s.counted:s.rp], nl))
	s.counted = s.rp
	return s.lines
}

// restart moves to the front of the buffer once all of it is consumed, so
// a long bulk streams through the whole buffer.
func (s *Scanner) restart() {
	s.line()
	s.base += int64(s.rp)
	s.rp, s.wp, s.counted = 0, 0, 0
}

// indexNL is bytes.IndexByte(b, '\n'), quicker on the short header lines
// of RESP.
func indexNL(b []byte) int {
	if len(b) >= 8 {
		if m := nlBytes(binary.LittleEndian.Uint64(b)); m != 0 {
			return bits.TrailingZeros64(m) / 8
		}
		if i := bytes.IndexByte(b[8:], '\n'); i >= 0 {
			return i + 8
		}
		return -1
	}
	return bytes.IndexByte(b, '\n')
}

// nlBytes has the high bit of each byte of w that is '\n' set, and no
// other bit.
func nlBytes(w uint64) uint64 {
	const lo7, nl8 = 0x7f7f7f7f7f7f7f7f, 0x0a0a0a0a0a0a0a0a
	x := w ^ nl8
	return ^((x&lo7 + lo7) | x | lo7)
}

// keep consumes an argument of n bytes whose size was checked against what
// remains, copying its first bytes into the argument buffer; false when
// the input ends first.
func (s *Scanner) keep(n uint64) bool {
	k := uint64(s.argLim.MaxArgBytes)
	if room := uint64(cap(s.argBytes) - len(s.argBytes)); k > room {
		k = room
	}
	if k > n {
		k = n
	}
	from := len(s.argBytes)
	for left := k; left > 0; {
		if s.rp == s.wp {
			if s.eof || s.rerr != nil {
				return false
			}
			s.restart()
			s.fill()
			continue
		}
		c := uint64(s.wp - s.rp)
		if c > left {
			c = left
		}
		chunk := s.buf[s.rp : s.rp+int(c)]
		s.argBytes = append(s.argBytes, chunk...)
		s.rp += int(c)
		left -= c
	}
	s.args = append(s.args, Arg{Data: s.argBytes[from:len(s.argBytes):len(s.argBytes)], Len: n})
	return s.skip(n - k)
}

// remaining is what is left of the file when its size is known, else -1.
func (s *Scanner) remaining() int64 {
	if s.opt.Size < 0 {
		return -1
	}
	r := s.opt.Size - s.Offset()
	if r < 0 {
		return 0
	}
	return r
}

// Pending returns where a partial command starts when a Live scan reached
// the end of the input inside it.
func (s *Scanner) Pending() (int64, bool) { return s.pending, s.pending >= 0 }

func (s *Scanner) fail(sentinel error, start, line, at int64, expected, found string) bool {
	s.done = true
	if s.rerr != nil {
		s.err = s.rerr
		return false
	}
	if s.opt.Live && sentinel == ErrTruncated {
		s.pending = start
		return false
	}
	s.err = &CorruptionError{Path: s.opt.Path, Offset: start, Line: line, At: at, Expected: expected, Found: found, Err: sentinel}
	return false
}

// Next reads the next record. It returns false at the end of the input or
// on the first error (see Err).
func (s *Scanner) Next() bool {
	if s.done {
		return false
	}
	if s.opt.Progress != nil && s.Offset() >= s.nextReport {
		s.opt.Progress(s.Offset())
		s.nextReport = s.Offset() + 64<<20
	}
	start, startLine := s.Offset(), int64(0)
	if !s.lazyLines {
		startLine = s.line() + 1
	}
	var line []byte
	var st lineState
	var fastArgc int64
	fast := false
	if s.resumeLen > 0 {
		line, st = s.resume[:s.resumeLen], lineNL
		start, startLine = s.resumeStart, s.resumeLine
		s.resumeLen = 0
	} else if line, fastArgc, fast = s.fastHeader('*'); fast {
		st = lineNL
	} else {
		line, st = s.readLine()
	}
	if st == lineNone {
		s.done = true
		if s.rerr != nil {
			s.err = s.rerr
			return false
		}
		s.openAtEOF = s.inMulti
		return false
	}
	switch line[0] {
	case '#':
		s.cmd = Command{Kind: KindAnnotation, Offset: start, End: s.Offset(), Line: startLine, DB: -1, FirstBadCRLF: -1, Unterminated: st == lineEOF}
		s.cmd.Timestamp, s.cmd.TSValid = parseTS(line)
		return true
	case '*':
	default:
		return s.fail(ErrProtocol, start, startLine, start, "'*' or '#'", quoteLine(line))
	}
	if len(line) == 1 || line[1] == 0 {
		// The server's buf[1] == '\0' test: a read error, which is a short
		// read when the line ended at end of file.
		if st == lineEOF {
			return s.fail(ErrTruncated, start, startLine, start, "argument count", "end of file")
		}
		return s.fail(ErrProtocol, start, startLine, start, "argument count", quoteLine(line))
	}
	argc := int32(fastArgc)
	if !fast {
		argc = int32(cStrtol(line[1:]))
	}
	if argc < 1 {
		return s.fail(ErrProtocol, start, startLine, start, "argument count ≥ 1", quoteLine(line))
	}
	c := Command{Kind: KindCommand, Offset: start, Line: startLine, Argc: int64(argc), DB: -1, FirstBadCRLF: -1, FirstOddHeader: -1}
	if !fast && !canonicalHeader(line, st) {
		c.OddHeaders, c.FirstOddHeader = 1, start
	}
	keepArgs := int32(s.argLim.MaxArgs)
	if keepArgs > 0 {
		s.argBytes, s.args = s.argBytes[:0], s.args[:0]
	}
	var nameN int
	isSelect := false
	for j := int32(0); j < argc; j++ {
		aoff := s.Offset()
		line, n, fast := s.fastHeader('$')
		if !fast {
			var st lineState
			line, st = s.readLine()
			if st == lineNone {
				return s.fail(ErrTruncated, start, startLine, aoff, fmt.Sprintf("bulk header of argument %d of %d", j+1, argc), "end of file")
			}
			if line[0] != '$' {
				return s.fail(ErrProtocol, start, startLine, aoff, "'$'", quoteLine(line))
			}
			if !canonicalHeader(line, st) {
				if c.OddHeaders == 0 {
					c.FirstOddHeader = aoff
				}
				c.OddHeaders++
			}
			n = cStrtol(line[1:])
		}
		if n < 0 {
			return s.fail(ErrProtocol, start, startLine, aoff, "bulk length ≥ 0", quoteLine(line)+" (the server aborts: allocation size overflows)")
		}
		ulen := uint64(n)
		if ulen >= s.lim.ServerMaxAlloc {
			return s.fail(ErrProtocol, start, startLine, aoff, "bulk length the server can allocate", quoteLine(line)+" (the server aborts: out of memory)")
		}
		if j == 0 {
			c.NameLen = ulen
			k := ulen
			if k > uint64(s.lim.MaxNameLen) {
				k = uint64(s.lim.MaxNameLen)
			}
			b := s.peek(int(k))
			nameN = copy(s.name[:], b)
			upper(s.name[:nameN])
			isSelect = nameN == 6 && string(s.name[:6]) == "SELECT"
		} else if j == 1 && isSelect && ulen <= 20 {
			c.DB = parseDB(s.peek(int(ulen)))
		}
		if ulen > 0 {
			if rem := s.remaining(); rem >= 0 && ulen > uint64(rem) {
				return s.fail(ErrTruncated, start, startLine, s.Offset(), fmt.Sprintf("%d bytes of argument %d", ulen, j+1), fmt.Sprintf("%d bytes before end of file", rem))
			}
			if j < keepArgs {
				if !s.keep(ulen) {
					return s.fail(ErrTruncated, start, startLine, s.Offset(), fmt.Sprintf("%d bytes of argument %d", ulen, j+1), "end of file")
				}
			} else if !s.skip(ulen) {
				return s.fail(ErrTruncated, start, startLine, s.Offset(), fmt.Sprintf("%d bytes of argument %d", ulen, j+1), "end of file")
			}
		} else if j < keepArgs {
			s.args = append(s.args, Arg{Data: s.argBytes[len(s.argBytes):len(s.argBytes):len(s.argBytes)]})
		}
		// The server freads two bytes here and never looks at them.
		t := s.peek(2)
		if len(t) < 2 {
			s.skip(uint64(len(t)))
			return s.fail(ErrTruncated, start, startLine, s.Offset(), "\"\\r\\n\" after a bulk", "end of file")
		}
		if t[0] != '\r' || t[1] != '\n' {
			if c.BadCRLF == 0 {
				c.FirstBadCRLF = s.Offset()
			}
			c.BadCRLF++
			s.skip(2)
		} else {
			s.rp += 2
		}
	}
	c.End = s.Offset()
	c.Name = s.name[:nameN]
	if keepArgs > 0 {
		c.Args = s.args
	}
	s.cmd = c
	if s.resynced {
		return true
	}
	switch {
	case nameN == 5 && string(c.Name) == "MULTI" && c.NameLen == 5:
		s.beforeMulti = s.serverValid
		if !s.inMulti {
			s.inMulti = true
			s.multiStart = start
			s.multiCmds = 0
		}
	case nameN == 4 && string(c.Name) == "EXEC" && c.NameLen == 4 && s.inMulti:
		s.inMulti = false
	}
	if s.inMulti {
		s.multiCmds++
	}
	s.serverValid = c.End
	if !s.inMulti {
		s.okUpTo = c.End
	}
	return true
}

// fastHeader consumes a header line written the way Redis writes it, the
// type byte and a decimal number of up to 18 digits without leading zeros
// and "\r\n", when it is whole in the buffer, and returns it and its
// number: what readLine, canonicalHeader and cStrtol make of it, quicker.
func (s *Scanner) fastHeader(typ byte) ([]byte, int64, bool) {
	b := s.buf[s.rp:s.wp]
	if len(b) < 4 || b[0] != typ {
		return nil, 0, false
	}
	var v int64
	i := 1
	for ; i < len(b) && i <= 18 && b[i]-'0' <= 9; i++ {
		v = v*10 + int64(b[i]-'0')
	}
	if i == 1 || i+1 >= len(b) || b[i] != '\r' || b[i+1] != '\n' || b[1] == '0' && i > 2 {
		return nil, 0, false
	}
	s.rp += i + 2
	return b[:i+2], v, true
}

// canonicalHeader says whether a header line is what Redis writes: the type
// byte, a decimal number without leading zeros, "\r\n".
func canonicalHeader(line []byte, st lineState) bool {
	n := len(line)
	if st != lineNL || n < 4 || line[n-2] != '\r' || line[n-1] != '\n' {
		return false
	}
	digits := line[1 : n-2]
	if !isDigits(digits) || len(digits) > 1 && digits[0] == '0' {
		return false
	}
	return true
}

// Resync continues after a protocol error, as an inspector reading past a
// bad record: it skips to the next line of the form "*<count>\r\n" followed
// by '$' and returns true when one is found. Records read after it are not
// loaded by the server; OKUpTo and the server's offsets stay where the
// damage stopped them.
func (s *Scanner) Resync() bool {
	if !errors.Is(s.err, ErrProtocol) {
		return false
	}
	s.err, s.done, s.resynced, s.inMulti = nil, false, true, false
	for {
		off, ln := s.Offset(), s.line()+1
		line, st := s.readLine()
		if st == lineNone {
			s.done = true
			return false
		}
		if st != lineNL || len(line) < 4 || line[0] != '*' || line[1] < '1' || line[1] > '9' ||
			line[len(line)-2] != '\r' || !isDigits(line[1:len(line)-2]) {
			continue
		}
		copy(s.resume[:], line)
		n := len(line)
		if p := s.peek(1); len(p) == 1 && p[0] == '$' {
			s.resumeLen, s.resumeStart, s.resumeLine = n, off, ln
			return true
		}
	}
}

// cStrtol is strtol(p, NULL, 10): leading C white space, a sign, digits,
// clamped to the int64 range on overflow; anything else ends the number
// (atoi is the same, then truncated to a C int by the caller).
func cStrtol(p []byte) int64 {
	// The plain decimal numbers Redis writes, without the checks.
	var plain int64
	d := 0
	for ; d < len(p) && d < 18 && p[d]-'0' <= 9; d++ {
		plain = plain*10 + int64(p[d]-'0')
	}
	if d > 0 && (d == len(p) || p[d]-'0' > 9) {
		return plain
	}
	i := 0
	for i < len(p) && (p[i] == ' ' || (p[i] >= '\t' && p[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(p) && (p[i] == '+' || p[i] == '-') {
		neg = p[i] == '-'
		i++
	}
	var v uint64
	over := false
	for ; i < len(p) && p[i] >= '0' && p[i] <= '9'; i++ {
		d := uint64(p[i] - '0')
		if v > (1<<63-d)/10 {
			over = true
			continue
		}
		v = v*10 + d
	}
	if neg {
		if over || v > 1<<63 {
			return -1 << 63
		}
		return -int64(v)
	}
	if over || v > 1<<63-1 {
		return 1<<63 - 1
	}
	return int64(v)
}

func upper(b []byte) {
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 32
		}
	}
}

func parseDB(b []byte) int64 {
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || v < 0 {
		return -1
	}
	return v
}

// parseTS reads "#TS:<secs>\r\n", the form the server writes and
// redis-check-aof's --truncate-to-timestamp insists on.
func parseTS(line []byte) (int64, bool) {
	if !bytes.HasPrefix(line, []byte("#TS:")) {
		return 0, false
	}
	d := line[4:]
	if !bytes.HasSuffix(d, []byte("\r\n")) {
		return 0, false
	}
	d = d[:len(d)-2]
	if len(d) == 0 || len(d) > 18 {
		return 0, false
	}
	var v int64
	for _, c := range d {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return v, true
}

// quoteLine shows the start of a line in an error, escaped and capped.
func quoteLine(b []byte) string {
	if len(b) > 24 {
		return `"` + finding.EscapeBytes(b[:24]) + `"…`
	}
	return `"` + finding.EscapeBytes(b) + `"`
}
