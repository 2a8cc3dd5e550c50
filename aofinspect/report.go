package aofinspect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/aoftool/aoftool/finding"
)

// Schema is the version of the Report and SetReport JSON documents.
const Schema = 1

// Verdict is what the server does when it loads the file (or set).
type Verdict string

const (
	// Loads: the server loads everything.
	Loads Verdict = "loads"
	// LoadsTruncated: with aof-load-truncated yes (the default) the server
	// cuts the file in place at TruncatesAt and loads; with no it refuses.
	LoadsTruncated Verdict = "loads-truncated"
	// Refuses: the server exits (or aborts) whatever aof-load-truncated says.
	Refuses Verdict = "refuses"
)

// Format of a file's content, detected like the server does: "REDIS" first
// means an RDB part, then RESP.
const (
	FormatEmpty       = "empty"
	FormatRESP        = "resp"
	FormatRDB         = "rdb"
	FormatRDBPreamble = "rdb-preamble+resp"
)

// Server says what redis-server does with the file, for each setting of
// aof-load-truncated.
type Server struct {
	Verdict Verdict `json:"verdict"`
	// TruncatesAt is where the server cuts the file in place when it loads
	// a truncated file (aof-load-truncated yes).
	TruncatesAt *int64 `json:"truncates_at,omitempty"`
	// LoadTruncatedYes and LoadTruncatedNo say it in words.
	LoadTruncatedYes string `json:"aof_load_truncated_yes"`
	LoadTruncatedNo  string `json:"aof_load_truncated_no"`
}

// Tail describes what the server drops at the end of the file.
type Tail struct {
	Offset int64 `json:"offset"`
	Bytes  int64 `json:"bytes"`
	// CommandsDropped counts complete commands removed with the tail (an
	// incomplete transaction's); a partial command is not counted.
	CommandsDropped int64 `json:"commands_dropped"`
	PartialCommand  bool  `json:"partial_command"`
	// IncompleteMulti: the tail is (or contains) a MULTI without EXEC.
	IncompleteMulti bool `json:"incomplete_multi"`
}

// BadRecord is the first record the server cannot read.
type BadRecord struct {
	Offset   int64  `json:"offset"`
	Line     int64  `json:"line"`
	At       int64  `json:"at"`
	Expected string `json:"expected"`
	Found    string `json:"found"`
}

// Timestamps summarises the "#TS:<secs>" annotations.
type Timestamps struct {
	Count     int64  `json:"count"`
	First     string `json:"first,omitempty"`
	Last      string `json:"last,omitempty"`
	FirstUnix int64  `json:"first_unix"`
	LastUnix  int64  `json:"last_unix"`
	// Backwards counts annotations earlier than the one before them.
	Backwards int64 `json:"backwards"`
}

// Transactions counts MULTI and EXEC as the loader pairs them.
type Transactions struct {
	Multi int64 `json:"multi"`
	Exec  int64 `json:"exec"`
	// UnmatchedExec counts EXEC outside a transaction (the server ignores
	// them; redis-check-aof rejects them).
	UnmatchedExec int64 `json:"unmatched_exec"`
	// NestedMulti counts MULTI inside a transaction.
	NestedMulti int64  `json:"nested_multi"`
	Open        bool   `json:"open"`
	OpenOffset  *int64 `json:"open_offset,omitempty"`
}

