package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aoftool/aoftool/aofinspect"
	"github.com/aoftool/aoftool/internal/fsguard"
	"github.com/aoftool/aoftool/internal/redistest"
)

const aofFixtures = "../../testdata/aof"

const (
	tSet   = "*3\r\n$3\r\nSET\r\n$7\r\nextra:k\r\n$1\r\n1\r\n"
	tMulti = "*1\r\n$5\r\nMULTI\r\n"
	tExec  = "*1\r\n$4\r\nEXEC\r\n"
)

// aofVariants are damaged versions of a real incr file, made in code from
// the fixture's bytes.
func aofVariants(t testing.TB) []struct{ name, data string } {
	t.Helper()
	incr, err := os.ReadFile(filepath.Join(aofFixtures, "multi-dbs/appendonlydir/appendonly.aof.1.incr.aof"))
	if err != nil {
		t.Fatal(err)
	}
	b := string(incr)
	// The last command's start, for cuts inside it.
	s := aofinspect.NewScanner(strings.NewReader(b), aofinspect.Options{})
	var lastStart int64
	for s.Next() {
		lastStart = s.Command().Offset
	}
	mid := len(b) / 2
	for b[mid-1] != '\n' || b[mid] != '*' { // a command boundary near the middle
		mid++
	}
	L := int(lastStart)
	return []struct{ name, data string }{
		{"clean", b},
		{"cut-1-byte-into-last", b[:L+1]},
		{"cut-in-last-header", b[:L+6]},
		{"cut-in-last-bulk", b[:L+(len(b)-L)/2+3]},
		{"cut-before-final-lf", b[:len(b)-1]},
		{"cut-before-final-crlf", b[:len(b)-2]},
		{"garbage-middle", b[:mid] + "garbage!\r\n" + b[mid:]},
		{"argc-99999999999-end", b + "*99999999999\r\n"},
		{"argc-99999999999-middle", b[:mid] + "*99999999999\r\n" + b[mid:]},
		{"argc-wraps", b + "*-2147483649\r\n"},
		{"bulk-negative", b + "*2\r\n$-1\r\nab\r\n"},
		{"bulk-huge", b + "*2\r\n$4611686018427387904\r\nab"},
		{"bulk-longer-than-file", b + "*3\r\n$3\r\nSET\r\n$1000\r\nabc"},
		{"missing-crlf-middle", b[:mid] + strings.Replace(tSet, "SET\r\n", "SETxx", 1) + b[mid:]},
		{"star-zero", b + "*0\r\n"},
		{"star-minus-one", b + "*-1\r\n"},
		{"bare-star", b + "*"},
		{"open-multi", b + tMulti + tSet},
		{"torn-inside-multi", b + tMulti + tSet + tSet[:10]},
		{"closed-multi", b + tMulti + tSet + tExec},
		{"unknown-command", b + "*1\r\n$7\r\nNOTACMD\r\n"},
	}
}

