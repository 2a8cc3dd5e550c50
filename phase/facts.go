package phase

import (
	"fmt"
	"sort"
	"time"

	"github.com/aoftool/aoftool/finding"
	"github.com/aoftool/aoftool/serverlog"
	"github.com/aoftool/aoftool/snapshot"
)

// Options tune the heuristics that decide whether a temp file's job is
// still alive. Zero values take the defaults documented on each field.
type Options struct {
	// StaleLag: a BGSAVE, rewrite or transfer file whose last write lags
	// the newest change to the server's other files by more than this
	// stopped being written while the server went on. A live child writes
	// every few milliseconds. Default 1s.
	StaleLag time.Duration
	// OldAge: in a single snapshot, a temp file unchanged for longer than
	// this before TakenAt lowers the confidence (a copy of a stopped
	// server looks the same). Default 15 minutes.
	OldAge time.Duration
	// MinGrowthWindow: the shortest span between two snapshots over which
	// "did not grow" proves a writer is gone. Default 500ms.
	MinGrowthWindow time.Duration
	// ServerStopped says no server runs on the directory (a copy, or a
	// dead server): no job is running, every temp file is a leftover, and
	// Result.Was says what was running when the server stopped or the
	// copy was taken.
	ServerStopped bool
	// Log is what the server's log says (package serverlog), read by the
	// caller: with snapshots it settles which temp files have a live
	// writer and joins the files' answer into one verdict; alone it is
	// the answer. LogName names it in evidence ("log" when empty).
	Log     *serverlog.State
	LogName string
}

func (o Options) withDefaults() Options {
	if o.StaleLag <= 0 {
		o.StaleLag = time.Second
	}
	if o.OldAge <= 0 {
		o.OldAge = 15 * time.Minute
	}
	if o.MinGrowthWindow <= 0 {
		o.MinGrowthWindow = 500 * time.Millisecond
	}
	return o
}

// liveness is what the snapshots say about a temp file's writer.
type liveness int

const (
	// assumed: nothing contradicts a live writer, nothing proves it.
	assumed liveness = iota
	// live: the file grew between snapshots.
	live
	// stale: the writer is gone (see artifact.why).
	stale
)

// artifact is a temp file of a job with what the snapshots say about it.
type artifact struct {
	e     *snapshot.Entry
	state liveness
	// why explains the state in one clause.
	why string
	// decisive is true when the state rests on growth or on newer evidence,
	// false when it rests on the lag heuristic.
	decisive bool
	// seen: the file (same path or inode) is in an earlier snapshot; delta
	// and dt are its growth in bytes over dt seconds.
	seen  bool
	delta int64
	dt    float64
	// newSince: absent from the earlier snapshots compared.
	newSince bool
	// old: unchanged for longer than Options.OldAge before the snapshot.
	old bool
	// wasRunning: with Options.ServerStopped, the file of the job that
	// was running when the server stopped.
	wasRunning bool
}

func (a *artifact) alive() bool { return a != nil && a.state != stale }

// rate is the observed growth in bytes per second, 0 when not observed.
func (a *artifact) rate() float64 {
	if !a.seen || a.dt <= 0 || a.delta <= 0 {
		return 0
	}
	return float64(a.delta) / a.dt
}

// aofSet is the AOF the server loads at its next start.
type aofSet struct {
	// af is the appendfilename the set belongs to.
	af string
	// manifest is the <af>.manifest entry, parsed its parsed form (nil when
	// the snapshot holds no parse: a listing, or a capture without it).
	manifest *snapshot.Entry
	parsed   *snapshot.Manifest
	base     *snapshot.Entry
	incrs    []*snapshot.Entry
	history  []*snapshot.Entry
	// fromNames: roles were inferred from file names, not a manifest.
	fromNames bool
	// legacy is a single-file appendonly.aof in the data dir (<= 6.2, or an
	// outer copy beside an upgraded appendonlydir).
	legacy *snapshot.Entry
}

// present reports whether the directory holds any AOF the server would load.
func (s *aofSet) present() bool {
	return s.base != nil || len(s.incrs) > 0 || s.manifest != nil || s.legacy != nil
}