// Report is everything a Scan found in one file: the aof command's --json
// document.
type Report struct {
	Schema int    `json:"schema"`
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	Format string `json:"format"`
	// Position in a set: "base", "incr", "legacy" or "" for a lone file.
	Role     string   `json:"role,omitempty"`
	Last     bool     `json:"last"`
	RDB      *RDBPart `json:"rdb,omitempty"`
	Commands int64    `json:"commands"`
	// CommandCounts maps upper-cased command names to how often they occur.
	CommandCounts map[string]int64 `json:"command_counts"`
	Annotations   int64            `json:"annotations"`
	SelectedDBs   []int64          `json:"selected_dbs"`
	Transactions  Transactions     `json:"transactions"`
	Timestamps    *Timestamps      `json:"timestamps,omitempty"`
	// OKUpTo is the end of the last complete command outside MULTI/EXEC:
	// where a repaired copy is cut.
	OKUpTo        int64      `json:"ok_up_to"`
	ScannedUpTo   int64      `json:"scanned_up_to"`
	TruncatedTail *Tail      `json:"truncated_tail,omitempty"`
	BadRecord     *BadRecord `json:"bad_record,omitempty"`
	// AfterDamage describes what follows a bad record, read past it; none
	// of it is loaded by the server or kept by a repair.
	AfterDamage *AfterDamage `json:"after_damage,omitempty"`
	// TornAnnotationAt is where a '#' line starts that the end of the file
	// cuts before its newline.
	TornAnnotationAt *int64 `json:"torn_annotation_at,omitempty"`
	// PendingFrom, for a Live scan, is where an unfinished command or
	// transaction at the end of the file starts: not damage yet, since the
	// server may still be writing it.
	PendingFrom *int64       `json:"pending_from,omitempty"`
	Server      Server       `json:"server"`
	Findings    finding.List `json:"findings"`

	// Err is the error that stopped the scan (nil at a clean end).
	Err error `json:"-"`
	// tsMarks lists the "#TS" annotations, for cutting at a timestamp.
	tsMarks      []TSMark
	firstUnknown *unknownCmd
	badTS        struct{ count, offset int64 }
	highDB       struct{ count, offset, db int64 }
	badCRLF      struct {
		count, offset, cmd int64
		name               string
	}
	oddHeader struct{ count, offset int64 }
}

// AfterDamage counts what the scan found after the first bad record by
// skipping to the next command-like line (and again after each further bad
// record).
type AfterDamage struct {
	ResyncOffset int64 `json:"resync_offset"`
	Commands     int64 `json:"commands"`
	Bytes        int64 `json:"bytes"`
	BadRecords   int64 `json:"bad_records"`
}

// TSMark is one "#TS" annotation: its offset, time, and the start of the
// transaction it lies in (-1 when outside one).
type TSMark struct {
	Offset     int64
	Unix       int64
	MultiStart int64
}

type unknownCmd struct {
	name   string
	offset int64
	count  int64
}

// defaultDatabases is the default of the databases setting.
const defaultDatabases = 16

// maxTSMarks bounds the annotations kept for cutting at a timestamp; the
// server writes one per second of writes at most, so a day is 86400.
const maxTSMarks = 1 << 20

// Scan reads a whole AOF file (RESP, an RDB part followed by RESP, or
// empty) and reports what the server would do with it. size is the file's
// size (0 or less: unknown). It returns a report even on error; a read
// error (not corruption) is in Report.Err and an input-unreadable finding.
// When r is also an io.ReaderAt and the file starts with an RDB part, that
// part is verified by rdbinspect through ReadAt from offset 0, so r must
// then start at the beginning of the file (an io.SectionReader does).
func Scan(ctx context.Context, r io.Reader, size int64, opt Options) *Report {
	return scanPlanned(ctx, r, size, opt, defaultPlan())
}

func scanPlanned(ctx context.Context, r io.Reader, size int64, opt Options, plan parallelPlan) *Report {
	opt.Size = size
	s := NewScanner(r, opt)
	if size <= 0 {
		size = -1
	}
	rep := &Report{Schema: Schema, Path: opt.Path, Size: size, Format: FormatRESP, Last: !opt.NotLast, CommandCounts: map[string]int64{}, SelectedDBs: []int64{}, Findings: finding.List{}}
	hdr := s.peek(6)
	if len(hdr) == 0 && s.rerr == nil {
		rep.Format = FormatEmpty
		if size < 0 {
			rep.Size = 0
		}
		rep.Findings = append(rep.Findings, finding.New(finding.AOFEmpty, opt.Path, "the file is empty; the server loads nothing from it").At(0))
		rep.Server = Server{Verdict: Loads, LoadTruncatedYes: "loads (nothing)", LoadTruncatedNo: "loads (nothing)"}
		return rep
	}
	// Redis checks for "REDIS"; Valkey 9 also writes "VALKEY" bases.
	if bytes.HasPrefix(hdr, []byte("REDIS")) || string(hdr) == "VALKEY" {
		rep.Format = FormatRDBPreamble
		if ra, ok := r.(io.ReaderAt); ok && size > 0 {
			s = rep.verifyRDB(ctx, ra, size, opt)
		} else {
			part, err := s.skipRDB()
			rep.RDB = part
			if err == nil {
				s.okUpTo, s.serverValid, s.beforeMulti = part.End, part.End, part.End
				rep.Findings = append(rep.Findings, finding.New(finding.AOFRDBUnverified, opt.Path,
					"the RDB part ends at offset %d with a matching checksum; its structure was not parsed (the input cannot be read at random)", part.End).At(0))
			}
		}
		if rep.RDB != nil && rep.RDB.End > 0 && peekEOF(s) {
			rep.Format = FormatRDB
		}
	}
	t := newTally(s.lim, true)
	if ra, ok := r.(io.ReaderAt); ok && rep.Format == FormatRESP && len(hdr) == 6 && plan.fits(size, opt) {
		s, t = rep.scanParallel(ctx, ra, size, opt, s.buf, plan)
	}
	rep.scan(ctx, s, t)
	rep.finish(s)
	rep.readPastDamage(ctx, s)
	return rep
}

