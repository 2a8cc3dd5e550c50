// Package datadir is aoftool's one front door to a Redis data directory:
// every command and the post-mortem turn a path into what the server would
// see through it. It owns the server's configuration (redis.conf and the
// name flags, else the defaults, else what the directory shows), what kind
// of input a path is, the one listing of the directory (a snapshot) and the
// manifest read from it, which files the server reads at start and in
// which order, and the opening of every inspected file through
// internal/ropen with its size fixed at open, so that a file that vanished,
// grew, was replaced or cannot be read is reported the same way everywhere.
//
// Nothing here writes: outputs go through internal/wopen.
package datadir

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aoftool/aoftool/finding"
	"github.com/aoftool/aoftool/internal/ropen"
	"github.com/aoftool/aoftool/manifest"
	"github.com/aoftool/aoftool/rdbinspect"
	"github.com/aoftool/aoftool/snapshot"
)

// Options say how to read the directory.
type Options struct {
	// FollowSymlinks reads through symbolic links, as the server does; by
	// default a link is reported and a file the start needs behind one is
	// an input aoftool cannot read as asked.
	FollowSymlinks bool
	// ServerStopped says no server writes the directory (a copy, or a dead
	// server): no file is being written, an incomplete last command is torn.
	ServerStopped bool
	// Now is the command's clock: the moment the listing is stamped with.
	Now time.Time
	// MetadataOnly lists names and stat data only (the watcher's fast path).
	MetadataOnly bool
}

// Dir is a data directory as the server would meet it at start.
type Dir struct {
	// Arg is the path as given; Root the data directory it led to.
	Arg  string
	Root string
	// Config is the server's configuration, with discovered names filled in.
	Config Config
	Opt    Options
	// Snapshot is the one listing every answer is drawn from.
	Snapshot *snapshot.Snapshot
	// Manifest is the manifest as the loader reads it, checked against the
	// AOF directory.
	Manifest *manifest.Report
	// Notes say how the input was understood: a parent used, names
	// discovered.
	Notes finding.List
}

// Open reads the data directory at arg (a data dir, its AOF directory, or
// a manifest in it) as the server configured by cfg would. Errors are
// inputs aoftool cannot read as asked (*PathError, *UnreadableError, or a
// file where a directory is meant); everything the server would refuse is
// a finding, not an error.
func Open(arg string, cfg Config, opt Options) (*Dir, error) {
	if arg == "" {
		arg = cfg.Dir
	}
	if arg == "" {
		return nil, errors.New("no data directory: give DIR, or --config with a dir directive")
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	d := &Dir{Arg: arg, Config: cfg, Opt: opt, Notes: finding.List{}}
	in, err := Identify(arg, opt.FollowSymlinks)
	if err != nil {
		return nil, err
	}
	var rootList []fs.DirEntry
	switch in.Kind {
	case InputDataDir:
		ents, err := readDir(arg)
		if err != nil {
			return nil, err
		}
		if adir, ok := d.appendDirGiven(arg, ents); ok {
			d.useParent(arg, adir, "the AOF directory")
		} else {
			d.Root, rootList = arg, ents
		}
	case InputManifest:
		adir := filepath.Dir(arg)
		if af, ok := manifest.AppendFilenameOf(filepath.Base(arg)); ok && !d.Config.Told("appendfilename") {
			d.setName("appendfilename", af, OriginDiscovered)
		}
		d.useParent(arg, adir, "the manifest")
	default:
		return nil, WrongKind(in, "a data directory")
	}
	if rootList == nil {
		if rootList, err = readDir(d.Root); err != nil {
			return nil, err
		}
	}
	d.discoverNames(rootList)
	snap, err := snapshot.Capture(d.Root, snapshot.Options{
		DBFilename: d.Config.DBFilename, AppendDirName: d.Config.AppendDirName, AppendFilename: d.Config.AppendFilename,
		FollowSymlinks: opt.FollowSymlinks, Clock: func() time.Time { return opt.Now }, MetadataOnly: opt.MetadataOnly,
		RootListing: rootList,
	})
	if err != nil {
		return nil, &PathError{Path: d.Root, Err: explain(d.Root, unwrapPath(err))}
	}
	d.Snapshot = snap
	d.discoverAppendFilename()
	if err := d.unreadable(); err != nil {
		return nil, err
	}
	if !opt.MetadataOnly {
		d.Manifest = manifest.Evaluate(d.layout(), facts{d})
	}
	d.Notes.Sort()
	return d, nil
}

// WrongKind is the error for an input of the wrong kind: it says what the
// path is and which command reads it.
func WrongKind(in *Input, want string) error {
	use := ""
	switch in.Kind {
	case InputRDB:
		use = "aoftool rdb"
	case InputAOF:
		use = "aoftool aof"
	case InputManifest:
		use = "aoftool manifest"
	case InputDataDir, InputAppendDir:
		use = "aoftool check"
	case InputSnapshot:
		use = "aoftool phase or aoftool diff"
	}
	msg := fmt.Sprintf("this is %s, not %s", in.Describe(), want)
	if use != "" {
		msg += ": use " + use + " " + in.Path
	}
	return &PathError{Path: in.Path, Err: errors.New(msg)}
}

func readDir(dir string) ([]fs.DirEntry, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, &PathError{Path: dir, Err: explain(dir, unwrapPath(err))}
	}
	return ents, nil
}