// makeAOFDir builds a data dir: the multi-dbs base, the variant as incr 1,
// and when notLast a small valid incr 2 after it.
func makeAOFDir(t testing.TB, data string, notLast bool) string {
	t.Helper()
	dir := t.TempDir()
	ad := filepath.Join(dir, "appendonlydir")
	if err := os.Mkdir(ad, 0o755); err != nil {
		t.Fatal(err)
	}
	base, err := os.ReadFile(filepath.Join(aofFixtures, "multi-dbs/appendonlydir/appendonly.aof.1.base.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	man := "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(ad, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("appendonly.aof.1.base.rdb", string(base))
	write("appendonly.aof.1.incr.aof", data)
	if notLast {
		write("appendonly.aof.2.incr.aof", "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"+tSet)
		man += "file appendonly.aof.2.incr.aof seq 2 type i\n"
	}
	write("appendonly.aof.manifest", man)
	return dir
}

// truncatedAt matches the server's "!!! Truncating the AOF <f> at offset <n> !!!".
var truncatedAt = regexp.MustCompile(`Truncating the AOF \S+ at offset (\d+)`)

func copyDir(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	fsguard.CopyTree(t, src, dst)
	return dst
}

type aofJSON struct {
	Server struct {
		Verdict     string `json:"verdict"`
		TruncatesAt *int64 `json:"truncates_at"`
	} `json:"server"`
	TruncatesFile string `json:"truncates_file"`
	Commands      int64  `json:"commands"`
}

// TestAOFVerdictAgreesWithRedis starts a real redis-server on a copy of
// each damaged directory, with aof-load-truncated yes and no, and checks
// that aoftool's verdict is what the server did.
func TestAOFVerdictAgreesWithRedis(t *testing.T) {
	redistest.Binary(t)
	if testing.Short() {
		t.Skip("starts many servers")
	}
	for _, v := range aofVariants(t) {
		for _, notLast := range []bool{false, true} {
			name := v.name + "/last"
			if notLast {
				name = v.name + "/not-last"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				if strings.HasPrefix(v.name, "argc-") && strictOvercommit() {
					// The server allocates 8 bytes per claimed argument up front
					// (up to 16 GiB, lazily); strict overcommit makes it abort.
					t.Skip("vm.overcommit_memory=2: the server's up-front argv allocation fails here")
				}
				dir := makeAOFDir(t, v.data, notLast)
				guard := fsguard.Record(t, dir)
				r := runCLI(t, "", "aof", "--server-stopped", "--json", dir)
				guard.AssertUnchanged(t)
				var got aofJSON
				if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
					t.Fatalf("json: %v\n%s\n%s", err, r.stdout, r.stderr)
				}
				wantExit := exitFindings
				if got.Server.Verdict == "loads" && v.name != "unknown-command" {
					wantExit = exitOK
				}
				if r.code != wantExit {
					t.Errorf("exit %d, want %d for verdict %s", r.code, wantExit, got.Server.Verdict)
				}
				for _, lt := range []string{"yes", "no"} {
					cp := copyDir(t, dir)
					s, err := redistest.Launch(t, redistest.Options{Dir: cp, StartTimeout: 15 * time.Second,
						Config: []string{"appendonly yes", "aof-load-truncated " + lt}})
					ready := err == nil && !s.Exited()
					log := ""
					if s != nil {
						log = s.Log()
						s.Stop()
					}
					truncated := strings.Contains(log, "Truncating the AOF")
					var want string
					switch got.Server.Verdict {
					case "loads":
						want = "ready, no truncation"
						if ready && !truncated {
							continue
						}
					case "loads-truncated":
						if lt == "yes" {
							want = "ready after truncating"
							if ready && truncated {
								continue
							}
						} else {
							want = "exit"
							if !ready {
								continue
							}
						}
					case "refuses":
						want = "exit"
						if !ready {
							if notLast && lt == "yes" && got.Server.TruncatesAt != nil {
								// The server cut the torn non-last file in place before refusing.
								st, err := os.Stat(filepath.Join(cp, "appendonlydir/appendonly.aof.1.incr.aof"))
								if err != nil || st.Size() != *got.Server.TruncatesAt || !truncated {
									t.Errorf("non-last torn file: server left %v bytes (truncated=%v), aoftool said it cuts at %d", st.Size(), truncated, *got.Server.TruncatesAt)
								}
							}
							continue
						}
					}
					t.Errorf("aof-load-truncated %s: aoftool says %s (%s), server: ready=%v truncated=%v, want %s\n%s",
						lt, got.Server.Verdict, "", ready, truncated, want, tailLines(log, 8))
				}
				if got.Server.Verdict == "loads-truncated" && got.Server.TruncatesAt != nil {
					// Where the server cut must be where aoftool said. The
					// server's own log line is the witness: the file's size
					// after the run is not, because keys whose TTL passed since
					// the fixture was made are deleted at start and their DELs
					// appended.
					cp := copyDir(t, dir)
					s, err := redistest.Launch(t, redistest.Options{Dir: cp, Config: []string{"appendonly yes", "aof-load-truncated yes"}})
					if err == nil {
						s.Stop()
						m := truncatedAt.FindStringSubmatch(s.Log())
						if m == nil {
							t.Errorf("server log has no truncation line:\n%s", tailLines(s.Log(), 8))
						} else if m[1] != strconv.FormatInt(*got.Server.TruncatesAt, 10) {
							t.Errorf("server cut the file at offset %s, aoftool said %d", m[1], *got.Server.TruncatesAt)
						}
					}
				}
			})
		}
	}
}

func strictOvercommit() bool {
	b, err := os.ReadFile("/proc/sys/vm/overcommit_memory")
	return err == nil && strings.TrimSpace(string(b)) == "2"
}

func tailLines(s string, n int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

// TestAOFRepairedCopyLoads writes a repaired copy of each damaged directory
// and starts a real server on it with aof-load-truncated no: it must load
// without cutting anything, with the keys a server keeps from the original
// when it truncates (aof-load-truncated yes).
func TestAOFRepairedCopyLoads(t *testing.T) {
	redistest.Binary(t)
	if testing.Short() {
		t.Skip("starts servers")
	}
	for _, v := range aofVariants(t) {
		switch v.name {
		case "unknown-command", "bulk-negative", "bulk-huge":
			continue // not cut by a repair, or the server aborts on them
		}
		for _, notLast := range []bool{false, true} {
			name := v.name + "/last"
			if notLast {
				name = v.name + "/not-last"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				dir := makeAOFDir(t, v.data, notLast)
				out := t.TempDir()
				guard := fsguard.Record(t, dir)
				r := runCLI(t, "", "aof", "--server-stopped", "--json", "--repair-to", filepath.Join(out, "appendonlydir"), dir)
				guard.AssertUnchanged(t)
				if r.code == exitCannot {
					t.Fatalf("repair failed: %s", r.stderr)
				}
				if r.code != exitOK {
					t.Errorf("a repair that is written exits 0 whatever the input's damage; got %d", r.code)
				}
				var rep struct {
					aofJSON
					Files []struct {
						OKUpTo int64 `json:"ok_up_to"`
						Size   int64 `json:"size"`
					} `json:"files"`
				}
				if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
					t.Fatal(err)
				}
				s, err := redistest.Launch(t, redistest.Options{Dir: out, Config: []string{"appendonly yes", "aof-load-truncated no"}})
				if err != nil {
					t.Fatalf("server refuses the repaired copy: %v", err)
				}
				got := s.MustDo("DBSIZE").Int
				log := s.Log()
				s.Stop()
				if strings.Contains(log, "Truncating") {
					t.Fatalf("the repaired copy needed truncating:\n%s", log)
				}
				// The oracle: the original loaded with aof-load-truncated yes,
				// when the server accepts it at all.
				if rep.Server.Verdict != "refuses" {
					s2, err := redistest.Launch(t, redistest.Options{Dir: copyDir(t, dir), Config: []string{"appendonly yes", "aof-load-truncated yes"}})
					if err != nil {
						t.Fatalf("original: %v", err)
					}
					want := s2.MustDo("DBSIZE").Int
					s2.Stop()
					if got != want {
						t.Fatalf("repaired copy has %d keys, the server keeps %d from the original", got, want)
					}
				}
			})
		}
	}
}

