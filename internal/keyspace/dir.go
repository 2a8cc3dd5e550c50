package keyspace

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/aoftool/aoftool/aofinspect"
	"github.com/aoftool/aoftool/finding"
	"github.com/aoftool/aoftool/internal/datadir"
	"github.com/aoftool/aoftool/rdbinspect"
	"github.com/aoftool/aoftool/replay"
)

// Modes a start runs in.
const (
	ModeAOFOn  = "aof-on"
	ModeAOFOff = "aof-off"
)

// DirOptions say how to list a data directory's keys.
type DirOptions struct {
	// At is the start time in Unix milliseconds: keys whose expiry is at
	// or before it are not served (the server skips or deletes them).
	At int64
	// Window: keys expiring within (At, At+Window] are listed and counted
	// as expiring.
	Window int64
	// Target is the server the encodings and memory are for (default:
	// the base's writer).
	Target *rdbinspect.Server
	// Digest asks for value digests (keydiff).
	Digest bool
	// KeyName caps the bytes kept of a name (default 64 KiB).
	KeyName int
	// Mode, when set (ModeAOFOn or ModeAOFOff), is the start listed
	// whatever the configuration says: check's prediction of the start in
	// the other mode.
	Mode string
}

// Entry is one key the next start holds.
type Entry struct {
	rdbinspect.Key
	// Written: the incr files wrote the key after the base. Type,
	// Elements and ExpireAt are then what the replay model knows;
	// Encoding is empty, Memory and Size are -1, there is no digest.
	Written bool
	// Exists is replay.Maybe when the commands leave it open whether the
	// key exists.
	Exists replay.Existence
	// ElementsMax bounds Elements from above when the count is a range
	// (Elements is then its minimum); -1 without a bound.
	ElementsMax int64
	// ExpiryKnown is false when a command left the expiry unknown.
	ExpiryKnown bool
}

// DirResult says what the listing of a data directory rests on.
type DirResult struct {
	Mode string `json:"mode"`
	// ModeFrom is "config", "directory", or "asked" (DirOptions.Mode).
	ModeFrom string `json:"mode_from"`
	// Base is the file the start loads first (relative to the data
	// directory), BaseFormat "rdb", "resp" or "none".
	Base       string   `json:"base,omitempty"`
	BaseFormat string   `json:"base_format"`
	Incr       []string `json:"incr"`
	AtMs       int64    `json:"at_ms"`
	// BaseKeys counts the base's keys; Expired those not served because
	// their expiry passed at AtMs; Removed the base's keys the incr files
	// delete or flush; Added keys the incr files create; Written base keys
	// they rewrite; Uncertain keys that may or may not exist.
	BaseKeys  int64 `json:"base_keys"`
	Expired   int64 `json:"expired"`
	Removed   int64 `json:"removed"`
	Added     int64 `json:"added"`
	Written   int64 `json:"written"`
	Uncertain int64 `json:"uncertain"`
	// Skipped counts empty collections the loader drops.
	Skipped int64 `json:"skipped,omitempty"`
	Listed  int64 `json:"listed"`
	// Unbounded lists databases whose keys unknown commands may have
	// changed beyond what is listed.
	Unbounded []int          `json:"unbounded_dbs,omitempty"`
	Replay    *replay.Result `json:"replay,omitempty"`
	Findings  finding.List   `json:"findings"`
	// BaseReport is the base's verification.
	BaseReport *rdbinspect.Report `json:"-"`
}

// aofOn decides the mode as the contract says: the configuration's, else
// what the directory shows (an AOF manifest means appendonly yes).
func aofOn(d *datadir.Dir) (bool, string) {
	if a := d.Config.AppendOnly; a != nil {
		return *a, "config"
	}
	if hasManifest(d) {
		return true, "directory"
	}
	if legacyAOF(d) != "" && d.Snapshot.Entry(d.Config.DBFilename) == nil {
		return true, "directory"
	}
	return false, "directory"
}

// gone is an error of a listed file that vanished or is not a regular
// file: the manifest's findings report it, the listing goes on without it.
func gone(err error) bool {
	var pe *datadir.PathError
	return errors.As(err, &pe) && (errors.Is(pe.Err, datadir.ErrVanished) || errors.Is(pe.Err, datadir.ErrNotRegular))
}

func hasManifest(d *datadir.Dir) bool { return d.Manifest != nil && d.Manifest.Manifest != nil }

// legacyAOF is the single-file appendonly.aof of Redis 6.2 and older in
// the data directory, which a 7.x start with AOF on and no manifest loads
// (and upgrades); "" when there is none.
func legacyAOF(d *datadir.Dir) string {
	if e := d.Snapshot.Entry(d.Snapshot.AppendFilename); e != nil {
		return e.Path
	}
	return ""
}

