package hardening

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc64"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aoftool/aoftool/internal/fsguard"
)

// variant is one hostile input. wantExit is the exit code the command must
// give; -1 means only "ran and stayed healthy" is required (inputs whose
// verdict depends on leniencies Redis itself has, such as the two bytes
// after a bulk string that the loader skips unchecked).
type variant struct {
	name     string
	data     []byte
	wantExit int
}

var jones = crc64.MakeTable(0x95ac9329ac4bc9b5)

// withCRC appends EOF and a correct CRC-64 trailer, so a crafted body is
// judged on its structure alone, not caught by the checksum.
func withCRC(body []byte) []byte {
	out := append(append([]byte{}, body...), 0xFF)
	sum := ^crc64.Update(^uint64(0), jones, out)
	return binary.LittleEndian.AppendUint64(out, sum)
}

func rdbString(s string) []byte { return append([]byte{byte(len(s))}, s...) }

func len64(n uint64) []byte { return binary.BigEndian.AppendUint64([]byte{0x81}, n) }

// rdbPrefix is a valid header, one aux field and SELECTDB 0.
func rdbPrefix() []byte {
	b := []byte("REDIS0010")
	b = append(b, 0xFA)
	b = append(b, rdbString("redis-ver")...)
	b = append(b, rdbString("7.0.15")...)
	return append(b, 0xFE, 0x00)
}

func rdbVariants(src []byte) []variant {
	var out []variant
	n := len(src)
	// Truncations: every offset of the header, then spread over the body and
	// every offset of the trailer.
	cuts := map[int]bool{}
	for i := 0; i < 40 && i < n; i++ {
		cuts[i] = true
	}
	for i := 1; i < 40; i++ {
		cuts[n*i/40] = true
	}
	for i := n - 10; i < n; i++ {
		cuts[i] = true
	}
	for c := range cuts {
		out = append(out, variant{fmt.Sprintf("rdb-cut-%d", c), src[:c], 1})
	}
	// Flipped bytes: the checksum covers every byte, so each flip is caught.
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 40; i++ {
		pos := rng.Intn(n)
		if i < 4 {
			pos = []int{0, 5, 8, n - 1}[i]
		}
		b := append([]byte{}, src...)
		b[pos] ^= byte(1 << uint(rng.Intn(8)))
		out = append(out, variant{fmt.Sprintf("rdb-flip-%d", pos), b, 1})
	}
	// Lengths claiming 2^32 … 2^63 bytes or elements, each in a file with a
	// correct checksum.
	for _, shift := range []uint{32, 40, 48, 56, 62, 63} {
		big := uint64(1) << shift
		if shift == 63 {
			big = 1<<63 - 1
		}
		key := append(append(rdbPrefix(), 0x00), len64(big)...)
		out = append(out, variant{fmt.Sprintf("rdb-keylen-2^%d", shift), withCRC(append(key, 'k')), 1})
		val := append(append(append(rdbPrefix(), 0x00), rdbString("k")...), len64(big)...)
		out = append(out, variant{fmt.Sprintf("rdb-vallen-2^%d", shift), withCRC(append(val, 'v')), 1})
		list := append(append(append(rdbPrefix(), 0x01), rdbString("k")...), len64(big)...)
		out = append(out, variant{fmt.Sprintf("rdb-listcount-2^%d", shift), withCRC(append(list, rdbString("e")...)), 1})
		// LZF string: compressed length 3, uncompressed length huge.
		lzf := append(append(append(rdbPrefix(), 0x00), rdbString("k")...), 0xC3)
		lzf = append(append(lzf, len64(3)...), len64(big)...)
		out = append(out, variant{fmt.Sprintf("rdb-lzf-ulen-2^%d", shift), withCRC(append(lzf, 1, 2, 3)), 1})
		sel := append(append([]byte{}, rdbPrefix()[:len(rdbPrefix())-2]...), 0xFE)
		out = append(out, variant{fmt.Sprintf("rdb-selectdb-2^%d", shift), withCRC(append(sel, len64(big)...)), 1})
	}
	// Cut ziplist / listpack blobs: a blob whose header claims more bytes
	// than the blob holds, with a correct file checksum.
	lp := []byte{0xE8, 0x03, 0, 0, 2, 0, 0x81, 'a', 2, 0x81, 'b', 2} // total 1000, 2 elements, no end byte
	for _, typ := range []byte{16, 17, 20, 13, 12, 10} {
		b := append(append(append(rdbPrefix(), typ), rdbString("h")...), byte(len(lp)))
		out = append(out, variant{fmt.Sprintf("rdb-cut-listpack-type-%d", typ), withCRC(append(b, lp...)), 1})
	}
	// Garbage of several kinds.
	garbage := make([]byte, 4096)
	rng.Read(garbage)
	garbage[0] = 'X'
	out = append(out,
		variant{"rdb-empty", nil, 1},
		variant{"rdb-nul-bytes", make([]byte, 4096), 1},
		variant{"rdb-binary-garbage", garbage, 1},
		variant{"rdb-magic-only", []byte("REDIS0010"), 1},
		variant{"rdb-version-99", append([]byte("REDIS0099"), src[9:]...), 1},
		// Bytes after the checksum are a warning: the server loads the same data.
		variant{"rdb-trailing-bytes", append(append([]byte{}, src...), "garbage"...), 0},
	)
	return out
}