// TestAOFFixturesLoadAsPromised checks the real-Redis fixtures: exit 0,
// verdict loads, and the directory untouched.
func TestAOFFixturesLoadAsPromised(t *testing.T) {
	for _, d := range []string{"incr-ts", "multi-dbs", "resp-base", "rdb-base", "legacy-resp", "legacy-preamble"} {
		t.Run(d, func(t *testing.T) {
			dir := copyDir(t, filepath.Join(aofFixtures, d))
			guard := fsguard.Record(t, dir)
			r := runCLI(t, "", "aof", "--server-stopped", "--json", dir)
			guard.AssertUnchanged(t)
			var got aofJSON
			if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
				t.Fatal(err)
			}
			if r.code != exitOK || got.Server.Verdict != "loads" || got.Commands == 0 {
				t.Fatalf("exit %d verdict %s commands %d\n%s", r.code, got.Server.Verdict, got.Commands, r.stderr)
			}
		})
	}
}

func TestAOFRefusesToWriteInsideInspectedDir(t *testing.T) {
	dir := copyDir(t, filepath.Join(aofFixtures, "multi-dbs"))
	guard := fsguard.Record(t, dir)
	for _, out := range []string{
		filepath.Join(dir, "restore"),
		filepath.Join(dir, "appendonlydir", "x"),
		dir,
	} {
		r := runCLI(t, "", "aof", "--server-stopped", "--repair-to", out, dir)
		if r.code != exitCannot || !strings.Contains(r.stderr, "inspected") && !strings.Contains(r.stderr, "not empty") {
			t.Errorf("--repair-to %s: exit %d, stderr %q", out, r.code, r.stderr)
		}
	}
	f := filepath.Join(dir, "appendonlydir", "appendonly.aof.1.incr.aof")
	if r := runCLI(t, "", "aof", "--server-stopped", "--repair-to", filepath.Join(dir, "appendonlydir", "cut.aof"), f); r.code != exitCannot {
		t.Errorf("file repair into its own dir: exit %d", r.code)
	}
	// A symlink elsewhere pointing into the inspected dir is seen through.
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(filepath.Join(dir, "appendonlydir"), link); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, "", "aof", "--server-stopped", "--repair-to", filepath.Join(link, "new"), dir); r.code != exitCannot {
		t.Errorf("repair through a symlink into the inspected dir: exit %d", r.code)
	}
	// An existing non-empty output is refused too.
	busy := t.TempDir()
	os.WriteFile(filepath.Join(busy, "x"), []byte("x"), 0o644)
	if r := runCLI(t, "", "aof", "--server-stopped", "--repair-to", busy, dir); r.code != exitCannot {
		t.Errorf("non-empty output dir: exit %d", r.code)
	}
	guard.AssertUnchanged(t)
}

func TestAOFUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"aof"}, exitCannot},
		{[]string{"aof", "/no/such/file"}, exitCannot},
		{[]string{"aof", "--truncate-to-timestamp", "1", aofFixtures + "/multi-dbs"}, exitCannot},
		{[]string{"aof", "--repair-to", "/tmp/x", aofFixtures + "/multi-dbs", aofFixtures + "/incr-ts"}, exitCannot},
		{[]string{"aof", "--repair-to", "/tmp/x", "--truncate-to-timestamp", "yesterday", aofFixtures + "/multi-dbs"}, exitCannot},
		{[]string{"aof", "--appenddirname", "a/b", aofFixtures + "/multi-dbs"}, exitCannot},
		{[]string{"aof", aofFixtures + "/multi-dbs", aofFixtures + "/incr-ts"}, exitOK},
	} {
		r := runCLI(t, "", tc.args...)
		if r.code != tc.code {
			t.Errorf("%v: exit %d, want %d (%s)", tc.args, r.code, tc.code, r.stderr)
		}
	}
	r := runCLI(t, "", "aof", "--help")
	if r.code != 0 || !strings.Contains(r.stdout, "Examples:") || !strings.Contains(r.stdout, "Exit status:") {
		t.Fatalf("--help lacks examples or exit status:\n%s", r.stdout)
	}
}

// TestAOFTruncateToTimestamp cuts the timestamped fixture at each of its
// annotations and checks the copy ends right before the first later one.
func TestAOFTruncateToTimestamp(t *testing.T) {
	src := filepath.Join(aofFixtures, "incr-ts")
	incr := filepath.Join(src, "appendonlydir/appendonly.aof.1.incr.aof")
	f, err := os.Open(incr)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	rep := aofinspect.Scan(context.Background(), f, st.Size(), aofinspect.Options{})
	marks := rep.TSMarks()
	if len(marks) < 3 {
		t.Fatalf("fixture has %d #TS marks", len(marks))
	}
	first := marks[0].Unix
	cases := []struct {
		ts   int64
		keep int64
	}{
		{marks[len(marks)-1].Unix, st.Size()}, // nothing later: copied whole
	}
	for i := 1; i < len(marks); i++ {
		if marks[i].Unix > marks[i-1].Unix {
			cases = append(cases, struct{ ts, keep int64 }{marks[i-1].Unix, marks[i].Offset})
		}
	}
	for _, tc := range cases {
		out := filepath.Join(t.TempDir(), "ad")
		r := runCLI(t, "", "aof", "--server-stopped", "--json", "--repair-to", out, "--truncate-to-timestamp", strconv.FormatInt(tc.ts, 10), src)
		if r.code != exitOK {
			t.Fatalf("ts %d: exit %d %s", tc.ts, r.code, r.stderr)
		}
		got, _ := os.Stat(filepath.Join(out, "appendonly.aof.1.incr.aof"))
		if got == nil || got.Size() != tc.keep {
			t.Fatalf("ts %d: kept %v, want %d", tc.ts, got, tc.keep)
		}
		if _, err := os.Stat(filepath.Join(out, "appendonly.aof.manifest")); err != nil {
			t.Fatal(err)
		}
	}
	// Earlier than everything in the incr: the incr becomes empty, the base stays.
	out := filepath.Join(t.TempDir(), "ad")
	r := runCLI(t, "", "aof", "--server-stopped", "--repair-to", out, "--truncate-to-timestamp", strconv.FormatInt(first-1, 10), src)
	if r.code != exitOK {
		t.Fatalf("before first: exit %d %s", r.code, r.stderr)
	}
}