// multipart reports a Redis 7+ layout.
func (s *aofSet) multipart() bool { return s.base != nil || len(s.incrs) > 0 || s.manifest != nil }

// bytes returns the most and least the loaded AOF files can hold.
func (s *aofSet) bytes() (max, min int64) {
	add := func(e *snapshot.Entry) {
		if e != nil {
			max += e.SizeMax
			min += e.SizeMin
		}
	}
	if s.multipart() {
		add(s.base)
		for _, e := range s.incrs {
			add(e)
		}
		return
	}
	add(s.legacy)
	return
}

// newestEntry is the file of the AOF with the latest mtime.
func (s *aofSet) newestEntry() *snapshot.Entry {
	var best *snapshot.Entry
	for _, e := range append(append([]*snapshot.Entry{s.base, s.manifest, s.legacy}, s.incrs...), s.history...) {
		if e != nil && (best == nil || e.MTime.After(best.MTime)) {
			best = e
		}
	}
	return best
}

// newest is the latest mtime among the files that describe the AOF: base,
// incr files, manifest, legacy file. Temp files are not part of it.
func (s *aofSet) newest() time.Time {
	var t time.Time
	for _, e := range append(append([]*snapshot.Entry{s.base, s.manifest, s.legacy}, s.incrs...), s.history...) {
		if e != nil && e.MTime.After(t) {
			t = e.MTime
		}
	}
	return t
}

// facts is everything the rules look at, computed once per Classify.
type facts struct {
	opt   Options
	snap  *snapshot.Snapshot
	snaps []*snapshot.Snapshot
	span  float64

	dump *snapshot.Entry
	aof  aofSet

	transfers, bgsaves, rewrites, rewriteBgs, tempIncrs, tempManifests []*artifact
	// jobs are every temp file of a job (all of the above but temp
	// manifests), newest first.
	jobs []*artifact

	// latest is the entry of the directory's newest change (a file, the
	// AOF directory or the data dir itself); clock is the moment ages are
	// measured from: the snapshot's time for a live directory, the
	// directory's own newest change for a copy, a listing or a directory
	// nothing changed in for longer than Options.OldAge (frozen), where
	// the distance to the wall clock says nothing and the order of the
	// files is the clue.
	latest   *snapshot.Entry
	clock    time.Time
	frozen   bool
	ownClock bool
	// serverPID is the replica pid the newest transfer file names: the
	// pid of the server the directory belongs to now; serverSince the
	// replica's clock when that sync started.
	serverPID   int
	serverSince time.Time

	// logFindings are the disagreements between the files and the log;
	// stoppedBy says why no job runs (--server-stopped, or the log).
	logFindings finding.List
	stoppedBy   string
}

func newFacts(snaps []*snapshot.Snapshot, opt Options) *facts {
	sorted := make([]*snapshot.Snapshot, 0, len(snaps))
	for _, s := range snaps {
		if s != nil {
			sorted = append(sorted, s)
		}
	}
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].TakenAt.Before(sorted[j].TakenAt) })
	f := &facts{opt: opt.withDefaults(), snaps: sorted}
	if len(sorted) == 0 {
		f.snap = &snapshot.Snapshot{Schema: snapshot.SchemaVersion}
	} else {
		f.snap = sorted[len(sorted)-1]
		f.span = f.snap.TakenAt.Sub(sorted[0].TakenAt).Seconds()
	}
	s := f.snap
	dbf := s.DBFilename
	if dbf == "" {
		dbf = "dump.rdb"
	}
	if e := s.Entry(dbf); e != nil && e.Type != snapshot.TypeDir {
		f.dump = e
	}
	f.aof = findAOF(s)
	for i := range s.Entries {
		e := &s.Entries[i]
		if e.Type == snapshot.TypeDir {
			continue
		}
		a := &artifact{e: e}
		switch e.Kind {
		case snapshot.KindTransferTemp:
			f.transfers = append(f.transfers, a)
		case snapshot.KindBgsaveTemp:
			f.bgsaves = append(f.bgsaves, a)
		case snapshot.KindRewriteTemp:
			f.rewrites = append(f.rewrites, a)
		case snapshot.KindRewriteBgTemp:
			f.rewriteBgs = append(f.rewriteBgs, a)
		case snapshot.KindTempIncr:
			if e.AppendFilename != "" && e.AppendFilename != f.aof.af {
				continue
			}
			f.tempIncrs = append(f.tempIncrs, a)
		case snapshot.KindTempManifest:
			f.tempManifests = append(f.tempManifests, a)
		default:
			continue
		}
		f.jobs = append(f.jobs, a)
	}
	sort.SliceStable(f.jobs, func(i, j int) bool { return f.jobs[i].e.MTime.After(f.jobs[j].e.MTime) })
	f.setClock()
	for _, t := range f.transfers {
		if t.e.NamePID != 0 && t.e.NameTime != nil && (f.serverPID == 0 || t.e.NameTime.After(f.serverSince)) {
			f.serverPID, f.serverSince = t.e.NamePID, *t.e.NameTime
		}
	}
	f.judge()
	return f
}

