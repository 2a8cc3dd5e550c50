// Package fsguard proves aoftool's read-only guarantee in tests: it records
// every entry under a directory (name, size, mode, mtime, inode, content
// hash) and fails the test if anything changed, appeared or vanished.
package fsguard

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"testing"
	"time"
)

// Entry is what is recorded for one path.
type Entry struct {
	Size  int64
	Mode  fs.FileMode
	MTime time.Time
	Inode uint64
	Hash  string
}

// State is a recorded tree.
type State struct {
	Root    string
	Entries map[string]Entry
}

// Record walks root and hashes every regular file. Directories are recorded
// too, so a created or removed file changes nothing unnoticed. The root's own
// atime is not compared: reading changes atimes by design of the OS.
func Record(t testing.TB, root string) *State {
	t.Helper()
	st, err := record(root)
	if err != nil {
		t.Fatalf("fsguard: record %s: %v", root, err)
	}
	return st
}

func record(root string) (*State, error) {
	st := &State{Root: root, Entries: map[string]Entry{}}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		e := Entry{Size: info.Size(), Mode: info.Mode(), MTime: info.ModTime()}
		if sys, ok := info.Sys().(*syscall.Stat_t); ok {
			e.Inode = sys.Ino
		}
		if info.Mode().IsRegular() {
			h, err := hashFile(p)
			if err != nil {
				return err
			}
			e.Hash = h
		}
		if d.IsDir() {
			// A directory's size varies with its entries, which are compared
			// one by one already.
			e.Size = 0
		}
		st.Entries[rel] = e
		return nil
	})
	return st, err
}

func hashFile(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// AssertUnchanged records the tree again and fails the test on any
// difference, listing each one.
func (s *State) AssertUnchanged(t testing.TB) {
	t.Helper()
	now, err := record(s.Root)
	if err != nil {
		t.Fatalf("fsguard: re-record %s: %v", s.Root, err)
	}
	if diffs := Compare(s, now); len(diffs) > 0 {
		for _, d := range diffs {
			t.Errorf("fsguard: %s", d)
		}
	}
}

// Compare lists the differences between two recorded states.
func Compare(before, after *State) []string {
	var diffs []string
	for name, b := range before.Entries {
		a, ok := after.Entries[name]
		if !ok {
			diffs = append(diffs, fmt.Sprintf("%s: removed", name))
			continue
		}
		if a.Size != b.Size || a.Mode != b.Mode || !a.MTime.Equal(b.MTime) || a.Inode != b.Inode || a.Hash != b.Hash {
			diffs = append(diffs, fmt.Sprintf("%s: changed (size %d→%d, mode %v→%v, mtime %v→%v, inode %d→%d, hash equal %v)",
				name, b.Size, a.Size, b.Mode, a.Mode, b.MTime, a.MTime, b.Inode, a.Inode, a.Hash == b.Hash))
		}
	}
	for name := range after.Entries {
		if _, ok := before.Entries[name]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: created", name))
		}
	}
	sort.Strings(diffs)
	return diffs
}
