package rdbinspect

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"strconv"

	"github.com/aoftool/aoftool/finding"
)

// Limits caps what a report keeps from a file.
type Limits struct {
	// KeyName is how many bytes of a key name are kept (default 256).
	KeyName int
}

func (l Limits) keyName() int {
	if l.KeyName <= 0 || l.KeyName > headCap {
		return headCap
	}
	return l.KeyName
}

// Options control Verify.
type Options struct {
	// Path is copied into the report and its findings; the file itself is
	// read only through the io.ReaderAt.
	Path string
	// Keys adds per-type statistics and the biggest keys to the report.
	Keys bool
	// Top is how many of the biggest keys are listed with Keys (default 10).
	Top int
	// InProgress says the file may still be written (a temp-*.rdb of a live
	// BGSAVE or sync): a cut end is reported as rdb-incomplete (warning)
	// instead of a truncation error.
	InProgress bool
	// AOFPreamble says the RDB is the preamble of an AOF file, so bytes after
	// its checksum are the AOF tail, not garbage. A file whose aux field
	// aof-preamble is 1 is treated so without being told.
	AOFPreamble bool
	// Workers is the number of goroutines computing the checksum (default
	// GOMAXPROCS).
	Workers int
	// Progress, when set, receives checksummed byte counts from several
	// goroutines as the check advances.
	Progress func(n int64)
	Limits   Limits

	// Target is the server the verdicts are for: which RDB versions and
	// object types it reads. By default the one that wrote the file (its
	// redis-ver or valkey-ver aux field), else the newest release of the
	// file's RDB version.
	Target *Server
	// Databases is the target's `databases` setting; 0 when unknown, which
	// judges SELECTDB against the default 16 as a warning only.
	Databases int
	// ExpiredAt, in Unix milliseconds, counts per database the keys whose
	// expiry is before it (DBStats.Expired): those a master's rdbLoad skips
	// when it starts then. 0 leaves them uncounted.
	ExpiredAt int64
	// Visit, when set, describes every key to a Visitor during the walk.
	Visit *Visitor
	// Modules lists the module type names (the 9-character names module
	// ids encode, e.g. "ReJSON-RL") the target has loaded. Module data of
	// any other type makes the server refuse the file.
	Modules []string
}

func (o Options) top() int {
	if o.Top <= 0 {
		return 10
	}
	return o.Top
}

// Checksum statuses.
const (
	ChecksumOK       = "ok"
	ChecksumMismatch = "mismatch"
	ChecksumDisabled = "disabled"    // stored CRC is 0: rdbchecksum no
	ChecksumAbsent   = "absent"      // no trailer (cut file, RDB < 5)
	ChecksumNotRead  = "not-checked" // the file is not an RDB at all
)

// Checksum is the trailer check. CRCs are 16 hex digits: JSON numbers lose
// precision above 2^53.
type Checksum struct {
	Status   string `json:"status"`
	Stored   string `json:"stored,omitempty"`
	Computed string `json:"computed,omitempty"`
	// Offset is where the 8 checksum bytes start, when a trailer was found.
	Offset *int64 `json:"offset,omitempty"`
	// Covered is how many bytes the computed CRC covers (magic through FF).
	Covered int64 `json:"covered,omitempty"`
}

// DBStats counts the keys of one database.
type DBStats struct {
	DB      uint64 `json:"db"`
	Keys    int64  `json:"keys"`
	Expires int64  `json:"expires"`
	// Expired counts the keys expired at Options.ExpiredAt.
	Expired int64 `json:"expired,omitempty"`
	Bytes   int64 `json:"bytes"`
}

// TypeStats counts keys of one type and encoding.
type TypeStats struct {
	Type     string `json:"type"`
	Encoding string `json:"encoding"`
	Keys     int64  `json:"keys"`
	Bytes    int64  `json:"bytes"`
}

// BigKey is one of the largest keys by serialized size (from its first
// opcode to the end of its value).
type BigKey struct {
	DB       uint64 `json:"db"`
	Key      string `json:"key"`
	Type     string `json:"type"`
	Encoding string `json:"encoding"`
	Bytes    int64  `json:"bytes"`
	Offset   int64  `json:"offset"`
	Expires  bool   `json:"expires"`
	// Elements counts list items, set and zset members, hash fields or
	// stream entries; absent for strings, modules and encodings whose
	// header does not say.
	Elements *int64 `json:"elements,omitempty"`
}

