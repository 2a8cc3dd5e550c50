package rdbinspect

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/aoftool/aoftool/finding"
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
	oldMin, oldBlock, oldChunk := laneMinSize, pipeBlock, laneChunk
	laneMinSize, pipeBlock, laneChunk = 1<<20, 64<<10, 512<<10
	if runtime.GOMAXPROCS(0) < 2 {
		old := runtime.GOMAXPROCS(2)
		t.Cleanup(func() { runtime.GOMAXPROCS(old) })
	}
	t.Cleanup(func() { laneMinSize, pipeBlock, laneChunk = oldMin, oldBlock, oldChunk })
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
		{"no record boundary where the second chunk starts", func() []byte {
			// Zero bytes read as empty names, which the probe refuses.
			return laneDump(size, once(0.1, func(w *rdbBuilder, i int) { w.raw(typeString).str("zeros").str(string(make([]byte, 700<<10))) }))
		}, true},
		{"records inside a value at the middle", func() []byte {
			// A long string around the middle holds bytes that parse as
			// records: the second lane may start inside it.
			fake := laneDump(256<<10, nil)
			return laneDump(size, once(0.45, func(w *rdbBuilder, i int) { w.raw(typeString).str("fake").str(string(fake[20 : len(fake)-9])) }))
		}, false},
	}
	for _, c := range cases {
		b := c.file()
		one := Verify(context.Background(), bytes.NewReader(b), int64(len(b)), Options{Keys: true, Path: "f", Workers: 1})
		want, _ := json.MarshalIndent(one, "", " ")
		if c.name == "plain" && (one.Checksum.Status != ChecksumOK || len(one.Findings) != 0) {
			t.Fatalf("the plain dump is not intact: %v", one.Findings)
		}
		// Racing, the first lane meets the others wherever their speeds
		// put it; walking first, the other lanes take every chunk and the
		// first lane takes them over one after another. With four lanes,
		// three take chunks from the end at once and finish out of order.
		schedules := []struct {
			name  string
			first bool
			procs int
		}{{"racing", false, 2}, {"lanes first", true, 2}, {"four lanes racing", false, 4}, {"four lanes first", true, 4}}
		for _, sc := range schedules {
			first := sc.first
			t.Run(c.name+"/"+sc.name, func(t *testing.T) {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(sc.procs))
				joins := 0
				onLaneJoin = func(seam, stop int64) { joins++ }
				lanesWalkFirst = first
				defer func() { onLaneJoin, lanesWalkFirst = nil, false }()
				lanes := Verify(context.Background(), bytes.NewReader(b), int64(len(b)), Options{Keys: true, Path: "f"})
				chunks := len(b) / int(laneChunk)
				switch {
				case first && c.name == "plain" && joins != chunks-1:
					t.Fatalf("%d of %d chunks were taken over, want all", joins, chunks-1)
				case first && c.join && joins == 0:
					t.Fatal("no chunk was taken over")
				}
				got, _ := json.MarshalIndent(lanes, "", " ")
				if !bytes.Equal(got, want) {
					t.Fatalf("lanes report\n%s\none walk reports\n%s", got, want)
				}
			})
		}
	}
}

