package snapshot

import (
	"fmt"
	"path"
	"sort"
	"time"

	"github.com/aoftool/aoftool/finding"
)

// EventType is what happened to a path between two snapshots.
type EventType string

const (
	EventCreated   EventType = "created"
	EventRemoved   EventType = "removed"
	EventRenamed   EventType = "renamed"   // same inode (or Redis's rename rules) under a new name
	EventGrown     EventType = "grown"     // same file, more bytes
	EventShrunk    EventType = "shrunk"    // same file, fewer bytes
	EventReplaced  EventType = "replaced"  // same name, new inode (written elsewhere and renamed over it)
	EventModified  EventType = "modified"  // same file and size, newer mtime
	EventUnchanged EventType = "unchanged" // nothing observable changed
	// EventTransient is a file the watcher saw only through inotify: it was
	// created and renamed or removed between two scans.
	EventTransient EventType = "transient"
)

// Event is one change, explained in Redis terms.
type Event struct {
	Type EventType `json:"type"`
	// Path is the path after the change (for removed: the path that went).
	Path string `json:"path"`
	// OldPath is a renamed file's former path.
	OldPath string `json:"old_path,omitempty"`
	Kind    Kind   `json:"kind"`
	OldKind Kind   `json:"old_kind,omitempty"`
	// OldSize and Size are the byte counts before and after; nil when the
	// side does not exist. SizeExact is false when either is a listing's
	// rounded size.
	OldSize   *int64 `json:"old_size,omitempty"`
	Size      *int64 `json:"size,omitempty"`
	SizeExact bool   `json:"size_exact"`
	// DeltaBytes is Size-OldSize (Size for created, -OldSize for removed).
	DeltaBytes int64 `json:"delta_bytes"`
	// RateBytesPerS is DeltaBytes over the time between the snapshots; nil
	// when that time is unknown or zero or sizes are not exact.
	RateBytesPerS *float64 `json:"rate_bytes_per_s,omitempty"`
	// Inferred marks a rename deduced from Redis's rename rules because
	// the snapshots carry no inodes (listings).
	Inferred bool `json:"inferred,omitempty"`
	// Overwrote marks a rename onto a name that existed before (a finished
	// BGSAVE renames over the previous dump.rdb).
	Overwrote bool `json:"overwrote,omitempty"`
	// PID is the pid the name encodes, when it does.
	PID int `json:"pid,omitempty"`
	// Explanation says what Redis did, in one sentence.
	Explanation string `json:"explanation"`
	// At is when the watcher observed the event; nil in a diff.
	At *time.Time `json:"at,omitempty"`
	// MTime is the file's mtime after the change (before, for removed).
	MTime time.Time `json:"mtime"`
}

// Side describes one snapshot of a diff.
type Side struct {
	Root    string    `json:"root"`
	Source  Source    `json:"source"`
	TakenAt time.Time `json:"taken_at"`
}

// DiffResult is the comparison of two snapshots.
type DiffResult struct {
	Schema int  `json:"schema"`
	Old    Side `json:"old"`
	New    Side `json:"new"`
	// IntervalS is New.TakenAt - Old.TakenAt in seconds; rates use it.
	IntervalS float64 `json:"interval_s"`
	// Events are ordered by the time each change happened as far as the
	// snapshots tell (mtime), unchanged entries last.
	Events   []Event           `json:"events"`
	Counts   map[EventType]int `json:"counts"`
	Findings finding.List      `json:"findings"`
}

type inodeKey struct{ dev, ino uint64 }

