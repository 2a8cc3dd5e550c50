// Package wopen is the only way aoftool creates a file, the twin of ropen:
// an output path is checked before any work is done (it must not lead into
// an inspected path, its directory must exist and be writable, and what is
// already there must be replaceable), and the output is written under a
// temporary name beside it and renamed into place, so a reader never sees
// half a file and a failed run leaves nothing behind.
package wopen

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Mode says what may already exist at the output path.
type Mode int

const (
	// NewFile: the path must not exist, or be an empty regular file (a
	// placeholder made with touch).
	NewFile Mode = iota
	// NewDir: the path must not exist, or be an empty directory.
	NewDir
	// ReplaceFile: an existing regular file is replaced atomically (a
	// metrics textfile rewritten on every run, a report saved again).
	ReplaceFile
)

// ErrInside is matched (errors.Is) by an output inside an inspected path:
// aoftool never writes there.
var ErrInside = errors.New("inside an inspected path")

// InsideError is an output that would land in an inspected path.
type InsideError struct {
	Flag, Out, Inspected string
	// Same: the output is the inspected path itself.
	Same bool
}

func (e *InsideError) Error() string {
	what := "directory"
	if fi, err := os.Stat(e.Inspected); err == nil && !fi.IsDir() {
		what = "file"
	}
	if e.Same {
		return fmt.Sprintf("%s %s is the inspected %s; aoftool never writes there", e.Flag, e.Out, what)
	}
	return fmt.Sprintf("%s %s is inside the inspected %s %s; aoftool never writes there", e.Flag, e.Out, what, e.Inspected)
}

func (e *InsideError) Is(target error) bool { return target == ErrInside }

// ErrExists is returned when the output path holds something the mode may
// not replace.
var ErrExists = errors.New("already exists")

// Target is an output path that passed Plan's checks.
type Target struct {
	// Path is the output as the user gave it, for messages.
	Path string
	// Flag names the option the path came from ("--repair-to"), for messages.
	Flag string
	abs  string
	mode Mode
}

// Plan checks out (given with flag) before any work: it resolves the
// deepest existing ancestor so a symbolic link cannot smuggle the output
// into an inspected path, refuses the inspected paths themselves and
// anything below them, and checks that the directory that will hold the
// output exists and is writable and that what is at the path may be
// replaced under mode. inspected are the files and directories the command
// reads.
func Plan(flag, out string, mode Mode, inspected ...string) (*Target, error) {
	if out == "" || filepath.Base(out) == "." || filepath.Base(out) == ".." || strings.HasSuffix(out, string(filepath.Separator)) && mode != NewDir {
		return nil, fmt.Errorf("%s %q: give a path that names a %s", flag, out, modeNoun(mode))
	}
	abs, err := Resolve(out)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", flag, out, err)
	}
	for _, in := range inspected {
		if in == "" {
			continue
		}
		ia, err := Resolve(in)
		if err != nil {
			continue
		}
		if abs == ia || Within(abs, ia) {
			return nil, &InsideError{Flag: flag, Out: out, Inspected: in, Same: abs == ia}
		}
	}
	parent := filepath.Dir(abs)
	pi, err := os.Stat(parent)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%s %s: the directory %s does not exist; create it first", flag, out, filepath.Dir(out))
	case err != nil:
		return nil, fmt.Errorf("%s %s: %w", flag, out, err)
	case !pi.IsDir():
		return nil, fmt.Errorf("%s %s: %s is not a directory", flag, out, filepath.Dir(out))
	}
	if err := unix.Access(parent, unix.W_OK|unix.X_OK); err != nil {
		return nil, fmt.Errorf("%s %s: cannot create files in %s: %w", flag, out, filepath.Dir(out), err)
	}
	if err := replaceable(abs, mode); err != nil {
		return nil, fmt.Errorf("%s %s %w; choose a new path", flag, out, err)
	}
	return &Target{Path: out, Flag: flag, abs: abs, mode: mode}, nil
}

func modeNoun(m Mode) string {
	if m == NewDir {
		return "directory"
	}
	return "file"
}

// replaceable says whether what is at abs may be replaced under mode.
func replaceable(abs string, mode Mode) error {
	li, err := os.Lstat(abs)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	switch mode {
	case NewFile:
		if li.Mode().IsRegular() && li.Size() == 0 {
			return nil
		}
	case ReplaceFile:
		if li.Mode().IsRegular() {
			return nil
		}
	case NewDir:
		if li.IsDir() {
			ents, err := os.ReadDir(abs)
			if err != nil {
				return err
			}
			if len(ents) == 0 {
				return nil
			}
		}
	}
	return fmt.Errorf("%w and is not an empty %s", ErrExists, modeNoun(mode))
}