// TestLanesShareTheKeyBudget: the cap on checked key names holds for the
// whole walk, not for each chunk. Keys crowded at the start of a dump whose
// later chunks hold few large values are all checked while they fit under
// the cap, whichever lane walks them; past the cap, the count of unchecked
// keys is exact.
func TestLanesShareTheKeyBudget(t *testing.T) {
	useLanes(t)
	defer func(old int) { maxCheckedKeys = old }(maxCheckedKeys)
	big := strings.Repeat("v", 60<<10)
	dump := func(keys int) []byte {
		w := newBuilder(10).aux("redis-ver", "7.0.15").raw(opSelectDB, 0)
		for i := range keys {
			w.raw(typeString).str("k" + strconv.Itoa(i)).str("1")
		}
		for i := 0; len(w.b) < 4<<20; i++ {
			w.raw(typeString).str("big:" + strconv.Itoa(i)).str(big)
		}
		// A duplicate of the first key at the end: found only if every
		// key before it was kept.
		w.raw(typeString).str("k0").str("again")
		return w.eof(true)
	}
	b := dump(20000)
	maxCheckedKeys = 20100
	for _, first := range []bool{false, true} {
		lanesWalkFirst = first
		rep := Verify(context.Background(), bytes.NewReader(b), int64(len(b)), Options{Keys: true})
		lanesWalkFirst = false
		if !rep.Findings.Has(finding.RDBDuplicateKey) || rep.Findings.Has(finding.RDBKeysNotDeduplicated) {
			t.Fatalf("lanes first %v, %d keys under a cap of %d: %v", first, rep.Keys.Keys, maxCheckedKeys, rep.Findings)
		}
	}
	maxCheckedKeys = 15000
	for _, first := range []bool{false, true} {
		lanesWalkFirst = first
		rep := Verify(context.Background(), bytes.NewReader(b), int64(len(b)), Options{Keys: true})
		lanesWalkFirst = false
		want := fmt.Sprintf("%d keys were not checked", rep.Keys.Keys-int64(maxCheckedKeys))
		var msg string
		for _, f := range rep.Findings {
			if f.Code == finding.RDBKeysNotDeduplicated {
				msg = f.Message
			}
		}
		if !strings.Contains(msg, want) {
			t.Fatalf("lanes first %v, %d keys over a cap of %d: %v, want %q", first, rep.Keys.Keys, maxCheckedKeys, rep.Findings, want)
		}
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
	oldMin, oldBlock, oldProbe, oldChunk := laneMinSize, pipeBlock, laneProbeRecords, laneChunk
	laneMinSize, pipeBlock, laneProbeRecords, laneChunk = 2<<10, 512, 8, 1<<10
	f.Cleanup(func() { laneMinSize, pipeBlock, laneProbeRecords, laneChunk = oldMin, oldBlock, oldProbe, oldChunk })
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
		// The lanes walking first take over chunks whatever the timing;
		// racing, the first lane also walks chunks no lane took.
		lanesWalkFirst = len(b)%2 == 0 || bytes.Equal(b, plain)
		defer func() { lanesWalkFirst = false }()
		lanes := Verify(context.Background(), bytes.NewReader(b), int64(len(b)), Options{Keys: true})
		one := Verify(context.Background(), bytes.NewReader(b), int64(len(b)), Options{Keys: true, Workers: 1})
		got, _ := json.Marshal(lanes)
		want, _ := json.Marshal(one)
		if !bytes.Equal(got, want) {
			t.Fatalf("lanes report\n%s\none walk reports\n%s", got, want)
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
	one := Verify(context.Background(), bytes.NewReader(b), int64(len(b)), Options{Keys: true, Workers: 1})
	want, _ := json.Marshal(one)
	var lanes *Report
	for _, first := range []bool{false, true} {
		joins := 0
		onLaneJoin = func(seam, stop int64) { joins++ }
		lanesWalkFirst = first
		lanes = Verify(context.Background(), bytes.NewReader(b), int64(len(b)), Options{Keys: true})
		onLaneJoin, lanesWalkFirst = nil, false
		if chunks := len(b) / int(laneChunk); first && joins < chunks/2 {
			t.Fatalf("%d of the %d chunks of a %d-byte dump were taken over", joins, chunks-1, len(b))
		}
		got, _ := json.Marshal(lanes)
		if !bytes.Equal(got, want) {
			t.Fatalf("lanes (first %v) report\n%s\none walk reports\n%s", first, got, want)
		}
	}
	if !lanes.Complete || lanes.Checksum.Status != ChecksumOK || len(lanes.Findings) != 0 || lanes.Keys.Keys != keys.Int {
		t.Fatalf("complete %v, checksum %v, findings %v, %d keys (server: %d)", lanes.Complete, lanes.Checksum.Status, lanes.Findings, lanes.Keys.Keys, keys.Int)
	}
}

// TestWalksReuseBlockBuffers: a walk after another takes the block buffers
// the first gave back instead of allocating its own, with one lane and with
// several.
func TestWalksReuseBlockBuffers(t *testing.T) {
	useLanes(t)
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	b := laneDump(4<<20, nil)
	walk := func(opt Options) uint64 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		Verify(context.Background(), bytes.NewReader(b), int64(len(b)), opt)
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	// The lanes walk every chunk, so the two walks allocate alike but for
	// the blocks.
	lanesWalkFirst = true
	defer func() { lanesWalkFirst = false }()
	for _, workers := range []int{1, 2} {
		opt := Options{Workers: workers}
		walk(opt) // the walk's one-time work
		blockBuffers.Lock()
		blockBuffers.free = nil
		blockBuffers.Unlock()
		fresh := walk(opt)
		again := walk(opt)
		// One lane holds four blocks. With lanes walking first, the lane's
		// two blocks go back before the first lane takes two: a walk after
		// an empty list allocates two. Either way the next walk allocates
		// none.
		if saved, blocks := int64(fresh)-int64(again), int64(3*(carryRoom+pipeBlock)/2); saved < blocks {
			t.Errorf("workers %d: a walk with no kept buffers allocated %d bytes, the next %d: not the %d of the blocks fewer", workers, fresh, again, blocks)
		}
	}
}
