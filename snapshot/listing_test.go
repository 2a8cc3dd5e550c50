package snapshot

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aoftool/aoftool/finding"
)

// wantEntry is one line of a listing's .want file:
// path, type, kind, size ("123" exact, "~123" true size within the
// listing's bounds, "-" not checked) and mtime (RFC 3339, "-" not checked).
type wantEntry struct {
	path, typ, kind, size string
	mtime                 time.Time
}

func readWant(t *testing.T, file string) (entries []wantEntry, now time.Time, garbage int) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	garbage = -1
	for _, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		if line == "" {
			continue
		}
		if v, ok := strings.CutPrefix(line, "# now "); ok {
			now, err = time.Parse(time.RFC3339, v)
			if err != nil {
				t.Fatal(err)
			}
			continue
		}
		if v, ok := strings.CutPrefix(line, "# garbage "); ok {
			garbage, _ = strconv.Atoi(v)
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 5 {
			t.Fatalf("%s: bad want line %q", file, line)
		}
		w := wantEntry{path: strings.ReplaceAll(f[0], `\n`, "\n"), typ: f[1], kind: f[2], size: f[3]}
		if f[4] != "-" {
			w.mtime, err = time.Parse(time.RFC3339Nano, f[4])
			if err != nil {
				t.Fatal(err)
			}
		}
		entries = append(entries, w)
	}
	return entries, now, garbage
}

// TestListings runs every listing under testdata/listings against its
// .want: the real-* ones were printed by the real ls over a real Redis data
// dir and their .want comes from lstat (see README.md there); the hand-*
// ones are pastes as they arrive in tickets.
func TestListings(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "listings", "*.txt"))
	if len(files) < 30 {
		t.Fatalf("only %d listings, want at least 30", len(files))
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".txt")
		t.Run(name, func(t *testing.T) {
			want, now, garbage := readWant(t, strings.TrimSuffix(file, ".txt")+".want")
			if now.IsZero() {
				for _, w := range want {
					if w.mtime.After(now) {
						now = w.mtime
					}
				}
				now = now.Add(time.Hour)
			}
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			s, fl := FromListing(bytes.NewReader(data), ListingOptions{Now: now})
			if garbage >= 0 {
				if n := countCode(fl, finding.ListingGarbageLine); n != garbage {
					t.Errorf("%d garbage findings, want %d: %v", n, garbage, fl)
				}
			} else if countCode(fl, finding.ListingGarbageLine) > 0 && strings.HasPrefix(name, "real-") {
				t.Errorf("garbage in real ls output: %v", fl)
			}
			if len(s.Entries) != len(want) {
				var got []string
				for _, e := range s.Entries {
					got = append(got, e.Path)
				}
				t.Fatalf("%d entries %q, want %d", len(s.Entries), got, len(want))
			}
			for i, w := range want {
				e := s.Entries[i]
				if e.Path != w.path || string(e.Type) != w.typ || string(e.Kind) != w.kind {
					t.Errorf("entry %d: %q %s %s, want %q %s %s", i, e.Path, e.Type, e.Kind, w.path, w.typ, w.kind)
				}
				if dir, _ := filepath.Split(w.path); strings.TrimSuffix(dir, "/") != e.Dir {
					t.Errorf("%s: dir %q", e.Path, e.Dir)
				}
				checkSize(t, e, w.size)
				if !w.mtime.IsZero() {
					res := time.Duration(e.MTimeResolution) * time.Second
					if res == 0 && !e.MTime.Equal(w.mtime) || res > 0 && (w.mtime.Before(e.MTime) || !w.mtime.Before(e.MTime.Add(res))) {
						t.Errorf("%s: mtime %v (resolution %v), true %v", e.Path, e.MTime, res, w.mtime)
					}
				}
				if e.Known.Content || e.Known.CTime || e.CTime != nil {
					t.Errorf("%s: a listing claims to know content or ctime", e.Path)
				}
			}
			if s.Source != SourceListing || s.Schema != SchemaVersion {
				t.Errorf("source %s schema %d", s.Source, s.Schema)
			}
		})
	}
}

func checkSize(t *testing.T, e Entry, want string) {
	t.Helper()
	switch {
	case want == "-":
	case strings.HasPrefix(want, "~"):
		v, _ := strconv.ParseInt(want[1:], 10, 64)
		if e.SizeExact || e.Known.Size || v < e.SizeMin || v > e.SizeMax {
			t.Errorf("%s: size %d [%d, %d] exact %v, true size %d", e.Path, e.Size, e.SizeMin, e.SizeMax, e.SizeExact, v)
		}
	default:
		v, _ := strconv.ParseInt(want, 10, 64)
		if !e.SizeExact || e.Size != v || e.SizeMin != v || e.SizeMax != v {
			t.Errorf("%s: size %d [%d, %d] exact %v, want exactly %d", e.Path, e.Size, e.SizeMin, e.SizeMax, e.SizeExact, v)
		}
	}
}

func countCode(l finding.List, c finding.Code) int {
	n := 0
	for _, f := range l {
		if f.Code == c {
			n++
		}
	}
	return n
}

