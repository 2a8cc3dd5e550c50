package phase

import (
	"fmt"
	"time"

	"github.com/aoftool/aoftool/snapshot"
)

// Rule is one line of the classifier's table: when Match holds, the
// directory is in Phase. Rules are tried in table order, which is the
// tie-break order of §7.1; stale artifacts were set aside before any rule
// runs.
type Rule struct {
	Name  string
	Phase Phase
	// Doc is the rule in one sentence, for documentation and tests.
	Doc   string
	Match func(*facts) (verdict, bool)
}

// verdict is what a matching rule says beyond its phase.
type verdict struct {
	confidence   Confidence
	alternatives []Phase
	evidence     []Evidence
	summary      string
	step         int
	// focus is the artifact whose growth is the job's progress.
	focus *artifact
	// job is the file of the running job (nil for a load, which writes
	// none).
	job *artifact
}

// Rules returns the classifier's table in evaluation order.
func Rules() []Rule { return rules }

var rules = []Rule{
	{
		Name:  "server-stopped",
		Phase: Steady,
		Doc:   "--server-stopped, or a log ending with the server gone and nothing changed after: no server runs on the directory, so no job does; every temp file is a leftover and Result.Was says what was running",
		Match: matchStopped,
	},
	{
		Name:  "rewrite-bg-file",
		Phase: AOFRewriteFinishing,
		Doc:   "a temp-rewriteaof-bg-<pid>.aof not set aside: the child finished and the parent is installing the new base",
		Match: matchRewriteBg,
	},
	{
		Name:  "rewrite-file",
		Phase: AOFRewrite,
		Doc:   "a temp-rewriteaof-<pid>.aof not set aside: an AOF rewrite child is writing the new base (it beats dump.rdb evidence and a transfer the replica will kill it for)",
		Match: matchRewrite,
	},
	{
		Name:  "transfer-file",
		Phase: SyncTransfer,
		Doc:   "the newest temp-<unixtime>.<pid>.rdb not set aside: a replica receives a full-sync payload (0 bytes while a disk-based master still saves)",
		Match: matchTransfer,
	},
	{
		Name:  "bgsave-file",
		Phase: BGSave,
		Doc:   "a temp-<pid>.rdb not set aside: a BGSAVE child (or SAVE in the server) writes a snapshot",
		Match: matchBGSave,
	},
	{
		Name:  "temp-incr-without-rewrite",
		Phase: AOFRewrite,
		Doc:   "temp-<af>.incr with no rewrite file: a rewrite child just died and the next one starts within ~100 ms, or the server died waiting for it",
		Match: matchTempIncr,
	},
	{
		Name:  "fresh-dump-empty-aof",
		Phase: SyncLoading,
		Doc:   "dump.rdb newer than every AOF file while the AOF holds far less (empty base, 0-byte incr) and no job file is alive: a replica loads the payload it received",
		Match: matchLoading,
	},
	{
		Name:  "dump-newer-than-aof-dir",
		Phase: SyncLoading,
		Doc:   "a listing that does not show inside the AOF directory: dump.rdb renamed into place after the AOF directory's last change, and nothing changed in the data dir since: with AOF on a finished full sync is always followed by a rewrite that creates temp-<af>.incr there, so the replica still loads the payload (or the rewrite has not begun)",
		Match: matchLoadingByDirTimes,
	},
	{
		Name:  "no-live-job",
		Phase: Steady,
		Doc:   "no temp file of a live job: nothing runs; leftovers are findings",
		Match: matchSteady,
	},
}

func ev(e *snapshot.Entry, format string, args ...any) Evidence {
	return Evidence{Path: e.Path, Fact: fmt.Sprintf(format, args...)}
}