// KeyStats summarises the keyspace. Counts are of the records walked: on a
// damaged file they stop where the walk stopped.
type KeyStats struct {
	Keys    int64 `json:"keys"`
	Expires int64 `json:"expires"`
	// Expired counts the keys expired at Options.ExpiredAt.
	Expired   int64       `json:"expired,omitempty"`
	DBs       []DBStats   `json:"dbs"`
	Functions int         `json:"functions,omitempty"`
	ModuleAux int         `json:"module_aux,omitempty"`
	Types     []TypeStats `json:"types,omitempty"`
	Biggest   []BigKey    `json:"biggest,omitempty"`
}

// Report is the result of Verify and the rdb command's JSON document.
type Report struct {
	Schema int        `json:"schema"`
	Path   string     `json:"path"`
	Size   int64      `json:"size"`
	Header *Header    `json:"header,omitempty"`
	Aux    []AuxField `json:"aux"`
	// Checksum is the trailer check.
	Checksum Checksum `json:"checksum"`
	// Complete is true when the walk reached the EOF opcode and the trailer
	// is present: the dump was finished (its CRC is judged separately).
	Complete bool `json:"complete"`
	// Empty is true for a complete dump without keys.
	Empty bool `json:"empty"`
	// RDBEnd is the offset just past the trailer, -1 when none was found.
	// In an AOF with an RDB preamble the AOF commands start here.
	RDBEnd int64 `json:"rdb_end"`
	// StoppedAt is where the structure stops making sense, with the key being
	// read then, if any.
	StoppedAt  *int64 `json:"stopped_at,omitempty"`
	StoppedKey string `json:"stopped_key,omitempty"`
	StoppedIn  string `json:"stopped_in,omitempty"`
	// stoppedKeyQuoted is StoppedKey as messages name it.
	stoppedKeyQuoted string
	// StructureChecked is false for versions newer than the walk knows.
	StructureChecked bool `json:"structure_checked"`
	// Target is the server the verdicts below are for.
	Target *Server `json:"target,omitempty"`
	// Load is what the target does with the file at start-up under each
	// sanitize-dump-payload setting, and redis-check-rdb's verdict; absent
	// when the file is not an RDB the walk reads.
	Load *LoadVerdict `json:"load,omitempty"`
	// Refusals lists, per class of content check, the records at fault and
	// which setting refuses them.
	Refusals []Refusal `json:"refusals,omitempty"`
	// LoadedKeys is how many keys the target holds after a start that
	// loads the file, per setting: the file's keys less those it skips as
	// empty (absent when the file is not walked).
	LoadedKeys *LoadedKeys  `json:"loaded_keys,omitempty"`
	Keys       KeyStats     `json:"keys"`
	Findings   finding.List `json:"findings"`
	Verdict    string       `json:"verdict"`

	// Err is set when the file could not be read (an I/O error, not
	// corruption); the CLI maps it to exit 2.
	Err error `json:"-"`
}

func hex16(v uint64) string { return fmt.Sprintf("%016x", v) }

