package phase

import (
	"fmt"
	"strings"
	"time"

	"github.com/aoftool/aoftool/finding"
	"github.com/aoftool/aoftool/snapshot"
)

// replAuxBytes is what the repl-stream-db, repl-id and repl-offset aux
// fields add to a sync payload over the base rewritten from it (observed:
// 6,977,924 vs 6,977,840 and 100,458 vs 100,375 bytes on Redis 7.0.15).
const replAuxBytes = 83

// emptyBaseMax bounds the size of an RDB of an empty dataset (88 or 89
// bytes for Redis 7, a few more for Valkey or long version strings): a
// base this small says nothing about the size of the next one.
const emptyBaseMax = 128

// Classify says which persistence phase the directory of snaps is in. snaps
// are snapshots of one directory; their order does not matter (they are
// sorted by TakenAt) and the newest is "now". It does no I/O and never
// reads the clock.
func Classify(snaps []*snapshot.Snapshot, opt Options) *Result {
	if opt.Log != nil && len(snaps) == 0 {
		return classifyLog(opt)
	}
	f := newFacts(snaps, opt)
	r := &Result{
		Schema:       SchemaVersion,
		Alternatives: []Phase{},
		Evidence:     []Evidence{},
		Findings:     finding.List{},
		Next:         []string{},
		Leftovers:    []Leftover{},
		Root:         f.snap.Root,
		TakenAt:      f.snap.TakenAt,
		Snapshots:    len(f.snaps),
		SpanS:        f.span,
		Source:       f.snap.Source,
	}
	f.logJudge()
	if f.opt.ServerStopped {
		f.stoppedBy = "no server runs on the directory (--server-stopped)"
		r.Was = f.stopAll()
	} else if why, ok := f.logStops(); ok {
		f.stoppedBy = why
		f.opt.ServerStopped = true
		r.Was = f.stopAll()
	}
	v, rule := f.decide()
	r.Phase, r.Confidence, r.Rule = Steady, Low, "none"
	if rule != nil {
		r.Phase, r.Rule, r.Confidence = rule.Phase, rule.Name, v.confidence
	}
	if v.alternatives != nil {
		r.Alternatives = v.alternatives
	}
	r.Summary = v.summary
	if v.evidence != nil {
		r.Evidence = v.evidence
	}
	r.Evidence = append(r.Evidence, changes(f)...)
	if v.step > 0 {
		r.StepNumber = v.step
		r.Step = f.stepText(v.step)
		r.Summary = fmt.Sprintf("%s (replica rebuild %s)", r.Summary, r.Step)
	}
	if r.Summary == "" {
		r.Summary = "no evidence of any persistence job"
	}
	if r.Was != nil {
		r.Summary += "; " + r.Was.Summary
	}
	if v.job != nil && (r.Phase == AOFRewrite || r.Phase == AOFRewriteFinishing) && v.job.e.Kind != snapshot.KindTempIncr &&
		alive(f.tempIncrs) == nil && len(f.aof.incrs) >= 2 {
		r.RewriteIncr = f.aof.incrs[len(f.aof.incrs)-1].Path
	}
	r.Progress = progress(f, v.focus, r)
	combineLog(f, r)
	leftovers(f, r)
	risks(f, r)
	if f.frozen && !f.opt.ServerStopped && alive(f.jobs) != nil {
		r.Findings = append(r.Findings, finding.New(finding.PhaseCopyFrozen, f.latest.Path, "nothing in the directory changed for %s before the snapshot (its last change: %s at %s): a copy, or a server that stopped",
			ago(f.snap.TakenAt.Sub(f.latest.MTime)), f.latest.Path, f.latest.MTime.UTC().Format(time.RFC3339)).
			WithHint("if no server writes this directory, run again with --server-stopped: no job is then running and every temp file is a leftover with a verdict"))
	}
	r.Next = next(f, r)
	if len(f.snaps) > 0 {
		r.Findings = append(r.Findings, f.snap.Findings...)
	}
	r.Findings.Sort()
	return r
}