// Diff compares two snapshots of the same data dir. Files are matched by
// inode and device when both sides know them (Redis renames keep the
// inode), otherwise by name and by Redis's own rename rules:
// temp-<ts>.<pid>.rdb and temp-<pid>.rdb to dump.rdb,
// temp-rewriteaof-<pid>.aof to temp-rewriteaof-bg-<pid>.aof, either to a
// new <af>.<N>.base.*, temp-<af>.incr to a new <af>.<M>.incr.aof and
// temp-<af>.manifest to <af>.manifest, each only when sizes and times
// agree.
func Diff(old, cur *Snapshot) *DiffResult {
	r := &DiffResult{
		Schema:   SchemaVersion,
		Old:      Side{Root: old.Root, Source: old.Source, TakenAt: old.TakenAt},
		New:      Side{Root: cur.Root, Source: cur.Source, TakenAt: cur.TakenAt},
		Counts:   map[EventType]int{},
		Events:   []Event{},
		Findings: finding.List{},
	}
	interval := cur.TakenAt.Sub(old.TakenAt)
	if !old.TakenAt.IsZero() && !cur.TakenAt.IsZero() {
		r.IntervalS = interval.Seconds()
	}
	d := differ{old: old, cur: cur, res: r, interval: interval,
		oldBy: map[string]*Entry{}, curBy: map[string]*Entry{},
		oldDone: map[string]bool{}, curDone: map[string]bool{}}
	for i := range old.Entries {
		d.oldBy[old.Entries[i].Path] = &old.Entries[i]
	}
	for i := range cur.Entries {
		d.curBy[cur.Entries[i].Path] = &cur.Entries[i]
	}
	d.matchInodes()
	d.matchNames()
	d.matchRules()
	for i := range old.Entries {
		o := &old.Entries[i]
		if !d.oldDone[o.Path] {
			d.emit(EventRemoved, o, nil, false, false)
		}
	}
	for i := range cur.Entries {
		n := &cur.Entries[i]
		if !d.curDone[n.Path] {
			d.emit(EventCreated, nil, n, false, false)
		}
	}
	sort.SliceStable(r.Events, func(i, j int) bool {
		a, b := r.Events[i], r.Events[j]
		if (a.Type == EventUnchanged) != (b.Type == EventUnchanged) {
			return b.Type == EventUnchanged
		}
		if !a.MTime.Equal(b.MTime) {
			return a.MTime.Before(b.MTime)
		}
		return a.Path < b.Path
	})
	for _, e := range r.Events {
		r.Counts[e.Type]++
	}
	return r
}

type differ struct {
	old, cur         *Snapshot
	res              *DiffResult
	interval         time.Duration
	oldBy, curBy     map[string]*Entry
	oldDone, curDone map[string]bool
}

func hasInode(e *Entry) bool { return e.Known.Inode && e.Inode != 0 }

// matchInodes pairs entries holding the same inode.
func (d *differ) matchInodes() {
	byIno := map[inodeKey]*Entry{}
	for i := range d.old.Entries {
		o := &d.old.Entries[i]
		if hasInode(o) {
			byIno[inodeKey{o.Device, o.Inode}] = o
		}
	}
	for i := range d.cur.Entries {
		n := &d.cur.Entries[i]
		if !hasInode(n) {
			continue
		}
		o, ok := byIno[inodeKey{n.Device, n.Inode}]
		if !ok || d.oldDone[o.Path] {
			continue
		}
		if o.Path == n.Path {
			d.same(o, n)
			continue
		}
		// A freed inode number reused by a new file is not a rename:
		// renames keep the mtime, and Redis's own renames are known pairs
		// (a renamed incr is written to afterwards, so its mtime moves).
		if !redisRename(o, n) {
			if _, still := d.curBy[o.Path]; still || !o.MTime.Equal(n.MTime) {
				continue
			}
		}
		_, overwrote := d.oldBy[n.Path]
		if overwrote {
			d.oldDone[n.Path] = true
		}
		d.emit(EventRenamed, o, n, false, overwrote)
	}
}

// matchNames pairs what is left by name.
func (d *differ) matchNames() {
	for i := range d.cur.Entries {
		n := &d.cur.Entries[i]
		if d.curDone[n.Path] {
			continue
		}
		o, ok := d.oldBy[n.Path]
		if !ok || d.oldDone[o.Path] {
			continue
		}
		if hasInode(o) && hasInode(n) {
			if o.Inode != n.Inode || o.Device != n.Device {
				d.emit(EventReplaced, o, n, false, false)
			}
			continue
		}
		// Without inodes a name kept may hide a rename over it
		// (temp-<pid>.rdb -> dump.rdb): leave it to the rules when a
		// source vanished and this file changed.
		if d.renameSourceFor(n) != nil && changed(o, n) {
			continue
		}
		d.same(o, n)
	}
}