// stateFact describes an artifact's liveness as evidence.
func stateFact(a *artifact) string {
	switch a.state {
	case live:
		return a.why
	case stale:
		return "set aside: " + a.why
	}
	switch {
	case a.seen && a.dt <= 0:
		// Two listings with the same times (ls shows minutes): the span
		// between them is unknown, not zero.
		return "unchanged between snapshots whose times are the same: growth not measurable"
	case a.seen:
		return fmt.Sprintf("unchanged over %.1fs", a.dt)
	}
	if a.newSince {
		return "new since the earlier snapshot: growth not observed yet"
	}
	return "single snapshot: growth not observed"
}

// lower drops a confidence one level.
func lower(c Confidence) Confidence {
	switch c {
	case High:
		return Medium
	}
	return Low
}

func addAlt(alts []Phase, p Phase) []Phase {
	for _, a := range alts {
		if a == p {
			return alts
		}
	}
	return append(alts, p)
}

// childConfidence is the confidence a single fork child file gives: growth
// proves it, a snapshot alone cannot separate it from a dead child's file.
func childConfidence(a *artifact, v *verdict) {
	switch {
	case a.state == live:
		v.confidence = High
	default:
		v.confidence = Medium
		v.alternatives = addAlt(v.alternatives, Steady)
	}
	if a.old {
		v.confidence = lower(v.confidence)
	}
}

func matchRewriteBg(f *facts) (verdict, bool) {
	a := newestAlive(f.rewriteBgs)
	if a == nil {
		return verdict{}, false
	}
	v := verdict{confidence: High, job: a}
	v.evidence = append(v.evidence, ev(a.e, "AOF rewrite child %d finished the new base (%s); the parent renames it into %s next", a.e.NamePID, sizeText(a.e), f.aofDirName()))
	if r := a.e.RDB; r != nil && r.LooksComplete != nil && !*r.LooksComplete {
		v.confidence = Medium
		v.evidence = append(v.evidence, ev(a.e, "does not end with an EOF opcode and checksum, although a finished rewrite does (a RESP base, or a damaged file)"))
	}
	if o := f.newestOther(a.e); o != nil && after(o, a.e, 0) {
		v.confidence = Medium
		v.alternatives = addAlt(v.alternatives, Steady)
		v.evidence = append(v.evidence, ev(o, "changed after the rewrite finished; an install takes milliseconds, so the parent may be gone"))
	}
	if a.old {
		v.confidence = lower(v.confidence)
		v.alternatives = addAlt(v.alternatives, Steady)
	}
	if len(f.tempIncrs) > 0 && alive(f.tempIncrs) != nil {
		v.evidence = append(v.evidence, ev(alive(f.tempIncrs)[0].e, "temp incr of AOF_WAIT_REWRITE: becomes the new incr file at install"))
	}
	switch {
	case f.rebuild() && (alive(f.tempIncrs) != nil || f.legacyOnly()):
		v.step = 4
		v.evidence = append(v.evidence, ev(f.dump, "newer than every AOF file: the rewrite rebuilds the AOF after a full sync"))
	case f.rebuildByDirTimes():
		v.step = 4
		v.confidence = lower(v.confidence)
		v.evidence = append(v.evidence, ev(f.dump, "the AOF directory changed after it when the rewrite began: the install that ends a rebuild after a full sync (step 4), or a BGREWRITEAOF after a BGSAVE; the AOF directory's contents would tell"))
	}
	v.summary = fmt.Sprintf("AOF rewrite child %d finished; the new base is being installed", a.e.NamePID)
	return v, true
}