// readPastDamage resyncs after a bad record to say how much a cut there
// throws away.
func (rep *Report) readPastDamage(ctx context.Context, s *Scanner) {
	if rep.BadRecord == nil || !errors.Is(s.Err(), ErrProtocol) || rep.RDB != nil && rep.RDB.End == 0 {
		return
	}
	var ad *AfterDamage
	for s.Resync() {
		if ad == nil {
			ad = &AfterDamage{ResyncOffset: s.resumeStart}
		}
		for n := 0; s.Next(); n++ {
			if n&0xfff == 0 && ctx.Err() != nil {
				return
			}
			if s.Command().Kind == KindCommand {
				ad.Commands++
			}
		}
		if errors.Is(s.Err(), ErrProtocol) {
			ad.BadRecords++
		}
	}
	if ad != nil {
		ad.Bytes = rep.Size - ad.ResyncOffset
		rep.AfterDamage = ad
		for i, f := range rep.Findings {
			if f.Code == finding.AOFBadFormat {
				rep.Findings[i].Message += fmt.Sprintf("; reading past it, %d more command(s) follow from offset %d, which a cut there loses", ad.Commands, ad.ResyncOffset)
			}
		}
	}
}

func peekEOF(s *Scanner) bool { return len(s.peek(1)) == 0 && s.rerr == nil }

// tally is what a scan accumulates besides the Report's own fields. A
// scan of one chunk of a file (parallel.go) starts without knowing what
// came before the chunk: txKnown is then false until the chunk's first
// MULTI or EXEC, which is kept in txFirst instead of being counted, and
// lastTS is -1, so the first annotation is compared when chunks are joined.
type tally struct {
	lim     Limits
	counts  map[string]*nameCount
	names   []string   // the keys of counts in order of first occurrence
	last    *nameCount // the name of the last command, as commands come in runs
	other   *int64
	dbs     map[int64]bool
	dbOrder []int64 // the keys of dbs in order of first occurrence
	lastTS  int64   // -1 before the first valid annotation
	txKnown bool
	txFirst string
	// open: a MULTI waits for its EXEC, as the report pairs them.
	open bool
}

// nameCount counts one command name; known: Redis has the command.
type nameCount struct {
	name  string
	n     int64
	known bool
}

func newTally(lim Limits, known bool) *tally {
	return &tally{lim: lim, counts: map[string]*nameCount{}, dbs: map[int64]bool{}, lastTS: -1, txKnown: known}
}

// txEvent pairs MULTI and EXEC: a MULTI inside a transaction is nested, an
// EXEC outside one unmatched.
func (t *tally) txEvent(tx *Transactions, name string) {
	if !t.txKnown {
		t.txKnown, t.txFirst, t.open = true, name, name == "MULTI"
		return
	}
	if name == "MULTI" {
		if t.open {
			tx.NestedMulti++
		}
		tx.Multi++
		t.open = true
		return
	}
	if t.open {
		tx.Exec++
	} else {
		tx.UnmatchedExec++
	}
	t.open = false
}

