// Package ropen is the only way aoftool opens an inspected file: read-only,
// without updating its access time where the kernel lets us, and never a
// FIFO, socket or device (opening a FIFO named like an artifact would hang,
// reading a device could be endless).
package ropen

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// ErrNotRegular is returned for paths that are not regular files.
var ErrNotRegular = errors.New("ropen: not a regular file")

// Open opens path for reading. Symbolic links are followed only when
// followSymlinks is set. O_NOATIME is tried first (it needs file ownership or
// CAP_FOWNER) and dropped silently when refused. O_NONBLOCK guards against a
// FIFO swapped in between the Lstat and the open; the type is checked again
// on the open descriptor.
func Open(path string, followSymlinks bool) (*os.File, os.FileInfo, error) {
	li, err := os.Lstat(path)
	if err != nil {
		return nil, nil, err
	}
	if li.Mode()&fs.ModeSymlink != 0 && !followSymlinks {
		return nil, li, fmt.Errorf("%s: %w (symbolic link, not followed)", path, ErrNotRegular)
	}
	flags := os.O_RDONLY | syscall.O_CLOEXEC | syscall.O_NONBLOCK
	if !followSymlinks {
		flags |= syscall.O_NOFOLLOW
	}
	f, err := os.OpenFile(path, flags|unix.O_NOATIME, 0)
	if errors.Is(err, syscall.EPERM) {
		f, err = os.OpenFile(path, flags, 0)
	}
	if err != nil {
		return nil, li, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, li, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fi, fmt.Errorf("%s: %w (%s)", path, ErrNotRegular, fi.Mode().Type())
	}
	// Reads should block normally on a regular file; clear O_NONBLOCK.
	_ = unix.SetNonblock(int(f.Fd()), false)
	return f, fi, nil
}

// IsRegular reports, from Lstat alone, whether path may be opened: a regular
// file, or a symlink when followSymlinks is set and its target is regular.
func IsRegular(path string, followSymlinks bool) (bool, os.FileInfo, error) {
	li, err := os.Lstat(path)
	if err != nil {
		return false, nil, err
	}
	if li.Mode()&fs.ModeSymlink != 0 {
		if !followSymlinks {
			return false, li, nil
		}
		si, err := os.Stat(path)
		if err != nil {
			return false, li, err
		}
		return si.Mode().IsRegular(), si, nil
	}
	return li.Mode().IsRegular(), li, nil
}
