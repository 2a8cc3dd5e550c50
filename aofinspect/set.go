package aofinspect

import (
	"context"
	"fmt"
	"io"

	"github.com/aoftool/aoftool/finding"
)

// SetFile is one file of a multi-part AOF in the server's load order (the
// base, then each incr as the manifest lists them), or a lone legacy
// appendonly.aof. The caller resolves the manifest and opens the files.
type SetFile struct {
	// Name is the name in the manifest; Path is how reports show the file.
	Name string
	Path string
	// Role is "base", "incr" or "legacy".
	Role string
	// R reads the file from its start; ReaderAt is used instead when R
	// implements it (an *os.File does). Nil when the file could not be
	// opened, with OpenErr saying why.
	R       io.Reader
	Size    int64
	OpenErr error
}

// SetReport is what InspectSet found: each file's report and what the
// server does with the whole set.
type SetReport struct {
	Schema int       `json:"schema"`
	Path   string    `json:"path"`
	Files  []*Report `json:"files"`
	// Commands is the total over all files.
	Commands int64 `json:"commands"`
	// Server is the outcome of loading the set; TruncatesFile names the file
	// the server cuts in place, if any.
	Server        Server `json:"server"`
	TruncatesFile string `json:"truncates_file,omitempty"`
	// StopsAt names the file at which loading stops, for Refuses.
	StopsAt string `json:"stops_at,omitempty"`
	// Findings about the set as a whole; each file's own are in Files.
	Findings finding.List `json:"findings"`
}

// AllFindings returns the set's findings followed by every file's, sorted.
func (s *SetReport) AllFindings() finding.List {
	out := append(finding.List{}, s.Findings...)
	for _, f := range s.Files {
		out = append(out, f.Findings...)
	}
	out.Sort()
	return out
}

// InspectSet scans every file and combines the verdicts as
// loadAppendOnlyFiles does: files load in order, a truncated tail is
// tolerated only in the last file (a torn earlier file is cut in place and
// then refused), and the first refusal stops the load.
func InspectSet(ctx context.Context, path string, files []SetFile, opt Options) *SetReport {
	sr := &SetReport{Schema: Schema, Path: path, Files: []*Report{}, Findings: finding.List{}}
	sr.Server = Server{Verdict: Loads, LoadTruncatedYes: "loads", LoadTruncatedNo: "loads"}
	stopped := false
	var base int64
	for i, f := range files {
		o := opt
		o.Path = f.Path
		o.NotLast = i < len(files)-1
		o.File = i
		if opt.Progress != nil {
			b := base
			o.Progress = func(off int64) { opt.Progress(b + off) }
			base += f.Size
		}
		var rep *Report
		if f.R == nil {
			rep = &Report{Schema: Schema, Path: f.Path, Size: f.Size, Format: "unreadable", Last: !o.NotLast,
				CommandCounts: map[string]int64{}, SelectedDBs: []int64{}, Findings: finding.List{}, Err: f.OpenErr}
			rep.Findings = append(rep.Findings, finding.New(finding.AOFSetFileMissing, f.Path,
				"the %s file cannot be opened (%v); the server stops with \"Unable to obtain the AOF file length\" or \"can't open the append log file\"", f.Role, f.OpenErr))
			rep.Server = Server{Verdict: Refuses, LoadTruncatedYes: "refuses: file cannot be opened", LoadTruncatedNo: "refuses: file cannot be opened"}
		} else {
			rep = Scan(ctx, f.R, f.Size, o)
		}
		rep.Role = f.Role
		sr.Files = append(sr.Files, rep)
		sr.Commands += rep.Commands
		if ctx.Err() != nil {
			sr.Server = Server{Verdict: Refuses, LoadTruncatedYes: "unknown: interrupted", LoadTruncatedNo: "unknown: interrupted"}
			return sr
		}
		if stopped {
			rep.Findings = append(rep.Findings, finding.New(finding.AOFNotLoaded, f.Path, "the server never reaches this file: loading stops at %s", sr.StopsAt))
			continue
		}
		switch rep.Server.Verdict {
		case Refuses:
			stopped = true
			sr.StopsAt = f.Path
			sr.Server = rep.Server
			sr.Server.LoadTruncatedYes = fmt.Sprintf("%s: %s", f.Path, rep.Server.LoadTruncatedYes)
			sr.Server.LoadTruncatedNo = fmt.Sprintf("%s: %s", f.Path, rep.Server.LoadTruncatedNo)
			if rep.Server.TruncatesAt != nil {
				sr.TruncatesFile = f.Path
			}
		case LoadsTruncated:
			sr.Server = rep.Server
			sr.TruncatesFile = f.Path
			sr.Server.LoadTruncatedYes = fmt.Sprintf("%s: %s", f.Path, rep.Server.LoadTruncatedYes)
			sr.Server.LoadTruncatedNo = fmt.Sprintf("%s: %s", f.Path, rep.Server.LoadTruncatedNo)
		}
	}
	return sr
}