// part is one file of the load, opened.
type part struct {
	rel  string
	f    *datadir.File
	from int64 // where its commands start (after an RDB preamble)
	upTo int64 // where the server stops loading it
}

// ListDir lists the keys the next start of the server configured by d
// loads, calling emit once per key (the Entry is reused). Base keys the
// incr files do not touch are emitted as the base walk reaches them; keys
// the incr files wrote follow at the end.
func ListDir(ctx context.Context, d *datadir.Dir, opt DirOptions, emit func(*Entry)) (*DirResult, error) {
	res := &DirResult{Incr: []string{}, AtMs: opt.At, Findings: finding.List{}, BaseFormat: "none"}
	on, from := aofOn(d)
	if opt.Mode != "" {
		on, from = opt.Mode == ModeAOFOn, "asked"
	}
	res.Mode, res.ModeFrom = ModeAOFOff, from
	var baseRel, baseRole string
	var incrs []datadir.Part
	if on {
		res.Mode = ModeAOFOn
		if !hasManifest(d) && legacyAOF(d) != "" {
			baseRel, baseRole = legacyAOF(d), "legacy"
		}
		for _, p := range d.AOFParts() {
			switch p.Role {
			case "base", "legacy":
				if baseRel == "" {
					baseRel, baseRole = p.Path, p.Role
				}
			case "incr":
				incrs = append(incrs, p)
			}
		}
	} else if d.Snapshot.Entry(d.Config.DBFilename) != nil {
		baseRel, baseRole = d.Config.DBFilename, "dump"
	}
	var files []*part
	defer func() {
		for _, p := range files {
			if p.f != nil {
				p.f.Close()
			}
		}
	}()
	var base *datadir.File
	if on && hasManifest(d) {
		// A manifest the loader refuses, or files it lists that are
		// missing, stop the start: the keys listed are what the files hold.
		for _, f := range d.Manifest.Findings {
			if f.Severity == finding.Error {
				res.Findings = append(res.Findings, f)
			}
		}
	}
	if baseRel != "" {
		f, err := d.Open(baseRel)
		switch {
		case gone(err):
			f = nil
		case err != nil:
			return nil, err
		}
		base = f
	}
	if base != nil {
		f := base
		res.Base = baseRel
		files = append(files, &part{rel: baseRel, f: f})
		var head [5]byte
		n, _ := f.ReaderAt().ReadAt(head[:], 0)
		switch {
		case n == 5 && (bytes.Equal(head[:], []byte("REDIS")) || bytes.Equal(head[:], []byte("VALKE"))):
			res.BaseFormat = "rdb"
		case f.Size == 0:
			res.BaseFormat = "none"
		default:
			res.BaseFormat = "resp"
		}
	}
	// The commands: a RESP base, the RESP tail of a legacy file after its
	// preamble, then the incr files.
	var cmdFiles []*part
	if res.BaseFormat == "resp" {
		cmdFiles = append(cmdFiles, files[0])
	}
	if res.BaseFormat == "rdb" && baseRole == "legacy" {
		rep := rdbinspect.Verify(ctx, base.ReaderAt(), base.Size, rdbinspect.Options{Path: baseRel, AOFPreamble: true})
		if rep.Complete && rep.RDBEnd < base.Size {
			cmdFiles = append(cmdFiles, &part{rel: baseRel, f: base, from: rep.RDBEnd})
		}
	}
	for _, p := range incrs {
		f, err := d.Open(p.Path)
		if gone(err) {
			continue // the manifest's findings say the start refuses
		}
		if err != nil {
			return nil, err
		}
		np := &part{rel: p.Path, f: f}
		files = append(files, np)
		cmdFiles = append(cmdFiles, np)
		res.Incr = append(res.Incr, p.Path)
	}
	// Each command file is checked first: the server loads it up to the
	// last complete command (a torn tail of the last file), and a damaged
	// file is a finding.
	for i, p := range cmdFiles {
		r := io.NewSectionReader(p.f.ReaderAt(), p.from, p.f.Size-p.from)
		// Sizes and offsets are the file's: the reader starts at p.from.
		rep := aofinspect.Scan(ctx, r, p.f.Size, aofinspect.Options{Path: p.rel, NotLast: i < len(cmdFiles)-1, BaseOffset: p.from})
		res.Findings = append(res.Findings, rep.Findings...)
		p.upTo = rep.OKUpTo
	}
	m := replay.New(replay.Options{At: opt.At, Window: opt.Window, Databases: d.Config.Databases})
	pass := func(apply bool) error {
		for i, p := range cmdFiles {
			r := io.NewSectionReader(p.f.ReaderAt(), p.from, p.f.Size-p.from)
			s := aofinspect.NewScanner(r, aofinspect.Options{Size: p.f.Size, Args: aofinspect.DefaultArgLimits, BaseOffset: p.from})
			for s.Next() {
				c := s.Command()
				if c.End > p.upTo {
					break
				}
				if c.Kind != aofinspect.KindCommand {
					continue
				}
				if apply {
					m.Apply(replay.FromAOF(i+1, c))
				} else {
					m.Touch(replay.FromAOF(i+1, c))
				}
			}
			m.EndFile()
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		return nil
	}
	if err := pass(false); err != nil {
		return nil, err
	}
	origins := m.Origins()
	finalDB := func(db uint64) int {
		for f, o := range origins {
			if o >= 0 && uint64(o) == db {
				return f
			}
		}
		if db >= uint64(len(origins)) {
			return int(min(db, 1<<31))
		}
		return -1
	}
	e := &Entry{}
	kept := map[string]*rdbinspect.Key{}
	var b *Base
	if res.BaseFormat == "rdb" {
		v := &rdbinspect.Visitor{Digest: opt.Digest, At: opt.At, Window: opt.Window, KeyName: opt.KeyName}
		v.Key = func(k *rdbinspect.Key) {
			res.BaseKeys++
			fdb := finalDB(k.DB)
			if fdb < 0 {
				res.Removed++
				return
			}
			if k.NameLen == uint64(len(k.Name)) && k.DB < uint64(len(origins)) && m.Wants(int(k.DB), k.Name) {
				c := *k
				c.Name = append([]byte(nil), k.Name...)
				c.Members, c.Scores = nil, nil
				kept[string(b.mapKey(int(k.DB), k.Name))] = &c
				return
			}
			if k.ExpireAt != rdbinspect.NoExpiry && k.ExpireAt <= opt.At {
				res.Expired++
				return
			}
			if k.Skipped {
				res.Skipped++
				return
			}
			*e = Entry{Key: *k, Exists: replay.Present, ElementsMax: k.Elements, ExpiryKnown: true}
			e.DB = uint64(fdb)
			res.Listed++
			emit(e)
		}
		b = NewBase(v, m.Wants)
		rep := rdbinspect.Verify(ctx, base.ReaderAt(), base.Size, rdbinspect.Options{Path: baseRel, Visit: v, Target: opt.Target, AOFPreamble: baseRole == "legacy", Databases: d.Config.Databases})
		if rep.Err != nil {
			return nil, fmt.Errorf("%s: %w", baseRel, rep.Err)
		}
		res.BaseReport = rep
		res.Findings = append(res.Findings, rep.Findings...)
		m.SetBase(b)
	} else {
		m.SetBase(nil)
	}
	if err := pass(true); err != nil {
		return nil, err
	}
	var kbuf []byte
	m.Final(func(ks replay.KeyState) bool {
		var had *rdbinspect.Key
		if o := origins[ks.DB]; o >= 0 {
			kbuf = appendMapKey(kbuf[:0], o, ks.Key)
			had = kept[string(kbuf)]
		}
		if !ks.Written {
			if had != nil {
				if had.ExpireAt != rdbinspect.NoExpiry && had.ExpireAt <= opt.At {
					res.Expired++
					return true
				}
				*e = Entry{Key: *had, Exists: replay.Present, ElementsMax: had.Elements, ExpiryKnown: true}
				e.DB = uint64(ks.DB)
				res.Listed++
				emit(e)
			}
			return true
		}
		if ks.Exists == replay.Absent {
			if had != nil {
				res.Removed++
			}
			return true
		}
		if ks.ExpireKnown && ks.ExpireAt != rdbinspect.NoExpiry && ks.ExpireAt <= opt.At {
			res.Expired++
			return true
		}
		*e = Entry{Written: true, Exists: ks.Exists, ExpiryKnown: ks.ExpireKnown, ElementsMax: ks.LenMax}
		e.Key = rdbinspect.Key{DB: uint64(ks.DB), Name: ks.Key, NameLen: uint64(len(ks.Key)), Type: ks.Type.String(),
			ExpireAt: ks.ExpireAt, Elements: ks.LenMin, Size: -1, Offset: -1, Memory: -1, RDBType: -1}
		if !ks.ExpireKnown {
			e.ExpireAt = rdbinspect.NoExpiry
		}
		if had != nil {
			res.Written++
		} else {
			res.Added++
		}
		if ks.Exists == replay.Maybe {
			res.Uncertain++
		}
		res.Listed++
		emit(e)
		return true
	})
	res.Replay = m.Result()
	res.Unbounded = m.Unbounded()
	return res, nil
}

func appendMapKey(b []byte, db int, key []byte) []byte {
	b = append(b, byte(db>>24), byte(db>>16), byte(db>>8), byte(db))
	return append(b, key...)
}
