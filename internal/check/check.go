// Package check is aoftool's post-mortem: it runs every inspector over a
// data directory (the phase classifier, the manifest inspector, a full
// verification of every RDB and AOF file) and answers the question an
// operator asks before restarting Redis on it: would Redis start, from which
// files, with which data, and what would be lost — with AOF on and with AOF
// off. Errors of the inspectors become findings; only what cannot be read
// is an error.
//
// Everything is read through internal/datadir, the one front door to a
// data directory; nothing is written anywhere.
package check

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/aoftool/aoftool/aofinspect"
	"github.com/aoftool/aoftool/finding"
	"github.com/aoftool/aoftool/internal/datadir"
	"github.com/aoftool/aoftool/internal/keyspace"
	"github.com/aoftool/aoftool/manifest"
	"github.com/aoftool/aoftool/phase"
	"github.com/aoftool/aoftool/rdbinspect"
	"github.com/aoftool/aoftool/replay"
	"github.com/aoftool/aoftool/serverlog"
	"github.com/aoftool/aoftool/snapshot"
)

// SchemaVersion is the schema of the check --json document.
const SchemaVersion = 1

// Options tune the post-mortem; how the server is configured and how the
// directory is read are the datadir.Dir's.
type Options struct {
	// Target is the server the prediction is for; by default each file's
	// writer (its redis-ver or valkey-ver).
	Target *rdbinspect.Server
	// Workers bounds the checksum goroutines per RDB (default GOMAXPROCS).
	Workers int
	// Rehearse, when set, runs the judged start on a scratch copy and puts
	// the server's answer beside the prediction.
	Rehearse *RehearseOptions
	// Phase tunes the classifier.
	Phase phase.Options
	// Log is the server's log, read by the caller (LogName names it): it
	// joins the classifier's answer and tells the story (Report.Story).
	Log     *serverlog.Log
	LogName string
	// Progress, when set, is called before each RDB or AOF set is read,
	// with a name and its size in bytes; the function it returns is told
	// the bytes read so far, and is called with -1 when the read ends.
	Progress func(name string, size int64) func(read int64)
	// At is when the start happens (check --at); the directory's clock
	// when zero. Expiries are judged against it.
	At time.Time
}

// progressOf starts a report on reading name; nil without Options.Progress.
func (o Options) progressOf(name string, size int64) func(int64) {
	if o.Progress == nil {
		return nil
	}
	return o.Progress(name, size)
}

// Report is the post-mortem: the check --json document.
type Report struct {
	Schema  int       `json:"schema"`
	Dir     string    `json:"dir"`
	TakenAt time.Time `json:"taken_at"`
	// Target is the server the start is predicted for: given (--server),
	// or the release that wrote the data the start reads.
	Target *rdbinspect.Server `json:"target,omitempty"`
	// Phase is the classifier's answer for the directory as it is.
	Phase *phase.Result `json:"phase"`
	// Manifest is the manifest inspector's report; nil when the directory
	// has no AOF directory and no legacy AOF.
	Manifest *manifest.Report `json:"manifest,omitempty"`
	// RDBs are the verified RDB files: dump.rdb, temp RDBs, rewrite
	// outputs, and the RDB part of AOF bases (for their key counts).
	RDBs []*rdbinspect.Report `json:"rdbs"`
	// AOF is the scan of the files Redis loads with AOF on, in load order.
	AOF *aofinspect.SetReport `json:"aof,omitempty"`
	// UnloadedAOFs are the RESP files Redis does not load on the next start
	// (history entries, unlisted parts, temp incr and rewrite files, every
	// part of a set whose manifest is refused), each scanned alone: a manual
	// recovery may need them, so their state is reported too.
	UnloadedAOFs []*aofinspect.Report `json:"unloaded_aofs"`
	// Start is what the next start does with this directory.
	Start Start `json:"start"`
	// Findings are every inspector's findings, deduplicated and sorted.
	Findings finding.List `json:"findings"`
	// Rehearsal is the judged start run for real (check --rehearse).
	Rehearsal *Rehearsal `json:"rehearsal,omitempty"`
	// Verdict is the closing sentence.
	Verdict string `json:"verdict"`
	// Story is what the server's log tells of the incident; nil without
	// Options.Log.
	Story *Story `json:"story,omitempty"`
}

