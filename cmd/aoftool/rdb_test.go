package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aoftool/aoftool/finding"
	"github.com/aoftool/aoftool/internal/fsguard"
	"github.com/aoftool/aoftool/internal/redistest"
	"github.com/aoftool/aoftool/rdbinspect"
)

const rdbFixtures = "../../testdata/rdb"

// fixRDBClock pins "ago" so goldens do not age.
func fixRDBClock(t *testing.T) {
	fixClock(t, func() time.Time { return time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC) })
}

func inProgressFixture(t *testing.T) string {
	m, _ := filepath.Glob(filepath.Join(rdbFixtures, "in-progress", "temp-*.rdb"))
	if len(m) != 1 {
		t.Fatalf("in-progress fixture: %v", m)
	}
	return m[0]
}

func aofBaseFixture(t *testing.T) string {
	m, _ := filepath.Glob(filepath.Join(rdbFixtures, "aof-base", "appendonly.aof.*.base.rdb"))
	if len(m) != 1 {
		t.Fatalf("aof-base fixture: %v", m)
	}
	return m[0]
}

// brokenRDB writes cut and flipped variants of a real dump to a temp dir;
// nothing in testdata is ever edited.
func brokenRDB(t *testing.T) (dir string) {
	dir = t.TempDir()
	b, err := os.ReadFile(filepath.Join(rdbFixtures, "types", "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, p []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("cut.rdb", b[:5000])
	write("no-trailer.rdb", b[:len(b)-9])
	write("cut-crc.rdb", b[:len(b)-3])
	flipped := bytes.Clone(b)
	flipped[6000] ^= 0x01
	write("flipped-body.rdb", flipped)
	badType := bytes.Clone(b)
	badType[len(b)-9-0] = 0xff // keep EOF; damage the CRC instead
	badType[len(b)-1] ^= 0xff
	write("bad-crc.rdb", badType)
	empty, err := os.ReadFile(filepath.Join(rdbFixtures, "empty", "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	write("empty.rdb", empty)
	write("trailing.rdb", append(bytes.Clone(b), "garbage"...))
	write("not-rdb.rdb", []byte("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"))
	write("garbage.rdb", []byte("this was a dump once\n"))
	future := append([]byte("REDIS0013"), b[9:len(b)-8]...)
	write("future.rdb", binary.LittleEndian.AppendUint64(future, rdbinspect.CRC64Update(0, future)))
	write("version-zero.rdb", append([]byte("REDIS0000"), b[9:]...))
	huge := append(bytes.Clone(b[:81]), 0x00, 0x00, 0x01, 'k', 0x81, 0x40, 0, 0, 0, 0, 0, 0, 0)
	write("huge-length.rdb", append(huge, b[len(b)-9:]...))
	return dir
}

func TestRDBGolden(t *testing.T) {
	fixRDBClock(t)
	guard := fsguard.Record(t, rdbFixtures)
	defer guard.AssertUnchanged(t)
	broken := brokenRDB(t)
	brokenGuard := fsguard.Record(t, broken)
	defer brokenGuard.AssertUnchanged(t)
	fx := func(rel string) string { return filepath.Join(rdbFixtures, rel) }
	// Broken variants run from inside their temp dir, by bare name, so the
	// goldens hold no temp path (and tables keep their widths).
	cases := []struct {
		name   string
		args   []string
		code   int
		inTemp bool
	}{
		{"types-keys", []string{"--keys", "--top", "5", fx("types/dump.rdb")}, 0, false},
		{"empty", []string{fx("empty/dump.rdb")}, 0, false},
		{"checksum-off", []string{fx("checksum-off/dump.rdb")}, 0, false},
		{"replica", []string{fx("replica/dump.rdb")}, 0, false},
		{"aof-base", []string{aofBaseFixture(t)}, 0, false},
		{"preamble", []string{fx("preamble/appendonly.aof")}, 0, false},
		{"in-progress", []string{inProgressFixture(t)}, 0, false},
		{"sized-keys", []string{"--keys", fx("sized/dump.rdb")}, 0, false},
		{"cut", []string{"cut.rdb"}, 1, true},
		{"no-trailer", []string{"no-trailer.rdb"}, 1, true},
		{"cut-crc", []string{"cut-crc.rdb"}, 1, true},
		{"flipped-body", []string{"flipped-body.rdb"}, 1, true},
		{"bad-crc", []string{"bad-crc.rdb"}, 1, true},
		{"trailing", []string{"trailing.rdb"}, 0, true},
		{"not-rdb", []string{"not-rdb.rdb"}, 2, true},
		{"garbage", []string{"garbage.rdb"}, 1, true},
		{"future", []string{"future.rdb"}, 0, true},
		{"version-zero", []string{"version-zero.rdb"}, 1, true},
		{"huge-length", []string{"huge-length.rdb"}, 1, true},
		{"keys-on-broken", []string{"--keys", "cut.rdb"}, 1, true},
		{"several", []string{"empty.rdb", "cut.rdb"}, 1, true},
		{"missing", []string{"no-such.rdb"}, 2, true},
		{"missing-and-good", []string{"empty.rdb", "no-such.rdb"}, 2, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.inTemp {
				t.Chdir(broken)
			}
			for _, js := range []bool{false, true} {
				args := append([]string{"rdb"}, c.args...)
				name := "rdb/" + c.name + ".txt"
				if js {
					args = append([]string{"--json"}, args...)
					name = "rdb/" + c.name + ".json"
				}
				r := runCLI(t, "", args...)
				if r.code != c.code {
					t.Errorf("%v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", args, r.code, c.code, r.stdout, r.stderr)
				}
				if c.code == exitCannot {
					// Nothing was judged: no report, the reason on stderr.
					if r.stdout != "" || !strings.Contains(r.stderr, c.args[len(c.args)-1]) {
						t.Errorf("%v: stdout %q, stderr %q", args, r.stdout, r.stderr)
					}
					continue
				}
				if js {
					var v map[string]any
					if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
						t.Errorf("%v: stdout is not one JSON document: %v", args, err)
					}
					if _, ok := v["results"]; ok != (len(c.args) > 1 && !strings.HasPrefix(c.args[0], "-")) {
						t.Errorf("%v: results array present %v", args, ok)
					}
				}
				golden(t, name, r.stdout)
			}
		})
	}
}

func TestRDBUsage(t *testing.T) {
	for _, args := range [][]string{{"rdb"}, {"rdb", "--top", "0", "x.rdb"}, {"rdb", "--no-such-flag", "x"}} {
		if r := runCLI(t, "", args...); r.code != exitCannot {
			t.Errorf("%v: exit %d, want 2", args, r.code)
		}
	}
	r := runCLI(t, "", "rdb", "--help")
	if r.code != 0 || !strings.Contains(r.stdout, "Examples:") || !strings.Contains(r.stdout, "Exit status:") {
		t.Errorf("--help: exit %d\n%s", r.code, r.stdout)
	}
}

func TestRDBSymlinkAndFIFO(t *testing.T) {
	dir := t.TempDir()
	target, _ := filepath.Abs(filepath.Join(rdbFixtures, "empty", "dump.rdb"))
	link := filepath.Join(dir, "dump.rdb")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, "", "rdb", link); r.code != exitCannot || !strings.Contains(r.stderr, "symbolic link") || !strings.Contains(r.stderr, "--follow-symlinks") {
		t.Errorf("symlink without flag: exit %d\n%s", r.code, r.stderr)
	}
	if r := runCLI(t, "", "rdb", "--follow-symlinks", link); r.code != exitOK {
		t.Errorf("symlink with flag: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestRDBLyingLengthsMemory runs the command on files whose lengths claim
// up to 2^64-1 bytes: exit 1, and the heap does not grow with the claim.
func TestRDBLyingLengthsMemory(t *testing.T) {
	dir := t.TempDir()
	b, _ := os.ReadFile(filepath.Join(rdbFixtures, "empty", "dump.rdb"))
	body := b[:len(b)-9]
	var paths []string
	for i, enc := range [][]byte{
		{0x80, 0xff, 0xff, 0xff, 0xff},
		{0x81, 0, 0, 0, 1, 0, 0, 0, 0},
		{0x81, 0x40, 0, 0, 0, 0, 0, 0, 0},
		{0x81, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		{0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
	} {
		for j, prefix := range [][]byte{
			{0xfe, 0x00, 0x00}, // string key with a huge length
			{0xfe, 0x00, 0x00, 0x01, 'k'},
			{0xfe, 0x00, 0x01, 0x01, 'k'}, // list count
			{0xfe, 0x00, 0x00, 0x01, 'k', 0xc3},
		} {
			p := filepath.Join(dir, "lie-"+string(rune('a'+i))+string(rune('a'+j))+".rdb")
			f := append(append(append([]byte{}, body...), prefix...), enc...)
			f = append(f, 'x', 0xff, 1, 2, 3, 4, 5, 6, 7, 8)
			if err := os.WriteFile(p, f, 0o644); err != nil {
				t.Fatal(err)
			}
			paths = append(paths, p)
		}
	}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	before := ms.TotalAlloc
	for _, p := range paths {
		r := runCLI(t, "", "rdb", "--keys", p)
		if r.code != exitFindings {
			t.Errorf("%s: exit %d\n%s%s", p, r.code, r.stdout, r.stderr)
		}
	}
	runtime.ReadMemStats(&ms)
	if per := (ms.TotalAlloc - before) / uint64(len(paths)); per > 4<<20 {
		t.Errorf("%d bytes allocated per lying file", per)
	}
}

// TestRDBUnderAddressSpaceLimit runs the built binary with ulimit -v 1 GiB
// on a real dump and on files whose lengths claim up to 2^64-1 bytes: it
// must finish with the right exit code, not die allocating.
func TestRDBUnderAddressSpaceLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "aoftool")
	// The static build CI ships: with cgo, glibc reserves 64 MiB of address
	// space per thread arena, which says nothing about aoftool's memory.
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dir := t.TempDir()
	b, _ := os.ReadFile(filepath.Join(rdbFixtures, "empty", "dump.rdb"))
	lie := append(append([]byte{}, b[:len(b)-9]...), 0xfe, 0x00, 0x00, 0x01, 'k', 0x81, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 'x')
	lie = append(lie, 0xff, 1, 2, 3, 4, 5, 6, 7, 8)
	lieCount := append(append([]byte{}, b[:len(b)-9]...), 0xfe, 0x00, 0x01, 0x01, 'k', 0x80, 0xff, 0xff, 0xff, 0xff, 0x01, 'a')
	lieCount = append(lieCount, 0xff, 1, 2, 3, 4, 5, 6, 7, 8)
	for name, data := range map[string][]byte{"lie.rdb": lie, "lie-count.rdb": lieCount} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sized, _ := filepath.Abs(filepath.Join(rdbFixtures, "sized", "dump.rdb"))
	for _, c := range []struct {
		file string
		code int
	}{{sized, 0}, {filepath.Join(dir, "lie.rdb"), 1}, {filepath.Join(dir, "lie-count.rdb"), 1}} {
		cmd := exec.Command("bash", "-c", `ulimit -v 1048576 && exec "$0" rdb --keys "$1"`, bin, c.file)
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != c.code {
			t.Errorf("%s under ulimit -v 1 GiB: exit %d, want %d\n%s", c.file, code, c.code, out)
		}
	}
}

func TestTempRDBNames(t *testing.T) {
	for name, want := range map[string]bool{
		"temp-4242.rdb": true, "temp-1732710000.4242.rdb": true, "dump.rdb": false,
		"temp-rewriteaof-42.aof": false, "temp-.rdb": false, "temp-42.rdb.bak": false,
	} {
		if got := tempRDB.MatchString(name); got != want {
			t.Errorf("%s: live temp RDB %v, want %v", name, got, want)
		}
	}
}

// TestRDBLiveBGSAVE reads the temp file of a BGSAVE child while it is still
// being written (rdb-key-save-delay slows the child): a warning that it is
// incomplete and exit 0, never a truncation error; then the finished dump.
func TestRDBLiveBGSAVE(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server")
	}
	s := redistest.Start(t, redistest.Options{Config: []string{"rdb-key-save-delay 2000"}})
	var cmds [][]string
	for i := range 3000 {
		cmds = append(cmds, []string{"SET", fmt.Sprintf("live:%d", i), strings.Repeat("v", i%50)})
	}
	if err := s.Pipeline(cmds); err != nil {
		t.Fatal(err)
	}
	s.MustDo("BGSAVE")
	var tmp string
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		m, _ := filepath.Glob(filepath.Join(s.Dir, "temp-*.rdb"))
		if len(m) == 1 {
			if fi, err := os.Stat(m[0]); err == nil && fi.Size() > 0 {
				tmp = m[0]
				break
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	if tmp == "" {
		t.Fatal("no growing temp RDB from BGSAVE")
	}
	r := runCLI(t, "", "--json", "rdb", tmp)
	var rep rdbinspect.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v\n%s%s", err, r.stdout, r.stderr)
	}
	if r.code != exitOK || !rep.Findings.Has(finding.RDBIncomplete) || rep.Findings.HasError() || rep.Complete {
		t.Errorf("live temp file: exit %d, findings %v", r.code, rep.Findings)
	}
	s.MustDo("CONFIG", "SET", "rdb-key-save-delay", "0")
	if err := s.WaitInfo("rdb_bgsave_in_progress", "0", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, "", "--json", "rdb", "--keys", filepath.Join(s.Dir, "dump.rdb"))
	rep = rdbinspect.Report{}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if r.code != exitOK || !rep.Complete || rep.Checksum.Status != rdbinspect.ChecksumOK || rep.Keys.Keys != 3000 {
		t.Errorf("finished dump: exit %d, complete %v, checksum %s, keys %d, findings %v", r.code, rep.Complete, rep.Checksum.Status, rep.Keys.Keys, rep.Findings)
	}
}