// decide runs the rule table; the first rule that matches decides (nil
// when none does).
func (f *facts) decide() (verdict, *Rule) {
	for i := range rules {
		if v, ok := rules[i].Match(f); ok {
			return v, &rules[i]
		}
	}
	return verdict{}, nil
}

func (f *facts) stepText(step int) string {
	of := 4
	if !f.aof.present() && !f.aofDirListedEmpty() && step <= 2 {
		of = 2
	}
	return fmt.Sprintf("step %d of %d", step, of)
}

// stopAll is Options.ServerStopped: it finds what the files say was
// running, then sets every temp file aside, since nothing writes them.
func (f *facts) stopAll() *Was {
	f.opt.ServerStopped = false
	v, rule := f.decide()
	f.opt.ServerStopped = true
	var w *Was
	if rule != nil && rule.Phase != Steady {
		w = &Was{Phase: rule.Phase, Confidence: v.confidence, StepNumber: v.step}
		if v.step > 0 {
			w.Step = f.stepText(v.step)
		}
		w.Summary = "was: " + string(rule.Phase)
		if a := v.job; a != nil {
			a.wasRunning = true
			w.PID, w.Path = a.e.NamePID, a.e.Path
			switch {
			case a.e.Kind == snapshot.KindTransferTemp:
				w.Summary += fmt.Sprintf(", replica %d", a.e.NamePID)
			case a.e.Kind == snapshot.KindTempIncr:
				w.Summary += ", a rewrite about to fork (temp incr)"
			case a.e.NamePID != 0 && a.e.NamePID == f.serverPID:
				w.Summary += fmt.Sprintf(", server %d itself", a.e.NamePID)
			case a.e.NamePID != 0:
				w.Summary += fmt.Sprintf(", child %d", a.e.NamePID)
			}
		}
		if w.Step != "" {
			w.Summary += ", replica rebuild " + w.Step
		}
	}
	for _, a := range append(append([]*artifact{}, f.jobs...), f.tempManifests...) {
		if a.state == stale {
			continue
		}
		a.state, a.decisive = stale, true
		a.why = "nothing writes it: " + f.stoppedBy
		if a.wasRunning {
			a.why = "its job was running when the server stopped or the copy was taken, and " + f.stoppedBy
		}
	}
	return w
}

// maxChangeEvidence bounds the changes between snapshots listed as
// evidence; a busy directory has many.
const maxChangeEvidence = 6

// changes lists what Redis did between the first and the last snapshot
// (renames, creations, removals of its artifacts), in snapshot's words.
func changes(f *facts) []Evidence {
	if len(f.snaps) < 2 {
		return nil
	}
	d := snapshot.Diff(f.snaps[0], f.snap)
	var out []Evidence
	for _, e := range d.Events {
		switch e.Type {
		case snapshot.EventRenamed, snapshot.EventCreated, snapshot.EventRemoved, snapshot.EventReplaced:
		default:
			continue
		}
		if e.Kind == snapshot.KindUnknown && e.OldKind == snapshot.KindUnknown || e.Kind == snapshot.KindAppendOnlyDir {
			continue
		}
		if len(out) == maxChangeEvidence {
			break
		}
		fact := string(e.Type)
		if e.OldPath != "" {
			fact += " from " + e.OldPath
		}
		if e.Explanation != "" {
			fact += ": " + e.Explanation
		}
		out = append(out, Evidence{Path: e.Path, Fact: "between snapshots, " + fact})
	}
	return out
}

