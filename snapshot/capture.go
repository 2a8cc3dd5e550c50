package snapshot

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/aoftool/aoftool/finding"
	"github.com/aoftool/aoftool/internal/ropen"
	"github.com/aoftool/aoftool/rdbinspect"
)

// Options configure Capture. Zero values mean Redis's defaults.
type Options struct {
	// AppendDirName, AppendFilename and DBFilename are the server's
	// appenddirname, appendfilename and dbfilename.
	AppendDirName  string
	AppendFilename string
	DBFilename     string
	// FollowSymlinks makes Capture read through symbolic links; by default
	// a link is recorded with its target and never opened.
	FollowSymlinks bool
	// Clock stamps TakenAt; time.Now when nil. Tests fix it.
	Clock func() time.Time
	// MetadataOnly skips every content read (headers, tails, manifests):
	// the watcher's fast path between full captures.
	MetadataOnly bool
	// MaxEntries bounds the entries recorded per directory (default 100000);
	// a data dir with more is not a data dir Redis made.
	MaxEntries int
	// RootListing, when set, is the data dir's listing already read by the
	// caller, so the directory is listed once per command.
	RootListing []fs.DirEntry
}

func (o Options) names() Names {
	return Names{DBFilename: o.DBFilename, AppendDirName: o.AppendDirName, AppendFilename: o.AppendFilename}.withDefaults()
}

// headerBytes is how much of each regular file is read to recognise its
// content; an RDB header summary reads more through rdbHeader.
const headerBytes = rdbinspect.SniffBytes

// maxManifestBytes bounds a manifest read. Redis writes 44 bytes per line
// with default names; even thousands of history lines stay far below.
const maxManifestBytes = 4 << 20

// Capture records dataDir and its appendonlydir. It reads stat data, the
// first bytes of each regular file, RDB headers and tails, and manifests;
// never a whole data file. Entries that vanish between readdir and stat (a
// live server renames temp files) are skipped with an
// input-changed-while-reading finding. The error is non-nil only when
// dataDir itself cannot be read.
func Capture(dataDir string, opt Options) (*Snapshot, error) {
	n := opt.names()
	clock := opt.Clock
	if clock == nil {
		clock = time.Now
	}
	fi, err := os.Stat(dataDir)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s: not a directory", dataDir)
	}
	c := &capturer{opt: opt, names: n, root: dataDir}
	c.snap = &Snapshot{
		Schema:         SchemaVersion,
		TakenAt:        clock().UTC(),
		Root:           dataDir,
		Source:         SourceDir,
		DBFilename:     n.DBFilename,
		AppendDirName:  n.AppendDirName,
		AppendFilename: n.AppendFilename,
		Entries:        []Entry{},
		Findings:       finding.List{},
	}
	if li, err := os.Lstat(dataDir); err == nil {
		c.snap.RootDir = rootEntry(entryFromInfo(".", li))
	}
	var st unix.Statfs_t
	if err := unix.Statfs(dataDir, &st); err == nil {
		c.snap.Volume = &Volume{FreeBytes: int64(st.Bavail) * int64(st.Bsize), TotalBytes: int64(st.Blocks) * int64(st.Bsize)}
	}
	if err := c.readDir(""); err != nil {
		return nil, err
	}
	sort.Slice(c.snap.Entries, func(i, j int) bool { return c.snap.Entries[i].Path < c.snap.Entries[j].Path })
	if !opt.MetadataOnly {
		c.readManifests()
	}
	finishSnapshot(c.snap)
	c.snap.BytesRead = c.read.Load()
	return c.snap, nil
}

type capturer struct {
	opt   Options
	names Names
	root  string
	snap  *Snapshot
	read  atomic.Int64
}

func (c *capturer) abs(rel string) string { return filepath.Join(c.root, filepath.FromSlash(rel)) }

