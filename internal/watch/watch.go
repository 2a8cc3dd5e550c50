// Package watch follows a live Redis data directory and reports the events
// of package snapshot as they happen. It lives apart from snapshot so the
// format packages stay free of the inotify dependency.
package watch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/aoftool/aoftool/snapshot"
)

// Options configure Watch.
type Options struct {
	// Capture configures each scan (names, symlinks, clock).
	Capture snapshot.Options
	// Interval is the polling period (default 50 ms). Polling catches
	// growth, which inotify reports too often to scan on every write.
	Interval time.Duration
	// FullEvery is how often a full capture (headers, manifests) replaces
	// a metadata-only scan even when nothing was created or renamed
	// (default 1 s). Until sees full captures only.
	FullEvery time.Duration
	// Until stops the watch when it returns true; it sees each full
	// capture. Nil watches until the context ends.
	Until func(*snapshot.Snapshot) bool
	// UntilAfterLeaving: when Until already holds at the first capture,
	// the watch goes on until the directory has left that state and come
	// back: Until stopped holding at a capture, or a job visibly ran in
	// between (a temp file appeared, an artifact was created, renamed,
	// replaced or removed), and Until holds again. A watch started right
	// after REPLICAOF or BGREWRITEAOF thus waits for the job instead of
	// stopping on the state before it.
	UntilAfterLeaving bool
	// OnEvent receives each event as it is seen, in order.
	OnEvent func(Event)
	// OnScan receives every scan and the progress of growing artifacts,
	// for a live display.
	OnScan func(*snapshot.Snapshot, []Progress)
}

// Event is a snapshot.Event seen live.
type Event struct {
	snapshot.Event
	// Via says what triggered the scan that saw it: "inotify" or "poll";
	// "inotify-only" for a transient file no scan caught.
	Via string `json:"via"`
	// Progress is set for a growing artifact.
	Progress *Progress `json:"progress,omitempty"`
}

// Progress is a growing artifact's state.
type Progress struct {
	Path  string        `json:"path"`
	Kind  snapshot.Kind `json:"kind"`
	Bytes int64         `json:"bytes"`
	// ExpectedBytes estimates the final size: a BGSAVE or rewrite output
	// ends near the size of dump.rdb or of the current base. nil when no
	// estimate exists (a transfer's size is known only to the replica log).
	ExpectedBytes *int64 `json:"expected_bytes,omitempty"`
	// RateBytesPerS is the average growth since the watcher first saw the
	// file grow; ETAS the seconds left at that rate to ExpectedBytes.
	RateBytesPerS *float64 `json:"rate_bytes_per_s,omitempty"`
	ETAS          *float64 `json:"eta_s,omitempty"`
	// ExpectedFrom names the file the estimate comes from.
	ExpectedFrom string `json:"expected_from,omitempty"`
}

// Lifetime is how long the watcher saw an artifact exist.
type Lifetime struct {
	Path string        `json:"path"`
	Kind snapshot.Kind `json:"kind"`
	// FirstSeen is the first inotify event or scan showing it; Gone the
	// first showing it renamed or removed (nil while it exists).
	FirstSeen time.Time  `json:"first_seen"`
	Gone      *time.Time `json:"gone,omitempty"`
	// ObservedS is Gone-FirstSeen in seconds; 0 while it exists.
	ObservedS float64 `json:"observed_s"`
	// Scans is how many scans saw it; 0 for a file only inotify saw.
	Scans int `json:"scans"`
}

