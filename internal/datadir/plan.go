package datadir

import (
	"errors"
	"path"
	"strings"

	"github.com/aoftool/aoftool/aofinspect"
	"github.com/aoftool/aoftool/finding"
)

// Part is one file the server reads at start with AOF on.
type Part struct {
	// Path is relative to the data dir ("appendonlydir/appendonly.aof.1.base.rdb",
	// or "appendonly.aof" for a legacy file being upgraded); Name is the
	// name the manifest gives it.
	Path string
	Name string
	// Role is "base", "incr" or "legacy".
	Role string
}

// AOFParts lists the files the server reads with AOF on, in load order: the
// manifest's base and incr files (those listed before a refused line too,
// for a report), or the legacy appendonly.aof the start upgrades.
func (d *Dir) AOFParts() []Part {
	if d.Manifest == nil {
		return nil
	}
	var out []Part
	for _, f := range d.Manifest.Files {
		p := Part{Path: f.Path, Name: f.Name, Role: f.Type}
		if !strings.Contains(f.Path, "/") {
			p.Role = "legacy"
		}
		out = append(out, p)
	}
	return out
}

// AOFSet is an AOF set opened for a scan, in load order.
type AOFSet struct {
	Files  []aofinspect.SetFile
	opened []*File
}

// OpenAOF opens parts for a scan. A part that vanished or is not a regular
// file is left for the scan to report (the server cannot load it either);
// one that cannot be read is an error.
func (d *Dir) OpenAOF(parts []Part) (*AOFSet, error) {
	s := &AOFSet{}
	for _, p := range parts {
		sf := aofinspect.SetFile{Name: p.Name, Path: p.Path, Role: p.Role}
		if sf.Name == "" {
			sf.Name = path.Base(p.Path)
		}
		var f *File
		var err error
		if !plainName(sf.Name) {
			sf.OpenErr = errors.New("the name is not a plain file name")
		} else if f, err = d.Open(p.Path); err != nil {
			var pe *PathError
			if !errors.As(err, &pe) || !(errors.Is(pe.Err, ErrVanished) || errors.Is(pe.Err, ErrNotRegular)) {
				s.Close()
				return nil, err
			}
			sf.OpenErr = pe.Err
		} else {
			sf.R, sf.Size = f.ReaderAt(), f.Size
		}
		s.Files = append(s.Files, sf)
		s.opened = append(s.opened, f)
	}
	return s, nil
}

// Settle closes the files after a scan and reports what changed while they
// were read; the last file, when a server is still appending to it, ends in
// a pending command rather than a torn tail.
func (s *AOFSet) Settle(sr *aofinspect.SetReport) finding.List {
	var l finding.List
	for i, f := range s.opened {
		if f == nil {
			continue
		}
		c := f.Settle()
		l = append(l, c.Findings(f.Rel, f.Size)...)
		if i == len(s.opened)-1 && f.Live(c) {
			sr.MarkLastLive()
		}
	}
	s.Close()
	return l
}

// Close releases the files.
func (s *AOFSet) Close() {
	for _, f := range s.opened {
		if f != nil {
			f.Close()
		}
	}
	s.opened = nil
}