func TestAOFGolden(t *testing.T) {
	broken := makeAOFDir(t, aofVariants(t)[3].data, false) // cut-in-last-bulk
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"incr-ts.txt", []string{"aof", "--server-stopped", aofFixtures + "/incr-ts"}},
		{"incr-ts.json", []string{"aof", "--server-stopped", "--json", aofFixtures + "/incr-ts"}},
		{"multi-dbs-incr.txt", []string{"aof", "--server-stopped", aofFixtures + "/multi-dbs/appendonlydir/appendonly.aof.1.incr.aof"}},
		{"multi-dbs-incr.json", []string{"aof", "--server-stopped", "--json", aofFixtures + "/multi-dbs/appendonlydir/appendonly.aof.1.incr.aof"}},
		{"legacy-preamble.txt", []string{"aof", "--server-stopped", aofFixtures + "/legacy-preamble"}},
		{"resp-base.json", []string{"aof", "--server-stopped", "--json", aofFixtures + "/resp-base"}},
		{"truncated.txt", []string{"aof", "--server-stopped", broken}},
		{"truncated.json", []string{"aof", "--server-stopped", "--json", broken}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if last := args[len(args)-1]; last == broken {
				// From the temp dir's parent, by name: the report is laid
				// out the same whatever the temp path's length.
				t.Chdir(filepath.Dir(broken))
				args = append(append([]string{}, args[:len(args)-1]...), filepath.Base(broken))
			}
			r := runCLI(t, "", args...)
			out := strings.ReplaceAll(r.stdout, filepath.Base(broken), "$DIR")
			golden(t, "aof/"+tc.name, fmt.Sprintf("exit %d\n%s", r.code, out))
		})
	}
}

// TestAOFTruncateToTimestampMatchesRedisCheckAOF: on the last file, where
// redis-check-aof --truncate-to-timestamp works, both cut at the same byte.
func TestAOFTruncateToTimestampMatchesRedisCheckAOF(t *testing.T) {
	rca := redistest.CheckAOFBinary(t)
	src := filepath.Join(aofFixtures, "incr-ts")
	f, err := os.Open(filepath.Join(src, "appendonlydir/appendonly.aof.1.incr.aof"))
	if err != nil {
		t.Fatal(err)
	}
	st, _ := f.Stat()
	rep := aofinspect.Scan(context.Background(), f, st.Size(), aofinspect.Options{})
	f.Close()
	seen := map[int64]bool{}
	for _, m := range rep.TSMarks() {
		if seen[m.Unix] {
			continue
		}
		seen[m.Unix] = true
		ts := strconv.FormatInt(m.Unix, 10)
		cp := copyDir(t, src)
		out, err := exec.Command(rca, "--truncate-to-timestamp", ts, filepath.Join(cp, "appendonlydir/appendonly.aof.manifest")).CombinedOutput()
		if err != nil {
			t.Fatalf("redis-check-aof: %v\n%s", err, out)
		}
		want, _ := os.Stat(filepath.Join(cp, "appendonlydir/appendonly.aof.1.incr.aof"))
		dst := filepath.Join(t.TempDir(), "ad")
		if r := runCLI(t, "", "aof", "--server-stopped", "--repair-to", dst, "--truncate-to-timestamp", ts, src); r.code != exitOK {
			t.Fatalf("aoftool: exit %d %s", r.code, r.stderr)
		}
		got, _ := os.Stat(filepath.Join(dst, "appendonly.aof.1.incr.aof"))
		if got.Size() != want.Size() {
			t.Errorf("T=%s: aoftool keeps %d bytes, redis-check-aof %d", ts, got.Size(), want.Size())
		}
	}
	if len(seen) < 3 {
		t.Fatalf("only %d distinct timestamps in the fixture", len(seen))
	}
}