// matchRules applies Redis's rename rules where inodes are unknown.
func (d *differ) matchRules() {
	for i := range d.cur.Entries {
		n := &d.cur.Entries[i]
		if d.curDone[n.Path] {
			continue
		}
		src := d.renameSourceFor(n)
		if src == nil {
			continue
		}
		_, overwrote := d.oldBy[n.Path]
		if overwrote {
			d.oldDone[n.Path] = true
		}
		d.emit(EventRenamed, src, n, true, overwrote)
	}
	// Names kept whose rename source turned out not to fit.
	for i := range d.cur.Entries {
		n := &d.cur.Entries[i]
		if o, ok := d.oldBy[n.Path]; ok && !d.curDone[n.Path] && !d.oldDone[o.Path] {
			d.same(o, n)
		}
	}
}

// renameSourceFor finds, among old entries that vanished, the one Redis
// would have renamed to n, where one side has no inode (a listing).
func (d *differ) renameSourceFor(n *Entry) *Entry {
	var best *Entry
	for i := range d.old.Entries {
		o := &d.old.Entries[i]
		// With inodes on both sides matchInodes already decided.
		if d.oldDone[o.Path] || hasInode(o) && hasInode(n) {
			continue
		}
		if _, still := d.curBy[o.Path]; still {
			continue
		}
		if !redisRename(o, n) || !sizeFits(o, n) || n.MTime.Add(time.Duration(n.MTimeResolution+o.MTimeResolution)*time.Second).Before(o.MTime) {
			continue
		}
		// Prefer the newest source: an older temp file is a leftover.
		if best == nil || o.MTime.After(best.MTime) {
			best = o
		}
	}
	return best
}

// redisRename reports whether Redis renames files of o's kind to n's.
func redisRename(o, n *Entry) bool {
	sameDir := o.Dir == n.Dir
	switch o.Kind {
	case KindTransferTemp, KindBgsaveTemp:
		return n.Kind == KindDump && sameDir
	case KindRewriteTemp:
		return (n.Kind == KindRewriteBgTemp && n.NamePID == o.NamePID && sameDir) || n.Kind == KindBaseRDB || n.Kind == KindBaseAOF || n.Kind == KindLegacyAOF
	case KindRewriteBgTemp:
		return n.Kind == KindBaseRDB || n.Kind == KindBaseAOF || n.Kind == KindLegacyAOF
	case KindTempIncr:
		return n.Kind == KindIncr && n.AppendFilename == o.AppendFilename && sameDir
	case KindTempManifest:
		return n.Kind == KindManifest && n.AppendFilename == o.AppendFilename && sameDir
	case KindNodesConfTemp:
		return n.Kind == KindNodesConf && sameDir
	case KindLegacyAOF:
		// The 7.x upgrade moves appendonly.aof into appendonlydir.
		return n.Kind == KindLegacyAOF && path.Base(n.Dir) != path.Base(o.Dir)
	}
	return false
}

// sizeFits: a renamed file keeps its bytes, and a temp file still growing
// at the old snapshot only grew until its rename. A rewrite base may have
// had the parent's residual diff appended (Redis <= 6.2).
func sizeFits(o, n *Entry) bool {
	return n.SizeMax >= o.SizeMin
}

func changed(o, n *Entry) bool {
	return o.Size != n.Size || !o.MTime.Equal(n.MTime)
}

// same compares one file seen twice.
func (d *differ) same(o, n *Entry) {
	switch {
	case n.Type == TypeDir || o.Type == TypeDir:
		if o.Type != n.Type {
			d.emit(EventReplaced, o, n, false, false)
		} else {
			d.emit(EventUnchanged, o, n, false, false)
		}
	case n.SizeExact && o.SizeExact && n.Size > o.Size, !n.SizeExact && n.SizeMin > o.SizeMax:
		d.emit(EventGrown, o, n, false, false)
	case n.SizeExact && o.SizeExact && n.Size < o.Size, !n.SizeExact && n.SizeMax < o.SizeMin:
		d.emit(EventShrunk, o, n, false, false)
	case n.MTime.After(o.MTime):
		if n.SizeExact && o.SizeExact || n.Size == o.Size {
			d.emit(EventModified, o, n, false, false)
		} else if n.Size > o.Size {
			d.emit(EventGrown, o, n, false, false)
		} else {
			d.emit(EventShrunk, o, n, false, false)
		}
	default:
		d.emit(EventUnchanged, o, n, false, false)
	}
}