// appendDirGiven decides whether a directory given where a data dir is
// meant is an AOF directory: it holds no data-dir artifact of its own, and
// carries the appenddirname or holds a manifest or AOF parts.
func (d *Dir) appendDirGiven(dir string, ents []fs.DirEntry) (string, bool) {
	hasAOF := false
	for _, e := range ents {
		n := e.Name()
		if n == d.Config.AppendDirName || n == d.Config.DBFilename {
			return "", false
		}
		if info := snapshot.DecodeName(n, e.IsDir(), false, d.names()); info.Kind == snapshot.KindManifest || info.Kind == snapshot.KindBaseRDB ||
			info.Kind == snapshot.KindBaseAOF || info.Kind == snapshot.KindIncr {
			hasAOF = true
		}
	}
	clean := filepath.Clean(dir)
	if filepath.Base(clean) == d.Config.AppendDirName || hasAOF {
		return clean, true
	}
	return "", false
}

// useParent makes the parent of an AOF directory the data dir, and says so.
func (d *Dir) useParent(arg, adir, what string) {
	adir = filepath.Clean(adir)
	d.Root = filepath.Dir(adir)
	if base := filepath.Base(adir); base != d.Config.AppendDirName {
		if d.Config.Told("appenddirname") {
			d.Notes = append(d.Notes, finding.New(finding.DataDirNameDiscovered, base,
				"%s is in %s, not in the configured appenddirname %s; it was read as the AOF directory", arg, base, d.Config.AppendDirName))
		}
		d.setName("appenddirname", base, OriginDiscovered)
	}
	d.Notes = append(d.Notes, finding.New(finding.DataDirParentUsed, "",
		"%s is %s; its data directory %s was inspected (dump.rdb, temp files and the AOF directory together)", arg, what, d.Root))
}

func (d *Dir) setName(name, v string, o Origin) {
	_ = d.Config.Set(name, []string{v}, o)
}

func (d *Dir) names() snapshot.Names {
	return snapshot.Names{DBFilename: d.Config.DBFilename, AppendDirName: d.Config.AppendDirName, AppendFilename: d.Config.AppendFilename}
}

// maxDiscoveryDirs bounds the subdirectories looked into for a manifest.
const maxDiscoveryDirs = 32

// discoverNames finds the server's file names when they were not given and
// the defaults are absent: the only RDB file, the only directory holding a
// manifest or AOF parts. A single candidate is used; either way a warning
// names the flag that says it.
func (d *Dir) discoverNames(ents []fs.DirEntry) {
	present := map[string]fs.DirEntry{}
	for _, e := range ents {
		present[e.Name()] = e
	}
	if _, ok := present[d.Config.AppendDirName]; !ok && !d.Config.Told("appenddirname") {
		var cands []string
		looked := 0
		for _, e := range ents {
			if !e.IsDir() || looked == maxDiscoveryDirs {
				continue
			}
			looked++
			if holdsAOF(filepath.Join(d.Root, e.Name())) {
				cands = append(cands, e.Name())
			}
		}
		d.pick("appenddirname", "--appenddirname", cands, "a directory holding an AOF manifest or AOF parts")
	}
	if _, ok := present[d.Config.DBFilename]; !ok && !d.Config.Told("dbfilename") {
		var cands []string
		for _, e := range ents {
			if !e.Type().IsRegular() {
				continue
			}
			if snapshot.DecodeName(e.Name(), false, true, d.names()).Kind != snapshot.KindUnknown {
				continue
			}
			if isRDB(filepath.Join(d.Root, e.Name())) {
				cands = append(cands, e.Name())
			}
		}
		d.pick("dbfilename", "--dbfilename", cands, "an RDB file")
	}
}

// pick uses the only candidate for a name and warns; with several it warns
// and uses none.
func (d *Dir) pick(name, flag string, cands []string, what string) {
	def := d.Config.AppendDirName
	if name == "dbfilename" {
		def = d.Config.DBFilename
	}
	switch len(cands) {
	case 0:
	case 1:
		d.Notes = append(d.Notes, finding.New(finding.DataDirNameDiscovered, cands[0],
			"%s is absent and %s is the only %s here: it was read as the server's %s", def, cands[0], what, name).
			WithHint("pass %s %s (or --config with the server's redis.conf) to say so", flag, cands[0]))
		d.setName(name, cands[0], OriginDiscovered)
	default:
		sort.Strings(cands)
		d.Notes = append(d.Notes, finding.New(finding.DataDirNameDiscovered, "",
			"%s is absent and %d candidates could be the server's %s (%s); none was used", def, len(cands), name, strings.Join(cands, ", ")).
			WithHint("pass %s NAME (or --config with the server's redis.conf) to say which", flag))
	}
}