func (c *capturer) readDir(rel string) error {
	var des []fs.DirEntry
	var err error
	if rel == "" && c.opt.RootListing != nil {
		des = c.opt.RootListing
	} else {
		des, err = os.ReadDir(c.abs(rel))
	}
	if err != nil {
		if rel == "" {
			return err
		}
		c.snap.Findings = append(c.snap.Findings, finding.New(finding.InputUnreadable, rel, "cannot read directory: %v", err))
		return nil
	}
	max := c.opt.MaxEntries
	if max <= 0 {
		max = 100000
	}
	if len(des) > max {
		c.snap.Findings = append(c.snap.Findings, finding.New(finding.SnapshotTooManyEntries, rel, "%d entries, only the first %d recorded", len(des), max))
		des = des[:max]
	}
	for _, de := range des {
		p := path.Join(rel, de.Name())
		e, ok := c.statEntry(p)
		if !ok {
			continue
		}
		e.applyName(rel == "", c.names)
		c.noteType(e)
		if e.Kind == KindAppendOnlyDir && (e.Type == TypeDir || (e.Type == TypeSymlink && c.opt.FollowSymlinks && c.targetIsDir(p))) {
			c.snap.Entries = append(c.snap.Entries, *e)
			if err := c.readDir(p); err != nil {
				return err
			}
			continue
		}
		if !c.opt.MetadataOnly {
			c.readContent(e)
		}
		c.snap.Entries = append(c.snap.Entries, *e)
	}
	return nil
}

func (c *capturer) targetIsDir(p string) bool {
	fi, err := os.Stat(c.abs(p))
	return err == nil && fi.IsDir()
}

// statEntry lstats one entry; a vanished entry is a finding, not an error.
func (c *capturer) statEntry(p string) (*Entry, bool) {
	fi, err := os.Lstat(c.abs(p))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			c.snap.Findings = append(c.snap.Findings, finding.New(finding.InputChanged, p, "vanished between reading the directory and stat (renamed or removed by the server)"))
		} else {
			c.snap.Findings = append(c.snap.Findings, finding.New(finding.InputUnreadable, p, "cannot stat: %v", err))
		}
		return nil, false
	}
	e := entryFromInfo(p, fi)
	if e.Type == TypeSymlink {
		if t, err := os.Readlink(c.abs(p)); err == nil {
			e.LinkTarget = t
		}
		// The target's type decides what the server does with the name
		// (a dangling manifest link reads as missing); a stat reads no
		// content, so it is taken whether or not links are followed.
		ti, err := os.Stat(c.abs(p))
		switch {
		case errors.Is(err, syscall.ELOOP):
			e.TargetType = TypeLoop
		case err != nil:
			e.TargetType = TypeBroken
		default:
			e.TargetType = typeOf(ti.Mode())
			if c.opt.FollowSymlinks && !ti.IsDir() {
				e.Size, e.SizeMin, e.SizeMax = ti.Size(), ti.Size(), ti.Size()
				e.MTime = ti.ModTime().UTC()
			}
		}
	}
	return e, true
}

func entryFromInfo(p string, fi fs.FileInfo) *Entry {
	dir, name := path.Split(p)
	e := &Entry{
		Path: p, Dir: path.Clean("/" + dir)[1:], Name: name,
		Type: typeOf(fi.Mode()), Size: fi.Size(), SizeExact: true, SizeMin: fi.Size(), SizeMax: fi.Size(),
		Mode: lsMode(fi.Mode()), Perm: uint32(fi.Mode().Perm()),
		MTime:   fi.ModTime().UTC(),
		Content: ContentUnread,
		Known:   Known{Inode: true, CTime: true, Size: true},
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		e.Inode = st.Ino
		e.Device = uint64(st.Dev)
		e.Links = uint64(st.Nlink)
		ct := time.Unix(st.Ctim.Sec, st.Ctim.Nsec).UTC()
		e.CTime = &ct
	}
	return e
}

// rootEntry makes e the entry of the data directory itself.
func rootEntry(e *Entry) *Entry {
	e.Path, e.Dir, e.Name, e.Kind = ".", "", ".", KindUnknown
	return e
}

