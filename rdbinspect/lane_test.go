package rdbinspect

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/aoftool/aoftool/internal/rdbdamage"
	"github.com/aoftool/aoftool/internal/redistest"
)

// laneDump writes a dump of about size bytes with the mix of benchRDB;
// special(w, i, frac) may write something of its own before record i, frac
// being how far into the file the writer is.
func laneDump(size int, special func(w *rdbBuilder, i int, frac float64)) []byte {
	r := rand.New(rand.NewSource(7))
	w := newBuilder(10).aux("redis-ver", "7.0.15").aux("redis-bits", "64").raw(opSelectDB, 0)
	val := make([]byte, 100)
	lp := rdbdamage.Listpack("name", "a-value", "count", "12345", "tags", "red,green")
	for i := 0; len(w.b) < size; i++ {
		if special != nil {
			special(w, i, float64(len(w.b))/float64(size))
		}
		key := "key:" + strconv.Itoa(i)
		switch i % 7 {
		case 0, 1:
			r.Read(val)
			w.raw(typeString).str(key).str(string(val))
		case 2:
			// Every record of this kind has the same size: ties for the
			// biggest keys.
			w.raw(opExpireTimeMS, 1, 2, 3, 4, 5, 6, 7, 0).raw(typeString).str(key).str(strings.Repeat("t", 40))
		case 3:
			w.raw(typeHashListpack).str(key).str(string(lp))
		case 4:
			w.raw(typeZSetListpack).str(key).str(string(rdbdamage.Listpack("m1", "1", "m2", "2.5")))
		case 5:
			w.raw(typeString).str(key).raw(0xc3).length(10).length(300).raw(2, 'a', 'b', 'c', 0xe0, 247, 2, 0xe0, 32, 2)
		default:
			w.raw(typeList).str(key).length(3).str("a").str("bb").str(strconv.Itoa(i))
		}
	}
	return w.eof(true)
}

// once returns a special that runs f the first time the writer passes frac.
func once(frac float64, f func(w *rdbBuilder, i int)) func(*rdbBuilder, int, float64) {
	done := false
	return func(w *rdbBuilder, i int, at float64) {
		if !done && at >= frac {
			done = true
			f(w, i)
		}
	}
}

func useLanes(t *testing.T) {
	t.Helper()
	oldMin, oldBlock := laneMinSize, pipeBlock
	laneMinSize, pipeBlock = 1<<20, 64<<10
	if runtime.GOMAXPROCS(0) < 2 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	}
	t.Cleanup(func() { laneMinSize, pipeBlock = oldMin, oldBlock })
}

// TestLanesReportAsOneWalk: the report of a dump walked in two lanes is the
// report of the same dump walked in one, byte for byte in JSON, for dumps
// whose second half holds what makes the lanes stop, fall back or merge.
func TestLanesReportAsOneWalk(t *testing.T) {
	useLanes(t)
	const size = 4 << 20
	cases := []struct {
		name string
		file func() []byte
		join bool // the second lane must be taken over
	}{
		{"plain", func() []byte { return laneDump(size, nil) }, true},
		{"corrupt record in the second half", func() []byte {
			return laneDump(size, once(0.75, func(w *rdbBuilder, i int) { w.raw(0x42) }))
		}, true},
		{"bad listpack in the second half", func() []byte {
			return laneDump(size, once(0.75, func(w *rdbBuilder, i int) {
				lp := []byte(rdbdamage.Listpack("f", "v"))
				lp[0]++ // total bytes no longer match
				w.raw(typeHashListpack).str("bad-lp").str(string(lp))
			}))
		}, true},
		{"empty list in the second half", func() []byte {
			return laneDump(size, once(0.7, func(w *rdbBuilder, i int) { w.raw(typeList).str("empty").length(0) }))
		}, true},
		{"expire of all ones in the second half", func() []byte {
			return laneDump(size, once(0.7, func(w *rdbBuilder, i int) {
				w.raw(opExpireTimeMS, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff).raw(typeString).str("forever").str("v")
			}))
		}, true},
		{"second database in the second half", func() []byte {
			return laneDump(size, once(0.7, func(w *rdbBuilder, i int) { w.raw(opResizeDB).length(10).length(1).raw(opSelectDB, 1) }))
		}, true},
		{"duplicate across the halves", func() []byte {
			return laneDump(size, once(0.8, func(w *rdbBuilder, i int) { w.raw(typeString).str("key:10").str("again") }))
		}, true},
		{"duplicate inside the second half", func() []byte {
			special := once(0.6, func(w *rdbBuilder, i int) { w.raw(typeString).str("twice").str("1") })
			again := once(0.9, func(w *rdbBuilder, i int) { w.raw(typeString).str("twice").str("2") })
			return laneDump(size, func(w *rdbBuilder, i int, at float64) { special(w, i, at); again(w, i, at) })
		}, true},
		{"bad checksum", func() []byte {
			b := laneDump(size, nil)
			b[len(b)-1] ^= 0xff
			return b
		}, true},
		{"cut before the end", func() []byte {
			b := laneDump(size, nil)
			return b[:len(b)*9/10]
		}, true},
		{"bytes after the EOF opcode", func() []byte {
			return append(laneDump(size, nil), "*1\r\n$4\r\nPING\r\n"...)
		}, true},
		{"all keys in database 3", func() []byte {
			b := laneDump(size, nil)
			i := bytes.Index(b, []byte{opSelectDB, 0})
			b[i+1] = 3
			return b
		}, false},
		{"records inside a value at the middle", func() []byte {
			// A long string around the middle holds bytes that parse as
			// records: the second lane may start inside it.
			fake := laneDump(256<<10, nil)
			return laneDump(size, once(0.45, func(w *rdbBuilder, i int) { w.raw(typeString).str("fake").str(string(fake[20 : len(fake)-9])) }))
		}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := c.file()
			joins := 0
			onLaneJoin = func(seam, stop int64) { joins++ }
			defer func() { onLaneJoin = nil }()
			lanes := Verify(context.Background(), bytes.NewReader(b), int64(len(b)), Options{Keys: true, Path: "f"})
			onLaneJoin = nil
			one := Verify(context.Background(), bytes.NewReader(b), int64(len(b)), Options{Keys: true, Path: "f", Workers: 1})
			if c.join && joins != 1 {
				t.Fatalf("the second lane was taken over %d times, want 1", joins)
			}
			got, _ := json.MarshalIndent(lanes, "", " ")
			want, _ := json.MarshalIndent(one, "", " ")
			if !bytes.Equal(got, want) {
				t.Fatalf("two lanes report\n%s\none walk reports\n%s", got, want)
			}
			if c.name == "plain" && (one.Checksum.Status != ChecksumOK || len(one.Findings) != 0) {
				t.Fatalf("the plain dump is not intact: %v", one.Findings)
			}
		})
	}
}