// progress estimates the running job's final size and, when growth was
// observed, its rate and ETA. It is nil without an estimate (contract).
func progress(f *facts, a *artifact, r *Result) *Progress {
	if a == nil || a.state == stale {
		return nil
	}
	cur := a.e.Size
	var expect int64
	var basis string
	switch a.e.Kind {
	case snapshot.KindTransferTemp:
		switch {
		case f.dump != nil && f.dump.Size > 0:
			expect, basis = f.dump.Size, "size of the previous dump.rdb (the dataset before this sync)"
		case f.aof.base != nil && f.aof.base.Size > emptyBaseMax:
			expect, basis = f.aof.base.Size, "size of the current AOF base (the dataset before this sync)"
		}
	case snapshot.KindRewriteTemp:
		switch {
		case f.rebuild() && f.dump != nil && f.dump.Size > replAuxBytes:
			expect, basis = f.dump.Size-replAuxBytes, "dump.rdb of the full sync minus its replication aux fields"
		case f.aof.base != nil && f.aof.base.Size > emptyBaseMax:
			expect, basis = f.aof.base.Size, "size of the current AOF base"
		case f.dump != nil && f.dump.Size > emptyBaseMax:
			expect, basis = f.dump.Size, "size of dump.rdb"
		}
	case snapshot.KindBgsaveTemp:
		if f.dump != nil && f.dump.Size > 0 {
			expect, basis = f.dump.Size, "size of the previous dump.rdb"
		}
	}
	if expect <= 0 {
		return nil
	}
	p := &Progress{Path: a.e.Path, Bytes: cur, ExpectedBytes: expect, Basis: basis}
	p.Percent = min(100, float64(int64(1000*float64(cur)/float64(expect)))/10)
	if rate := a.rate(); rate > 0 {
		p.RateBytesPerS = float64(int64(rate))
		eta := 0.0
		if expect > cur {
			eta = float64(int64(float64(expect-cur) / rate))
		}
		p.ETAS = &eta
	}
	return p
}

// leftoverInfo is §7.2 for one kind of leftover.
type leftoverInfo struct {
	code    finding.Code
	safe    bool
	caveat  string
	next    string
	subject string
}

func leftoverOf(e *snapshot.Entry) leftoverInfo {
	switch e.Kind {
	case snapshot.KindTransferTemp:
		return leftoverInfo{finding.StaleTransferFile, true, "", "never loaded (a partial sync payload); the next sync uses a new name", "transfer file of an aborted full sync"}
	case snapshot.KindBgsaveTemp:
		return leftoverInfo{finding.StaleBgsaveTemp, true, "once nothing writes it", "never loaded (a partial snapshot); ignored forever", "temp RDB of a dead BGSAVE or SAVE"}
	case snapshot.KindRewriteTemp:
		return leftoverInfo{finding.StaleRewriteTemp, true, "", "never loaded (a partial base no manifest lists); ignored, not logged", "partial output of a dead AOF rewrite child"}
	case snapshot.KindRewriteBgTemp:
		return leftoverInfo{finding.OrphanRewriteBg, true, "it is a full snapshot at fork time, useful for manual recovery; keep a copy if the AOF is damaged", "never loaded: no manifest lists it", "finished AOF rewrite no parent installed"}
	case snapshot.KindTempIncr:
		if e.SizeMax > 0 {
			return leftoverInfo{finding.LeftoverTempIncr, false, "it may hold the only copy of the writes made after the rewrite began (AOF being switched on, or the writes replicated after a full sync): no manifest lists it and no start loads it; keep a copy for a manual replay (redis-check-aof it, then feed it to redis-cli --pipe) before deleting it",
				"never loaded: no manifest lists it; truncated and reused at the next AOF_WAIT_REWRITE", "temp incr of a server that died in AOF_WAIT_REWRITE"}
		}
		return leftoverInfo{finding.LeftoverTempIncr, true, "it is empty", "never loaded: no manifest lists it; truncated and reused at the next AOF_WAIT_REWRITE", "temp incr of a server that died in AOF_WAIT_REWRITE"}
	case snapshot.KindTempManifest:
		return leftoverInfo{finding.LeftoverTempMan, true, "after comparing it with the manifest", "never read; overwritten at the next manifest write", "manifest write interrupted by a crash or an I/O error"}
	}
	return leftoverInfo{}
}