func matchRewrite(f *facts) (verdict, bool) {
	a := newestAlive(f.rewrites)
	if a == nil {
		return verdict{}, false
	}
	v := verdict{focus: a, job: a}
	childConfidence(a, &v)
	v.evidence = append(v.evidence, ev(a.e, "AOF rewrite child %d is writing the new base (%s): %s", a.e.NamePID, sizeText(a.e), stateFact(a)))
	ti := alive(f.tempIncrs)
	switch {
	case len(ti) > 0:
		v.evidence = append(v.evidence, ev(ti[0].e, "temp incr of AOF_WAIT_REWRITE: first rewrite after a full sync, CONFIG SET appendonly yes or a promotion; the manifest is untouched until the install"))
	case len(f.aof.incrs) >= 2:
		last := f.aof.incrs[len(f.aof.incrs)-1]
		v.evidence = append(v.evidence, ev(last, "incr file opened for the rewrite (BGREWRITEAOF with AOF on): new writes go here"))
	case f.aof.legacy != nil && !f.aof.multipart():
		v.evidence = append(v.evidence, ev(f.aof.legacy, "single-file AOF (Redis <= 6.2): the rewrite is renamed over it when done"))
	}
	switch {
	case f.rebuild():
		v.evidence = append(v.evidence, ev(f.dump, "newer than every AOF file: the AOF is being rebuilt from the dataset of a full sync"))
		// Redis <= 6.2 has no temp incr: it reopens the single file.
		if len(ti) > 0 || f.legacyOnly() {
			v.step = 3
		}
	case f.rebuildByDirTimes():
		v.step = 3
		v.confidence = lower(v.confidence)
		v.evidence = append(v.evidence, ev(f.dump, "the AOF directory changed after it when the rewrite began: the rewrite that rebuilds the AOF after a full sync (step 3), or a BGREWRITEAOF after a BGSAVE; the AOF directory's contents would tell (a temp incr means step 3)"))
	}
	if t := newestAlive(f.transfers); t != nil {
		v.confidence = lower(v.confidence)
		v.alternatives = addAlt(v.alternatives, SyncTransfer)
		v.evidence = append(v.evidence, ev(t.e, "a full-sync transfer runs beside the rewrite; the replica kills the rewrite child when the transfer completes"))
	}
	v.summary = fmt.Sprintf("AOF rewrite child %d is writing a new base", a.e.NamePID)
	return v, true
}

func matchTransfer(f *facts) (verdict, bool) {
	var a *artifact
	for _, t := range f.transfers {
		if t.alive() && (a == nil || newerTransfer(t.e, a.e)) {
			a = t
		}
	}
	if a == nil {
		return verdict{}, false
	}
	v := verdict{confidence: High, focus: a, job: a, step: 1}
	started := ""
	if a.e.NameTime != nil {
		started = ", sync started " + a.e.NameTime.UTC().Format("2006-01-02 15:04:05Z")
	}
	if complete(a.e) {
		v.evidence = append(v.evidence, ev(a.e, "ends with the EOF opcode and a checksum: the payload is complete and is renamed to dump.rdb within milliseconds"))
	}
	if a.e.SizeMax == 0 {
		v.evidence = append(v.evidence, ev(a.e, "replica %d waits for the payload (0 bytes: the master is still producing it%s): %s", a.e.NamePID, started, stateFact(a)))
	} else {
		v.evidence = append(v.evidence, ev(a.e, "replica %d receives the full-sync payload (%s%s): %s", a.e.NamePID, sizeText(a.e), started, stateFact(a)))
	}
	if a.state == assumed {
		// One snapshot cannot tell a transfer from the file of a replica
		// killed while receiving.
		v.confidence = Medium
		v.alternatives = addAlt(v.alternatives, Steady)
	}
	if a.old {
		v.confidence = lower(v.confidence)
	}
	if b := newestAlive(f.bgsaves); b != nil {
		v.alternatives = addAlt(v.alternatives, BGSave)
		v.evidence = append(v.evidence, ev(b.e, "a BGSAVE child runs beside the transfer; the replica kills it when the transfer completes"))
	}
	if f.aof.present() {
		n := f.aof.newest()
		v.evidence = append(v.evidence, Evidence{Path: f.aofPath(), Fact: fmt.Sprintf("AOF untouched during the transfer (last change %s)", n.UTC().Format("15:04:05"))})
	}
	v.summary = fmt.Sprintf("replica %d receives a full-sync payload", a.e.NamePID)
	return v, true
}