// MarkLastLive applies Report.MarkLive to the last file, which a running
// server is appending to, and says the set loads when that pending end was
// all that stopped it.
func (s *SetReport) MarkLastLive() bool {
	if len(s.Files) == 0 {
		return false
	}
	last := s.Files[len(s.Files)-1]
	if !last.MarkLive() {
		return false
	}
	if s.StopsAt == "" || s.StopsAt == last.Path {
		s.StopsAt, s.TruncatesFile = "", ""
		s.Server = last.Server
	}
	return true
}

// Cut is how a repaired copy of one file ends.
type Cut struct {
	// Keep is how many bytes of the file the copy holds.
	Keep int64 `json:"keep"`
	// Drop: the file is left out of the copy (and of its manifest).
	Drop bool `json:"drop,omitempty"`
	// Reason says why the file is cut or dropped; empty when copied whole.
	Reason string `json:"reason,omitempty"`
}

// ErrNotRepairable is returned when no prefix of a file is usable: its RDB
// part is damaged, or a cut would leave nothing to load.
var ErrNotRepairable = fmt.Errorf("aofinspect: no usable prefix to keep")

// RepairCut says where a repaired copy of the file ends: at OKUpTo when the
// server would truncate or refuse it for its command stream, whole when it
// loads. A file whose RDB part is damaged cannot be repaired by cutting.
func (rep *Report) RepairCut() (Cut, error) {
	if rep.RDB != nil && rep.RDB.End == 0 {
		return Cut{}, fmt.Errorf("%s: the RDB part is damaged: %w", rep.Path, ErrNotRepairable)
	}
	if rep.TruncatedTail != nil || rep.BadRecord != nil {
		return Cut{Keep: rep.OKUpTo, Reason: fmt.Sprintf("cut at offset %d, the end of the last complete command outside a transaction (%d bytes dropped)", rep.OKUpTo, rep.Size-rep.OKUpTo)}, nil
	}
	return Cut{Keep: rep.Size}, nil
}

// RepairPlan returns, per file of the set, how its repaired copy ends.
// With toTimestamp, the copy ends at the first "#TS" annotation later than
// it (moved back out of a transaction) and every later file is dropped;
// otherwise every damaged file is cut at its OKUpTo and the others are
// copied whole, which is what the server would load after cutting.
func (s *SetReport) RepairPlan(toTimestamp *int64) ([]Cut, error) {
	cuts := make([]Cut, len(s.Files))
	dropRest := false
	var kept int64
	for i, f := range s.Files {
		if dropRest {
			cuts[i] = Cut{Drop: true, Reason: "after the timestamp cut"}
			continue
		}
		if f.Format == "unreadable" {
			return nil, fmt.Errorf("%s cannot be read: %w", f.Path, ErrNotRepairable)
		}
		c, err := f.RepairCut()
		if err != nil {
			return nil, err
		}
		if toTimestamp != nil {
			if off, found := f.firstMarkAfter(*toTimestamp); found && off < c.Keep {
				c = Cut{Keep: off, Reason: fmt.Sprintf("cut at offset %d, the first #TS annotation later than %d", off, *toTimestamp)}
				dropRest = true
			}
		}
		cuts[i] = c
		kept += c.Keep
	}
	if toTimestamp != nil && kept == 0 {
		return nil, fmt.Errorf("nothing was logged at or before %d: %w", *toTimestamp, ErrNotRepairable)
	}
	return cuts, nil
}

func (rep *Report) firstMarkAfter(t int64) (int64, bool) {
	for _, m := range rep.tsMarks {
		if m.Unix > t {
			if m.MultiStart >= 0 {
				return m.MultiStart, true
			}
			return m.Offset, true
		}
	}
	return 0, false
}
