// Package timeline turns what happened in a Redis data directory over time
// — file events from `aoftool watch --json`, or from snapshots and listings
// compared in order, and the server's log — into a picture: each file's
// size over time, the persistence phases as bands, the replica-rebuild
// steps, the renames that move a job's output into place, and the log's
// events on a lane of their own. It renders SVG, or a self-contained HTML
// page holding the SVG, to a writer it is given; it does no other I/O and
// never reads the clock.
//
// Phases are read from the artifacts' lifetimes as the command-line
// contract's phase table names them: a replica transfer file
// (temp-<unixtime>.<pid>.rdb) is sync-transfer, from its rename to
// dump.rdb until the AOF rewrite starts (or the log says the load ended)
// is sync-loading, temp-rewriteaof-<pid>.aof is aof-rewrite,
// temp-rewriteaof-bg-<pid>.aof is aof-rewrite-finishing, temp-<pid>.rdb is
// bgsave, and anything else is steady. After a transfer the four are the
// rebuild's steps 1 to 4.
package timeline

import (
	"sort"
	"time"
)

// Artifact kinds, as snapshot.Kind spells them; the package takes them as
// strings so it depends on nothing of aoftool.
const (
	KindTransferTemp  = "transfer-temp"
	KindBgsaveTemp    = "bgsave-temp"
	KindRewriteTemp   = "rewrite-temp"
	KindRewriteBgTemp = "rewrite-bg-temp"
	KindDump          = "dump"
)

// Phase names, as the command-line contract spells them.
const (
	Steady              = "steady"
	BGSave              = "bgsave"
	SyncTransfer        = "sync-transfer"
	SyncLoading         = "sync-loading"
	AOFRewrite          = "aof-rewrite"
	AOFRewriteFinishing = "aof-rewrite-finishing"
)

// bookkeeping are the kinds drawn as no series and whose renames are not
// written out: the AOF directory and the manifest, rewritten through a temp
// file at every change, tell nothing a size could show.
var bookkeeping = map[string]bool{"appendonlydir": true, "manifest": true, "temp-manifest": true, "unknown": true}

// FileEvent is one change of one file: created, grown, shrunk, renamed,
// removed (snapshot.EventType values), at a time, with the size after it.
type FileEvent struct {
	At      time.Time
	Type    string
	Path    string
	OldPath string // renamed: the name before
	Kind    string // the artifact kind of Path (snapshot.Kind)
	OldKind string
	Size    *int64
}

// LogEvent is one event of the server's log placed on the picture.
type LogEvent struct {
	At   time.Time
	Kind string // serverlog.Kind
	Line int
	Text string // a short label; Kind when empty
}

// Point is a file's size at a moment.
type Point struct {
	At    time.Time `json:"at"`
	Bytes int64     `json:"bytes"`
}

// Series is one file's size over the time it existed under one name.
type Series struct {
	Path   string  `json:"path"`
	Kind   string  `json:"kind"`
	Points []Point `json:"points"`
	// Gone says the file was renamed or removed at its last point.
	Gone bool `json:"gone"`
}

// Band is a stretch of time in one phase; Step is the replica-rebuild step
// (1 to 4), 0 outside a rebuild.
type Band struct {
	Phase string    `json:"phase"`
	Step  int       `json:"step,omitempty"`
	From  time.Time `json:"from"`
	To    time.Time `json:"to"`
}

// Rename is a file moved into place: a job's output becoming the real file.
type Rename struct {
	At   time.Time `json:"at"`
	From string    `json:"from"`
	To   string    `json:"to"`
}

// Timeline is the picture's data.
type Timeline struct {
	Title  string     `json:"title"`
	Start  time.Time  `json:"start"`
	End    time.Time  `json:"end"`
	Series []*Series  `json:"series"`
	Bands  []Band     `json:"bands"`
	Rename []Rename   `json:"renames"`
	Log    []LogEvent `json:"log"`
}

