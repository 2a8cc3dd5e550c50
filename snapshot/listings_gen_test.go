package snapshot

import (
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aoftool/aoftool/internal/redistest"
	"github.com/aoftool/aoftool/internal/scenario"
)

var makeListings = flag.Bool("make-listings", false, "regenerate testdata/listings/real-* from a real redis-server and real ls")

// listingCmd is one real ls run over a frozen copy of a Redis data dir.
type listingCmd struct {
	file     string   // testdata/listings/<file>.txt
	scenario string   // which frozen copy
	args     []string // ls arguments; "DIR" and "AOFDIR" are replaced
	dirs     []string // which directories the output lists ("" root, "appendonlydir"); "-" = the appendonlydir listed alone
	human    bool
}

var listingCmds = []listingCmd{
	{"real-steady-l", "steady", []string{"-l", "DIR"}, []string{""}, false},
	{"real-steady-la", "steady", []string{"-la", "DIR"}, []string{""}, false},
	{"real-steady-lh", "steady", []string{"-lh", "DIR"}, []string{""}, true},
	{"real-steady-alF", "steady", []string{"-alF", "DIR"}, []string{""}, false},
	{"real-steady-full-time", "steady", []string{"-l", "--full-time", "DIR"}, []string{""}, false},
	{"real-steady-lR", "steady", []string{"-lR", "DIR"}, []string{"", "appendonlydir"}, false},
	{"real-steady-laR-long-iso", "steady", []string{"-laR", "--time-style=long-iso", "DIR"}, []string{"", "appendonlydir"}, false},
	{"real-steady-lR-iso", "steady", []string{"-lR", "--time-style=iso", "DIR"}, []string{"", "appendonlydir"}, false},
	{"real-steady-lR-full-iso", "steady", []string{"-lR", "--time-style=full-iso", "DIR"}, []string{"", "appendonlydir"}, false},
	{"real-steady-lR-epoch", "steady", []string{"-lR", "--time-style=+%s", "DIR"}, []string{"", "appendonlydir"}, false},
	{"real-steady-lR-isoT", "steady", []string{"-lR", "--time-style=+%Y-%m-%dT%H:%M:%S", "DIR"}, []string{"", "appendonlydir"}, false},
	{"real-steady-li", "steady", []string{"-li", "DIR"}, []string{""}, false},
	{"real-steady-lisR", "steady", []string{"-lisR", "DIR"}, []string{"", "appendonlydir"}, false},
	{"real-steady-lhR", "steady", []string{"-lhR", "DIR"}, []string{"", "appendonlydir"}, true},
	{"real-steady-two-dirs", "steady", []string{"-l", "DIR", "AOFDIR"}, []string{"", "appendonlydir"}, false},
	{"real-steady-ln", "steady", []string{"-ln", "DIR"}, []string{""}, false},
	{"real-steady-lg", "steady", []string{"-lg", "DIR"}, []string{""}, false},
	{"real-steady-lo-aofdir", "steady", []string{"-lo", "AOFDIR"}, []string{"-"}, false},
	{"real-steady-la-aofdir", "steady", []string{"-la", "AOFDIR"}, []string{"-"}, false},
	{"real-steady-quoted", "steady", []string{"-l", "--quoting-style=shell", "DIR"}, []string{""}, false},
	{"real-bgsave-lR", "bgsave", []string{"-lR", "DIR"}, []string{"", "appendonlydir"}, false},
	{"real-bgsave-lR-full-time", "bgsave", []string{"-lR", "--full-time", "DIR"}, []string{"", "appendonlydir"}, false},
	{"real-rewrite-lR", "rewrite", []string{"-lR", "DIR"}, []string{"", "appendonlydir"}, false},
	{"real-rewrite-alFR", "rewrite", []string{"-alFR", "DIR"}, []string{"", "appendonlydir"}, false},
	{"real-old-lR", "old", []string{"-lR", "DIR"}, []string{"", "appendonlydir"}, false},
	{"real-old-lhR", "old", []string{"-lhR", "DIR"}, []string{"", "appendonlydir"}, true},
}