// TestLaneProbe: the probe accepts a real record boundary and rejects a
// run of zero bytes (which reads as empty strings) and text.
func TestLaneProbe(t *testing.T) {
	b := laneDump(64<<10, nil)
	first := bytes.Index(b, []byte("key:0")) - 2 // type byte, name length
	if !probeRecords(b, first, laneProbeRecords) {
		t.Fatalf("the probe rejects the first record at %d", first)
	}
	if probeRecords(make([]byte, 4096), 0, laneProbeRecords) {
		t.Fatal("the probe accepts zero bytes")
	}
	if probeRecords([]byte(strings.Repeat("value:123 ", 400)), 0, laneProbeRecords) {
		t.Fatal("the probe accepts text")
	}
}

func FuzzProbeRecords(f *testing.F) {
	b := laneDump(8<<10, nil)
	f.Add(b[9:], 0)
	f.Add(b, 30)
	f.Fuzz(func(t *testing.T, b []byte, i int) {
		if i < 0 || i > len(b) {
			return
		}
		probeRecords(b, i, laneProbeRecords)
	})
}

// FuzzLanes: whatever the bytes, two lanes report what one walk reports.
func FuzzLanes(f *testing.F) {
	// Small inputs, so the minimiser's thousands of calls stay quick.
	oldMin, oldBlock, oldProbe := laneMinSize, pipeBlock, laneProbeRecords
	laneMinSize, pipeBlock, laneProbeRecords = 2<<10, 512, 8
	f.Cleanup(func() { laneMinSize, pipeBlock, laneProbeRecords = oldMin, oldBlock, oldProbe })
	if runtime.GOMAXPROCS(0) < 2 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	}
	plain := laneDump(4<<10, nil)
	f.Add(plain)
	f.Add(laneDump(4<<10, once(0.7, func(w *rdbBuilder, i int) { w.raw(typeList).str("empty").length(0) })))
	f.Add(laneDump(4<<10, once(0.8, func(w *rdbBuilder, i int) { w.raw(typeString).str("key:3").str("again") })))
	f.Add(plain[:len(plain)*3/4])
	joined := false
	onLaneJoin = func(seam, stop int64) { joined = true }
	f.Cleanup(func() { onLaneJoin = nil })
	f.Fuzz(func(t *testing.T, b []byte) {
		lanes := Verify(context.Background(), bytes.NewReader(b), int64(len(b)), Options{Keys: true})
		one := Verify(context.Background(), bytes.NewReader(b), int64(len(b)), Options{Keys: true, Workers: 1})
		got, _ := json.Marshal(lanes)
		want, _ := json.Marshal(one)
		if !bytes.Equal(got, want) {
			t.Fatalf("two lanes report\n%s\none walk reports\n%s", got, want)
		}
		if bytes.Equal(b, plain) && !joined {
			t.Fatal("the plain seed is walked in one lane: the fuzzer would not reach the lanes")
		}
	})
}