func matchBGSave(f *facts) (verdict, bool) {
	a := newestAlive(f.bgsaves)
	if a == nil {
		return verdict{}, false
	}
	v := verdict{focus: a, job: a}
	childConfidence(a, &v)
	v.evidence = append(v.evidence, ev(a.e, "process %d is writing a snapshot (%s): %s", a.e.NamePID, sizeText(a.e), stateFact(a)))
	if f.dump != nil {
		v.evidence = append(v.evidence, ev(f.dump, "previous snapshot; replaced by a rename when the save completes"))
	}
	v.summary = fmt.Sprintf("a BGSAVE (process %d) writes a snapshot", a.e.NamePID)
	return v, true
}

func matchTempIncr(f *facts) (verdict, bool) {
	ti := alive(f.tempIncrs)
	if len(ti) == 0 {
		return verdict{}, false
	}
	v := verdict{confidence: Low, alternatives: []Phase{Steady}, job: ti[0]}
	v.evidence = append(v.evidence, ev(ti[0].e, "temp incr of AOF_WAIT_REWRITE with no rewrite file: a rewrite child just died and the next starts within ~100 ms, or the server died waiting"))
	if f.rebuild() {
		v.step = 3
		v.evidence = append(v.evidence, ev(f.dump, "newer than every AOF file: the AOF is to be rebuilt after a full sync"))
	}
	v.summary = "an AOF rewrite is about to be retried (or the server died waiting for it)"
	return v, true
}

func matchLoading(f *facts) (verdict, bool) {
	if alive(f.jobs) != nil || !f.rebuild() || !f.aofFarSmaller() {
		return verdict{}, false
	}
	v := verdict{confidence: Medium, alternatives: []Phase{Steady}, step: 2}
	maxB, _ := f.aof.bytes()
	v.evidence = append(v.evidence,
		ev(f.dump, "newer than every AOF file and holds %s while the AOF holds %d bytes: a full-sync payload being loaded", sizeText(f.dump), maxB))
	if r := f.dump.RDB; r != nil && r.ReplID != "" {
		v.confidence = High
		v.evidence = append(v.evidence, ev(f.dump, "carries replication info (repl-id %s): a sync payload", r.ReplID))
	}
	if !f.rebuildSure() {
		v.confidence = lower(v.confidence)
		v.evidence = append(v.evidence, ev(f.dump, "timestamps as listed cannot order dump.rdb and the AOF; if the AOF is newer, AOF was switched on after this dump and Redis ignores it"))
	}
	v.evidence = append(v.evidence, Evidence{Path: f.aofPath(), Fact: "nothing on disk changes during the load; the AOF is rebuilt from the new dataset next"})
	v.summary = "a replica loads the full-sync payload it received"
	return v, true
}

// matchStopped is the answer for a directory no server runs on: nothing
// runs, whatever the files looked like; the rule the files would have met
// is reported as Result.Was.
func matchStopped(f *facts) (verdict, bool) {
	if !f.opt.ServerStopped {
		return verdict{}, false
	}
	v := verdict{confidence: High}
	v.evidence = append(v.evidence, Evidence{Path: ".", Fact: f.stoppedBy + ": no job is running and every temp file is a leftover"})
	v.evidence = append(v.evidence, setEvidence(f)...)
	for _, a := range f.jobs {
		v.evidence = append(v.evidence, ev(a.e, "%s", stateFact(a)))
	}
	v.summary = "no job is running (no server runs on the directory)"
	if f.opt.Log != nil && !f.opt.Log.Running {
		v.summary = "no job is running (the log ends with the server gone)"
	}
	if n := len(f.jobs) + len(f.tempManifests); n > 0 {
		v.summary += fmt.Sprintf("; %d leftover(s) of dead jobs", n)
	}
	return v, true
}