// TestMakeListings regenerates the real-* listings: it runs redis-server,
// freezes copies of its data dir in three states, adds operator leftovers
// (a name with a space, a symlink, a FIFO named like a temp RDB) and runs
// the real ls over them with TZ=UTC LC_ALL=C. Each listing's .want is the
// ground truth from lstat, not from the parser under test.
func TestMakeListings(t *testing.T) {
	if !*makeListings {
		t.Skip("run with -make-listings to regenerate")
	}
	base := t.TempDir()
	if err := os.MkdirAll(filepath.Join(base, "live"), 0o755); err != nil {
		t.Fatal(err)
	}
	srv := redistest.Start(t, redistest.Options{Dir: filepath.Join(base, "live"), Config: []string{"appendonly yes"}})
	var cmds [][]string
	for i := 0; i < 20000; i++ {
		cmds = append(cmds, []string{"SET", fmt.Sprintf("key:%06d", i), strings.Repeat("v", 100)})
	}
	if err := srv.Pipeline(cmds); err != nil {
		t.Fatal(err)
	}
	srv.MustDo("SAVE")
	copies := map[string]string{}
	freeze := func(name string) {
		dst := filepath.Join(base, name, "data")
		if err := os.MkdirAll(dst, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := srv.FreezeCopy(dst); err != nil {
			t.Fatal(err)
		}
		copies[name] = dst
	}
	freeze("steady")
	srv.MustDo("CONFIG", "SET", "rdb-key-save-delay", "100")
	srv.MustDo("BGSAVE")
	scenario.MustWaitFile(t, srv.Dir, `^temp-.*\.rdb$`, 20*time.Second)
	time.Sleep(300 * time.Millisecond)
	freeze("bgsave")
	if err := srv.WaitInfo("rdb_bgsave_in_progress", "0", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	srv.MustDo("BGREWRITEAOF")
	scenario.MustWaitFile(t, srv.Dir, `^temp-rewriteaof-.*\.aof$`, 20*time.Second)
	time.Sleep(300 * time.Millisecond)
	freeze("rewrite")
	if err := srv.WaitInfo("aof_rewrite_in_progress", "0", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	// The old copy: the steady set with dates more than six months back.
	old := filepath.Join(base, "old", "data")
	_ = os.MkdirAll(filepath.Dir(old), 0o755)
	if out, err := exec.Command("cp", "-a", copies["steady"], old).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	copies["old"] = old
	_ = filepath.WalkDir(old, func(p string, d fs.DirEntry, err error) error {
		if err == nil {
			_ = os.Chtimes(p, time.Date(2023, 11, 20, 18, 14, 5, 0, time.UTC), time.Date(2023, 11, 20, 18, 14, 5, 0, time.UTC))
		}
		return nil
	})
	steady := copies["steady"]
	_ = os.WriteFile(filepath.Join(steady, "backup copy.rdb"), []byte("REDIS0010"), 0o644)
	_ = os.Symlink("dump.rdb", filepath.Join(steady, "latest.rdb"))
	_ = syscall.Mkfifo(filepath.Join(steady, "temp-4242.rdb"), 0o644)

	outDir := filepath.Join("testdata", "listings")
	for _, c := range listingCmds {
		dir := copies[c.scenario]
		args := make([]string, len(c.args))
		for i, a := range c.args {
			a = strings.ReplaceAll(a, "AOFDIR", filepath.Join(dir, "appendonlydir"))
			args[i] = strings.ReplaceAll(a, "DIR", dir)
		}
		cmd := exec.Command("ls", args...)
		cmd.Env = append(os.Environ(), "TZ=UTC", "LC_ALL=C")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("ls %v: %v", args, err)
		}
		text := strings.ReplaceAll(string(out), dir, "/data")
		if err := os.WriteFile(filepath.Join(outDir, c.file+".txt"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, d := range c.dirs {
			rel, prefix := d, d
			if d == "-" {
				rel, prefix = "appendonlydir", ""
			}
			des, err := os.ReadDir(filepath.Join(dir, rel))
			if err != nil {
				t.Fatal(err)
			}
			for _, de := range des {
				fi, err := os.Lstat(filepath.Join(dir, rel, de.Name()))
				if err != nil {
					t.Fatal(err)
				}
				p := filepath.ToSlash(filepath.Join(prefix, de.Name()))
				e := entryFromInfo(p, fi)
				e.applyName(prefix == "", DefaultNames())
				size := strconv.FormatInt(fi.Size(), 10)
				if c.human && fi.Size() >= 1024 {
					size = "~" + size
				}
				if e.Type == TypeDir {
					size = "-" // a directory's size depends on the file system
				}
				want = append(want, strings.Join([]string{p, string(e.Type), string(e.Kind), size, fi.ModTime().UTC().Format(time.RFC3339Nano)}, "\t"))
			}
		}
		sort.Strings(want)
		if err := os.WriteFile(filepath.Join(outDir, c.file+".want"), []byte(strings.Join(want, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("ls %s -> %s.txt", strings.Join(c.args, " "), c.file)
	}
}