// Summary is what a finished watch saw.
type Summary struct {
	Root    string                     `json:"root"`
	Started time.Time                  `json:"started"`
	Ended   time.Time                  `json:"ended"`
	Scans   int                        `json:"scans"`
	Events  int                        `json:"events"`
	Counts  map[snapshot.EventType]int `json:"counts"`
	// Lifetimes lists every temp artifact seen, in order of appearance.
	Lifetimes []Lifetime `json:"lifetimes"`
	// StopReason is "until" (the condition held), "context" (cancelled or
	// timed out) or "error".
	StopReason string `json:"stop_reason"`
	// UntilHeldAtStart says Until held at the first capture; with
	// UntilAfterLeaving, LeftAt is when the directory was first seen to
	// leave that state (nil if it never did) and LeftBy what showed it.
	UntilHeldAtStart bool               `json:"until_held_at_start,omitempty"`
	LeftAt           *time.Time         `json:"left_at,omitempty"`
	LeftBy           string             `json:"left_by,omitempty"`
	Final            *snapshot.Snapshot `json:"-"`
}

type lifetime struct {
	Lifetime
	order int
}

type watcher struct {
	dir      string
	opt      Options
	clock    func() time.Time
	prev     *snapshot.Snapshot
	lastFull time.Time
	sum      *Summary
	lives    map[string]*lifetime
	ended    []*lifetime // earlier lives of a path that was created again
	order    int
	growth   map[string]growthStart
	fsw      *fsnotify.Watcher
	aofWatch bool
	// waitLeave: Until held at the start and the directory has not left
	// that state yet (Options.UntilAfterLeaving).
	waitLeave bool
	started   bool
	held      map[string]bool // removals held back at the last scan
}

type growthStart struct {
	at   time.Time
	size int64
}

// Watch follows dataDir until ctx ends or opt.Until holds. It combines
// inotify on the data dir and its appendonlydir (added when it appears)
// with polling: every create, rename or remove triggers an immediate
// re-stat, so a temp-rewriteaof-bg-<pid>.aof living 30 ms is seen, and a
// file living less than one scan is still reported from the inotify events
// alone (snapshot.EventTransient). It never writes to dataDir.
func Watch(ctx context.Context, dataDir string, opt Options) (*Summary, error) {
	if opt.Interval <= 0 {
		opt.Interval = 50 * time.Millisecond
	}
	if opt.FullEvery <= 0 {
		opt.FullEvery = time.Second
	}
	clock := opt.Capture.Clock
	if clock == nil {
		clock = time.Now
	}
	w := &watcher{dir: dataDir, opt: opt, clock: clock, lives: map[string]*lifetime{}, growth: map[string]growthStart{},
		sum: &Summary{Root: dataDir, Started: clock().UTC(), Counts: map[snapshot.EventType]int{}, Lifetimes: []Lifetime{}}}
	fsw, err := fsnotify.NewBufferedWatcher(4096)
	if err != nil {
		return nil, err
	}
	defer fsw.Close()
	w.fsw = fsw
	if err := fsw.Add(dataDir); err != nil {
		return nil, err
	}
	w.addAOFWatch()
	first, err := w.capture(true)
	if err != nil {
		return nil, err
	}
	w.prev = first
	w.observe(first, nil, "poll")
	w.started = true
	if opt.Until != nil && opt.Until(first) {
		w.sum.UntilHeldAtStart = true
		if !opt.UntilAfterLeaving {
			return w.finish("until"), nil
		}
		w.waitLeave = true
	}
	tick := time.NewTicker(opt.Interval)
	defer tick.Stop()
	for {
		var via string
		select {
		case <-ctx.Done():
			return w.finish("context"), nil
		case <-tick.C:
			via = "poll"
		case ev, ok := <-fsw.Events:
			if !ok {
				return w.finish("error"), errors.New("snapshot: inotify watcher closed")
			}
			w.note(ev)
			if !ev.Has(fsnotify.Create | fsnotify.Rename | fsnotify.Remove) {
				// Writes come by the thousand while a child saves;
				// polling measures growth.
				continue
			}
			w.drain()
			via = "inotify"
		case err := <-fsw.Errors:
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				via = "poll"
				break
			}
			return w.finish("error"), err
		}
		stop, err := w.step(via)
		if err != nil {
			return w.finish("error"), err
		}
		if stop {
			return w.finish("until"), nil
		}
	}
}

