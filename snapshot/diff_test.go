package snapshot

import (
	"strings"
	"testing"
	"time"
)

func listing(t *testing.T, now time.Time, text string) *Snapshot {
	t.Helper()
	s, fl := FromListing(strings.NewReader(text), ListingOptions{Now: now})
	for _, f := range fl {
		if f.Code == "listing-garbage-line" {
			t.Fatalf("listing: %v", f)
		}
	}
	return s
}

func TestDiffListingsByRedisRules(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 18, 20, 0, 0, time.UTC)
	before := listing(t, t0, `/data:
drwxr-xr-x 2 redis redis 4096 Nov 20 17:05 appendonlydir
-rw-r--r-- 1 redis redis 500098 Nov 20 17:31 dump.rdb
-rw-r--r-- 1 redis redis 1000000 Nov 20 18:14 temp-1763662440.57.rdb
-rw-r--r-- 1 redis redis 28672 Nov 20 18:14 temp-rewriteaof-31940.aof

/data/appendonlydir:
-rw-r--r-- 1 redis redis 89 Nov 20 17:05 appendonly.aof.1.base.rdb
-rw-r--r-- 1 redis redis 0 Nov 20 17:05 appendonly.aof.1.incr.aof
-rw-r--r-- 1 redis redis 0 Nov 20 18:14 temp-appendonly.aof.incr
-rw-r--r-- 1 redis redis 88 Nov 20 17:05 appendonly.aof.manifest
`)
	after := listing(t, t0.Add(10*time.Second), `/data:
drwxr-xr-x 2 redis redis 4096 Nov 20 18:20 appendonlydir
-rw-r--r-- 1 redis redis 7000000 Nov 20 18:15 dump.rdb

/data/appendonlydir:
-rw-r--r-- 1 redis redis 6977840 Nov 20 18:20 appendonly.aof.2.base.rdb
-rw-r--r-- 1 redis redis 120 Nov 20 18:20 appendonly.aof.2.incr.aof
-rw-r--r-- 1 redis redis 88 Nov 20 18:20 appendonly.aof.manifest
`)
	r := Diff(before, after)
	got := map[string]Event{}
	for _, e := range r.Events {
		got[string(e.Type)+" "+e.OldPath+">"+e.Path] = e
	}
	for _, want := range []string{
		"renamed temp-1763662440.57.rdb>dump.rdb",
		"renamed temp-rewriteaof-31940.aof>appendonlydir/appendonly.aof.2.base.rdb",
		"renamed appendonlydir/temp-appendonly.aof.incr>appendonlydir/appendonly.aof.2.incr.aof",
		"removed >appendonlydir/appendonly.aof.1.base.rdb",
		"removed >appendonlydir/appendonly.aof.1.incr.aof",
		"modified >appendonlydir/appendonly.aof.manifest",
	} {
		e, ok := got[want]
		if !ok {
			t.Errorf("missing %q in %v", want, keys(got))
			continue
		}
		if e.Explanation == "" || e.Explanation == "renamed" {
			t.Errorf("%s: explanation %q", want, e.Explanation)
		}
	}
	if e := got["renamed temp-1763662440.57.rdb>dump.rdb"]; !e.Inferred || !e.Overwrote || !strings.Contains(e.Explanation, "loading starts") {
		t.Errorf("transfer rename: %+v", e)
	}
	if r.IntervalS != 10 {
		t.Errorf("interval %v", r.IntervalS)
	}
}

func keys(m map[string]Event) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func entry(p string, ino uint64, size int64, mt time.Time) Entry {
	e := Entry{Path: p, Size: size, SizeExact: true, SizeMin: size, SizeMax: size, Inode: ino, Device: 1, MTime: mt, Type: TypeFile, Known: Known{Inode: true, Size: true}}
	if i := strings.LastIndex(p, "/"); i >= 0 {
		e.Dir, e.Name = p[:i], p[i+1:]
	} else {
		e.Name = p
	}
	e.applyName(e.Dir == "", DefaultNames())
	return e
}

