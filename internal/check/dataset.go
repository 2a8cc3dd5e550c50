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
	file int
	// files marks the files of the set whose commands the model reads:
	// incr files, and a RESP base, in load order.
	files map[int]bool
}

func newReplayModel(d *datadir.Dir, parts []datadir.Part, at time.Time) *replayModel {
	rm := &replayModel{
		m:     replay.New(replay.Options{At: at.UnixMilli(), Databases: d.Config.Databases}),
		file:  -1,
		files: map[int]bool{},
	}
	for i := range parts {
		rm.files[i] = true
	}
	return rm
}

// touch is the first pass, an aofinspect.Options.Each.
func (rm *replayModel) touch(file int, c *aofinspect.Command) {
	if !rm.files[file] {
		return
	}
	for rm.file < file {
		if rm.file >= 0 {
			rm.m.EndFile()
		}
		rm.file++
	}
	if c.Kind == aofinspect.KindCommand {
		rm.m.Touch(replay.FromAOF(file, c))
	}
}

// endPass closes the files of a pass up to the last one of the set.
func (rm *replayModel) endPass(n int) {
	for rm.file < n-1 {
		if rm.file >= 0 {
			rm.m.EndFile()
		}
		rm.file++
	}
	if rm.file >= 0 {
		rm.m.EndFile()
	}
	rm.file = -1
}

// replaySet runs the second pass over the set's files, applying every
// command the start executes, and returns the dataset. A file the start
// cuts is applied up to the cut, what follows is dropped.
func (s *start) replaySet(ctx context.Context, rm *replayModel, parts []datadir.Part, base replay.Base) (*Dataset, error) {
	rm.m.SetBase(base)
	set, err := s.d.OpenAOF(parts)
	if err != nil {
		return nil, err
	}
	defer set.Close()
	for i, f := range set.Files {
		if f.R == nil {
			return nil, fmt.Errorf("%s vanished before its second reading", f.Path)
		}
		if !rm.files[i] {
			rm.m.EndFile()
			continue
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
		r := f.R
		if ra, ok := f.R.(io.ReaderAt); ok && from > 0 {
			r = io.NewSectionReader(ra, from, f.Size-from)
		} else if from > 0 {
			return nil, fmt.Errorf("%s: cannot skip its RDB part", f.Path)
		}
		sc := aofinspect.NewScanner(r, aofinspect.Options{Path: f.Path, Size: f.Size, BaseOffset: from, Args: aofinspect.DefaultArgLimits})
		for sc.Next() {
			c := sc.Command()
			if c.Kind != aofinspect.KindCommand {
				continue
			}
			cmd := replay.FromAOF(i, c)
			if cut >= 0 && c.End > cut {
				rm.m.Drop(cmd, replay.LostTornTail)
				continue
			}
			rm.m.Apply(cmd)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rm.m.EndFile()
	}
	return datasetOf(rm.m.Result()), nil
}

func datasetOf(res *replay.Result) *Dataset {
	ds := &Dataset{Exact: res.Exact, DBs: []DBKeys{}}
	for _, db := range res.DBs {
		ds.DBs = append(ds.DBs, DBKeys{DB: db.DB, Min: db.Min, Max: db.Max})
	}
	for _, r := range res.Reasons {
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