func holdsAOF(dir string) bool {
	f, err := os.Open(dir)
	if err != nil {
		return false
	}
	defer f.Close()
	names, _ := f.Readdirnames(256)
	for _, n := range names {
		switch snapshot.DecodeName(n, false, false, snapshot.DefaultNames()).Kind {
		case snapshot.KindManifest, snapshot.KindBaseRDB, snapshot.KindBaseAOF, snapshot.KindIncr:
			return true
		}
	}
	return false
}

func isRDB(p string) bool {
	f, _, err := ropen.Open(p, false)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, rdbinspect.SniffBytes)
	n, _ := io.ReadFull(f, head)
	return rdbinspect.Sniff(head[:n]) == rdbinspect.ContentRDB
}

// discoverAppendFilename takes <af> from the *.manifest files of the AOF
// directory when it was not given: the default's if present, else the only
// one (several servers may share a directory).
func (d *Dir) discoverAppendFilename() {
	var afs []string
	for _, e := range d.Snapshot.Entries {
		if e.Kind == snapshot.KindManifest && e.Dir == d.Config.AppendDirName {
			afs = append(afs, e.AppendFilename)
		}
	}
	sort.Strings(afs)
	if d.Config.Told("appendfilename") || len(afs) == 0 {
		return
	}
	for _, af := range afs {
		if af == d.Config.AppendFilename {
			return
		}
	}
	d.setName("appendfilename", afs[0], OriginDiscovered)
	f := finding.New(finding.DataDirNameDiscovered, path.Join(d.Config.AppendDirName, manifest.ManifestName(afs[0])),
		"%s is absent; the manifest of appendfilename %s was read", manifest.ManifestName(DefaultAppendFilename), afs[0]).
		WithHint("pass --appendfilename %s (or --config with the server's redis.conf) to say so", afs[0])
	if len(afs) == 1 {
		f = f.As(finding.Info)
	}
	d.Notes = append(d.Notes, f)
	d.Snapshot.Rename(d.names())
}