func (rep *Report) scan(ctx context.Context, s *Scanner, t *tally) {
	var n int
	for s.Next() {
		n++
		if n&0xfff == 0 && ctx.Err() != nil {
			rep.Err = ctx.Err()
			return
		}
		c := s.Command()
		if s.opt.Each != nil && !s.resynced {
			// Records read past damage are not loaded by the server.
			s.opt.Each(s.opt.File, c)
		}
		rep.add(t, c, s.openMultiStart())
	}
	rep.total(t)
}

// openMultiStart is where the open transaction starts, or -1.
func (s *Scanner) openMultiStart() int64 {
	if s.inMulti {
		return s.multiStart
	}
	return -1
}

// add counts one record; multiStart is the start of the transaction the
// scanner is in, or -1.
func (rep *Report) add(t *tally, c *Command, multiStart int64) {
	if c.Kind == KindAnnotation {
		rep.Annotations++
		if c.Unterminated {
			at := c.Offset
			rep.TornAnnotationAt = &at
		}
		if c.TSValid {
			ts := rep.Timestamps
			if ts == nil {
				ts = &Timestamps{FirstUnix: c.Timestamp}
				rep.Timestamps = ts
			}
			ts.Count++
			if t.lastTS >= 0 && c.Timestamp < t.lastTS {
				ts.Backwards++
			}
			t.lastTS = c.Timestamp
			ts.LastUnix = c.Timestamp
			if len(rep.tsMarks) < maxTSMarks {
				rep.tsMarks = append(rep.tsMarks, TSMark{Offset: c.Offset, Unix: c.Timestamp, MultiStart: multiStart})
			}
		} else {
			if rep.badTS.count == 0 {
				rep.badTS.offset = c.Offset
			}
			rep.badTS.count++
		}
		return
	}
	rep.Commands++
	e := t.last
	if e == nil || string(c.Name) != e.name {
		var ok bool
		if e, ok = t.counts[string(c.Name)]; !ok && len(t.counts) < t.lim.MaxDistinctNames {
			e = &nameCount{name: string(c.Name)}
			_, e.known = knownCommands[e.name]
			t.counts[e.name] = e
			t.names = append(t.names, e.name)
		}
	}
	known := false
	if e != nil {
		e.n++
		known = e.known
		t.last = e
	} else {
		if t.other == nil {
			t.other = new(int64)
		}
		*t.other++
		_, known = knownCommands[string(c.Name)]
	}
	if c.DB >= 0 && len(t.dbs) < t.lim.MaxDBs && !t.dbs[c.DB] {
		t.dbs[c.DB] = true
		t.dbOrder = append(t.dbOrder, c.DB)
	}
	if c.DB >= defaultDatabases && rep.highDB.count == 0 {
		rep.highDB.offset, rep.highDB.db = c.Offset, c.DB
	}
	if c.DB >= defaultDatabases {
		rep.highDB.count++
	}
	switch string(c.Name) {
	case "MULTI":
		t.txEvent(&rep.Transactions, "MULTI")
	case "EXEC":
		t.txEvent(&rep.Transactions, "EXEC")
	}
	if c.OddHeaders > 0 {
		if rep.oddHeader.count == 0 {
			rep.oddHeader.offset = c.FirstOddHeader
		}
		rep.oddHeader.count += int64(c.OddHeaders)
	}
	if c.BadCRLF > 0 {
		if rep.badCRLF.count == 0 {
			rep.badCRLF.offset = c.FirstBadCRLF
			rep.badCRLF.cmd = c.Offset
			rep.badCRLF.name = printable(c.Name)
		}
		rep.badCRLF.count += int64(c.BadCRLF)
	}
	if !known || c.NameLen > uint64(len(c.Name)) {
		if rep.firstUnknown == nil {
			rep.firstUnknown = &unknownCmd{name: printable(c.Name), offset: c.Offset}
			if c.NameLen > uint64(len(c.Name)) {
				rep.firstUnknown.name += "…"
			}
		}
		rep.firstUnknown.count++
	}
}