// Verify reads the whole file once: a parallel CRC-64 over blocks and, at
// the same time, a structural walk of every record. size is the caller's
// snapshot of the file length; nothing past it is read, so a file that is
// still being written is judged on the bytes it had.
func Verify(ctx context.Context, r io.ReaderAt, size int64, opt Options) *Report {
	rep := &Report{Schema: 1, Path: opt.Path, Size: size, RDBEnd: -1, Aux: []AuxField{}, Findings: finding.List{}, Keys: KeyStats{DBs: []DBStats{}}}
	rep.Checksum.Status = ChecksumNotRead
	add := func(code finding.Code, off int64, format string, args ...any) *finding.Finding {
		f := finding.New(code, opt.Path, format, args...)
		if off >= 0 {
			f = f.At(off)
		}
		rep.Findings = append(rep.Findings, f)
		return &rep.Findings[len(rep.Findings)-1]
	}
	defer func() {
		rep.Load = loadVerdict(rep)
		if rep.Load == nil || structureFailed(rep) {
			// Counts of a walk that stopped early predict nothing.
			rep.LoadedKeys = nil
		}
		rep.Verdict = verdict(rep)
	}()

	h, err := ReadHeader(r, size)
	var ce *CorruptionError
	switch {
	case err == nil:
	case errors.As(err, &ce) && errors.Is(err, ErrNotRDB):
		add(finding.RDBBadMagic, 0, "not an RDB file: %s", ce.Detail)
		return rep
	case errors.As(err, &ce) && errors.Is(err, ErrUnsupportedVersion):
		rep.Header = h
		add(finding.RDBUnsupportedVersion, 0, "Can't handle RDB format version: %s", ce.Detail)
		return rep
	case errors.As(err, &ce) && errors.Is(err, ErrTruncated):
		rep.Header = h
		if h != nil {
			rep.Aux = nonNil(h.Aux)
		}
		rep.Checksum.Status = ChecksumAbsent
		truncated(rep, opt, ce.Offset, ce.Detail, add)
		return rep
	case errors.As(err, &ce):
		rep.Header = h
		rep.Aux = nonNil(h.Aux)
		rep.Checksum.Status = ChecksumAbsent
		corruption(rep, ce, add)
		return rep
	default:
		rep.Err = err
		add(finding.InputUnreadable, -1, "%v", err)
		return rep
	}
	// The report lists aux fields once, at the top level.
	hc := *h
	hc.Aux = nil
	rep.Header = &hc
	rep.Aux = nonNil(h.Aux)
	if h.Envelope != "" {
		add(finding.RDBCompressedEnvelope, 0, "Valkey %s compressed envelope; its content is not checked", h.Envelope)
		return rep
	}
	preamble := opt.AOFPreamble || (h.AOFPreamble != nil && *h.AOFPreamble)
	hasCRC := h.Version >= 5

	// One pass reads every block once: goroutines checksum [0, size-8) in
	// parallel (right for a standalone dump) while the walk consumes the
	// same buffers in order. When the walk finds the EOF opcode elsewhere
	// (an AOF preamble, trailing bytes) the CRC of that prefix is formed
	// from the blocks already summed.
	crcEnd := int64(0)
	if hasCRC && size >= 18 {
		crcEnd = size - 8
	}
	walkable := h.Magic[:5] == "REDIS" && h.Version <= MaxVersion
	rep.StructureChecked = walkable
	target, limits, known := targetFor(opt, h)
	// configure gives a walker (of either lane) what the walk is judged by.
	configure := func(w *walker) {
		w.content.target, w.content.limits, w.content.targetKnown = target, limits, known
		if w.vis != nil {
			w.vis.fam = familyOf(target)
		}
		w.content.databases = uint64(max(opt.Databases, 0))
		// A file still being written ends anywhere; only a finished-looking
		// one makes an overlong length a lie rather than a cut.
		w.lengthsLie = h.Tail.LooksComplete && !opt.InProgress
	}
	// All lanes hash key names under one seed, so their hashes compare.
	seed := maphash.MakeSeed()
	var lanes *laneSet
	if walkable && (opt.Workers == 0 || opt.Workers >= 2) {
		lanes = startLanes(ctx, r, size, crcEnd, h.Version, opt, seed, configure)
	}
	defer lanes.stop()
	var p *pipeline
	if lanes != nil {
		p = newOwnPipeline(r, 0, size, crcEnd, opt.Progress)
	} else {
		p = newPipeline(ctx, r, size, crcEnd, opt.Workers, opt.Progress)
	}
	defer p.close()

	eofEnd := int64(-1)
	var w *walker
	var sum uint64
	haveSum := false
	var sumErr error
	if walkable {
		w = newWalker(ctx, p, r, 9, size, h.Version, seed, opt)
		if lanes != nil {
			w.lanes, w.nextSeam = lanes, lanes.seam(lanes.next)
			w.dup.inLane(&lanes.keys, nil)
		}
		rep.Target = &target
		configure(w)
		if known && h.Version > limits.maxRDB {
			add(finding.RDBUnsupportedVersion, 0, "Can't handle RDB format version %d: %s reads RDB versions up to %d (the file's format is %s)", h.Version, target, limits.maxRDB, h.Releases).Hint = "load it on a server of the release that wrote it, or newer"
			w.content.refusals = append(w.content.refusals, Refusal{Class: ClassVersion, Verdict: verdictAllRefuse, Records: 1, First: 0})
		}
		eofEnd = w.run()
		// Lanes past where the walk ended would only compete with the
		// duplicate check.
		lanes.stop()
		unchecked := w.flagDuplicates(ctx, r, size, opt)
		rep.Keys = w.finish(opt.Keys)
		for _, sel := range w.dbRange {
			switch {
			case opt.Databases > 0:
				if sel.db < uint64(opt.Databases) {
					continue
				}
				// The server exits on a database number at or above its
				// `databases` setting; redis-check-rdb does not check it.
				add(finding.RDBDBOutOfRange, sel.at, "SELECTDB names database %d; %s with databases %d refuses the file (FATAL: Data file was created with a Redis server configured to handle more than %d databases)", sel.db, target, opt.Databases, opt.Databases).Severity = finding.Error
				w.content.recAt = sel.at
				w.flagAt(ClassDatabase, sel.at, verdictServerOnly)
			case sel.db >= math.MaxInt32:
				// Beyond INT_MAX no `databases` setting loads the file.
				f := add(finding.RDBDBOutOfRange, sel.at, "SELECTDB names database %d, beyond the largest `databases` setting (%d); no server can load this file", sel.db, math.MaxInt32)
				f.Severity = finding.Error
				w.flagAt(ClassDatabase, sel.at, verdictServerOnly)
			default:
				add(finding.RDBDBOutOfRange, sel.at, "SELECTDB names database %d; a server with the default 16 databases refuses the file", sel.db).Hint = fmt.Sprintf("load it only on a server started with databases %d or more", sel.db+1)
			}
		}
		for _, cf := range w.content.faults {
			f := add(cf.code, cf.at, "%s", cf.detail)
			f.Severity = cf.sev
		}
		if unchecked > 0 {
			add(finding.RDBKeysNotDeduplicated, -1, "%d keys were not checked for duplicate names (the check keeps the names of %d keys)", unchecked, w.dup.kept)
		}
		if w.content.dropped > 0 {
			add(finding.RDBContentCapped, -1, "%d more findings about values are not listed; the refusals count every record", w.content.dropped)
		}
		rep.Refusals = w.content.refusals
		rep.LoadedKeys = &LoadedKeys{Default: rep.Keys.Keys - w.content.skipped[0], SanitizeYes: rep.Keys.Keys - w.content.skipped[1]}
		if eofEnd >= 0 && hasCRC && size-eofEnd >= 8 && eofEnd != crcEnd {
			sum, sumErr = p.prefixCRC(w.s.cur, eofEnd)
			haveSum = true
		}
	} else {
		add(finding.RDBFormatUnchecked, 0, "signature %s: RDB %d, written by %s, is newer than the formats aoftool walks; only the header and checksum were checked", h.Magic, h.Version, h.Releases)
		if h.Tail.LooksComplete {
			eofEnd = size - 8
		}
	}
	// The whole-file CRC is needed for a dump ending at its trailer, and for
	// a broken structure in a file that ends like a dump: the stored CRC
	// then says whether bytes were damaged.
	wantFull := crcEnd > 0 && !haveSum && (eofEnd == crcEnd || (w != nil && w.err != nil && h.Tail.LooksComplete && !opt.InProgress))
	if wantFull {
		var cur *block
		if w != nil {
			cur, w.s.cur = w.s.cur, nil
		}
		sum = p.drain(cur)
		haveSum = true
	}
	if p.readErr != nil && (wantFull || w == nil || w.err == nil) {
		rep.Err = p.readErr
		add(finding.InputUnreadable, -1, "%v", p.readErr)
		return rep
	}
	if sumErr != nil {
		rep.Err = sumErr
		add(finding.InputUnreadable, -1, "%v", sumErr)
		return rep
	}
	if err := ctx.Err(); err != nil {
		rep.Err = err
		return rep
	}

	// Structure.
	if w != nil && w.err != nil {
		var ioe errIO
		if errors.As(w.err.Err, &ioe) {
			rep.Err = ioe.err
			add(finding.InputUnreadable, w.err.Offset, "%v", ioe.err)
			return rep
		}
		off := w.err.Offset
		rep.StoppedAt = &off
		if w.inKey && w.keyLen > 0 {
			rep.StoppedKey = printableKey(w.curKey, w.keyLen)
			rep.StoppedIn = typeInfos[w.curType].name
			rep.stoppedKeyQuoted = w.quotedKey()
		}
		if errors.Is(w.err.Err, ErrTruncated) {
			truncated(rep, opt, off, w.err.Detail+keySuffix(rep), add)
		} else {
			corruption(rep, w.err, add)
		}
	} else if eofEnd < 0 {
		// Also reached by a newer format whose last bytes are not FF + CRC.
		off := size
		rep.StoppedAt = &off
		if opt.InProgress {
			add(finding.RDBIncomplete, size, "incomplete: %d bytes so far, no EOF opcode yet (the job writing it has not finished)", size)
		} else {
			add(finding.RDBNoTrailer, size, "the file ends after a complete record but without the EOF opcode and checksum: the dump was cut short")
		}
	}

	// Trailer.
	if eofEnd >= 0 {
		if !hasCRC {
			rep.Complete = true
			rep.RDBEnd = eofEnd
			rep.Checksum.Status = ChecksumAbsent
		} else if size-eofEnd < 8 {
			rep.Checksum.Status = ChecksumAbsent
			off := eofEnd
			rep.StoppedAt = &off
			truncated(rep, opt, eofEnd, fmt.Sprintf("the file ends inside the 8-byte checksum after the EOF opcode (%d bytes present)", size-eofEnd), add)
		} else {
			rep.Complete = true
			rep.RDBEnd = eofEnd + 8
			checkCRC(rep, r, eofEnd, sum, add)
		}
	} else if haveSum && w != nil && w.err != nil {
		// The structure broke, but the file ends like a dump: the stored CRC
		// says whether bytes were damaged or the walk met a format it lacks.
		checkCRC(rep, r, size-8, sum, add)
	} else if rep.Checksum.Status == ChecksumNotRead {
		rep.Checksum.Status = ChecksumAbsent
	}

	// After the trailer.
	if rep.Complete && rep.RDBEnd < size {
		extra := size - rep.RDBEnd
		if preamble {
			add(finding.RDBAOFTail, rep.RDBEnd, "%d bytes of AOF commands follow the RDB preamble", extra)
		} else {
			add(finding.RDBTrailingBytes, rep.RDBEnd, "%d bytes from offset %d follow the checksum of a standalone RDB; Redis never writes them, stops reading at the EOF opcode and loads the same data", extra, rep.RDBEnd)
		}
	}
	if rep.Complete && rep.StoppedAt == nil && rep.Keys.Keys == 0 && walkable {
		rep.Empty = true
		add(finding.RDBEmpty, -1, "empty RDB: no keys%s", emptyExtra(rep.Keys))
	}
	if opt.Keys && structureFailed(rep) {
		// Per-type counts and the biggest keys of a damaged file would
		// describe only part of it, or garbage read as records: refuse them.
		// The plain key counts stay, as how far the walk got.
		rep.Keys.Types, rep.Keys.Biggest = nil, nil
		add(finding.RDBKeysRefused, -1, "key statistics by type and the biggest keys are not reported: the file failed verification (the counts shown cover only the records before the damage)")
	}
	return rep
}