// unreadable turns what the listing could not read into one error naming
// every path: an AOF directory that cannot be listed, an artifact whose
// first bytes cannot be read, a link the start needs that was not followed.
func (d *Dir) unreadable() error {
	var errs []*PathError
	seen := map[string]bool{}
	add := func(rel string, err error, hint string) {
		if seen[rel] {
			return
		}
		seen[rel] = true
		errs = append(errs, &PathError{Path: filepath.Join(d.Root, filepath.FromSlash(rel)), Err: err, Hint: hint})
	}
	for _, f := range d.Snapshot.Findings {
		if f.Code == finding.InputUnreadable || f.Code == finding.SnapshotHeaderUnread {
			e := d.Snapshot.Entry(f.Path)
			if e != nil && e.Kind == snapshot.KindUnknown {
				continue
			}
			p := filepath.Join(d.Root, filepath.FromSlash(f.Path))
			add(f.Path, explain(p, accessError(p)), "")
		}
	}
	if !d.Opt.FollowSymlinks {
		for i := range d.Snapshot.Entries {
			e := &d.Snapshot.Entries[i]
			if e.Type == snapshot.TypeSymlink && e.TargetType != snapshot.TypeBroken && e.TargetType != snapshot.TypeLoop && d.readAtStart(e) {
				add(e.Path, fmt.Errorf("is a symbolic link to %s, which Redis follows", e.LinkTarget), "pass --follow-symlinks to read it as Redis would")
			}
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return &UnreadableError{Paths: errs}
}

// accessError finds why a path cannot be read, for the message.
func accessError(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return unwrapPath(err)
	}
	if fi.IsDir() {
		f, err := os.Open(p)
		if err == nil {
			_, err = f.Readdirnames(1)
			f.Close()
		}
		if err != nil && err != io.EOF {
			return unwrapPath(err)
		}
		return errors.New("cannot be listed")
	}
	f, _, err := ropen.Open(p, true)
	if err != nil {
		return unwrapPath(err)
	}
	f.Close()
	return errors.New("cannot be read")
}

// readAtStart says whether the server reads the entry's name at start in
// either mode: the dump, the AOF directory, its manifest and parts, a
// legacy AOF.
func (d *Dir) readAtStart(e *snapshot.Entry) bool {
	switch e.Kind {
	case snapshot.KindDump, snapshot.KindAppendOnlyDir, snapshot.KindLegacyAOF:
		return true
	case snapshot.KindManifest, snapshot.KindBaseRDB, snapshot.KindBaseAOF, snapshot.KindIncr:
		return e.Dir == d.Config.AppendDirName && e.AppendFilename == d.Config.AppendFilename
	}
	return false
}

// NotesForAOFInput are the notes for a command that takes an AOF directory
// or a manifest as a first-class input (manifest, aof): using the parent is
// no news there.
func (d *Dir) NotesForAOFInput() finding.List {
	out := finding.List{}
	for _, f := range d.Notes {
		if f.Code != finding.DataDirParentUsed {
			out = append(out, f)
		}
	}
	return out
}

// CaptureOptions are the options a new capture of the same directory
// takes (a watcher capturing it again and again).
func (d *Dir) CaptureOptions(now func() time.Time) snapshot.Options {
	return snapshot.Options{DBFilename: d.Config.DBFilename, AppendDirName: d.Config.AppendDirName, AppendFilename: d.Config.AppendFilename,
		FollowSymlinks: d.Opt.FollowSymlinks, Clock: now}
}

// Path is the on-disk path of a file named relative to the data dir.
func (d *Dir) Path(rel string) string { return filepath.Join(d.Root, filepath.FromSlash(rel)) }

// AppendDirRel is the AOF directory relative to the data dir.
func (d *Dir) AppendDirRel() string { return d.Config.AppendDirName }

// Inspected lists the paths aoftool reads, where no output may go.
func (d *Dir) Inspected() []string {
	out := []string{d.Root, d.Path(d.Config.AppendDirName)}
	if d.Arg != d.Root {
		out = append(out, d.Arg)
	}
	return out
}

func (d *Dir) layout() manifest.Layout {
	l := manifest.Layout{Path: d.Arg, DataDir: d.Root, AppendDir: d.Path(d.Config.AppendDirName), AppendFilename: d.Config.AppendFilename}
	for _, e := range d.Snapshot.Entries {
		if e.Kind == snapshot.KindManifest && e.Dir == d.Config.AppendDirName && e.AppendFilename != d.Config.AppendFilename {
			l.OtherManifests = append(l.OtherManifests, e.Name)
		}
	}
	sort.Strings(l.OtherManifests)
	return l
}

// facts answers the manifest inspector from the listing.
type facts struct{ d *Dir }

func (f facts) entry(rel string) manifest.FileFacts {
	e := f.d.Snapshot.Entry(rel)
	if e == nil {
		return manifest.FileFacts{}
	}
	ff := manifest.FileFacts{Exists: true, Symlink: e.Type == snapshot.TypeSymlink, Size: e.Size, MTime: e.MTime}
	switch e.Effective() {
	case snapshot.TypeFile:
		ff.Mode = 0
	case snapshot.TypeDir:
		ff.Mode = fs.ModeDir
	case snapshot.TypeFIFO:
		ff.Mode = fs.ModeNamedPipe
	case snapshot.TypeSocket:
		ff.Mode = fs.ModeSocket
	case snapshot.TypeDevice:
		ff.Mode = fs.ModeDevice
	case snapshot.TypeBroken, snapshot.TypeLoop:
		ff.Broken = true
	default:
		ff.Mode = fs.ModeIrregular
	}
	switch {
	case ff.Symlink && !f.d.Opt.FollowSymlinks:
		ff.Content = manifest.ContentNotOpened
	case e.Content == snapshot.ContentUnread:
		ff.Content = manifest.ContentUnreadable
	default:
		ff.Content = string(e.Content)
		ff.HasData = e.Content == snapshot.ContentRESP || e.Content == snapshot.ContentRDB && (e.RDB == nil || e.RDB.EmptyDataset == nil || !*e.RDB.EmptyDataset)
	}
	return ff
}

func (f facts) AppendDir() manifest.FileFacts { return f.entry(f.d.Config.AppendDirName) }

func (f facts) Names() []string {
	var out []string
	for _, e := range f.d.Snapshot.Entries {
		if e.Dir == f.d.Config.AppendDirName {
			out = append(out, e.Name)
		}
	}
	return out
}

func (f facts) Part(name string) manifest.FileFacts {
	return f.entry(path.Join(f.d.Config.AppendDirName, name))
}

func (f facts) Legacy(name string) manifest.FileFacts { return f.entry(name) }

func (f facts) Manifest() (*manifest.Manifest, finding.List) {
	p := path.Join(f.d.Config.AppendDirName, manifest.ManifestName(f.d.Config.AppendFilename))
	for _, m := range f.d.Snapshot.Manifests {
		if m.Path == p && m.Parsed != nil {
			return m.Parsed, m.Findings
		}
	}
	return nil, nil
}
