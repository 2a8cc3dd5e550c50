package oracle

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// ChangeKind is what happened to one path.
type ChangeKind string

const (
	Created   ChangeKind = "created"
	Deleted   ChangeKind = "deleted"
	Truncated ChangeKind = "truncated" // cut in place: the new content is a prefix of the old
	Grown     ChangeKind = "grown"     // appended to: the old content is a prefix of the new
	Rewritten ChangeKind = "rewritten" // other content, in place or through a rename over it
	Replaced  ChangeKind = "replaced"  // another kind of entry (a FIFO became a file)
	Moved     ChangeKind = "moved"     // renamed, same inode
	// HistoryDeleted is a deletion the server logged as the removal of a
	// history file.
	HistoryDeleted ChangeKind = "history-deleted"
)

// Change is one path the start changed.
type Change struct {
	Path    string // relative to the data dir, with /
	Kind    ChangeKind
	From    string // Moved: the old path
	OldSize int64
	NewSize int64
	// Kept is, for a cut, how many bytes of the old content the file still
	// starts with (at least the offset of the cut: appended bytes may
	// match a few more); when the server appended after cutting (the DELs
	// of expired keys) NewSize can exceed it.
	Kept int64
}

func (c Change) String() string {
	if c.From != "" && c.Kind != Moved {
		m := c
		m.From = ""
		return m.String() + " (moved from " + c.From + ")"
	}
	switch c.Kind {
	case Truncated:
		if c.NewSize != c.Kept {
			return fmt.Sprintf("truncated %s %d→%d, then appended to %d", c.Path, c.OldSize, c.Kept, c.NewSize)
		}
		return fmt.Sprintf("truncated %s %d→%d", c.Path, c.OldSize, c.NewSize)
	case Grown, Rewritten:
		return fmt.Sprintf("%s %s %d→%d", c.Kind, c.Path, c.OldSize, c.NewSize)
	case Moved:
		return fmt.Sprintf("moved %s→%s", c.From, c.Path)
	}
	return string(c.Kind) + " " + c.Path
}

// Destructive reports whether the change loses what the path held: a cut,
// an overwrite of anything but the manifest (which the server rewrites as
// a matter of course), a deletion the server did not log as history
// cleanup, or an entry replaced by another kind.
func (c Change) Destructive() bool {
	switch c.Kind {
	case Truncated, Deleted, Replaced:
		return true
	case Rewritten:
		return !strings.HasSuffix(c.Path, ".manifest")
	}
	return false
}

// node is one recorded path.
type node struct {
	mode  fs.FileMode // type bits only
	size  int64
	inode uint64
	hash  [32]byte
	data  []byte // content of regular files up to keepBytes
	kept  bool   // data holds the whole content
	link  string
}

// keepBytes bounds the content kept per file to tell a cut or an append
// from a rewrite; larger files are compared by hashes of their prefixes.
const keepBytes = 8 << 20

type tree struct {
	root  string
	nodes map[string]node
}

// snapshotTree records every path under root without opening anything but
// regular files: a FIFO must never be opened, it would block.
func snapshotTree(t testing.TB, root string) tree {
	t.Helper()
	tr := tree{root: root, nodes: map[string]node{}}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil // removed while walking
			}
			return err
		}
		if p == root {
			return nil
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		n := node{mode: fi.Mode().Type(), size: fi.Size()}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			n.inode = st.Ino
		}
		switch {
		case fi.Mode().IsRegular():
			f, err := os.Open(p)
			if err != nil {
				return nil
			}
			h := sha256.New()
			var keep bytes.Buffer
			var w io.Writer = h
			if fi.Size() <= keepBytes {
				w = io.MultiWriter(h, &keep)
			}
			_, err = io.Copy(w, f)
			f.Close()
			if err != nil {
				return nil
			}
			copy(n.hash[:], h.Sum(nil))
			if fi.Size() <= keepBytes {
				n.data, n.kept = keep.Bytes(), true
				n.size = int64(len(n.data))
			}
		case fi.Mode()&fs.ModeSymlink != 0:
			n.link, _ = os.Readlink(p)
		}
		tr.nodes[filepath.ToSlash(rel)] = n
		return nil
	})
	if err != nil {
		t.Fatalf("oracle: record %s: %v", root, err)
	}
	return tr
}

var (
	historyRemoved = regexp.MustCompile(`Removing the history file (\S+) in the background`)
	truncatedAt    = regexp.MustCompile(`Truncating the AOF (.+) at offset (\d+) !!!`)
)