func leftovers(f *facts, r *Result) {
	all := append(append([]*artifact{}, f.jobs...), f.tempManifests...)
	for _, a := range all {
		if a.state != stale {
			if a.old {
				r.Findings = append(r.Findings, finding.New(finding.PhaseTempOld, a.e.Path, "%s: last written %s", a.e.Kind.Describe(), f.age(a.e.MTime)).
					WithHint("take a second snapshot (aoftool phase --sample 5s DIR) to see whether it grows"))
			}
			continue
		}
		info := leftoverOf(a.e)
		if info.code == "" {
			continue
		}
		l := Leftover{Path: a.e.Path, Kind: a.e.Kind, Code: info.code, Bytes: a.e.Size, PID: a.e.NamePID, Why: a.why,
			SafeToDelete: info.safe, Caveat: info.caveat, NextStart: info.next, WasRunning: a.wasRunning}
		if a.e.Kind == snapshot.KindTransferTemp && a.e.NameTime != nil {
			t := a.e.NameTime.UTC()
			l.StartedAt = &t
		}
		r.Leftovers = append(r.Leftovers, l)
		who := ""
		switch {
		case l.StartedAt != nil:
			who = fmt.Sprintf(" (replica pid %d, sync started %s)", l.PID, l.StartedAt.Format(time.RFC3339))
		case l.PID != 0:
			who = fmt.Sprintf(" (pid %d)", l.PID)
		}
		fd := finding.New(info.code, a.e.Path, "%s%s, %s: %s", info.subject, who, sizeText(a.e), a.why)
		hint := "safe to delete"
		if info.caveat != "" {
			hint += " " + info.caveat
		}
		if !info.safe {
			hint = "not safe to delete yet: " + info.caveat
		}
		hint += "; next start: " + info.next
		switch {
		case a.decisive:
		case f.copyClock():
			hint = "probably stale (inferred from timestamps; pass --server-stopped if no server runs on the directory); if so, " + hint
		default:
			hint = "probably stale (inferred from timestamps; confirm with a second snapshot); if so, " + hint
		}
		r.Findings = append(r.Findings, fd.WithHint("%s", hint))
	}
	transfers := 0
	for _, a := range f.transfers {
		if a.state == stale {
			transfers++
		}
	}
	if transfers >= 2 {
		r.Findings = append(r.Findings, finding.New(finding.FullSyncLoop, "", "%d transfer files of aborted full syncs: the full sync keeps restarting", transfers).
			WithHint("check the replica log for the cause (killed by OOM, repl-timeout, client-output-buffer-limit replica on the master); each attempt leaves a file"))
	}
}

// risks raises the findings that need several files read together.
func risks(f *facts, r *Result) {
	// Extra incr files: one more than usual while a rewrite with AOF on
	// runs, none otherwise.
	allowed := 1
	if alive(f.rewrites) != nil || alive(f.rewriteBgs) != nil {
		if alive(f.tempIncrs) == nil {
			allowed = 2
		}
	}
	if n := len(f.aof.incrs); n > allowed && f.aof.multipart() {
		names := ""
		for i, e := range f.aof.incrs {
			if i > 0 {
				names += ", "
			}
			names += e.Name
		}
		path := f.aofDirName()
		if f.aof.manifest != nil {
			path = f.aof.manifest.Path
		}
		r.Findings = append(r.Findings, finding.New(finding.ManifestMultipleIncr, path, "%d incr files (%s) with no rewrite running: rewrites started and never finished%s", n, names, rolesSource(f)).
			WithHint("not safe to delete: every listed incr is loaded and a missing one stops the server; a successful BGREWRITEAOF folds them into a new base"))
	}
	for _, h := range f.aof.history {
		r.Findings = append(r.Findings, finding.New(finding.ManifestHistoryOnDisk, h.Path, "history file still on disk (%s)%s", sizeText(h), rolesSource(f)).
			WithHint("unnecessary: Redis deletes it and its manifest line at the next start (unless aof-disable-auto-gc yes)"))
	}
	if f.aof.legacy != nil && f.aof.multipart() {
		r.Findings = append(r.Findings, finding.New(finding.ManifestLegacyIgnored, f.aof.legacy.Path, "single-file %s beside a multi-part AOF set: Redis 7+ ignores it", f.aof.legacy.Name).
			WithHint("safe to delete once the AOF set in %s is known to load", f.aofDirName()))
	}
	if f.dump != nil && f.aof.present() && f.aofFarSmaller() && !f.rebuild() && alive(f.jobs) == nil {
		maxB, _ := f.aof.bytes()
		r.Findings = append(r.Findings, finding.New(finding.DumpIgnoredAOFOn, f.dump.Path, "%s holds %s but the AOF that Redis loads holds only %d bytes and is newer: AOF was switched on after the dump", f.dump.Name, sizeText(f.dump), maxB).
			WithHint("do not delete dump.rdb: it may be the only copy of the data; to recover, start with appendonly no, then CONFIG SET appendonly yes"))
	}
	if f.rebuild() && f.aofFarSmaller() && (r.Phase == SyncLoading || r.StepNumber >= 2 || r.Was != nil && r.Was.StepNumber >= 2) {
		r.Findings = append(r.Findings, finding.New(finding.StaleAOFAfterSync, f.aofPath(), "the AOF still describes the data before the full sync that wrote %s", f.dump.Name).
			WithHint("do not restart the replica until the rewrite is installed: it would load the old AOF, ignore dump.rdb and full-sync again"))
	}
	if f.dump != nil && f.aof.base != nil && !f.rebuild() && alive(f.jobs) == nil && f.dump.RDB != nil && f.dump.RDB.ReplID != "" &&
		f.aof.base.MTime.After(f.dump.MTime) && f.aof.base.SizeExact && f.dump.SizeExact {
		var incr int64
		for _, e := range f.aof.incrs {
			incr += e.Size
		}
		diff := f.aof.base.Size - (f.dump.Size - replAuxBytes)
		if diff < 0 {
			diff = -diff
		}
		if incr*100 < f.dump.Size && diff > f.dump.Size/10+1024 {
			r.Findings = append(r.Findings, finding.New(finding.BaseDumpMismatch, f.aof.base.Path, "base holds %d bytes, the sync payload %s it was rebuilt from %d bytes", f.aof.base.Size, f.dump.Name, f.dump.Size).
				WithHint("verify both with aoftool rdb; the AOF is what Redis loads"))
		}
	}
	freeSpace(f, r)
}

