package check

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aoftool/aoftool/aofinspect"
	"github.com/aoftool/aoftool/internal/datadir"
	"github.com/aoftool/aoftool/replay"
)

// Dataset is the keyspace a client sees right after a start: per database
// an exact count, or a range with why.
type Dataset struct {
	// Exact is true when every count is one number.
	Exact bool `json:"exact"`
	// DBs are the databases that hold keys (or may).
	DBs []DBKeys `json:"dbs"`
	// Reasons say why counts are ranges.
	Reasons []string `json:"reasons,omitempty"`
	// UnknownCommands name the commands the model does not know.
	UnknownCommands map[string]int64 `json:"unknown_commands,omitempty"`
	// Lost itemises the commands of the incr files the start drops (a torn
	// tail, an open MULTI).
	Lost *replay.Lost `json:"lost,omitempty"`
}

// DBKeys is one database's keys after the start; Max is -1 when nothing
// bounds it.
type DBKeys struct {
	DB  int   `json:"db"`
	Min int64 `json:"min"`
	Max int64 `json:"max"`
}

// replayModel follows the incr files through the set scan: its first pass
// (which keys the files touch) runs inside the scan that verifies them.
type replayModel struct {
	m    *replay.Model
	pipe *modelPipe
	opt  replay.Options
	// whole is the base held whole (a small one, read before the incr
	// files): the commands are applied in the scan that verifies them and
	// the second pass is needed only when a cut drops commands already
	// applied. lastEnd is the end of the last command applied per file.
	whole   replay.Base
	lastEnd map[int]int64
}

// newReplayModel models the start of the server d configures at at; every
// file of the set is read (an RDB base has no commands, a RESP base's are
// replayed).
func newReplayModel(d *datadir.Dir, at time.Time) *replayModel {
	opt := replay.Options{At: at.UnixMilli(), Databases: d.Config.Databases}
	return &replayModel{m: replay.New(opt), opt: opt}
}

// onePass gives the model a base that answers every lookup, so the scan's
// commands are applied as they are read.
func (rm *replayModel) onePass(base replay.Base) {
	rm.whole, rm.lastEnd = base, map[int]int64{}
	rm.m.SetBase(base)
}

// touch is the first pass, an aofinspect.Options.Each (with a whole base
// the only one): the commands go to the model on its own goroutine.
func (rm *replayModel) touch(file int, c *aofinspect.Command) {
	if c.Kind != aofinspect.KindCommand {
		return
	}
	if rm.pipe == nil {
		rm.pipe = newModelPipe(rm.step, func(int) { rm.m.EndFile() })
	}
	rm.pipe.send(file, c)
}

func (rm *replayModel) step(c replay.Command, end int64) {
	if rm.whole != nil {
		rm.m.Apply(c)
		rm.lastEnd[c.File] = end
		return
	}
	rm.m.Touch(c)
}

// endPass closes the n files of the pass and waits for the model.
func (rm *replayModel) endPass(n int) {
	if rm.pipe == nil {
		for i := 0; i < n; i++ {
			rm.m.EndFile()
		}
		return
	}
	rm.pipe.close(n)
	rm.pipe = nil
}

// applied is the dataset of a one-pass model, or false when a cut the
// start makes drops commands it applied (the set is then replayed again).
func (rm *replayModel) applied(set *aofinspect.SetReport) (*Dataset, bool) {
	if rm.whole == nil || set == nil {
		return nil, false
	}
	for i, f := range set.Files {
		if t := f.Server.TruncatesAt; t != nil && rm.lastEnd[i] > *t {
			return nil, false
		}
	}
	return datasetOf(rm.m.Result()), true
}