// total fills the report's tables from the tally at the end of the scan.
func (rep *Report) total(t *tally) {
	for name, e := range t.counts {
		rep.CommandCounts[name] = e.n
	}
	if t.other != nil {
		rep.CommandCounts["(other)"] = *t.other
	}
	for db := range t.dbs {
		rep.SelectedDBs = append(rep.SelectedDBs, db)
	}
	sort.Slice(rep.SelectedDBs, func(i, j int) bool { return rep.SelectedDBs[i] < rep.SelectedDBs[j] })
	if ts := rep.Timestamps; ts != nil {
		ts.First = time.Unix(ts.FirstUnix, 0).UTC().Format(time.RFC3339)
		ts.Last = time.Unix(ts.LastUnix, 0).UTC().Format(time.RFC3339)
	}
}

// isModuleName: module commands are conventionally "<prefix>.<name>"
// (JSON.SET, FT.CREATE, TS.ADD); the server loads them only when the module
// is loaded, which a file cannot tell.
func isModuleName(name string) bool {
	dot := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '.':
			dot = i > 0 && i < len(name)-1
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return dot
}

func printable(b []byte) string {
	for _, c := range b {
		if c < 0x20 || c >= 0x7f {
			return finding.QuoteBytes(b, int64(len(b)), -1)
		}
	}
	return string(b)
}

