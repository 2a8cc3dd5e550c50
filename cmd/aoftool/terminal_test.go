package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/aoftool/aoftool/internal/fsguard"
)

func init() {
	// A developer's shell may export COLUMNS; goldens are made at the
	// widths the tests choose.
	columnsEnv = func() string { return "" }
}

// ansiSeq matches the colour and line-clearing sequences a terminal gets.
var ansiSeq = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)

// runInTerminal runs aoftool in-process with stdout and stderr on a
// pseudo-terminal of the given width, as a person at a terminal runs it,
// and returns what the terminal received (line ends as the tty sends them,
// "\r\n") and the exit code.
func runInTerminal(t *testing.T, cols int, args ...string) (string, int) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Cols: uint16(cols), Rows: 50}); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	done := make(chan struct{})
	go func() {
		// The reader must keep up with the writer: a full tty buffer
		// blocks the command.
		_, _ = io.Copy(&got, ptmx)
		close(done)
	}()
	now := testNow
	if now == nil {
		now = time.Now
	}
	code := runAt(args, strings.NewReader(""), tty, tty, now)
	tty.Close()
	<-done
	return got.String(), code
}

// screenLines is what a person sees: colour removed, and a line redrawn
// with '\r' counted as each of its drawings.
func screenLines(s string) []string {
	s = ansiSeq.ReplaceAllString(s, "")
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		out = append(out, strings.Split(l, "\r")...)
	}
	return out
}

// terminalDirs builds, under one parent, the directories a first hour
// meets: a healthy AOF directory, a damaged one (a torn last incr on a
// stopped server), a rewrite in progress, a corrupt dump whose key being
// read has a 3 KiB binary name, and pasted listings of a replica rebuild.
func terminalDirs(t *testing.T) string {
	healthy := phCopyTree(t, "../../testdata/redis7-rewrite", time.Hour)
	parent := filepath.Dir(healthy)
	rename := func(from, to string) string {
		dst := filepath.Join(parent, to)
		if err := os.Rename(from, dst); err != nil {
			t.Fatal(err)
		}
		return dst
	}
	rename(healthy, "healthy")
	damaged := rename(phCopyTree(t, "../../testdata/redis7-writes", time.Hour), "damaged")
	incr := filepath.Join(damaged, "appendonlydir", "appendonly.aof.1.incr.aof")
	b := phReadFile(t, incr)
	phWriteFile(t, incr, b[:len(b)-7], phNow.Add(-time.Hour))
	phTouch(t, filepath.Join(damaged, "appendonlydir"), phNow.Add(-time.Hour))
	rename(phRewritingDir(t), "rewriting")
	dump := phReadFile(t, "../../testdata/rdb/binary-key/dump.rdb")
	corrupt := filepath.Join(parent, "corrupt-dump")
	if err := os.Mkdir(corrupt, 0o755); err != nil {
		t.Fatal(err)
	}
	// Cut inside the value of the key with the 3,072-byte binary name.
	phWriteFile(t, filepath.Join(corrupt, "dump.rdb"), dump[:1420], phNow.Add(-time.Hour))
	phTouch(t, corrupt, phNow.Add(-time.Hour))
	phWriteFile(t, filepath.Join(parent, "binary-keys.rdb"), dump, phNow.Add(-time.Hour))
	listings := "../../phase/testdata/listings/"
	for _, l := range []string{"replica-rebuild-disk_1-transfer.lh.txt", "replica-rebuild-disk_3-rewrite.lh.txt"} {
		phWriteFile(t, filepath.Join(parent, l), phReadFile(t, listings+l), phNow)
	}
	r := runCLIIn(t, parent, "snapshot", "healthy", "-o", "healthy.json")
	if r.code != 0 {
		t.Fatalf("snapshot -o: %d %s", r.code, r.stderr)
	}
	return parent
}