// loadVerdict is what the target server does with the whole file: the
// worst of the content refusals and of the structure and checksum, which
// every setting and redis-check-rdb refuse. A SELECTDB beyond 15 with an
// unknown `databases` setting is left to its warning.
func loadVerdict(rep *Report) *LoadVerdict {
	if rep.Header == nil || rep.Header.Envelope != "" || !rep.StructureChecked || rep.Err != nil {
		return nil
	}
	v := verdictAllLoad
	for _, r := range rep.Refusals {
		v = v.merge(r.Verdict)
	}
	if structureFailed(rep) {
		v = v.merge(verdictAllRefuse)
	}
	return &v
}

// structureFailed: the walk or the checksum says the bytes are not the
// records a server wrote (cut, damaged, garbage), as opposed to records a
// server reads and judges.
func structureFailed(rep *Report) bool {
	for _, f := range rep.Findings {
		switch f.Code {
		case finding.RDBTruncated, finding.RDBNoTrailer, finding.RDBIncomplete, finding.RDBChecksumMismatch,
			finding.RDBInvalidLength, finding.RDBInvalidType, finding.RDBInvalidOpcode, finding.RDBInvalidEncoding, finding.RDBBadMagic:
			return true
		}
	}
	return false
}

func nonNil(a []AuxField) []AuxField {
	if a == nil {
		return []AuxField{}
	}
	return a
}