func (rep *Report) finish(s *Scanner) {
	rep.OKUpTo = s.OKUpTo()
	rep.ScannedUpTo = s.Offset()
	if rep.Size < 0 {
		rep.Size = s.Offset()
	}
	path := rep.Path
	var ce *CorruptionError
	err := s.Err()
	if rep.Err == nil {
		rep.Err = err
	}
	if err != nil && !errors.As(err, &ce) {
		rep.Findings = append(rep.Findings, finding.New(finding.InputUnreadable, path, "reading stopped at offset %d: %v", s.Offset(), err).At(s.Offset()))
		rep.Server = Server{Verdict: Refuses, LoadTruncatedYes: "unknown: the file could not be read", LoadTruncatedNo: "unknown: the file could not be read"}
		return
	}
	if rep.Err != nil && ce == nil {
		// cancelled
		rep.Findings = append(rep.Findings, finding.New(finding.InputUnreadable, path, "scan stopped at offset %d: %v", s.Offset(), rep.Err).At(s.Offset()))
		rep.Server = Server{Verdict: Refuses, LoadTruncatedYes: "unknown: the scan was interrupted", LoadTruncatedNo: "unknown: the scan was interrupted"}
		return
	}
	last := rep.Last
	if p, ok := s.Pending(); ok {
		rep.PendingFrom = &p
	} else if st, _, open := s.OpenMulti(); open && s.opt.Live && s.openAtEOF {
		rep.PendingFrom = &st
		s.openAtEOF = false
	}
	switch {
	case ce != nil && rep.RDB != nil && rep.RDB.End == 0:
		// The RDB part itself is short or corrupt: fatal, never truncated.
		rep.BadRecord = &BadRecord{Offset: ce.Offset, Line: ce.Line, At: ce.At, Expected: ce.Expected, Found: ce.Found}
		rep.OKUpTo = 0
		rep.Findings = append(rep.Findings, finding.New(finding.AOFRDBPreambleCorrupt, path,
			"the RDB part starting at offset %d is short or corrupt (%s, found %s); the server refuses the file and never truncates an RDB part", ce.Offset, ce.Expected, ce.Found).At(ce.At).
			WithHint("run 'aoftool rdb %s' for the RDB details; the data after the damage cannot be recovered by truncation", path))
		rep.Server = Server{Verdict: Refuses, LoadTruncatedYes: "refuses: error reading the RDB part", LoadTruncatedNo: "refuses: error reading the RDB part"}
	case ce != nil && errors.Is(ce, ErrProtocol):
		rep.BadRecord = &BadRecord{Offset: ce.Offset, Line: ce.Line, At: ce.At, Expected: ce.Expected, Found: ce.Found}
		rep.Findings = append(rep.Findings, finding.New(finding.AOFBadFormat, path,
			"the command at offset %d is not valid RESP (at %d expected %s, found %s); the server stops with \"Bad file format\" and refuses to start", ce.Offset, ce.At, ce.Expected, ce.Found).At(ce.At).AtLine(int(ce.Line)).
			WithHint("aoftool aof --repair-to OUT %s writes a copy cut at offset %d (%d bytes after it are lost; redis-check-aof --fix cuts the same way, in place)", path, rep.OKUpTo, rep.Size-rep.OKUpTo))
		if ce.Expected == "argument count ≥ 1" {
			// redis-check-aof loops zero times over such a count.
			f := &rep.Findings[len(rep.Findings)-1]
			f.Message += "; redis-check-aof reports this file as valid, so its --fix does not help"
			f.Hint = fmt.Sprintf("aoftool aof --repair-to OUT %s writes a copy cut at offset %d (%d bytes after it are lost)", path, rep.OKUpTo, rep.Size-rep.OKUpTo)
		}
		rep.Server = Server{Verdict: Refuses, LoadTruncatedYes: "refuses: bad file format", LoadTruncatedNo: "refuses: bad file format"}
	case ce != nil && errors.Is(ce, ErrTruncated):
		cut, _ := s.ServerCut()
		rep.BadRecord = &BadRecord{Offset: ce.Offset, Line: ce.Line, At: ce.At, Expected: ce.Expected, Found: ce.Found}
		tail := &Tail{Offset: rep.OKUpTo, Bytes: rep.Size - rep.OKUpTo, PartialCommand: true}
		st, n, open := s.OpenMulti()
		if open {
			tail.IncompleteMulti = true
			tail.CommandsDropped = n
		}
		rep.TruncatedTail = tail
		rep.truncatedFindings(ce, cut, last, tail, st)
	case s.openAtEOF:
		st, n, _ := s.OpenMulti()
		cut, _ := s.ServerCut()
		rep.Transactions.Open = true
		rep.Transactions.OpenOffset = &st
		tail := &Tail{Offset: cut, Bytes: rep.Size - cut, CommandsDropped: n, IncompleteMulti: true}
		rep.TruncatedTail = tail
		f := finding.New(finding.AOFIncompleteMulti, path,
			"MULTI at offset %d has no EXEC before the end of the file; the server reverts the transaction (%d command(s), %d bytes)", st, n, tail.Bytes).At(st)
		rep.Findings = append(rep.Findings, f.WithHint("%s", rep.truncHint(cut, last)))
		rep.Server = truncServer(cut, last)
	default:
		rep.Server = Server{Verdict: Loads, LoadTruncatedYes: "loads", LoadTruncatedNo: "loads"}
	}
	if !rep.Transactions.Open {
		if st, _, open := s.OpenMulti(); open {
			rep.Transactions.Open = true
			rep.Transactions.OpenOffset = &st
		}
	}
	if u := rep.firstUnknown; u != nil {
		if isModuleName(u.name) {
			rep.Findings = append(rep.Findings, finding.New(finding.AOFModuleCommand, path,
				"%d command(s) not built into Redis, first %s at offset %d; the server loads them only if the module that provides them is loaded", u.count, u.name, u.offset).At(u.offset))
		} else {
			rep.Findings = append(rep.Findings, finding.New(finding.AOFUnknownCommand, path,
				"%d command(s) unknown to Redis 7.x/8.x, first '%s' at offset %d; the server stops with \"Unknown command\" there unless a module provides it", u.count, u.name, u.offset).At(u.offset).
				WithHint("check which modules the server loads (loadmodule); aoftool does not cut unknown commands"))
			// Every counted command is complete, so the loader reached it.
			if rep.Server.Verdict != Refuses {
				rep.Server = Server{Verdict: Refuses, LoadTruncatedYes: "refuses: unknown command", LoadTruncatedNo: "refuses: unknown command"}
			}
		}
	}
	if b := rep.badTS; b.count > 0 {
		rep.Findings = append(rep.Findings, finding.New(finding.AOFTimestampInvalid, path,
			"%d annotation line(s) are not of the form #TS:<seconds>, first at offset %d; the server skips them", b.count, b.offset).At(b.offset).
			WithHint("redis-check-aof --truncate-to-timestamp stops with \"Invalid timestamp annotation\" on them"))
	}
	if b := rep.badCRLF; b.count > 0 {
		rep.Findings = append(rep.Findings, finding.New(finding.AOFMissingCRLF, path,
			"%d argument(s) are not followed by \\r\\n, first in %s at offset %d; the server skips those two bytes unchecked and loads them", b.count, b.name, b.cmd).At(b.offset).
			WithHint("redis-check-aof calls the file invalid there (\"Expected \\r\\n\") and --fix would cut it at offset %d", b.cmd))
	}
	if b := rep.oddHeader; b.count > 0 {
		rep.Findings = append(rep.Findings, finding.New(finding.AOFOddHeader, path,
			"%d header line(s) are not written the way Redis writes them (a stray byte before the newline, text after the number, leading zeros), first at offset %d; the server reads the same commands from them, but no Redis wrote this file as it is", b.count, b.offset).At(b.offset).
			WithHint("the file was altered or written by another tool; compare it with a backup before trusting its other bytes"))
	}
	if b := rep.highDB; b.count > 0 {
		rep.Findings = append(rep.Findings, finding.New(finding.AOFSelectOutOfRange, path,
			"%d SELECT(s) of a database beyond 15, first SELECT %d at offset %d; a server with the default 16 databases ignores them while loading and applies the following commands to the previous database", b.count, b.db, b.offset).At(b.offset).
			WithHint("check the databases setting of the server that wrote this file"))
	}
	if ts := rep.Timestamps; ts != nil && ts.Backwards > 0 {
		rep.Findings = append(rep.Findings, finding.New(finding.AOFTimestampBackwards, path,
			"%d #TS annotation(s) are earlier than the one before them (the clock moved back)", ts.Backwards).
			WithHint("--truncate-to-timestamp cuts at the first annotation later than T, as redis-check-aof does; later annotations earlier than T are cut too"))
	}
	if at := rep.TornAnnotationAt; at != nil && rep.Server.Verdict != Refuses {
		f := finding.New(finding.AOFTornAnnotation, path,
			"the file ends in an annotation line cut before its newline, at offset %d; the server skips it and loads, but the first write it appends behind it turns the line into garbage and the start after that refuses with \"Bad file format\"", *at).At(*at).
			WithHint("repair a copy (aoftool aof --repair-to OUT %s cuts it at offset %d) and start Redis on the copy", path, *at)
		if !last {
			f = f.As(finding.Warning)
			f.Message = fmt.Sprintf("the file ends in an annotation line cut before its newline, at offset %d; the server skips it, and never appends to a file that is not the last", *at)
			f.Hint = ""
		}
		rep.Findings = append(rep.Findings, f)
	}
	if rep.Transactions.UnmatchedExec > 0 {
		rep.Findings = append(rep.Findings, finding.New(finding.AOFUnmatchedExec, path,
			"%d EXEC without MULTI; the server ignores them, redis-check-aof reports \"Unexpected EXEC\"", rep.Transactions.UnmatchedExec))
	}
	if rep.Transactions.NestedMulti > 0 {
		rep.Findings = append(rep.Findings, finding.New(finding.AOFNestedMulti, path,
			"%d MULTI inside a transaction; the server queues them, redis-check-aof reports \"Unexpected MULTI\"", rep.Transactions.NestedMulti))
	}
	if rep.Format == FormatRESP && rep.Commands == 0 && rep.Annotations == 0 && rep.Err == nil {
		rep.Findings = append(rep.Findings, finding.New(finding.AOFEmpty, path, "the file holds no complete command").At(0))
	}
	rep.Findings.Sort()
}