// drain takes every inotify event already queued, so one scan answers a
// burst (the 1-3 ms rewrite install renames four files).
func (w *watcher) drain() {
	for {
		select {
		case ev, ok := <-w.fsw.Events:
			if !ok {
				return
			}
			w.note(ev)
		default:
			return
		}
	}
}

func (w *watcher) addAOFWatch() {
	if w.aofWatch {
		return
	}
	aof := filepath.Join(w.dir, names(w.opt.Capture).AppendDirName)
	if fi, err := os.Stat(aof); err == nil && fi.IsDir() {
		if w.fsw.Add(aof) == nil {
			w.aofWatch = true
		}
	}
}

// note records an inotify event's effect on lifetimes, timestamped when
// read: that is as close to the kernel's time as user space gets.
func (w *watcher) note(ev fsnotify.Event) {
	now := w.clock().UTC()
	rel, err := filepath.Rel(w.dir, ev.Name)
	if err != nil {
		return
	}
	rel = filepath.ToSlash(rel)
	if rel == names(w.opt.Capture).AppendDirName && ev.Has(fsnotify.Create) {
		w.addAOFWatch()
	}
	name := path.Base(rel)
	info := snapshot.DecodeName(name, false, path.Dir(rel) == ".", names(w.opt.Capture))
	if !info.Kind.IsTemp() {
		return
	}
	switch {
	case ev.Has(fsnotify.Create):
		if l, ok := w.lives[rel]; !ok || l.Gone != nil {
			w.newLife(rel, info.Kind, now)
		}
	case ev.Has(fsnotify.Rename), ev.Has(fsnotify.Remove):
		if l, ok := w.lives[rel]; ok && l.Gone == nil {
			g := now
			l.Gone = &g
			l.ObservedS = g.Sub(l.FirstSeen).Seconds()
		}
	}
}

func (w *watcher) capture(full bool) (*snapshot.Snapshot, error) {
	o := w.opt.Capture
	o.Clock = w.clock
	o.MetadataOnly = !full
	s, err := snapshot.Capture(w.dir, o)
	if err == nil && full {
		w.lastFull = s.TakenAt
	}
	return s, err
}

func (w *watcher) step(via string) (bool, error) {
	now := w.clock()
	full := w.opt.Until != nil && now.Sub(w.lastFull) >= w.opt.FullEvery
	cur, err := w.capture(full)
	if err != nil {
		return false, err
	}
	d := snapshot.Diff(w.prev, cur)
	structural := false
	for _, e := range d.Events {
		switch e.Type {
		case snapshot.EventCreated, snapshot.EventRemoved, snapshot.EventRenamed, snapshot.EventReplaced:
			structural = true
		}
	}
	if structural && !full && w.opt.Until != nil {
		if c2, err := w.capture(true); err == nil {
			cur, full = c2, true
			d = snapshot.Diff(w.prev, cur)
		}
	}
	held := w.holdRemovals(d)
	w.observe(cur, d, via)
	w.prev = cur
	if len(held) > 0 {
		aug := *cur
		aug.Entries = append(append([]snapshot.Entry(nil), cur.Entries...), held...)
		w.prev = &aug
	}
	if w.waitLeave {
		for _, e := range d.Events {
			switch e.Type {
			case snapshot.EventCreated, snapshot.EventRemoved, snapshot.EventRenamed, snapshot.EventReplaced:
				if e.Kind != snapshot.KindUnknown || e.OldKind != snapshot.KindUnknown {
					w.left(now, fmt.Sprintf("%s %s", e.Type, e.Path))
				}
			}
		}
	}
	if full && w.opt.Until != nil {
		holds := w.opt.Until(cur)
		if !holds && w.waitLeave {
			w.left(now, "the condition stopped holding")
		}
		return holds && !w.waitLeave, nil
	}
	return false, nil
}

// left records that the directory left the state Until held in at the
// start.
func (w *watcher) left(at time.Time, by string) {
	if !w.waitLeave {
		return
	}
	w.waitLeave = false
	t := at.UTC()
	w.sum.LeftAt, w.sum.LeftBy = &t, by
}