// setClock finds the directory's newest change and the clock ages are
// measured from.
func (f *facts) setClock() {
	s := f.snap
	for i := range s.Entries {
		e := &s.Entries[i]
		if (e.Type == snapshot.TypeFile || e.Type == snapshot.TypeDir) && (f.latest == nil || e.MTime.After(f.latest.MTime)) {
			f.latest = e
		}
	}
	if r := s.RootDir; r != nil && (f.latest == nil || r.MTime.After(f.latest.MTime)) {
		f.latest = r
	}
	f.clock = s.TakenAt
	if f.latest == nil {
		return
	}
	f.frozen = s.Source == snapshot.SourceDir && s.TakenAt.Sub(f.latest.MTime) > f.opt.OldAge
	if f.frozen || f.opt.ServerStopped || s.Source != snapshot.SourceDir {
		f.clock, f.ownClock = f.latest.MTime, true
	}
}

// copyClock reports that ages are measured against the directory's own
// newest change rather than the snapshot's time.
func (f *facts) copyClock() bool { return f.ownClock }

// age is how long before the clock e was last written, in words that say
// which clock.
func (f *facts) age(t time.Time) string {
	if f.copyClock() {
		return ago(f.clock.Sub(t)) + " before the directory's last change"
	}
	return ago(f.clock.Sub(t)) + " before the snapshot"
}

// findAOF picks the appendfilename whose files are present (the configured
// one first) and sorts its files into base, incr and history, from the
// parsed manifest when there is one, from names otherwise.
func findAOF(s *snapshot.Snapshot) aofSet {
	af := s.AppendFilename
	if af == "" {
		af = "appendonly.aof"
	}
	adir := s.AppendDirName
	if adir == "" {
		adir = "appendonlydir"
	}
	has := func(name string) bool {
		for i := range s.Entries {
			e := &s.Entries[i]
			if e.Dir == adir && e.AppendFilename == name && e.Kind != snapshot.KindTempIncr && e.Kind != snapshot.KindTempManifest {
				return true
			}
		}
		return false
	}
	if !has(af) {
		for _, other := range s.AppendFilenames {
			if has(other) {
				af = other
				break
			}
		}
	}
	set := aofSet{af: af}
	if e := s.Entry(af); e != nil && e.Type == snapshot.TypeFile {
		set.legacy = e
	}
	if e := s.Entry(adir + "/" + af + ".manifest"); e != nil && e.Type != snapshot.TypeDir {
		set.manifest = e
	}
	for i := range s.Manifests {
		if s.Manifests[i].Path == adir+"/"+af+".manifest" {
			set.parsed = &s.Manifests[i]
		}
	}
	var bases []*snapshot.Entry
	for i := range s.Entries {
		e := &s.Entries[i]
		if e.Dir != adir || e.Type == snapshot.TypeDir {
			continue
		}
		if set.parsed != nil && len(set.parsed.Files) > 0 {
			switch e.ManifestRole {
			case "b":
				set.base = e
			case "i":
				set.incrs = append(set.incrs, e)
			case "h":
				set.history = append(set.history, e)
			}
			continue
		}
		if e.AppendFilename != af && !(e.Kind == snapshot.KindLegacyAOF && e.Name == af) {
			continue
		}
		switch e.Kind {
		case snapshot.KindBaseRDB, snapshot.KindBaseAOF, snapshot.KindLegacyAOF:
			bases = append(bases, e)
		case snapshot.KindIncr:
			set.incrs = append(set.incrs, e)
		}
	}
	if set.parsed == nil || len(set.parsed.Files) == 0 {
		set.fromNames = len(bases) > 0 || len(set.incrs) > 0
		sort.SliceStable(bases, func(i, j int) bool { return bases[i].NameSeq < bases[j].NameSeq })
		if len(bases) > 0 {
			set.base = bases[len(bases)-1]
			set.history = bases[:len(bases)-1]
		}
	}
	seq := func(e *snapshot.Entry) int64 {
		if e.ManifestSeq != 0 {
			return e.ManifestSeq
		}
		return e.NameSeq
	}
	sort.SliceStable(set.incrs, func(i, j int) bool { return seq(set.incrs[i]) < seq(set.incrs[j]) })
	return set
}

