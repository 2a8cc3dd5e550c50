package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aoftool/aoftool/finding"
	"github.com/aoftool/aoftool/internal/check"
	"github.com/aoftool/aoftool/internal/fsguard"
	"github.com/aoftool/aoftool/internal/redistest"
)

// The tests of this file hold the front door to its promise: no answer
// depends on how a path was given, only on the data and the server's
// configuration.

func checkJSON(t *testing.T, args ...string) (*check.Report, cliResult) {
	t.Helper()
	r := runCLI(t, "", append([]string{"check", "--json"}, args...)...)
	if r.code == exitCannot {
		return nil, r
	}
	var rep check.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("check --json %v: %v\n%s\n%s", args, err, r.stdout, r.stderr)
	}
	return &rep, r
}

// TestWrongKindsOfInputSayWhatTheyAre: a file given to a command that does
// not read its kind is refused with what it is and the command that reads
// it, before anything is judged.
func TestWrongKindsOfInputSayWhatTheyAre(t *testing.T) {
	fx := func(p string) string { return filepath.Join("..", "..", "testdata", p) }
	dump := fx("rdb/sized/dump.rdb")
	incr := fx("redis7-writes/appendonlydir/appendonly.aof.1.incr.aof")
	base := fx("redis7-rewrite/appendonlydir/appendonly.aof.2.base.rdb")
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"manifest", dump}, []string{"this is an RDB file", "aoftool rdb"}},
		{[]string{"manifest", incr}, []string{"this is an AOF file", "aoftool aof"}},
		{[]string{"rdb", incr}, []string{"this is an AOF file", "aoftool aof"}},
		{[]string{"rdb", fx("redis7-writes")}, []string{"this is a directory", "aoftool check"}},
		{[]string{"aof", dump}, []string{"this is an RDB file", "aoftool rdb"}},
		{[]string{"check", dump}, []string{"this is an RDB file", "not a data directory"}},
		{[]string{"check", incr}, []string{"this is an AOF file"}},
		{[]string{"phase", dump}, []string{"this is an RDB file"}},
	} {
		r := runCLI(t, "", tc.args...)
		if r.code != exitCannot || r.stdout != "" {
			t.Errorf("%v: exit %d, stdout %q; want exit 2 and no report", tc.args, r.code, r.stdout)
		}
		for _, w := range tc.want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%v: stderr %q lacks %q", tc.args, r.stderr, w)
			}
		}
	}
	// What each command does read still passes.
	for _, args := range [][]string{{"rdb", dump}, {"rdb", base}, {"aof", "--server-stopped", incr}, {"aof", "--server-stopped", base}, {"manifest", fx("redis7-writes/appendonlydir")}} {
		if r := runCLI(t, "", args...); r.code != exitOK {
			t.Errorf("%v: exit %d\n%s", args, r.code, r.stderr)
		}
	}
}

// TestAppendDirGivenToCheck: the AOF directory given where the data dir is
// meant is read through its parent, and the answer is the data dir's.
func TestAppendDirGivenToCheck(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	fsguard.CopyTree(t, filepath.Join("..", "..", "testdata", "redis7-multi-incr"), dir)
	fsguard.Touch(t, dir, time.Now().Add(-time.Hour))
	whole, r1 := checkJSON(t, dir)
	viaAOF, r2 := checkJSON(t, filepath.Join(dir, "appendonlydir"))
	viaManifest, r3 := checkJSON(t, filepath.Join(dir, "appendonlydir", "appendonly.aof.manifest"))
	if whole == nil || viaAOF == nil || viaManifest == nil {
		t.Fatalf("exit codes %d %d %d: %s %s %s", r1.code, r2.code, r3.code, r1.stderr, r2.stderr, r3.stderr)
	}
	if r1.code != exitOK || r2.code != exitOK || r3.code != exitOK {
		t.Errorf("exit codes %d %d %d, want 0", r1.code, r2.code, r3.code)
	}
	for _, rep := range []*check.Report{viaAOF, viaManifest} {
		if rep.Verdict != whole.Verdict || rep.Dir != whole.Dir || !rep.Findings.Has(finding.DataDirParentUsed) {
			t.Errorf("verdict %q (dir %s), want %q (dir %s), with a %s note", rep.Verdict, rep.Dir, whole.Verdict, whole.Dir, finding.DataDirParentUsed)
		}
	}
}