// respBoundaries returns the offsets where a command ends outside MULTI/EXEC
// in a RESP stream written by Redis, using the same framing Redis writes.
func respBoundaries(t testing.TB, b []byte) (ends []int, lastStart int) {
	t.Helper()
	pos, inMulti := 0, false
	readLine := func() string {
		i := bytes.Index(b[pos:], []byte("\r\n"))
		if i < 0 {
			t.Fatalf("unterminated line at %d", pos)
		}
		s := string(b[pos : pos+i])
		pos += i + 2
		return s
	}
	for pos < len(b) {
		lastStart = pos
		argc, _ := strconv.Atoi(readLine()[1:])
		var name string
		for i := 0; i < argc; i++ {
			l, _ := strconv.Atoi(readLine()[1:])
			if i == 0 {
				name = string(bytes.ToUpper(b[pos : pos+l]))
			}
			pos += l + 2
		}
		switch name {
		case "MULTI":
			inMulti = true
		case "EXEC":
			inMulti = false
		}
		if !inMulti {
			ends = append(ends, pos)
		}
	}
	return ends, lastStart
}

func aofVariants(t testing.TB, src []byte) []variant {
	ends, lastStart := respBoundaries(t, src)
	isEnd := map[int]bool{0: true}
	for _, e := range ends {
		isEnd[e] = true
	}
	want := func(cut int) int {
		if isEnd[cut] {
			return 0
		}
		return 1
	}
	var out []variant
	// Every byte of the last command, then cuts spread over the file.
	for c := lastStart; c < len(src); c++ {
		out = append(out, variant{fmt.Sprintf("aof-cut-%d", c), src[:c], want(c)})
	}
	for i := 1; i < 40; i++ {
		c := len(src) * i / 40
		out = append(out, variant{fmt.Sprintf("aof-cut-%d", c), src[:c], want(c)})
	}
	mid := ends[len(ends)/2]
	insert := func(name string, junk string, wantExit int) {
		b := append(append(append([]byte{}, src[:mid]...), junk...), src[mid:]...)
		out = append(out, variant{name, b, wantExit})
	}
	insert("aof-garbage-middle", "hello world\r\n", 1)
	insert("aof-argc-99999999999", "*99999999999\r\n$3\r\nSET\r\n", 1)
	insert("aof-argc-zero", "*0\r\n", 1)
	insert("aof-argc-minus-1", "*-1\r\n", 1)
	insert("aof-argc-bare", "*\r\n", 1)
	insert("aof-argc-wraps", "*-2147483649\r\n$3\r\nSET\r\n", 1)
	insert("aof-bulk-negative", "*2\r\n$3\r\nGET\r\n$-5\r\nkey\r\n", 1)
	insert("aof-bulk-huge", "*2\r\n$3\r\nGET\r\n$4611686018427387904\r\nkey\r\n", 1)
	insert("aof-bulk-2^32", "*2\r\n$3\r\nGET\r\n$4294967296\r\nkey\r\n", 1)
	insert("aof-bulk-not-dollar", "*2\r\n$3\r\nGET\r\n:3\r\nkey\r\n", 1)
	insert("aof-nul-bytes-middle", string(make([]byte, 64)), 1)
	// The loader skips the two bytes after a bulk unchecked: lenient.
	insert("aof-missing-crlf-after-bulk", "*2\r\n$3\r\nGETXX$1\r\nk\r\n", -1)
	garbage := make([]byte, 4096)
	rand.New(rand.NewSource(2)).Read(garbage)
	garbage[0] = 'X'
	out = append(out,
		variant{"aof-empty", nil, 0},
		variant{"aof-nul-bytes", make([]byte, 4096), 1},
		variant{"aof-binary-garbage", garbage, 1},
		variant{"aof-unterminated-multi", append(append([]byte{}, src...), "*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"...), 1},
	)
	return out
}