// Resolve returns the absolute path with symbolic links resolved in its
// deepest existing ancestor; the rest need not exist yet.
func Resolve(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	rest := ""
	for cur := abs; ; {
		if r, err := filepath.EvalSymlinks(cur); err == nil {
			return filepath.Join(r, rest), nil
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return abs, nil
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = parent
	}
}

// Within reports whether the resolved path p lies below the resolved
// directory dir.
func Within(p, dir string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// tempName is a name beside the output that no other run picks.
func (t *Target) tempName() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return filepath.Join(filepath.Dir(t.abs), "."+filepath.Base(t.abs)+".tmp-"+hex.EncodeToString(b[:]))
}

// WriteFile writes data as the output file.
func (t *Target) WriteFile(data []byte) error {
	w, err := t.Create()
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		w.Abort()
		return err
	}
	return w.Commit()
}

// File is an output being written under its temporary name.
type File struct {
	t *Target
	f *os.File
}

// Create opens the temporary file the output is written to; Commit puts it
// in place, Abort removes it.
func (t *Target) Create() (*File, error) {
	if t.mode == NewDir {
		return nil, fmt.Errorf("%s %s: a directory output takes files through CreateDir", t.Flag, t.Path)
	}
	f, err := os.OpenFile(t.tempName(), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", t.Flag, t.Path, err)
	}
	return &File{t: t, f: f}, nil
}

func (w *File) Write(p []byte) (int, error) { return w.f.Write(p) }

// ReadFrom lets io.Copy use copy_file_range between files.
func (w *File) ReadFrom(r io.Reader) (int64, error) { return w.f.ReadFrom(r) }

// Abort removes the temporary file.
func (w *File) Abort() {
	name := w.f.Name()
	w.f.Close()
	os.Remove(name)
}

// Commit flushes the file to disk and renames it into place, after
// checking again that the path may still be replaced.
func (w *File) Commit() error {
	name := w.f.Name()
	err := w.f.Sync()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = replaceable(w.t.abs, w.t.mode)
	}
	if err == nil {
		err = os.Rename(name, w.t.abs)
	}
	if err != nil {
		os.Remove(name)
		return fmt.Errorf("%s %s: %w", w.t.Flag, w.t.Path, err)
	}
	syncDir(filepath.Dir(w.t.abs))
	return nil
}

// Dir is a directory output being filled under its temporary name.
type Dir struct {
	t   *Target
	tmp string
}

// CreateDir makes the temporary directory the output's files are written
// into; Commit renames it into place (over an empty directory, which the
// rename replaces), Abort removes it with what it holds.
func (t *Target) CreateDir() (*Dir, error) {
	if t.mode != NewDir {
		return nil, fmt.Errorf("%s %s: a file output takes its bytes through Create", t.Flag, t.Path)
	}
	tmp := t.tempName()
	if err := os.Mkdir(tmp, 0o755); err != nil {
		return nil, fmt.Errorf("%s %s: %w", t.Flag, t.Path, err)
	}
	return &Dir{t: t, tmp: tmp}, nil
}

// Create makes a new file named name in the directory; the name must be a
// plain file name.
func (d *Dir) Create(name string) (*os.File, error) {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\") {
		return nil, fmt.Errorf("%s %s: %q is not a plain file name", d.t.Flag, d.t.Path, name)
	}
	return os.OpenFile(filepath.Join(d.tmp, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
}

// Abort removes the temporary directory and everything written to it.
func (d *Dir) Abort() { os.RemoveAll(d.tmp) }

// Commit renames the directory into place.
func (d *Dir) Commit() error {
	syncDir(d.tmp)
	err := replaceable(d.t.abs, NewDir)
	if err == nil {
		err = os.Rename(d.tmp, d.t.abs)
	}
	if err != nil {
		os.RemoveAll(d.tmp)
		return fmt.Errorf("%s %s: %w", d.t.Flag, d.t.Path, err)
	}
	syncDir(filepath.Dir(d.t.abs))
	return nil
}

// syncDir makes a rename durable; a failure only weakens durability, so it
// is not reported.
func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		_ = f.Sync()
		f.Close()
	}
}
