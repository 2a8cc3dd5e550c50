package datadir

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/aoftool/aoftool/finding"
	"github.com/aoftool/aoftool/internal/ropen"
)

// LiveWindow is how recent a file's last write must be for it to count as
// being written by a running server: a server appends to its last incr
// file, or a job to its temp file, many times a second under load.
const LiveWindow = 10 * time.Second

// File is one inspected file, opened read-only through ropen. Size is fixed
// at open: a live server keeps appending, and only what was there when the
// reading started is judged.
type File struct {
	// Rel names the file in reports: relative to the data dir for files of
	// a Dir, as given for a lone file.
	Rel string
	// Path is where it is on disk.
	Path string
	Size int64
	// MTime is the last write when it was opened.
	MTime time.Time
	info  fs.FileInfo
	f     *os.File
	// now and stopped decide liveness.
	now     time.Time
	stopped bool
}

// ReaderAt reads the file up to the size it had when opened.
func (f *File) ReaderAt() *io.SectionReader { return io.NewSectionReader(f.f, 0, f.Size) }

// Close releases the file.
func (f *File) Close() error { return f.f.Close() }

// ErrVanished is returned for a file renamed or removed between the listing
// and its opening (a live server renames its temp files).
var ErrVanished = errors.New("vanished before it could be read (renamed or removed by the server)")

// ErrNotRegular is returned for a name that is not a regular file (a FIFO,
// a device, a directory); such a file is never opened.
var ErrNotRegular = errors.New("is not a regular file; aoftool never opens one")

// Open opens a file of the directory, named relative to it.
func (d *Dir) Open(rel string) (*File, error) {
	f, err := openFile(d.Path(rel), d.Opt.FollowSymlinks)
	if err != nil {
		return nil, err
	}
	f.Rel, f.now, f.stopped = rel, d.Opt.Now, d.Opt.ServerStopped
	return f, nil
}

// OpenLone opens a file given on its own on the command line.
func OpenLone(p string, opt Options) (*File, error) {
	f, err := openFile(p, opt.FollowSymlinks)
	if err != nil {
		return nil, err
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	f.Rel, f.now, f.stopped = p, opt.Now, opt.ServerStopped
	return f, nil
}

func openFile(p string, follow bool) (*File, error) {
	fh, fi, err := ropen.Open(p, follow)
	switch {
	case err == nil:
		return &File{Path: p, Size: fi.Size(), MTime: fi.ModTime(), info: fi, f: fh}, nil
	case errors.Is(err, fs.ErrNotExist):
		return nil, &PathError{Path: p, Err: ErrVanished}
	case errors.Is(err, ropen.ErrNotRegular) && fi != nil && fi.Mode()&fs.ModeSymlink != 0:
		return nil, &PathError{Path: p, Err: errors.New("is a symbolic link"), Hint: "pass --follow-symlinks to read its target, as Redis would"}
	case errors.Is(err, ropen.ErrNotRegular):
		return nil, &PathError{Path: p, Err: ErrNotRegular}
	}
	return nil, &PathError{Path: p, Err: explain(p, unwrapPath(err))}
}

// Change is what happened to a file while it was read.
type Change struct {
	Vanished bool
	Replaced bool
	// NewSize is the size after reading; it differs from the size at open
	// when the file grew or shrank.
	NewSize int64
	Grew    bool
	Shrank  bool
}

// Settle looks at the file again after it was read.
func (f *File) Settle() Change {
	c := Change{NewSize: f.Size}
	if st, err := f.f.Stat(); err == nil {
		c.NewSize = st.Size()
	}
	c.Grew, c.Shrank = c.NewSize > f.Size, c.NewSize < f.Size
	li, err := os.Stat(f.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		c.Vanished = true
	case err == nil && !os.SameFile(li, f.info):
		c.Replaced = true
	}
	return c
}

// Findings word a change with one code per outcome.
func (c Change) Findings(rel string, size int64) finding.List {
	var l finding.List
	switch {
	case c.Grew:
		l = append(l, finding.New(finding.InputChanged, rel, "grew from %d to %d bytes while it was read (a live server appends to it); the first %d bytes were judged", size, c.NewSize, size).At(size))
	case c.Shrank:
		l = append(l, finding.New(finding.InputChanged, rel, "shrank from %d to %d bytes while it was read (truncated by the server?); the first %d bytes it had were judged", size, c.NewSize, size))
	}
	switch {
	case c.Vanished:
		l = append(l, finding.New(finding.InputVanished, rel, "was renamed or removed while it was read (a live server renames its temp files); the report is about the file that was opened"))
	case c.Replaced:
		l = append(l, finding.New(finding.InputReplaced, rel, "was replaced by another file under the same name while it was read (a rename by the server); the report is about the file that was opened"))
	}
	return l
}

// Live says whether a server is writing the file now: it grew while or
// right after it was read, or its last write is seconds old. A copy or a
// stopped server (Options.ServerStopped) writes nothing.
func (f *File) Live(c Change) bool {
	if f.stopped {
		return false
	}
	return c.Grew || f.now.Sub(f.MTime) < LiveWindow
}