// previous returns the entry of the earliest snapshot that holds e (same
// path, or the same inode on the same device when both are known), and
// that snapshot.
func (f *facts) previous(e *snapshot.Entry) (*snapshot.Entry, *snapshot.Snapshot) {
	for _, s := range f.snaps[:len(f.snaps)-1] {
		if p := s.Entry(e.Path); p != nil && p.Type == e.Type {
			return p, s
		}
		if e.Known.Inode && e.Inode != 0 {
			for i := range s.Entries {
				p := &s.Entries[i]
				if p.Known.Inode && p.Inode == e.Inode && p.Device == e.Device {
					return p, s
				}
			}
		}
	}
	return nil, nil
}

// after reports whether a was written more than slack after b, whatever
// the timestamps' resolution: a listing prints minutes or days, cut down,
// so a printed time t stands for [t, t+resolution).
func after(a, b *snapshot.Entry, slack time.Duration) bool {
	res := time.Duration(max(a.MTimeResolution, b.MTimeResolution)) * time.Second
	if res > 0 {
		return a.MTime.Sub(b.MTime) >= res+slack
	}
	return a.MTime.Sub(b.MTime) > slack
}

// newestOther is the newest non-temp file, or temp incr, other than e: the
// files a running server keeps changing.
func (f *facts) newestOther(e *snapshot.Entry) *snapshot.Entry {
	var best *snapshot.Entry
	for i := range f.snap.Entries {
		o := &f.snap.Entries[i]
		if o == e || o.Type != snapshot.TypeFile {
			continue
		}
		if o.Kind.IsTemp() && o.Kind != snapshot.KindTempIncr {
			continue
		}
		if o.Kind == snapshot.KindUnknown || o.Kind == snapshot.KindNodesConf {
			continue
		}
		if best == nil || o.MTime.After(best.MTime) {
			best = o
		}
	}
	return best
}

func ago(d time.Duration) string {
	switch {
	case d < 2*time.Second:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < 2*time.Minute:
		return fmt.Sprintf("%.0fs", d.Seconds())
	case d < 2*time.Hour:
		return fmt.Sprintf("%.0f min", d.Minutes())
	case d < 48*time.Hour:
		return fmt.Sprintf("%.1f h", d.Hours())
	}
	return fmt.Sprintf("%.0f days", d.Hours()/24)
}

// judge decides each temp file's liveness in the §7.1 order: growth first
// (a growing file has a writer), then newer evidence that supersedes it,
// then lack of growth, then the lag heuristic.
func (f *facts) judge() {
	children := append(append(append([]*artifact{}, f.bgsaves...), f.rewrites...), f.rewriteBgs...)
	sort.SliceStable(children, func(i, j int) bool { return children[i].e.MTime.After(children[j].e.MTime) })
	for _, a := range f.jobs {
		f.growth(a)
	}
	for _, a := range f.tempManifests {
		a.state, a.decisive = stale, true
		a.why = "a manifest write lasts microseconds; this one was interrupted by a crash or an I/O error"
	}
	for _, a := range f.jobs {
		if a.state == live {
			continue
		}
		if why := f.superseded(a, children); why != "" {
			a.state, a.why, a.decisive = stale, why, true
			continue
		}
		if why := f.stopped(a); why != "" {
			a.state, a.why, a.decisive = stale, why, true
			continue
		}
		if why := f.lagging(a); why != "" {
			a.state, a.why, a.decisive = stale, why, false
			continue
		}
		if !f.clock.IsZero() && f.clock.Sub(a.e.MTime) > f.opt.OldAge && a.e.Kind != snapshot.KindTempIncr {
			a.old = true
		}
	}
}

