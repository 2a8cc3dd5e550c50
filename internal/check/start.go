package check

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/aoftool/aoftool/aofinspect"
	"github.com/aoftool/aoftool/finding"
	"github.com/aoftool/aoftool/internal/datadir"
	"github.com/aoftool/aoftool/internal/keyspace"
	"github.com/aoftool/aoftool/manifest"
	"github.com/aoftool/aoftool/rdbinspect"
	"github.com/aoftool/aoftool/replay"
	"github.com/aoftool/aoftool/snapshot"
)

// Mode is the appendonly setting a start runs with.
type Mode string

const (
	AOFOn  Mode = "aof-on"
	AOFOff Mode = "aof-off"
)

// Judged is the mode the exit code follows: the configuration's, or, without
// one, the mode the directory shows.
type Judged struct {
	Mode Mode `json:"mode"`
	// From is "config" or "directory"; Why says what showed it.
	From string `json:"from"`
	Why  string `json:"why"`
}

// Result is how a start ends.
type Result string

const (
	Starts  Result = "starts"
	Refuses Result = "refuses" // the server exits
	Hangs   Result = "hangs"   // the server blocks forever (a FIFO as dump.rdb)
	Crashes Result = "crashes" // the server dies on an assertion
)

// Cause is why a start does not start: the finding that says it, where, and
// the server's own words.
type Cause struct {
	Code   finding.Code `json:"code"`
	Path   string       `json:"path,omitempty"`
	Offset *int64       `json:"offset,omitempty"`
	Detail string       `json:"detail"`
}

// Action is what a start does to a file.
type Action string

const (
	Truncates  Action = "truncates"  // cut in place to Size bytes
	Overwrites Action = "overwrites" // replaced by a new file of the same name
	AppendsTo  Action = "appends-to" // opened for appending
	Creates    Action = "creates"
	Deletes    Action = "deletes"
	Moves      Action = "moves" // renamed, into the AOF directory
	Rewrites   Action = "rewrites"
)