// MarkLive re-reads the end of the report for a file a server is still
// appending to: a partial last command or an open transaction at the very
// end is a write in progress, not a torn tail, so it is information and
// the server loads the file. It reports whether the end was pending. A
// bad record (bytes that are not RESP) stays what it is.
func (rep *Report) MarkLive() bool {
	t := rep.TruncatedTail
	if t == nil && rep.TornAnnotationAt != nil && rep.Last {
		t = &Tail{Offset: *rep.TornAnnotationAt, PartialCommand: true}
		rep.TornAnnotationAt = nil
	}
	if t == nil || !rep.Last || (rep.BadRecord != nil && !t.PartialCommand) {
		return false
	}
	from := t.Offset
	if rep.Transactions.Open && rep.Transactions.OpenOffset != nil && *rep.Transactions.OpenOffset < from {
		from = *rep.Transactions.OpenOffset
	}
	kept := rep.Findings[:0]
	for _, f := range rep.Findings {
		switch f.Code {
		case finding.AOFTruncatedTail, finding.AOFIncompleteMulti, finding.AOFCutInsideMulti, finding.AOFTornAnnotation:
			continue
		}
		kept = append(kept, f)
	}
	rep.Findings = append(kept, finding.New(finding.AOFPendingCommand, rep.Path,
		"the last %d bytes, from offset %d, are a command the server is still writing; the file grows as it appends", rep.Size-from, from).At(from).
		WithHint("if the server is stopped and this is a copy, rerun with --server-stopped to judge the end as a torn tail"))
	rep.Findings.Sort()
	rep.PendingFrom = &from
	rep.TruncatedTail, rep.BadRecord = nil, nil
	rep.OKUpTo = from
	rep.Server = Server{Verdict: Loads, LoadTruncatedYes: "loads", LoadTruncatedNo: "loads"}
	if rep.Findings.Has(finding.AOFUnknownCommand) {
		rep.Server = Server{Verdict: Refuses, LoadTruncatedYes: "refuses: unknown command", LoadTruncatedNo: "refuses: unknown command"}
	}
	return true
}