// holdRemovals keeps back, for one scan, the removal of files that have an
// inode. readdir is not atomic against rename: a file renamed while the
// directory is read can be missed under both names (the rewrite install
// renames temp-<af>.incr to <af>.<M>.incr.aof within a millisecond of
// other changes), and would read as removed, then created. Carried into the
// next scan's old side, it matches its new name by inode instead.
func (w *watcher) holdRemovals(d *snapshot.DiffResult) []snapshot.Entry {
	var held []snapshot.Entry
	now := map[string]bool{}
	kept := d.Events[:0]
	for _, e := range d.Events {
		if e.Type == snapshot.EventRemoved {
			if o := w.prev.Entry(e.Path); o != nil && o.Known.Inode && o.Inode != 0 {
				key := fmt.Sprintf("%s\x00%d", o.Path, o.Inode)
				if !w.held[key] {
					held = append(held, *o)
					now[key] = true
					continue
				}
			}
		}
		kept = append(kept, e)
	}
	d.Events = kept
	w.held = now
	return held
}

// observe emits a scan's events and updates lifetimes and progress.
func (w *watcher) observe(cur *snapshot.Snapshot, d *snapshot.DiffResult, via string) {
	w.sum.Scans++
	w.sum.Final = cur
	at := cur.TakenAt
	present := map[string]bool{}
	for i := range cur.Entries {
		e := &cur.Entries[i]
		present[e.Path] = true
		if !e.Kind.IsTemp() {
			continue
		}
		l, ok := w.lives[e.Path]
		if !ok || l.Gone != nil {
			l = w.newLife(e.Path, e.Kind, at)
		}
		l.Scans++
	}
	for p, l := range w.lives {
		if l.Gone == nil && !present[p] && l.Scans > 0 {
			g := at
			l.Gone = &g
			l.ObservedS = g.Sub(l.FirstSeen).Seconds()
		}
	}
	progress := w.progress(cur, at)
	if d != nil {
		for _, e := range d.Events {
			if e.Type == snapshot.EventUnchanged {
				continue
			}
			we := Event{Event: e, Via: via}
			t := at
			we.At = &t
			if e.Type == snapshot.EventGrown || e.Type == snapshot.EventCreated {
				for i := range progress {
					if progress[i].Path == e.Path {
						p := progress[i]
						we.Progress = &p
					}
				}
			}
			w.emit(we)
		}
	}
	// Files only inotify saw: created and gone between two scans.
	var transient []*lifetime
	for _, l := range w.lives {
		if l.Scans == 0 && l.Gone != nil && !l.reported() {
			transient = append(transient, l)
		}
	}
	sort.Slice(transient, func(i, j int) bool { return transient[i].order < transient[j].order })
	for _, l := range transient {
		w.reportTransient(l)
	}
	if w.opt.OnScan != nil {
		w.opt.OnScan(cur, progress)
	}
}

func (l *lifetime) reported() bool { return l.Scans < 0 }

// newLife starts tracking a path's new existence, keeping the previous one
// (a temp manifest is created again at every manifest write).
func (w *watcher) newLife(p string, k snapshot.Kind, at time.Time) *lifetime {
	if old, ok := w.lives[p]; ok {
		if old.Scans == 0 && old.Gone != nil && !old.reported() {
			w.reportTransient(old)
		}
		w.ended = append(w.ended, old)
	}
	if w.started {
		w.left(at, "created "+p)
	}
	w.order++
	l := &lifetime{Lifetime: Lifetime{Path: p, Kind: k, FirstSeen: at}, order: w.order}
	w.lives[p] = l
	return l
}