func (d *differ) emit(t EventType, o, n *Entry, inferred, overwrote bool) {
	ev := Event{Type: t, Inferred: inferred, Overwrote: overwrote, SizeExact: true}
	if o != nil {
		d.oldDone[o.Path] = true
		sz := o.Size
		ev.OldSize = &sz
		ev.OldKind = o.Kind
		ev.Path, ev.Kind, ev.MTime, ev.PID = o.Path, o.Kind, o.MTime, o.NamePID
		ev.SizeExact = o.SizeExact
		ev.DeltaBytes = -sz
	}
	if n != nil {
		d.curDone[n.Path] = true
		sz := n.Size
		ev.Size = &sz
		if o != nil && o.Path != n.Path {
			ev.OldPath = o.Path
		}
		ev.Path, ev.Kind, ev.MTime = n.Path, n.Kind, n.MTime
		if n.NamePID != 0 {
			ev.PID = n.NamePID
		}
		ev.SizeExact = ev.SizeExact && n.SizeExact
		ev.DeltaBytes = sz
		if o != nil {
			ev.DeltaBytes = sz - o.Size
		}
	}
	if t != EventRenamed || ev.OldKind == ev.Kind {
		ev.OldKind = ""
	}
	if d.interval > 0 && ev.SizeExact && ev.DeltaBytes != 0 && (t == EventGrown || t == EventShrunk || (t == EventCreated || t == EventRenamed) && growsInPlace(ev.Kind, ev.OldKind)) {
		rate := float64(ev.DeltaBytes) / d.interval.Seconds()
		ev.RateBytesPerS = &rate
	}
	ev.Explanation = explain(ev, o, n, d.cur)
	d.res.Events = append(d.res.Events, ev)
}

// growsInPlace reports whether a file of these kinds is written over time,
// so bytes over the interval are a rate; a rewritten manifest is not.
func growsInPlace(kinds ...Kind) bool {
	for _, k := range kinds {
		switch k {
		case KindBgsaveTemp, KindTransferTemp, KindRewriteTemp, KindIncr, KindTempIncr, KindLegacyAOF:
			return true
		}
	}
	return false
}