func freeSpace(f *facts, r *Result) {
	vol := f.snap.Volume
	if vol == nil {
		return
	}
	var staleBytes int64
	for _, l := range r.Leftovers {
		staleBytes += l.Bytes
	}
	var need int64
	if r.Progress != nil {
		need = r.Progress.ExpectedBytes - r.Progress.Bytes
	}
	if need > 0 {
		msg := fmt.Sprintf("%s still needs about %d bytes to reach its expected size, the volume has %d bytes free", r.Progress.Path, need, vol.FreeBytes)
		hint := "free space on the volume or the job fails with ENOSPC and starts over"
		if staleBytes > 0 {
			hint = fmt.Sprintf("deleting the leftovers listed here frees %d bytes; %s", staleBytes, hint)
		}
		switch {
		case need > vol.FreeBytes:
			r.Findings = append(r.Findings, finding.New(finding.TempFilesFreeSpace, r.Progress.Path, "%s", msg).WithHint("%s", hint))
			return
		case float64(need) > 0.8*float64(vol.FreeBytes):
			r.Findings = append(r.Findings, finding.New(finding.TempFilesFreeSpace, r.Progress.Path, "%s (less than 20%% margin)", msg).As(finding.Warning).WithHint("%s", hint))
			return
		}
	}
	// Leftovers alone: the next BGSAVE, sync or rewrite needs room for a
	// full copy of the dataset, and the leftovers hold more than is free.
	if staleBytes > 0 && staleBytes > vol.FreeBytes && vol.TotalBytes > 0 && vol.FreeBytes*10 <= vol.TotalBytes {
		r.Findings = append(r.Findings, finding.New(finding.TempFilesFreeSpace, "", "leftovers of dead jobs hold %d bytes while the volume has %d bytes free (%.1f%% of %d)", staleBytes, vol.FreeBytes, 100*float64(vol.FreeBytes)/float64(vol.TotalBytes), vol.TotalBytes).
			As(finding.Warning).WithHint("the next BGSAVE, full sync or AOF rewrite needs room for a full copy of the dataset; delete the leftovers listed here"))
	}
}