// TestAOFLegacyPreambleAgreesWithRedis damages a legacy appendonly.aof with
// an RDB preamble (in the RDB part and in the RESP tail) and checks the
// verdict against a real server going through its legacy upgrade.
func TestAOFLegacyPreambleAgreesWithRedis(t *testing.T) {
	redistest.Binary(t)
	if testing.Short() {
		t.Skip("starts servers")
	}
	orig, err := os.ReadFile(filepath.Join(aofFixtures, "legacy-preamble/appendonly.aof"))
	if err != nil {
		t.Fatal(err)
	}
	rdbEnd := bytes.Index(orig, []byte("*2\r\n$6\r\nSELECT"))
	if rdbEnd < 0 {
		t.Fatal("no RESP tail in the fixture")
	}
	flip := func(b []byte, i int) []byte { c := append([]byte{}, b...); c[i] ^= 0x20; return c }
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"intact", orig, "loads"},
		{"cut-in-rdb", orig[:rdbEnd/2], "refuses"},
		{"cut-in-crc", orig[:rdbEnd-3], "refuses"},
		{"flipped-in-rdb", flip(orig, rdbEnd/2), "refuses"},
		{"cut-in-tail", orig[:len(orig)-5], "loads-truncated"},
		{"garbage-in-tail", append(append(append([]byte{}, orig[:rdbEnd]...), "xx\r\n"...), orig[rdbEnd:]...), "refuses"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "appendonly.aof"), tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			r := runCLI(t, "", "aof", "--server-stopped", "--json", dir)
			var got aofJSON
			if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
				t.Fatalf("%v\n%s", err, r.stderr)
			}
			if got.Server.Verdict != tc.want {
				t.Fatalf("aoftool says %s, want %s\n%s", got.Server.Verdict, tc.want, r.stdout)
			}
			// The file alone, as the aof command reads a FILE argument.
			if r2 := runCLI(t, "", "aof", "--server-stopped", "--json", filepath.Join(dir, "appendonly.aof")); !strings.Contains(r2.stdout, `"verdict": "`+tc.want+`"`) {
				t.Fatalf("as a FILE: %s", r2.stdout)
			}
			s, err := redistest.Launch(t, redistest.Options{Dir: copyDir(t, dir), StartTimeout: 15 * time.Second,
				Config: []string{"appendonly yes", "aof-load-truncated yes"}})
			ready := err == nil && s != nil && !s.Exited()
			log := ""
			if s != nil {
				log = s.Log()
				s.Stop()
			}
			truncated := strings.Contains(log, "Truncating the AOF")
			switch {
			case tc.want == "loads" && ready && !truncated,
				tc.want == "loads-truncated" && ready && truncated,
				tc.want == "refuses" && !ready:
			default:
				t.Errorf("server: ready=%v truncated=%v, aoftool: %s\n%s", ready, truncated, tc.want, tailLines(log, 8))
			}
		})
	}
}

// TestAOFCutInsideMultiLosesLaterWrites reproduces what aof-cut-inside-multi
// warns about: a torn command inside a transaction makes the server cut the
// file inside it (aof-load-truncated yes), leaving MULTI without EXEC; a
// write acknowledged after that start is appended behind it, and the next
// start reverts the transaction and drops that write with it.
func TestAOFCutInsideMultiLosesLaterWrites(t *testing.T) {
	redistest.Binary(t)
	if testing.Short() {
		t.Skip("starts servers")
	}
	var torn string
	for _, v := range aofVariants(t) {
		if v.name == "torn-inside-multi" {
			torn = v.data
		}
	}
	dir := makeAOFDir(t, torn, false)
	r := runCLI(t, "", "aof", "--server-stopped", dir)
	if !strings.Contains(r.stdout, "aof-cut-inside-multi") {
		t.Fatalf("no aof-cut-inside-multi finding:\n%s", r.stdout)
	}
	cfg := []string{"appendonly yes", "aof-load-truncated yes", "appendfsync always"}
	s := redistest.Start(t, redistest.Options{Dir: dir, Config: cfg})
	s.MustDo("SET", "acknowledged", "1")
	if s.MustDo("EXISTS", "acknowledged").Int != 1 {
		t.Fatal("write not visible")
	}
	s.Shutdown("NOSAVE")
	s = redistest.Start(t, redistest.Options{Dir: dir, Config: cfg})
	lost := s.MustDo("EXISTS", "acknowledged").Int == 0
	log := s.Log()
	s.Stop()
	if !lost || !strings.Contains(log, "Revert incomplete MULTI/EXEC") {
		t.Fatalf("expected the acknowledged write to be lost by the revert (lost=%v)\n%s", lost, tailLines(log, 6))
	}
}
