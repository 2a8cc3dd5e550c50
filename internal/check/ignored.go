package check

import (
	"fmt"

	"github.com/aoftool/aoftool/internal/keyspace"
	"github.com/aoftool/aoftool/internal/wopen"
	"github.com/aoftool/aoftool/rdbinspect"
)

// dumpKeysNotLoaded counts the keys of an intact dump.rdb that the AOF
// start does not hold: the keys an operator loses for good when the AOF
// start goes ahead and its first BGSAVE overwrites the dump. It is the
// removed side of a key-level diff of the dump against the AOF start,
// spilled to a private scratch directory outside the inspected paths past
// the diff's memory limit. The walk is a second reading of both, paid only
// when a dump is ignored.
func (s *start) dumpKeysNotLoaded(l *Loss) {
	f, err := s.d.Open(s.cfg.DBFilename)
	if err != nil {
		l.OnlyNote = err.Error()
		return
	}
	defer f.Close()
	at := s.at.UnixMilli()
	var only, maybe int64
	res, err := keyspace.Diff(s.ctx,
		keyspace.Side{Path: s.cfg.DBFilename, File: f},
		keyspace.Side{Path: s.d.Root, Dir: s.d, Mode: keyspace.ModeAOFOn},
		keyspace.DiffOptions{At: at, Scratch: func() (*wopen.Scratch, error) { return wopen.NewScratch("TMPDIR", "", s.d.Inspected()...) }},
		func(c *keyspace.Change) {
			// A dump key expired by the start is no loss: rdbLoad skips it.
			if c.Change != keyspace.Removed || c.OldExpireAt != rdbinspect.NoExpiry && c.OldExpireAt <= at {
				return
			}
			if c.Uncertain {
				maybe++
			} else {
				only++
			}
		})
	switch {
	case err != nil:
		l.OnlyNote = fmt.Sprintf("the dump was not compared with the AOF start: %v", err)
	case res.New.Dir != nil && len(res.New.Dir.Unbounded) > 0:
		l.OnlyNote = "commands the model does not know may have created or deleted any key of the AOF start"
	default:
		l.Only, l.OnlyMaybe = &only, maybe
	}
}