// next says what happens next in the phase and what to watch for.
func next(f *facts, r *Result) []string {
	// An empty list, not null: scripts iterate over it.
	out := []string{}
	switch r.Phase {
	case SyncTransfer:
		out = append(out, "when the payload is complete the replica renames it to dump.rdb and loads it (step 2, sync-loading); nothing on disk changes during the load")
		if r.Progress == nil || r.Progress.Bytes == 0 {
			out = append(out, "a 0-byte transfer file is normal while a disk-based master runs its BGSAVE; a diskless master streams after repl-diskless-sync-delay")
		}
		if f.aof.present() {
			out = append(out, "with AOF on, an AOF rewrite follows the load (steps 3 and 4); until it is installed a restart loads the old AOF and full-syncs again")
		}
	case SyncLoading:
		out = append(out, "when the load ends the replica starts an AOF rewrite: temp-appendonly.aof.incr and temp-rewriteaof-<pid>.aof appear (step 3)")
		out = append(out, "watch the replica log for \"Done loading RDB\"; a failed load leaves AOF off until the next successful sync")
	case AOFRewrite:
		out = append(out, "the child renames its file to temp-rewriteaof-bg-<pid>.aof when done; the parent installs it as the next base within milliseconds")
		if r.StepNumber == 3 {
			out = append(out, "SIGTERM is refused while the initial AOF is written (\"Writing initial AOF, can't exit\"); a SIGKILL now leaves step-3 files behind")
		}
		if r.Rule == "temp-incr-without-rewrite" {
			out = append(out, "take a second snapshot: a new temp-rewriteaof-<pid>.aof within a second means the rewrite was retried")
		}
	case AOFRewriteFinishing:
		out = append(out, "the parent renames the file into the AOF directory as the next base, turns the temp incr into the next incr, writes the manifest and deletes the history files")
		out = append(out, "if this file is still here seconds later, the parent is gone: it is an orphan (a full snapshot, useful for manual recovery)")
	case BGSave:
		out = append(out, "the child renames its file to dump.rdb when done (new inode); a killed child's file is removed by the parent")
	case Steady:
		if r.Was != nil {
			out = append(out, fmt.Sprintf("nothing runs: the job that was running (%s) died with its server; its files are leftovers, listed below with what the next start does with each", strings.TrimPrefix(r.Was.Summary, "was: ")))
		}
		if len(r.Leftovers) > 0 {
			out = append(out, "leftovers of dead jobs are listed below with whether each is safe to delete; Redis never removes them itself")
		}
	}
	if f.snap.Source == snapshot.SourceListing && f.aofDirListedEmpty() {
		out = append(out, fmt.Sprintf("the listing does not show inside %s: paste ls -l DIR DIR/%s", f.aofDirName(), f.aofDirName()))
	}
	if r.Confidence != High {
		switch {
		case r.Source == SourceLog:
			out = append(out, "the log alone cannot settle this: add the data directory or a listing of it (aoftool phase --log FILE DIR)")
		case f.opt.Log != nil:
			out = append(out, "files and log together cannot settle this: take the listing and the log at the same moment, or compare two snapshots (aoftool phase --sample 5s --log FILE DIR)")
		case f.snap.Source == snapshot.SourceListing && len(f.snaps) > 1 && f.span <= 0:
			out = append(out, "files alone cannot settle this: the listings show the same times; paste one taken a minute or more later (ls -l shows minutes; ls -l --full-time shows seconds), or add the server's log (--log)")
		case f.snap.Source == snapshot.SourceListing && len(f.snaps) > 1:
			out = append(out, "files alone cannot settle this: paste a later listing (--full-time gives seconds), or add the server's log (--log)")
		case f.snap.Source == snapshot.SourceListing:
			out = append(out, "files alone cannot settle this: paste a second listing taken a few seconds later (repeat --from-ls), or add the server's log (--log)")
		case f.copyClock():
			out = append(out, "files alone cannot settle this: if no server runs on the directory pass --server-stopped, else compare two snapshots taken a few seconds apart (aoftool phase --sample 5s DIR); or add the server's log (--log)")
		default:
			out = append(out, "files alone cannot settle this: compare two snapshots taken a few seconds apart (aoftool phase --sample 5s DIR), or add the server's log (--log)")
		}
	}
	return out
}