func TestListingInodeAndRoot(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "listings", "real-steady-lisR.txt"))
	if err != nil {
		t.Fatal(err)
	}
	s, _ := FromListing(bytes.NewReader(data), ListingOptions{Now: time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)})
	if s.Root != "/data" {
		t.Errorf("root %q", s.Root)
	}
	for _, e := range s.Entries {
		if e.Inode == 0 || !e.Known.Inode {
			t.Errorf("%s: no inode from ls -i", e.Path)
		}
	}
}

func FuzzListing(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "listings", "*.txt"))
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("-rw-r--r-- 1 a b 1.0E Nov 20 18:14 x\n"))
	f.Add([]byte("/d:\n1 2 -rw-r--r-- 1 a b 99999999999999999999 1700000000 y\n"))
	now := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<20 {
			return
		}
		s, _ := FromListing(bytes.NewReader(data), ListingOptions{Now: now})
		lines := bytes.Count(data, []byte("\n")) + bytes.Count(data, []byte("\r")) + 1
		if len(s.Entries) > lines {
			t.Fatalf("%d entries from %d lines", len(s.Entries), lines)
		}
		for _, e := range s.Entries {
			if e.SizeMin > e.SizeMax || (e.SizeExact && e.SizeMin != e.SizeMax) {
				t.Fatalf("%s: bounds [%d, %d] exact %v", e.Path, e.SizeMin, e.SizeMax, e.SizeExact)
			}
			if e.Name == "" || e.Path == "" {
				t.Fatalf("empty name in %+v", e)
			}
		}
		var buf bytes.Buffer
		if err := s.Save(&buf); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(&buf); err != nil {
			t.Fatalf("a listing's snapshot does not load back: %v", err)
		}
	})
}

// The "." and ".." lines of ls -a date the directories: the data dir's
// "." becomes RootDir, a subdirectory's "." its entry when its parent's
// listing does not show it, and ".." of appendonlydir the root when no
// "." of the root was pasted.
func TestListingKeepsDirectoryTimes(t *testing.T) {
	cases := []struct {
		name, text string
		root       string // RootDir mtime, "" for none
		aofDir     string // appendonlydir entry mtime, "" for none
	}{
		{"la", `$ ls -la --full-time /data
total 104
drwxr-xr-x 3 redis redis   4096 2026-11-27 17:25:02.100000000 +0000 .
drwxr-xr-x 1 root  root    4096 2026-11-27 09:00:00.000000000 +0000 ..
drwxr-xr-x 2 redis redis   4096 2026-11-27 17:24:29.796322609 +0000 appendonlydir
-rw-r--r-- 1 redis redis 100458 2026-11-27 17:25:02.050000000 +0000 dump.rdb
`, "2026-11-27T17:25:02.1Z", "2026-11-27T17:24:29.796322609Z"},
		{"alF-sections", `/data:
drwxr-xr-x 3 redis redis 4096 Nov 27 17:25 ./
drwxr-xr-x 1 root  root  4096 Nov 27 09:00 ../
-rw-r--r-- 1 redis redis 100458 Nov 27 17:25 dump.rdb

/data/appendonlydir:
drwxr-xr-x 2 redis redis 4096 Nov 27 17:24 ./
drwxr-xr-x 3 redis redis 4096 Nov 27 17:25 ../
-rw-r--r-- 1 redis redis 88 Nov 27 17:24 appendonly.aof.manifest
`, "2026-11-27T17:25:00Z", "2026-11-27T17:24:00Z"},
		{"aofdir-parent-only", `/data/appendonlydir:
drwxr-xr-x 3 redis redis 4096 Nov 27 17:25 ..
-rw-r--r-- 1 redis redis 88 Nov 27 17:24 appendonly.aof.manifest
`, "2026-11-27T17:25:00Z", ""},
		{"no-dots", `/data:
drwxr-xr-x 2 redis redis   4096 Nov 27 17:24 appendonlydir
-rw-r--r-- 1 redis redis 100458 Nov 27 17:25 dump.rdb
`, "", "2026-11-27T17:24:00Z"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, _ := FromListing(strings.NewReader(c.text), ListingOptions{Year: 2026, Root: "/data"})
			switch {
			case c.root == "" && s.RootDir != nil:
				t.Errorf("root dir %+v from a listing without its . line", s.RootDir)
			case c.root != "" && (s.RootDir == nil || !s.RootDir.MTime.Equal(mustTime(t, c.root))):
				t.Errorf("root dir %+v, want mtime %s", s.RootDir, c.root)
			}
			if s.RootDir != nil && !s.TakenAt.Equal(s.RootDir.MTime) && s.RootDir.MTime.After(s.TakenAt) {
				t.Errorf("taken at %v before the root's last change %v", s.TakenAt, s.RootDir.MTime)
			}
			d := s.Entry("appendonlydir")
			switch {
			case c.aofDir == "" && d != nil:
				t.Errorf("appendonlydir entry %+v", d)
			case c.aofDir != "" && (d == nil || d.Type != TypeDir || d.Kind != KindAppendOnlyDir || !d.MTime.Equal(mustTime(t, c.aofDir))):
				t.Errorf("appendonlydir entry %+v, want a directory of mtime %s", d, c.aofDir)
			}
		})
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