// TestOutputsCheckedBeforeTheWork: an output into a directory that does not
// exist fails at once, with no report printed.
func TestOutputsCheckedBeforeTheWork(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	fsguard.CopyTree(t, filepath.Join("..", "..", "testdata", "redis7-rewrite"), dir)
	nowhere := filepath.Join(t.TempDir(), "no", "such", "dir")
	for _, args := range [][]string{
		{"check", "--markdown-out", filepath.Join(nowhere, "report.md"), dir},
		{"phase", "--prometheus", filepath.Join(nowhere, "redis.prom"), dir},
		{"snapshot", "-o", filepath.Join(nowhere, "s.json"), dir},
		{"aof", "--repair-to", filepath.Join(nowhere, "appendonlydir"), dir},
	} {
		r := runCLI(t, "", args...)
		if r.code != exitCannot || r.stdout != "" || !strings.Contains(r.stderr, "does not exist") {
			t.Errorf("%v: exit %d, stdout %.80q, stderr %q; want exit 2 before any work", args, r.code, r.stdout, r.stderr)
		}
	}
}

// startAndFill starts a server with extra config on dir, writes n keys and
// returns it; the caller stops it.
func startAndFill(t *testing.T, dir string, n int, conf ...string) *redistest.Server {
	t.Helper()
	s := redistest.Start(t, redistest.Options{Dir: dir, Config: conf})
	var cmds [][]string
	for i := range n {
		cmds = append(cmds, []string{"SET", "key:" + strconv.Itoa(i), "value"})
	}
	if err := s.Pipeline(cmds); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestCustomNamesAreFoundOrNamed: a directory a real server wrote with
// other names is read right without flags (each name discovered with a
// warning naming the flag), and as right with the flags (no warning).
func TestCustomNamesAreFoundOrNamed(t *testing.T) {
	dir := t.TempDir()
	s := startAndFill(t, dir, 50, "appendonly yes", "dbfilename redis-6379.rdb", "appenddirname aof", "appendfilename cache.aof")
	s.MustDo("SAVE")
	s.Shutdown()
	fsguard.Touch(t, dir, time.Now().Add(-time.Hour))

	found, r := checkJSON(t, dir)
	if found == nil || r.code != exitOK {
		t.Fatalf("without flags: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	var hints []string
	for _, f := range found.Findings {
		if f.Code == finding.DataDirNameDiscovered {
			hints = append(hints, f.Hint)
		}
	}
	joined := strings.Join(hints, "\n")
	for _, want := range []string{"--dbfilename redis-6379.rdb", "--appenddirname aof"} {
		if !strings.Contains(joined, want) {
			t.Errorf("no discovery warning naming %q; hints:\n%s", want, joined)
		}
	}
	told, r := checkJSON(t, "--dbfilename", "redis-6379.rdb", "--appenddirname", "aof", "--appendfilename", "cache.aof", dir)
	if told == nil || r.code != exitOK || told.Findings.Has(finding.DataDirNameDiscovered) {
		t.Fatalf("with flags: exit %d, findings %v", r.code, told.Findings)
	}
	for _, rep := range []*check.Report{found, told} {
		on, off := rep.Start.AOFOn, rep.Start.AOFOff
		if !on.Starts || len(on.Loads) != 2 || !strings.HasPrefix(on.Loads[0], "aof/cache.aof.") || !strings.HasPrefix(on.Loads[1], "aof/cache.aof.") {
			t.Errorf("AOF on: %+v", on)
		}
		if !off.Starts || len(off.Loads) != 1 || off.Loads[0] != "redis-6379.rdb" || off.Keys == nil || *off.Keys != 50 {
			t.Errorf("AOF off: %+v", off)
		}
	}

	// Two RDB files and no dump.rdb: neither is guessed, and the warning
	// lists both.
	copyFile(t, filepath.Join(dir, "redis-6379.rdb"), filepath.Join(dir, "redis-6380.rdb"))
	amb, _ := checkJSON(t, "--appenddirname", "aof", dir)
	if amb == nil || amb.Start.AOFOff.Keys == nil || *amb.Start.AOFOff.Keys != 0 || len(amb.Start.AOFOff.Loads) != 0 {
		t.Fatalf("two candidates: AOF off %+v", amb.Start.AOFOff)
	}
	text := ""
	for _, f := range amb.Findings {
		text += f.Message + "\n"
	}
	if !strings.Contains(text, "redis-6379.rdb, redis-6380.rdb") {
		t.Errorf("the ambiguity warning does not list both candidates:\n%s", text)
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestConfigFileEqualsFlags: a redis.conf a real server started with
// (an include, and an include by glob pattern, each overriding what came
// before) gives the same answer as the equivalent flags.
func TestConfigFileEqualsFlags(t *testing.T) {
	confDir := t.TempDir()
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(confDir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("conf.d/10-aof.conf", "appendonly yes\nappenddirname \"persist\"\nappendfilename 'shard.aof'\n")
	write("base.conf", "dbfilename base.rdb\nAPPENDFILENAME ignored.aof\n")
	main := write("redis.conf", "# a server's own config\ninclude "+filepath.Join(confDir, "base.conf")+"\ninclude "+filepath.Join(confDir, "conf.d", "*.conf")+
		"\ndbfilename \"snap shot.rdb\"\nsave \"\"\n")
	s := startAndFill(t, dir, 30, "include "+main)
	s.MustDo("SAVE")
	s.Shutdown()
	fsguard.Touch(t, dir, time.Now().Add(-time.Hour))
	for _, name := range []string{"snap shot.rdb", "persist/shard.aof.manifest"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Fatalf("the server did not write %s: %v", name, err)
		}
	}
	at := time.Now()
	fixClock(t, func() time.Time { return at })
	viaConfig, r1 := checkJSON(t, "--config", main, dir)
	viaFlags, r2 := checkJSON(t, "--dbfilename", "snap shot.rdb", "--appenddirname", "persist", "--appendfilename", "shard.aof", "--appendonly", "yes", dir)
	if viaConfig == nil || viaFlags == nil || r1.code != exitOK || r2.code != exitOK {
		t.Fatalf("exit %d %d: %s %s", r1.code, r2.code, r1.stderr, r2.stderr)
	}
	// The answers are the same; only where appendonly came from differs.
	a, b := withoutOrigin(t, r1.stdout), withoutOrigin(t, r2.stdout)
	if a != b {
		t.Errorf("--config and the flags answer differently:\n--- config\n%s\n--- flags\n%s", a, b)
	}
	if viaConfig.Start.Judged.Mode != check.AOFOn || viaConfig.Start.Judged.From != "config" || !strings.Contains(viaConfig.Start.Judged.Why, "10-aof.conf:1") {
		t.Errorf("judged %+v", viaConfig.Start.Judged)
	}
	if k := viaConfig.Start.AOFOff.Keys; k == nil || *k != 30 || viaConfig.Start.AOFOff.Loads[0] != "snap shot.rdb" {
		t.Errorf("AOF off: %+v", viaConfig.Start.AOFOff)
	}
	// The config's dir is the data dir when none is given.
	withDir := write("with-dir.conf", "include "+main+"\ndir "+dir+"\n")
	if rep, r := checkJSON(t, "--config", withDir); rep == nil || r.code != exitOK || rep.Verdict != viaConfig.Verdict {
		t.Errorf("dir from the config: exit %d %s", r.code, r.stderr)
	}
}

// withoutOrigin drops the judged mode's origin from a check --json
// document, so two ways of saying the same configuration compare equal.
func withoutOrigin(t *testing.T, doc string) string {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatal(err)
	}
	delete(v["start"].(map[string]any)["judged"].(map[string]any), "why")
	v["verdict"] = ""
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

// TestSymlinkedDumpIsTheTargets: a dump.rdb that is a symlink to a valid
// RDB is what the server loads; with --follow-symlinks aoftool predicts
// that, without it it says it did not read it.
func TestSymlinkedDumpIsTheTargets(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "data")
	src := t.TempDir()
	s := startAndFill(t, src, 40)
	s.MustDo("SAVE")
	s.Shutdown()
	if err := os.MkdirAll(filepath.Join(root, "snapshots"), 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile(t, filepath.Join(src, "dump.rdb"), filepath.Join(root, "snapshots", "monday.rdb"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../snapshots/monday.rdb", filepath.Join(dir, "dump.rdb")); err != nil {
		t.Fatal(err)
	}
	fsguard.Touch(t, root, time.Now().Add(-time.Hour))

	rep, r := checkJSON(t, "--follow-symlinks", dir)
	if rep == nil || r.code != exitOK || !rep.Start.AOFOff.Starts || rep.Start.AOFOff.Keys == nil || *rep.Start.AOFOff.Keys != 40 {
		t.Fatalf("--follow-symlinks: exit %d, AOF off %+v\n%s", r.code, rep, r.stderr)
	}
	if _, r := checkJSON(t, dir); r.code != exitCannot || !strings.Contains(r.stderr, "symbolic link") || !strings.Contains(r.stderr, "--follow-symlinks") {
		t.Errorf("without --follow-symlinks: exit %d, stderr %q", r.code, r.stderr)
	}
	// The server, started on a copy, loads the target.
	copyRoot := filepath.Join(t.TempDir(), "copy")
	fsguard.CopyTree(t, root, copyRoot)
	srv := redistest.Start(t, redistest.Options{Dir: filepath.Join(copyRoot, "data")})
	defer srv.Stop()
	if got := srv.MustDo("DBSIZE").Int; got != 40 {
		t.Errorf("the server holds %d keys, aoftool predicted %d", got, *rep.Start.AOFOff.Keys)
	}
}

// TestLiveServerUnderWritesIsNeverTorn: check on the directory of a live
// server with appendfsync always and a steady write load reads a growing
// last incr; a half-written last command is the server appending, never a
// torn tail, so no run reports an error.
func TestLiveServerUnderWritesIsNeverTorn(t *testing.T) {
	bench, err := exec.LookPath("redis-benchmark")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-benchmark not found; CI installs redis-tools")
		}
		t.Skip("redis-benchmark not found")
	}
	dir := t.TempDir()
	s := redistest.Start(t, redistest.Options{Dir: dir, Config: []string{"appendonly yes", "appendfsync always", "auto-aof-rewrite-percentage 0"}})
	defer s.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	load := exec.CommandContext(ctx, bench, "-s", s.Socket, "-t", "set,lpush,sadd,hset,incr", "-r", "100000", "-d", "5000", "-P", "8", "-c", "4", "-n", "100000000", "-q")
	if err := load.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = load.Wait() }()
	aofDir := filepath.Join(dir, "appendonlydir")
	first := dirBytes(t, aofDir)
	time.Sleep(300 * time.Millisecond)
	pending, grew := 0, 0
	for i := range 20 {
		if i%4 == 3 {
			// Rewrites rename and delete files under the reader too.
			_, _ = s.Do("BGREWRITEAOF")
		}
		rep, r := checkJSON(t, dir)
		if rep == nil || r.code != exitOK || rep.Findings.HasError() {
			t.Fatalf("run %d on a live server: exit %d\n%s%s", i+1, r.code, r.stdout, r.stderr)
		}
		if rep.Findings.Has(finding.AOFPendingCommand) {
			pending++
		}
		if rep.Findings.Has(finding.InputChanged) {
			grew++
		}
	}
	// The test proves something only if the server wrote while aoftool read.
	if grew == 0 {
		t.Fatalf("the incr never grew while a check read it; the load is too light for this test")
	}
	last := dirBytes(t, aofDir)
	if last <= first {
		t.Fatalf("the AOF did not grow under the load: %d -> %d bytes", first, last)
	}
	t.Logf("20 runs over a live AOF growing %d -> %d bytes, with 5 rewrites; %d read the incr while it grew, %d saw a command being written", first, last, grew, pending)
}

func dirBytes(t *testing.T, dir string) int64 {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, e := range ents {
		if fi, err := e.Info(); err == nil {
			n += fi.Size()
		}
	}
	return n
}