func (f *facts) growth(a *artifact) {
	p, ps := f.previous(a.e)
	if p == nil {
		a.newSince = len(f.snaps) > 1
		return
	}
	a.seen = true
	a.dt = f.snap.TakenAt.Sub(ps.TakenAt).Seconds()
	a.delta = a.e.Size - p.Size
	grew := a.e.SizeMin > p.SizeMax || (a.e.SizeExact && p.SizeExact && a.e.Size > p.Size)
	if grew {
		a.state, a.decisive = live, true
		a.why = fmt.Sprintf("grew by %d bytes in %.1fs", a.delta, a.dt)
	}
}

// superseded returns why newer evidence makes a stale, or "".
func (f *facts) superseded(a *artifact, children []*artifact) string {
	e := a.e
	switch e.Kind {
	case snapshot.KindTransferTemp:
		for _, o := range f.transfers {
			if o == a {
				continue
			}
			if newerTransfer(o.e, e) {
				return fmt.Sprintf("a later full sync started %s (its transfer file %s)", o.e.NameTime.UTC().Format(time.RFC3339), o.e.Name)
			}
		}
		if f.dump != nil && after(f.dump, e, 0) {
			return fmt.Sprintf("%s was written %s after this file's last write (a later sync or save completed)", f.dump.Name, ago(f.dump.MTime.Sub(e.MTime)))
		}
	case snapshot.KindBgsaveTemp, snapshot.KindRewriteTemp, snapshot.KindRewriteBgTemp:
		for _, o := range children {
			if o == a || o.e.NamePID == e.NamePID {
				continue
			}
			if after(o.e, e, 0) && o.state != stale {
				return fmt.Sprintf("only one fork child runs at a time and %s (pid %d) is newer", o.e.Name, o.e.NamePID)
			}
		}
		if why := f.earlierServer(e); why != "" {
			return why
		}
		if e.Kind == snapshot.KindBgsaveTemp && f.dump != nil && after(f.dump, e, 0) {
			return fmt.Sprintf("%s was saved %s after this file's last write (a later save completed)", f.dump.Name, ago(f.dump.MTime.Sub(e.MTime)))
		}
		if e.Kind != snapshot.KindBgsaveTemp && f.aof.base != nil && f.aof.multipart() && after(f.aof.base, e, 0) {
			return fmt.Sprintf("the current base %s is newer (a later rewrite was installed)", f.aof.base.Name)
		}
	case snapshot.KindTempIncr:
		for _, o := range append([]*snapshot.Entry{f.aof.manifest, f.aof.base}, f.aof.incrs...) {
			if o != nil && after(o, e, f.opt.StaleLag) {
				return fmt.Sprintf("%s changed %s after it: the server left AOF_WAIT_REWRITE (writes go to the listed AOF)", o.Name, ago(o.MTime.Sub(e.MTime)))
			}
		}
	}
	return ""
}

// earlierServer returns why a fork child's file belongs to a server
// before the one whose full sync the newest transfer file shows, or "".
// The transfer name holds the server's own pid and its clock when the sync
// began. A fork child's pid is above its parent's, so a child pid below
// the server's is an earlier server's child, unless pids wrapped in
// between: the times decide, since a child of the running server writes
// after the sync began and a dead one stopped before.
func (f *facts) earlierServer(e *snapshot.Entry) string {
	if f.serverPID == 0 || e.NamePID == 0 || e.NamePID == f.serverPID {
		return ""
	}
	res := time.Duration(e.MTimeResolution)*time.Second + time.Second
	stoppedBefore := e.MTime.Add(res + f.opt.StaleLag).Before(f.serverSince)
	switch {
	case e.NamePID < f.serverPID && stoppedBefore:
		return fmt.Sprintf("child pid %d is below pid %d of the server now running a full sync (a fork child's pid is above its parent's), and the file stopped changing %s before that sync began at %s: a child of an earlier server that died",
			e.NamePID, f.serverPID, ago(f.serverSince.Sub(e.MTime)), f.serverSince.UTC().Format("15:04:05"))
	case stoppedBefore:
		return fmt.Sprintf("stopped changing %s before server %d began its full sync at %s, while a live child writes continuously",
			ago(f.serverSince.Sub(e.MTime)), f.serverPID, f.serverSince.UTC().Format("15:04:05"))
	}
	return ""
}