func emptyExtra(k KeyStats) string {
	if k.Functions > 0 || k.ModuleAux > 0 {
		return fmt.Sprintf(" (%d function libraries, %d module aux records)", k.Functions, k.ModuleAux)
	}
	return ""
}

func keySuffix(rep *Report) string {
	if rep.StoppedKey == "" {
		return ""
	}
	return fmt.Sprintf(", while reading %s key %s", rep.StoppedIn, rep.stoppedKeyQuoted)
}

func truncated(rep *Report, opt Options, off int64, detail string, add func(finding.Code, int64, string, ...any) *finding.Finding) {
	if opt.InProgress {
		add(finding.RDBIncomplete, off, "incomplete: %d bytes so far; %s", rep.Size, detail)
		return
	}
	f := add(finding.RDBTruncated, off, "truncated at offset %d: %s (Unexpected EOF reading RDB file)", off, detail)
	*f = f.WithHint("if this is a copy, copy the file again once the server has finished writing it; otherwise restore an older dump")
}

func corruption(rep *Report, ce *CorruptionError, add func(finding.Code, int64, string, ...any) *finding.Finding) {
	code := finding.RDBInvalidEncoding
	switch {
	case errors.Is(ce.Err, ErrInvalidLength):
		code = finding.RDBInvalidLength
	case errors.Is(ce.Err, ErrInvalidType):
		code = finding.RDBInvalidType
	case errors.Is(ce.Err, ErrInvalidOpcode):
		code = finding.RDBInvalidOpcode
	}
	f := add(code, ce.Offset, "%s%s", ce.Detail, keySuffix(rep))
	*f = f.WithHint("the file is damaged from offset %d on; Redis refuses to load it — restore an older dump or a replica's copy", ce.Offset)
}