func TestDiffByInode(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 18, 0, 0, 0, time.UTC)
	old := &Snapshot{TakenAt: t0, Entries: []Entry{
		entry("dump.rdb", 10, 100, t0.Add(-time.Hour)),
		entry("temp-578.rdb", 11, 4096, t0),
		entry("appendonlydir/appendonly.aof.manifest", 12, 88, t0.Add(-time.Hour)),
		entry("appendonlydir/appendonly.aof.1.incr.aof", 13, 10, t0.Add(-time.Hour)),
	}}
	cur := &Snapshot{TakenAt: t0.Add(2 * time.Second), Entries: []Entry{
		entry("dump.rdb", 11, 8192, t0.Add(500*time.Millisecond)),
		entry("appendonlydir/appendonly.aof.manifest", 14, 132, t0.Add(time.Second)),
		entry("appendonlydir/appendonly.aof.1.incr.aof", 13, 30, t0.Add(time.Second)),
		entry("appendonlydir/appendonly.aof.2.incr.aof", 15, 0, t0.Add(time.Second)),
	}}
	r := Diff(old, cur)
	var lines []string
	for _, e := range r.Events {
		lines = append(lines, string(e.Type)+" "+e.OldPath+">"+e.Path)
	}
	want := []string{
		"renamed temp-578.rdb>dump.rdb",
		"grown >appendonlydir/appendonly.aof.1.incr.aof",
		"created >appendonlydir/appendonly.aof.2.incr.aof",
		"replaced >appendonlydir/appendonly.aof.manifest",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if r.Events[0].Inferred || !r.Events[0].Overwrote || !strings.Contains(r.Events[0].Explanation, "BGSAVE child finished") {
		t.Errorf("bgsave rename: %+v", r.Events[0])
	}
	if e := r.Events[1]; e.RateBytesPerS == nil || *e.RateBytesPerS != 10 {
		t.Errorf("rate: %+v", e)
	}
}

// TestDiffInodeReuse: the install deletes appendonly.aof.1.incr.aof and the
// next temp manifest gets its inode number; that is not a rename.
func TestDiffInodeReuse(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 18, 0, 0, 0, time.UTC)
	old := &Snapshot{TakenAt: t0, Entries: []Entry{entry("appendonlydir/appendonly.aof.1.incr.aof", 13, 10, t0.Add(-time.Hour))}}
	cur := &Snapshot{TakenAt: t0.Add(time.Second), Entries: []Entry{entry("appendonlydir/temp-appendonly.aof.manifest", 13, 88, t0.Add(time.Second))}}
	var got []string
	for _, e := range Diff(old, cur).Events {
		got = append(got, string(e.Type)+" "+e.Path)
	}
	if strings.Join(got, ",") != "removed appendonlydir/appendonly.aof.1.incr.aof,created appendonlydir/temp-appendonly.aof.manifest" {
		t.Errorf("events %q", got)
	}
}

// TestDiffListingAgainstCapture: an old pasted listing against a capture
// of the directory now (inodes on one side only) still infers renames.
func TestDiffListingAgainstCapture(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 18, 20, 0, 0, time.UTC)
	old := listing(t, t0, "-rw-r--r-- 1 redis redis 4096 Nov 20 18:14 temp-578.rdb\n-rw-r--r-- 1 redis redis 100 Nov 19 10:00 dump.rdb\n")
	cur := &Snapshot{TakenAt: t0.Add(time.Minute), Entries: []Entry{entry("dump.rdb", 11, 8192, t0.Add(30*time.Second))}}
	r := Diff(old, cur)
	if len(r.Events) != 1 || r.Events[0].Type != EventRenamed || r.Events[0].OldPath != "temp-578.rdb" || !r.Events[0].Inferred || !r.Events[0].Overwrote {
		t.Errorf("events %+v", r.Events)
	}
}