// Change is one thing a start does on disk.
type Change struct {
	Path   string `json:"path"`
	Action Action `json:"action"`
	// Size is the size a truncation leaves.
	Size   *int64 `json:"size,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// Loss is data a start does not bring back, or destroys.
type Loss struct {
	Path string `json:"path,omitempty"`
	// Keys and Bytes are set where known.
	Keys   *int64 `json:"keys,omitempty"`
	Bytes  *int64 `json:"bytes,omitempty"`
	Detail string `json:"detail"`
	// Only counts the lost keys the start's dataset does not hold either
	// (by name and database), OnlyMaybe those of them it may hold: a
	// dump.rdb ignored with AOF on.
	Only      *int64 `json:"keys_not_in_start,omitempty"`
	OnlyMaybe int64  `json:"keys_maybe_in_start,omitempty"`
	// OnlyNote says why Only is not known.
	OnlyNote string `json:"keys_not_in_start_note,omitempty"`
}

// Then is the start after this one, where it differs from what this start
// promises: the traps of a start that succeeds and leaves the directory
// worse.
type Then struct {
	Starts bool   `json:"starts"`
	Detail string `json:"detail"`
}

// Outcome is one start.
type Outcome struct {
	// Starts is false when Redis exits, hangs or crashes; Result says which.
	Starts bool   `json:"starts"`
	Result Result `json:"result"`
	Cause  *Cause `json:"cause,omitempty"`
	// Loads lists the files read, in order (relative to Dir).
	Loads []string `json:"loads"`
	// Keys is the number of keys a client sees after the start when it is
	// known exactly; otherwise KeysMin and KeysMax bound it (KeysMax absent:
	// unbounded) and KeysNote says why.
	Keys     *int64 `json:"keys"`
	KeysMin  *int64 `json:"keys_min,omitempty"`
	KeysMax  *int64 `json:"keys_max,omitempty"`
	KeysNote string `json:"keys_note,omitempty"`
	// Keyspace is the AOF start's dataset per database, from the replay of
	// the incr files over the base.
	Keyspace *Dataset `json:"keyspace,omitempty"`
	// Changes are what the start does on disk; Losses what it does not
	// bring back or destroys; Then the start after it, when it differs.
	Changes []Change `json:"changes"`
	Losses  []Loss   `json:"losses"`
	Then    *Then    `json:"then,omitempty"`
	// Dataset, Modifies and Loses word the above for people.
	Dataset  string   `json:"dataset"`
	Modifies []string `json:"modifies"`
	Loses    []string `json:"loses"`
}

func emptyOutcome() Outcome {
	return Outcome{Starts: true, Result: Starts, Loads: []string{}, Changes: []Change{}, Losses: []Loss{}, Modifies: []string{}, Loses: []string{}}
}

func (o *Outcome) refuse(res Result, c Cause) {
	if o.Result != Starts {
		return // the first stop is the one the server meets
	}
	o.Starts, o.Result, o.Cause = false, res, &c
}

func (o *Outcome) change(c Change) { o.Changes = append(o.Changes, c) }

// changes says whether the start already changes path.
func (o *Outcome) changes(path string) bool {
	for _, c := range o.Changes {
		if c.Path == path {
			return true
		}
	}
	return false
}

func (o *Outcome) lose(l Loss) { o.Losses = append(o.Losses, l) }

func i64(n int64) *int64 { return &n }

// start holds what the start simulation reads.
type start struct {
	ctx     context.Context
	r       *Report
	rm      *replayModel
	base    *keyspace.Base
	plan    []datadir.Part
	d       *datadir.Dir
	snap    *snapshot.Snapshot
	cfg     datadir.Config
	dump    *rdbinspect.Report
	baseRDB map[string]*rdbinspect.Report
	legacy  *snapshot.Entry
	at      time.Time
}

// judge decides the mode the exit code follows.
func (s *start) judge() Judged {
	if a := s.cfg.AppendOnly; a != nil {
		m := AOFOff
		if *a {
			m = AOFOn
		}
		from := string(s.cfg.Origin("appendonly"))
		if from == string(datadir.OriginFlag) {
			from = "--appendonly"
		}
		return Judged{Mode: m, From: "config", Why: fmt.Sprintf("appendonly %s, from %s", yesNo(*a), from)}
	}
	af := s.cfg.AppendFilename
	if e := s.snap.Entry(path.Join(s.cfg.AppendDirName, manifest.ManifestName(af))); e != nil {
		return Judged{Mode: AOFOn, From: "directory", Why: "the AOF directory holds a manifest"}
	}
	for _, e := range s.snap.Entries {
		if e.Dir == s.cfg.AppendDirName && e.AppendFilename == af && (e.Kind == snapshot.KindBaseRDB || e.Kind == snapshot.KindBaseAOF || e.Kind == snapshot.KindIncr) {
			return Judged{Mode: AOFOn, From: "directory", Why: "the AOF directory holds AOF parts (its manifest is gone)"}
		}
	}
	if s.legacy != nil && s.snap.Entry(s.cfg.DBFilename) == nil {
		return Judged{Mode: AOFOn, From: "directory", Why: "a legacy " + af + " and no " + s.cfg.DBFilename}
	}
	return Judged{Mode: AOFOff, From: "directory", Why: "no manifest and no AOF parts"}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// startOnAOF follows redis-server 7.0's start with appendonly yes over the
// directory: the manifest read (aofLoadManifestFromDisk), the files loaded
// (loadAppendOnlyFiles, with the legacy upgrade), the AOF opened
// (aofOpenIfNeededOnServerStart: base and incr created, the manifest
// written) and the history removed (aofDelHistoryFiles).
func (s *start) startOnAOF() Outcome {
	o := emptyOutcome()
	s.manifestRead(&o)
	m := s.r.Manifest
	adir := s.cfg.AppendDirName
	af := s.cfg.AppendFilename
	empty := true // nothing listed: the start creates a new set
	if o.Starts || o.Result == Starts {
		switch {
		case m != nil && len(m.Files) > 0 && m.Verdict.Loads:
			empty = false
			o.Loads = append(o.Loads, m.Verdict.Files...)
			for _, f := range m.Files {
				if !strings.Contains(f.Path, "/") {
					if s.snap.Entry(adir) == nil {
						o.change(Change{Path: adir, Action: Creates})
					}
					o.change(Change{Path: f.Path, Action: Moves, Detail: fmt.Sprintf("into %s/ as base 1 of a new manifest: the legacy upgrade", adir)})
				}
			}
			s.loadSet(&o)
		case m != nil && !m.Verdict.Loads && m.Manifest != nil && m.Manifest.Accepted:
			empty = false
			s.refuseFromManifest(&o)
		}
	}
	if o.Result == Starts {
		s.openAOF(&o, empty)
	}
	if o.Result == Starts || o.Result == Refuses && len(o.Changes) > 0 {
		s.deleteHistory(&o)
	}
	if o.Result == Starts {
		s.keysOnAOF(&o, empty)
	}
	if d := s.snap.Entry(s.cfg.DBFilename); d != nil && d.Size > 0 && o.Result == Starts {
		l := Loss{Path: d.Path, Detail: fmt.Sprintf("%s is not read while AOF is on", d.Path)}
		if s.dump != nil && s.rdbOutcome(s.dump) == rdbinspect.Loads {
			l.Keys = s.rdbKeys(s.dump)
			switch {
			case l.Keys == nil || *l.Keys == 0:
			case o.Keys != nil && *o.Keys == 0:
				l.Only = i64(*l.Keys)
			case s.r.Start.Judged.Mode == AOFOn:
				// A second reading of both, paid only where the dump
				// really is ignored.
				s.dumpKeysNotLoaded(&l)
			}
		}
		o.lose(l)
	}
	for _, l := range s.r.Phase.Leftovers {
		o.lose(Loss{Path: l.Path, Detail: fmt.Sprintf("%s (%s) is not loaded", l.Path, l.Kind.Describe())})
	}
	_ = af
	return o
}

// manifestRead is aofLoadManifestFromDisk, which 7.0 runs whatever
// appendonly says: a manifest that is a regular file is parsed, and a
// refusal stops the start.
func (s *start) manifestRead(o *Outcome) {
	m := s.r.Manifest
	if m == nil || m.Manifest == nil || m.Manifest.Accepted {
		return
	}
	f := m.Parsed().Fatal
	c := Cause{Code: finding.ManifestInvalidFormat, Path: path.Join(s.cfg.AppendDirName, manifest.ManifestName(s.cfg.AppendFilename)), Detail: m.Verdict.Reason}
	if f != nil {
		c.Code, c.Offset = f.Code, f.Offset
	}
	o.refuse(Refuses, c)
}

// refuseFromManifest is a manifest the parser accepts whose files the
// loader cannot read: the first such file stops the start.
func (s *start) refuseFromManifest(o *Outcome) {
	m := s.r.Manifest
	for _, f := range m.Findings {
		if f.Severity == finding.Error {
			o.refuse(Refuses, Cause{Code: f.Code, Path: f.Path, Offset: f.Offset, Detail: m.Verdict.Reason})
			return
		}
	}
	o.refuse(Refuses, Cause{Code: finding.ManifestMissingFile, Detail: m.Verdict.Reason})
}

// loadSet is loadAppendOnlyFiles over the scanned set: the first refusal
// stops, a torn last file is cut in place (aof-load-truncated yes) or
// refused (no), a torn earlier file is cut and then refused.
func (s *start) loadSet(o *Outcome) {
	set := s.r.AOF
	if set == nil {
		return
	}
	truncYes := s.cfg.AOFLoadTruncated
	var cutFile *aofinspect.Report
	for _, f := range set.Files {
		if f.Server.TruncatesAt != nil && (f.Server.Verdict == aofinspect.LoadsTruncated || f.Server.Verdict == aofinspect.Refuses && truncYes) {
			cutFile = f
		}
	}
	// An RDB base is loaded by the RDB loader, with its checks inside
	// values: it may stop the start before any command is read.
	for _, f := range set.Files {
		b := s.baseRDB[f.Path]
		if b == nil || f.RDB == nil || f.RDB.End == 0 {
			continue
		}
		if out := s.rdbOutcome(b); out != rdbinspect.Loads {
			s.loadRDB(o, b, f.Path)
			if o.Result != Starts {
				return
			}
		}
	}
	switch set.Server.Verdict {
	case aofinspect.Refuses:
		c := Cause{Code: finding.AOFBadFormat, Path: set.StopsAt, Detail: set.Server.LoadTruncatedYes}
		for _, f := range set.Files {
			if f.Path == set.StopsAt {
				for _, x := range f.Findings {
					if x.Severity == finding.Error {
						c.Code, c.Offset = x.Code, x.Offset
						break
					}
				}
			}
		}
		if cutFile != nil && truncYes {
			size := *cutFile.Server.TruncatesAt
			o.change(Change{Path: cutFile.Path, Action: Truncates, Size: &size, Detail: "cut in place before the start refuses; the start after it loads without that tail"})
			o.Then = &Then{Starts: true, Detail: fmt.Sprintf("the start after this one loads %s without its last %d bytes, silently", cutFile.Path, cutFile.Size-size)}
		}
		o.refuse(Refuses, c)
	case aofinspect.LoadsTruncated:
		if !truncYes {
			o.refuse(Refuses, Cause{Code: finding.AOFTruncatedTail, Path: set.TruncatesFile, Detail: "Unexpected end of file reading the append only file (aof-load-truncated no)"})
			return
		}
		for _, f := range set.Files {
			if f.TruncatedTail == nil || f.Server.TruncatesAt == nil {
				continue
			}
			size := *f.Server.TruncatesAt
			o.change(Change{Path: f.Path, Action: Truncates, Size: &size, Detail: "cut in place at its last complete command outside a transaction"})
			o.lose(Loss{Path: f.Path, Bytes: i64(f.Size - size), Detail: fmt.Sprintf("the last %d bytes of %s (from offset %d)", f.Size-size, f.Path, size)})
			s.trapsOfCut(o, f, size)
		}
	}
	if o.Result == Starts {
		last := set.Files[len(set.Files)-1]
		if last.TornAnnotationAt != nil {
			o.Then = &Then{Starts: false, Detail: fmt.Sprintf("%s ends in a torn #TS annotation at offset %d: this start loads it, and once the server appends a write behind it the next start refuses with \"Bad file format\"", last.Path, *last.TornAnnotationAt)}
		}
	}
}

// trapsOfCut names what a cut does beyond losing its tail: a preamble's
// keys served now and truncated away, an open MULTI left for the next start.
func (s *start) trapsOfCut(o *Outcome, f *aofinspect.Report, size int64) {
	if f.RDB != nil && f.RDB.End > 0 && size < f.RDB.End {
		keys := ""
		if b := s.baseRDB[f.Path]; b != nil && b.StructureChecked {
			keys = fmt.Sprintf(" (%d keys)", b.Keys.Keys)
		}
		o.Then = &Then{Starts: true, Detail: fmt.Sprintf("this start serves the RDB preamble of %s%s, but cuts the file to %d bytes, inside the preamble: the next start has none of that data", f.Path, keys, size)}
		return
	}
	if f.TruncatedTail != nil && f.Findings.Has(finding.AOFCutInsideMulti) {
		o.Then = &Then{Starts: true, Detail: fmt.Sprintf("the cut at offset %d leaves a MULTI without EXEC at the end of %s: writes acknowledged after this start are appended behind it and the next start reverts them with it", size, f.Path)}
	}
}

// openAOF is aofOpenIfNeededOnServerStart: the AOF directory created, a
// new base and incr made when nothing was listed (a base of that name is
// overwritten, an incr appended to), the manifest written by a rename.
func (s *start) openAOF(o *Outcome, empty bool) {
	adir := s.cfg.AppendDirName
	af := s.cfg.AppendFilename
	ae := s.snap.Entry(adir)
	switch {
	case ae == nil:
		if !o.changes(adir) {
			o.change(Change{Path: adir, Action: Creates})
		}
	case ae.Effective() != snapshot.TypeDir:
		o.refuse(Refuses, Cause{Code: finding.ManifestNotRegular, Path: adir, Detail: fmt.Sprintf("Can't open or create append-only dir %s: it is a %s", adir, ae.Effective())})
		return
	}
	m := s.r.Manifest
	var parsed *manifest.Manifest
	if m != nil {
		parsed = m.Parsed()
	}
	baseSeq, incrSeq := int64(0), int64(0)
	hasIncr := false
	if parsed != nil {
		baseSeq, incrSeq = parsed.BaseSeq(), parsed.IncrSeq()
		hasIncr = len(parsed.Incrs()) > 0
	}
	if empty {
		base := path.Join(adir, manifest.BaseName(af, baseSeq+1, s.cfg.AOFUseRDBPreamble))
		if e := s.snap.Entry(base); e != nil {
			o.change(Change{Path: base, Action: Overwrites, Detail: "with the empty base of this start"})
			if e.Size > 0 && !(e.RDB != nil && e.RDB.EmptyDataset != nil && *e.RDB.EmptyDataset) {
				l := Loss{Path: base, Bytes: i64(e.Size), Detail: fmt.Sprintf("%s (%d bytes), which no manifest lists, is overwritten by an empty base", base, e.Size)}
				if b := s.baseRDB[base]; b != nil && b.StructureChecked {
					l.Keys = i64(b.Keys.Keys)
				}
				o.lose(l)
			}
		} else {
			o.change(Change{Path: base, Action: Creates, Detail: "an empty base"})
		}
	}
	if empty || !hasIncr {
		incr := path.Join(adir, manifest.IncrName(af, incrSeq+1))
		if e := s.snap.Entry(incr); e != nil {
			o.change(Change{Path: incr, Action: AppendsTo, Detail: "as the new incr, after what it already holds"})
			if e.Size > 0 {
				o.Then = &Then{Starts: true, Detail: fmt.Sprintf("the next start loads %s, which already held %d bytes of writes no manifest listed, behind the new base: data from before and after this start mixed", incr, e.Size)}
			}
		} else {
			o.change(Change{Path: incr, Action: Creates, Detail: "an empty incr"})
		}
	}
	mpath := path.Join(adir, manifest.ManifestName(af))
	if empty || !hasIncr {
		if me := s.snap.Entry(mpath); me != nil && me.Effective() == snapshot.TypeDir {
			o.change(Change{Path: path.Join(adir, manifest.TempManifestName(af)), Action: Creates, Detail: "left behind when the rename over the manifest directory fails"})
			o.refuse(Refuses, Cause{Code: finding.ManifestNotRegular, Path: mpath, Detail: "the manifest name is a directory: the start creates base and incr, then dies renaming its temp manifest over it"})
			return
		}
		act := Creates
		if s.snap.Entry(mpath) != nil {
			act = Rewrites
		}
		o.change(Change{Path: mpath, Action: act})
	}
}

// deleteHistory is aofDelHistoryFiles, which runs whatever appendonly
// says: every history file is deleted and the manifest written again. A
// history line naming a live file deletes live data.
func (s *start) deleteHistory(o *Outcome) {
	m := s.r.Manifest
	if m == nil || m.Manifest == nil || !m.Manifest.Accepted {
		return
	}
	live := map[string]bool{}
	for _, f := range m.Files {
		live[f.Path] = true
	}
	for _, c := range o.Changes {
		if c.Action == Creates || c.Action == Overwrites || c.Action == AppendsTo {
			live[c.Path] = true
		}
	}
	deleted := false
	for _, h := range m.History {
		if h.Size == nil {
			continue
		}
		deleted = true
		o.change(Change{Path: h.Path, Action: Deletes, Detail: "a history file"})
		if live[h.Path] {
			o.Then = &Then{Starts: false, Detail: fmt.Sprintf("%s is deleted as history although the set uses it: the next start with AOF on fails on the missing file", h.Path)}
		}
	}
	if deleted {
		mpath := path.Join(s.cfg.AppendDirName, manifest.ManifestName(s.cfg.AppendFilename))
		if !o.changes(mpath) {
			o.change(Change{Path: mpath, Action: Rewrites, Detail: "without its history lines"})
		}
	}
}

// keysOnAOF counts the keys a client sees after the start: the base and
// the incr files replayed over it (package replay), exact or a range.
func (s *start) keysOnAOF(o *Outcome, empty bool) {
	if empty {
		o.Keys = i64(0)
		return
	}
	if s.rm == nil || s.r.AOF == nil {
		return
	}
	ds, ok := s.rm.applied(s.r.AOF)
	var err error
	if !ok {
		ds, err = s.replaySet(s.ctx, s.rm, s.plan, s.replayBase())
	}
	if err != nil {
		o.KeysNote = "the incr files could not be replayed: " + err.Error()
		return
	}
	o.Keyspace = ds
	lo, hi := ds.total()
	if lo == hi {
		o.Keys = &lo
		return
	}
	o.KeysMin = &lo
	if hi >= 0 {
		o.KeysMax = &hi
	}
	o.KeysNote = strings.Join(ds.Reasons, "; ")
	if o.KeysNote == "" {
		o.KeysNote = "some keys' fate is not known"
	}
}

// replayBase is what the replay model asks of the set's base: nothing for
// a RESP base (its commands are replayed), else the keys the incr files
// touch and every database's counts, gathered as the base was verified.
func (s *start) replayBase() replay.Base {
	if s.base == nil || len(s.plan) == 0 || s.r.AOF == nil || len(s.r.AOF.Files) == 0 || s.r.AOF.Files[0].RDB == nil {
		return nil
	}
	return s.base
}

// startWithoutAOF follows the start with appendonly no: the manifest read
// (7.0 parses it whatever appendonly says), dump.rdb loaded (rdbLoad), the
// history removed.
func (s *start) startWithoutAOF() Outcome {
	o := emptyOutcome()
	s.manifestRead(&o)
	if o.Result == Starts {
		s.loadDump(&o)
	}
	if o.Result == Starts {
		s.deleteHistory(&o)
	}
	if o.Result != Starts {
		return o
	}
	// Writes recorded in the AOF after the dump are not in it.
	d := s.snap.Entry(s.cfg.DBFilename)
	if s.r.AOF != nil && d != nil {
		for _, f := range s.r.AOF.Files {
			e := s.snap.Entry(f.Path)
			if e != nil && f.Role != "base" && f.Commands > 0 && e.MTime.After(d.MTime) {
				o.lose(Loss{Path: f.Path, Detail: fmt.Sprintf("writes logged in %s after %s was saved", f.Path, d.Path)})
			}
		}
	} else if s.r.AOF != nil && s.r.AOF.Commands > 0 {
		o.lose(Loss{Detail: fmt.Sprintf("every write in the AOF (%s)", plural(s.r.AOF.Commands, "command", "commands"))})
	}
	return o
}

// loadDump is rdbLoad on dbfilename: absent is an empty start; a
// directory, a loop of links, an unreadable or damaged file stop it; a FIFO
// blocks it forever.
func (s *start) loadDump(o *Outcome) {
	name := s.cfg.DBFilename
	e := s.snap.Entry(name)
	if e == nil {
		o.Keys = i64(0)
		return
	}
	switch e.Effective() {
	case snapshot.TypeBroken:
		o.Keys = i64(0) // a dangling link: fopen fails with ENOENT, an empty start
		return
	case snapshot.TypeLoop:
		o.refuse(Refuses, Cause{Code: finding.DumpNotAFile, Path: name, Detail: "Fatal error loading the DB: Too many levels of symbolic links"})
		return
	case snapshot.TypeDir:
		o.refuse(Refuses, Cause{Code: finding.DumpNotAFile, Path: name, Detail: "Short read or OOM loading DB (a directory)"})
		return
	case snapshot.TypeFIFO:
		o.refuse(Hangs, Cause{Code: finding.DumpNotAFile, Path: name, Detail: "the server blocks opening the FIFO and never starts"})
		return
	case snapshot.TypeFile:
	default:
		o.refuse(Refuses, Cause{Code: finding.DumpNotAFile, Path: name, Detail: "not a regular file"})
		return
	}
	o.Loads = append(o.Loads, name)
	dump := s.dump
	if dump == nil {
		o.refuse(Refuses, Cause{Code: finding.RDBBadMagic, Path: name, Offset: i64(0), Detail: "Wrong signature trying to load DB from file (or a short read of an empty file)"})
		return
	}
	s.loadRDB(o, dump, name)
}

// loadRDB applies what the target does with an RDB it loads (dump.rdb, or
// an AOF base), under the configured sanitize-dump-payload.
func (s *start) loadRDB(o *Outcome, rep *rdbinspect.Report, path string) {
	switch s.rdbOutcome(rep) {
	case rdbinspect.Refuses:
		o.refuse(Refuses, s.rdbCause(rep, path))
		return
	case rdbinspect.Crashes:
		o.refuse(Crashes, s.rdbCause(rep, path))
		return
	case rdbinspect.LoadsChanged:
		o.lose(Loss{Path: path, Detail: fmt.Sprintf("the server holds other data than %s: %s", path, s.rdbCause(rep, path).Detail)})
	}
	if k := s.rdbKeys(rep); k != nil && path == s.cfg.DBFilename {
		o.Keys = k
	}
}

// rdbOutcome is the target's verdict on an RDB under the configured
// sanitize-dump-payload ("clients" does not sanitize files it loads).
func (s *start) rdbOutcome(rep *rdbinspect.Report) rdbinspect.Outcome {
	if rep.Load == nil || rep.Err != nil || !rep.Complete && rep.StructureChecked || rep.Checksum.Status == rdbinspect.ChecksumMismatch || rep.StoppedAt != nil {
		if rep.Load != nil && rep.Load.Default == rdbinspect.Crashes {
			return rdbinspect.Crashes
		}
		return rdbinspect.Refuses
	}
	if s.cfg.SanitizeDumpPayload == "yes" {
		return rep.Load.SanitizeYes
	}
	return rep.Load.Default
}

func (s *start) rdbKeys(rep *rdbinspect.Report) *int64 {
	if rep.LoadedKeys == nil {
		if rep.StructureChecked {
			return i64(rep.Keys.Keys)
		}
		return nil
	}
	loaded := rep.LoadedKeys.Default
	if s.cfg.SanitizeDumpPayload == "yes" {
		loaded = rep.LoadedKeys.SanitizeYes
	}
	// Keys expired at the start are skipped by a master's rdbLoad.
	return i64(loaded - rep.Keys.Expired)
}

// rdbCause is the first error finding of an RDB, as the cause of a stop.
func (s *start) rdbCause(rep *rdbinspect.Report, path string) Cause {
	c := Cause{Code: finding.RDBTruncated, Path: path, Detail: rep.Verdict}
	for _, f := range rep.Findings {
		if f.Severity == finding.Error {
			c.Code, c.Offset, c.Detail = f.Code, f.Offset, f.Message
			break
		}
	}
	return c
}

// word fills the sentences of an outcome from its typed fields.
func (o *Outcome) word(dbName string, dump *rdbinspect.Report) {
	switch {
	case o.Result != Starts:
		o.Dataset = resultWords(o.Result)
		if o.Cause != nil {
			o.Dataset += ": " + o.Cause.Detail
		}
	case len(o.Loads) == 0:
		o.Dataset = "an empty dataset"
	case o.Keys == nil && o.KeysMin != nil && o.KeysMax != nil:
		o.Dataset = fmt.Sprintf("between %d and %d keys (%s)", *o.KeysMin, *o.KeysMax, o.KeysNote)
	case o.Keys == nil && o.KeysMin != nil:
		o.Dataset = fmt.Sprintf("%d keys or more (%s)", *o.KeysMin, o.KeysNote)
	case o.Keys != nil:
		o.Dataset = fmt.Sprintf("%s from %s", plural(*o.Keys, "key", "keys"), strings.Join(o.Loads, ", "))
		if len(o.Loads) == 1 && o.Loads[0] == dbName && dump != nil && dump.Header != nil && !dump.Header.CTime.IsZero() {
			o.Dataset += " saved " + dump.Header.CTime.UTC().Format(time.RFC3339)
		}
	default:
		o.Dataset = "the data of " + strings.Join(o.Loads, ", ")
	}
	o.Modifies = o.Modifies[:0]
	for _, c := range o.Changes {
		w := string(c.Action) + " " + c.Path
		switch c.Action {
		case Truncates:
			w = fmt.Sprintf("cuts %s in place to %d bytes", c.Path, *c.Size)
		case AppendsTo:
			w = "appends to " + c.Path
		}
		switch {
		case c.Action == Moves:
			w += " " + c.Detail
		case c.Detail != "":
			w += " (" + c.Detail + ")"
		}
		o.Modifies = append(o.Modifies, w)
	}
	o.Loses = o.Loses[:0]
	for _, l := range o.Losses {
		w := l.Detail
		switch {
		case l.Keys != nil && l.Only != nil && l.OnlyMaybe > 0:
			w += fmt.Sprintf(" (%s, %d of them not in the AOF, %d more perhaps)", plural(*l.Keys, "key", "keys"), *l.Only, l.OnlyMaybe)
		case l.Keys != nil && l.Only != nil:
			w += fmt.Sprintf(" (%s, %d of them not in the AOF)", plural(*l.Keys, "key", "keys"), *l.Only)
		case l.Keys != nil:
			w += fmt.Sprintf(" (%s)", plural(*l.Keys, "key", "keys"))
		}
		o.Loses = append(o.Loses, w)
	}
	if ks := o.Keyspace; ks != nil && ks.Lost != nil && ks.Lost.Commands > 0 && o.Result == Starts {
		o.Loses = append(o.Loses, lostWords(ks.Lost))
	}
	if o.Then != nil {
		o.Loses = append(o.Loses, "then: "+o.Then.Detail)
	}
	sort.Strings(o.Loses)
}

// modeFindings keeps every error: damage to a file either start reads is
// an error whatever the mode, since the other start meets it. Only the
// risks that exist in one mode alone follow the judged mode: a dump.rdb the
// AOF start ignores is no loss to a start that loads it.
func (s *start) modeFindings(all finding.List) finding.List {
	if s.r.Start.Judged.Mode == AOFOn {
		return all
	}
	out := make(finding.List, 0, len(all))
	for _, f := range all {
		if f.Severity == finding.Error && (f.Code == finding.DumpIgnoredAOFOn || f.Code == finding.StaleAOFAfterSync) {
			f = f.As(finding.Warning)
			f.Message += " (a start with appendonly no loads the dump)"
		}
		out = append(out, f)
	}
	return out
}

// startFindings are the errors of the judged start that no file's own
// findings carry: the cause of a refusal, data the start leaves behind, and
// the trap it leaves for the start after it; and, as information, how the
// other mode differs.
func (s *start) startFindings(have finding.List) finding.List {
	var out finding.List
	j := s.r.Start.Judged
	o, other, otherMode := s.r.Start.AOFOn, s.r.Start.AOFOff, "appendonly no"
	if j.Mode == AOFOff {
		o, other, otherMode = s.r.Start.AOFOff, s.r.Start.AOFOn, "appendonly yes"
	}
	if e := s.snap.Entry(s.cfg.DBFilename); e != nil {
		if f, ok := s.dumpNotAFile(e); ok {
			out = append(out, f)
		}
	}
	for _, x := range []Outcome{o, other} {
		if !x.Starts && x.Cause != nil && !hasErrorOn(have, x.Cause.Path) {
			f := finding.New(x.Cause.Code, x.Cause.Path, "%s: %s", resultWords(x.Result), x.Cause.Detail).As(finding.Error)
			f.Offset = x.Cause.Offset
			out = append(out, f)
		}
	}
	// The judged start comes up empty while the other mode's files hold
	// data: that data is what the operator loses.
	if o.Starts && other.Starts && o.Keys != nil && *o.Keys == 0 && o.KeysNote == "" && other.Keys != nil && *other.Keys > 0 && !have.Has(finding.DumpIgnoredAOFOn) {
		if j.Mode == AOFOn {
			out = append(out, finding.New(finding.StartLosesData, s.cfg.DBFilename, "the start with appendonly yes comes up empty and ignores %s, which holds %s", s.cfg.DBFilename, plural(*other.Keys, "key", "keys")).
				WithHint("start with appendonly no once to load %s, then CONFIG SET appendonly yes, which rebuilds the AOF from the dataset", s.cfg.DBFilename))
		} else {
			out = append(out, finding.New(finding.StartLosesData, s.cfg.AppendDirName, "the start with appendonly no comes up empty and ignores the AOF, which holds the data (%s with appendonly yes)", plural(*other.Keys, "key", "keys")).
				WithHint("start with appendonly yes (the AOF is the only copy), or save a dump from a server that loaded it before switching AOF off"))
		}
	}
	// A trap either start leaves is a risk whichever mode comes first.
	seen := map[string]bool{}
	for _, x := range []Outcome{o, other} {
		if x.Then != nil && (x.Starts || len(x.Changes) > 0) && !seen[x.Then.Detail] {
			seen[x.Then.Detail] = true
			out = append(out, finding.New(finding.StartLeavesTrap, "", "%s", x.Then.Detail).
				WithHint("do not start Redis on this directory: repair a copy (aoftool aof --repair-to DIR) and start on the copy"))
		}
	}
	if o.Starts != other.Starts {
		what := resultVerb(other.Result)
		if !other.Starts && other.Cause != nil {
			what += ": " + other.Cause.Detail
		}
		out = append(out, finding.New(finding.StartOtherMode, "", "with %s Redis %s", otherMode, what))
	}
	return out
}

// dumpNotAFile says what a dbfilename that is not a regular file does.
func (s *start) dumpNotAFile(e *snapshot.Entry) (finding.Finding, bool) {
	var msg string
	switch t := e.Effective(); t {
	case snapshot.TypeDir:
		msg = "%s is a directory: a start with AOF off refuses (\"Short read or OOM loading DB\"), and every SAVE, BGSAVE and disk-based full sync fails renaming its temp file onto it"
	case snapshot.TypeFIFO:
		msg = "%s is a FIFO: a start with AOF off blocks opening it and never serves; the first save's rename replaces it"
	case snapshot.TypeLoop:
		msg = "%s is a loop of symbolic links: a start with AOF off refuses; the first save's rename replaces it"
	case snapshot.TypeSocket, snapshot.TypeDevice, snapshot.TypeOther:
		msg = "%s is not a regular file: a start with AOF off cannot load it"
	default:
		return finding.Finding{}, false
	}
	return finding.New(finding.DumpNotAFile, e.Path, msg, e.Path).
		WithHint("move it aside (in a copy) and restore %s from a backup", s.cfg.DBFilename), true
}

// hasErrorOn says whether an error finding is about path already.
func hasErrorOn(l finding.List, path string) bool {
	for _, f := range l {
		if f.Severity == finding.Error && f.Path == path {
			return true
		}
	}
	return false
}

func resultWords(r Result) string { return "Redis " + resultVerb(r) }

func resultVerb(r Result) string {
	switch r {
	case Refuses:
		return "refuses to start"
	case Hangs:
		return "hangs at start"
	case Crashes:
		return "crashes at start"
	}
	return "starts"
}
