package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aoftool/aoftool/internal/fsguard"
	"github.com/aoftool/aoftool/snapshot"
)

// snapTime is the moment snapshot, diff and watch goldens are taken at.
var snapTime = time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)

// withSnapshotClock fixes the clock; with step > 0 each reading advances it,
// so two captures in one test are step apart.
func withSnapshotClock(t *testing.T, step time.Duration) {
	t.Helper()
	var mu sync.Mutex
	n := 0
	fixClock(t, func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		at := snapTime.Add(time.Duration(n) * step)
		n++
		return at
	})
}

func listingPath(name string) string {
	return filepath.Join("..", "..", "snapshot", "testdata", "listings", name+".txt")
}

// snapDir copies a real-Redis fixture under testdata/ and sets every mtime
// to snapTime minus an hour, so goldens depend neither on the checkout nor
// on git's mtimes.
func snapDir(t *testing.T, fixture string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "data")
	fsguard.CopyTree(t, filepath.Join("..", "..", "testdata", fixture), dst)
	// Modes follow the umask of the checkout; goldens need fixed ones.
	_ = filepath.Walk(dst, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if fi.IsDir() {
			mode = 0o755
		}
		return os.Chmod(p, mode)
	})
	touchAll(t, dst, snapTime.Add(-time.Hour))
	return dst
}

func touchAll(t *testing.T, dir string, at time.Time) {
	t.Helper()
	var paths []string
	_ = filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		paths = append(paths, p)
		return err
	})
	for i := len(paths) - 1; i >= 0; i-- {
		if err := os.Chtimes(paths[i], at, at); err != nil {
			t.Fatal(err)
		}
	}
}

var volatileJSON = regexp.MustCompile(`("(?:inode|device|free_bytes|total_bytes)": )\d+|("ctime": )"[^"]*"`)

// normaliseSnapshot makes a captured snapshot's JSON stable: the temp dir
// becomes DIR; inodes, devices, ctimes, volume sizes and directory sizes
// (all file-system dependent) become zero.
func normaliseSnapshot(t *testing.T, out, dir string) string {
	t.Helper()
	s, err := snapshot.Load(strings.NewReader(out))
	if err != nil {
		t.Fatalf("output does not load: %v\n%s", err, out)
	}
	for i := range s.Entries {
		if s.Entries[i].Type == snapshot.TypeDir {
			s.Entries[i].Size, s.Entries[i].SizeMin, s.Entries[i].SizeMax = 0, 0, 0
		}
	}
	if r := s.RootDir; r != nil {
		r.Size, r.SizeMin, r.SizeMax = 0, 0, 0
	}
	var b bytes.Buffer
	if err := s.Save(&b); err != nil {
		t.Fatal(err)
	}
	got := volatileJSON.ReplaceAllStringFunc(b.String(), func(m string) string {
		if strings.HasPrefix(m, `"ctime"`) {
			return `"ctime": "CTIME"`
		}
		return m[:strings.Index(m, ":")+2] + "0"
	})
	return strings.ReplaceAll(got, dir, "DIR")
}

func TestSnapshotGolden(t *testing.T) {
	withSnapshotClock(t, 0)
	dir := snapDir(t, "redis7-rewrite")
	guard := fsguard.Record(t, dir)
	r := runCLI(t, "", "snapshot", dir)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	golden(t, "snapshot/redis7-rewrite.json", normaliseSnapshot(t, r.stdout, dir))
	// --json changes nothing: the output is JSON anyway.
	if r2 := runCLI(t, "", "--json", "snapshot", dir); normaliseSnapshot(t, r2.stdout, dir) != normaliseSnapshot(t, r.stdout, dir) {
		t.Errorf("--json output differs")
	}
	guard.AssertUnchanged(t)

	r = runCLI(t, "", "snapshot", "--from-ls", listingPath("hand-ticket-replica-rebuild-lh"))
	if r.code != 0 {
		t.Fatalf("--from-ls: exit %d, stderr %q", r.code, r.stderr)
	}
	golden(t, "snapshot/from-ls-ticket.json", r.stdout)

	data, err := os.ReadFile(listingPath("real-steady-lisR"))
	if err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, string(data), "snapshot", "--from-ls", "-", "/srv/redis")
	if r.code != 0 || !strings.Contains(r.stdout, `"root": "/srv/redis"`) || !strings.Contains(r.stdout, `"source": "ls"`) {
		t.Fatalf("--from-ls - with DIR: exit %d\n%s", r.code, r.stdout)
	}
}

func TestSnapshotOutputFile(t *testing.T) {
	withSnapshotClock(t, 0)
	dir := snapDir(t, "redis7-writes")
	guard := fsguard.Record(t, dir)
	out := filepath.Join(t.TempDir(), "s.json")
	r := runCLI(t, "", "snapshot", dir, "-o", out)
	if r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "written to") {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := snapshot.Load(f)
	if err != nil || len(s.Entries) == 0 || s.Source != snapshot.SourceDir {
		t.Fatalf("saved snapshot: %v %+v", err, s)
	}
	// Refused inside the inspected dir, however the path is spelled.
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	for _, o := range []string{
		filepath.Join(dir, "s.json"),
		filepath.Join(dir, "appendonlydir", "s.json"),
		filepath.Join(dir, "appendonlydir", "..", "s.json"),
		filepath.Join(link, "s.json"),
		dir,
	} {
		r := runCLI(t, "", "snapshot", dir, "-o", o)
		if r.code != exitCannot || !strings.Contains(r.stderr, "the inspected directory") {
			t.Errorf("-o %s: exit %d, stderr %q", o, r.code, r.stderr)
		}
	}
	guard.AssertUnchanged(t)
}

func TestSnapshotUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"snapshot"},
		{"snapshot", "a", "b"},
		{"snapshot", "--appenddirname", "a/b", "."},
		{"snapshot", "--from-ls", "x", "--year", "12"},
		{"snapshot", "/no/such/dir"},
		{"snapshot", "--from-ls", "/no/such/listing"},
	} {
		r := runCLI(t, "", args...)
		if r.code != exitCannot {
			t.Errorf("%v: exit %d, want %d (stderr %q)", args, r.code, exitCannot, r.stderr)
		}
	}
}

// TestSnapshotReadByPhase: a snapshot written by this version is what the
// phase command classifies, with the same answer as on the directory.
func TestSnapshotReadByPhase(t *testing.T) {
	withSnapshotClock(t, 0)
	dir := snapDir(t, "redis7-rewrite")
	saved := filepath.Join(t.TempDir(), "s.json")
	if r := runCLI(t, "", "snapshot", dir, "-o", saved); r.code != 0 {
		t.Fatalf("snapshot: %d %s", r.code, r.stderr)
	}
	phaseOf := func(src string) string {
		r := runCLI(t, "", "--json", "phase", src)
		var res struct {
			Phase string `json:"phase"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || res.Phase == "" {
			t.Fatalf("phase %s: exit %d, %v\n%s\n%s", src, r.code, err, r.stdout, r.stderr)
		}
		return res.Phase
	}
	if a, b := phaseOf(saved), phaseOf(dir); a != b || a != "steady" {
		t.Errorf("phase of the saved snapshot %q, of the directory %q", a, b)
	}
}