// Start answers "what does redis-server do on this directory" for both
// settings of appendonly; Judged is the one the exit code follows.
type Start struct {
	// At is the moment the start is predicted for: keys whose expiry has
	// passed by then are not served.
	At     time.Time `json:"at"`
	Judged Judged    `json:"judged"`
	AOFOn  Outcome   `json:"aof_on"`
	AOFOff Outcome   `json:"aof_off"`
}

// Run inspects the data directory d. Its error is an input that cannot be
// read as asked (a file that became unreadable while the check ran); what
// Redis would refuse is a finding.
func Run(ctx context.Context, d *datadir.Dir, opt Options) (*Report, error) {
	snap := d.Snapshot
	at := opt.At
	if at.IsZero() {
		at = d.Opt.Now
	}
	r := &Report{Schema: SchemaVersion, Dir: d.Root, TakenAt: snap.TakenAt, RDBs: []*rdbinspect.Report{}, UnloadedAOFs: []*aofinspect.Report{}, Findings: finding.List{},
		Start: Start{At: at.UTC(), AOFOn: emptyOutcome(), AOFOff: emptyOutcome()}}
	opt.Phase.ServerStopped = opt.Phase.ServerStopped || d.Opt.ServerStopped
	if opt.Log != nil {
		opt.Phase.Log, opt.Phase.LogName = opt.Log.State, opt.LogName
	}
	r.Phase = phase.Classify([]*snapshot.Snapshot{snap}, opt.Phase)
	stale := map[string]bool{}
	for _, l := range r.Phase.Leftovers {
		stale[l.Path] = true
	}

	all := append(finding.List{}, d.Notes...)
	// The manifest inspector decides what Redis loads with AOF on.
	adir := snap.AppendDirName
	if e := snap.Entry(adir); e != nil || snap.Entry(snap.AppendFilename) != nil || len(snap.AppendFilenames) > 0 {
		r.Manifest = d.Manifest
		r.Manifest.Findings = phase.ExplainRunningRewrite(r.Manifest.Findings, r.Phase)
		all = append(all, r.Manifest.Findings...)
	}

	// The AOF files in load order: the manifest's, or the legacy file. They
	// are read before the RDB files: the replay's first pass says which
	// keys of the base the second needs, and the base's verification
	// gathers them.
	var legacy *snapshot.Entry
	if e := snap.Entry(snap.AppendFilename); e != nil && readable(e, d.Opt.FollowSymlinks) {
		legacy = e
	}
	var plan []datadir.Part
	switch {
	case r.Manifest != nil && r.Manifest.Manifest != nil && r.Manifest.Verdict.Loads:
		plan = d.AOFParts()
	case (r.Manifest == nil || r.Manifest.Manifest == nil) && legacy != nil:
		plan = []datadir.Part{{Path: legacy.Path, Name: legacy.Name, Role: "legacy"}}
	}
	var rm *replayModel
	var base *keyspace.Base
	// early is the report of a small base verified before the incr files.
	var early *rdbinspect.Report
	if len(plan) > 0 {
		set, err := d.OpenAOF(plan)
		if err != nil {
			return nil, err
		}
		rm = newReplayModel(d, at)
		b, rep, err := wholeBase(ctx, d, plan[0], at, opt)
		if err != nil {
			set.Close()
			return nil, err
		}
		if b != nil {
			rm.onePass(b)
		}
		early = rep
		for _, f := range set.Files {
			if errors.Is(f.OpenErr, datadir.ErrVanished) {
				// A live server finished a rewrite since the listing: the
				// manifest read no longer names what is on disk.
				set.Close()
				return nil, ErrMoved
			}
		}
		var setSize int64
		for _, f := range set.Files {
			setSize += f.Size
		}
		// The replay's first pass (which keys the incr files touch) reads
		// the commands in the same scan that verifies them.
		aopt := aofinspect.Options{Each: rm.touch, Args: aofinspect.DefaultArgLimits}
		report := opt.progressOf(adir, setSize)
		aopt.Progress = report
		r.AOF = aofinspect.InspectSet(ctx, adir, set.Files, aopt)
		if report != nil {
			report(-1)
		}
		rm.endPass(len(plan))
		all = append(all, set.Settle(r.AOF)...)
		all = append(all, r.AOF.AllFindings()...)
	}
	// Every RDB-content file is verified; temp files may still be written,
	// so a cut end is "incomplete", not corruption.
	var dump *rdbinspect.Report
	baseRDB := map[string]*rdbinspect.Report{}
	for i := range snap.Entries {
		e := &snap.Entries[i]
		if !readable(e, d.Opt.FollowSymlinks) || e.Content != snapshot.ContentRDB {
			continue
		}
		switch e.Kind {
		case snapshot.KindDump, snapshot.KindTransferTemp, snapshot.KindBgsaveTemp, snapshot.KindRewriteTemp, snapshot.KindRewriteBgTemp,
			snapshot.KindBaseRDB, snapshot.KindBaseAOF, snapshot.KindLegacyAOF:
		default:
			continue
		}
		ro := opt.rdbOptions(d, e)
		switch {
		case e.Kind == snapshot.KindDump:
			// A master's rdbLoad skips the keys expired at the start.
			ro.ExpiredAt = at.UnixMilli()
		case rm != nil && rm.whole == nil && len(plan) > 0 && e.Path == plan[0].Path:
			// The base the start loads: what the incr files need of it.
			v := &rdbinspect.Visitor{At: at.UnixMilli(), WantedOnly: true}
			base = keyspace.NewBase(v, rm.m.Wants)
			ro.Visit = v
		}
		rep := early
		if rep == nil || rep.Path != e.Path {
			report := opt.progressOf(e.Path, e.Size)
			if report != nil {
				var read atomic.Int64
				ro.Progress = func(n int64) { report(read.Add(n)) }
			}
			var err error
			rep, err = verifyRDB(ctx, d, e.Path, ro)
			if report != nil {
				report(-1)
			}
			if err != nil {
				return nil, err
			}
		}
		if inPlan(plan, e.Path) && (rep.Findings.Has(finding.InputVanished) || rep.Findings.Has(finding.InputReplaced)) {
			// A live server installed a rewrite after the AOF set was read.
			return nil, ErrMoved
		}
		r.RDBs = append(r.RDBs, rep)
		fs := rep.Findings
		if e.Kind.IsTemp() && stale[e.Path] {
			// A dead job's partial file is a leftover, not corruption.
			fs = demote(fs)
			rep.Verdict = leftoverVerdict(rep)
		}
		all = append(all, fs...)
		switch e.Kind {
		case snapshot.KindDump:
			dump = rep
		case snapshot.KindBaseRDB, snapshot.KindBaseAOF, snapshot.KindLegacyAOF:
			baseRDB[e.Path] = rep
		}
	}

	loaded := map[string]bool{}
	for _, p := range plan {
		loaded[p.Path] = true
	}
	for i := range snap.Entries {
		e := &snap.Entries[i]
		if !readable(e, d.Opt.FollowSymlinks) || e.Content != snapshot.ContentRESP || loaded[e.Path] || !unloadedAOFKinds[e.Kind] {
			continue
		}
		rep, err := scanAlone(ctx, d, e.Path)
		if err != nil {
			return nil, err
		}
		r.UnloadedAOFs = append(r.UnloadedAOFs, rep)
		if stale[e.Path] {
			all = append(all, demote(rep.Findings)...)
		} else {
			all = append(all, notLoaded(rep.Findings)...)
		}
	}

	// The manifest inspector words the facts it shares with the classifier
	// with line numbers; keep its version.
	for _, f := range r.Phase.Findings {
		if r.Manifest != nil && sharedWithManifest[f.Code] && r.Manifest.Findings.Has(f.Code) {
			continue
		}
		all = append(all, f)
	}
	r.Target = opt.Target
	for _, rep := range r.RDBs {
		if r.Target == nil && rep.Target != nil && (rep == dump || baseRDB[rep.Path] == rep) {
			r.Target = rep.Target
		}
	}
	st := &start{ctx: ctx, r: r, rm: rm, base: base, plan: plan, d: d, snap: snap, cfg: d.Config, dump: dump, baseRDB: baseRDB, legacy: legacy, at: at}
	r.Start.Judged = st.judge()
	r.Start.AOFOn = st.startOnAOF()
	r.Start.AOFOff = st.startWithoutAOF()
	all = st.modeFindings(all)
	all = append(all, st.startFindings(all)...)
	r.Start.AOFOn.word(d.Config.DBFilename, dump)
	r.Start.AOFOff.word(d.Config.DBFilename, dump)
	r.Findings = dedupe(all)
	r.Verdict = r.verdictText()
	if opt.Log != nil {
		r.Story = r.tell(opt.Log, opt.LogName, snap)
	}
	if opt.Rehearse != nil {
		if err := r.rehearse(ctx, d, *opt.Rehearse); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// wholeBaseMax is the largest base read whole before the incr files: its
// keys then fit in memory (a few tens of thousands), and the incr files
// are read once instead of twice.
var wholeBaseMax int64 = 1 << 20

// wholeBase reads a small base of the set in full, for a replay in one
// pass: a RESP base (or a legacy file without a preamble) is none, as its
// commands are replayed; an RDB base, or an RDB preamble, of at most
// wholeBaseMax bytes is verified with a walk of every key, and its report
// serves the RDB checks too. The base is nil when it is larger or its
// walk does not vouch for every key (damage, names too long to keep): the
// replay then takes two passes.
func wholeBase(ctx context.Context, d *datadir.Dir, p datadir.Part, at time.Time, opt Options) (replay.Base, *rdbinspect.Report, error) {
	e := d.Snapshot.Entry(p.Path)
	if e == nil || !readable(e, d.Opt.FollowSymlinks) {
		return nil, nil, nil
	}
	switch {
	case e.Content == snapshot.ContentRESP && (p.Role == "base" || p.Role == "legacy"):
		return replay.NewMemBase(), nil, nil
	case e.Content != snapshot.ContentRDB || e.Size > wholeBaseMax:
		return nil, nil, nil
	}
	v := &rdbinspect.Visitor{At: at.UnixMilli()}
	b := keyspace.NewBase(v, func(int, []byte) bool { return true })
	ro := opt.rdbOptions(d, e)
	ro.Visit = v
	rep, err := verifyRDB(ctx, d, p.Path, ro)
	if err != nil {
		return nil, nil, err
	}
	if rep.Err != nil || rep.Findings.HasError() || !rep.StructureChecked || int64(b.Len()) != rep.Keys.Keys {
		return nil, rep, nil
	}
	return b, rep, nil
}

// rdbOptions are how check verifies the RDB content of e.
func (o Options) rdbOptions(d *datadir.Dir, e *snapshot.Entry) rdbinspect.Options {
	return rdbinspect.Options{Path: e.Path, Workers: o.Workers, Target: o.Target, Databases: d.Config.Databases,
		InProgress:  e.Kind.IsTemp(),
		AOFPreamble: e.Kind == snapshot.KindBaseRDB || e.Kind == snapshot.KindBaseAOF || e.Kind == snapshot.KindLegacyAOF}
}

func inPlan(plan []datadir.Part, path string) bool {
	for _, p := range plan {
		if p.Path == path {
			return true
		}
	}
	return false
}

// ErrMoved is returned when a file the next start reads vanished between
// the listing and its reading: a live server moved on (a rewrite was
// installed). Reading the directory again gives a consistent picture.
var ErrMoved = errors.New("a file the next start reads was renamed or removed while the directory was read (a live server installed a rewrite)")

// readable says whether the entry's content can be read: a regular file,
// or a link to one when links are followed.
func readable(e *snapshot.Entry, follow bool) bool {
	return e.Effective() == snapshot.TypeFile && (e.Type == snapshot.TypeFile || follow)
}

// sharedWithManifest are the codes both the classifier and the manifest
// inspector raise.
var sharedWithManifest = map[finding.Code]bool{
	finding.ManifestMultipleIncr:  true,
	finding.ManifestHistoryOnDisk: true,
	finding.ManifestLegacyIgnored: true,
}

func verifyRDB(ctx context.Context, d *datadir.Dir, rel string, ro rdbinspect.Options) (*rdbinspect.Report, error) {
	f, err := d.Open(rel)
	if err != nil {
		var pe *datadir.PathError
		if errors.As(err, &pe) && errors.Is(pe.Err, datadir.ErrVanished) {
			rep := &rdbinspect.Report{Schema: 1, Path: ro.Path, Findings: finding.List{}, Err: pe.Err, RDBEnd: -1}
			rep.Findings = append(rep.Findings, finding.New(finding.InputVanished, ro.Path, "vanished before it could be verified (renamed or removed by the server)"))
			return rep, nil
		}
		return nil, err
	}
	defer f.Close()
	rep := rdbinspect.Verify(ctx, f.ReaderAt(), f.Size, ro)
	rep.Findings = append(rep.Findings, f.Settle().Findings(rel, f.Size)...)
	return rep, nil
}

// unloadedAOFKinds are the artifacts whose RESP content is scanned when
// Redis does not load them.
var unloadedAOFKinds = map[snapshot.Kind]bool{
	snapshot.KindIncr: true, snapshot.KindBaseAOF: true, snapshot.KindTempIncr: true,
	snapshot.KindRewriteTemp: true, snapshot.KindRewriteBgTemp: true, snapshot.KindLegacyAOF: true,
}

// scanAlone scans one AOF file on its own, as the last file of a set, so a
// torn tail reads as what it is.
func scanAlone(ctx context.Context, d *datadir.Dir, rel string) (*aofinspect.Report, error) {
	set, err := d.OpenAOF([]datadir.Part{{Path: rel}})
	if err != nil {
		return nil, err
	}
	sf := set.Files[0]
	if sf.OpenErr != nil {
		set.Close()
		rep := &aofinspect.Report{Schema: aofinspect.Schema, Path: rel, Findings: finding.List{}}
		rep.Findings = append(rep.Findings, finding.New(finding.InputVanished, rel, "%v", sf.OpenErr))
		return rep, nil
	}
	rep := aofinspect.Scan(ctx, sf.R, sf.Size, aofinspect.Options{Path: rel})
	sr := &aofinspect.SetReport{Files: []*aofinspect.Report{rep}}
	rep.Findings = append(rep.Findings, set.Settle(sr)...)
	return rep, nil
}

// notLoaded lowers the findings about a file Redis does not load: damage
// there cannot stop a start, but matters to whoever recovers from it.
func notLoaded(l finding.List) finding.List {
	out := make(finding.List, 0, len(l))
	for _, f := range l {
		if f.Severity == finding.Error {
			f = f.As(finding.Warning)
			f.Message += " (Redis does not load this file)"
		}
		out = append(out, f)
	}
	return out
}

// demote turns errors about a dead job's partial file into information:
// Redis never reads the file.
func demote(l finding.List) finding.List {
	out := make(finding.List, 0, len(l))
	for _, f := range l {
		if f.Severity == finding.Error || f.Severity == finding.Warning {
			f = f.As(finding.Info)
			f.Message += " (leftover of a dead job; Redis never reads it)"
		}
		out = append(out, f)
	}
	return out
}

// dedupe keeps the first finding of each code and path: the manifest
// inspector and the classifier both see extra incr and history files.
func dedupe(l finding.List) finding.List {
	seen := map[string]bool{}
	out := finding.List{}
	for _, f := range l {
		k := string(f.Code) + "\x00" + f.Path
		if f.Offset != nil {
			k += fmt.Sprintf("\x00%d", *f.Offset)
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, f)
	}
	out.Sort()
	return out
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

func (r *Report) verdictText() string {
	part := func(m Mode, o Outcome) string {
		label := "with AOF on"
		if m == AOFOff {
			label = "with AOF off"
		}
		if m == r.Start.Judged.Mode {
			label += " (" + r.Start.Judged.Why + ")"
		}
		if !o.Starts {
			w := label + ": " + resultVerb(o.Result)
			if o.Cause != nil {
				w += ": " + o.Cause.Detail
			}
			return w
		}
		return label + ": starts with " + o.Dataset
	}
	on, off := part(AOFOn, r.Start.AOFOn), part(AOFOff, r.Start.AOFOff)
	if r.Start.Judged.Mode == AOFOff {
		on, off = off, on
	}
	return fmt.Sprintf("phase %s; %s; %s", r.Phase.Phase, on, off)
}