// setEvidence describes the AOF set and dump.rdb.
func setEvidence(f *facts) []Evidence {
	var out []Evidence
	switch {
	case f.aof.multipart():
		if f.aof.manifest != nil {
			out = append(out, ev(f.aof.manifest, "AOF set: %s, %d incr file(s)%s", baseText(f.aof.base), len(f.aof.incrs), rolesSource(f)))
		}
	case f.aof.legacy != nil:
		out = append(out, ev(f.aof.legacy, "single-file AOF (Redis <= 6.2 layout)"))
	}
	if f.dump != nil {
		out = append(out, ev(f.dump, "snapshot, %s", sizeText(f.dump)))
	}
	return out
}

func matchLoadingByDirTimes(f *facts) (verdict, bool) {
	if alive(f.jobs) != nil || f.dump == nil || !f.aofDirListedEmpty() {
		return verdict{}, false
	}
	d := f.snap.Entry(f.aofDirName())
	if !after(f.dump, d, 0) {
		return verdict{}, false
	}
	root := f.snap.RootDir
	if root != nil && after(root, f.dump, time.Second) {
		// Something was created, renamed or removed in the data dir after
		// the dump: a rewrite came and went.
		return verdict{}, false
	}
	v := verdict{confidence: Low, alternatives: []Phase{Steady}, step: 2}
	v.evidence = append(v.evidence,
		ev(f.dump, "written %s after the AOF directory's last change", ago(f.dump.MTime.Sub(d.MTime))),
		ev(d, "unchanged since %s: with AOF on, a finished full sync is followed by an AOF rewrite that creates temp-%s.incr here, which has not happened yet", d.MTime.UTC().Format(time.RFC3339), f.aof.af))
	if root != nil {
		v.confidence = Medium
		v.evidence = append(v.evidence, Evidence{Path: ".", Fact: fmt.Sprintf("the data dir's last change (%s) is dump.rdb's rename: nothing was created or moved after it", root.MTime.UTC().Format(time.RFC3339))})
	}
	v.evidence = append(v.evidence, ev(f.dump, "a periodic BGSAVE also renames dump.rdb without touching the AOF directory (steady); the AOF files tell them apart: an empty base beside a full dump.rdb is a rebuild"))
	v.summary = "a replica loads the full-sync payload it received, or its AOF rewrite has not begun"
	return v, true
}

// rebuildByDirTimes is the rebuild seen through a listing that does not
// show inside the AOF directory: a dump.rdb, and an AOF directory changed
// after it (the temp incr of the rewrite that follows a sync, or the
// incr a BGREWRITEAOF opens: the listing cannot tell which).
func (f *facts) rebuildByDirTimes() bool {
	if f.dump == nil || !f.aofDirListedEmpty() {
		return false
	}
	return !after(f.dump, f.snap.Entry(f.aofDirName()), 0)
}

func matchSteady(f *facts) (verdict, bool) {
	if alive(f.jobs) != nil {
		return verdict{}, false
	}
	v := verdict{confidence: High}
	if f.freshStartSet() {
		// The start set is also the first moments of a rebuild: a diskless
		// master's sync delay and a diskless load write nothing.
		v.confidence = Medium
		v.alternatives = addAlt(addAlt(v.alternatives, SyncTransfer), SyncLoading)
		v.evidence = append(v.evidence, Evidence{Path: f.aofPath(), Fact: fmt.Sprintf("the empty AOF of a fresh start, created %s before the snapshot: also what a replica shows while a diskless master waits or a diskless load runs", ago(f.snap.TakenAt.Sub(f.aof.newest())))})
	}
	for _, a := range f.jobs {
		if a.state == stale && !a.decisive {
			v.confidence = Medium
			v.alternatives = addAlt(v.alternatives, phaseOfKind(a.e.Kind))
		}
	}
	if f.dump != nil && f.aof.present() && f.dump.MTime.After(f.aof.newest()) && f.dump.RDB != nil && f.dump.RDB.ReplID != "" && !f.aofFarSmaller() {
		// After a restart of an AOF replica a load changes only dump.rdb.
		v.alternatives = addAlt(v.alternatives, SyncLoading)
		if v.confidence == High {
			v.confidence = Medium
		}
	}
	if f.snap.Source == snapshot.SourceListing && f.aofDirListedEmpty() {
		v.confidence = lower(v.confidence)
		v.evidence = append(v.evidence, Evidence{Path: f.aofDirName(), Fact: "listed, but its contents are not: the AOF files and any temp incr are unknown"})
	}
	v.evidence = append(v.evidence, setEvidence(f)...)
	for _, a := range f.jobs {
		v.evidence = append(v.evidence, ev(a.e, "%s", stateFact(a)))
	}
	v.summary = "no persistence job is running"
	if len(f.jobs) > 0 {
		v.summary += fmt.Sprintf("; %d leftover(s) of dead jobs", len(f.jobs))
	}
	return v, true
}