func (w *watcher) reportTransient(l *lifetime) {
	l.Scans = -1
	name := path.Base(l.Path)
	info := snapshot.DecodeName(name, false, path.Dir(l.Path) == ".", names(w.opt.Capture))
	t := *l.Gone
	w.emit(Event{Via: "inotify-only", Event: snapshot.Event{Type: snapshot.EventTransient, Path: l.Path, Kind: l.Kind, PID: info.PID, At: &t, MTime: l.FirstSeen,
		Explanation: transientExplanation(l.Kind, info.PID, l.Gone.Sub(l.FirstSeen))}})
}

func transientExplanation(k snapshot.Kind, pid int, life time.Duration) string {
	ms := life.Round(100 * time.Microsecond).String()
	switch k {
	case snapshot.KindRewriteBgTemp:
		return "AOF rewrite child " + itoa(pid) + " finished the new base and the parent installed it " + ms + " later (seen by inotify only)"
	case snapshot.KindTempManifest:
		return "manifest written through its temp file in " + ms
	case snapshot.KindRewriteTemp:
		return "rewrite output existed for " + ms + " (the server's synchronous startup rewrite, or a rewrite that failed at once)"
	case snapshot.KindBgsaveTemp:
		return "temp RDB existed for " + ms + " (a small SAVE or BGSAVE)"
	}
	return string(k) + " existed for " + ms
}

func itoa(n int) string {
	if n == 0 {
		return "?"
	}
	return strconv.Itoa(n)
}

func (w *watcher) emit(we Event) {
	w.sum.Events++
	w.sum.Counts[we.Type]++
	if w.opt.OnEvent != nil {
		w.opt.OnEvent(we)
	}
}

// progress computes the state of growing job artifacts.
func (w *watcher) progress(cur *snapshot.Snapshot, at time.Time) []Progress {
	var out []Progress
	seen := map[string]bool{}
	for i := range cur.Entries {
		e := &cur.Entries[i]
		switch e.Kind {
		case snapshot.KindBgsaveTemp, snapshot.KindTransferTemp, snapshot.KindRewriteTemp:
		default:
			continue
		}
		if e.Type != snapshot.TypeFile {
			continue
		}
		seen[e.Path] = true
		g, ok := w.growth[e.Path]
		if !ok {
			w.growth[e.Path] = growthStart{at: at, size: e.Size}
			g = w.growth[e.Path]
		}
		p := Progress{Path: e.Path, Kind: e.Kind, Bytes: e.Size}
		if dt := at.Sub(g.at).Seconds(); dt > 0 && e.Size > g.size {
			r := float64(e.Size-g.size) / dt
			p.RateBytesPerS = &r
		}
		// An estimate the file already outgrew says nothing.
		if exp, from := snapshot.ExpectedSize(cur, e); exp > 0 && exp >= e.Size {
			p.ExpectedBytes, p.ExpectedFrom = &exp, from
			if p.RateBytesPerS != nil && exp > e.Size {
				eta := float64(exp-e.Size) / *p.RateBytesPerS
				p.ETAS = &eta
			}
		}
		out = append(out, p)
	}
	for k := range w.growth {
		if !seen[k] {
			delete(w.growth, k)
		}
	}
	return out
}

// names are the configured names with Redis's defaults filled in.
func names(o snapshot.Options) snapshot.Names {
	n := snapshot.DefaultNames()
	if o.DBFilename != "" {
		n.DBFilename = o.DBFilename
	}
	if o.AppendDirName != "" {
		n.AppendDirName = o.AppendDirName
	}
	if o.AppendFilename != "" {
		n.AppendFilename = o.AppendFilename
	}
	return n
}

func (w *watcher) finish(reason string) *Summary {
	w.sum.Ended = w.clock().UTC()
	w.sum.StopReason = reason
	ls := append([]*lifetime(nil), w.ended...)
	for _, l := range w.lives {
		ls = append(ls, l)
	}
	sort.Slice(ls, func(i, j int) bool { return ls[i].order < ls[j].order })
	for _, l := range ls {
		x := l.Lifetime
		if x.Scans < 0 {
			x.Scans = 0
		}
		w.sum.Lifetimes = append(w.sum.Lifetimes, x)
	}
	return w.sum
}