func newerTransfer(o, e *snapshot.Entry) bool {
	if o.NameTime != nil && e.NameTime != nil && !o.NameTime.Equal(*e.NameTime) {
		return o.NameTime.After(*e.NameTime)
	}
	return after(o, e, 0)
}

// stopped returns why the lack of growth across snapshots proves the
// writer gone, or "".
func (f *facts) stopped(a *artifact) string {
	if !a.seen || a.dt < f.opt.MinGrowthWindow.Seconds() {
		return ""
	}
	p, _ := f.previous(a.e)
	unchanged := p.Size == a.e.Size && p.MTime.Equal(a.e.MTime)
	switch a.e.Kind {
	case snapshot.KindBgsaveTemp, snapshot.KindRewriteTemp:
		if unchanged {
			return fmt.Sprintf("did not grow in %.1fs (a live child writes continuously)", a.dt)
		}
	case snapshot.KindTransferTemp:
		// 0 bytes is normal for the whole master BGSAVE.
		if unchanged && a.e.Size > 0 {
			return fmt.Sprintf("did not grow in %.1fs after bytes had started to flow", a.dt)
		}
	case snapshot.KindRewriteBgTemp:
		if a.dt >= 2 {
			return fmt.Sprintf("still not installed after %.1fs (the parent installs it within a second)", a.dt)
		}
	}
	return ""
}

// lagging returns why a file that stopped changing while the server's
// other files went on changing looks abandoned, or "".
func (f *facts) lagging(a *artifact) string {
	lag := f.opt.StaleLag
	switch a.e.Kind {
	case snapshot.KindBgsaveTemp, snapshot.KindRewriteTemp, snapshot.KindTransferTemp:
	case snapshot.KindRewriteBgTemp:
		lag = max(2*time.Second, 2*lag)
	default:
		return ""
	}
	o := f.newestOther(a.e)
	if o == nil || !after(o, a.e, lag) {
		return ""
	}
	return fmt.Sprintf("its last write is %s older than %s, which the server changed since", ago(o.MTime.Sub(a.e.MTime)), o.Path)
}

// alive returns the non-stale artifacts among as.
func alive(as []*artifact) []*artifact {
	var out []*artifact
	for _, a := range as {
		if a.alive() {
			out = append(out, a)
		}
	}
	return out
}

// newestAlive is the non-stale artifact with the newest mtime.
func newestAlive(as []*artifact) *artifact {
	var best *artifact
	for _, a := range as {
		if a.alive() && (best == nil || a.e.MTime.After(best.e.MTime)) {
			best = a
		}
	}
	return best
}

// rebuild reports that dump.rdb is newer than every file of the AOF: a full
// sync replaced the dataset and the AOF still describes the data before it.
// With a listing's minute timestamps "as new as" counts too (see
// rebuildSure).
func (f *facts) rebuild() bool {
	if f.dump == nil || !f.aof.present() {
		return false
	}
	n := f.aof.newestEntry()
	return n != nil && !after(n, f.dump, 0) && (f.dump.MTime.After(n.MTime) || n.MTimeResolution > 0 || f.dump.MTimeResolution > 0)
}

// rebuildSure is rebuild where the timestamps' resolution separates dump.rdb
// from the AOF.
func (f *facts) rebuildSure() bool {
	if !f.rebuild() {
		return false
	}
	return after(f.dump, f.aof.newestEntry(), 0)
}

// aofFarSmaller reports that the AOF holds far less than dump.rdb: the
// empty base and 0-byte incr of a fresh start against a dump with data.
func (f *facts) aofFarSmaller() bool {
	if f.dump == nil || !f.aof.present() {
		return false
	}
	maxB, _ := f.aof.bytes()
	return f.dump.SizeMin >= 4096 && maxB*10 <= f.dump.SizeMin
}