// legacyOnly reports the Redis <= 6.2 layout: one appendonly.aof, no
// multi-part set.
func (f *facts) legacyOnly() bool { return f.aof.legacy != nil && !f.aof.multipart() }

// aofDirListedEmpty reports an appendonlydir entry with nothing listed
// inside it: a listing of the data dir alone.
func (f *facts) aofDirListedEmpty() bool {
	d := f.snap.Entry(f.aofDirName())
	if d == nil || d.Type != snapshot.TypeDir {
		return false
	}
	for i := range f.snap.Entries {
		if f.snap.Entries[i].Dir == d.Path {
			return false
		}
	}
	return true
}

// complete reports an RDB whose tail looks finished.
func complete(e *snapshot.Entry) bool {
	return e.RDB != nil && e.RDB.LooksComplete != nil && *e.RDB.LooksComplete
}

// freshStartSet reports the files of a start on an empty directory with
// AOF on (empty base, one empty incr, no dump.rdb), created within a
// minute of a directory capture.
func (f *facts) freshStartSet() bool {
	if f.snap.Source != snapshot.SourceDir || f.dump != nil || !f.aof.multipart() || f.aof.base == nil || len(f.aof.incrs) != 1 {
		return false
	}
	if f.aof.base.SizeMax > emptyBaseMax || f.aof.incrs[0].SizeMax != 0 || len(f.jobs) > 0 {
		return false
	}
	// The wall clock, not the directory's: an empty server idle for an
	// hour is not in the first moments of a rebuild.
	age := f.snap.TakenAt.Sub(f.aof.newest())
	return age >= 0 && age < time.Minute
}

func phaseOfKind(k snapshot.Kind) Phase {
	switch k {
	case snapshot.KindTransferTemp:
		return SyncTransfer
	case snapshot.KindBgsaveTemp:
		return BGSave
	case snapshot.KindRewriteBgTemp:
		return AOFRewriteFinishing
	}
	return AOFRewrite
}

func rolesSource(f *facts) string {
	if f.aof.fromNames {
		return " (roles from file names; manifest not read)"
	}
	return ""
}

func baseText(e *snapshot.Entry) string {
	if e == nil {
		return "no base"
	}
	return "base " + e.Name + " " + sizeText(e)
}

func sizeText(e *snapshot.Entry) string {
	if e.SizeExact {
		return fmt.Sprintf("%d bytes", e.Size)
	}
	return fmt.Sprintf("about %d bytes", e.Size)
}

func (f *facts) aofDirName() string {
	if f.snap.AppendDirName != "" {
		return f.snap.AppendDirName
	}
	return "appendonlydir"
}

func (f *facts) aofPath() string {
	if f.aof.multipart() {
		return f.aofDirName()
	}
	if f.aof.legacy != nil {
		return f.aof.legacy.Path
	}
	return f.aofDirName()
}