// terminalCases are the commands a first hour runs, over terminalDirs.
var terminalCases = []struct {
	name string
	args []string
	code int
}{
	{"check-healthy", []string{"check", "healthy"}, 0},
	{"check-damaged", []string{"check", "--server-stopped", "damaged"}, 1},
	{"check-rewriting", []string{"check", "rewriting"}, 0},
	{"check-corrupt-dump", []string{"check", "corrupt-dump"}, 1},
	{"manifest-healthy", []string{"manifest", "healthy"}, 0},
	{"manifest-rewriting", []string{"manifest", "rewriting"}, 0},
	{"rdb-corrupt-dump", []string{"rdb", "corrupt-dump/dump.rdb"}, 1},
	{"rdb-binary-keys", []string{"rdb", "--keys", "binary-keys.rdb"}, 0},
	{"aof-damaged", []string{"aof", "--server-stopped", "damaged"}, 1},
	{"aof-damaged-file", []string{"aof", "--server-stopped", "damaged/appendonlydir/appendonly.aof.1.incr.aof"}, 1},
	{"aof-healthy", []string{"aof", "healthy"}, 0},
	{"phase-rewriting", []string{"phase", "rewriting"}, 0},
	{"phase-stopped", []string{"phase", "--server-stopped", "rewriting"}, 0},
	{"phase-listing", []string{"phase", "--year", "2026", "--from-ls", "replica-rebuild-disk_3-rewrite.lh.txt"}, 0},
	{"snapshot-healthy", []string{"snapshot", "healthy"}, 0},
	{"diff-snapshot-dir", []string{"diff", "healthy.json", "rewriting"}, 0},
	{"diff-listings", []string{"diff", "--year", "2026", "replica-rebuild-disk_1-transfer.lh.txt", "replica-rebuild-disk_3-rewrite.lh.txt"}, 0},
	{"keys-binary-keys", []string{"keys", "binary-keys.rdb"}, 0},
	{"keys-healthy", []string{"keys", "healthy"}, 0},
	{"keys-prefixes", []string{"keys", "--prefix-report", "binary-keys.rdb"}, 0},
	{"keydiff-dump-dir", []string{"keydiff", "binary-keys.rdb", "healthy"}, 0},
	{"usage-rdb-no-file", []string{"rdb"}, 2},
	{"usage-unknown-flag", []string{"check", "--no-such-flag", "healthy"}, 2},
	{"missing-dir", []string{"check", "no-such-dir"}, 2},
}

// TestEveryCommandFitsTheTerminal runs every command and every --help in a
// pseudo-terminal of 80 and of 120 columns and fails on any line wider
// than the terminal; its output at both widths is kept as goldens, and the
// exit code must be the one --json gives.
func TestEveryCommandFitsTheTerminal(t *testing.T) {
	phFixClocks(t)
	parent := terminalDirs(t)
	guard := fsguard.Record(t, parent)
	t.Chdir(parent)
	type run struct {
		name string
		args []string
		code int
		json bool
	}
	var runs []run
	for _, c := range terminalCases {
		runs = append(runs, run{c.name, c.args, c.code, true})
	}
	runs = append(runs, run{"help", []string{"--help"}, 0, false}, run{"version", []string{"version"}, 0, false})
	for _, c := range newRootCmd(&globalOptions{}).Commands() {
		if c.Hidden || c.Name() == "help" {
			continue
		}
		runs = append(runs, run{"help-" + c.Name(), []string{c.Name(), "--help"}, 0, false})
	}
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			for _, cols := range []int{80, 120} {
				raw, code := runInTerminal(t, cols, r.args...)
				if code != r.code {
					t.Errorf("%v at %d columns: exit %d, want %d\n%s", r.args, cols, code, r.code, raw)
				}
				lines := screenLines(raw)
				for i, l := range lines {
					if w := textWidth(l); w > cols {
						t.Errorf("%v at %d columns: line %d is %d columns wide: %q", r.args, cols, i+1, w, l)
					}
				}
				if r.name == "version" {
					continue // the version depends on the build
				}
				golden(t, "terminal/"+r.name+"."+strconv.Itoa(cols)+".txt", strings.Join(lines, "\n"))
			}
			if r.json {
				// Piped, the same report is laid out for 100 columns; the
				// README's examples are these.
				piped := runCLI(t, "", r.args...)
				if r.args[0] != "snapshot" { // piped, a snapshot is JSON with the volume's free space
					golden(t, "terminal/"+r.name+".100.txt", piped.stdout+piped.stderr)
				}
				js := runCLI(t, "", append([]string{"--json"}, r.args...)...)
				if js.code != r.code {
					t.Errorf("--json %v: exit %d, want %d as on a terminal", r.args, js.code, r.code)
				}
			}
		})
	}
	t.Chdir(pkgDir)
	guard.AssertUnchanged(t)
}

// TestLongReadsShowOneProgressBar runs rdb, aof and check with the bar's
// size threshold lowered: each draws its bar on the terminal within the
// width and clears it before the report.
func TestLongReadsShowOneProgressBar(t *testing.T) {
	phFixClocks(t)
	oldMin, oldThrottle := progressMin, progressThrottle
	progressMin, progressThrottle = 0, 0
	t.Cleanup(func() { progressMin, progressThrottle = oldMin, oldThrottle })
	parent := terminalDirs(t)
	t.Chdir(parent)
	for _, args := range [][]string{
		{"rdb", "binary-keys.rdb"},
		{"aof", "healthy"},
		{"check", "healthy"},
	} {
		for _, cols := range []int{80, 120} {
			raw, _ := runInTerminal(t, cols, args...)
			if !strings.Contains(raw, "% |") {
				t.Errorf("%v at %d columns: no progress bar drawn:\n%q", args, cols, raw)
			}
			for _, l := range screenLines(raw) {
				if w := textWidth(l); w > cols {
					t.Errorf("%v at %d columns: a %d-column line: %q", args, cols, w, l)
				}
			}
			// Piped, the same run draws nothing on stderr.
			if r := runCLI(t, "", args...); r.stderr != "" {
				t.Errorf("%v piped: stderr %q", args, r.stderr)
			}
		}
	}
}