func typeOf(m fs.FileMode) FileType {
	switch {
	case m.IsRegular():
		return TypeFile
	case m.IsDir():
		return TypeDir
	case m&fs.ModeSymlink != 0:
		return TypeSymlink
	case m&fs.ModeNamedPipe != 0:
		return TypeFIFO
	case m&fs.ModeSocket != 0:
		return TypeSocket
	case m&fs.ModeDevice != 0:
		return TypeDevice
	}
	return TypeOther
}

// lsMode renders a mode the way ls -l does, so captured and listed
// snapshots compare equal.
func lsMode(m fs.FileMode) string {
	b := []byte("----------")
	switch {
	case m.IsDir():
		b[0] = 'd'
	case m&fs.ModeSymlink != 0:
		b[0] = 'l'
	case m&fs.ModeNamedPipe != 0:
		b[0] = 'p'
	case m&fs.ModeSocket != 0:
		b[0] = 's'
	case m&fs.ModeCharDevice != 0:
		b[0] = 'c'
	case m&fs.ModeDevice != 0:
		b[0] = 'b'
	}
	const rwx = "rwxrwxrwx"
	for i := 0; i < 9; i++ {
		if m&(1<<uint(8-i)) != 0 {
			b[1+i] = rwx[i]
		}
	}
	if m&fs.ModeSetuid != 0 {
		b[3] = setBit(b[3], 's', 'S')
	}
	if m&fs.ModeSetgid != 0 {
		b[6] = setBit(b[6], 's', 'S')
	}
	if m&fs.ModeSticky != 0 {
		b[9] = setBit(b[9], 't', 'T')
	}
	return string(b)
}

func setBit(c byte, withX, withoutX byte) byte {
	if c == 'x' {
		return withX
	}
	return withoutX
}

// noteType raises the findings for artifacts that are not regular files.
func (c *capturer) noteType(e *Entry) {
	if e.Kind == KindUnknown || (e.Kind == KindAppendOnlyDir && e.Type == TypeDir) {
		return
	}
	switch e.Type {
	case TypeFile:
	case TypeSymlink:
		c.snap.Findings = append(c.snap.Findings, finding.New(finding.InputSymlink, e.Path, "%s is a symbolic link to %s", e.Kind.Describe(), e.LinkTarget))
	default:
		c.snap.Findings = append(c.snap.Findings, finding.New(finding.InputNotRegular, e.Path, "named like a %s but is a %s; not opened", e.Kind.Describe(), e.Type))
	}
}

// countingReaderAt counts content bytes read, to prove reads stay bounded.
type countingReaderAt struct {
	r io.ReaderAt
	n *atomic.Int64
}

func (c countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	k, err := c.r.ReadAt(p, off)
	c.n.Add(int64(k))
	return k, err
}

func (c *capturer) readContent(e *Entry) {
	// A link is read only when followed and only when it leads to a
	// regular file: a loop or a missing target has no content, which is
	// what the server meets too.
	if e.Type != TypeFile && !(e.Type == TypeSymlink && c.opt.FollowSymlinks && e.TargetType == TypeFile) {
		return
	}
	f, fi, err := ropen.Open(c.abs(e.Path), c.opt.FollowSymlinks)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			c.snap.Findings = append(c.snap.Findings, finding.New(finding.InputChanged, e.Path, "vanished before its header could be read (renamed or removed by the server)"))
		} else if !errors.Is(err, ropen.ErrNotRegular) {
			c.snap.Findings = append(c.snap.Findings, finding.New(finding.SnapshotHeaderUnread, e.Path, "cannot open: %v", err))
		}
		return
	}
	defer f.Close()
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && e.Type == TypeFile && st.Ino != e.Inode {
		c.snap.Findings = append(c.snap.Findings, finding.New(finding.InputChanged, e.Path, "replaced between stat and open (inode %d, now %d); header is the new file's", e.Inode, st.Ino))
	}
	size := fi.Size()
	ra := countingReaderAt{r: f, n: &c.read}
	e.Content, e.RDB = sniff(ra, size)
	e.Known.Content = true
	if e.Content == ContentUnread {
		c.snap.Findings = append(c.snap.Findings, finding.New(finding.SnapshotHeaderUnread, e.Path, "cannot read the first bytes"))
		e.Known.Content = false
	}
}