func checkCRC(rep *Report, r io.ReaderAt, eofEnd int64, sum uint64, add func(finding.Code, int64, string, ...any) *finding.Finding) {
	var t [8]byte
	if _, err := r.ReadAt(t[:], eofEnd); err != nil {
		rep.Err = err
		add(finding.InputUnreadable, eofEnd, "%v", err)
		return
	}
	stored := binary.LittleEndian.Uint64(t[:])
	off := eofEnd
	rep.Checksum.Offset = &off
	rep.Checksum.Stored = hex16(stored)
	if stored == 0 {
		rep.Checksum.Status = ChecksumDisabled
		add(finding.RDBChecksumDisabled, eofEnd, "RDB file was saved with checksum disabled (rdbchecksum no): no check performed, as Redis does")
		return
	}
	rep.Checksum.Computed = hex16(sum)
	rep.Checksum.Covered = eofEnd
	if sum == stored {
		rep.Checksum.Status = ChecksumOK
		return
	}
	rep.Checksum.Status = ChecksumMismatch
	f := add(finding.RDBChecksumMismatch, eofEnd, "Wrong RDB checksum: stored %s, computed %s over bytes 0..%d; Redis refuses to load it (RDB CRC error)", hex16(stored), hex16(sum), eofEnd-1)
	*f = f.WithHint("restore an older dump or a replica's copy; loading it with rdbchecksum disabled would only hide the damage")
}

func verdict(rep *Report) string {
	name := "RDB"
	if rep.Header == nil {
		return "not an RDB file"
	}
	if rep.Header.Envelope != "" {
		return "Valkey compressed envelope (not checked)"
	}
	errs := rep.Findings.HasError()
	switch {
	case rep.Err != nil:
		return "could not read the file: " + rep.Err.Error()
	case rep.Findings.Has(finding.RDBIncomplete):
		return "incomplete RDB: " + strconv.FormatInt(rep.Size, 10) + " bytes so far, still being written or abandoned"
	case errs && rep.StoppedAt != nil:
		return fmt.Sprintf("corrupt %s: the structure stops making sense at offset %d", name, *rep.StoppedAt)
	case errs:
		return "corrupt " + name
	case rep.Empty:
		return "empty RDB, complete and intact"
	case !rep.StructureChecked:
		if rep.Checksum.Status == ChecksumOK {
			return "checksum OK; structure not checked (newer format)"
		}
		return "structure not checked (newer format)"
	case rep.Checksum.Status == ChecksumDisabled:
		return "RDB complete; checksum disabled, structure OK"
	}
	return "RDB complete and intact"
}