// Build makes a timeline from file events (in any order) and log events,
// over [start, end]; a zero start or end is taken from the events.
func Build(title string, events []FileEvent, log []LogEvent, start, end time.Time) *Timeline {
	evs := append([]FileEvent(nil), events...)
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].At.Before(evs[j].At) })
	logs := append([]LogEvent(nil), log...)
	sort.SliceStable(logs, func(i, j int) bool { return logs[i].At.Before(logs[j].At) })
	t := &Timeline{Title: title, Start: start, End: end, Log: logs}
	for _, e := range evs {
		t.widen(e.At)
	}
	for _, l := range logs {
		t.widen(l.At)
	}
	open := map[string]*Series{}
	point := func(s *Series, at time.Time, size *int64) {
		b := int64(0)
		if size != nil {
			b = *size
		} else if n := len(s.Points); n > 0 {
			b = s.Points[n-1].Bytes
		}
		s.Points = append(s.Points, Point{At: at, Bytes: b})
	}
	begin := func(path, kind string, at time.Time) *Series {
		s := &Series{Path: path, Kind: kind}
		t.Series = append(t.Series, s)
		open[path] = s
		return s
	}
	for _, e := range evs {
		if bookkeeping[e.Kind] && (e.OldKind == "" || bookkeeping[e.OldKind]) {
			continue
		}
		switch e.Type {
		case "renamed":
			var last *int64
			if s := open[e.OldPath]; s != nil {
				if n := len(s.Points); n > 0 {
					v := s.Points[n-1].Bytes
					last = &v
				}
				point(s, e.At, last)
				s.Gone = true
				delete(open, e.OldPath)
			}
			if prev := open[e.Path]; prev != nil {
				// The rename replaced a file of that name (dump.rdb by a
				// finished transfer): the old one ends here.
				point(prev, e.At, nil)
				prev.Gone = true
			}
			size := e.Size
			if size == nil {
				size = last
			}
			point(begin(e.Path, e.Kind, e.At), e.At, size)
			t.Rename = append(t.Rename, Rename{At: e.At, From: e.OldPath, To: e.Path})
		case "removed":
			if s := open[e.Path]; s != nil {
				point(s, e.At, nil)
				s.Gone = true
				delete(open, e.Path)
			}
		default:
			s := open[e.Path]
			if s == nil {
				s = begin(e.Path, e.Kind, e.At)
			}
			point(s, e.At, e.Size)
		}
	}
	// Files still there at the end keep their last size to the end.
	for _, s := range t.Series {
		if !s.Gone && len(s.Points) > 0 && s.Points[len(s.Points)-1].At.Before(t.End) {
			s.Points = append(s.Points, Point{At: t.End, Bytes: s.Points[len(s.Points)-1].Bytes})
		}
	}
	t.Bands = bands(evs, logs, t.Start, t.End)
	return t
}

func (t *Timeline) widen(at time.Time) {
	if at.IsZero() {
		return
	}
	if t.Start.IsZero() || at.Before(t.Start) {
		t.Start = at
	}
	if t.End.IsZero() || at.After(t.End) {
		t.End = at
	}
}

// loadEnded are the log events that end a load from a full sync.
var loadEnded = map[string]bool{"repl-sync-done": true, "repl-load-failed": true, "fatal-load": true}

// bands walks the events and says which phase each stretch of time is in.
func bands(evs []FileEvent, logs []LogEvent, start, end time.Time) []Band {
	live := map[string]map[string]bool{} // kind -> paths present
	set := func(kind, path string, on bool) {
		if live[kind] == nil {
			live[kind] = map[string]bool{}
		}
		if on {
			live[kind][path] = true
		} else {
			delete(live[kind], path)
		}
	}
	loading, rebuild := false, false
	phaseNow := func() (string, int) {
		step := func(n int) int {
			if rebuild {
				return n
			}
			return 0
		}
		switch {
		case len(live[KindRewriteBgTemp]) > 0:
			return AOFRewriteFinishing, step(4)
		case len(live[KindRewriteTemp]) > 0:
			return AOFRewrite, step(3)
		case len(live[KindTransferTemp]) > 0:
			return SyncTransfer, 1
		case loading:
			return SyncLoading, 2
		case len(live[KindBgsaveTemp]) > 0:
			return BGSave, 0
		}
		return Steady, 0
	}
	var out []Band
	mark := func(at time.Time) {
		p, s := phaseNow()
		if n := len(out); n > 0 {
			if out[n-1].Phase == p && out[n-1].Step == s {
				return
			}
			out[n-1].To = at
		}
		out = append(out, Band{Phase: p, Step: s, From: at})
	}
	mark(start)
	li := 0
	for _, e := range evs {
		for ; li < len(logs) && !logs[li].At.After(e.At); li++ {
			if loadEnded[logs[li].Kind] && loading {
				loading = false
				mark(logs[li].At)
			}
		}
		switch e.Type {
		case "renamed":
			set(e.OldKind, e.OldPath, false)
			set(e.Kind, e.Path, true)
			if e.OldKind == KindTransferTemp && e.Kind == KindDump {
				loading, rebuild = true, true
			}
		case "removed":
			set(e.Kind, e.Path, false)
		default:
			set(e.Kind, e.Path, true)
			if e.Kind == KindTransferTemp {
				rebuild = true
			}
		}
		if e.Kind == KindRewriteTemp && e.Type == "created" {
			loading = false // the load ended before the rewrite could start
		}
		if len(live[KindRewriteTemp]) == 0 && len(live[KindRewriteBgTemp]) == 0 && e.Type == "renamed" && e.OldKind == KindRewriteBgTemp {
			rebuild = false // the rewritten base is installed: the rebuild is done
		}
		mark(e.At)
	}
	for ; li < len(logs); li++ {
		if loadEnded[logs[li].Kind] && loading {
			loading = false
			mark(logs[li].At)
		}
	}
	if n := len(out); n > 0 {
		out[n-1].To = end
	}
	// Bands of no length (several changes at one instant) are dropped.
	kept := out[:0]
	for _, b := range out {
		if b.To.After(b.From) {
			kept = append(kept, b)
		}
	}
	return kept
}

// Steps lists the rebuild steps the timeline shows, in order.
func (t *Timeline) Steps() []int {
	var steps []int
	seen := map[int]bool{}
	for _, b := range t.Bands {
		if b.Step > 0 && !seen[b.Step] {
			seen[b.Step] = true
			steps = append(steps, b.Step)
		}
	}
	return steps
}