// explain says what Redis did, from the event and the artifacts' kinds.
func explain(ev Event, o, n *Entry, cur *Snapshot) string {
	name := func(e *Entry) string { return e.Name }
	switch ev.Type {
	case EventCreated:
		switch n.Kind {
		case KindBgsaveTemp:
			return fmt.Sprintf("BGSAVE started: child %d writes %s (or the server itself for SAVE, shutdown or FLUSHALL)", n.NamePID, n.Name)
		case KindTransferTemp:
			s := fmt.Sprintf("replica full sync started: replica pid %d receives the payload into %s", n.NamePID, n.Name)
			if n.Size == 0 {
				s += "; it stays empty while a disk-based master runs its BGSAVE"
			}
			return s
		case KindRewriteTemp:
			return fmt.Sprintf("AOF rewrite started: child %d writes the new base into %s", n.NamePID, n.Name)
		case KindRewriteBgTemp:
			return fmt.Sprintf("AOF rewrite child %d finished writing the new base; the parent installs it within about 100 ms", n.NamePID)
		case KindTempIncr:
			return "first AOF rewrite after AOF was switched on (CONFIG SET appendonly yes, or after a full sync): writes go to " + n.Name + " until the rewrite is installed"
		case KindTempManifest:
			return "a manifest write started (it normally lives a millisecond; one that stays is a failed write)"
		case KindIncr:
			return fmt.Sprintf("new incr opened (seq %d): BGREWRITEAOF with AOF on opens it before the fork, and the server opens one at start", n.NameSeq)
		case KindBaseRDB, KindBaseAOF:
			return fmt.Sprintf("new AOF base installed (seq %d)", n.NameSeq)
		case KindManifest:
			return "AOF manifest created"
		case KindAppendOnlyDir:
			return "AOF directory created: AOF was switched on, or a rewrite started"
		case KindDump:
			return name(n) + " created"
		case KindLegacyAOF:
			return "single-file AOF created (Redis <= 6.2 opens appendonly.aof at start)"
		case KindNodesConfTemp:
			return "cluster config save in progress"
		}
		return "created"
	case EventRemoved:
		switch o.Kind {
		case KindBgsaveTemp:
			return "BGSAVE temp file removed without a rename: the save failed or its child was killed"
		case KindTransferTemp:
			return "transfer file removed: the replica aborted the sync"
		case KindRewriteTemp, KindRewriteBgTemp:
			return "AOF rewrite temp file removed: the rewrite failed or was killed"
		case KindTempIncr:
			return "temp incr removed: the rewrite it was waiting for failed"
		case KindBaseRDB, KindBaseAOF, KindIncr:
			if o.ManifestRole == "h" {
				return "history file removed after a successful rewrite"
			}
			return "AOF file removed: it became history at a successful rewrite and was deleted"
		case KindDump:
			return name(o) + " removed (rdb-del-sync-files on a persistence-less instance, or by hand)"
		case KindAppendOnlyDir:
			return "AOF directory removed (not something Redis does)"
		}
		return "removed"
	case EventRenamed:
		switch {
		case o.Kind == KindTransferTemp && n.Kind == KindDump:
			return fmt.Sprintf("transfer file renamed to %s: the transfer finished and loading starts", n.Name)
		case o.Kind == KindBgsaveTemp && n.Kind == KindDump:
			return fmt.Sprintf("BGSAVE child finished: %s renamed to %s", o.Name, n.Name)
		case o.Kind == KindRewriteTemp && n.Kind == KindRewriteBgTemp:
			return fmt.Sprintf("rewrite child %d finished writing the new base: renamed to %s for the parent to install", o.NamePID, n.Name)
		case (o.Kind == KindRewriteBgTemp || o.Kind == KindRewriteTemp) && (n.Kind == KindBaseRDB || n.Kind == KindBaseAOF):
			return fmt.Sprintf("the parent installed the rewritten base as %s (seq %d)", n.Name, n.NameSeq)
		case (o.Kind == KindRewriteBgTemp || o.Kind == KindRewriteTemp) && n.Kind == KindLegacyAOF:
			return "the parent installed the rewritten single-file AOF (Redis <= 6.2)"
		case o.Kind == KindTempIncr && n.Kind == KindIncr:
			return fmt.Sprintf("rewrite installed: the temp incr became %s (seq %d)", n.Name, n.NameSeq)
		case o.Kind == KindTempManifest && n.Kind == KindManifest:
			return "manifest rewritten (temp manifest renamed over it)"
		case o.Kind == KindLegacyAOF && n.Kind == KindLegacyAOF:
			return "legacy appendonly.aof moved into the AOF directory by the 7.x upgrade"
		case o.Kind == KindNodesConfTemp:
			return "cluster config saved"
		}
		return "renamed"
	case EventGrown, EventShrunk, EventModified:
		if n.Kind == KindManifest {
			return "manifest rewritten (Redis writes a temp manifest and renames it over the old one)"
		}
	}
	switch ev.Type {
	case EventGrown:
		switch n.Kind {
		case KindBgsaveTemp:
			return fmt.Sprintf("BGSAVE child %d is writing the snapshot", n.NamePID)
		case KindTransferTemp:
			return "the replica is receiving the full-sync payload"
		case KindRewriteTemp:
			return fmt.Sprintf("AOF rewrite child %d is writing the new base", n.NamePID)
		case KindIncr, KindLegacyAOF:
			return "writes appended to the AOF"
		case KindTempIncr:
			return "writes during the first rewrite go to the temp incr (its size says nothing about progress)"
		case KindDump:
			return name(n) + " grew in place (not how Redis writes it: it renames a finished temp file)"
		}
		return "grew"
	case EventShrunk:
		switch {
		case n.Kind == KindTransferTemp && ev.DeltaBytes == -40:
			return "the 40-byte EOF mark of a diskless transfer was cut off: the payload is complete"
		case n.Kind == KindIncr || n.Kind == KindLegacyAOF:
			return "AOF truncated in place: the server cut a torn tail at start (aof-load-truncated), or redis-check-aof --fix ran"
		}
		return "shrank (Redis never shrinks this file in place)"
	case EventReplaced:
		switch n.Kind {
		case KindManifest:
			return "manifest rewritten (new inode)"
		case KindDump:
			return name(n) + " replaced (new inode): a save finished between the snapshots"
		case KindTempIncr:
			return "temp incr recreated: a new rewrite after a failed one (O_TRUNC)"
		}
		return "replaced by another file of the same name"
	case EventModified:
		return "content changed, size unchanged"
	}
	return ""
}