// TestTwiceInFindsExactlyTheRepeats: the bitset filter in front of the
// exact table neither misses a repeated hash nor reports a hash that only
// shares bits with another.
func TestTwiceInFindsExactlyTheRepeats(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	var sc twiceScratch
	for _, n := range []int{1, 2, 100, 5000, 40000} {
		var chunks [][]uint64
		count := map[uint64]int{}
		var all []uint64
		for range n {
			h := r.Uint64() | 1
			if len(all) > 0 && r.Intn(50) == 0 {
				h = all[r.Intn(len(all))]
			}
			// Hashes sharing their low bits with an earlier one are what
			// the filter lets through; they must not be reported.
			if len(all) > 0 && r.Intn(50) == 0 {
				h = all[r.Intn(len(all))] ^ 1<<40
			}
			all = append(all, h)
			count[h]++
		}
		for len(all) > 0 {
			k := min(len(all), 1+r.Intn(300))
			chunks = append(chunks, all[:k])
			all = all[k:]
		}
		got := map[uint64]bool{}
		for _, h := range twiceIn(chunks, &sc, nil) {
			got[h] = true
		}
		for h, c := range count {
			if (c > 1) != got[h] {
				t.Fatalf("n=%d: hash %x seen %d times, reported %v", n, h, c, got[h])
			}
		}
	}
}

// TestHasherWholeEqualsPieces: an element hashed whole and the same bytes
// written in pieces (an element crossing a block) have one fingerprint,
// on either side of the 16-byte short hash.
func TestHasherWholeEqualsPieces(t *testing.T) {
	h := newHasher()
	r := rand.New(rand.NewSource(5))
	for n := 0; n <= 40; n++ {
		p := make([]byte, n)
		r.Read(p)
		h.reset()
		for rest := p; len(rest) > 0; {
			k := 1 + r.Intn(len(rest))
			h.write(rest[:k])
			rest = rest[k:]
		}
		if got, want := h.sum(), h.of(p); got != want {
			t.Fatalf("%d bytes: pieces %v, whole %v", n, got, want)
		}
		if n > 0 {
			q := append([]byte(nil), p...)
			q[r.Intn(n)] ^= 1
			if h.of(q) == h.of(p) {
				t.Fatalf("%d bytes: one flipped bit keeps the fingerprint", n)
			}
		}
	}
}

// TestLanesOnADumpRedisWrote: a 40 MB dump written by redis-server (DEBUG
// POPULATE strings, hashes, sorted sets, lists, TTLs) is walked in two
// lanes, and the report is that of one walk, intact, with the server's key
// count.
func TestLanesOnADumpRedisWrote(t *testing.T) {
	useLanes(t)
	dir := t.TempDir()
	s := redistest.Start(t, redistest.Options{Dir: dir, Binary: redistest.Binary(t),
		Config: []string{"dbfilename dump.rdb", "appendonly no", "save \"\"", "rdbcompression no", "enable-debug-command yes"}})
	defer s.Shutdown()
	if _, err := s.Do("DEBUG", "POPULATE", "100000", "key", "380"); err != nil {
		t.Fatal(err)
	}
	var cmds [][]string
	for i := range 3000 {
		n := strconv.Itoa(i)
		cmds = append(cmds,
			[]string{"HSET", "h:" + n, "a", n, "b", "value-" + n},
			[]string{"ZADD", "z:" + n, n, "m1", "2.5", "m2"},
			[]string{"RPUSH", "l:" + n, "a", "b", n},
			[]string{"SET", "t:" + n, "v", "EX", "86400"})
	}
	s.MustQuery(cmds)
	if _, err := s.Do("SAVE"); err != nil {
		t.Fatal(err)
	}
	keys, err := s.Do("DBSIZE")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	joins := 0
	onLaneJoin = func(seam, stop int64) { joins++ }
	defer func() { onLaneJoin = nil }()
	lanes := Verify(context.Background(), bytes.NewReader(b), int64(len(b)), Options{Keys: true})
	onLaneJoin = nil
	one := Verify(context.Background(), bytes.NewReader(b), int64(len(b)), Options{Keys: true, Workers: 1})
	if joins != 1 {
		t.Fatalf("the second lane was taken over %d times in a %d-byte dump", joins, len(b))
	}
	got, _ := json.Marshal(lanes)
	want, _ := json.Marshal(one)
	if !bytes.Equal(got, want) {
		t.Fatalf("two lanes report\n%s\none walk reports\n%s", got, want)
	}
	if !lanes.Complete || lanes.Checksum.Status != ChecksumOK || len(lanes.Findings) != 0 || lanes.Keys.Keys != keys.Int {
		t.Fatalf("complete %v, checksum %v, findings %v, %d keys (server: %d)", lanes.Complete, lanes.Checksum.Status, lanes.Findings, lanes.Keys.Keys, keys.Int)
	}
}