// sniff decides the content kind from the first bytes and, for RDBs, reads
// the header summary.
func sniff(ra io.ReaderAt, size int64) (ContentKind, *RDBSummary) {
	if size == 0 {
		return ContentEmpty, nil
	}
	buf := make([]byte, headerBytes)
	k, err := ra.ReadAt(buf, 0)
	if k == 0 && err != nil {
		return ContentUnread, nil
	}
	buf = buf[:k]
	c := ContentKind(rdbinspect.Sniff(buf))
	if c == ContentRDB {
		return c, rdbHeader(ra, size)
	}
	return c, nil
}

// readManifests parses every <af>.manifest and attaches each listed file's
// role to its entry.
func (c *capturer) readManifests() {
	for i := range c.snap.Entries {
		e := &c.snap.Entries[i]
		if e.Kind != KindManifest || !(e.Type == TypeFile || e.Type == TypeSymlink && c.opt.FollowSymlinks) {
			continue
		}
		f, _, err := ropen.Open(c.abs(e.Path), c.opt.FollowSymlinks)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				c.snap.Findings = append(c.snap.Findings, finding.New(finding.InputChanged, e.Path, "manifest replaced or removed before it could be read"))
			}
			continue
		}
		r := io.NewSectionReader(countingReaderAt{r: f, n: &c.read}, 0, maxManifestBytes)
		m, _ := parseManifest(r, e.Path)
		f.Close()
		if m == nil {
			continue
		}
		// The loader stops at its first refusal, which a huge manifest
		// usually reaches at once; one that is valid past the bound is not
		// judged from a part.
		if m.Valid && m.Parsed.Bytes >= maxManifestBytes {
			c.snap.Findings = append(c.snap.Findings, finding.New(finding.SnapshotManifestSkipped, e.Path, "%d bytes, more than the %d a manifest read is bounded to", e.Size, maxManifestBytes))
			m.Parsed = nil
		}
		m.Size = e.Size
		m.AppendFilename = e.AppendFilename
		c.snap.Manifests = append(c.snap.Manifests, *m)
	}
}

// Rename decodes every entry's name again with other configured names (an
// appendfilename discovered from the manifests found), without reading the
// directory again.
func (s *Snapshot) Rename(n Names) {
	n = n.withDefaults()
	s.DBFilename, s.AppendDirName, s.AppendFilename = n.DBFilename, n.AppendDirName, n.AppendFilename
	for i := range s.Entries {
		e := &s.Entries[i]
		e.ManifestRole, e.ManifestSeq = "", 0
		e.applyName(e.Dir == "", n)
	}
	finishSnapshot(s)
}

// finishSnapshot links manifests to entries and lists the <af> names seen.
// It runs for captures, listings and loads alike.
func finishSnapshot(s *Snapshot) {
	seen := map[string]bool{}
	for i := range s.Entries {
		e := &s.Entries[i]
		if e.AppendFilename != "" && e.Kind != KindLegacyAOF {
			seen[e.AppendFilename] = true
		}
	}
	for mi := range s.Manifests {
		m := &s.Manifests[mi]
		dir := path.Dir(m.Path)
		if dir == "." {
			dir = ""
		}
		for fi := range m.Files {
			mf := &m.Files[fi]
			p := path.Join(dir, mf.File)
			if e := s.Entry(p); e != nil {
				mf.Exists = true
				e.ManifestRole = mf.Type
				e.ManifestSeq = mf.Seq
			}
		}
	}
	s.AppendFilenames = s.AppendFilenames[:0]
	for af := range seen {
		s.AppendFilenames = append(s.AppendFilenames, af)
	}
	sort.Strings(s.AppendFilenames)
	if len(s.AppendFilenames) == 0 {
		s.AppendFilenames = nil
	}
}
