package wopen

import (
	"fmt"
	"os"
	"path/filepath"
)

// Scratch is a private directory for temporary files a command needs
// while it runs (spilled sort runs, hash partitions): created outside
// every inspected path, readable by the owner only, and removed whole by
// Close.
type Scratch struct {
	dir string
}

// NewScratch creates a scratch directory under parent (os.TempDir() when
// empty). A parent inside an inspected path is refused, as any output is.
func NewScratch(flag, parent string, inspected ...string) (*Scratch, error) {
	if parent == "" {
		parent = os.TempDir()
	}
	abs, err := Resolve(parent)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", flag, parent, err)
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
			return nil, &InsideError{Flag: flag, Out: parent, Inspected: in, Same: abs == ia}
		}
	}
	dir, err := os.MkdirTemp(abs, "aoftool-scratch-")
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", flag, parent, err)
	}
	return &Scratch{dir: dir}, nil
}

// Dir is the scratch directory's path.
func (s *Scratch) Dir() string { return s.dir }

// Create makes a new file in the scratch directory.
func (s *Scratch) Create(name string) (*os.File, error) {
	if name != filepath.Base(name) || name == "." || name == ".." {
		return nil, fmt.Errorf("scratch file name %q is not a plain name", name)
	}
	return os.OpenFile(filepath.Join(s.dir, name), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
}

// Close removes the directory and everything in it.
func (s *Scratch) Close() error { return os.RemoveAll(s.dir) }