// diffTrees lists what changed from a to b. log is the server's log, which
// names the history files it removed.
func diffTrees(a, b tree, log string) []Change {
	history := map[string]bool{}
	for _, m := range historyRemoved.FindAllStringSubmatch(log, -1) {
		history[m[1]] = true
	}
	// The log names every cut; the content alone cannot tell a cut of one
	// byte followed by an append that starts with the same byte.
	cutAt := map[string]int64{}
	for _, m := range truncatedAt.FindAllStringSubmatch(log, -1) {
		n, _ := strconv.ParseInt(m[2], 10, 64)
		cutAt[m[1]] = n
	}
	logged := func(c *Change, old node) {
		if n, ok := cutAt[path.Base(c.Path)]; ok && n < old.size && c.Kind != Deleted {
			c.Kind, c.Kept = Truncated, n
		}
	}
	var out []Change
	byInode := map[uint64]string{}
	for p, n := range b.nodes {
		if _, ok := a.nodes[p]; !ok && n.mode.IsRegular() {
			byInode[n.inode] = p
		}
	}
	moved := map[string]bool{}
	for p, old := range a.nodes {
		cur, ok := b.nodes[p]
		if !ok {
			if np, ok := byInode[old.inode]; ok && old.mode.IsRegular() && old.inode != 0 && related(old, b.nodes[np]) {
				cur := b.nodes[np]
				c := Change{Path: np, From: p, Kind: Moved, OldSize: old.size, NewSize: cur.size}
				if cur.hash != old.hash {
					// Moved and then cut or appended to (a legacy AOF
					// upgraded, then its torn tail cut).
					c.Kind, c.Kept = contentChange(b.root, np, old, cur)
					logged(&c, old)
				}
				out = append(out, c)
				moved[np] = true
				continue
			}
			k := Deleted
			if history[filepath.Base(p)] {
				k = HistoryDeleted
			}
			out = append(out, Change{Path: p, Kind: k, OldSize: old.size})
			continue
		}
		if cur.mode != old.mode {
			out = append(out, Change{Path: p, Kind: Replaced, OldSize: old.size, NewSize: cur.size})
			continue
		}
		switch {
		case old.mode.IsRegular():
			if cur.hash == old.hash {
				continue
			}
			kind, kept := contentChange(b.root, p, old, cur)
			c := Change{Path: p, Kind: kind, OldSize: old.size, NewSize: cur.size, Kept: kept}
			if kind != Rewritten {
				logged(&c, old)
			}
			out = append(out, c)
		case old.mode&fs.ModeSymlink != 0 && cur.link != old.link:
			out = append(out, Change{Path: p, Kind: Rewritten})
		}
	}
	for p, n := range b.nodes {
		if _, ok := a.nodes[p]; !ok && !moved[p] {
			out = append(out, Change{Path: p, Kind: Created, NewSize: n.size})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// contentChange tells a cut and an append from a rewrite. A file that
// keeps a prefix of its old content but lost the rest was cut, even when
// the server appended to it afterwards (a torn tail cut, then the DELs of
// expired keys written); kept is the length of that prefix.
func contentChange(rootB, p string, old, cur node) (kind ChangeKind, kept int64) {
	if old.inode != cur.inode {
		// Renamed over (a new base written through a temp file): whatever
		// prefix the two share, the old file is gone.
		return Rewritten, 0
	}
	if old.kept && cur.kept {
		n := commonPrefix(old.data, cur.data)
		switch {
		case n == len(old.data):
			return Grown, int64(n)
		case n == 0 && len(old.data) > 0 && len(cur.data) > 0:
			return Rewritten, 0
		}
		return Truncated, int64(n)
	}
	switch {
	case cur.size > old.size && prefixHash(filepath.Join(rootB, p), old.size) == old.hash:
		return Grown, old.size
	case cur.size < old.size:
		// Only hashes are known for big files; a shrunk file was cut, and
		// the server's log names the offset.
		return Truncated, cur.size
	}
	return Rewritten, 0
}

// related tells a renamed file from a new one that reuses a deleted file's
// inode: a rename keeps the content, or a prefix of it (a legacy AOF moved
// and then cut).
func related(old, cur node) bool {
	if old.hash == cur.hash {
		return true
	}
	if !old.kept || !cur.kept {
		return old.size == cur.size
	}
	n := commonPrefix(old.data, cur.data)
	return n == len(old.data) || n == len(cur.data) || n >= 16
}

func commonPrefix(a, b []byte) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

func prefixHash(path string, n int64) [32]byte {
	var sum [32]byte
	f, err := os.Open(path)
	if err != nil {
		return sum
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.CopyN(h, f, n); err != nil {
		return sum
	}
	copy(sum[:], h.Sum(nil))
	return sum
}