func manifestVariants(good []byte) []variant {
	huge := bytes.Repeat([]byte("x"), 10<<20)
	return []variant{
		{"manifest-10MB-line", append(append([]byte("file "), huge...), " seq 1 type b\n"...), 1},
		{"manifest-10MB-comment", append(append([]byte("#"), huge...), '\n'), 1},
		{"manifest-nul-bytes", make([]byte, 4096), 1},
		{"manifest-nul-in-line", append([]byte("file \x00 seq 1 type b\n"), good...), 1},
		{"manifest-empty", nil, 1},
		{"manifest-no-final-newline", bytes.TrimRight(good, "\n"), 1},
		{"manifest-binary-garbage", func() []byte { b := make([]byte, 8192); rand.New(rand.NewSource(3)).Read(b); return b }(), 1},
		{"manifest-huge-seq", []byte("file appendonly.aof.1.base.rdb seq 99999999999999999999999 type b\n"), -1},
		{"manifest-path-name", []byte("file ../../etc/passwd seq 1 type b\n"), 1},
		{"manifest-dotdot-name", []byte("file .. seq 1 type b\n"), 1},
		{"manifest-crlf", bytes.ReplaceAll(good, []byte("\n"), []byte("\r\n")), 0},
	}
}

// TestHostileInputs runs rdb, aof, manifest and check on hostile inputs
// derived from real files, each under a 1 GiB address-space limit and a
// timeout: no panic, no hang, no out-of-memory kill, an exit code of 0, 1
// or 2, and exit 1 for every input Redis would refuse or truncate.
func TestHostileInputs(t *testing.T) {
	rd := realFiles(t)
	dump, _ := os.ReadFile(rd.dump)
	base, _ := os.ReadFile(rd.base)
	incr, _ := os.ReadFile(rd.incr)
	manifest, _ := os.ReadFile(rd.manifest)

	type job struct {
		kind string // rdb, keys, aof or manifest
		v    variant
	}
	var jobs []job
	for _, v := range rdbVariants(dump) {
		jobs = append(jobs, job{"rdb", v})
	}
	for i, v := range rdbVariants(base) {
		if i%3 == 0 { // a sample: the base shares the dump's layout
			v.name = "base-" + v.name
			jobs = append(jobs, job{"rdb", v})
		}
	}
	for i, v := range rdbVariants(dump) {
		if i%2 == 0 { // keys walks the same records with a visitor
			v.name = "keys-" + v.name
			jobs = append(jobs, job{"keys", v})
		}
	}
	for _, v := range aofVariants(t, incr) {
		jobs = append(jobs, job{"aof", v})
	}
	for _, v := range manifestVariants(manifest) {
		jobs = append(jobs, job{"manifest", v})
	}
	if len(jobs) < 200 {
		t.Fatalf("only %d hostile inputs; the suite promises at least 200", len(jobs))
	}
	t.Logf("%d hostile inputs", len(jobs))

	work := make(chan job)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var slowest, hungriest result
	var hungriestInput string
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				r1, r2 := runHostile(t, rd, j.kind, j.v)
				mu.Lock()
				for _, r := range []result{r1, r2} {
					if r.elapsed > slowest.elapsed {
						slowest = r
					}
					if r.maxRSS > hungriest.maxRSS {
						hungriest, hungriestInput = r, j.v.name
					}
				}
				mu.Unlock()
				if why := healthy(r1); why != "" {
					t.Errorf("%s: %s\n%s", j.v.name, why, r1)
				} else if j.v.wantExit >= 0 && r1.code != j.v.wantExit {
					t.Errorf("%s: exit %d, want %d\n%s\nstdout: %.800s", j.v.name, r1.code, j.v.wantExit, r1, r1.stdout)
				}
				if why := healthy(r2); why != "" {
					t.Errorf("%s (check): %s\n%s", j.v.name, why, r2)
				}
			}
		}()
	}
	for _, j := range jobs {
		work <- j
	}
	close(work)
	wg.Wait()
	t.Logf("slowest run: %s", slowest)
	t.Logf("peak RSS %d MiB on %s: aoftool %s", hungriest.maxRSS>>20, hungriestInput, strings.Join(hungriest.args, " "))
	// Memory must not follow the lengths the files claim.
	if hungriest.maxRSS == 0 {
		t.Logf("peak RSS not measured: %s is missing", gnuTime)
	} else if hungriest.maxRSS > 64<<20 {
		t.Errorf("a hostile input drove RSS to %d MiB (limit 64 MiB): %s", hungriest.maxRSS>>20, hungriest)
	}
}