// replaySet runs the second pass over the set's files, applying every
// command the start executes, and returns the dataset. A file the start
// cuts is applied up to the cut, what follows is dropped.
func (s *start) replaySet(ctx context.Context, rm *replayModel, parts []datadir.Part, base replay.Base) (*Dataset, error) {
	if rm.whole != nil {
		// The model applied the commands a cut drops: start afresh.
		base = rm.whole
		rm.m, rm.whole = replay.New(rm.opt), nil
	}
	rm.m.SetBase(base)
	set, err := s.d.OpenAOF(parts)
	if err != nil {
		return nil, err
	}
	defer set.Close()
	cuts := make([]int64, len(set.Files))
	apply := func(c replay.Command, end int64) {
		if cut := cuts[c.File]; cut >= 0 && end > cut {
			rm.m.Drop(c, replay.LostTornTail)
			return
		}
		rm.m.Apply(c)
	}
	pipe := newModelPipe(apply, func(int) { rm.m.EndFile() })
	defer func() {
		if pipe != nil {
			pipe.close(0)
		}
	}()
	for i, f := range set.Files {
		if f.R == nil {
			return nil, fmt.Errorf("%s vanished before its second reading", f.Path)
		}
		cut, from := int64(-1), int64(0)
		if s.r.AOF != nil && i < len(s.r.AOF.Files) {
			rep := s.r.AOF.Files[i]
			if t := rep.Server.TruncatesAt; t != nil {
				cut = *t
			}
			if rep.RDB != nil {
				// The RDB part is the base's, told through the Base.
				from = rep.RDB.End
			}
		}
		cuts[i] = cut
		r := f.R
		if ra, ok := f.R.(io.ReaderAt); ok && from > 0 {
			r = io.NewSectionReader(ra, from, f.Size-from)
		} else if from > 0 {
			return nil, fmt.Errorf("%s: cannot skip its RDB part", f.Path)
		}
		sc := aofinspect.NewScanner(r, aofinspect.Options{Path: f.Path, Size: f.Size, BaseOffset: from, Args: aofinspect.DefaultArgLimits})
		for sc.Next() {
			if c := sc.Command(); c.Kind == aofinspect.KindCommand {
				pipe.send(i, c)
			}
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	pipe.close(len(set.Files))
	pipe = nil
	return datasetOf(rm.m.Result()), nil
}

func datasetOf(res *replay.Result) *Dataset {
	ds := &Dataset{Exact: res.Exact, DBs: []DBKeys{}}
	for _, db := range res.DBs {
		ds.DBs = append(ds.DBs, DBKeys{DB: db.DB, Min: db.Min, Max: db.Max})
	}
	for _, r := range res.Reasons {
		if r.Keys == 0 {
			ds.Reasons = append(ds.Reasons, r.Text)
			continue
		}
		ds.Reasons = append(ds.Reasons, fmt.Sprintf("%s (%s)", r.Text, plural(r.Keys, "key", "keys")))
	}
	if len(res.UnknownCommands) > 0 {
		ds.UnknownCommands = res.UnknownCommands
	}
	if res.Lost.Commands > 0 {
		l := res.Lost
		ds.Lost = &l
	}
	return ds
}

// total is the dataset's keys: exact, or a range (max -1: unbounded).
func (ds *Dataset) total() (lo, hi int64) {
	for _, db := range ds.DBs {
		lo += db.Min
		if hi >= 0 {
			if db.Max < 0 {
				hi = -1
			} else {
				hi += db.Max
			}
		}
	}
	return lo, hi
}

// lostShown is how many dropped commands a sentence names.
const lostShown = 5

// lostWords names the commands a start drops, for people: how many, why,
// and the first few with the keys they name.
func lostWords(l *replay.Lost) string {
	whys := make([]string, 0, len(l.ByReason))
	for _, why := range []replay.LostReason{replay.LostTornTail, replay.LostOpenMulti, replay.LostRefused, replay.LostAfterDamage} {
		if n := l.ByReason[why]; n > 0 {
			whys = append(whys, fmt.Sprintf("%d %s", n, lostReasonWords[why]))
		}
	}
	items := make([]string, 0, lostShown)
	for i, it := range l.Items {
		if i == lostShown {
			break
		}
		w := it.Name
		if len(it.Keys) > 0 {
			w += " " + strings.Join(it.Keys, " ")
		}
		if it.DB != 0 {
			w += fmt.Sprintf(" (db %d)", it.DB)
		}
		items = append(items, w)
	}
	s := fmt.Sprintf("%s the start drops (%s): %s", plural(l.Commands, "command", "commands"), strings.Join(whys, ", "), strings.Join(items, "; "))
	if l.Commands > int64(len(items)) {
		s += fmt.Sprintf("; and %d more (--json lists the first %d)", l.Commands-int64(len(items)), len(l.Items))
	}
	return s
}

var lostReasonWords = map[replay.LostReason]string{
	replay.LostTornTail:    "past the cut",
	replay.LostOpenMulti:   "in a MULTI without EXEC",
	replay.LostRefused:     "in a refused file",
	replay.LostAfterDamage: "after damage",
}
