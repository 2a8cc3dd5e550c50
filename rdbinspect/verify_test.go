package rdbinspect

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aoftool/aoftool/finding"
	"github.com/aoftool/aoftool/internal/rdbdamage"
)

const fixtures = "../testdata/rdb"

// writeSeeds rewrites the fuzz seeds in testdata/seeds from the built
// records: go test ./rdbinspect -run TestBuiltRecords -write-seeds
var writeSeeds = flag.Bool("write-seeds", false, "write the built records to testdata/seeds for the fuzz targets")

func readFixture(t testing.TB, rel string) []byte {
	t.Helper()
	if strings.Contains(rel, "*") {
		m, _ := filepath.Glob(filepath.Join(fixtures, rel))
		if len(m) != 1 {
			t.Fatalf("fixture %s: %d matches", rel, len(m))
		}
		rel, _ = filepath.Rel(fixtures, m[0])
	}
	b, err := os.ReadFile(filepath.Join(fixtures, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func verifyBytes(t testing.TB, b []byte, opt Options) *Report {
	t.Helper()
	return Verify(context.Background(), bytes.NewReader(b), int64(len(b)), opt)
}

func codes(l finding.List) []string {
	var out []string
	for _, f := range l {
		out = append(out, string(f.Code))
	}
	return out
}

// checkRDB runs redis-check-rdb, the oracle, and returns its keys and
// expires counts, whether it accepted the file and the offset it reported
// for an error.
func checkRDB(t testing.TB, path string) (keys, expires int64, ok bool, errOff int64) {
	t.Helper()
	bin, err := exec.LookPath("redis-check-rdb")
	if err != nil {
		t.Skip("redis-check-rdb not installed")
	}
	out, _ := exec.Command(bin, path).CombinedOutput()
	s := string(out)
	if m := regexp.MustCompile(`\[info\] (\d+) keys read`).FindStringSubmatch(s); m != nil {
		keys, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if m := regexp.MustCompile(`\[info\] (\d+) expires`).FindStringSubmatch(s); m != nil {
		expires, _ = strconv.ParseInt(m[1], 10, 64)
	}
	errOff = -1
	if i := strings.Index(s, "--- RDB ERROR DETECTED ---"); i >= 0 {
		if m := regexp.MustCompile(`\[offset (\d+)\]`).FindStringSubmatch(s[i:]); m != nil {
			errOff, _ = strconv.ParseInt(m[1], 10, 64)
		}
	}
	return keys, expires, strings.Contains(s, "RDB looks OK"), errOff
}

func TestFixtures(t *testing.T) {
	type want struct {
		file      string
		opt       Options
		status    string
		complete  bool
		empty     bool
		keys      int64
		expires   int64
		dbs       []uint64
		functions int
		codes     []string
		aofBase   *bool
		repl      bool
		tail      int64 // bytes after the RDB
		hasError  bool
	}
	yes, no := true, false
	cases := []want{
		{file: "types/dump.rdb", status: ChecksumOK, complete: true, keys: 23, expires: 4, dbs: []uint64{0, 1, 5}, functions: 1, aofBase: &no},
		{file: "checksum-off/dump.rdb", status: ChecksumDisabled, complete: true, keys: 23, expires: 4, dbs: []uint64{0, 1, 5}, functions: 1, aofBase: &no, codes: []string{"rdb-checksum-disabled"}},
		{file: "empty/dump.rdb", status: ChecksumOK, complete: true, empty: true, aofBase: &no, codes: []string{"rdb-empty"}},
		{file: "aof-base/appendonly.aof.*.base.rdb", status: ChecksumOK, complete: true, keys: 23, expires: 4, dbs: []uint64{0, 1, 5}, functions: 1, aofBase: &yes},
		{file: "preamble/appendonly.aof", opt: Options{AOFPreamble: true}, status: ChecksumOK, complete: true, keys: 23, expires: 4, dbs: []uint64{0, 1, 5}, functions: 1, aofBase: &yes, tail: -1, codes: []string{"rdb-aof-tail"}},
		{file: "preamble/appendonly.aof", status: ChecksumOK, complete: true, keys: 23, expires: 4, dbs: []uint64{0, 1, 5}, functions: 1, aofBase: &yes, tail: -1, codes: []string{"rdb-trailing-bytes"}},
		{file: "replica/dump.rdb", status: ChecksumOK, complete: true, keys: 23, expires: 4, dbs: []uint64{0, 1, 5}, functions: 1, aofBase: &no, repl: true},
		{file: "sized/dump.rdb", status: ChecksumOK, complete: true, keys: 5000, expires: 1000, dbs: []uint64{0}, aofBase: &no},
		{file: "in-progress/temp-*.rdb", opt: Options{InProgress: true}, status: ChecksumAbsent, keys: -1, dbs: []uint64{0}, aofBase: &no, codes: []string{"rdb-incomplete"}},
		{file: "in-progress/temp-*.rdb", status: ChecksumAbsent, keys: -1, dbs: []uint64{0}, aofBase: &no, codes: []string{"rdb-truncated"}, hasError: true},
	}
	for _, c := range cases {
		t.Run(c.file+fmt.Sprint(c.opt.InProgress, c.opt.AOFPreamble), func(t *testing.T) {
			b := readFixture(t, c.file)
			c.opt.Keys = true
			rep := verifyBytes(t, b, c.opt)
			h := rep.Header
			if rep.Schema != 1 || rep.Size != int64(len(b)) || h == nil {
				t.Fatalf("schema %d size %d header %v", rep.Schema, rep.Size, h)
			}
			if h.Magic != "REDIS0010" || h.Version != 10 || h.Producer != "redis" || h.Releases != "Redis 7.0" || h.Envelope != "" {
				t.Errorf("header %+v", h)
			}
			if h.RedisVer != "7.0.15" || h.Bits != 64 || h.UsedMem < 500_000 || h.UsedMem > 10<<20 || h.ValkeyVer != "" {
				t.Errorf("typed aux %+v", h)
			}
			if h.CTime.Before(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)) || h.CTime.Location() != time.UTC {
				t.Errorf("ctime %v", h.CTime)
			}
			if (h.AOFBase == nil) != (c.aofBase == nil) || (h.AOFBase != nil && *h.AOFBase != *c.aofBase) || h.AOFPreamble != nil {
				t.Errorf("aof-base %v, want %v", h.AOFBase, c.aofBase)
			}
			keys := []string{}
			for i, a := range rep.Aux {
				keys = append(keys, a.Key)
				if i == 0 && a.Offset != 9 || i > 0 && a.Offset <= rep.Aux[i-1].Offset {
					t.Errorf("aux %d offset %d", i, a.Offset)
				}
				if b[a.Offset] != opAux {
					t.Errorf("aux %s offset %d is not an FA opcode", a.Key, a.Offset)
				}
			}
			wantKeys := "redis-ver redis-bits ctime used-mem aof-base"
			if c.repl {
				wantKeys = "redis-ver redis-bits ctime used-mem repl-stream-db repl-id repl-offset aof-base"
				if h.ReplStreamDB == nil || *h.ReplStreamDB != 0 || len(h.ReplID) != 40 || h.ReplOffset == nil || *h.ReplOffset < 0 {
					t.Errorf("repl %v %q %v", h.ReplStreamDB, h.ReplID, h.ReplOffset)
				}
			} else if h.ReplStreamDB != nil || h.ReplID != "" || h.ReplOffset != nil {
				t.Errorf("unexpected repl fields %+v", h)
			}
			if got := strings.Join(keys, " "); got != wantKeys {
				t.Errorf("aux keys %q, want %q", got, wantKeys)
			}
			if h.AuxEnd != rep.Aux[len(rep.Aux)-1].Offset+int64(len("aof-base"))+4 {
				t.Errorf("aux end %d", h.AuxEnd)
			}
			if h.EmptyDataset != c.empty {
				t.Errorf("empty dataset %v", h.EmptyDataset)
			}
			if rep.Checksum.Status != c.status || rep.Complete != c.complete || rep.Empty != c.empty {
				t.Errorf("checksum %+v complete %v empty %v", rep.Checksum, rep.Complete, rep.Empty)
			}
			if c.complete {
				end := int64(len(b))
				if c.tail != 0 {
					end = rep.RDBEnd
					if end >= int64(len(b)) || b[end] != '*' {
						t.Errorf("RDB end %d does not start a RESP tail", end)
					}
				} else if rep.RDBEnd != end {
					t.Errorf("RDBEnd %d, want %d", rep.RDBEnd, end)
				}
				if !h.Tail.LooksComplete && c.tail == 0 {
					t.Errorf("tail does not look complete")
				}
				if c.status == ChecksumOK && (rep.Checksum.Stored != rep.Checksum.Computed || rep.Checksum.Covered != end-8) {
					t.Errorf("checksum %+v", rep.Checksum)
				}
			} else if rep.RDBEnd != -1 || rep.StoppedAt == nil {
				t.Errorf("incomplete file: RDBEnd %d stopped %v", rep.RDBEnd, rep.StoppedAt)
			}
			if c.keys >= 0 && (rep.Keys.Keys != c.keys || rep.Keys.Expires != c.expires) {
				t.Errorf("keys %d expires %d, want %d %d", rep.Keys.Keys, rep.Keys.Expires, c.keys, c.expires)
			}
			var dbs []uint64
			var sum int64
			for _, d := range rep.Keys.DBs {
				dbs = append(dbs, d.DB)
				sum += d.Keys
			}
			if c.keys > 0 && fmt.Sprint(dbs) != fmt.Sprint(c.dbs) || sum != rep.Keys.Keys {
				t.Errorf("dbs %v (sum %d), want %v", dbs, sum, c.dbs)
			}
			if rep.Keys.Functions != c.functions {
				t.Errorf("functions %d, want %d", rep.Keys.Functions, c.functions)
			}
			if got := strings.Join(codes(rep.Findings), " "); !strings.HasPrefix(got, strings.Join(c.codes, " ")) {
				t.Errorf("findings %v, want %v", rep.Findings, c.codes)
			}
			if rep.Findings.HasError() != c.hasError {
				t.Errorf("has error %v, want %v: %v", rep.Findings.HasError(), c.hasError, rep.Findings)
			}
			if c.keys > 0 && !c.hasError {
				var tk int64
				for _, ts := range rep.Keys.Types {
					tk += ts.Keys
				}
				if tk != c.keys || len(rep.Keys.Biggest) != min(10, int(c.keys)) {
					t.Errorf("types sum %d, biggest %d", tk, len(rep.Keys.Biggest))
				}
			}
			if c.hasError && (rep.Keys.Types != nil || rep.Keys.Biggest != nil || !rep.Findings.Has(finding.RDBKeysRefused)) {
				t.Errorf("key statistics of a failed file: %v %v", rep.Keys.Types, rep.Keys.Biggest)
			}
			// redis-check-rdb is the oracle for the counts.
			if c.keys > 0 && c.tail == 0 {
				m, _ := filepath.Glob(filepath.Join(fixtures, c.file))
				k, e, ok, _ := checkRDB(t, m[0])
				if !ok || k != rep.Keys.Keys || e != rep.Keys.Expires {
					t.Errorf("redis-check-rdb: ok %v keys %d expires %d; aoftool %d %d", ok, k, e, rep.Keys.Keys, rep.Keys.Expires)
				}
			}
		})
	}
}

func TestTypesAndBiggest(t *testing.T) {
	rep := verifyBytes(t, readFixture(t, "types/dump.rdb"), Options{Keys: true, Top: 3})
	got := map[string]int64{}
	for _, ts := range rep.Keys.Types {
		got[ts.Type+"/"+ts.Encoding] = ts.Keys
	}
	want := map[string]int64{"string/raw": 12, "list/quicklist": 3, "set/intset": 1, "set/hashtable": 2, "zset/listpack": 1, "zset/skiplist": 1, "hash/listpack": 2, "stream/listpacks": 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("types %v\nwant %v", got, want)
	}
	if len(rep.Keys.Biggest) != 3 || rep.Keys.Biggest[0].Key != "list:big" || rep.Keys.Biggest[0].Bytes < rep.Keys.Biggest[1].Bytes {
		t.Errorf("biggest %+v", rep.Keys.Biggest)
	}
	// Element counts as the fixture script created them.
	all := verifyBytes(t, readFixture(t, "types/dump.rdb"), Options{Keys: true, Top: 100})
	want2 := map[string]int64{"list:big": 3000, "list:small": 6, "set:intset": 4, "set:strings": 3, "set:bigint": 600, "zset:small": 3, "zset:big": 200, "hash:small": 2, "hash:big": 200, "stream:s": 20}
	seen := 0
	for _, b := range all.Keys.Biggest {
		if w, ok := want2[b.Key]; ok {
			seen++
			if b.Elements == nil || *b.Elements != w {
				t.Errorf("%s: elements %v, want %d", b.Key, b.Elements, w)
			}
		} else if b.Type == "string" && b.Elements != nil {
			t.Errorf("%s: string with elements", b.Key)
		}
	}
	if seen != len(want2) {
		t.Errorf("saw %d of %d keys with elements", seen, len(want2))
	}
}

// TestTruncatedEveryOffset cuts real dumps at every length: each cut must be
// an error at or before the cut, never complete, never a panic.
func TestTruncatedEveryOffset(t *testing.T) {
	for _, name := range []string{"empty/dump.rdb", "types/dump.rdb", "checksum-off/dump.rdb"} {
		b := readFixture(t, name)
		step := 1
		if testing.Short() {
			step = 97
		}
		for n := 0; n < len(b); n += step {
			rep := verifyBytes(t, b[:n], Options{})
			if !rep.Findings.HasError() || rep.Complete {
				t.Fatalf("%s cut at %d: no error (complete %v): %v", name, n, rep.Complete, rep.Findings)
			}
			for _, f := range rep.Findings {
				if f.Severity == finding.Error && f.Offset != nil && *f.Offset > int64(n) {
					t.Fatalf("%s cut at %d: finding past the end: %v", name, n, f)
				}
			}
			if n >= 9 && !rep.Findings.Has(finding.RDBTruncated) && !rep.Findings.Has(finding.RDBNoTrailer) && !rep.Findings.Has(finding.RDBInvalidLength) {
				t.Fatalf("%s cut at %d: %v", name, n, rep.Findings)
			}
			live := verifyBytes(t, b[:n], Options{InProgress: true})
			if n >= 9 && live.Findings.HasError() {
				t.Fatalf("%s cut at %d, in progress: %v", name, n, live.Findings)
			}
		}
	}
}

// TestFlippedBytes changes every byte of a checksummed dump: each change
// must be an error (at least the CRC), never a silent pass.
func TestFlippedBytes(t *testing.T) {
	b := readFixture(t, "types/dump.rdb")
	step := 1
	if testing.Short() {
		step = 31
	}
	for i := 0; i < len(b); i += step {
		for _, x := range []byte{0xff, 0x01} {
			c := bytes.Clone(b)
			c[i] ^= x
			rep := verifyBytes(t, c, Options{})
			if !rep.Findings.HasError() {
				t.Fatalf("flip 0x%02x at %d: no error: %v", x, i, rep.Findings)
			}
		}
	}
}

// TestLyingLengths builds records whose lengths claim 2^32 to 2^64-1 bytes
// or items: each is an error at the offset of the length, without memory
// growing.
func TestLyingLengths(t *testing.T) {
	base := func() *rdbBuilder { return newBuilder(10).aux("redis-ver", "7.0.15").raw(opSelectDB, 0) }
	claims := []uint64{1 << 32, 1<<32 + 1, 1 << 40, 1 << 62, 1 << 63, ^uint64(0)}
	type mk func(n uint64) (b []byte, off int)
	shapes := map[string]mk{
		"string value": func(n uint64) ([]byte, int) {
			w := base().raw(typeString).str("k")
			off := len(w.b)
			return w.length(n).raw([]byte("abc")...).eof(true), off
		},
		"key": func(n uint64) ([]byte, int) {
			w := base().raw(typeString)
			off := len(w.b)
			return w.length(n).eof(true), off
		},
		"list count": func(n uint64) ([]byte, int) {
			w := base().raw(typeList).str("k")
			off := len(w.b)
			return w.length(n).str("a").eof(true), off
		},
		"zset count": func(n uint64) ([]byte, int) {
			w := base().raw(typeZSet2).str("k")
			off := len(w.b)
			return w.length(n).str("a").eof(true), off
		},
		"stream listpacks": func(n uint64) ([]byte, int) {
			w := base().raw(typeStreamLP2).str("k")
			off := len(w.b)
			return w.length(n).eof(true), off
		},
		"lzf compressed length": func(n uint64) ([]byte, int) {
			w := base().raw(typeString).str("k")
			off := len(w.b)
			return w.raw(0xc3).length(n).length(10).raw(1, 2, 3).eof(true), off
		},
		"aux value": func(n uint64) ([]byte, int) {
			w := newBuilder(10).raw(opAux).str("k")
			off := len(w.b)
			return w.length(n).eof(true), off
		},
		"function": func(n uint64) ([]byte, int) {
			w := base().raw(opFunction2)
			off := len(w.b)
			return w.length(n).eof(true), off
		},
	}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	before := ms.TotalAlloc
	variants := 0
	for name, shape := range shapes {
		for _, n := range claims {
			b, off := shape(n)
			rep := verifyBytes(t, b, Options{Keys: true})
			variants++
			if !rep.Findings.HasError() || rep.Complete {
				t.Errorf("%s %d: no error: %v", name, n, rep.Findings)
				continue
			}
			f := rep.Findings[0]
			if f.Offset == nil || *f.Offset != int64(off) {
				t.Errorf("%s %d: finding %v, want offset %d", name, n, f, off)
			}
			if f.Code != finding.RDBInvalidLength && f.Code != finding.RDBTruncated {
				t.Errorf("%s %d: code %s", name, n, f.Code)
			}
		}
	}
	runtime.ReadMemStats(&ms)
	if per := (ms.TotalAlloc - before) / uint64(variants); per > 1<<20 {
		t.Errorf("%d bytes allocated per lying file", per)
	}
}

// TestAgainstRedisCheckRDB compares verdicts and offsets with the official
// checker on a sample of cut and flipped files.
func TestAgainstRedisCheckRDB(t *testing.T) {
	b := readFixture(t, "types/dump.rdb")
	dir := t.TempDir()
	agree, total := 0, 0
	for _, n := range []int{5, 9, 30, 81, 200, 1000, 5000, 9000, 15000, len(b) - 9, len(b) - 4, len(b) - 1} {
		p := filepath.Join(dir, fmt.Sprintf("cut-%d.rdb", n))
		if err := os.WriteFile(p, b[:n], 0o644); err != nil {
			t.Fatal(err)
		}
		rep := verifyBytes(t, b[:n], Options{})
		_, _, ok, off := checkRDB(t, p)
		if ok {
			t.Errorf("redis-check-rdb accepted a file cut at %d", n)
		}
		total++
		if rep.Findings[0].Offset != nil && off >= 0 {
			// redis-check-rdb reports the position after the last read; ours
			// is where the record that cannot be completed starts or ends.
			if *rep.Findings[0].Offset <= int64(n) && off <= int64(n) {
				agree++
			}
		}
	}
	for _, i := range []int{3, 7, 12, 40, 300, 6000, len(b) - 9, len(b) - 3} {
		c := bytes.Clone(b)
		c[i] ^= 0x5a
		p := filepath.Join(dir, fmt.Sprintf("flip-%d.rdb", i))
		if err := os.WriteFile(p, c, 0o644); err != nil {
			t.Fatal(err)
		}
		rep := verifyBytes(t, c, Options{})
		_, _, ok, _ := checkRDB(t, p)
		total++
		if ok == !rep.Findings.HasError() {
			agree++
		} else {
			t.Errorf("flip at %d: redis-check-rdb ok=%v, aoftool %v", i, ok, rep.Findings)
		}
	}
	t.Logf("agreement with redis-check-rdb: %d of %d", agree, total)
}

// TestCutsAgainstRedisCheckRDB cuts a real dump at a spread of offsets and
// checks, for each, that redis-check-rdb and aoftool both refuse it, name
// the same key when the cut is inside one, and report offsets within the
// record (redis-check-rdb gives the position after its last read, aoftool
// the start of the field that cannot be completed).
func TestCutsAgainstRedisCheckRDB(t *testing.T) {
	if testing.Short() {
		t.Skip("runs redis-check-rdb about 170 times")
	}
	b := readFixture(t, "types/dump.rdb")
	dir := t.TempDir()
	keyRe := regexp.MustCompile(`Reading key '([^']*)'`)
	bin, err := exec.LookPath("redis-check-rdb")
	if err != nil {
		t.Skip("redis-check-rdb not installed")
	}
	sameKey, withKey, n := 0, 0, 0
	for cut := 10; cut < len(b); cut += 89 {
		p := filepath.Join(dir, "cut.rdb")
		if err := os.WriteFile(p, b[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		out, _ := exec.Command(bin, p).CombinedOutput()
		rep := verifyBytes(t, b[:cut], Options{})
		n++
		if strings.Contains(string(out), "RDB looks OK") || !rep.Findings.HasError() {
			t.Errorf("cut %d: redis-check-rdb OK=%v, aoftool %v", cut, strings.Contains(string(out), "RDB looks OK"), rep.Findings)
			continue
		}
		if m := keyRe.FindStringSubmatch(string(out)); m != nil {
			withKey++
			if m[1] == rep.StoppedKey {
				sameKey++
			} else {
				t.Logf("cut %d: redis-check-rdb reads key %q, aoftool %q", cut, m[1], rep.StoppedKey)
			}
		}
	}
	t.Logf("%d cuts: both refuse all; the same key named in %d of the %d where redis-check-rdb names one", n, sameKey, withKey)
	if sameKey < withKey*9/10 {
		t.Errorf("key agreement %d of %d", sameKey, withKey)
	}
}

// TestBlockSizes runs real dumps, cuts and flips through pipelines with tiny
// blocks, so records, strings, LZF blocks and the EOF opcode straddle block
// boundaries: the results must not depend on the block size.
func TestBlockSizes(t *testing.T) {
	names := []string{"types/dump.rdb", "preamble/appendonly.aof", "checksum-off/dump.rdb", "empty/dump.rdb"}
	want := map[string]string{}
	summary := func(rep *Report) string {
		big, _ := json.Marshal(rep.Keys.Biggest)
		return fmt.Sprintf("%v %s %s %v %d %d %d %s", codes(rep.Findings), rep.Checksum.Status, rep.Checksum.Computed, rep.Complete, rep.RDBEnd, rep.Keys.Keys, rep.Keys.Expires, big)
	}
	var inputs [][]byte
	for _, n := range names {
		b := readFixture(t, n)
		inputs = append(inputs, b)
		for _, cut := range []int{10, 100, 1000, 4097, len(b) / 2, len(b) - 9, len(b) - 8, len(b) - 1} {
			if cut < len(b) {
				inputs = append(inputs, b[:cut])
			}
		}
		for _, i := range []int{20, 90, 500, 3000, len(b) - 12, len(b) - 2} {
			if i < len(b) {
				c := bytes.Clone(b)
				c[i] ^= 0x40
				inputs = append(inputs, c)
			}
		}
	}
	for i, in := range inputs {
		want[fmt.Sprint(i)] = summary(verifyBytes(t, in, Options{Keys: true, AOFPreamble: true}))
	}
	old := pipeBlock
	defer func() { pipeBlock = old }()
	for _, bs := range []int{1, 2, 7, 100, 511, 512, 513, 4096} {
		pipeBlock = bs
		for i, in := range inputs {
			if got := summary(verifyBytes(t, in, Options{Keys: true, AOFPreamble: true})); got != want[fmt.Sprint(i)] {
				t.Errorf("block size %d, input %d (%d bytes):\n got %s\nwant %s", bs, i, len(in), got, want[fmt.Sprint(i)])
			}
		}
	}
}

// shrinkingReader serves only the first n bytes, as a file truncated while
// it is read would.
type shrinkingReader struct {
	b []byte
	n int64
}

func (s shrinkingReader) ReadAt(p []byte, off int64) (int, error) {
	if off >= s.n {
		return 0, io.EOF
	}
	m := copy(p, s.b[off:min(s.n, int64(len(s.b)))])
	if int64(m) < int64(len(p)) {
		return m, io.EOF
	}
	return m, nil
}

// TestFileShrinksWhileRead: a file cut after its size was taken is a read
// error (the CLI exits 2), never a panic or a corruption verdict.
func TestFileShrinksWhileRead(t *testing.T) {
	b := readFixture(t, "sized/dump.rdb")
	old := pipeBlock
	pipeBlock = 4096
	defer func() { pipeBlock = old }()
	for _, n := range []int64{20_000, 100_000, int64(len(b)) - 4} {
		rep := Verify(context.Background(), shrinkingReader{b, n}, int64(len(b)), Options{Keys: true})
		if rep.Err == nil || !rep.Findings.Has(finding.InputUnreadable) {
			t.Errorf("shrunk to %d: err %v, findings %v", n, rep.Err, rep.Findings)
		}
	}
}

// lp returns a listpack of the elements, as Redis encodes it.
func lp(elems ...string) string { return string(rdbdamage.Listpack(elems...)) }

// zl returns a ziplist of the elements, as Redis encodes it.
func zl(elems ...string) string { return string(rdbdamage.Ziplist(elems...)) }

// streamLP is a stream node listpack holding one entry "f" = "v" with the
// master entry's fields (flag SAMEFIELDS).
func streamLP() string { return lp("1", "0", "1", "f", "0", "2", "0", "0", "v", "4") }

// TestBuiltRecords walks records real Redis 7.0 does not write (7.2/7.4
// types, modules, older encodings) built byte by byte from src/rdb.c.
func TestBuiltRecords(t *testing.T) {
	intset := string([]byte{2, 0, 0, 0, 2, 0, 0, 0, 1, 0, 2, 0})
	id := string(make([]byte, 16))
	cases := []struct {
		name    string
		version int
		rec     func(w *rdbBuilder)
		keys    int64
		expires int64
		code    finding.Code // expected finding, "" for none
		opt     Options
	}{
		{"string int8/16/32", 10, func(w *rdbBuilder) {
			w.raw(typeString).str("a").raw(0xc0, 5)
			w.raw(typeString).str("b").raw(0xc1, 1, 2)
			w.raw(typeString).str("c").raw(0xc2, 1, 2, 3, 4)
		}, 3, 0, "", Options{}},
		{"expire seconds, idle, freq", 9, func(w *rdbBuilder) {
			w.raw(opExpireTime, 1, 2, 3, 4).raw(opIdle).length(100).raw(typeString).str("a").str("v")
			w.raw(opFreq, 5).raw(typeString).str("b").str("v")
		}, 2, 1, "", Options{}},
		{"zset with text scores", 7, func(w *rdbBuilder) {
			w.raw(typeZSet).str("z").length(3).str("a").raw(3, '1', '.', '5').str("b").raw(254).str("c").raw(255)
		}, 1, 0, "", Options{}},
		{"zset with a NaN text score", 7, func(w *rdbBuilder) {
			w.raw(typeZSet).str("z").length(2).str("a").raw(3, '1', '.', '5').str("b").raw(253)
		}, 1, 0, finding.RDBZSetScore, Options{}},
		{"ziplist, zipmap, intset, quicklist v1", 8, func(w *rdbBuilder) {
			w.raw(typeListZiplist).str("l").str(zl("a", "1"))
			w.raw(typeHashZipmap).str("h").str(string(rdbdamage.Zipmap("f", "v")))
			w.raw(typeSetIntset).str("s").str(intset)
			w.raw(typeListQuicklist).str("q").length(2).str(zl("x")).str(zl("y", "-70000"))
			w.raw(typeZSetZiplist).str("z").str(zl("m", "1.5"))
			w.raw(typeHashZiplist).str("h2").str(zl("f", "v"))
		}, 6, 0, "", Options{}},
		{"7.2 set listpack, quicklist v2 plain node", 11, func(w *rdbBuilder) {
			w.raw(typeSetListpack).str("s").str(lp("a", "b"))
			w.raw(typeListQuicklist2).str("q").length(2).length(2).str(lp("x", "-5000")).length(1).str("a plain element")
		}, 2, 0, "", Options{}},
		{"7.4 hash with field TTLs", 12, func(w *rdbBuilder) {
			w.raw(typeHashMeta).str("h").raw(1, 0, 0, 0, 0, 0, 0, 0).length(2).length(0).str("f").str("v").length(5).str("g").str("w")
			w.raw(typeHashLPEx).str("h2").raw(1, 0, 0, 0, 0, 0, 0, 0).str(lp("f", "v", "0"))
			w.raw(typeHashMetaPreGA).str("h3").length(1).length(9).str("f").str("v")
			w.raw(typeHashLPExPreGA).str("h4").str(lp("g", "w", "1764000000000", "f", "v", "0"))
		}, 4, 0, "", Options{}},
		{"stream v3 with group, PEL and consumer", 11, func(w *rdbBuilder) {
			w.raw(typeStreamLP3).str("s").length(1).str(id).str(streamLP())
			w.length(1).length(5).length(0)                     // length, last id
			w.length(1).length(0).length(0).length(0).length(1) // first id, max deleted, entries added
			w.length(1).str("g").length(5).length(0).length(1)  // group, id, offset
			w.length(1).raw([]byte(id)...).raw(1, 2, 3, 4, 5, 6, 7, 8).length(1)
			w.length(1).str("alice").raw(1, 2, 3, 4, 5, 6, 7, 8).raw(1, 2, 3, 4, 5, 6, 7, 8).length(1).raw([]byte(id)...)
		}, 1, 0, "", Options{}},
		{"stream v1", 9, func(w *rdbBuilder) {
			w.raw(typeStreamLP).str("s").length(1).str(id).str(streamLP()).length(1).length(5).length(0).length(0)
		}, 1, 0, "", Options{}},
		{"module value and module aux", 10, func(w *rdbBuilder) {
			w.raw(opModuleAux).length(12345).length(2).length(1).raw(2).length(7).raw(5).str("x").raw(0)
			w.raw(typeModule2).str("m").length(12345).raw(1).length(3).raw(3, 1, 2, 3, 4).raw(4, 1, 2, 3, 4, 5, 6, 7, 8).raw(0)
		}, 1, 0, "", Options{Modules: []string{"AAAAAAAAM"}}},
		{"module value of a module not loaded", 10, func(w *rdbBuilder) {
			w.raw(typeModule2).str("m").length(12345).raw(1).length(3).raw(0)
		}, 1, 0, finding.RDBModuleNotLoaded, Options{}},
		{"function and slot info", 12, func(w *rdbBuilder) {
			w.raw(opFunction2).str("#!lua name=x\n")
			w.raw(opSlotInfo).length(100).length(1).length(0)
			w.raw(typeString).str("k").str("v")
		}, 1, 0, "", Options{}},
		{"db beyond 15", 10, func(w *rdbBuilder) {
			w.raw(opSelectDB).length(1 << 62).raw(typeString).str("k").str("v")
		}, 1, 0, finding.RDBDBOutOfRange, Options{}},
		{"bad ziplist header", 8, func(w *rdbBuilder) {
			w.raw(typeListZiplist).str("l").str("\x05\x00\x00\x00\x0a\x00\x00\x00\x00\x00\xff")
		}, 1, 0, finding.RDBZiplistCorrupt, Options{}},
		{"bad intset encoding", 8, func(w *rdbBuilder) { w.raw(typeSetIntset).str("s").str("\x03\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00") }, 1, 0, finding.RDBIntsetCorrupt, Options{}},
		{"listpack without end byte", 11, func(w *rdbBuilder) { w.raw(typeSetListpack).str("s").str("\x07\x00\x00\x00\x00\x00\x00") }, 1, 0, finding.RDBListpackHeader, Options{}},
		{"quicklist container 3", 10, func(w *rdbBuilder) { w.raw(typeListQuicklist2).str("q").length(1).length(3).str(lp("a")) }, 0, 0, finding.RDBInvalidOpcode, Options{}},
		{"module aux bad when-opcode", 10, func(w *rdbBuilder) { w.raw(opModuleAux).length(1).length(1).length(1).raw(0) }, 0, 0, finding.RDBInvalidOpcode, Options{}},
		{"module unknown opcode", 10, func(w *rdbBuilder) { w.raw(typeModule2).str("m").length(1).raw(9).raw(0) }, 0, 0, finding.RDBInvalidOpcode, Options{}},
		{"pre-GA module type", 10, func(w *rdbBuilder) { w.raw(typeModulePreGA).str("m") }, 0, 0, finding.RDBInvalidType, Options{}},
		{"pre-GA functions", 10, func(w *rdbBuilder) { w.raw(opFunctionPreGA).str("x") }, 0, 0, finding.RDBInvalidOpcode, Options{}},
		{"type 8", 10, func(w *rdbBuilder) { w.raw(8).str("k").str("v") }, 0, 0, finding.RDBInvalidType, Options{}},
		{"opcode 0xF3", 10, func(w *rdbBuilder) { w.raw(0xf3).str("k") }, 0, 0, finding.RDBInvalidType, Options{}},
		{"LZF output too long", 10, func(w *rdbBuilder) { w.raw(typeString).str("k").raw(0xc3).length(4).length(2).raw(2, 'a', 'b', 'c') }, 0, 0, finding.RDBInvalidEncoding, Options{}},
		{"LZF back-reference before start", 10, func(w *rdbBuilder) {
			w.raw(typeString).str("k").raw(0xc3).length(4).length(10).raw(0, 'a', 0x20, 5)
		}, 0, 0, finding.RDBInvalidEncoding, Options{}},
		{"LZF key captured", 10, func(w *rdbBuilder) {
			w.raw(typeString).raw(0xc3).length(10).length(300).raw(2, 'a', 'b', 'c', 0xe0, 247, 2, 0xe0, 32, 2).str("v")
		}, 1, 0, "", Options{}},
		{"unknown length encoding", 10, func(w *rdbBuilder) { w.raw(typeString).str("k").raw(0x82) }, 0, 0, finding.RDBInvalidEncoding, Options{}},
		{"expire then EOF", 10, func(w *rdbBuilder) { w.raw(opExpireTimeMS, 1, 2, 3, 4, 5, 6, 7, 8) }, 0, 0, finding.RDBInvalidType, Options{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newBuilder(c.version).aux("redis-ver", "7.4.0").raw(opSelectDB, 0)
			c.rec(w)
			b := w.eof(true)
			if *writeSeeds {
				name := strings.NewReplacer(" ", "-", "/", "-", ",", "").Replace(c.name)
				if err := os.WriteFile(filepath.Join("testdata", "seeds", name+".rdb"), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			c.opt.Keys = true
			rep := verifyBytes(t, b, c.opt)
			if c.code == "" {
				if len(rep.Findings) != 0 || !rep.Complete || rep.Checksum.Status != ChecksumOK {
					t.Fatalf("findings %v complete %v checksum %+v", rep.Findings, rep.Complete, rep.Checksum)
				}
			} else if !rep.Findings.Has(c.code) {
				t.Fatalf("findings %v, want %s", rep.Findings, c.code)
			}
			if rep.Keys.Keys != c.keys || rep.Keys.Expires != c.expires {
				t.Errorf("keys %d expires %d, want %d %d", rep.Keys.Keys, rep.Keys.Expires, c.keys, c.expires)
			}
			if c.name == "LZF key captured" && (len(rep.Keys.Biggest) != 1 || rep.Keys.Biggest[0].Key != strings.Repeat("abc", 100)[:256]+"…(300 bytes)") {
				t.Errorf("LZF key %+v", rep.Keys.Biggest)
			}
		})
	}
}

// A SELECTDB beyond INT_MAX can never be loaded (the server's `databases`
// setting is an int and every id must be below it); redis-check-rdb accepts
// such a file, the server exits on it.
func TestSelectDBBeyondAnyConfigurationIsAnError(t *testing.T) {
	for _, tc := range []struct {
		db   uint64
		want finding.Severity
	}{
		{16, finding.Warning},
		{1<<31 - 2, finding.Warning},
		{1<<31 - 1, finding.Error},
		{1 << 32, finding.Error},
		{1<<63 - 1, finding.Error},
	} {
		body := []byte("REDIS0010")
		body = append(body, 0xFE, 0x81)
		body = binary.BigEndian.AppendUint64(body, tc.db)
		body = append(body, 0xFF)
		sum := CRC64Update(0, body)
		data := binary.LittleEndian.AppendUint64(body, sum)
		rep := Verify(context.Background(), bytes.NewReader(data), int64(len(data)), Options{Path: "dump.rdb"})
		var got *finding.Finding
		for i := range rep.Findings {
			if rep.Findings[i].Code == finding.RDBDBOutOfRange {
				got = &rep.Findings[i]
			}
		}
		if got == nil || got.Severity != tc.want || got.Offset == nil || *got.Offset != 9 {
			t.Errorf("SELECTDB %d: finding %+v, want %s at offset 9", tc.db, got, tc.want)
		}
	}
}