// runHostile places the input where Redis would find it and runs the
// command for its kind on the file and check on the whole directory.
func runHostile(t *testing.T, rd realDir, kind string, v variant) (result, result) {
	dir := t.TempDir()
	aofdir := filepath.Join(dir, "appendonlydir")
	if err := os.Mkdir(aofdir, 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile(t, rd.base, filepath.Join(aofdir, filepath.Base(rd.base)))
	copyFile(t, rd.incr, filepath.Join(aofdir, filepath.Base(rd.incr)))
	copyFile(t, rd.manifest, filepath.Join(aofdir, filepath.Base(rd.manifest)))
	copyFile(t, rd.dump, filepath.Join(dir, "dump.rdb"))
	var target string
	var args []string
	switch kind {
	case "rdb":
		target = filepath.Join(dir, "dump.rdb")
		args = []string{"rdb", target}
	case "keys":
		target = filepath.Join(dir, "dump.rdb")
		args = []string{"keys", "--format", "ndjson", "--values", target}
	case "aof":
		target = filepath.Join(aofdir, filepath.Base(rd.incr))
		args = []string{"aof", target}
	case "manifest":
		target = filepath.Join(aofdir, filepath.Base(rd.manifest))
		args = []string{"manifest", aofdir}
	}
	if err := os.WriteFile(target, v.data, 0o644); err != nil {
		t.Fatal(err)
	}
	// These are damaged copies of a stopped server's files: written an
	// hour ago, so no file reads as one a live server is appending to.
	fsguard.Touch(t, dir, time.Now().Add(-time.Hour))
	const timeout = 60 * time.Second
	return runLimited(t, timeout, args...), runLimited(t, timeout, "check", dir)
}

func copyFile(t testing.TB, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