func truncServer(cut int64, last bool) Server {
	c := cut
	if last {
		return Server{Verdict: LoadsTruncated, TruncatesAt: &c,
			LoadTruncatedYes: fmt.Sprintf("truncates the file in place to %d bytes and loads", cut),
			LoadTruncatedNo:  "refuses: unexpected end of file"}
	}
	return Server{Verdict: Refuses, TruncatesAt: &c,
		LoadTruncatedYes: fmt.Sprintf("truncates the file in place to %d bytes, then refuses: the truncated file is not the last file", cut),
		LoadTruncatedNo:  "refuses: unexpected end of file"}
}

func (rep *Report) truncHint(cut int64, last bool) string {
	if last {
		return fmt.Sprintf("aoftool aof --repair-to OUT %s writes a copy cut at offset %d; started on this file, Redis cuts it in place (aof-load-truncated yes) or refuses (no)", rep.Path, rep.OKUpTo)
	}
	return fmt.Sprintf("do not start Redis on this directory: it cuts this file in place to %d bytes, refuses, and a later start loads without this tail; repair a copy with aoftool aof --repair-to DIR", cut)
}

func (rep *Report) truncatedFindings(ce *CorruptionError, cut int64, last bool, tail *Tail, multiStart int64) {
	path := rep.Path
	code := finding.AOFTruncatedTail
	if !last {
		code = finding.AOFTruncatedNotLast
	}
	msg := fmt.Sprintf("the file ends inside the command at offset %d (at %d expected %s, found %s); %d bytes after offset %d are an incomplete tail", ce.Offset, ce.At, ce.Expected, ce.Found, tail.Bytes, tail.Offset)
	if !last {
		msg += "; this is not the last file, so the server truncates it in place and then refuses to start"
	}
	rep.Findings = append(rep.Findings, finding.New(code, path, "%s", msg).At(ce.Offset).AtLine(int(ce.Line)).WithHint("%s", rep.truncHint(cut, last)))
	if cut != rep.OKUpTo {
		st, n := multiStart, tail.CommandsDropped
		rep.Findings = append(rep.Findings, finding.New(finding.AOFCutInsideMulti, path,
			"the torn command is inside the transaction opened at offset %d: the server cuts at %d, inside it, leaving a MULTI without EXEC (%d command(s)); writes acknowledged after that start are appended behind it and lost when the following start reverts the transaction", st, cut, n).At(cut).
			WithHint("repair a copy instead (aoftool aof --repair-to), which cuts at offset %d before the MULTI", rep.OKUpTo))
	}
	rep.Server = truncServer(cut, last)
}

// TSMarks returns the "#TS" annotations seen (at most 2^20), in file order.
func (rep *Report) TSMarks() []TSMark { return rep.tsMarks }
